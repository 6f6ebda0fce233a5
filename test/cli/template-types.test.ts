/**
 * Template types beyond Step, StepGroup, Stage and Pipeline (issue 14, point 2): Harness's
 * CustomDeployment, ArtifactSource, MonitoredService and SecretManager templates validate
 * (their spec opaque to pipewright), are published, listed (by type too), shown, and offered
 * in the catalog's type filter. A reference to one from a step is a type mismatch (PW4005).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { onePipeline, runCli, tempDir } from '../helpers.js';
import { closeRegistries, registryFolder } from './registry-folder.js';

afterEach(closeRegistries);

const DEPLOY = `template:
  name: ssh deploy
  identifier: ssh_deploy
  versionLabel: "1.0.0"
  type: CustomDeployment
  spec:
    infrastructure:
      variables:
        - {name: host, type: String, value: <+input>}
      fetchInstancesScript:
        store: {type: Inline, spec: {content: echo hosts}}
      instanceAttributes:
        - {name: hostname, jsonPath: host}
    execution:
      stepTemplateRefs: [account.ssh_step]
`;
const ARTIFACT =
  'template:\n  name: nexus\n  identifier: nexus_source\n  versionLabel: "2.1.0"\n  type: ArtifactSource\n  spec:\n    type: Nexus3Registry\n    spec: {connectorRef: nexus, repository: maven}\n';

/** A deployment stage naming a deployment template no template source has. */
const UNPUBLISHED_DEPLOY = `pipeline:
  name: p
  identifier: p
  stages:
    - stage:
        name: deploy
        identifier: deploy
        type: Deployment
        spec:
          deploymentType: CustomDeployment
          customDeploymentRef: {templateRef: account.elsewhere, versionLabel: "1"}
          execution:
            steps:
              - step: {name: fetch, identifier: fetch, type: FetchInstanceScript, spec: {}}
`;

