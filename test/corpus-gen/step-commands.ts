/**
 * What a container step runs with, for the corpus generator: its command (in the step's
 * shell, using expressions and writing output variables), env variables (with YAML
 * anchors and aliases) and image with connector.
 */
import { expr } from './expressions.js';
import type { Gen } from './gen.js';
import { input } from './inputs.js';
import type { Ctx } from './model.js';
import { CONNECTORS, IMAGES } from './vocabulary.js';
import { map, type Node } from './yaml-emit.js';

/** A value for an env variable: literal, expression, runtime input or a mix (corpus: currentStateSamples envVariables). */
export function envValue(g: Gen, ctx: Ctx): Node {
  const r = g.r();
  if (r < 0.35) return g.pick(['true', 'production', '/usr/local/bin', '8080', 'info', '1', 'release/1.2', 'ünïcode ✓']);
  if (r < 0.75) return expr(g, ctx);
  if (r < 0.85) return input(g, g.pick(['main', 'info', '"a b"']), g.chance(0.3) ? ['main', 'info', 'debug'] : undefined);
  return `${g.pick(['prefix-', 'v', 'https://example.com/'])}${expr(g, ctx)}`;
}

export function envVariables(g: Gen, ctx: Ctx): Node {
  // An anchored block of static env variables, aliased by later steps (YAML anchors; README PW1003 alias limit).
  if (g.envAnchor && g.chance(0.3)) {
    g.feat('alias');
    return { t: 'alias', name: g.envAnchor };
  }
  const names = g.sample(
    ['GOFLAGS', 'NODE_ENV', 'LOG_LEVEL', 'REGION', 'TAG', 'BRANCH', 'API_URL', 'MAVEN_OPTS', 'CI', 'DEPLOY_ENV', 'PATH+MAVEN'],
    g.int(1, 4),
  );
  if (g.chance(0.08)) {
    const anchor = `env${++g.anchorCount}`;
    const m = map(Object.fromEntries(names.map((n) => [n, g.pick(['true', 'production', 'info', '-Xmx1g'])])));
    m.anchor = anchor;
    g.envAnchor = anchor;
    return m;
  }
  return map(Object.fromEntries(names.map((n) => [n, envValue(g, ctx)])));
}

/** A command that uses expressions, in the step's shell (corpus: .harness__harness.yaml multi-line go commands). */
export function command(g: Gen, ctx: Ctx, shell: string, outputs: string[]): string {
  const lines: string[] = [];
  const e = () => expr(g, ctx);
  const nExpr = g.int(0, 2);
  if (shell === 'Python') {
    lines.push('import os');
    for (let i = 0; i < nExpr; i++) lines.push(`print("${g.pick(['value', 'building', 'ref'])}: ${e()}")`);
    for (const o of outputs) lines.push(`os.environ["${o}"] = "${g.pick(['1.2.3', 'ok', 'true'])}"`);
    if (!lines.length) lines.push('print("hello")');
  } else if (shell === 'Pwsh' || shell === 'PowerShell' || shell === 'Powershell') {
    for (let i = 0; i < nExpr; i++) lines.push(`Write-Host "${e()}"`);
    for (const o of outputs) lines.push(`$env:${o} = "${g.pick(['1.2.3', 'ok', 'true'])}"`);
    lines.push(g.pick(['Write-Host done', 'Get-ChildItem', 'dotnet build']));
  } else {
    const pool = [
      'go build ./...',
      'go test -coverprofile=cover.out ./...',
      'npm ci',
      'npm test -- --ci',
      'mvn -B verify',
      'make build',
      './gradlew check',
      'pytest -q',
      'docker version',
      'ls -la',
      'cargo test',
      'terraform init -input=false',
    ];
    for (let i = g.int(1, 3); i > 0; i--) lines.push(g.pick(pool));
    for (let i = 0; i < nExpr; i++) lines.push(`echo "${g.pick(['deploying', 'tag', 'env'])} ${e()}"`);
    for (const o of outputs)
      lines.push(g.chance(0.5) ? `export ${o}=$(git rev-parse --short HEAD)` : `${o}="${g.pick(['1.2.3', 'ok', 'true'])}"`);
    // Untouched text (fixture: untouched-text.yaml — shell braces, Go templates)
    if (g.chance(0.1)) lines.push(g.pick(['echo "${HOME}/{a,b}"', "docker inspect --format '{{ .Id }}' app", "awk '{print $1}' out.txt"]));
  }
  if ((shell === 'Sh' || shell === 'Bash') && g.chance(0.15)) return lines.join(' && ');
  return lines.join('\n');
}

export function image(g: Gen, ctx: Ctx, shell?: string): { image?: Node; connectorRef?: Node } {
  if (!ctx.needsImage && g.chance(0.35)) return {};
  const image =
    shell === 'Pwsh' || shell === 'PowerShell' || shell === 'Powershell'
      ? 'mcr.microsoft.com/powershell:latest'
      : shell === 'Python'
        ? 'python:3.12-slim'
        : g.chance(0.05)
          ? input(g, 'alpine:3.19')
          : g.pick(IMAGES);
  return { connectorRef: g.chance(0.1) ? '<+input>' : g.pick(CONNECTORS), image };
}
