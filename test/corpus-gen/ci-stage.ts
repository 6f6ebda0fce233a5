/**
 * The CI stage spec of the corpus generator: `cloneCodebase`, caching, the infrastructure
 * (Cloud, Docker, KubernetesDirect, VM pool, `useFromStage`), shared paths, service
 * dependencies, and the stage's step list.
 */
import type { Gen } from './gen.js';
import { input } from './inputs.js';
import type { Ctx } from './model.js';
import { stepList } from './step-tree.js';
import { CONNECTORS } from './vocabulary.js';
import { map, seq, type MapNode, type Node } from './yaml-emit.js';

/** CI stage spec (corpus: .harness__harness.yaml Cloud runtime, caching, buildIntelligence; _test1.yaml KubernetesDirect; fixture: infrastructure.yaml). */
export function ciSpec(g: Gen, ctx: Ctx): MapNode {
  const o: Record<string, Node | undefined> = { cloneCodebase: g.cloneCodebase ? g.chance(0.85) : false };
  if (g.chance(0.3)) o['caching'] = map({ enabled: g.chance(0.5), paths: seq([]) });
  if (g.chance(0.2)) o['buildIntelligence'] = map({ enabled: false });
  const infra = g.weighted<'cloud' | 'cloud-docker' | 'k8s' | 'vm' | 'use'>([
    ['cloud', 5],
    ['cloud-docker', 0.5],
    ['k8s', 3],
    ['vm', 1],
    ['use', g.lastK8sStage && ctx.ancestors.has(g.lastK8sStage) ? 1.5 : 0],
  ]);
  if (infra === 'cloud') {
    o['platform'] = map({
      os: 'Linux',
      arch: g.weighted([
        ['Amd64', 4],
        ['Arm64', 1],
      ]),
    });
    o['runtime'] = map({ type: 'Cloud', spec: map({}) });
    g.feat('infra-cloud');
  } else if (infra === 'k8s') {
    const spec: Record<string, Node | undefined> = {
      connectorRef: g.pick(['account.k8s', 'cidelegate', 'account.testappsprimaryk8s']),
      namespace: g.chance(0.15) ? input(g, 'ci') : g.pick(['default', 'harness-builds', 'ci']),
    };
    if (g.chance(0.4)) spec['automountServiceAccountToken'] = true;
    if (g.chance(0.4)) spec['nodeSelector'] = map({});
    if (g.chance(0.3)) spec['os'] = 'Linux';
    if (g.chance(0.2)) spec['harnessImageConnectorRef'] = 'account.harnessImage';
    o['infrastructure'] = map({ type: 'KubernetesDirect', spec: map(spec) });
    ctx.needsImage = true;
    g.lastK8sStage = ctx.stage;
    g.feat('infra-k8s');
  } else if (infra === 'cloud-docker') {
    o['platform'] = map({ os: g.pick(['Linux', 'MacOS']), arch: 'Amd64' });
    o['runtime'] = map({ type: 'Docker', spec: map({}) });
    g.feat('infra-docker');
  } else if (infra === 'vm') {
    o['platform'] = map({ os: 'Linux', arch: 'Arm64' });
    o['infrastructure'] = map({ type: 'VM', spec: map({ type: 'Pool', spec: map({ poolName: 'linux-arm', os: 'Linux' }) }) });
    g.feat('infra-vm');
  } else {
    o['infrastructure'] = map({ useFromStage: g.lastK8sStage! });
    ctx.needsImage = true;
    g.feat('infra-useFromStage');
  }
  if (g.chance(0.15)) o['sharedPaths'] = seq(['/var/run', '/shared']);
  if (g.chance(0.12)) {
    // corpus: _test1 / pipeline.yaml serviceDependencies (type Service, image, entrypoint, args, envVariables, resources)
    g.feat('service-dependency');
    const sidv = g.ident(`steps:${ctx.stage}`, g.pick(['database', 'redis', 'mysql']));
    const img = sidv === 'redis' ? 'redis:7' : 'postgres:15';
    o['serviceDependencies'] = seq([
      map({
        identifier: sidv,
        name: sidv,
        type: 'Service',
        spec: map({
          connectorRef: g.pick(CONNECTORS),
          image: img,
          envVariables: g.chance(0.5) ? map({ POSTGRES_PASSWORD: '<+secrets.getValue("db_password")>' }) : undefined,
          entrypoint: g.chance(0.3) ? seq(['docker-entrypoint.sh']) : undefined,
          args: g.chance(0.3) ? seq(['--character-set-server=utf8mb4']) : undefined,
          resources: g.chance(0.3) ? map({ limits: map({ cpu: '250m', memory: '500Mi' }) }) : undefined,
        }),
      }),
    ]);
  } else if (g.chance(0.05)) o['serviceDependencies'] = seq([]);
  o['execution'] = map({ steps: seq(stepList(g, ctx, 'ci', g.int(1, 5))) });
  return map(o);
}
