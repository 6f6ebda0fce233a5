/**
 * A folder of files beside a registry served in this process, with Step templates (by default
 * `account.a`, `account.b` and `account.c`) at 1.0.0 published, and the CLI run in-process
 * against both.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createToken, startRegistry, type RunningRegistry } from '../../registry/index.js';
import { onePipeline, runCli, tempDir, type CliRun } from '../helpers.js';
import { stepTemplate } from '../registry/fixtures.js';

const running: RunningRegistry[] = [];

/** Closes every registry `registryFolder` started (call from afterEach). */
export async function closeRegistries(): Promise<void> {
  for (const r of running.splice(0)) await r.close();
}

/** A pipeline whose steps use `account.<ref>` at `^1`, one step per ref. */
export const uses = (...refs: string[]) =>
  onePipeline(
    refs
      .map((r, i) => `              - step: {name: s${i}, identifier: s${i}, template: {templateRef: account.${r}, versionLabel: ^1}}\n`)
      .join(''),
  );

export interface RegistryFolder {
  dir: string;
  url: string;
  token: string;
  /** The environment `cli` runs with. */
  env: NodeJS.ProcessEnv;
  /** The CLI in `dir`, with PIPEWRIGHT_REGISTRY, PIPEWRIGHT_TOKEN and a cache of the folder's own. */
  cli: (...args: string[]) => Promise<CliRun>;
}

export async function registryFolder(files: Record<string, string>, templates = ['a', 'b', 'c']): Promise<RegistryFolder> {
  const dir = tempDir(files, 'pw-regfolder-');
  const reg = await startRegistry({ db: join(dir, 'r.db'), port: 0, log: () => undefined });
  running.push(reg);
  const token = createToken(reg.db, 'boss', 'admin');
  const env = { ...process.env, PIPEWRIGHT_CACHE: join(dir, 'cache'), PIPEWRIGHT_REGISTRY: reg.url, PIPEWRIGHT_TOKEN: token };
  const cli = (...args: string[]) => runCli(args, dir, { env });
  for (const t of templates) {
    writeFileSync(join(dir, `${t}.tpl`), stepTemplate(t, '1.0.0'));
    const r = await cli('template', 'publish', `${t}.tpl`);
    if (r.code !== 0) throw new Error(r.stderr);
  }
  return { dir, url: reg.url, token, env, cli };
}
