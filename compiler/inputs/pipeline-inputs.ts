/**
 * Pipeline-level runtime inputs: an input set (`inputSet: {pipeline: ...}` or a plain
 * `pipeline:` overlay) and `--set path=value` fill the `<+input>` leaves of a pipeline;
 * whatever is still open afterwards takes its `.default()` or is reported missing — all
 * missing values in one list.
 */
import { Codes, type DiagnosticBag, type Location } from '../diagnostics.js';
import { matchElement, unwrap } from '../templates/elements.js';
import { checkRuntimeInput, isRuntimeInput, parseRuntimeInput } from './runtime-inputs.js';
import { hasOwn, ownValue } from '../own.js';
import { typeSetValue } from './set-value.js';
import { sourcePositions } from '../harness-yaml.js';
import type { Positions } from '../yaml/index.js';

/** The pipeline overlay of an input-set document, or undefined when it has neither shape. */
export function inputSetOverlay(doc: unknown): Record<string, unknown> | undefined {
  if (!doc || typeof doc !== 'object') return undefined;
  const d = doc as Record<string, unknown>;
  const set = d['inputSet'] as Record<string, unknown> | undefined;
  const p = set && typeof set === 'object' ? set['pipeline'] : d['pipeline'];
  return p && typeof p === 'object' && !Array.isArray(p) ? (p as Record<string, unknown>) : undefined;
}

/**
 * Fills runtime-input leaves of `target` from `source` at the same paths (list elements are
 * matched by identifier). A reference's `template.templateInputs` in the source fills the
 * reference's templateInputs before expansion, or the expanded body after it.
 */
export function overlayInputs(target: unknown, source: unknown, bag: DiagnosticBag, fallback: Location, positions: Positions): void {
  if (!source || typeof source !== 'object' || !target || typeof target !== 'object') return;
  if (Array.isArray(source)) {
    if (!Array.isArray(target)) return;
    source.forEach((item, i) => {
      const t = matchElement(target, item, i);
      overlayInputs(t, item, bag, fallback, positions);
    });
    return;
  }
  const t = target as Record<string, unknown>;
  const s = source as Record<string, unknown>;
  for (const [k, sv] of Object.entries(s)) {
    if (k === 'template' && sv && typeof sv === 'object' && !hasOwn(t, 'template')) {
      // After expansion: the template's inputs now live on the body itself.
      overlayInputs(t, (sv as Record<string, unknown>)['templateInputs'], bag, fallback, positions);
      continue;
    }
    const tv = ownValue(t, k);
    if (isRuntimeInput(tv)) {
      if (isRuntimeInput(sv)) continue;
      fill(t, k, tv as string, sv, positions.at(s, k, fallback), bag, positions);
    } else if (tv && typeof tv === 'object') {
      overlayInputs(tv, sv, bag, fallback, positions);
    } else if (tv === undefined && k === 'templateInputs') {
      t['templateInputs'] = sv;
    }
  }
}

function fill(
  obj: Record<string, unknown>,
  key: string,
  leaf: string,
  value: unknown,
  at: Location,
  bag: DiagnosticBag,
  positions: Positions,
): boolean {
  let input;
  try {
    input = parseRuntimeInput(leaf);
  } catch (e) {
    bag.error(Codes.EXPRESSION_SYNTAX, `malformed runtime input '${leaf}': ${(e as Error).message}`, positions.at(obj, key, at));
    return false;
  }
  const problem = checkRuntimeInput(input, value);
  if (problem) {
    // A refused regex is the pipeline's problem: located at its leaf.
    bag.error(problem.code, `${key}: ${problem.message}`, problem.code === Codes.REGEX_UNSUPPORTED ? positions.at(obj, key, at) : at);
    return false;
  }
  obj[key] = value;
  return true;
}

/**
 * Applies `--set path=value`. The path walks the (expanded) pipeline through own properties
 * only: object keys, and in lists the element whose identifier (or variable name) is the
 * segment, or a numeric index. A leading `pipeline.` is optional. The target must be a
 * runtime input; the value is typed by what it fills (`set-value.ts`), a misfit is PW3016.
 */
export function applySet(root: Record<string, unknown>, assignment: string, bag: DiagnosticBag, positions: Positions): void {
  const at: Location = { file: '--set', line: 1, column: 1 };
  const eq = assignment.indexOf('=');
  if (eq <= 0) {
    bag.error(Codes.SET_PATH, `--set ${assignment}: expected path=value`, at);
    return;
  }
  const path = assignment.slice(0, eq).split('.');
  const raw = assignment.slice(eq + 1);
  const where = { file: `--set ${assignment.slice(0, eq)}`, line: 1, column: 1 };
  const segs = path[0] === 'pipeline' ? path : ['pipeline', ...path];
  const target = setTarget(root, segs);
  if ('missing' in target) {
    bag.error(Codes.SET_PATH, `no '${target.missing}' in the pipeline`, where);
    return;
  }
  const { holder, key } = target;
  const leaf = holder[key];
  if (!isRuntimeInput(leaf)) {
    bag.error(Codes.SET_PATH, `'${segs.join('.')}' is not a runtime input (<+input>); only runtime inputs can be set`, where);
    return;
  }
  // A variable's value is typed by the variable's declared type.
  const typed = typeSetValue(raw, key === 'value' && typeof holder['name'] === 'string' ? ownValue(holder, 'type') : undefined);
  if ('problem' in typed) {
    bag.error(Codes.SET_VALUE, `${segs.join('.')}: ${typed.problem}`, where);
    return;
  }
  fill(holder, key, leaf as string, typed.value, where, bag, positions);
}

