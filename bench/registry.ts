/**
 * `npm run bench -- registry`: the registry under load from a second process on loopback.
 *  - GET of one version (about 2 KB): requests/s of pipewright against a bare express route
 *    returning the same bytes from memory, in the same run (target ratio ≥ 0.7);
 *  - batch resolve of 100 references: p95 latency (target < 20 ms);
 *  - publish throughput (target ≥ 200 versions/s).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { createToken, startRegistry } from '../registry/index.js';

const client = join(fileURLToPath(new URL('.', import.meta.url)), 'load-client.js');
// Asynchronous on purpose: the servers under test live in this process and must keep answering.
const run = promisify(execFile);
/** What load-client.ts prints, by mode. */
interface GetResult {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  bytes: number;
}
interface ResolveResult {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}
interface PublishResult {
  created: number;
  seconds: number;
  perSecond: number;
}
/** Runs load-client.ts in a second process; answers the JSON line it prints last. */
const load = async <T>(...args: string[]): Promise<T> =>
  JSON.parse(
    (await run(process.execPath, [client, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 })).stdout.trim().split('\n').pop()!,
  ) as T;

/** A Step template whose version answer (content, source and inputs as JSON) is about 2 KB. */
function sizedTemplate(i: number, version: string): string {
  return `template:
  name: service ${i}
  identifier: service_${i}
  versionLabel: ${version}
  type: Step
  description: A background service used by the registry benchmark; ready once its port answers.
  inputs:
    port: { type: number, default: ${6000 + i}, description: Port to listen on }
    version: { type: string, default: "7", allowedValues: ["6", "7"] }
  spec:
    type: Background
    spec:
      image: registry.local/service-${i}:{{inputs.version}}
      command: serve --port {{inputs.port}} --name service-${i}
      envVariables:
        MODE: benchmark
        LOG_LEVEL: info
        CACHE_DIR: /harness/.cache/service-${i}
        HEALTH_PATH: /health
      resources: { limits: { memory: 512Mi, cpu: "1" } }
      readiness: { tcp: { port: "{{inputs.port}}" }, timeout: 30s }
`;
}

export async function benchRegistry(args: string[]): Promise<void> {
  const seconds = args[0] ?? '8';
  const dir = mkdtempSync(join(tmpdir(), 'pw-bench-reg-'));
  const reg = await startRegistry({ db: join(dir, 'r.db'), port: 0, log: () => undefined });
  const token = createToken(reg.db, 'bench', 'publish');
  const publish = async (ref: string, version: string, yaml: string) => {
    const res = await fetch(`${reg.url}/api/v1/templates/${ref}/versions/${version}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify({ yaml }),
    });
    if (res.status !== 201) throw new Error(`setup publish ${ref}@${version}: ${res.status} ${await res.text()}`);
  };
  for (let i = 0; i < 100; i++) await publish(`account.service_${i}`, '1.0.0', sizedTemplate(i, '1.0.0'));
  await publish('account.service_0', '1.1.0', sizedTemplate(0, '1.1.0'));

  // The bare baseline: the same bytes from memory, plain express, same process.
  const path = '/api/v1/templates/account.service_0/versions/1.1.0';
  const bytes = Buffer.from(await (await fetch(reg.url + path, { headers: { Authorization: `Bearer ${token}` } })).arrayBuffer());
  const bare = express();
  bare.disable('x-powered-by');
  bare.get(path, (_req, res) => {
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(bytes);
  });
  const bareServer = await new Promise<Server>((r) => {
    const s = bare.listen(0, '127.0.0.1', () => r(s));
  });
  const bareUrl = `http://127.0.0.1:${(bareServer.address() as AddressInfo).port}`;

  const rounds = 3;
  const ours: number[] = [];
  const base: number[] = [];
  for (let i = 0; i < rounds; i++) {
    base.push((await load<GetResult>('get', bareUrl + path, '-', seconds, '10')).rps);
    const r = await load<GetResult>('get', reg.url + path, token, seconds, '10');
    if (r.non2xx || r.errors) throw new Error(`GET had ${r.non2xx} non-2xx and ${r.errors} errors`);
    ours.push(r.rps);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const ratio = median(ours) / median(base);

  const body = join(dir, 'resolve.json');
  writeFileSync(
    body,
    JSON.stringify({ requests: Array.from({ length: 100 }, (_, i) => ({ ref: `account.service_${i}`, selector: '^1' })) }),
  );
  const resolve = await load<ResolveResult>('resolve', reg.url, token, '500', body);
  const pub = await load<PublishResult>('publish', reg.url, token, '1000', '8');

  console.log(`registry benchmark (load from a second process on loopback, keep-alive; ${rounds} rounds of ${seconds}s, medians)`);
  console.log(
    `GET one version (${bytes.length} bytes): pipewright ${median(ours).toFixed(0)} req/s, bare express ${median(base).toFixed(0)} req/s, ratio ${ratio.toFixed(2)} (rounds: ${ours.map((x) => x.toFixed(0)).join('/')} vs ${base.map((x) => x.toFixed(0)).join('/')})`,
  );
  console.log(
    `batch resolve of 100 references: p50 ${resolve.p50.toFixed(2)} ms, p95 ${resolve.p95.toFixed(2)} ms, p99 ${resolve.p99.toFixed(2)} ms over ${resolve.n} requests`,
  );
  console.log(
    `publish: ${pub.created} versions in ${pub.seconds.toFixed(2)} s = ${pub.perSecond.toFixed(0)} versions/s (8 concurrent publishers)`,
  );
  console.log(`${ratio >= 0.7 ? 'ok  ' : 'MISS'} GET ratio at least 0.7`);
  console.log(`${resolve.p95 < 20 ? 'ok  ' : 'MISS'} resolve p95 under 20 ms`);
  console.log(`${pub.perSecond >= 200 ? 'ok  ' : 'MISS'} publish at least 200 versions/s`);
  bareServer.close();
  await reg.close();
}
