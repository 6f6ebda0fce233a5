/**
 * The load generator the registry benchmark runs as a second process. Modes:
 *   get URL TOKEN SECONDS CONNECTIONS   autocannon, keep-alive, GET → requests/s
 *   resolve URL TOKEN COUNT BODYFILE    sequential POSTs on one keep-alive connection → latencies
 *   publish URL TOKEN COUNT CONCURRENCY publishes COUNT distinct versions → versions/s
 * Prints one JSON line.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import autocannon from 'autocannon';

const [mode, url, token, a, b] = process.argv.slice(2) as [string, string, string, string, string];
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function call(method: string, path: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url + path,
      {
        method,
        agent,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const pct = (xs: number[], p: number) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

if (mode === 'get') {
  const result = await autocannon({
    url,
    duration: Number(a),
    connections: Number(b),
    headers: token === '-' ? {} : { Authorization: `Bearer ${token}` },
  });
  console.log(
    JSON.stringify({
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      non2xx: result.non2xx,
      errors: result.errors,
      bytes: result.throughput.average / Math.max(1, result.requests.average),
    }),
  );
} else if (mode === 'resolve') {
  const body = readFileSync(b, 'utf8');
  const times: number[] = [];
  for (let i = 0; i < Number(a) + 20; i++) {
    const t0 = performance.now();
    const status = await call('POST', '/api/v1/resolve', body);
    if (status !== 200) throw new Error(`resolve answered ${status}`);
    if (i >= 20) times.push(performance.now() - t0);
  }
  console.log(JSON.stringify({ n: times.length, p50: pct(times, 50), p95: pct(times, 95), p99: pct(times, 99), max: Math.max(...times) }));
} else if (mode === 'publish') {
  const count = Number(a);
  const concurrency = Number(b);
  let next = 0;
  let created = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const v = `1.${i}.0`;
      const yaml = `template:\n  name: bench\n  identifier: bench\n  versionLabel: ${v}\n  type: Step\n  inputs:\n    n: {type: number, default: ${i}}\n  spec:\n    type: Run\n    spec:\n      shell: Sh\n      command: echo {{inputs.n}} ${v}\n`;
      const status = await call('PUT', `/api/v1/templates/account.bench/versions/${v}`, JSON.stringify({ yaml }));
      if (status !== 201) throw new Error(`publish answered ${status}`);
      created++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ created, seconds, perSecond: created / seconds }));
}
agent.destroy();
