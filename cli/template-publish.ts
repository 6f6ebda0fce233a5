/**
 * `template publish FILE|FOLDER...`: publishes a set of template files as one step.
 *
 * 1. Folders are searched recursively for files whose root is `template:` (others are listed
 *    as skipped); files named on the command line must be templates.
 * 2. Every file gets every check the registry runs (`validateFiles` with the registry as the
 *    source of templates the set does not hold), and every version is looked up in the
 *    registry: the same version with other content is refused (versions are immutable).
 *    When any file is refused, nothing is published.
 * 3. The rest is published dependencies first (a template the set uses goes before its users),
 *    then `--label` points at the newest version of each template in the set.
 *
 * Exit 0 when every template was published or was already there identical; 1 when any was
 * refused; 2 for a usage problem (no registry, a path that does not exist, no template).
 * `--dry-run` runs 1 and 2 and reports what 3 would do, writing nothing.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import {
  Codes,
  ContentCache,
  defaultCacheDir,
  displayPath,
  formatDiagnostic,
  listYamlFiles,
  sortVersions,
  validateFiles,
  type Diagnostic,
  type ValidatedTemplate,
} from '../compiler/index.js';
import { registryFile, RegistryClient, RegistryError, RegistrySource } from '../client/index.js';
import { Exit, ExitError, type CliIO } from './io.js';
import { clientFor, enc, exitCodeOf, reportRegistryError, withApi, type ApiFlags } from './registry-api.js';
import { publishOrder } from './publish-order.js';
import { publishedState } from './published-versions.js';

type Status = 'published' | 'identical' | 'would publish' | 'refused' | 'not published' | 'skipped';

/** What happened to one file (`--json` prints these). */
export interface FileReport {
  file: string;
  status: Status;
  ref?: string;
  version?: string;
  digest?: string;
  /** Why it was refused, not published or skipped. */
  reason?: string;
  /** The label pointed at this version (or that would be). */
  label?: string;
  /** Its errors (refused), located in the author's files. */
  errors?: Diagnostic[];
}

interface PublishFlags extends ApiFlags {
  label?: string;
  dryRun?: boolean;
}

export function registerPublishCommand(template: Command, io: CliIO): void {
  withApi(
    template
      .command('publish')
      .description('check template files (and folders, recursively) as the registry does, then publish them, dependencies first')
      .argument('<paths...>', 'template files or folders')
      .option('--label <name>', 'point this label at the newest published version of each template')
      .option('--dry-run', 'run every check against the registry and say what would be published; write nothing'),
  ).action(async (paths: string[], opts: PublishFlags) => {
    const client = clientFor(opts, io);
    await checkCanPublish(client);
    const cwd = io.cwd ?? process.cwd();
    const reports = await publishAll(client, gather(paths, cwd), cwd, opts, io);
    print(reports, opts, io);
    if (reports.some((r) => r.status === 'refused' || r.status === 'not published')) throw new ExitError(Exit.FAILURE);
  });
}

/**
 * The token must be able to publish — checked first, so a dry run with a read-only token
 * fails as the publish would (exit 2). A registry without `GET /api/v1/token` is not asked.
 */
async function checkCanPublish(client: RegistryClient): Promise<void> {
  let token: { name: string; scope: string };
  try {
    token = (await client.request<{ name: string; scope: string }>('GET', '/api/v1/token')).body;
  } catch (e) {
    if (e instanceof RegistryError && e.status === 404) return;
    if (e instanceof RegistryError) throw new ExitError(exitCodeOf(e), e.message);
    throw e;
  }
  if (token.scope === 'read')
    throw new ExitError(Exit.INVALID, `the token '${token.name}' has scope read: publishing needs a publish or admin token`);
}

