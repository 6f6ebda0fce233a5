/**
 * Routes that check the caller's scope before their path parameters.
 *
 * Express runs a router's `param` callbacks (params.ts `checkPathParams`) before the first
 * handler of a matching route, so a scope check inside the route would come after them: a
 * request without a token and with a malformed reference would be answered 400 instead of
 * 401. So the router defers the parameters' 400, and each route runs its scope check, then
 * `pathParamsOk` (the deferred 400, if any), then its handler. One router, as before the
 * parameter checks moved to `param` callbacks.
 */
import { Router, type RequestHandler } from 'express';
import type { RouteParameters } from 'express-serve-static-core';
import type { Scope } from '../auth.js';
import { checkPathParams, pathParamsOk } from './params.js';
import type { Auth } from './scope.js';

type Method = 'get' | 'put' | 'post' | 'delete';

/** Declares one route: its path, the scope it needs and its handler (path parameters typed from the path). */
export type ScopedRoute = <Path extends string>(path: Path, scope: Scope, handler: RequestHandler<RouteParameters<Path>>) => void;

/** A router of scoped routes: `get`, `put`, `post` and `delete` declare routes on `router`. */
export interface ScopedRoutes {
  get: ScopedRoute;
  put: ScopedRoute;
  post: ScopedRoute;
  delete: ScopedRoute;
  readonly router: Router;
}

/** Starts a router of scoped routes; `auth` makes each route's scope check. */
export function scopedRoutes(auth: Auth): ScopedRoutes {
  const router = checkPathParams(Router(), true);
  const route =
    (method: Method): ScopedRoute =>
    (path, scope, handler) => {
      router[method](path, auth(scope), pathParamsOk, handler);
    };
  return { get: route('get'), put: route('put'), post: route('post'), delete: route('delete'), router };
}
