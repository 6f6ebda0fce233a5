/**
 * Handlebars rendering of a template's string scalars (after YAML parsing, never the raw
 * text, so an input value cannot inject YAML structure). Strict mode: an unknown name is an
 * error. Only the helpers below are allowed. A scalar that is exactly one `{{ path }}` takes
 * the typed value (a number stays a number, a list stays a list). A literal `{{` is `\{{`.
 */
import { textOf } from '../text.js';
import { createRequire } from 'node:module';
import type HandlebarsNamespace from 'handlebars';
import { Codes, LocatedError, type Location } from '../diagnostics.js';

/** Helpers a template may call, besides Handlebars' if, unless, each and with. */
export const ALLOWED_HELPERS = ['eq', 'ne', 'and', 'or', 'not', 'default', 'lower', 'upper', 'json', 'join'] as const;

let instance: typeof HandlebarsNamespace | undefined;

/** Our Handlebars environment, made on first use: plain `{{ path }}` text never needs it. */
function handlebars(): typeof HandlebarsNamespace {
  if (instance) return instance;
  const hb = (createRequire(import.meta.url)('handlebars') as typeof HandlebarsNamespace).create();
  hb.unregisterHelper('log');
  hb.unregisterHelper('lookup');
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hb.registerHelper('ne', (a: unknown, b: unknown) => a !== b);
  hb.registerHelper('and', (...args: unknown[]) => args.slice(0, -1).every(Boolean));
  hb.registerHelper('or', (...args: unknown[]) => args.slice(0, -1).some(Boolean));
  hb.registerHelper('not', (a: unknown) => !a);
  hb.registerHelper('default', (a: unknown, b: unknown) => (a === undefined || a === null || a === '' ? b : a));
  hb.registerHelper('lower', (a: unknown) => textOf(a ?? '').toLowerCase());
  hb.registerHelper('upper', (a: unknown) => textOf(a ?? '').toUpperCase());
  hb.registerHelper('json', (a: unknown) => JSON.stringify(a));
  hb.registerHelper('join', (a: unknown, sep: unknown) =>
    Array.isArray(a) ? a.join(typeof sep === 'string' ? sep : ',') : textOf(a ?? ''),
  );
  return (instance = hb);
}

// Handlebars treats lookup and log as known built-ins; marking them false makes them unknown,
// so knownHelpersOnly rejects them at compile time.
const KNOWN: Record<string, boolean> = { ...Object.fromEntries(ALLOWED_HELPERS.map((h) => [h, true])), lookup: false, log: false };
const compiled = new Map<string, HandlebarsNamespace.TemplateDelegate>();
const SINGLE = /^\{\{\s*([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)\s*\}\}$/;

/** True when the string has anything for Handlebars to do. */
export function needsRendering(s: string): boolean {
  return s.includes('{{');
}

/**
 * Renders one scalar. Returns the typed value for a single `{{ path }}`, else the rendered
 * string. Throws LocatedError (PW3006 syntax, PW3007 unknown name, PW3008 helper) at `at`
 * (a function when the location is costly to find and only needed for an error).
 */
export function renderScalar(s: string, context: Record<string, unknown>, at: Location | (() => Location)): unknown {
  const where = () => (typeof at === 'function' ? at() : at);
  const single = SINGLE.exec(s);
  if (single && !KNOWN[single[1]!]) {
    const value = lookupPath(context, single[1]!.split('.'));
    if (value === undefined) throw new LocatedError(Codes.HANDLEBARS_UNKNOWN, `unknown name '${single[1]}' in ${s}`, where());
    return value;
  }
  const plain = interpolate(s, context);
  if (plain !== undefined) return plain;
  let fn = compiled.get(s);
  if (!fn) {
    try {
      // precompile eagerly so syntax errors surface here, located.
      const hb = handlebars();
      hb.precompile(s, { strict: true, knownHelpers: KNOWN, knownHelpersOnly: true });
      fn = hb.compile(s, { strict: true, knownHelpers: KNOWN, knownHelpersOnly: true, noEscape: true });
    } catch (e) {
      throw toLocated(e, s, where());
    }
    compiled.set(s, fn);
  }
  try {
    return fn(context);
  } catch (e) {
    throw toLocated(e, s, where());
  }
}

/** Names Handlebars reads as literals or keywords, never as paths. */
const NOT_PATHS = new Set(['true', 'false', 'null', 'undefined', 'this', 'else']);

/** Text split into literal pieces (strings) and `{{ path }}` lookups (segment lists). */
type Pieces = (string | string[])[];
const pieces = new Map<string, Pieces | null>();

function split(s: string): Pieces | null {
  if (s.includes('\\{{') || s.includes('{{{') || s.includes('}}}')) return null;
  const out: Pieces = [];
  let i = 0;
  for (;;) {
    const open = s.indexOf('{{', i);
    if (open < 0) {
      out.push(s.slice(i));
      return out;
    }
    const close = s.indexOf('}}', open + 2);
    if (close < 0) return null;
    const m = /^\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*$/.exec(s.slice(open + 2, close));
    if (!m) return null;
    const path = m[1]!.split('.');
    if (KNOWN[path[0]!] !== undefined || NOT_PATHS.has(path[0]!)) return null;
    out.push(s.slice(i, open), path);
    i = close + 2;
  }
}

/**
 * Text whose mustaches are all plain `{{ path }}` lookups of strings, numbers or booleans,
 * rendered without Handlebars (the same text Handlebars gives, for a tenth of the time);
 * undefined when Handlebars must render it (helpers, blocks, escapes, a missing name, a
 * value of another type).
 */
export function interpolate(s: string, context: Record<string, unknown>): string | undefined {
  let parts = pieces.get(s);
  if (parts === undefined) {
    parts = split(s);
    pieces.set(s, parts);
  }
  if (parts === null) return undefined;
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const cur = lookupPath(context, part);
    if (typeof cur !== 'string' && typeof cur !== 'number' && typeof cur !== 'boolean') return undefined;
    out += String(cur);
  }
  return out;
}

function toLocated(e: unknown, s: string, at: Location): LocatedError {
  const msg = e instanceof Error ? e.message : String(e);
  if (/knownHelpersOnly|unknown helper|missing helper|not a function/i.test(msg)) {
    const name = /helper:? ['"]?([\w-]+)/i.exec(msg)?.[1] ?? '';
    return new LocatedError(
      Codes.HANDLEBARS_HELPER,
      `helper ${name ? `'${name}' ` : ''}is not allowed (allowed: ${ALLOWED_HELPERS.join(', ')}, if, unless, each, with)`,
      at,
    );
  }
  if (/not defined in/.test(msg)) {
    const name = /"([^"]+)" not defined/.exec(msg)?.[1] ?? '?';
    return new LocatedError(Codes.HANDLEBARS_UNKNOWN, `unknown name '${name}' in ${s}`, at);
  }
  return new LocatedError(Codes.HANDLEBARS_SYNTAX, `template syntax error: ${msg.split('\n').filter(Boolean).slice(-1)[0] ?? msg}`, at);
}

/** The value at a path of own properties (no prototype's), or undefined. */
function lookupPath(ctx: Record<string, unknown>, path: string[]): unknown {
  let cur: unknown = ctx;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, seg)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}