/** The files to publish (absolute) and what was skipped in folders. */
function gather(paths: string[], cwd: string): { files: string[]; skipped: FileReport[] } {
  const files: string[] = [];
  const skipped: FileReport[] = [];
  const seen = new Set<string>();
  for (const p of paths) {
    const full = resolve(cwd, p);
    let folder: boolean;
    try {
      folder = statSync(full).isDirectory();
    } catch {
      throw new ExitError(Exit.INVALID, `${p}: no such file or folder`);
    }
    const found = folder ? listYamlFiles(full) : [full];
    for (const f of found) {
      if (seen.has(f)) continue;
      seen.add(f);
      // In a folder, only files whose root is `template:` (a pipeline or a values file beside
      // them is not an error); a file named on the command line is checked whatever it holds.
      if (folder && !looksLikeTemplate(f)) skipped.push({ file: displayPath(f, cwd), status: 'skipped', reason: 'not a template' });
      else files.push(f);
    }
  }
  if (files.length === 0) throw new ExitError(Exit.INVALID, `no template files in ${paths.join(', ')}`);
  return { files, skipped };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A file whose root is `template:`, or one that cannot be read as text (the checks say why). */
function looksLikeTemplate(path: string): boolean {
  try {
    return /^template\s*:/m.test(UTF8.decode(readFileSync(path)));
  } catch {
    return true;
  }
}

async function publishAll(
  client: RegistryClient,
  { files, skipped }: { files: string[]; skipped: FileReport[] },
  cwd: string,
  opts: PublishFlags,
  io: CliIO,
): Promise<FileReport[]> {
  const registry = new RegistrySource(client, new ContentCache(defaultCacheDir(io.env ?? process.env)));
  const checked = await validateFiles(files, { baseDir: cwd, sources: [registry], requireTemplates: true });
  const reports = new Map<string, FileReport>();
  const candidates: ValidatedTemplate[] = [];
  for (const f of checked.files) {
    const ts = checked.templates.filter((t) => t.file === f.file);
    const t = ts[0];
    const errors = checked.diagnostics.filter((d) => d.file === f.file && d.severity === 'error');
    if (!t || !f.kinds.every((k) => k === 'template')) {
      const what = f.kinds.filter((k) => k !== 'template' && k !== 'unknown')[0];
      const problem: Diagnostic = {
        code: Codes.NOT_A_DOCUMENT,
        severity: 'error',
        message: what ? `holds a ${what}: only template files are published` : 'not a template file',
        file: f.file,
        line: 1,
        column: 1,
      };
      reports.set(f.file, {
        file: f.file,
        status: 'refused',
        ...(errors.length ? { reason: `${errors.length} error(s)`, errors } : { reason: problem.message, errors: [problem] }),
      });
      continue;
    }
    const base = { file: f.file, ref: t.ref, version: t.version, digest: t.digest };
    if (ts.length > 1 || t.documents > 1) {
      const problem = located(t, `a file publishes one template: this one holds ${t.documents} documents`, Codes.NOT_A_DOCUMENT);
      reports.set(f.file, { ...base, status: 'refused', reason: problem.message, errors: [problem] });
    } else if (t.errors.length || errors.length) {
      const all = dedupe([...errors, ...t.errors]);
      // Errors only in other files: it uses a template that is refused, or sits in a cycle.
      const elsewhere = [...new Set(all.filter((d) => d.file !== f.file).map((d) => d.file))];
      const reason = all.some((d) => d.file === f.file) ? `${all.length} error(s)` : `${all.length} error(s) in ${elsewhere.join(', ')}`;
      reports.set(f.file, { ...base, status: 'refused', reason, errors: all });
    } else {
      reports.set(f.file, { ...base, status: 'would publish' });
      candidates.push(t);
    }
  }
  // The same version already in the registry: identical is fine, other content is refused.
  for (const t of candidates) {
    const there = await publishedState(client, t);
    if (there.state === 'identical') reports.set(t.file, { ...reports.get(t.file)!, status: 'identical' });
    else if (there.state === 'conflict')
      reports.set(t.file, {
        ...reports.get(t.file)!,
        status: 'refused',
        reason: 'version already published with other content',
        errors: [there.problem],
      });
  }
  const refused = [...reports.values()].some((r) => r.status === 'refused');
  if (refused) {
    for (const r of reports.values())
      if (r.status === 'would publish')
        Object.assign(r, { status: 'not published', reason: 'another file was refused: nothing is published' });
    return [...inPublishOrder([...reports.values()], checked.templates), ...skipped];
  }
  const pending = candidates.filter((t) => reports.get(t.file)!.status === 'would publish');
  if (!opts.dryRun) await publishInOrder(client, pending, candidates, reports, io);
  if (opts.label && ![...reports.values()].some((r) => r.status === 'refused' || r.status === 'not published'))
    await applyLabel(client, opts.label, [...reports.values()], !!opts.dryRun);
  return [...inPublishOrder([...reports.values()], checked.templates), ...skipped];
}

/** The reports in the order the templates are (or would be) published; other files after them. */
function inPublishOrder(reports: FileReport[], templates: ValidatedTemplate[]): FileReport[] {
  const at = new Map(publishOrder(templates).map((t, i) => [t.file, i]));
  const rank = (r: FileReport) => at.get(r.file) ?? at.size;
  return [...reports].sort((a, b) => rank(a) - rank(b));
}

/** Publishes dependencies first; after a refusal by the registry, the rest is not sent. */
async function publishInOrder(
  client: RegistryClient,
  pending: ValidatedTemplate[],
  all: ValidatedTemplate[],
  reports: Map<string, FileReport>,
  io: CliIO,
): Promise<void> {
  const fileOf = new Map(all.map((t) => [registryFile(t.ref, t.version), t.file]));
  let stopped: string | undefined;
  for (const t of publishOrder(pending)) {
    const report = reports.get(t.file)!;
    if (stopped) {
      Object.assign(report, { status: 'not published', reason: `stopped after ${stopped} was refused` });
      continue;
    }
    try {
      const res = await client.request<{ digest: string; created: boolean }>(
        'PUT',
        `/api/v1/templates/${enc(t.ref)}/versions/${enc(t.version)}`,
        { yaml: readFileSync(resolve(io.cwd ?? process.cwd(), t.file), 'utf8') },
      );
      Object.assign(report, { status: res.body.created ? 'published' : 'identical', digest: res.body.digest });
    } catch (e) {
      if (!(e instanceof RegistryError)) throw e;
      // Located in the author's file: the registry names its copy `registry:ref@version`.
      const reason = reportRegistryError(io, e, (f) => fileOf.get(f) ?? f);
      Object.assign(report, { status: 'refused', reason });
      stopped = `${t.ref}@${t.version}`;
    }
  }
}

/** Points `label` at the newest version of each template of the set. */
async function applyLabel(client: RegistryClient, label: string, reports: FileReport[], dryRun: boolean): Promise<void> {
  const byRef = new Map<string, FileReport[]>();
  for (const r of reports) if (r.ref && r.version) byRef.set(r.ref, [...(byRef.get(r.ref) ?? []), r]);
  for (const [ref, rs] of byRef) {
    const newest = sortVersions(rs.map((r) => r.version!))[0]!;
    const target = rs.find((r) => r.version === newest)!;
    if (!dryRun) await client.request('PUT', `/api/v1/templates/${enc(ref)}/labels/${enc(label)}`, { version: newest });
    target.label = label;
  }
}

function located(t: ValidatedTemplate, message: string, code: Diagnostic['code']): Diagnostic {
  return { code, severity: 'error', message, ...t.versionAt };
}

function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const k = formatDiagnostic(d);
    return !seen.has(k) && !!seen.add(k);
  });
}

