/**
 * The run's default workspace: a copy of the project the pipeline belongs to, so steps see the
 * project's files (as Harness's clone step, `act` and `gitlab-ci-local` give them) and cannot
 * change them.
 *
 * - Inside a git work tree: the repository's tracked and untracked-but-not-ignored files
 *   (`git ls-files --cached --others --exclude-standard`, run at the repository's root, which
 *   becomes the workspace root). Tracked files deleted from the work tree are skipped.
 * - Outside git: the folder itself, recursively, `node_modules` included (nothing marks it as
 *   generated there), `.git` skipped.
 *
 * Always skipped: any `.pipewright` folder and the folders in `skip` (the run's home: the copy
 * must not copy itself). Symlinks are copied as symlinks, never followed, and nothing is read
 * through a symlinked folder; file modes (executable bits) and modification times are kept.
 * Only regular files, symlinks and folders are copied (no sockets, fifos or devices).
 *
 * A symlink to a file or folder of the project (absolute, or relative and climbing out and back
 * in, or through another path to the project) points at the same path of the copy, as a relative
 * link: writing through it must not change the project. A symlink to something outside the project
 * is kept as it is, so steps can follow it (as in a clone: the project cannot protect what is
 * outside it); only a relative one whose text, read from the copy, would land in the project
 * itself points where it meant instead, absolutely.
 *
 * Names are bytes: they are read as Buffers (`readdir`, `git ls-files -z`) and copied byte for
 * byte, whether or not they are UTF-8.
 *
 * A copy holds at most 100,000 files and 1 GiB (`DEFAULT_LIMITS`); a bigger project is refused
 * before anything is copied, with the advice to run in place (`--workspace .`).
 */
import { spawnSync } from 'node:child_process';
import { constants, type Dirent, lstatSync, mkdirSync, readdirSync, readlinkSync, realpathSync, type Stats } from 'node:fs';
import { copyFile, symlink, utimes } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** The most files (symlinks count) and bytes a copy may hold: past them, run in place. */
export const DEFAULT_LIMITS = { maxFiles: 100_000, maxBytes: 1024 ** 3 };

/** Folders never copied, at any depth. */
const ALWAYS_SKIPPED = new Set(['.pipewright']);

export interface ListOptions {
  /** Absolute paths of folders not to copy (the run's home). */
  skip?: string[];
  maxFiles?: number;
  maxBytes?: number;
}

/**
 * A path as bytes, one character per byte (`latin1`): names that are not UTF-8 survive path
 * arithmetic ('/' and '.' are the same bytes), and `fsPath` hands them back to `fs` exactly.
 */
export type BytePath = string;

const fsPath = (p: BytePath): Buffer => Buffer.from(p, 'latin1');
const bytePath = (b: Buffer): BytePath => b.toString('latin1');
/** A (UTF-16) JavaScript path as a byte path. */
const asBytes = (s: string): BytePath => bytePath(Buffer.from(s, 'utf8'));

/** One file or symlink of the project, by its path relative to the project's root. */
export interface ProjectFile {
  /** Relative to the root, as bytes (`shownPath` prints it). */
  path: BytePath;
  kind: 'file' | 'link';
  size: number;
  mtime: Date;
}

/** What a copy of the project holds. */
export interface Project {
  root: string;
  /** `git` when the files are the repository's listing, `folder` when the folder was walked. */
  source: 'git' | 'folder';
  files: ProjectFile[];
  /** Folders to create even when empty (folder walks). */
  dirs: string[];
  bytes: number;
  /** Absolute real paths of the folders not copied (the run's home). */
  skip: string[];
  /** Why git was not used although it was tried (git missing, a dubious-ownership refusal...). */
  note?: string;
}

/** The project cannot be listed or copied. */
export class WorkspaceError extends Error {}

/** The project is over the copy limits. */
export class WorkspaceTooBig extends WorkspaceError {}