/**
 * The object and key a `--set` path (segments, `pipeline` first) names: through own
 * properties, list elements by identifier or name (or index), and a variable by its name
 * (its `value`). `missing` is the part of the path that found nothing.
 */
function setTarget(root: unknown, segs: string[]): { holder: Record<string, unknown>; key: string } | { missing: string } {
  let cur: unknown = root;
  for (let i = 0; i < segs.length - 1; i++) {
    cur = step(cur, segs[i]!);
    if (cur === undefined) return { missing: segs.slice(0, i + 1).join('.') };
  }
  const last = segs[segs.length - 1]!;
  if (Array.isArray(cur)) {
    const v = findInList(cur, last);
    return v && typeof v === 'object' && hasOwn(v, 'value')
      ? { holder: v as Record<string, unknown>, key: 'value' }
      : { missing: segs.join('.') };
  }
  if (!cur || typeof cur !== 'object' || !hasOwn(cur, last)) return { missing: segs.join('.') };
  return { holder: cur as Record<string, unknown>, key: last };
}

function step(cur: unknown, seg: string): unknown {
  if (Array.isArray(cur)) return findInList(cur, seg);
  if (cur && typeof cur === 'object') {
    const o = cur as Record<string, unknown>;
    if (hasOwn(o, seg)) return o[seg];
    // `stages.build`: look through the wrapper of a list element reached earlier.
    const w = unwrap(o);
    if (w && w.node && typeof w.node === 'object' && hasOwn(w.node, seg)) return w.node[seg];
  }
  return undefined;
}

function findInList(list: unknown[], seg: string): unknown {
  for (const item of list) {
    const w = unwrap(item);
    if (w && w.kind !== 'parallel' && w.node && w.node['identifier'] === seg) return w.node;
    if (w && w.kind === 'parallel' && Array.isArray(w.node)) {
      const inner = findInList(w.node, seg);
      if (inner !== undefined) return inner;
    }
    if (item && typeof item === 'object' && (ownValue(item, 'name') === seg || ownValue(item, 'identifier') === seg)) return item;
  }
  if (/^\d+$/.test(seg)) return list[Number(seg)];
  return undefined;
}

/**
 * Resolves every runtime-input leaf still open below `root`: its default, or a missing-value
 * diagnostic (a warning and a typed placeholder kept in place when `partial`).
 */
export function finalizeInputs(root: unknown, file: string, partial: boolean, bag: DiagnosticBag, positions: Positions): number {
  let open = 0;
  const fallback: Location = { file, line: 1, column: 1 };
  // `path` is the way `--set` names a place: list elements by identifier (or a variable's
  // name), through `stage:` / `step:` wrappers, and past `parallel:` blocks. One stack for the
  // whole walk, an element's name worked out only when a leaf below it is open: most
  // pipelines have none, and this walk visits every node of every pipeline of a fleet.
  const path: Seg[] = [];
  const visit = (holder: Record<string | number, unknown> | unknown[], k: string | number, child: unknown) => {
    if (isRuntimeInput(child)) leaf(holder, k, child as string, path.map(segName));
    else if (typeof child === 'string' && child.includes('<+input>')) inside(holder, k, path.map(segName));
    else if (child && typeof child === 'object') walk(child);
  };
  // `<+input>` inside text (`echo target=<+input>`, or a template input left open by a partial
  // compile) is filled by nothing: it would run as the text. A placeholder with --partial.
  const inside = (holder: Record<string | number, unknown> | unknown[], k: string | number, path: string[]) => {
    const at = positions.at(holder, k, fallback);
    const name = path.join('.');
    if (partial) {
      open++;
      bag.warn(Codes.RUNTIME_INPUT_MISSING, `${name} holds <+input> inside text, filled by nothing (kept as a placeholder)`, at);
    } else
      bag.error(
        Codes.EXPRESSION_SYNTAX,
        `${name} holds <+input> inside text, which nothing fills: a runtime input is a field's whole value`,
        at,
      );
  };
  const walk = (v: unknown) => {
    if (!v || typeof v !== 'object') return;
    if (!Array.isArray(v)) {
      for (const k in v) {
        if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
        path.push(k);
        visit(v as Record<string, unknown>, k, (v as Record<string, unknown>)[k]);
        path.pop();
      }
      return;
    }
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      const w = unwrap(item);
      const named = !w || w.kind !== 'parallel';
      if (named) path.push({ node: w ? w.node : item, i });
      if (!w) visit(v, i, item);
      else {
        visit(item as Record<string, unknown>, w.kind, w.node);
        for (const k in item as Record<string, unknown>) {
          if (k === w.kind || !Object.prototype.hasOwnProperty.call(item, k)) continue;
          path.push(k);
          visit(item as Record<string, unknown>, k, (item as Record<string, unknown>)[k]);
          path.pop();
        }
      }
      if (named) path.pop();
    }
  };
  const leaf = (holder: Record<string | number, unknown> | unknown[], k: string | number, text: string, path: string[]) => {
    const at = positions.at(holder, k, fallback);
    let input;
    try {
      input = parseRuntimeInput(text);
    } catch (e) {
      bag.error(Codes.EXPRESSION_SYNTAX, `malformed runtime input '${text}': ${(e as Error).message}`, at);
      return;
    }
    if (input.default !== undefined) {
      // A default must pass its own .regex() / .allowedValues(), as a given value must.
      const problem = checkRuntimeInput(input, input.default);
      if (problem)
        bag.error(
          problem.code,
          `runtime input ${setPath(root, holder, k, path) ?? path.join('.')}: its own default ${JSON.stringify(input.default)} is refused: ${problem.message}`,
          at,
        );
      else (holder as Record<string | number, unknown>)[k] = input.default;
      return;
    }
    open++;
    // The `--set` path, found once, names the input and (when it leads back here) fills it.
    const set = setPath(root, holder, k, path);
    const name = set ?? path.join('.');
    if (partial) bag.warn(Codes.RUNTIME_INPUT_MISSING, `runtime input ${name} has no value (kept as a placeholder)`, at);
    else bag.error(Codes.RUNTIME_INPUT_MISSING, `runtime input ${name} has no value: ${howToFill(set, input.allowedValues)}`, at);
  };
  walk(root);
  return open;
}

