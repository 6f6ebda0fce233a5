/**
 * Failure strategies of the corpus generator (`failureStrategies` of stages, step groups
 * and steps): error kinds and actions, Retry and ManualIntervention specs.
 */
import type { Gen } from './gen.js';
import { map, seq, type MapNode, type Node } from './yaml-emit.js';

/**
 * Failure strategies in the forms Harness writes (corpus: _test1.yaml Retry with
 * retryIntervals and onRetryFailure; fixture: strategies.yaml ManualIntervention with
 * onTimeout and `[]`; doc "Define a failure strategy").
 */
export function failureStrategies(g: Gen, where: 'ci' | 'cd' | 'stage-ci' | 'stage-cd' | 'group'): Node {
  if (g.chance(0.15)) return seq([]);
  const cd = where === 'cd' || where === 'stage-cd';
  const actions: [string, number][] = [
    ['Ignore', 2],
    ['Retry', 3],
    ['MarkAsSuccess', 1],
    ['Abort', 2],
    ['MarkAsFailure', 1],
    ['ManualIntervention', cd ? 2 : 0.5],
    ['StageRollback', cd ? 2 : 0],
    ['PipelineRollback', cd ? 0.5 : 0],
  ];
  const items: Node[] = [];
  const n = g.weighted([
    [1, 5],
    [2, 2],
  ]);
  const errorsUsed = new Set<string>();
  for (let i = 0; i < n; i++) {
    const errors =
      i === n - 1 && g.chance(0.7)
        ? ['AllErrors']
        : g.sample(
            [
              'Timeout',
              'Unknown',
              'Connectivity',
              'Authentication',
              'Authorization',
              'Verification',
              'DelegateProvisioning',
              'PolicyEvaluationFailure',
            ],
            g.int(1, 3),
          );
    if (errors.some((e) => errorsUsed.has(e))) continue;
    errors.forEach((e) => errorsUsed.add(e));
    const type = g.weighted(actions);
    let action: MapNode;
    if (type === 'Retry') {
      const count = g.int(1, 3);
      action = map({
        type,
        spec: map({
          retryCount: count,
          retryIntervals: seq(Array.from({ length: count }, () => g.pick(['1s', '5s', '10s', '30s', '1m']))),
          onRetryFailure: map({ action: map({ type: g.pick(['Abort', 'Ignore', 'MarkAsFailure', 'MarkAsSuccess']) }) }),
        }),
      });
    } else if (type === 'ManualIntervention') {
      action = map({
        type,
        spec: map({
          timeout: g.pick(['1h', '30m', '1d']),
          onTimeout: map({ action: map({ type: g.pick(['Abort', 'Ignore', 'MarkAsSuccess']) }) }),
        }),
      });
    } else action = map({ type });
    items.push(map({ onFailure: map({ errors: g.chance(0.1) && errors.length === 1 ? seq(errors, true) : seq(errors), action }) }));
  }
  g.feat('failure-strategies');
  return seq(items);
}
