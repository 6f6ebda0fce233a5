/**
 * The "Use it" snippet of a template's catalog page: which version to recommend, written as
 * which `versionLabel`, and the pipeline-ready YAML block for the template's type with every
 * required input filled by a placeholder. Pure: the page route (routes/pages/template.ts)
 * passes what the store knows; `test/registry/use-snippet.test.ts` pastes the result into
 * pipelines and compiles them against a live registry.
 *
 * Decisions (docs/catalog.md says the same for users):
 * - The recommended version is the newest one that is neither deprecated (with or without a
 *   sunset date), yanked, nor a semver prerelease. The page's `?version=` does not change it:
 *   the snippet is what a new pipeline should write; the page shows the exact pin of the
 *   viewed version on a separate line, outside the copied block.
 * - Semver versions are offered as a caret range on major.minor: `^1.3` for 1.3.2, so patch
 *   and minor releases arrive. On 0.x a caret covers only patches (`^0.4` is `>=0.4.0
 *   <0.5.0`), which is what semver promises there, so `^0.4` is offered as is; for 0.0.z a
 *   caret would pin one version anyway, so the exact version is written instead.
 * - A range is offered only if it picks the recommended version today (the compiler's own
 *   selection, `selectVersion`): a newer deprecated version inside it (say 1.4.0, deprecated
 *   past its sunset) would otherwise be what the range resolves to. Then `~1.3`, then the
 *   exact version, whichever first picks the recommended one.
 * - Versions that are not semver (`v1`, `2024-06`): no range can express "newer", and their
 *   names need not sort. When the `stable` label points at a usable version, that version is
 *   recommended and written `stable` (pipelines follow the label as the maintainers move it);
 *   else the newest published usable version, exactly. A semver release, when one is usable,
 *   always wins over versions that are not semver.
 * - When every version is deprecated or yanked the snippet pins the newest (exact version) and
 *   a warning says why and what compiling it will do; when only prereleases are usable, it
 *   pins the newest prerelease, with a warning too.
 * - Required inputs (no default, `required` not false): the first of `allowedValues` if any;
 *   else numbers 0, booleans false, lists, mappings, steps and stages empty; strings
 *   `<input_name>`. When a string input's `regex` refuses `<input_name>`, the input's name
 *   itself is tried, then a sample value built from the pattern (checked with the same RE2
 *   matcher the compiler uses); if none matches, `<input_name>` stays and a note says the
 *   value must match the regex before the snippet compiles.
 */
import semver from 'semver';
import { stringify } from 'yaml';
import { selectVersion, type InputDecl } from '../compiler/index.js';
import { testRegex } from '../schemas/index.js';

/** One published version as the store lists it (publish order). */
export interface SnippetVersion {
  version: string;
  yanked: boolean;
  deprecation?: { message: string; sunset?: string };
}

/** What the snippet needs of the template itself. */
export interface SnippetTemplate {
  ref: string;
  identifier: string;
  type: string;
  /** Labels with the `stable` one (stored or computed), as `store.getTemplate` answers them. */
  labels: Record<string, string>;
}

/** The recommendation: the version, how to write it, and a warning when nothing usable exists. */
export interface Recommendation {
  version: string;
  versionLabel: string;
  warning?: string;
}

export interface UseSnippet extends Recommendation {
  /** The YAML block to paste into a pipeline. */
  yaml: string;
  /** What the `versionLabel` picks, after `versionLabel: X` ("picks 1.3.2 today, ..."). */
  about: string;
  /** Where the block goes ("in a stage's execution.steps list"). */
  where: string;
  /** The required inputs and their placeholders, as the block holds them. */
  inputs: Record<string, unknown>;
  /** What to know about the filled-in inputs (regex-constrained ones the placeholder may not satisfy). */
  notes: string[];
}

const isSemver = (v: string) => semver.valid(v) !== null;
const isPrerelease = (v: string) => isSemver(v) && semver.prerelease(v) !== null;

/** The newest of `vs`: highest semver precedence if any is semver, else the last published. */
function newest(vs: SnippetVersion[]): SnippetVersion | undefined {
  const sem = vs.filter((v) => isSemver(v.version));
  if (sem.length) return sem.reduce((a, b) => (semver.gt(b.version, a.version) ? b : a));
  return vs[vs.length - 1];
}

