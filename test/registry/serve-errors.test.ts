/**
 * `registry serve` (and `demo`) on a port another process holds: a clear message and exit 2,
 * not "Cannot read properties of null (reading 'family')" (issue 16, point 11).
 */
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRegistry } from '../../registry/index.js';
import { compile } from '../../compiler/index.js';
import { firstBusyPort, servicePorts } from '../../cli/port-check.js';
import { onePipeline, runCli, tempDir } from '../helpers.js';

let holder: Server;
let port: number;

beforeAll(async () => {
  holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  port = (holder.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => holder.close(() => resolve())));

describe('a port already in use', () => {
  test('registry serve says so and exits 2', async () => {
    const dir = tempDir();
    const r = await runCli(['registry', 'serve', '--db', 'r.db', '--port', String(port)], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
    expect(r.stderr).not.toMatch(/Cannot read properties/);
  });

  test('startRegistry rejects with the same message and leaves no database open', async () => {
    const dir = tempDir();
    await expect(startRegistry({ db: join(dir, 'r.db'), port })).rejects.toThrow(`port ${port} on 127.0.0.1 is already in use`);
  });
});

describe('demo: a port its services need, already in use', () => {
  // The demo's own service port (18080) is shared by other test files running in parallel, so
  // the check the demo runs before starting is tested on a plan of its shape with a held port.
  test('is found before the run, with the step that needs it', async () => {
    const text = onePipeline(
      `              - step: { type: Background, name: web, identifier: web, spec: { command: serve, readiness: { tcp: { port: ${port} } } } }\n` +
        `              - step: { type: Background, name: api, identifier: api, spec: { command: serve, readiness: { http: { url: "http://127.0.0.1:1/health" } } } }\n`,
    );
    const r = await compile({ file: 'p.yaml', text });
    expect(r.ok).toBe(true);
    expect(servicePorts(r.plan!)).toEqual([
      { port, step: 's.web' },
      { port: 1, step: 's.api' },
    ]);
    expect(await firstBusyPort(servicePorts(r.plan!))).toEqual({ port, step: 's.web' });
    expect(await firstBusyPort([{ port: 0, step: 'x' }])).toBeUndefined();
  });
});