function print(reports: FileReport[], opts: PublishFlags, io: CliIO): void {
  const ok = !reports.some((r) => r.status === 'refused' || r.status === 'not published');
  if (opts.json) {
    io.stdout.write(JSON.stringify({ ok, dryRun: !!opts.dryRun, files: reports }, null, 2) + '\n');
    return;
  }
  // Each problem once, on stderr, sorted by file; then one line per file on stdout.
  const problems = dedupe(reports.flatMap((r) => r.errors ?? []));
  for (const d of problems) io.stderr.write(formatDiagnostic(d) + '\n');
  const width = Math.max(...reports.map((r) => (r.ref ? `${r.ref}@${r.version}`.length : 0)), 1);
  for (const r of reports) {
    const id = r.ref ? `${r.ref}@${r.version}` : '-';
    const tail = [
      r.status === 'published' || r.status === 'identical' || r.status === 'would publish' ? r.digest : undefined,
      r.label ? `label ${r.label}` : undefined,
      r.reason,
    ].filter(Boolean);
    io.stdout.write(`${r.status.padEnd(13)} ${id.padEnd(width)}  ${r.file}${tail.length ? `  ${tail.join('; ')}` : ''}\n`);
  }
  const count = (s: Status) => reports.filter((r) => r.status === s).length;
  const parts = (['published', 'identical', 'would publish', 'refused', 'not published', 'skipped'] as const)
    .filter((s) => count(s) > 0)
    .map((s) => `${count(s)} ${s}`);
  io.stdout.write(`${parts.join(', ')}${opts.dryRun ? ' (dry run: nothing was written)' : ''}\n`);
}
