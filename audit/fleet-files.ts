/**
 * Which files a fleet command (`audit`, `impact`) reads under a folder: every `.yaml` / `.yml`
 * file, hidden folders included (Harness keeps pipelines in `.harness/`), except inside
 * `.git`, `node_modules` and `.pipewright` (pipewright's own runs), and except what an
 * `--exclude` glob names. Sorted, so reports are stable.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** Folders never searched. */
export const SKIPPED_FOLDERS: ReadonlySet<string> = new Set(['.git', 'node_modules', '.pipewright']);

/** A test on a path relative to the folder a command searches (forward slashes). */
export type Excluded = (relPath: string) => boolean;

/**
 * `--exclude` globs as one test. `*` matches within a name, `**` across folders, `?` one
 * character. A glob without `/` matches a name at any depth (`vendor`, `*.draft.yaml`); one
 * with `/` matches the path from the searched folder (`svc/*\/deploy.yaml`, `vendor/**`). A
 * folder that matches excludes everything below it.
 */
export function excludeGlobs(globs: readonly string[]): Excluded {
  if (globs.length === 0) return () => false;
  const tests = globs.map((given) => {
    // `./vendor` means `vendor` (paths are tested relative to the searched folder).
    const g = given.replace(/^(\.\/)+/, '');
    const re = globRegExp(g.replace(/\/+$/, ''));
    return g.includes('/')
      ? (rel: string) => prefixes(rel).some((p) => re.test(p))
      : (rel: string) => rel.split('/').some((name) => re.test(name));
  });
  return (rel) => tests.some((t) => t(rel));
}

/** `a/b/c` → `a`, `a/b`, `a/b/c`. */
function prefixes(rel: string): string[] {
  const parts = rel.split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

function globRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The YAML files a fleet command reads under `root` (a file is itself), sorted. */
export function listFleetFiles(root: string, excluded: Excluded = () => false): string[] {
  const st = statSync(root);
  if (st.isFile()) return [root];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const ent of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (ent.isDirectory() && SKIPPED_FOLDERS.has(ent.name)) continue;
      const p = join(d, ent.name);
      if (excluded(relative(root, p).split(sep).join('/'))) continue;
      if (ent.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(ent.name)) out.push(p);
    }
  };
  walk(root);
  return out;
}
