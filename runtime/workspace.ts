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
 * A copy holds at most 100,000 files and 1 GiB (`DEFAULT_LIMITS`); a bigger project is refused
 * before anything is copied, with the advice to run in place (`--workspace .`).
 */
import { spawnSync } from 'node:child_process';
import { constants, type Dirent, lstatSync, mkdirSync, readdirSync, readlinkSync, realpathSync, type Stats } from 'node:fs';
import { copyFile, symlink, utimes } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

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

/** One file or symlink of the project, by its path relative to the project's root. */
export interface ProjectFile {
  path: string;
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
  return { root, source: git.root ? 'git' : 'folder', files: list.files, dirs: list.dirs, bytes: list.bytes, ...(git.note ? { note: git.note } : {}) };
}

/** Copies the listed project into `dest` (an existing, empty folder); returns the time it took in ms. */
export async function copyProject(project: Project, dest: string): Promise<number> {
  const t0 = performance.now();
  const dirs = new Set(project.dirs);
  for (const f of project.files) for (let d = dirname(f.path); d !== '.' && !dirs.has(d); d = dirname(d)) dirs.add(d);
  // Parents sort before their children; every folder is a real folder of the source.
  for (const d of [...dirs].sort()) mkdirSync(join(dest, d), { recursive: true });
  await pool(project.files, 32, (f) => copyOne(project.root, dest, f));
  return Math.round(performance.now() - t0);
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

async function copyOne(root: string, dest: string, f: ProjectFile): Promise<void> {
  const from = join(root, f.path);
  const to = join(dest, f.path);
  try {
    if (f.kind === 'link') return await symlink(readlinkSync(from), to);
    // A clone where the file system can (btrfs, XFS), a plain copy elsewhere; the mode is kept.
    await copyFile(from, to, constants.COPYFILE_FICLONE);
    await utimes(to, f.mtime, f.mtime);
  } catch (e) {
    // Gone since it was listed (an editor's swap file...): nothing to copy.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !lstatOrUndefined(from)) return;
    throw new WorkspaceError(`cannot copy ${from} into the workspace: ${(e as Error).message}`);
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
function gitFiles(root: string): string[] {
  const r = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8', env: gitEnv(), maxBuffer: 1 << 30 });
  if (r.error || r.status !== 0) throw new WorkspaceError(`git ls-files failed in ${root}: ${r.error?.message ?? r.stderr.trim()}`);
  return [...new Set(r.stdout.split('\0').filter(Boolean))];
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
  private readonly skip: string[];
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
    this.maxFiles = opts.maxFiles ?? DEFAULT_LIMITS.maxFiles;
    this.maxBytes = opts.maxBytes ?? DEFAULT_LIMITS.maxBytes;
  }

  /** Adds git's paths: skipped when deleted, under a skipped folder or under a symlink. */
  fromGit(paths: string[]): void {
    for (const listed of paths) {
      // An untracked nested repository is listed as `dir/`.
      const p = listed.replace(/\/+$/, '');
      if (this.skipped(p) || !this.underRealDirs(p)) continue;
      const st = lstatOrUndefined(join(this.root, p));
      if (!st) continue; // tracked, but deleted from the work tree
      // A folder in git's listing is a submodule: its files are copied as a folder's.
      if (st.isDirectory()) this.walk(p);
      else this.add(p, st);
    }
  }

  /** Adds the folder `rel` (relative to the root) recursively, `.git` skipped. */
  walk(rel: string): void {
    const stack = [rel];
    while (stack.length) {
      const dir = stack.pop()!;
      if (dir) this.dirs.push(dir);
      let entries: Dirent[];
      try {
        entries = readdirSync(join(this.root, dir), { withFileTypes: true });
      } catch (e) {
        throw new WorkspaceError(`cannot read ${join(this.root, dir)}: ${(e as Error).message}`);
      }
      for (const e of entries) {
        const p = dir ? `${dir}/${e.name}` : e.name;
        if (e.name === '.git' || this.skipped(p)) continue;
        if (e.isDirectory()) stack.push(p);
        else if (e.isFile() || e.isSymbolicLink()) this.add(p, lstatSync(join(this.root, p)));
      }
    }
  }

  private add(path: string, st: Stats): void {
    if (!st.isFile() && !st.isSymbolicLink()) return;
    this.files.push({ path, kind: st.isFile() ? 'file' : 'link', size: st.size, mtime: st.mtime });
    this.bytes += st.size;
    if (this.files.length > this.maxFiles || this.bytes > this.maxBytes) {
      const what = this.files.length > this.maxFiles ? `more than ${this.maxFiles} files` : `more than ${humanSize(this.maxBytes)}`;
      const how = this.source === 'git' ? 'ignored files are not copied: .gitignore what is generated' : 'outside git the whole folder is copied';
      throw new WorkspaceTooBig(`the project ${this.root} holds ${what}, too much to copy into the run's workspace (${how}): run in place with --workspace .`);
    }
  }

  /** A `.pipewright` folder at any depth, or a folder of `skip`. */
  private skipped(rel: string): boolean {
    if (rel.split('/').some((s) => ALWAYS_SKIPPED.has(s))) return true;
    const abs = join(this.root, rel);
    return this.skip.some((s) => abs === s || isInside(s, abs));
  }

  /** True when every folder above `rel` is a real folder (reading through a symlink could leave the tree). */
  private underRealDirs(rel: string): boolean {
    const parent = dirname(rel);
    if (parent === '.') return true;
    let known = this.realDirs.get(parent);
    if (known === undefined) {
      known = this.underRealDirs(parent) && lstatOrUndefined(join(this.root, parent))?.isDirectory() === true;
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

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** True when `path` is strictly inside `folder`. */
function isInside(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}
