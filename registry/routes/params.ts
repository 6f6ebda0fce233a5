/**
 * Checks of path and query parameters shared by the routes.
 */
import { parseRef } from '../../compiler/index.js';
import { badRequest } from '../errors.js';

const VERSION = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;
const LABEL = /^[a-z][a-z0-9_-]{0,63}$/;

/** A template reference from the URL, or 400. */
export function refParam(text: unknown): string {
  const s = String(text ?? '');
  if (!parseRef(s)) throw badRequest(`'${s}' is not a template reference (account.<id>, org.<id> or <id>)`);
  return s;
}

export function versionParam(text: unknown): string {
  const s = String(text ?? '');
  if (!VERSION.test(s)) throw badRequest(`'${s}' is not a version (letters, digits, . _ + -, at most 64)`);
  return s;
}

export function labelParam(text: unknown): string {
  const s = String(text ?? '');
  if (!LABEL.test(s)) throw badRequest(`'${s}' is not a label name (lower case letters, digits, - and _)`);
  return s;
}

/** An optional single query string value. */
export function queryString(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw badRequest('query parameters must be given once');
  return v;
}