/** Which version a new pipeline should use and how to write its `versionLabel` (see the decisions above). */
export function recommend(t: SnippetTemplate, versions: SnippetVersion[], today = new Date().toISOString().slice(0, 10)): Recommendation {
  const usable = versions.filter((v) => !v.yanked && !v.deprecation);
  const releases = usable.filter((v) => !isPrerelease(v.version));
  const best = newest(releases.filter((v) => isSemver(v.version))) ?? stableLabelled(t, releases) ?? newest(releases);
  if (best) return { version: best.version, versionLabel: labelFor(best.version, versions, t.labels) };
  const pre = newest(usable);
  if (pre)
    return {
      version: pre.version,
      versionLabel: pre.version,
      warning: `${t.ref} has no release yet, only prereleases: the snippet pins the newest, ${pre.version}.`,
    };
  const live = versions.filter((v) => !v.yanked);
  const last = newest(live.filter((v) => !isPrerelease(v.version))) ?? newest(live) ?? newest(versions);
  if (!last) return { version: '', versionLabel: '', warning: `${t.ref} has no version.` };
  return { version: last.version, versionLabel: last.version, warning: unusableWarning(t.ref, last, today) };
}

/** The version the `stable` label points at, when it is one of `vs`. */
function stableLabelled(t: SnippetTemplate, vs: SnippetVersion[]): SnippetVersion | undefined {
  const stable = t.labels['stable'];
  return stable === undefined ? undefined : vs.find((v) => v.version === stable);
}

/** The first selector, widest first, that the compiler's selection resolves to `version` today. */
function labelFor(version: string, versions: SnippetVersion[], labels: Record<string, string>): string {
  const picks = (selector: string) => {
    const r = selectVersion(selector, versions, labels);
    return r.ok && r.version === version;
  };
  if (!isSemver(version)) return labels['stable'] === version && picks('stable') ? 'stable' : version;
  const { major, minor } = semver.parse(version)!;
  const ranges = major > 0 ? [`^${major}.${minor}`, `~${major}.${minor}`] : minor > 0 ? [`^0.${minor}`] : [];
  return ranges.find(picks) ?? version;
}

function unusableWarning(ref: string, v: SnippetVersion, today: string): string {
  const head = `Every version of ${ref} is deprecated or yanked: the snippet pins the newest, ${v.version}, which`;
  if (v.yanked) return `${head} is yanked (compiling it warns, PW4011). Ask the template's owners what replaces it.`;
  const d = v.deprecation!;
  const sunset = d.sunset;
  if (sunset !== undefined && sunset.slice(0, 10) < today)
    return `${head} is deprecated and past its sunset date ${sunset}: ${d.message}. Compiling it fails (PW4010) unless --allow-sunset is given.`;
  return `${head} is deprecated${sunset ? ` (sunset ${sunset})` : ''}: ${d.message}. Compiling it warns (PW4009).`;
}

/** A valid Harness identifier (`^[a-zA-Z_][0-9a-zA-Z_$]{0,127}$`) from a template identifier. */
export function identifierFrom(id: string): string {
  const s = id.replace(/[^0-9a-zA-Z_$]/g, '_');
  return (/^[a-zA-Z_]/.test(s) ? s : `_${s}`).slice(0, 128);
}

/** The example value of a required input, and a note when it may not satisfy the input's regex. */
export function placeholderFor(name: string, decl: InputDecl): { value: unknown; note?: string } {
  if (decl.allowedValues?.length) return { value: decl.allowedValues[0] };
  const empty: Record<string, () => unknown> = { number: () => 0, boolean: () => false, array: () => [], object: () => ({}) };
  empty['steps'] = empty['stages'] = empty['array']!;
  if (empty[decl.type]) return { value: empty[decl.type]!() };
  const named = `<${name}>`;
  if (typeof decl.regex !== 'string') return { value: named };
  const candidates = [named, name, sampleOf(decl.regex)].filter((c): c is string => c !== undefined);
  const fits = candidates.find((c) => {
    const r = testRegex(decl.regex!, c);
    return 'matched' in r && r.matched;
  });
  if (fits === named) return { value: named };
  if (fits !== undefined)
    return { value: fits, note: `'${fits}' for ${name} is only an example that matches its regex ${decl.regex}: replace it.` };
  return { value: named, note: `${name} must match ${decl.regex}: replace ${named} before the snippet compiles.` };
}

