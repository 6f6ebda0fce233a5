import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { formatImpact, type ImpactEntry, type ImpactReport } from '../../audit/index.js';
import { runCli, tempDir } from '../helpers.js';
import { POLICY, writeFleet } from './fleet.js';

const redis = (version: string, extraInput = '', port = 6379, image = 'redis:7') =>
  `template:\n  name: redis\n  identifier: redis_service\n  versionLabel: ${version}\n  type: Step\n  inputs:\n    port: {type: number, default: ${port}}\n${extraInput}  spec:\n    type: Background\n    spec:\n      image: ${image}\n      command: redis-server --port {{inputs.port}}\n      readiness: {tcp: {port: "{{inputs.port}}"}}\n`;

function setup() {
  const fleet = writeFleet(tempDir({}, 'pw-impact-'), 10);
  writeFileSync(join(fleet.dir, 'policy.yaml'), POLICY);
  return fleet;
}

describe('impact', () => {
  test('a changed default: consumers whose selector accepts the candidate change, with a readable diff', async () => {
    const fleet = setup();
    writeFileSync(join(fleet.dir, 'cand.yaml'), redis('1.4.0', '', 6380));
    const r = await runCli(
      ['impact', 'account.redis_service', '.', '--candidate', 'cand.yaml', '-t', 'templates', '--format', 'json'],
      fleet.dir,
    );
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as ImpactReport;
    const byStatus = (s: string) => report.entries.filter((e) => e.status === s).length;
    expect(report.consumers).toBe(4); // variants 1 (exact 1.0.0) and 2 (^1.2 through two templates), two each
    expect(byStatus('changed')).toBe(2);
    expect(byStatus('not-applicable')).toBe(2);
    const changed = report.entries.find((e) => e.status === 'changed')!;
    expect(changed.changed.map((c) => `${c.step}:${c.fields.map((f) => f.field).join(',')}`)).toEqual([
      'test.g.cache:command,readiness,templates',
    ]);
    const table = await runCli(['impact', 'account.redis_service', '.', '--candidate', 'cand.yaml', '-t', 'templates'], fleet.dir);
    expect(table.stdout).toMatch(/~ test\.g\.cache\.command: "redis-server --port 6379" → "redis-server --port 6380"/);
    const all = JSON.parse(
      (
        await runCli(
          ['impact', 'account.redis_service', '.', '--candidate', 'cand.yaml', '-t', 'templates', '--format', 'json', '--all'],
          fleet.dir,
        )
      ).stdout,
    ) as ImpactReport;
    expect(all.entries.filter((e) => e.status === 'changed')).toHaveLength(4);
  });

  test('a progress bar on a terminal for more than 50 files', async () => {
    const fleet = writeFleet(tempDir({}, 'pw-impact-progress-'), 55);
    writeFileSync(join(fleet.dir, 'cand.yaml'), redis('1.4.0', '', 6380));
    const args = ['impact', 'account.redis_service', '.', '--candidate', 'cand.yaml', '-t', 'templates', '--format', 'json'];
    const tty = await runCli(args, fleet.dir, { stderrIsTTY: true });
    expect(tty.stderr.split('\r').filter(Boolean).at(-1)).toBe(`[${'#'.repeat(30)}] 55/55\n`);
    expect((JSON.parse(tty.stdout) as ImpactReport).consumers).toBeGreaterThan(0);
    expect((await runCli(args, fleet.dir)).stderr).toBe('');
  }, 60_000);

  test('a new required input breaks consumers: exit 1 with the diagnostics', async () => {
    const fleet = setup();
    writeFileSync(join(fleet.dir, 'cand.yaml'), redis('1.5.0', '    password: {type: string}\n'));
    const r = await runCli(['impact', 'account.redis_service', '.', '--candidate', 'cand.yaml', '-t', 'templates'], fleet.dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/: broken\n.*PW3004 missing required input 'password'/);
    expect(r.stdout).toMatch(/account\.redis_service@1\.5\.0: 4 consumers, 0 changed, 2 broken/);
  });

  test('a renamed step shows as removed and added; new policy violations are reported', async () => {
    const fleet = setup();
    writeFileSync(
      join(fleet.dir, 'group.yaml'),
      `template:\n  name: group with service\n  identifier: group_with_service\n  versionLabel: 1.1.0\n  type: StepGroup\n  spec:\n    steps:\n      - step: {name: cache, identifier: cache, template: {templateRef: account.redis_service, versionLabel: ^1.2}}\n      - step: {type: Run, name: it, identifier: integration, timeout: 10m, spec: {image: docker.io/node:20, command: npm run it}}\n`,
    );
    const r = await runCli(
      [
        'impact',
        'account.group_with_service',
        '.',
        '--candidate',
        'group.yaml',
        '-t',
        'templates',
        '--all',
        '--policy',
        'policy.yaml',
        '--format',
        'json',
      ],
      fleet.dir,
    );
    // A new violation of severity error fails the gate as a broken consumer does.
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ broken: 0, newErrors: 2, newWarnings: 0 });
    const e = (JSON.parse(r.stdout) as ImpactReport).entries[0]!;
    expect(e).toMatchObject({ status: 'changed', added: ['test.g.integration'], removed: ['test.g.it'] });
    expect(e.newViolations.map((v) => v.rule)).toEqual(['image-allow-list']);
    const md = await runCli(
      ['impact', 'account.group_with_service', '.', '--candidate', 'group.yaml', '-t', 'templates', '--all', '--format', 'markdown'],
      fleet.dir,
    );
    expect(md.stdout).toMatch(/^\| `locked-2\/pipeline-2\.yaml` p2 \| changed \| \+ test\.g\.integration<br>- test\.g\.it \|$/m);
  });

  test('new warnings are reported and fail only with --fail-on warning; the summary counts new violations', async () => {
    const fleet = setup();
    writeFileSync(
      join(fleet.dir, 'policy.yaml'),
      POLICY.replace('    - id: image-allow-list\n', '    - id: image-allow-list\n      severity: warning\n'),
    );
    writeFileSync(
      join(fleet.dir, 'group.yaml'),
      `template:\n  name: group with service\n  identifier: group_with_service\n  versionLabel: 1.1.0\n  type: StepGroup\n  spec:\n    steps:\n      - step: {name: cache, identifier: cache, template: {templateRef: account.redis_service, versionLabel: ^1.2}}\n      - step: {type: Run, name: it, identifier: integration, timeout: 10m, spec: {image: docker.io/node:20, command: npm run it}}\n`,
    );
    const args = [
      'impact',
      'account.group_with_service',
      '.',
      '--candidate',
      'group.yaml',
      '-t',
      'templates',
      '--all',
      '--policy',
      'policy.yaml',
    ];
    const r = await runCli(args, fleet.dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/account\.group_with_service@1\.1\.0: \d+ consumers, 2 changed, 0 broken, 0 new errors, 2 new warnings$/m);
    expect((await runCli([...args, '--fail-on', 'warning'], fleet.dir)).code).toBe(1);
    expect((await runCli([...args, '--fail-on', 'nope'], fleet.dir)).code).toBe(2);
  });

  test('a candidate that is not a valid template, or not the named one, is exit 2', async () => {
    const fleet = setup();
    writeFileSync(join(fleet.dir, 'bad.yaml'), 'template:\n  name: x\n  identifier: redis_service\n  type: Step\n  spec: {type: Run}\n');
    const bad = await runCli(['impact', 'account.redis_service', '.', '--candidate', 'bad.yaml'], fleet.dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.yaml:\d+:\d+: error PW2002/);
    writeFileSync(join(fleet.dir, 'other.yaml'), redis('1.0.0').replace('identifier: redis_service', 'identifier: other'));
    expect((await runCli(['impact', 'account.redis_service', '.', '--candidate', 'other.yaml'], fleet.dir)).stderr).toMatch(
      /the candidate is account\.other, not account\.redis_service/,
    );
  });
});

describe('impact table', () => {
  test('a field the candidate adds or removes shows (none) on its missing side, not undefined', () => {
    const entry: ImpactEntry = {
      file: 'p.yaml',
      pipeline: 'p',
      status: 'changed',
      added: [],
      removed: [],
      changed: [
        {
          step: 's.a',
          fields: [
            { field: 'timeoutMs', before: undefined, after: 5000 },
            { field: 'image', before: 'redis:7', after: undefined },
          ],
        },
      ],
      diagnostics: [],
      newViolations: [],
    };
    const text = formatImpact(
      { ref: 'account.x', candidate: '1.1.0', consumers: 1, broken: 0, changed: 1, newErrors: 0, newWarnings: 0, entries: [entry] },
      'table',
    );
    expect(text).toContain('~ s.a.timeoutMs: (none) → 5000');
    expect(text).toContain('~ s.a.image: "redis:7" → (none)');
    expect(text).not.toContain('undefined');
  });
});
