/**
 * Template types beyond Step, StepGroup, Stage and Pipeline (issue 14, point 2): Harness's
 * CustomDeployment, ArtifactSource, MonitoredService and SecretManager templates validate
 * (their spec opaque to pipewright), are published, listed (by type too), shown, and offered
 * in the catalog's type filter. A reference to one from a step is a type mismatch (PW4005).
 */
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
const ARTIFACT = 'template:\n  name: nexus\n  identifier: nexus_source\n  versionLabel: "2.1.0"\n  type: ArtifactSource\n  spec:\n    type: Nexus3Registry\n    spec: {connectorRef: nexus, repository: maven}\n';

describe('opaque template types', () => {
  test('validate; publish, list by type, show', async () => {
    const f = await registryFolder({ 'deploy.yaml': DEPLOY, 'artifact.yaml': ARTIFACT }, []);
    const v = await runCli(['validate', 'deploy.yaml', 'artifact.yaml', '--strict'], f.dir);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    const pub = await f.cli('template', 'publish', 'deploy.yaml', 'artifact.yaml');
    expect(pub.code, pub.stderr).toBe(0);
    expect(pub.stdout).toMatch(/published account\.ssh_deploy@1\.0\.0/);
    expect(pub.stdout).toMatch(/published account\.nexus_source@2\.1\.0/);
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
    const dir = tempDir({ 'templates/deploy.yaml': DEPLOY, 'p.yaml': onePipeline('              - step: {name: s, identifier: s, template: {templateRef: account.ssh_deploy, versionLabel: 1.0.0}}\n') });
    const r = await runCli(['compile', 'p.yaml', '-t', 'templates'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^p\.yaml:12:\d+: error PW4005 /m);
  });
});
