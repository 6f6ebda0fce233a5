/**
 * Docker test environment: whether an engine answers, and the test image (imported from the
 * host's static busybox — no registry is reachable). Tests that need Docker are skipped only
 * when no engine answers outside CI; under CI=true they fail instead.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, symlinkSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TEST_IMAGE = 'pipewright-test/busybox:1';
export const DOCKER = process.env['PIPEWRIGHT_DOCKER'] || 'docker';

export function dockerAvailable(): boolean {
  const ok = spawnSync(DOCKER, ['info', '--format', '{{.ServerVersion}}'], { stdio: 'ignore', timeout: 15_000 }).status === 0;
  if (!ok && process.env['CI'] === 'true') throw new Error('CI=true but no Docker engine answers: .ci/run must start one');
  return ok;
}

/** Imports the busybox test image when it is missing. */
export function ensureTestImage(): void {
  if (spawnSync(DOCKER, ['image', 'inspect', TEST_IMAGE], { stdio: 'ignore' }).status === 0) return;
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
  if (!busybox) throw new Error('the Docker tests need a static busybox (Debian package busybox-static) to build their image');
  const root = mkdtempSync(join(tmpdir(), 'pw-rootfs-'));
  chmodSync(root, 0o755); // mkdtemp makes it 0700: a non-root user could not reach /bin
  mkdirSync(join(root, 'bin'));
  copyFileSync(busybox, join(root, 'bin', 'busybox'));
  for (const c of ['sh', 'sleep', 'echo', 'cat', 'nc', 'wget', 'httpd', 'env', 'date', 'true', 'false', 'ls', 'id', 'kill'])
    symlinkSync('busybox', join(root, 'bin', c));
  const tar = spawnSync('tar', ['-C', root, '-c', '.'], { maxBuffer: 64 << 20 });
  const imp = spawnSync(DOCKER, ['import', '-', TEST_IMAGE], { input: tar.stdout });
  if (imp.status !== 0) throw new Error(`docker import failed: ${imp.stderr.toString()}`);
}

/** Names of containers labelled with a run. */
export function containersOf(runId: string): string[] {
  const r = spawnSync(DOCKER, ['ps', '-a', '--filter', `label=pipewright.run=${runId}`, '--format', '{{.Names}}'], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean);
}