/** Lists the project of the folder `start`: its git repository if it is in one, else the folder itself. */
export function listProject(start: string, opts: ListOptions = {}): Project {
  const git = gitRoot(start);
  const root = git.root ?? realpathSync(start);
  const list = new Listing(root, git.root ? 'git' : 'folder', opts);
  if (git.root) list.fromGit(gitFiles(git.root));
  else list.walk('');
  return {
    root,
    source: git.root ? 'git' : 'folder',
    files: list.files,
    dirs: list.dirs,
    bytes: list.bytes,
    skip: list.skip,
    ...(git.note ? { note: git.note } : {}),
  };
}

/** Where a copy goes, as byte paths. */
interface Copy {
  root: BytePath;
  dest: BytePath;
  /** `dest` with its symlinks resolved. */
  realDest: BytePath;
  skip: BytePath[];
}

/** Copies the listed project into `dest` (an existing, empty folder); returns the time it took in ms. */
export async function copyProject(project: Project, dest: string): Promise<number> {
  const t0 = performance.now();
  const to = asBytes(dest);
  const dirs = new Set(project.dirs);
  for (const f of project.files) for (let d = dirname(f.path); d !== '.' && !dirs.has(d); d = dirname(d)) dirs.add(d);
  // Parents sort before their children; every folder is a real folder of the source.
  for (const d of [...dirs].sort()) mkdirSync(fsPath(join(to, d)), { recursive: true });
  const copy: Copy = {
    root: asBytes(project.root),
    dest: to,
    realDest: bytePath(realpathSync(fsPath(to), { encoding: 'buffer' })),
    skip: project.skip.map(asBytes),
  };
  await pool(project.files, 32, (f) => copyOne(copy, f));
  return Math.round(performance.now() - t0);
}

/** A byte path for messages: its UTF-8 as it is, every other byte as `\xff`. */
export function shownPath(p: BytePath): string {
  const b = fsPath(p);
  let out = '';
  for (let i = 0; i < b.length;) {
    const n = utf8Length(b, i);
    out += n ? b.toString('utf8', i, i + n) : `\\x${b[i]!.toString(16).padStart(2, '0')}`;
    i += n || 1;
  }
  return out;
}

/** The length of the valid UTF-8 character starting at `b[i]`, 0 when there is none. */
function utf8Length(b: Buffer, i: number): number {
  const lead = b[i]!;
  const n = lead < 0x80 ? 1 : lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
  if (n <= 1) return n;
  try {
    // Fatal: a cut, overlong or surrogate sequence throws.
    new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(i, i + n));
    return n;
  } catch {
    return 0;
  }
}

/** A short human size: `4.1 MB`. */
export function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = bytes / 1024;
  let i = 0;
  for (; v >= 1024 && i < units.length - 1; i++) v /= 1024;
  return `${v.toFixed(1)} ${units[i]}`;
}

async function copyOne(c: Copy, f: ProjectFile): Promise<void> {
  const from = join(c.root, f.path);
  const to = fsPath(join(c.dest, f.path));
  try {
    if (f.kind === 'link')
      return await symlink(fsPath(linkTarget(c, f.path, bytePath(readlinkSync(fsPath(from), { encoding: 'buffer' })))), to);
    // A clone where the file system can (btrfs, XFS), a plain copy elsewhere; the mode is kept.
    await copyFile(fsPath(from), to, constants.COPYFILE_FICLONE);
    await utimes(to, f.mtime, f.mtime);
  } catch (e) {
    // Gone since it was listed (an editor's swap file...): nothing to copy.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !lstatOrUndefined(from)) return;
    throw new WorkspaceError(`cannot copy ${shownPath(from)} into the workspace: ${(e as Error).message}`);
  }
}

