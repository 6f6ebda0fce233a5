/**
 * A template's page (`/templates/{ref}`, `?version=` to pick one): labels, versions, the
 * selected version's inputs and source, a pipeline-ready snippet recommending a version
 * (use-snippet.ts), and a form to compare two versions (diff.ts). `:ref` is checked by the
 * catalog router's param callback (params.ts).
 */
import type { Router } from 'express';
import type { InputDecl } from '../../../compiler/index.js';
import type { Store } from '../../store.js';
import { useSnippet } from '../../use-snippet.js';
import type { SendPage } from '../../views.js';
import { queryString, versionParam } from '../params.js';

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
    // The snippet recommends a version for new pipelines whichever one is viewed (use-snippet.ts).
    const use = useSnippet(t.summary, t.versions, (version) =>
      version === selected ? decls : (JSON.parse(store.getVersion(ref, version).inputs) as Record<string, InputDecl>),
    );
    const viewed = t.versions.find((x) => x.version === selected);
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
      snippet: use.yaml,
      use: {
        version: use.version,
        versionLabel: use.versionLabel,
        about: use.about,
        warning: use.warning,
        notes: use.notes,
        filled: Object.keys(use.inputs).length > 0,
        where: use.where,
        // The exact pin of the viewed version, offered below the snippet (not in it) when the snippet writes something else.
        pin:
          use.versionLabel === selected
            ? undefined
            : { version: selected, status: viewed?.yanked ? 'yanked' : viewed?.deprecation ? 'deprecated' : '' },
      },
      source: v.source,
    });
  });
}
