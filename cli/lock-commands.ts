/**
 * `lock` (re-resolve every reference of every pipeline of a folder and rewrite the folder's
 * pipewright.lock) and `outdated` (each locked reference against what its selector and
 * `stable` resolve to now, with deprecations; exit 1 when any is not `ok`, as `npm outdated`).
 */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { findPipelines } from '../audit/index.js';
import {
  Codes,
  compile,
  LOCKFILE_NAME,
  lockKey,
  lockPathFor,
  readLockfile,
  type Lockfile,
  type ResolveRequest,
  type TemplateSource,
} from '../compiler/index.js';
import { RegistryError, type RegistryClient } from '../client/index.js';
import { printDiagnostics } from './compile-commands.js';
import { Exit, ExitError, isFolder, type CliIO } from './io.js';
import { lockGroup, lockGroups, reportGroup } from './lock-folder.js';
import { buildSources, type Sources } from './sources.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

interface Flags {
  templates: string[];
  registry?: string;
  token?: string;
  json?: boolean;
}

interface LockFlags extends Flags {
  lockfile?: string;
  prune?: boolean;
  allowSunset?: boolean;
}

export function registerLockCommands(program: Command, io: CliIO): void {
  const cwd = io.cwd ?? process.cwd();
  const out = (s: string): void => void io.stdout.write(s + '\n');

  program
    .command('lock')
    .description("resolve every template reference of every pipeline of a folder again and rewrite the folder's pipewright.lock")
    .argument(
      '[paths...]',
      'pipeline files or folders (default: .); a file stands for every pipeline of its folder, a folder for every folder under it that holds pipelines',
      [],
    )
    .option('-t, --templates <dir>', 'template folder (repeatable; local templates are not locked)', collect, [])
    .option('--registry <url>', 'registry URL (default: PIPEWRIGHT_REGISTRY)')
    .option('--token <token>', 'registry token (default: PIPEWRIGHT_TOKEN)')
    .option('--lockfile <file>', 'one lockfile for every pipeline found (default: pipewright.lock in each folder)')
    .option('--prune', 'drop entries that no pipeline of the folder uses')
    .option('--allow-sunset', 'allow template versions past their deprecation sunset date (a warning), as compile does')
    .option('--json', 'print each written lock as JSON')
    .action(async (paths: string[], opts: LockFlags) => {
      const groups = lockGroups(paths.length ? paths : ['.'], cwd, opts.lockfile);
      let failed = 0;
      const json: { lockfile: string; pipelines: string[]; lock: Lockfile; unused: string[] }[] = [];
      for (const g of groups) {
        const r = await lockGroup(g, opts, io);
        if (!r) {
          failed++;
          continue;
        }
        if (opts.json) json.push(r);
        else reportGroup(r, !!opts.prune, out);
      }
      if (opts.json) out(JSON.stringify(json, null, 2));
      if (failed) throw new ExitError(Exit.INVALID);
    });

  program
    .command('outdated')
    .description(
      'each locked reference of a pipeline (or of every pipeline of a folder): locked version, newest in its range, stable, status; exit 1 when any status is not ok',
    )
    .argument('<path>', 'a pipeline file (its own references only, locked or not) or a folder (every entry of its pipewright.lock)')
    .option('-t, --templates <dir>', 'template folder (repeatable), when the pipeline uses local templates', collect, [])
    .option('--registry <url>', 'registry URL (default: PIPEWRIGHT_REGISTRY)')
    .option('--token <token>', 'registry token (default: PIPEWRIGHT_TOKEN)')
    .option('--lockfile <file>', 'lockfile path (default: pipewright.lock beside the pipeline, or in the folder)')
    .option('--json', 'print JSON')
    .action(async (path: string, opts: OutdatedFlags) => {
      const rows = await outdatedRows(path, opts, io);
      if (opts.json) out(JSON.stringify(rows, null, 2));
      else printRows(rows, out);
      const bad = rows.filter((r) => r.status !== 'ok').length;
      if (bad) throw new ExitError(Exit.FAILURE, `${bad} of ${rows.length} reference${rows.length === 1 ? ' is' : 's are'} not ok`);
    });
}

interface OutdatedFlags extends Flags {
  lockfile?: string;
}

/** A reference `outdated` reports on; `version` is absent when the lock does not hold it. */
interface Item {
  ref: string;
  selector: string;
  version?: string;
}

/** What the registry's batch resolve answers for one request. */
interface Resolved {
  ok: boolean;
  version?: string;
  deprecation?: { message: string; sunset?: string };
  yanked?: boolean;
}

/** One line of `outdated`. */
export interface OutdatedRow {
  ref: string;
  selector: string;
  locked: string;
  inRange: string;
  stable: string;
  /** ok, update in range, no version in range, deprecated, past sunset, yanked, not locked or not in registry. */
  status: string;
  deprecation?: { message: string; sunset?: string };
}