/**
 * What the copy of the symlink `rel` points at, given its `target` in the project: inside the
 * project (lexically, else once symlinks along the way are resolved), the same path of the copy,
 * relative; outside, `target` as it is, unless it is relative and, read from the copy, would land
 * in the project (not in the run's home): then the absolute path it meant.
 */
function linkTarget(c: Copy, rel: BytePath, target: BytePath): BytePath {
  const meant = resolve(c.root, dirname(rel), target);
  const inside = within(c.root, meant) ?? within(c.root, realish(meant));
  if (inside !== undefined) return relative(join(c.dest, dirname(rel)), join(c.dest, inside)) || '.';
  if (isAbsolute(target)) return target;
  const fromCopy = resolve(c.realDest, dirname(rel), target);
  const landsInProject = (p: BytePath) =>
    within(c.root, p) !== undefined && ![c.realDest, ...c.skip].some((s) => within(s, p) !== undefined);
  return landsInProject(fromCopy) || landsInProject(realish(fromCopy)) ? meant : target;
}

/** `p` relative to `folder` (`''` for the folder itself) when it is the folder or inside it. */
function within(folder: BytePath, p: BytePath): BytePath | undefined {
  return p === folder ? '' : isInside(folder, p) ? relative(folder, p) : undefined;
}

/** `p` with the symlinks of its longest existing part resolved (the rest taken as written). */
function realish(p: BytePath): BytePath {
  const rest: string[] = [];
  for (let head = p; ; head = dirname(head)) {
    try {
      return join(bytePath(realpathSync(fsPath(head), { encoding: 'buffer' })), ...rest);
    } catch {
      if (dirname(head) === head) return p;
      rest.unshift(basename(head));
    }
  }
}

/** Runs `fn` on every item, at most `width` at once; after a failure nothing new starts, and it throws once all have stopped. */
async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      try {
        await fn(items[next++]!);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  if (failure) throw failure.error;
}

/** The root of the git work tree holding `dir`, when there is one. */
function gitRoot(dir: string): { root?: string; note?: string } {
  const r = spawnSync('git', ['rev-parse', '--show-toplevel'], { cwd: dir, encoding: 'utf8', env: gitEnv() });
  if (r.error) return (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? {} : { note: r.error.message };
  if (r.status === 0) return { root: r.stdout.trim() };
  const why = r.stderr.trim().split('\n')[0] ?? '';
  // Not a repository: the plain case. Anything else (safe.directory refusals...) is said.
  return /not a git repository/i.test(why) ? {} : { note: `git: ${why}` };
}

/** The repository's tracked and untracked-but-not-ignored paths, relative to `root`. */
function gitFiles(root: string): BytePath[] {
  // -z: names verbatim (no quoting), as bytes: read as a Buffer so names that are not UTF-8 survive.
  const r = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'buffer',
    env: gitEnv(),
    maxBuffer: 1 << 30,
  });
  if (r.error || r.status !== 0)
    throw new WorkspaceError(`git ls-files failed in ${root}: ${r.error?.message ?? r.stderr.toString().trim()}`);
  return [...new Set(bytePath(r.stdout).split('\0').filter(Boolean))];
}

/** This process's environment without variables that would point git at another repository. */
function gitEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_PREFIX']) delete env[k];
  return env;
}

/** Builds the list of a project's files, enforcing the limits as it goes. */
class Listing {
  readonly files: ProjectFile[] = [];
  readonly dirs: string[] = [];
  bytes = 0;
  /** Real absolute paths of the folders not copied. */
  readonly skip: string[];
  private readonly rootBytes: BytePath;
  private readonly skipBytes: BytePath[];
  private readonly maxFiles: number;
  private readonly maxBytes: number;
  /** Folders (relative) known to be real folders of the source, not symlinks. */
  private readonly realDirs = new Map<string, boolean>([['', true]]);

