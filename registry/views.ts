/**
 * Rendering the catalog's pages: Handlebars views (auto-escaped: template content is always
 * text) inside one layout, sent with a Content-Security-Policy without inline scripts. The
 * layout shows who is signed in, with a sign-out form carrying the session's CSRF token, or a
 * sign-in link (see routes/pages/login.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Response } from 'express';
import Handlebars from 'handlebars';

const HERE = dirname(fileURLToPath(import.meta.url));

/** The folder of an asset kind, from source (`registry/`) or build (`dist/registry/` → `registry/`). */
export function assetDir(name: 'views' | 'static'): string {
  const candidates = [join(HERE, name), join(HERE, '..', '..', 'registry', name)];
  return candidates.find((d) => existsSync(d)) ?? candidates[0]!;
}

export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const VIEWS = ['layout', 'catalog', 'template', 'diff', 'login', 'error'] as const;
export type ViewName = Exclude<(typeof VIEWS)[number], 'layout'>;

/** The signed-in person as the layout shows them: a name and the CSRF token of the sign-out form. */
export interface LayoutViewer {
  name: string;
  csrf: string;
}

/** Sends one page: `view` rendered with `data` inside the layout, with the security headers. */
export type SendPage = (res: Response, status: number, view: ViewName, title: string, data: Record<string, unknown>) => void;

/**
 * Compiles the views once and answers the page sender. `viewerOf` tells the layout who the
 * response is for (undefined: signed out).
 */
export function pageSender(viewerOf: (res: Response) => LayoutViewer | undefined): SendPage {
  const hb = Handlebars.create();
  const dir = assetDir('views');
  const compiled = new Map<string, Handlebars.TemplateDelegate>();
  for (const name of VIEWS) compiled.set(name, hb.compile(readFileSync(join(dir, `${name}.hbs`), 'utf8'), { strict: false }));
  return (res, status, view, title, data) => {
    const body = compiled.get(view)!(data);
    const viewer = viewerOf(res);
    const html = compiled.get('layout')!({ title, body, viewer, signInLink: !viewer && view !== 'login' });
    res.status(status).setHeader('Content-Security-Policy', CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'same-origin');
    // Pages may show a CSRF token and who is signed in: never from a shared cache.
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(html);
  };
}
