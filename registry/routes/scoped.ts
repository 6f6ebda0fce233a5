/**
 * Routes that check the caller's scope before their path parameters.
 *
 * Express runs a router's `param` callbacks (params.ts `checkPathParams`) before the first
 * handler of a matching route, so a scope check inside the route would come after them: a
 * request without a token and with a malformed reference would be answered 400 instead of
 * 401. So each route is declared once here and registered twice: its scope check on an outer
 * router that has no param callbacks, and its handler on an inner router, mounted after every
 * scope check, whose path parameters are checked. A request no route matches passes through
 * both untouched (404 further on, never 401).
 */
import { Router, type RequestHandler } from 'express';
import type { RouteParameters } from 'express-serve-static-core';
import type { Scope } from '../auth.js';
import { checkPathParams } from './params.js';
import type { Auth } from './scope.js';

type Method = 'get' | 'put' | 'post' | 'delete';

/** Declares one route: its path, the scope it needs and its handler (path parameters typed from the path). */
export type ScopedRoute = <Path extends string>(path: Path, scope: Scope, handler: RequestHandler<RouteParameters<Path>>) => void;

/** A router of scoped routes under construction. */
export interface ScopedRoutes {
  get: ScopedRoute;
  put: ScopedRoute;
  post: ScopedRoute;
  delete: ScopedRoute;
  /** The finished router: every route's scope check, then the routes. Call once, after the last route. */
  router(): Router;
}

/** Starts a router of scoped routes; `auth` makes each route's scope check. */
export function scopedRoutes(auth: Auth): ScopedRoutes {
  const checks = Router();
  const routes = checkPathParams(Router());
  const route =
    (method: Method): ScopedRoute =>
    (path, scope, handler) => {
      checks[method](path, auth(scope));
      routes[method](path, handler);
    };
  return {
    get: route('get'),
    put: route('put'),
    post: route('post'),
    delete: route('delete'),
    router() {
      checks.use(routes);
      return checks;
    },
  };
}
