/**
 * The registry's express app. Collaborators (store, options, logger) come in as arguments:
 * no module-level state, so tests boot as many apps as they like.
 */
import express, { type Express } from 'express';
import type { Scope } from './auth.js';
import { jsonBody } from './json-body.js';
import { errorMiddleware, notFound } from './errors.js';
import { metaRoutes } from './routes/meta.js';
import { pageRoutes } from './routes/pages.js';
import { resolveRoutes } from './routes/resolve.js';
import { requireScope } from './routes/scope.js';
import { templateRoutes } from './routes/templates.js';
import type { Store } from './store.js';

export interface AppOptions {
  store: Store;
  /** Reads without a token (publishing always needs one). */
  anonymousRead?: boolean;
  /** Largest JSON body, default 1 MB (bodies are JSON only and nest at most `MAX_JSON_DEPTH` deep). */
  bodyLimit?: string | number;
  log?: (line: string) => void;
  /**
   * Trust a reverse proxy's `X-Forwarded-Proto`/`-Host`/`-For` (express's `trust proxy`:
   * `true`, a hop count, or addresses/subnets). Only then does a request that reached the proxy
   * over https count as https (`req.secure`), which makes the catalog's cookies `Secure`.
   * Default: not trusted, the headers are ignored.
   */
  trustProxy?: boolean | number | string;
}

export function createApp(options: AppOptions): Express {
  const { store } = options;
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const auth = (scope: Scope) => requireScope(store, scope, !!options.anonymousRead);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', options.trustProxy ?? false);
  app.use('/api/v1', jsonBody(options.bodyLimit ?? '1mb'));
  app.use(metaRoutes({ store, auth }));
  app.use('/api/v1', templateRoutes({ store, auth }));
  app.use('/api/v1', resolveRoutes({ store, auth }));
  app.use(pageRoutes({ store, anonymousRead: !!options.anonymousRead }));
  app.use((req, _res, next) => next(notFound(`no route ${req.method} ${req.path}`)));
  app.use(errorMiddleware(log));
  return app;
}
