/**
 * A registry served in the test's process on a free port, with an admin token and a CLI
 * bound to it; closed after each test (the file calling `liveRegistries()` registers that).
 */
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { createToken, startRegistry, type RunningRegistry } from '../../registry/index.js';
import { runCli, tempDir, type CliRun } from '../helpers.js';

export interface LiveRegistry {
  dir: string;
  reg: RunningRegistry;
  admin: string;
  /** `pipewright ARGS --registry URL --token ADMIN` in `dir`. */
  cli: (...args: string[]) => Promise<CliRun>;
}

/** Registers the cleanup in the calling test file; returns the function that starts a registry. */
export function liveRegistries(): (opts?: { anonymousRead?: boolean }) => Promise<LiveRegistry> {
  const running: RunningRegistry[] = [];
  afterEach(async () => {
    for (const r of running.splice(0)) await r.close();
  });
  return async (opts = {}) => {
    const dir = tempDir({}, 'pw-live-reg-');
    const reg = await startRegistry({
      db: join(dir, 'r.db'),
      port: 0,
      log: () => undefined,
      ...(opts.anonymousRead ? { anonymousRead: true } : {}),
    });
    running.push(reg);
    const admin = createToken(reg.db, 'boss', 'admin');
    process.env['PIPEWRIGHT_CACHE'] = join(dir, 'cache');
    const cli = (...args: string[]) => runCli([...args, '--registry', reg.url, '--token', admin], dir);
    return { dir, reg, admin, cli };
  };
}
