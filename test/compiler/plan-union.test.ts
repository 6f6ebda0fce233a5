/**
 * The plan's steps are a discriminated union (issue 15): each kind has its own fields, in the
 * TypeScript types (schemas/plan.ts) and in plan.schema.json (`oneOf` with a `kind`
 * discriminator), and the compiler builds each kind with its own builder.
 */
import { describe, expect, test } from 'vitest';
import { compile } from '../../compiler/index.js';
import { validator, type Plan, type PlanStep } from '../../schemas/index.js';

const PIPELINE = `pipeline:
  name: p
  identifier: p
  stages:
    - stage:
        name: s
        identifier: s
        type: CI
        spec:
          serviceDependencies:
            - identifier: db
              name: db
              type: Service
              spec: { image: postgres:16, portBindings: { "5432": "5432" } }
          execution:
            steps:
              - step: { type: Background, name: web, identifier: web, spec: { command: serve, readiness: { tcp: { port: 8080 } } } }
              - step: { type: Run, name: test, identifier: test, spec: { shell: Bash, command: make test, outputVariables: [{ name: RESULT }] } }
              - step: { type: Plugin, name: slack, identifier: slack, spec: { image: plugins/slack, settings: { channel: ci } } }
              - step: { type: GitClone, name: clone, identifier: clone, spec: { repoName: x, build: { type: branch, spec: { branch: main } } } }
`;

async function plan(): Promise<Plan> {
  const r = await compile({ file: 'p.yaml', text: PIPELINE });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.plan!;
}

const byId = (p: Plan, id: string): PlanStep => p.steps.find((s) => s.id === id)!;

describe('a plan step has the fields of its kind', () => {
  test('each kind is built with its own fields, and nothing of another kind', async () => {
    const p = await plan();
    expect(validator('plan')(p), JSON.stringify(validator('plan').errors)).toBe(true);
    const web = byId(p, 's.web');
    expect(web).toMatchObject({ kind: 'background', shell: 'sh', readiness: { tcp: { ports: [8080] } } });
    expect(web).not.toHaveProperty('outputs');
    const test = byId(p, 's.test');
    expect(test).toMatchObject({ kind: 'run', shell: 'bash', outputs: ['RESULT'] });
    expect(test).not.toHaveProperty('readiness');
    const slack = byId(p, 's.slack');
    expect(slack).toMatchObject({ kind: 'run', type: 'Plugin', image: 'plugins/slack', env: { PLUGIN_CHANNEL: 'ci' } });
    expect(slack).not.toHaveProperty('shell');
    const db = byId(p, 's.db');
    expect(db).toMatchObject({ kind: 'service', image: 'postgres:16', ports: [{ host: 5432, container: 5432 }] });
    expect(db).not.toHaveProperty('shell');
    const clone = byId(p, 's.clone');
    expect(clone).toMatchObject({ kind: 'external', type: 'GitClone', spec: { repoName: 'x' } });
    expect(clone).not.toHaveProperty('image');
  });

  test.each([
    ['a run step with a readiness probe', 's.test', { readiness: { tcp: { ports: [1] }, timeoutMs: 1, intervalMs: 1 } }],
    ['a run step with an external spec', 's.test', { spec: {} }],
    ['a service with a shell', 's.db', { shell: 'sh' }],
    ['a service with outputs', 's.db', { outputs: ['X'] }],
    ['an external step with an image', 's.clone', { image: 'alpine' }],
    ['an external step without its spec', 's.clone', { spec: undefined }],
    ['a background step without a shell', 's.web', { shell: undefined }],
    ['a step of an unknown kind', 's.test', { kind: 'batch' }],
  ])('the plan schema refuses %s', async (_what, id, change) => {
    const p = structuredClone(await plan());
    const i = p.steps.findIndex((s) => s.id === id);
    const changed: Record<string, unknown> = { ...p.steps[i]!, ...change };
    for (const [k, v] of Object.entries(change)) if (v === undefined) delete changed[k];
    const doc = { ...p, steps: p.steps.map((s, j) => (j === i ? changed : s)) };
    expect(validator('plan')(doc)).toBe(false);
  });
});

describe('a Plan is read-only', () => {
  // Checked by the TypeScript build (`npm test` compiles the tests): each line below must be
  // a type error, or the unused @ts-expect-error fails the build.
  test('its fields and lists cannot be changed in place', async () => {
    const p = await plan();
    const attempts = (q: Plan): void => {
      // @ts-expect-error a plan's digest cannot be reassigned
      q.digest = 'sha256:0';
      // @ts-expect-error a plan's list of steps cannot be changed in place
      q.steps[0] = q.steps[0]!;
      // @ts-expect-error a plan's stages cannot be replaced
      q.stages = [];
    };
    // The function is never called: the assertions are the type errors above.
    expect(p.steps.length).toBeGreaterThan(0);
    expect(typeof attempts).toBe('function');
  });
});
