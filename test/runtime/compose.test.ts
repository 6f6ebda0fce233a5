/**
 * The `docker compose` example (examples/compose) on a real engine: its pipeline as written,
 * with the compose binary this machine has, the port and readiness check of the test
 * services, and the images swapped for the busybox test image (no registry is reachable).
 * Skipped only without an engine or compose; CI installs both.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { REPO, tempDir } from '../helpers.js';
import { dockerAvailable, DOCKER, ensureTestImage, TEST_IMAGE } from '../support/docker-env.js';
import { freePort, runYaml } from './harness.js';

/** `docker compose` when the plugin answers, else the older `docker-compose`, else undefined. */
function composeCommand(): string | undefined {
  if (spawnSync(DOCKER, ['compose', 'version'], { stdio: 'ignore' }).status === 0) return `${DOCKER} compose`;
  if (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0) return 'docker-compose';
  return undefined;
}

const compose = dockerAvailable() ? composeCommand() : undefined;
if (!compose && process.env['CI'] === 'true')
  throw new Error('CI needs docker compose (Debian package docker-compose) for the compose example test');

/** Two services on the host network (loopback only), each with an init so SIGTERM works. */
const services = (port: number) => `services:
  db:
    image: ${TEST_IMAGE}
    network_mode: host
    init: true
    command: sh -c "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 127.0.0.1:${port} -h /www"
  cache:
    image: ${TEST_IMAGE}
    network_mode: host
    init: true
    command: sleep 300
`;

/** The example pipeline, adapted to the test services; `check` replaces the postgres probe. */
function example(port: number, check: string): string {
  return readFileSync(join(REPO, 'examples', 'compose', 'pipeline.yaml'), 'utf8')
    .replaceAll('docker compose', compose!)
    .replace('port: 5432', `port: ${port}`)
    .replace('exec -T db pg_isready -U postgres', check);
}

function leftovers(runId: string): string {
  return spawnSync(DOCKER, ['ps', '-aq', '--filter', `label=com.docker.compose.project=pw-${runId}`], { encoding: 'utf8' }).stdout.trim();
}

describe.skipIf(!compose)('docker compose example', () => {
  beforeAll(() => ensureTestImage());

  test('services start and answer; teardown removes them after success and after failure', async () => {
    for (const [check, status] of [
      [`exec -T db wget -qO- http://127.0.0.1:PORT/`, 'success'],
      ['exec -T db false', 'failed'],
    ] as const) {
      const port = await freePort();
      const dir = tempDir({ 'compose.yaml': services(port) }, 'pw-compose-');
      const r = await runYaml(example(port, check.replace('PORT', String(port))), { workspace: dir, graceMs: 15_000 });
      expect(r.report.status, r.out).toBe(status);
      expect(r.step('integration.services').readyMs).toBeGreaterThanOrEqual(0);
      if (status === 'success') expect(r.out).toMatch(/\[integration\.tests\] ok/);
      expect(r.out).toMatch(/Removing pw-.*db/);
      expect(leftovers(r.runner.runId)).toBe('');
    }
  }, 120_000);
});

test('the compose example as written validates', () => {
  const dir = tempDir({ 'pipeline.yaml': readFileSync(join(REPO, 'examples', 'compose', 'pipeline.yaml'), 'utf8') });
  const r = spawnSync(process.execPath, [join(REPO, 'dist', 'cli', 'bin.js'), 'validate', 'pipeline.yaml'], { cwd: dir, encoding: 'utf8' });
  expect(r.status, r.stdout + r.stderr).toBe(0);
});
