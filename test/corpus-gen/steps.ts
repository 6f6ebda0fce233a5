/**
 * One step element of the corpus generator: its type (by stage flavour), identifier,
 * strategy, the fields every step has (name, description, timeout, `when`, failure
 * strategies, `contextType`) and the outputs it declares.
 */
import { when } from './conditions.js';
import { failureStrategies } from './failure-strategies.js';
import type { Gen } from './gen.js';
import { duration } from './inputs.js';
import type { Ctx, Output, Strat } from './model.js';
import { backgroundSpec, cdSpec, httpSpec, otherSpec, pluginSpec, runSpec, securitySpec, shellScriptSpec } from './step-specs.js';
import { strategy } from './strategies.js';
import { STEP_WORDS } from './vocabulary.js';
import { map, type Node } from './yaml-emit.js';

export function step(g: Gen, ctx: Ctx, flavour: 'ci' | 'custom' | 'cd'): { node: Node; outputs: Output[] } {
  const type =
    flavour === 'ci'
      ? g.weighted<string>([
          ['Run', 10],
          ['Background', 2],
          ['Plugin', 2.5],
          ['RunTests', 0.6],
          ['GitClone', 0.6],
          ['BuildAndPushDockerRegistry', 1],
          ['Action', 0.6],
          ['SaveCacheS3', 0.4],
          ['RestoreCacheGCS', 0.4],
          ['ArtifactoryUpload', 0.4],
          ['Security', 0.8],
        ])
      : g.weighted<string>([
          ['ShellScript', 6],
          ['Http', 2],
          ['Wait', 0.7],
          ['Email', 0.7],
          ['JiraCreate', 0.4],
          ['TerraformPlan', flavour === 'cd' ? 0.5 : 0.3],
        ]);
  const sid = g.ident(`steps:${ctx.stage}`, g.pick(STEP_WORDS));
  let strat: { node: Node; strat: Strat } | undefined;
  if ((type === 'Run' || type === 'ShellScript' || type === 'Plugin') && g.chance(0.1)) strat = strategy(g, 'step');
  const sctx: Ctx = { ...ctx, ...(strat ? { strat: strat.strat, nodeCopied: true } : {}) };
  const outputs: Output[] = [];
  const declare = (names: string[]) => {
    if (!sctx.nodeCopied) for (const name of names) outputs.push({ stage: ctx.stage, path: [...ctx.groupPath, sid], name });
  };
  let spec: Node;
  let stepType = type;
  switch (type) {
    case 'Run':
      spec = runSpec(g, sctx, declare);
      break;
    case 'Background':
      spec = backgroundSpec(g, sctx);
      break;
    case 'Plugin':
      spec = pluginSpec(g, sctx);
      break;
    case 'ShellScript':
      spec = shellScriptSpec(g, sctx, declare);
      break;
    case 'Http':
      spec = httpSpec(g, sctx, declare);
      break;
    case 'Security':
      stepType = g.pick(['AquaTrivy', 'Gitleaks', 'Semgrep', 'Snyk', 'Nikto', 'Nmap', 'Twistlock', 'Brakeman', 'Sysdig', 'PrismaCloud']);
      spec = securitySpec(g, stepType);
      g.feat(
        ['Nikto', 'Nmap', 'Twistlock', 'Brakeman', 'Sysdig', 'PrismaCloud'].includes(stepType)
          ? 'step-type-unknown-to-pipewright'
          : 'step-type-security',
      );
      break;
    case 'TerraformPlan':
      // doc "Provision with Terraform / Terragrunt / Terraform Cloud" (Deploy and Custom stages)
      stepType = g.pick(['TerraformPlan', 'TerragruntPlan', 'TerraformCloudRun']);
      spec = cdSpec(stepType);
      if (stepType !== 'TerraformPlan') g.feat('step-type-unknown-to-pipewright');
      break;
    default:
      spec = otherSpec(g, type, sctx);
  }
  g.feat(`step-${stepType}`);
  const o: Record<string, Node | undefined> = {};
  // Key order: editor (type, name, identifier, spec) or go-convert goldens (identifier, name, spec, timeout, type).
  const editorOrder = g.chance(0.7);
  if (editorOrder) o['type'] = stepType;
  o['name'] = g.nameFor(sid);
  o['identifier'] = sid;
  if (g.chance(0.15)) o['description'] = g.pick(['', 'this is a description', 'exit']); // corpus: _test1.yaml
  o['spec'] = spec;
  if (g.chance(0.35) || ['ShellScript', 'Http', 'Wait', 'Email', 'JiraCreate'].includes(type)) {
    o['timeout'] = g.chance(0.05) ? g.pick(['<+input>', '<+input>.default(10m)']) : g.chance(0.1) ? '' : duration(g);
    if (String(o['timeout']).startsWith('<+input>')) g.feat('runtime-input-timeout');
  }
  if (!editorOrder) o['type'] = stepType;
  if (g.chance(0.2)) o['when'] = when(g, ctx);
  if (g.chance(0.15)) o['failureStrategies'] = failureStrategies(g, flavour === 'ci' ? 'ci' : 'cd');
  // harness-core StepGroupElementConfig / step nodes: strategy and failureStrategies take only a runtime input as an expression
  else if (g.chance(0.01)) {
    o['failureStrategies'] = '<+input>';
    g.feat('runtime-input-failureStrategies');
  }
  if (strat) o['strategy'] = strat.node;
  else if (g.chance(0.01)) {
    o['strategy'] = '<+input>';
    g.feat('runtime-input-strategy');
  }
  const element: Record<string, Node | undefined> = { step: map(o) };
  if (g.chance(0.1)) {
    element['contextType'] = 'Pipeline';
    g.feat('context-type-beside-step');
  }
  return { node: map(element), outputs };
}
