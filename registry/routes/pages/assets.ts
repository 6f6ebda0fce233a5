/**
 * The catalog's static files (`/static/{file}`): one CSS file and one small script, read once
 * at start and served from memory with an hour's caching. An unknown file is the 404 page.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Router } from 'express';
import { assetDir, type SendPage } from '../../views.js';

const FILES = [
  ['catalog.css', 'text/css; charset=utf-8'],
  ['catalog.js', 'text/javascript; charset=utf-8'],
] as const;

/** Adds `GET /static/{file}` to the catalog's router; unknown files render as `page`'s 404. */
export function assetRoutes(r: Router, { page }: { page: SendPage }): void {
  const staticDir = assetDir('static');
  const assets = new Map<string, { type: string; body: Buffer }>();
  for (const [file, type] of FILES) assets.set(file, { type, body: readFileSync(join(staticDir, file)) });

  r.get('/static/:file', (req, res) => {
    const a = assets.get(req.params.file);
    if (!a) return page(res, 404, 'error', 'Not found', { title: 'Not found', message: 'No such file.' });
    res.setHeader('Content-Type', a.type);
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.end(a.body);
  });
}
