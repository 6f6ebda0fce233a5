/**
 * Step specs of the corpus generator: the `spec` of each step type (Run, Background,
 * Plugin, ShellScript, Http, security scanners, Terraform, and the types whose spec
 * pipewright does not read).
 */
import { expr } from './expressions.js';
import type { Gen } from './gen.js';
import { input } from './inputs.js';
import type { Ctx } from './model.js';
import { command, envValue, envVariables, image } from './step-commands.js';
import { CONNECTORS, OUT_WORDS } from './vocabulary.js';
import { map, seq, type Node } from './yaml-emit.js';

/** Run step (harness-core RunStepInfo; doc "Run step settings"; corpus: _test1.yaml). */
export function runSpec(g: Gen, ctx: Ctx, declare: (names: string[]) => void): Node {
  // harness-core CIShellType: Sh, Bash, Powershell, Pwsh, Python (matched case-insensitively)
  const shell = g.weighted([
    ['Sh', 5],
    ['Bash', 4],
    ['Python', 1],
    ['Pwsh', 0.6],
    ['PowerShell', 0.3],
    ['Powershell', 0.3],
  ]);
  const outs = g.chance(0.4) ? g.sample(OUT_WORDS, g.int(1, 2)) : [];
  const o: Record<string, Node | undefined> = { ...image(g, ctx, shell) };
  if (g.chance(0.9)) o['shell'] = shell;
  else if (shell !== 'Sh') o['shell'] = shell;
  o['command'] = command(g, ctx, shell, outs);
  if (g.chance(0.45)) o['envVariables'] = envVariables(g, ctx);
  if (outs.length) {
    // harness-core OutputNGVariable: name (and, in newer files, type and value)
    o['outputVariables'] = seq(
      outs.map((name) => (g.chance(0.2) ? map({ name, type: g.chance(0.8) ? 'String' : 'Secret', value: name }) : map({ name }))),
    );
    g.feat('output-variables');
  }
  if (g.chance(0.15)) o['reports'] = map({ type: 'JUnit', spec: map({ paths: seq(['**/*.xml']) }) });
  if (g.chance(0.08)) o['privileged'] = true;
  if (g.chance(0.06)) o['runAsUser'] = g.pick(['1000', '1111']);
  if (g.chance(0.1) && o['image']) o['imagePullPolicy'] = g.pick(['Always', 'IfNotPresent', 'Never']);
  if (g.chance(0.08)) o['resources'] = map({ limits: map({ memory: '500Mi', cpu: '400m' }) });
  declare(outs);
  return map(o);
}

/** Background step (harness-core BackgroundStepInfo; fixture: background-placements.yaml). */
export function backgroundSpec(g: Gen, ctx: Ctx): Node {
  const svc = g.pick([
    {
      image: 'postgres:15',
      port: '5432',
      env: { POSTGRES_PASSWORD: 'postgres', POSTGRES_DB: 'app' },
      entry: ['docker-entrypoint.sh', 'postgres'],
    },
    { image: 'redis:7', port: '6379', env: {}, entry: ['redis-server'] },
    { image: 'docker:dind', port: '2375', env: { DOCKER_TLS_CERTDIR: '' }, entry: ['dockerd-entrypoint.sh'] },
    { image: 'mysql:8', port: '3306', env: { MYSQL_ROOT_PASSWORD: '<+secrets.getValue("mysql_root")>' }, entry: [] },
  ]);
  const o: Record<string, Node | undefined> = { connectorRef: g.pick(CONNECTORS), image: g.chance(0.05) ? input(g, svc.image) : svc.image };
  if (svc.image === 'docker:dind') o['privileged'] = true;
  if (g.chance(0.3) && svc.entry.length) {
    o['entrypoint'] = seq(svc.entry);
    g.feat('background-entrypoint');
  }
  if (g.chance(0.2)) o['command'] = svc.image.startsWith('postgres') ? 'postgres -c max_connections=200' : 'echo starting';
  if (Object.keys(svc.env).length && g.chance(0.6)) o['envVariables'] = map(svc.env);
  if (!ctx.needsImage && g.chance(0.7)) {
    // fixture: background-placements.yaml — quoted portBindings keys
    const pb = map({ [svc.port]: g.chance(0.5) ? svc.port : Number(svc.port) });
    pb.e[0]!.quoteKey = g.chance(0.8);
    o['portBindings'] = pb;
    g.feat('port-bindings');
  }
  if (g.chance(0.1)) o['shell'] = 'Sh';
  if (g.chance(0.05)) o['reports'] = map({ type: 'JUnit', spec: map({ paths: seq(['reports/*.xml']) }) });
  return map(o);
}