  constructor(
    private readonly root: string,
    private readonly source: Project['source'],
    opts: ListOptions,
  ) {
    this.skip = (opts.skip ?? []).map(realPath);
    this.rootBytes = asBytes(root);
    this.skipBytes = this.skip.map(asBytes);
    this.maxFiles = opts.maxFiles ?? DEFAULT_LIMITS.maxFiles;
    this.maxBytes = opts.maxBytes ?? DEFAULT_LIMITS.maxBytes;
  }

  /** Adds git's paths: skipped when deleted, under a skipped folder or under a symlink. */
  fromGit(paths: BytePath[]): void {
    for (const listed of paths) {
      // An untracked nested repository is listed as `dir/`.
      const p = listed.replace(/\/+$/, '');
      if (this.skipped(p) || !this.underRealDirs(p)) continue;
      const st = lstatOrUndefined(join(this.rootBytes, p));
      if (!st) continue; // tracked, but deleted from the work tree
      // A folder in git's listing is a submodule: its files are copied as a folder's.
      if (st.isDirectory()) this.walk(p);
      else this.add(p, st);
    }
  }

  /** Adds the folder `rel` (relative to the root) recursively, `.git` skipped. */
  walk(rel: BytePath): void {
    const stack = [rel];
    while (stack.length) {
      const dir = stack.pop()!;
      if (dir) this.dirs.push(dir);
      const abs = join(this.rootBytes, dir);
      let entries: Dirent<Buffer>[];
      try {
        entries = readdirSync(fsPath(abs), { withFileTypes: true, encoding: 'buffer' });
      } catch (e) {
        throw new WorkspaceError(`cannot read ${shownPath(abs)}: ${(e as Error).message}`);
      }
      for (const e of entries) {
        const name = bytePath(e.name);
        const p = dir ? `${dir}/${name}` : name;
        if (name === '.git' || this.skipped(p)) continue;
        if (e.isDirectory()) stack.push(p);
        else if (e.isFile() || e.isSymbolicLink()) this.add(p, lstatSync(fsPath(join(this.rootBytes, p))));
      }
    }
  }

  private add(path: BytePath, st: Stats): void {
    if (!st.isFile() && !st.isSymbolicLink()) return;
    this.files.push({ path, kind: st.isFile() ? 'file' : 'link', size: st.size, mtime: st.mtime });
    this.bytes += st.size;
    if (this.files.length > this.maxFiles || this.bytes > this.maxBytes) {
      const what = this.files.length > this.maxFiles ? `more than ${this.maxFiles} files` : `more than ${humanSize(this.maxBytes)}`;
      const how =
        this.source === 'git' ? 'ignored files are not copied: .gitignore what is generated' : 'outside git the whole folder is copied';
      throw new WorkspaceTooBig(
        `the project ${this.root} holds ${what}, too much to copy into the run's workspace (${how}): run in place with --workspace .`,
      );
    }
  }

  /** A `.pipewright` folder at any depth, or a folder of `skip`. */
  private skipped(rel: BytePath): boolean {
    if (rel.split('/').some((s) => ALWAYS_SKIPPED.has(s))) return true;
    const abs = join(this.rootBytes, rel);
    return this.skipBytes.some((s) => abs === s || isInside(s, abs));
  }

  /** True when every folder above `rel` is a real folder (reading through a symlink could leave the tree). */
  private underRealDirs(rel: BytePath): boolean {
    const parent = dirname(rel);
    if (parent === '.') return true;
    let known = this.realDirs.get(parent);
    if (known === undefined) {
      known = this.underRealDirs(parent) && lstatOrUndefined(join(this.rootBytes, parent))?.isDirectory() === true;
      this.realDirs.set(parent, known);
    }
    return known;
  }
}

/** The path with symlinks resolved when it exists (git names the root by its real path). */
function realPath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

function lstatOrUndefined(path: BytePath): Stats | undefined {
  try {
    return lstatSync(fsPath(path));
  } catch {
    return undefined;
  }
}

/** True when `path` is strictly inside `folder`. */
function isInside(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}
