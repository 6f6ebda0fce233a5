/**
 * Pipeline variables of the corpus generator: names and types, their values (literals,
 * runtime inputs, references to earlier variables) and the variable entries of pipelines
 * and stages.
 */
import type { Gen } from './gen.js';
import { input } from './inputs.js';
import type { PVar } from './model.js';
import { VAR_WORDS } from './vocabulary.js';
import { map, type MapNode, type Node } from './yaml-emit.js';

/**
 * Pipeline variables of each type, with the fields Harness's editor writes (`description`,
 * `required`; doc "Add a variable"), values literal, runtime inputs or references to other
 * variables (README "Variable values may themselves hold expressions").
 */
export function pipelineVariables(g: Gen): PVar[] {
  const n = g.int(0, 5);
  const out: PVar[] = [];
  const names = g.sample(VAR_WORDS, n);
  for (const name of names) {
    const type = g.weighted<PVar['type']>([
      ['String', 6],
      ['Number', 2],
      ['Secret', 1],
    ]);
    out.push({ name, type, known: true, ...(name === 'targets' ? { list: true } : {}) });
  }
  return out;
}

export function variableValue(g: Gen, v: PVar, earlier: PVar[]): Node {
  if (v.type === 'Secret') {
    g.feat('secret-variable');
    return g.chance(0.2) ? input(g) : g.pick(['account.docker_password', 'org.sonar_token', 'npm_token']);
  }
  if (v.type === 'Number') {
    g.feat('number-variable');
    if (g.chance(0.3)) return input(g, String(g.int(1, 5)));
    return g.int(0, 10);
  }
  if (v.list) return g.chance(0.3) ? input(g, '"dev,prod"') : g.pick(['dev,prod', 'eu,us,ap', 'dev']);
  const ref = earlier.filter((e) => e.type === 'String' && e.known && !e.afterStage);
  if (ref.length && g.chance(0.25)) {
    g.feat('variable-references-variable');
    return `<+pipeline.variables.${g.pick(ref).name}>-${g.pick(['eu', 'blue', 'canary'])}`;
  }
  const r = g.r();
  if (r < 0.15) {
    v.known = false;
    return input(g, undefined, undefined, () => (v.openModified = true));
  }
  if (r < 0.3) return input(g, g.pick(['dev', 'main', 'eu']), g.chance(0.5) ? ['dev', 'main', 'eu', 'prod'] : undefined);
  if (r < 0.37) {
    v.known = false;
    v.openModified = true;
    return input(g, undefined, ['dev', 'qa', 'prod']);
  }
  return g.pick(['dev', 'prod', 'eu-west-1', 'payments', 'release/1.2', 'v1.4.0', 'blue', 'platform']);
}

export function variableNode(g: Gen, name: string, type: string, value: Node): MapNode {
  const o: Record<string, Node | undefined> = { name, type };
  if (g.chance(0.6)) o['description'] = g.chance(0.8) ? '' : 'set by the release train';
  if (g.chance(0.5)) o['required'] = g.chance(0.8) ? false : true;
  o['value'] = value;
  return map(o);
}
