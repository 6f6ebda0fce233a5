/**
 * The diff page (`/templates/{ref}/diff?from=&to=`): a unified diff of two versions'
 * canonical content, coloured by line, and their input changes. Past diff.ts's bounds the
 * page says the versions are too large to compare line by line. `:ref` is checked by the
 * catalog router's param callback (params.ts).
 */
import { defaultAppearance } from '../../../client/index.js';
import type { Router } from 'express';
import { diffVersions } from '../../diff.js';
import type { Store } from '../../store.js';
import type { SendPage } from '../../views.js';
import { queryString, versionParam } from '../params.js';

/** Adds `GET /templates/{ref}/diff` to the catalog's router. */
export function diffPage(r: Router, { store, page }: { store: Store; page: SendPage }): void {
  r.get('/templates/:ref/diff', (req, res) => {
    const ref = req.params.ref;
    const from = versionParam(queryString(req.query['from']));
    const to = versionParam(queryString(req.query['to']));
    const d = diffVersions(store.getVersion(ref, from), store.getVersion(ref, to));
    // Too large: the page says so (with both digests) instead of showing the file headers.
    const lines = d.tooLarge
      ? []
      : d.patch.split('\n').map((text) => ({
          text,
          kind: text.startsWith('@@') ? 'hunk' : text.startsWith('+') ? 'add' : text.startsWith('-') ? 'del' : 'ctx',
        }));
    const defaults = d.inputs.defaultChanged.map((c) => ({
      name: c.name,
      from: JSON.stringify(c.from),
      to: JSON.stringify(c.to),
      appearance: defaultAppearance(c),
    }));
    page(res, 200, 'diff', `${ref} ${from} → ${to}`, { ref, from, to, inputs: d.inputs, defaults, lines, tooLarge: d.tooLarge });
  });
}
