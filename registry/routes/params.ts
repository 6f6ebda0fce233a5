/**
 * Checks of path, query and body parameters shared by the routes. Each takes any value (a
 * JSON body may hold a number, an array or an object where a string is due) and answers a
 * checked string or throws a 400: never `String(x)` of an unchecked value, which throws on
 * `{"toString": 1}` and turns `["a"]` into `"a"`.
 *
 * The path parameters `:ref`, `:version` and `:label` are checked once per request by the
 * router's `param` callbacks (`checkPathParams`); a handler reads them from `req.params`
 * already checked.
 */
import type { Request, RequestHandler, Router } from 'express';
import { parseRef } from '../../compiler/index.js';
import { badRequest } from '../errors.js';

const VERSION = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;
const LABEL = /^[a-z][a-z0-9_-]{0,63}$/;

/** `v` if it is a string, else a 400 naming `what`. */
export function stringParam(v: unknown, what: string): string {
  if (typeof v === 'string') return v;
  throw badRequest(
    v === undefined || v === null ? `${what} is missing` : `${what} must be a string, not ${Array.isArray(v) ? 'an array' : typeof v}`,
  );
}

/** A template reference from the URL or a body, or 400. */
export function refParam(text: unknown): string {
  const s = stringParam(text, 'the template reference');
  if (!parseRef(s)) throw badRequest(`'${s}' is not a template reference (account.<id>, org.<id> or <id>)`);
  return s;
}

/** A version from the URL, a query or a body, or 400. */
export function versionParam(text: unknown): string {
  const s = stringParam(text, 'the version');
  if (!VERSION.test(s)) throw badRequest(`'${s}' is not a version (letters, digits, . _ + -, at most 64)`);
  return s;
}

/** A label name from the URL, or 400. */
export function labelParam(text: unknown): string {
  const s = stringParam(text, 'the label');
  if (!LABEL.test(s)) throw badRequest(`'${s}' is not a label name (lower case letters, digits, - and _)`);
  return s;
}

/** An optional single query string value. */
export function queryString(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw badRequest('query parameters must be given once');
  return v;
}

/** The path parameters every router checks the same way, and their checks. */
const PATH_PARAMS = { ref: refParam, version: versionParam, label: labelParam } as const;

/** The first malformed path parameter of a request whose router defers its 400 (see `checkPathParams`). */
const deferred = new WeakMap<Request, unknown>();

/**
 * Installs the checks of `:ref`, `:version` and `:label` on `router` (param callbacks belong to
 * the router they are installed on; Express runs them, in path order, before the first handler
 * of a matching route). A malformed value is a 400, passed on like an error a handler threw:
 * at once, or — `defer` — only when the route reaches `pathParamsOk`, so that the handlers
 * before it run first (the API's scope checks: a request without a token is 401 whatever its
 * path). A route of a deferring router must include `pathParamsOk` before its handler.
 */
export function checkPathParams(router: Router, defer = false): Router {
  for (const [name, check] of Object.entries(PATH_PARAMS))
    router.param(name, (req, _res, next, value: unknown) => {
      if (!defer) {
        check(value);
      } else if (!deferred.has(req)) {
        try {
          check(value);
        } catch (e) {
          deferred.set(req, e);
        }
      }
      next();
    });
  return router;
}

/** A route's handler that passes on its deferred 400 for a malformed path parameter, if any. */
export const pathParamsOk: RequestHandler = (req, _res, next) => {
  const e = deferred.get(req);
  if (e === undefined) return next();
  deferred.delete(req);
  next(e);
};