/** A step of the walk's path: an object key, or a list element (named when asked). */
type Seg = string | { node: unknown; i: number };

const segName = (s: Seg): string => (typeof s === 'string' ? s : elementName(s.node, s.i));

/** A list element's path segment: its identifier, a variable's name, or its index. */
function elementName(node: unknown, i: number): string {
  if (node && typeof node === 'object') {
    const id = ownValue(node, 'identifier') ?? ownValue(node, 'name');
    if (typeof id === 'string' && id !== '' && !id.includes('.')) return id;
  }
  return String(i);
}

/**
 * The path `--set` takes for a leaf (a variable's `value` is named by the variable), when
 * that path leads back to this very leaf; undefined when it does not (two elements share an
 * identifier, say).
 */
function setPath(root: unknown, holder: unknown, k: string | number, path: string[]): string | undefined {
  const segs =
    k === 'value' && holder && typeof holder === 'object' && typeof ownValue(holder, 'name') === 'string' ? path.slice(0, -1) : path;
  // `--set` splits its path at dots: a key holding one cannot be named.
  if (segs.some((seg) => seg.includes('.') || seg.includes('='))) return undefined;
  const t = segs.length > 1 ? setTarget(root, segs) : undefined;
  return t && 'holder' in t && t.holder === holder && t.key === String(k) ? segs.join('.') : undefined;
}

/** How to fill a missing input: the exact `--set` (its path `p`), or an input set when no path reaches it. */
function howToFill(p: string | undefined, allowed: unknown[] | undefined): string {
  const example = allowed?.length ? String(allowed[0]) : 'VALUE';
  const choices = allowed?.length ? ` (one of: ${allowed.map(String).join(', ')})` : '';
  return p
    ? `give it with --set ${shellWord(`${p}=${example}`)}${choices}, or in an input set (--inputs FILE)`
    : `give it in an input set (--inputs FILE)${choices}`;
}

/** A word as a POSIX shell reads it back: as it is when plain, else in single quotes. */
function shellWord(word: string): string {
  return /^[\w.,:=@%+/-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Checks every `<+input>` leaf under `root` that carries a `.default()` against its own
 * `.regex()` and `.allowedValues()`, located at the leaf: `validate` and publish refuse a
 * template whose default its own declaration refuses, as a given value would be refused.
 */
export function checkRuntimeInputDefaults(
  root: unknown,
  fallback: Location,
  bag: DiagnosticBag,
  positions: Positions = sourcePositions,
): void {
  const walk = (v: unknown) => {
    if (!v || typeof v !== 'object') return;
    const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
    for (const [k, child] of entries) {
      if (!isRuntimeInput(child)) {
        walk(child);
        continue;
      }
      let input;
      try {
        input = parseRuntimeInput(child as string);
      } catch {
        continue; // reported where the input is filled
      }
      if (input.default === undefined) continue;
      const problem = checkRuntimeInput(input, input.default);
      if (problem)
        bag.error(
          problem.code,
          `runtime input '${String(k)}': its own default ${JSON.stringify(input.default)} is refused: ${problem.message}`,
          positions.at(v, k, fallback),
        );
    }
  };
  walk(root);
}
