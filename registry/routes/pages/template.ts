/**
 * A template's page (`/templates/{ref}`, `?version=` to pick one): labels, versions, the
 * selected version's inputs and source, a snippet to adopt it, and a form to compare two
 * versions (diff.ts). `:ref` is checked by the catalog router's param callback (params.ts).
 */
import type { Router } from 'express';
import { stringify } from 'yaml';
import type { InputDecl } from '../../../compiler/index.js';
import type { Store } from '../../store.js';
import type { SendPage } from '../../views.js';
import { queryString, versionParam } from '../params.js';

/** An example value for a required input of `type` in the snippet: a new value each time (shared ones would print as YAML aliases). */
const exampleOf = (type: string): unknown =>
  (({ number: 0, boolean: false, array: [], object: {}, steps: [], stages: [] }) as Record<string, unknown>)[type];

/** Adds `GET /templates/{ref}` to the catalog's router. */
export function templatePage(r: Router, { store, page }: { store: Store; page: SendPage }): void {
  r.get('/templates/:ref', (req, res) => {
    const ref = req.params.ref;
    const t = store.getTemplate(ref);
    const selected = versionParam(queryString(req.query['version']) ?? t.summary.latest ?? t.versions[t.versions.length - 1]?.version);
    const v = store.getVersion(ref, selected);
    const decls = JSON.parse(v.inputs) as Record<string, InputDecl>;
    const inputs = Object.entries(decls).map(([name, d]) => ({
      name,
      type: d.type,
      hasDefault: d.default !== undefined,
      default: JSON.stringify(d.default),
      allowed: d.allowedValues ? d.allowedValues.map(String).join(', ') : '',
      regex: d.regex ?? '',
      required: d.default === undefined && d.required !== false,
      description: d.description ?? '',
    }));
    const example: Record<string, unknown> = {};
    for (const i of inputs) if (i.required) example[i.name] = decls[i.name]!.allowedValues?.[0] ?? exampleOf(i.type) ?? `<${i.name}>`;
    const snippet = stringify({
      template: { templateRef: ref, versionLabel: selected, ...(Object.keys(example).length ? { inputs: example } : {}) },
    });
    // Compare older → newer: the selected version against the one before it (the oldest
    // against the next), newest first in the lists.
    const newestFirst = [...t.versions].reverse();
    const at = newestFirst.findIndex((x) => x.version === selected);
    const [fromAt, toAt] = at < newestFirst.length - 1 ? [at + 1, at] : [at, Math.max(0, at - 1)];
    const versions = newestFirst.map((x, i) => ({
      ...x,
      short: x.digest.slice(0, 19) + '…',
      selected: x.version === selected,
      isTo: i === toAt,
      isFrom: newestFirst.length > 1 && i === fromAt,
    }));
    page(res, 200, 'template', t.summary.name, {
      t: t.summary,
      labels: Object.entries(t.summary.labels).map(([name, version]) => ({ name, version })),
      versions,
      selected,
      inputs,
      snippet,
      source: v.source,
    });
  });
}
