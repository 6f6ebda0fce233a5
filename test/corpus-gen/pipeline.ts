/**
 * The pipeline of the corpus generator: the stage layout (sequential and parallel stages),
 * the pipeline head (identifier, name, project, codebase, variables, ...) and the emitted
 * YAML text with its lexical variations (comments, CRLF, BOM).
 */
import type { Generated } from './types.js';
import type { Gen } from './gen.js';
import type { PVar } from './model.js';
import { stage } from './stages.js';
import { pipelineVariables, variableNode, variableValue } from './variables.js';
import { Emitter, map, seq, type Node } from './yaml-emit.js';

export function pipeline(g: Gen): Generated {
  const id = g.ident(
    'pipeline',
    `${g.pick(['payments', 'checkout', 'api', 'web', 'infra', 'ledger', 'search', 'auth'])}_${g.pick(['ci', 'pipeline', 'build', 'release'])}`,
  );
  g.pvars = pipelineVariables(g);
  // Values are settled before the stages use the variables (an input without default is not known).
  const values = new Map<PVar, Node>();
  for (const [i, v] of g.pvars.entries()) values.set(v, variableValue(g, v, g.pvars.slice(0, i)));

  // Stage layout: sequential elements, some of them parallel blocks of stages.
  const nStages = g.weighted([
    [1, 3],
    [2, 4],
    [3, 4],
    [4, 2],
    [5, 1],
  ]);
  const layout: number[] = [];
  for (let left = nStages; left > 0;) {
    const k = left >= 2 && g.chance(0.2) ? g.int(2, Math.min(3, left)) : 1;
    layout.push(k);
    left -= k;
  }
  const types: string[] = [];
  for (let i = 0; i < nStages; i++) {
    types.push(
      g.weighted([
        ['CI', 10],
        ['Custom', 4],
        ['Deployment', 1.5],
        ['Approval', 1.2],
      ]),
    );
  }
  if (!types.some((t) => t === 'CI' || t === 'Custom')) types[0] = 'CI';
  g.cloneCodebase = types.includes('CI') && g.chance(0.6);

  // The variable holding a step output is settled once its stage exists (fixture: variables-at-use.yaml).
  const stageNodes: Node[] = [];
  const ancestors = new Set<string>();
  let t = 0;
  let outVar: PVar | undefined;
  let outVarValue: string | undefined;
  for (const width of layout) {
    const produced: string[] = [];
    const built: Node[] = [];
    for (let j = 0; j < width; j++) {
      const { node, id: sid } = stage(g, types[t++]!, new Set(ancestors), width > 1);
      built.push(node);
      produced.push(sid);
    }
    stageNodes.push(width === 1 ? built[0]! : map({ parallel: seq(built) }));
    if (width > 1) g.feat('parallel-stages');
    for (const s of produced) ancestors.add(s);
    if (!outVar && g.chance(0.3)) {
      const outs = produced.filter((s) => g.addressable.has(s)).flatMap((s) => g.stageOutputs.get(s) ?? []);
      if (outs.length) {
        const o = g.pick(outs);
        outVar = { name: 'upstream_value', type: 'String', known: false, afterStage: o.stage };
        outVarValue = `<+pipeline.stages.${o.stage}.spec.execution.steps.${o.path.join('.steps.')}.output.outputVariables.${o.name}>`;
        g.pvars.push(outVar);
        g.feat('variable-holds-output');
      }
    }
  }

  const head: Record<string, Node | undefined> = {};
  const order = g.chance(0.5) ? ['name', 'identifier'] : ['identifier', 'name'];
  head[order[0]!] = order[0] === 'name' ? g.nameFor(id) : id;
  head[order[1]!] = order[1] === 'name' ? g.nameFor(id) : id;
  // corpus: .harness__harness.yaml (projectIdentifier, orgIdentifier, tags {}), currentStateSamples
  if (g.chance(0.7)) {
    head['projectIdentifier'] = g.pick(['default_project', 'Drone_Plugins', 'payments']);
    head['orgIdentifier'] = 'default';
    g.feat('project-org');
  }
  if (g.chance(0.4)) head['description'] = g.pick(['', 'Builds and ships the service', 'Nightly']);
  if (g.chance(0.6)) head['tags'] = g.chance(0.6) ? map({}) : map({ team: g.pick(['platform', 'payments']), tier: '' });
  if (g.cloneCodebase) {
    // corpus: .harness__harness.yaml properties.ci.codebase (connectorRef, repoName, build <+input>)
    const codebase: Record<string, Node | undefined> = {
      connectorRef: g.pick(['GitHub_Drone_Org', 'account.github', 'org.gitlab']),
      repoName: g.pick(['go-convert', 'payments-api', 'web']),
    };
    codebase['build'] = g.chance(0.7) ? '<+input>' : map({ type: 'branch', spec: map({ branch: '<+trigger.branch>' }) });
    if (g.chance(0.2)) codebase['depth'] = 50;
    if (g.chance(0.2)) codebase['prCloneStrategy'] = 'MergeCommit';
    head['properties'] = map({ ci: map({ codebase: map(codebase) }) });
    g.feat('codebase');
  }
  if (g.chance(0.15)) head['delegateSelectors'] = seq([g.pick(['linux-delegate', 'k8s-delegate'])]);
  if (g.chance(0.1)) head['timeout'] = g.pick(['2h', '1d']);
  if (g.chance(0.1)) head['notificationRules'] = seq([]);
  if (g.chance(0.1)) head['flowControl'] = map({ barriers: seq([]) });
  const vars: Node[] = [];
  for (const v of g.pvars) vars.push(variableNode(g, v.name, v.type, v === outVar ? outVarValue! : values.get(v)!));
  // fixture: variables-at-use.yaml writes variables after stages
  const varsFirst = g.chance(0.7);
  if (vars.length && varsFirst) head['variables'] = seq(vars);
  head['stages'] = seq(stageNodes);
  if (vars.length && !varsFirst) head['variables'] = seq(vars);
  if (g.chance(0.3)) head['allowStageExecutions'] = g.chance(0.8); // corpus: .harness__harness.yaml

  const root = map({ pipeline: map(head) });
  const lines: string[] = [];
  if (g.chance(0.1)) lines.push('# yaml-language-server: $schema=./node_modules/pipewright/schemas/pipeline.schema.json');
  if (g.chance(0.05)) lines.push('version: 1'); // fixture: lexical.yaml, corpus: _test1.yaml `version: "1.0"`
  const emitter = new Emitter(g.rng, {
    seqIndent: g.chance(0.6),
    flowP: g.pick([0, 0.1, 0.3, 0.6]),
    quoteP: g.pick([0, 0.1, 0.3]),
    commentP: g.pick([0, 0, 0.03, 0.08]),
  });
  let text = emitter.document(root, lines);
  if (g.chance(0.05)) {
    text = text.replace(/\n/g, '\r\n');
    g.feat('crlf');
  }
  if (g.chance(0.04)) {
    text = '\ufeff' + text;
    g.feat('bom');
  }
  if (/: &env\d/.test(text)) g.feat('anchor');
  return { text, id, features: g.features };
}