/** The rows of `outdated PATH`: exit 2 for a path that is neither a folder nor a pipeline. */
async function outdatedRows(path: string, opts: OutdatedFlags, io: CliIO): Promise<OutdatedRow[]> {
  const cwd = io.cwd ?? process.cwd();
  const target = resolve(cwd, path);
  const isDir = isFolder(target, path);
  if (!isDir && findPipelines([target]).files.length === 0)
    throw new ExitError(Exit.INVALID, `${path}: not a pipeline (no 'pipeline:' root)`);
  const lockPath = opts.lockfile ? resolve(cwd, opts.lockfile) : isDir ? join(target, LOCKFILE_NAME) : lockPathFor(target);
  let lock: Lockfile | undefined;
  try {
    lock = readLockfile(lockPath);
  } catch (e) {
    throw new ExitError(Exit.INVALID, (e as Error).message);
  }
  if (!lock && isDir) throw new ExitError(Exit.INVALID, `no ${lockPath}: run pipewright lock first`);
  const src = buildSources(opts, isDir ? undefined : target, io);
  if (!src.client) throw new ExitError(Exit.INVALID, 'outdated needs a registry: give --registry URL or set PIPEWRIGHT_REGISTRY');
  const items: Item[] = isDir ? Object.values(lock!.templates) : await itemsOf(target, lock, src, io);
  const results = await resolveItems(items, src.client);
  const today = new Date().toISOString().slice(0, 10);
  return items.map((e, i) => rowOf(e, results.slice(3 * i, 3 * i + 3) as [Resolved, Resolved, Resolved], today));
}

/** For each item, in one batch: its selector now, `stable` now, and its locked version. */
async function resolveItems(items: Item[], client: RegistryClient): Promise<Resolved[]> {
  const requests = items.flatMap((e) => [
    { ref: e.ref, selector: e.selector },
    { ref: e.ref, selector: '' },
    { ref: e.ref, selector: e.version ?? e.selector },
  ]);
  try {
    return (await client.request<{ results: Resolved[] }>('POST', '/api/v1/resolve', { requests })).body.results;
  } catch (e) {
    throw new ExitError(
      e instanceof RegistryError && e.status >= 400 && e.status < 500 ? Exit.INVALID : Exit.FAILURE,
      (e as Error).message,
    );
  }
}

function rowOf(e: Item, [inRange, stable, locked]: [Resolved, Resolved, Resolved], today: string): OutdatedRow {
  const dep = e.version && locked.ok ? locked.deprecation : undefined;
  const row = {
    ref: e.ref,
    selector: e.selector || 'stable',
    locked: e.version ?? '-',
    inRange: inRange.version ?? '-',
    stable: stable.version ?? '-',
  };
  return { ...row, status: statusOf(e, inRange, locked, today), ...(dep ? { deprecation: dep } : {}) };
}

/** The worst of what is true of a reference, first match wins. */
function statusOf(e: Item, inRange: Resolved, locked: Resolved, today: string): string {
  if (e.version === undefined) return inRange.ok ? 'not locked' : 'not in registry';
  if (!locked.ok) return 'not in registry';
  if (locked.yanked) return 'yanked';
  const dep = locked.deprecation;
  if (dep?.sunset && dep.sunset < today) return `past sunset ${dep.sunset}`;
  if (dep) return `deprecated${dep.sunset ? ` (sunset ${dep.sunset})` : ''}`;
  if (!inRange.ok) return 'no version in range';
  return inRange.version !== e.version ? 'update in range' : 'ok';
}

function printRows(rows: OutdatedRow[], out: (line: string) => void): void {
  out(['reference', 'selector', 'locked', 'in range', 'stable', 'status'].map((h, i) => h.padEnd([32, 12, 10, 10, 10, 0][i]!)).join(' '));
  for (const r of rows)
    out(
      `${r.ref.padEnd(32)} ${r.selector.padEnd(12)} ${r.locked.padEnd(10)} ${r.inRange.padEnd(10)} ${r.stable.padEnd(10)} ${r.status}${r.deprecation ? `: ${r.deprecation.message}` : ''}`,
    );
}

/**
 * The registry references one pipeline uses, nested ones included, each as its lock entry or
 * (not locked) as it is written, sorted by key. The pipeline is compiled through its lock
 * (locked versions asked for by exact version); every reference asked of the lock and
 * registry is recorded. References the registry does not have (PW4001, PW4002) do not stop it:
 * they are reported as `not in registry`.
 */
async function itemsOf(file: string, lock: Lockfile | undefined, src: Sources, io: CliIO): Promise<Item[]> {
  const asked = new Map<string, Item>();
  const sources = src.sources.map((s) => (s === src.locked ? recording(s, asked) : s));
  const result = await compile({ file, baseDir: io.cwd ?? process.cwd(), sources, partial: true, allowSunset: true });
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.some((d) => !UNRESOLVED.has(d.code))) {
    printDiagnostics(io, errors);
    throw new ExitError(Exit.INVALID, 'the pipeline does not compile, so its references are not known');
  }
  return [...asked].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, item]) => lock?.templates[k] ?? item);
}

/** Codes of a reference the sources do not have, which `outdated` reports as a status. */
const UNRESOLVED = new Set<string>([Codes.TEMPLATE_NOT_FOUND, Codes.NO_MATCHING_VERSION]);

/** `source`, recording the key of every reference asked of it in `asked`. */
function recording(source: TemplateSource, asked: Map<string, Item>): TemplateSource {
  return {
    name: source.name,
    resolve(requests: ResolveRequest[]) {
      for (const r of requests) asked.set(lockKey(r.ref, r.selector), { ref: r.ref, selector: r.selector });
      return source.resolve(requests);
    },
  };
}