/** Plugin step (harness-core PluginStepInfo; corpus: currentStateSamples settings, example-9 list settings). */
export function pluginSpec(g: Gen, ctx: Ctx): Node {
  const p = g.pick([
    {
      image: 'plugins/docker',
      settings: () =>
        map({
          repo: 'octocat/hello-world',
          tags: seq(['latest', '1', '1.1', '1.1.1']),
          username: '<+secrets.getValue("docker_username")>',
          password: '<+secrets.getValue("docker_password")>',
        }),
    },
    {
      image: 'plugins/slack',
      settings: () =>
        map({ webhook: '<+secrets.getValue("slack_webhook")>', channel: 'builds', template: `build ${expr(g, ctx)} finished` }),
    },
    {
      image: 'plugins/s3',
      settings: () =>
        map({
          bucket: 'artifacts',
          source: 'dist/**',
          target: `/builds/${expr(g, ctx)}`,
          region: g.chance(0.3) ? input(g, 'us-east-1') : 'us-east-1',
        }),
    },
    { image: 'harnesscommunitytest/maven-plugin:latest', settings: () => map({ Goals: 'clean install package' }) },
    {
      image: 'plugins/download',
      settings: () => map({ source: 'https://github.com/org/repo/archive/v1.tar.gz', destination: 'repo.tar.gz' }),
    },
    { image: 'aosapps/drone-sonar-plugin', settings: () => map({ sonar_host: '<+input>', sonar_token: '<+input>' }) },
  ]);
  const o: Record<string, Node | undefined> = { connectorRef: g.pick(CONNECTORS), image: p.image, settings: p.settings() };
  if (g.chance(0.08)) o['privileged'] = true;
  if (g.chance(0.08)) o['imagePullPolicy'] = 'IfNotPresent';
  if (g.chance(0.05)) o['entrypoint'] = seq(['/bin/plugin']);
  if (g.chance(0.05)) o['runAsUser'] = '1000';
  if (g.chance(0.15)) {
    o['reports'] = map({ type: 'JUnit', spec: map({ paths: seq(['reports/*.xml']) }) });
    g.feat('gap-pluginReports');
  }
  return map(o);
}

/** ShellScript step (fixture: variables-at-use.yaml; doc "Shell Script step": source.spec.script, environmentVariables, outputVariables name/type/value, executionTarget, onDelegate). */
export function shellScriptSpec(g: Gen, ctx: Ctx, declare: (names: string[]) => void): Node {
  const outs = g.chance(0.45) ? g.sample(OUT_WORDS, g.int(1, 2)) : [];
  const script = command(g, ctx, 'Bash', outs);
  const o: Record<string, Node | undefined> = {
    shell: g.chance(0.9) ? 'Bash' : 'PowerShell',
    executionTarget: map({}),
    source: map({ type: 'Inline', spec: map({ script }) }),
    environmentVariables: seq(g.chance(0.5) ? [map({ name: 'TARGET', type: 'String', value: envValue(g, ctx) })] : []),
    outputVariables: seq(outs.map((name) => map({ name, type: 'String', value: name }))),
  };
  if (g.chance(0.5)) o['onDelegate'] = true;
  if (g.chance(0.2)) o['delegateSelectors'] = seq(['linux-delegate']);
  if (outs.length) g.feat('output-variables-shellscript');
  declare(outs);
  return map(o);
}

/** Http step (doc "HTTP step": url, method, headers, outputVariables with <+httpResponseBody>, assertion). */
export function httpSpec(g: Gen, ctx: Ctx, declare: (names: string[]) => void): Node {
  const outs = g.chance(0.4) ? ['STATUS'] : [];
  const o: Record<string, Node | undefined> = {
    url: `https://api.example.com/deployments/${expr(g, ctx)}`,
    method: g.pick(['GET', 'POST']),
    headers: seq([map({ key: 'Content-Type', value: 'application/json' })]),
    inputVariables: seq([]),
    outputVariables: seq(outs.map((name) => map({ name, type: 'String', value: '<+json.object(httpResponseBody).status>' }))),
    assertion: '<+httpResponseCode> == 200',
  };
  if (o['method'] === 'POST') o['requestBody'] = '{"ref": "<+codebase.commitSha>"}';
  declare(outs);
  return map(o);
}

