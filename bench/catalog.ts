/**
 * `npm run bench -- catalog`: the catalog page with 1,000 templates — server render time
 * (median over 50 requests, measured from a client on loopback) and page weight.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson, digestOf } from '../compiler/index.js';
import { openDatabase, Store, startRegistry } from '../registry/index.js';
import { parse } from 'yaml';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchCatalog(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pw-bench-catalog-'));
  const db = join(dir, 'r.db');
  const setup = openDatabase(db);
  const store = new Store(setup);
  // Publish through the store (validation is not what this measures).
  for (let i = 0; i < 1000; i++) {
    const type = i % 10 === 0 ? 'Background' : 'Run';
    const yaml = `template:\n  name: Template ${i}\n  identifier: t_${i}\n  versionLabel: 1.0.${i % 7}\n  type: Step\n  description: Template number ${i} of the benchmark catalog, for team ${i % 20}\n  inputs:\n    port: {type: number, default: ${6000 + i}}\n  spec:\n    type: ${type}\n    spec:\n      command: run {{inputs.port}}\n${type === 'Background' ? '      readiness: {tcp: {port: "{{inputs.port}}"}}\n' : ''}`;
    const doc = parse(yaml) as { template: Record<string, unknown> };
    store.publish(
      {
        ref: `account.t_${i}`,
        scope: 'account',
        identifier: `t_${i}`,
        type: 'Step',
        name: `Template ${i}`,
        description: String(doc.template['description']),
        version: String(doc.template['versionLabel']),
        digest: digestOf(doc),
        source: yaml,
        canonical: canonicalJson(doc),
        inputs: canonicalJson(doc.template['inputs']),
      },
      'bench',
    );
  }
  setup.close();
  const reg = await startRegistry({ db, port: 0, anonymousRead: true, log: () => undefined });
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 55; i++) {
    const t0 = performance.now();
    const res = await fetch(reg.url + '/');
    const body = await res.arrayBuffer();
    if (i >= 5) times.push(performance.now() - t0);
    bytes = body.byteLength;
  }
  await reg.close();
  const m = median(times);
  console.log(
    `catalog page with 1,000 templates: median ${m.toFixed(1)} ms over 50 requests (p90 ${[...times].sort((a, b) => a - b)[44]!.toFixed(1)} ms), ${(bytes / 1024).toFixed(0)} KB`,
  );
  console.log(`${m < 50 ? 'ok  ' : 'MISS'} render under 50 ms`);
  console.log(`${bytes < 200 * 1024 ? 'ok  ' : 'MISS'} page weight under 200 KB`);
}
