/**
 * Templates from folders (`--templates DIR`, repeatable). Every `.yaml`/`.yml` file below a
 * folder whose root is `template:` is one version; several versions of one template may sit
 * side by side. Folders are read once, on the first resolve, and kept for the life of the
 * source (an audit compiles a whole fleet against one source).
 */
import { textOf } from '../text.js';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, isAbsolute } from 'node:path';
import { digestOf } from '../plan/canonical.js';
import { Codes, DiagnosticBag, type Diagnostic } from '../diagnostics.js';
import { checkKnownFields } from '../checks/known-fields.js';
import { checkSchema } from '../checks/schema-check.js';
import { refOfTemplate, type ResolveOutcome, type ResolveRequest, type TemplateSource } from './source.js';
import { selectVersion, selectorText, sortVersions } from './versions.js';
import { readYaml, sourcePositions } from '../harness-yaml.js';

/**
 * One version found in a folder. Its digest and schema check are worked out when it is first
 * used (or compared with a copy): a folder of many templates is indexed without them.
 */
interface Entry {
  version: string;
  file: string;
  value: unknown;
  /** YAML problems of its file. */
  read: Diagnostic[];
  digest?: string;
  diagnostics?: Diagnostic[];
}

const digestOfEntry = (e: Entry): string => (e.digest ??= digestOf(e.value));

function diagnosticsOf(e: Entry): Diagnostic[] {
  if (!e.diagnostics) {
    const bag = new DiagnosticBag();
    // Fields pipewright does not know are warnings here (a compile's --strict does not reach
    // template folders; `validate --strict` checks them as errors).
    if (checkSchema('template', e.value, e.file, bag, sourcePositions)) checkKnownFields(e.value, e.file, bag, sourcePositions);
    e.diagnostics = [...e.read, ...bag.items];
  }
  return e.diagnostics;
}

export interface DirectorySourceOptions {
  /** Paths in messages and provenance are shown relative to this folder (default: cwd). */
  baseDir?: string;
}

export class DirectorySource implements TemplateSource {
  readonly name: string;
  private index: Map<string, Map<string, Entry>> | undefined;
  /** Problems with the folders themselves (unreadable files, conflicting copies). */
  readonly loadDiagnostics: Diagnostic[] = [];

  constructor(
    private readonly dirs: string[],
    private readonly options: DirectorySourceOptions = {},
  ) {
    this.name = `dir:${dirs.join(',')}`;
  }

  resolve(requests: ResolveRequest[]): Promise<ResolveOutcome[]> {
    // The executor turns a throw while loading into a rejection, as an async method would.
    return new Promise((settle) => settle(this.outcomes(requests)));
  }

  private outcomes(requests: ResolveRequest[]): ResolveOutcome[] {
    const index = this.load();
    return requests.map((req) => {
      const versions = index.get(req.ref);
      if (!versions) {
        // A file that could not be read may be the one: not "not found", which --partial and
        // deployment-template references would take as a warning.
        const unread = this.loadDiagnostics.filter((d) => d.severity === 'error' && d.code.startsWith('PW1'));
        if (unread.length) {
          // The first problem of each file, three files at most.
          const byFile = unread.filter((d, i) => unread.findIndex((e) => e.file === d.file) === i);
          const shown = byFile
            .slice(0, 3)
            .map((d) => `${d.file}:${d.line}:${d.column}: ${d.message}`)
            .join('; ');
          return {
            ok: false,
            code: 'invalid',
            message: `template ${req.ref} not found in ${this.dirs.join(', ')}, which holds files that could not be read (${shown}${byFile.length > 3 ? `; ${byFile.length - 3} more files` : ''})`,
          };
        }
        return { ok: false, code: 'not-found', message: `template ${req.ref} not found in ${this.dirs.join(', ')}` };
      }
      const list = [...versions.keys()];
      const sel = selectVersion(
        selectorText(req.selector),
        list.map((version) => ({ version })),
      );
      if (!sel.ok) {
        return { ok: false, code: 'no-version', message: `${req.ref}: ${sel.reason}`, versions: sortVersions(list) };
      }
      const e = versions.get(sel.version)!;
      return {
        ok: true,
        template: {
          ref: req.ref,
          version: e.version,
          digest: digestOfEntry(e),
          file: e.file,
          value: e.value,
          diagnostics: diagnosticsOf(e),
        },
      };
    });
  }

  /** Every template version found, for listings. */
  list(): { ref: string; version: string; file: string }[] {
    const out: { ref: string; version: string; file: string }[] = [];
    for (const [ref, versions] of this.load()) for (const e of versions.values()) out.push({ ref, version: e.version, file: e.file });
    return out;
  }

  private display(path: string): string {
    const base = this.options.baseDir ?? process.cwd();
    const rel = relative(base, path);
    return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
  }

  private load(): Map<string, Map<string, Entry>> {
    if (this.index) return this.index;
    const index = new Map<string, Map<string, Entry>>();
    for (const dir of this.dirs) {
      for (const path of listYamlFiles(dir)) {
        const file = this.display(path);
        const bag = new DiagnosticBag();
        let text: string;
        try {
          text = readFileSync(path, 'utf8');
        } catch (e) {
          this.loadDiagnostics.push({
            code: Codes.FILE_UNREADABLE,
            severity: 'error',
            message: `cannot read: ${(e as Error).message}`,
            file,
            line: 1,
            column: 1,
          });
          continue;
        }
        // Cheap pre-filter: only files that can have a `template:` root are parsed.
        if (!/^template\s*:/m.test(text)) continue;
        for (const doc of readYaml(file, text, sourcePositions, bag)) {
          const root = doc.value as Record<string, unknown> | null;
          if (!root || typeof root !== 'object' || !('template' in root)) continue;
          const t = root['template'] as Record<string, unknown> | null;
          if (!t || typeof t !== 'object' || typeof t['identifier'] !== 'string' || t['versionLabel'] === undefined) continue;
          const ref = refOfTemplate(t as { identifier: string });
          const version = textOf(t['versionLabel']);
          const entry: Entry = { version, file, value: root, read: bag.items };
          let versions = index.get(ref);
          if (!versions) index.set(ref, (versions = new Map<string, Entry>()));
          const prior = versions.get(version);
          if (prior && digestOfEntry(prior) !== digestOfEntry(entry)) {
            this.loadDiagnostics.push({
              code: Codes.TEMPLATE_CONFLICT,
              severity: 'error',
              message: `${ref}@${version} is defined twice with different content (also in ${prior.file})`,
              file,
              line: doc.line,
              column: 1,
            });
            continue;
          }
          if (!prior) versions.set(version, entry);
        }
        // YAML errors of a file that looked like a template: said when a lookup then fails.
        this.loadDiagnostics.push(...bag.items.filter((d) => d.code.startsWith('PW1')));
      }
    }
    this.index = index;
    return index;
  }
}

/** All `.yaml` / `.yml` files below `dir` (or `dir` itself when it is a file), sorted. */
export function listYamlFiles(dir: string): string[] {
  let st;
  try {
    st = statSync(dir);
  } catch {
    return [];
  }
  if (st.isFile()) return [dir];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const ent of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (ent.name.startsWith('.') || ent.name === 'node_modules') continue;
      const p = join(d, ent.name);
      if (ent.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(ent.name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}