describe('opaque template types', () => {
  test('validate; publish, list by type, show', async () => {
    const f = await registryFolder({ 'deploy.yaml': DEPLOY, 'artifact.yaml': ARTIFACT }, []);
    const v = await runCli(['validate', 'deploy.yaml', 'artifact.yaml', '--strict'], f.dir);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    const pub = await f.cli('template', 'publish', 'deploy.yaml', 'artifact.yaml');
    expect(pub.code, pub.stderr).toBe(0);
    expect(pub.stdout).toMatch(/^published\s+account\.ssh_deploy@1\.0\.0\s/m);
    expect(pub.stdout).toMatch(/^published\s+account\.nexus_source@2\.1\.0\s/m);
    const list = await f.cli('template', 'list', '--type', 'CustomDeployment');
    expect(list.stdout).toMatch(/^account\.ssh_deploy\s+CustomDeployment\s+1\.0\.0/m);
    expect(list.stdout).not.toMatch(/nexus_source/);
    const show = await f.cli('template', 'show', 'account.nexus_source');
    expect(show.stdout).toContain('type: Nexus3Registry');
    const page = await fetch(`${f.url}/?type=ArtifactSource`, { headers: { Authorization: `Bearer ${f.token}` } });
    const html = await page.text();
    expect(html).toMatch(/<option value="ArtifactSource" selected/);
    expect(html).toContain('account.nexus_source');
    expect(html).not.toContain('account.ssh_deploy');
  });

  test('a step referencing one is a type mismatch, located at the reference', async () => {
    const dir = tempDir({
      'templates/deploy.yaml': DEPLOY,
      'p.yaml': onePipeline(
        '              - step: {name: s, identifier: s, template: {templateRef: account.ssh_deploy, versionLabel: 1.0.0}}\n',
      ),
    });
    const r = await runCli(['compile', 'p.yaml', '-t', 'templates'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^p\.yaml:12:\d+: error PW4005 /m);
  });

  test("a deployment stage's customDeploymentRef and artifact source template are resolved, locked, recorded in the plan and counted in the audit inventory", async () => {
    const pipeline = `pipeline:
  name: p
  identifier: p
  stages:
    - stage:
        name: deploy
        identifier: deploy
        type: Deployment
        spec:
          deploymentType: CustomDeployment
          customDeploymentRef: {templateRef: account.ssh_deploy, versionLabel: "1.0.0"}
          service:
            serviceDefinition:
              type: CustomDeployment
              spec:
                customDeploymentRef: {templateRef: account.ssh_deploy}
                artifacts:
                  primary:
                    sources:
                      - identifier: jar
                        template: {templateRef: account.nexus_source, versionLabel: "2.1.0"}
          execution:
            steps:
              - step: {name: fetch, identifier: fetch, type: FetchInstanceScript, spec: {}}
`;
    const f = await registryFolder(
      { 'deploy.yaml': DEPLOY, 'artifact.yaml': ARTIFACT, 'fleet/p.yaml': pipeline, 'policy.yaml': 'policy:\n  name: p\n  rules: []\n' },
      [],
    );
    expect((await f.cli('template', 'publish', 'deploy.yaml', 'artifact.yaml', '--label', 'stable')).code).toBe(0);
    const c = await f.cli('compile', 'fleet/p.yaml', '-o', 'plan.json');
    expect(c.code, c.stderr).toBe(0);
    const plan = JSON.parse(readFileSync(join(f.dir, 'plan.json'), 'utf8')) as {
      templates: { ref: string; version: string }[];
      stages: { references?: { field: string; ref: string; version?: string; origin: { line: number } }[] }[];
    };
    expect(plan.templates.map((t) => `${t.ref}@${t.version}`)).toEqual(['account.nexus_source@2.1.0', 'account.ssh_deploy@1.0.0']);
    expect(plan.stages[0]!.references!.map((r) => `${r.field} ${r.ref}@${r.version} line ${r.origin.line}`)).toEqual([
      'customDeploymentRef account.ssh_deploy@1.0.0 line 11',
      'customDeploymentRef account.ssh_deploy@1.0.0 line 16',
      'artifactSource account.nexus_source@2.1.0 line 21',
    ]);
    const lock = readFileSync(join(f.dir, 'fleet', 'pipewright.lock'), 'utf8');
    expect(lock).toContain('account.ssh_deploy');
    expect(lock).toContain('account.nexus_source');
    const frozen = await f.cli('compile', 'fleet/p.yaml', '--frozen-lockfile', '-o', 'plan2.json');
    expect(frozen.code, frozen.stderr).toBe(0);
    const audit = await f.cli('audit', 'fleet', '--policy', 'policy.yaml', '--format', 'json');
    expect(audit.code, audit.stderr).toBe(0);
    const report = JSON.parse(audit.stdout) as { inventory: { ref: string; versions: { version: string; uses: number }[] }[] };
    expect(report.inventory.map((t) => `${t.ref} ${t.versions.map((v) => `${v.version}x${v.uses}`).join(',')}`)).toEqual([
      'account.nexus_source 2.1.0x1',
      'account.ssh_deploy 1.0.0x2',
    ]);
  });

  test('a deployment template no source has: warning PW4012 at compile, and --frozen-lockfile does not dead-lock on it (lock cannot pin it)', async () => {
    const f = await registryFolder({ 'fleet/p.yaml': UNPUBLISHED_DEPLOY }, []);
    const c = await f.cli('compile', 'fleet/p.yaml', '-o', 'plan.json');
    expect(c.code, c.stderr).toBe(0);
    expect(c.stderr).toMatch(
      /fleet\/p\.yaml:11:\d+: warning PW4012 CustomDeployment template account\.elsewhere is not in the template sources/,
    );
    const lock = await f.cli('lock', 'fleet');
    expect(lock.code, lock.stderr).toBe(0);
    const frozen = await f.cli('compile', 'fleet/p.yaml', '--frozen-lockfile', '-o', 'plan2.json');
    expect(frozen.code, frozen.stderr).toBe(0);
    expect(frozen.stderr).toMatch(/warning PW4012 CustomDeployment template account\.elsewhere@1 is not in pipewright\.lock/);
  });

  test('a locked policy flags a deployment template no lock pins, with or without --frozen-lockfile (the frozen audit passed), and the inventory lists it unresolved', async () => {
    const policy = 'policy:\n  name: p\n  rules:\n    - {id: locked, severity: error, scope: pipeline, require: {locked: true}}\n';
    const f = await registryFolder({ 'fleet/p.yaml': UNPUBLISHED_DEPLOY, 'policy.yaml': policy }, []);
    expect((await f.cli('lock', 'fleet')).code).toBe(0);
    for (const extra of [[], ['--frozen-lockfile']]) {
      const a = await f.cli('audit', 'fleet', '--policy', 'policy.yaml', '--format', 'json', ...extra);
      expect(a.code, `${extra.join(' ')}: ${a.stdout}${a.stderr}`).toBe(1);
      const report = JSON.parse(a.stdout) as {
        violations: { message: string }[];
        inventory: { ref: string; versions: { version: string; uses: number }[] }[];
      };
      expect(report.violations.map((v) => v.message)).toEqual([
        'CustomDeployment template account.elsewhere@1 is not pinned by a lockfile (no template source has it)',
      ]);
      expect(report.inventory).toEqual([
        { ref: 'account.elsewhere', versions: [expect.objectContaining({ version: 'unresolved', uses: 1 })] },
      ]);
    }
  });

  test('a template folder holding a file that cannot be read: a reference not found there is an error naming that file, never "not found" (a warning for a deployment template, a placeholder with --partial)', async () => {
    const pipeline = onePipeline(
      '              - step: {name: s, identifier: s, template: {templateRef: account.ssh_step, versionLabel: 1.0.0}}\n',
    ).replace(
      '        type: CI\n        spec:\n',
      '        type: Deployment\n        spec:\n          customDeploymentRef: {templateRef: account.ssh_deploy, versionLabel: 1.0.0}\n',
    );
    const dir = tempDir({
      'p.yaml': pipeline,
      'templates/deploy.yaml': DEPLOY.replace('content: echo hosts', "content: echo '[]'}"),
      'templates/ok.yaml': ARTIFACT,
    });
    for (const extra of [[], ['--partial']]) {
      const r = await runCli(['compile', 'p.yaml', '-t', 'templates', ...extra], dir);
      expect(r.code, extra.join(' ')).toBe(2);
      expect(r.stderr).toMatch(
        /error PW4008 template account\.ssh_deploy not found in .*which holds files that could not be read \(templates\/deploy\.yaml:\d+:\d+: /,
      );
      expect(r.stderr).toMatch(/error PW4008 template account\.ssh_step not found/);
    }
  });
});
