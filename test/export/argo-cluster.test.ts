/**
 * Opt-in end to end on a real cluster: runs only when KUBECONFIG names a kubeconfig file and
 * kubectl reaches a cluster with Argo Workflows installed (no cluster can run on the machines
 * CI uses, so there it is skipped, saying why). Submits the exported workflow, waits for it,
 * checks the step that reads the service's answer, and that no daemon pod is left running.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { REPO, runCli } from '../helpers.js';

const kubeconfig = process.env['KUBECONFIG'];
const reason = !kubeconfig
  ? 'KUBECONFIG is not set'
  : !existsSync(kubeconfig)
    ? `KUBECONFIG=${kubeconfig} does not exist`
    : spawnSync('kubectl', ['get', 'crd', 'workflows.argoproj.io'], { stdio: 'ignore', timeout: 20_000 }).status !== 0
      ? 'kubectl does not reach a cluster with the Argo Workflows CRD'
      : undefined;

const kubectl = (...args: string[]) => execFileSync('kubectl', args, { encoding: 'utf8', timeout: 60_000 });

describe.skipIf(reason !== undefined)(`export --target argo on a cluster${reason ? ` (skipped: ${reason})` : ''}`, () => {
  test(
    'the workflow succeeds, the consumer read the service by its step id, no daemon pod is left',
    async () => {
      const r = await runCli(
        ['export', join('test', 'fixtures', 'export', 'cluster-smoke.yaml'), '--target', 'argo', '-o', '/tmp/pw-argo-e2e.yaml'],
        REPO,
      );
      expect(r.code).toBe(0);
      const name = kubectl('create', '-f', '/tmp/pw-argo-e2e.yaml', '-o', 'jsonpath={.metadata.name}').trim();
      const deadline = Date.now() + 10 * 60_000;
      let phase = '';
      while (Date.now() < deadline) {
        phase = kubectl('get', 'workflow', name, '-o', 'jsonpath={.status.phase}').trim();
        if (['Succeeded', 'Failed', 'Error'].includes(phase)) break;
        await new Promise((done) => setTimeout(done, 5000));
      }
      expect(phase).toBe('Succeeded');
      const logs = kubectl('logs', '-l', `workflows.argoproj.io/workflow=${name},pipewright.dev/step=smoke.show`, '-c', 'main');
      expect(logs).toContain('the service said hello');
      const running = kubectl(
        'get',
        'pods',
        '-l',
        `workflows.argoproj.io/workflow=${name}`,
        '--field-selector=status.phase=Running',
        '-o',
        'name',
      ).trim();
      expect(running).toBe('');
      kubectl('delete', 'workflow', name);
    },
    11 * 60_000,
  );
});
