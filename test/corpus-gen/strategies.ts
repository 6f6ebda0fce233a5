/**
 * Looping strategies of the corpus generator (matrix, parallelism, repeat) on stages,
 * step groups and steps, and the scope each opens for `<+matrix.x>`-style expressions.
 */
import type { Gen } from './gen.js';
import { input } from './inputs.js';
import type { Strat } from './model.js';
import { map, seq, type Node } from './yaml-emit.js';

/**
 * A looping strategy (doc "Use looping strategies"; corpus: stage-stragegy-matrix (one-value
 * axis list, `exclude: null`); fixture: strategies.yaml, matrix-scalar-axis.yaml).
 * Returns the YAML and the scope it opens.
 */
export function strategy(g: Gen, level: 'stage' | 'group' | 'step'): { node: Node; strat: Strat } {
  const kind = g.weighted<'matrix' | 'parallelism' | 'repeat'>([
    ['matrix', 5],
    ['parallelism', 2],
    ['repeat', 2],
  ]);
  if (kind === 'parallelism') {
    g.feat('parallelism');
    const p: Node = g.chance(0.15) ? input(g, String(g.int(2, 3))) : g.int(2, 4);
    return { node: map({ parallelism: p }), strat: { kind: 'parallelism' } };
  }
  if (kind === 'repeat') {
    g.feat('repeat');
    if (g.chance(0.35)) return { node: map({ repeat: map({ times: g.int(2, 3) }) }), strat: { kind: 'repeat', items: false } };
    const items = g.sample(['us-east-1', 'eu-west-1', 'ap-south-1', 'svc-a', 'svc-b', 'v1', 'v2'], g.int(2, 3));
    return { node: map({ repeat: map({ items: seq(items) }) }), strat: { kind: 'repeat', items: true } };
  }
  g.feat('matrix');
  const axisNames = g.sample(
    level === 'stage' ? ['env', 'region', 'provider'] : level === 'group' ? ['shard', 'suite', 'db'] : ['os', 'arch', 'jdk', 'node'],
    g.int(1, 2),
  );
  const values: Record<string, string[]> = {
    env: ['dev', 'qa', 'prod'],
    region: ['eu', 'us'],
    provider: ['aws', 'gcp'],
    shard: ['a', 'b', 'c'],
    suite: ['unit', 'api'],
    db: ['postgres', 'mysql'],
    os: ['linux', 'windows', 'macos'],
    arch: ['amd64', 'arm64'],
    jdk: ['17', '21'],
    node: ['18', '20'],
  };
  const entries: Record<string, Node | undefined> = {};
  const chosen: Record<string, string[]> = {};
  for (const a of axisNames) {
    const vs = g.chance(0.2) ? [values[a]![0]!] : g.sample(values[a]!, g.int(2, values[a]!.length));
    if (vs.length === 1) g.feat('matrix-one-value-axis');
    chosen[a] = vs;
    // Versions are written as numbers as often as strings (`jdk: [17, 21]`).
    entries[a] = seq(vs.map((x) => (/^\d+$/.test(x) && g.chance(0.5) ? Number(x) : x)));
  }
  if (axisNames.length === 2 && g.chance(0.3)) {
    const [a, b] = axisNames as [string, string];
    if (chosen[a]!.length > 1 || chosen[b]!.length > 1) {
      entries['exclude'] = seq([map({ [a]: chosen[a]![0]!, [b]: chosen[b]![chosen[b]!.length - 1]! })]);
      g.feat('matrix-exclude');
    }
  } else if (g.chance(0.05)) entries['exclude'] = null; // corpus: stage-stragegy-matrix `exclude: null`
  if (g.chance(0.3)) {
    entries['maxConcurrency'] = g.int(1, 3);
    g.feat('maxConcurrency');
  }
  if (g.chance(0.1)) {
    // fixture: matrix-scalar-axis.yaml (nodeName)
    entries['nodeName'] = `${level}-<+matrix.${axisNames[0]}>`;
    g.feat('matrix-nodeName');
  }
  return { node: map({ matrix: map(entries) }), strat: { kind: 'matrix', axes: axisNames } };
}
