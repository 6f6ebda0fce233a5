/**
 * The order a set of templates is published in: every template after the templates of the
 * set it uses (the registry compiles each one against what it already holds), otherwise in
 * the order the files were given.
 */
import type { ValidatedTemplate } from '../compiler/index.js';

export function publishOrder(templates: readonly ValidatedTemplate[]): ValidatedTemplate[] {
  const id = (t: ValidatedTemplate) => `${t.ref}@${t.version}`;
  const waiting = new Map(templates.map((t) => [id(t), t]));
  const out: ValidatedTemplate[] = [];
  while (waiting.size > 0) {
    // The first template whose dependencies in the set are all placed.
    const next = [...waiting.values()].find((t) => t.uses.every((u) => !waiting.has(u)));
    // A cycle cannot reach here (the isolation compile refuses it, PW4003); if one did, the
    // registry would refuse the first of it, so the order does not matter.
    const t = next ?? waiting.values().next().value!;
    waiting.delete(id(t));
    out.push(t);
  }
  return out;
}
