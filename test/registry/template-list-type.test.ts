/**
 * `template list --type` (and the API's `?type=`) match the template type whatever its case,
 * and refuse a type that does not exist, listing the valid ones (issue 16, point 8): before,
 * `--type stage` and `--type Bogus` both listed nothing with exit 0.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { stepTemplate } from './fixtures.js';
import { liveRegistries } from './live-registry.js';

const live = liveRegistries();

async function setup() {
  const { dir, reg, admin, cli } = await live();
  writeFileSync(join(dir, 'a.yaml'), stepTemplate('a', '1.0.0', {}));
  expect((await cli('template', 'publish', 'a.yaml')).code).toBe(0);
  return { reg, admin, cli };
}

describe('template list --type', () => {
  test.each(['Step', 'step', 'STEP'])('--type %s lists the Step template', async (type) => {
    const { cli } = await setup();
    const r = await cli('template', 'list', '--type', type, '--json');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { ref: string }[]).map((t) => t.ref)).toEqual(['account.a']);
  });

  test('--type stage: a real type, no template of it: an empty list, exit 0', async () => {
    const { cli } = await setup();
    const r = await cli('template', 'list', '--type', 'stage', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });

  test('--type Bogus: exit 2, naming the valid types', async () => {
    const { cli } = await setup();
    const r = await cli('template', 'list', '--type', 'Bogus');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "unknown template type 'Bogus' (Step, StepGroup, Stage, Pipeline, CustomDeployment, ArtifactSource, MonitoredService, SecretManager)",
    );
  });

  test('the API: ?type=stepgroup matches, ?type=Bogus is a 400 naming the valid types', async () => {
    const { reg, admin } = await setup();
    const get = (q: string) => fetch(`${reg.url}/api/v1/templates?type=${q}`, { headers: { authorization: `Bearer ${admin}` } });
    expect((await get('step')).status).toBe(200);
    expect(((await (await get('STEP')).json()) as { templates: unknown[] }).templates).toHaveLength(1);
    const bad = await get('Bogus');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain("unknown template type 'Bogus'");
  });
});