export function securitySpec(g: Gen, type: string): Node {
  // doc "STO scanner step" (mode, config, target, advanced.log)
  return map({
    mode: g.pick(['orchestration', 'ingestion']),
    config: 'default',
    target: map({ type: g.pick(['repository', 'container']), detection: 'auto' }),
    advanced: map({ log: map({ level: 'info' }) }),
    ...(type === 'Snyk' ? { auth: map({ access_token: '<+secrets.getValue("snyk_token")>' }) } : {}),
  });
}

export function cdSpec(type: string): Node {
  if (type === 'TerraformPlan' || type === 'TerragruntPlan')
    return map({
      provisionerIdentifier: 'tf_main',
      configuration: map({
        command: 'Apply',
        configFiles: map({
          store: map({
            type: 'Github',
            spec: map({ gitFetchType: 'Branch', connectorRef: 'github', branch: 'main', folderPath: 'infra' }),
          }),
        }),
        secretManagerRef: 'harnessSecretManager',
      }),
    });
  return map({
    runType: 'Apply',
    runMessage: 'from Harness',
    spec: map({ connectorRef: 'tfcloud', organization: 'acme', workspace: 'app', provisionerIdentifier: 'tfc', discardPendingRuns: false }),
  });
}

export function otherSpec(g: Gen, type: string, ctx: Ctx): Node {
  switch (type) {
    case 'RunTests':
      // doc "Run Tests step" (language, buildTool, args, runOnlySelectedTests)
      return map({
        connectorRef: g.pick(CONNECTORS),
        image: 'maven:3.9-eclipse-temurin-17',
        language: 'Java',
        buildTool: 'Maven',
        args: 'test',
        packages: 'io.harness.',
        runOnlySelectedTests: true,
        reports: map({ type: 'JUnit', spec: map({ paths: seq(['**/*.xml']) }) }),
      });
    case 'GitClone':
      return map({
        connectorRef: 'account.github',
        repoName: 'shared-lib',
        build: map({ type: 'branch', spec: map({ branch: 'main' }) }),
        cloneDirectory: '/harness/shared',
      });
    case 'BuildAndPushDockerRegistry':
      // corpus: example-17 (repo, caching, tags, dockerfile, context, labels, buildArgs, target)
      return map({
        connectorRef: g.chance(0.2) ? '<+input>' : 'account.dockerhub',
        repo: 'octocat/hello-world',
        tags: seq(['latest', `<+pipeline.sequenceId>`]),
        caching: true,
        dockerfile: 'Dockerfile',
        context: '.',
        labels: map({ latest: 'asd' }),
        buildArgs: map({ GITHUB_ACCESS_TOKEN: '<+secrets.getValue("gh_token")>' }),
      });
    case 'Action':
      // doc "Use GitHub Actions": uses, with, env
      return map({ uses: 'actions/setup-go@v5', with: map({ 'go-version': '1.22' }), env: map({ GOPROXY: 'https://proxy.golang.org' }) });
    case 'SaveCacheS3':
      return map({
        connectorRef: 'aws',
        region: 'us-east-1',
        bucket: 'ci-cache',
        key: 'cache-{{ checksum "go.sum" }}',
        sourcePaths: seq(['/go/pkg/mod']),
        archiveFormat: 'Tar',
      });
    case 'RestoreCacheGCS':
      return map({ connectorRef: 'gcp', bucket: 'ci-cache', key: 'npm-{{ checksum "package-lock.json" }}', archiveFormat: 'Tar' });
    case 'ArtifactoryUpload':
      // corpus: currentStateSamples (sourcePath, target)
      return map({ connectorRef: 'artifactory', sourcePath: 'target/output1.txt', target: '/artifactory/generic-local/op-ci/' });
    case 'Wait':
      return map({ duration: g.pick(['10m', '1h']) });
    case 'Email':
      return map({ to: 'team@example.com', cc: '', subject: `Pipeline ${expr(g, ctx)}`, body: 'Deployed <+pipeline.sequenceId>' });
    case 'JiraCreate':
      return map({
        connectorRef: 'jira',
        projectKey: 'OPS',
        issueType: 'Task',
        fields: seq([map({ name: 'Summary', value: 'Deploy <+pipeline.sequenceId>' })]),
      });
    default:
      return map({});
  }
}