/** The snippet of `t`: the recommended version's reference, in the block its type is pasted as. */
export function useSnippet(
  t: SnippetTemplate,
  versions: SnippetVersion[],
  declsOf: (version: string) => Record<string, InputDecl>,
  today?: string,
): UseSnippet {
  const rec = recommend(t, versions, today);
  const inputs: Record<string, unknown> = {};
  const notes: string[] = [];
  for (const [name, decl] of Object.entries(rec.version ? declsOf(rec.version) : {})) {
    if (!decl || decl.default !== undefined || decl.required === false) continue;
    const p = placeholderFor(name, decl);
    inputs[name] = p.value;
    if (p.note) notes.push(p.note);
  }
  const template = { templateRef: t.ref, versionLabel: rec.versionLabel, ...(Object.keys(inputs).length ? { inputs } : {}) };
  const id = identifierFrom(t.identifier);
  const node = { name: id, identifier: id, template };
  const key = ({ Step: 'step', StepGroup: 'stepGroup', Stage: 'stage' } as Record<string, string>)[t.type];
  const doc = key ? [{ [key]: node }] : t.type === 'Pipeline' ? { pipeline: node } : { template };
  const about =
    rec.versionLabel === rec.version
      ? `picks exactly ${rec.version}.`
      : rec.versionLabel === 'stable'
        ? `picks ${rec.version} today and follows the stable label when its maintainers move it.`
        : `picks ${rec.version} today, the newest version that is not deprecated, yanked or a prerelease, and later compatible releases once they are published.`;
  return { ...rec, yaml: stringify(doc), inputs, notes, about, where: WHERE[t.type] ?? `where a pipeline refers to a ${t.type} template` };
}

/** Where each type's block is pasted. */
const WHERE: Record<string, string> = {
  Step: "in a stage's execution.steps list (or a step group's steps)",
  StepGroup: "in a stage's execution.steps list",
  Stage: "in the pipeline's stages list",
  Pipeline: 'as a pipeline file of its own',
};

/**
 * A string the pattern likely matches, for the common input regexes (classes, escapes,
 * groups, alternation, quantifiers): the first alternative, one repetition where allowed.
 * Undefined for what it does not read (property classes, lookaround, backreferences); the
 * caller checks the sample against the real matcher either way.
 */
export function sampleOf(pattern: string): string | undefined {
  // Nested counts multiply (`(a{100}){100}`): past this the sample is no use as a placeholder.
  const MAX_SAMPLE = 1024;
  let i = 0;
  const unsupported = new Error('unsupported');
  const alternatives = (): string => {
    const first = sequence();
    while (pattern[i] === '|') {
      i++;
      sequence();
    }
    return first;
  };
  const sequence = (): string => {
    let out = '';
    while (i < pattern.length && pattern[i] !== '|' && pattern[i] !== ')') {
      const atom = atomSample();
      const q = /^(?:([*+?])|\{(\d+)(?:(,)(\d*))?\})\??/.exec(pattern.slice(i));
      let times = 1;
      if (q) {
        i += q[0].length;
        const min = q[1] === '+' ? 1 : q[1] ? 0 : Number(q[2]);
        const max = q[1] === '?' ? 1 : q[1] || q[3] === ',' ? (q[4] ? Number(q[4]) : Infinity) : min;
        times = min > 0 ? min : Math.min(1, max);
      }
      if (out.length + atom.length * times > MAX_SAMPLE) throw unsupported;
      out += atom.repeat(times);
    }
    return out;
  };
  const atomSample = (): string => {
    const c = pattern[i++]!;
    if (c === '^' || c === '$') return '';
    if (c === '.') return 'a';
    if (c === '(') {
      const head = /^\?(?::|P?<[A-Za-z_][A-Za-z0-9_]*>)/.exec(pattern.slice(i));
      if (head) i += head[0].length;
      else if (pattern[i] === '?') throw unsupported;
      const inner = alternatives();
      if (pattern[i++] !== ')') throw unsupported;
      return inner;
    }
    if (c === '[') {
      const end = /^\^?\]?(?:\\.|[^\]\\])*\]/.exec(pattern.slice(i));
      if (!end) throw unsupported;
      i += end[0].length;
      const cls = new RegExp(`^[${end[0]}$`, 'u');
      const pick = [...'aeiouxyz0123456789AEXYZ_-.:/ '].find((ch) => cls.test(ch));
      if (pick === undefined) throw unsupported;
      return pick;
    }
    if (c === '\\') {
      const e = pattern[i++];
      if (e === undefined || /[pPxuck0-9]/.test(e)) throw unsupported;
      return (
        ({ d: '0', D: 'a', w: 'a', W: '-', s: ' ', S: 'a', b: '', B: '', A: '', z: '', n: '\n', t: '\t' } as Record<string, string>)[e] ?? e
      );
    }
    if ('*+?{'.includes(c)) throw unsupported;
    return c;
  };
  try {
    const out = alternatives();
    return i === pattern.length ? out : undefined;
  } catch {
    return undefined;
  }
}
