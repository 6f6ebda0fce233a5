/**
 * Issue 16, points 1, 2, 4 and 5: `template publish` takes files in any order and folders,
 * checks everything (the isolation compile included, dependencies resolved in the registry)
 * before publishing anything, publishes dependencies first, reports per file, and is safe to
 * re-run; `--dry-run` writes nothing. Real registry, real SQLite file, the CLI in process.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { createToken } from '../../registry/index.js';
import { runCli } from '../helpers.js';
import { stepTemplate } from './fixtures.js';
import { liveRegistries } from './live-registry.js';

const live = liveRegistries();

/** A step group template using `uses` (a Step template) with `inputs`. */
function groupTemplate(id: string, version: string, uses: string, usesVersion: string, inputs = ''): string {
  return `template:
  name: ${id}
  identifier: ${id}
  versionLabel: ${version}
  type: StepGroup
  spec:
    steps:
      - step:
          name: inner
          identifier: inner
          template:
            templateRef: account.${uses}
            versionLabel: ${JSON.stringify(usesVersion)}
${inputs}`;
}

const needsMsg = stepTemplate('b', '1.0.0', { inputs: '  inputs:\n    msg: {type: string}\n', command: 'echo {{inputs.msg}}' });
const passesMsg = groupTemplate('a', '1.0.0', 'b', '^1.0', '            inputs:\n              msg: hello\n');

const published = (reg: { store: { events(): { action: string; ref?: string; version?: string }[] } }) =>
  reg.store
    .events()
    .filter((e) => e.action === 'publish')
    .map((e) => `${e.ref}@${e.version}`);

describe('template publish: a set of files', () => {
  test('files in any order: the dependency is published first, each file reported', async () => {
    const { dir, reg, cli } = await live();
    writeFileSync(join(dir, 'a.yaml'), passesMsg);
    writeFileSync(join(dir, 'b.yaml'), needsMsg);
    const r = await cli('template', 'publish', 'a.yaml', 'b.yaml');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(published(reg)).toEqual(['account.b@1.0.0', 'account.a@1.0.0']);
    expect(r.stdout).toMatch(/^published\s+account\.a@1\.0\.0\s+a\.yaml\s+sha256:/m);
    expect(r.stdout).toMatch(/^published\s+account\.b@1\.0\.0\s+b\.yaml\s+sha256:/m);
    expect(r.stdout).toMatch(/^2 published$/m);
    // The report lists the files in the order they were published.
    expect(r.stdout.indexOf('account.b@1.0.0')).toBeLessThan(r.stdout.indexOf('account.a@1.0.0'));
  });

  test('a file in a folder that cannot be read as text is refused and named, not skipped', async () => {
    const { dir, reg, cli } = await live();
    mkdirSync(join(dir, 'only'));
    writeFileSync(join(dir, 'only', 'latin1.yaml'), Buffer.from([0x74, 0x65, 0x6d, 0xe9, 0x0a]));
    const alone = await cli('template', 'publish', 'only');
    expect(alone.code).toBe(1);
    expect(alone.stderr).toMatch(/^only\/latin1\.yaml:1:1: error PW1006 .*UTF-8/m);
    expect(alone.stdout).toMatch(/^refused\s+-\s+only\/latin1\.yaml\s+1 error\(s\)$/m);
    writeFileSync(join(dir, 'only', 'broken.yaml'), 'template:\n  name: [\n');
    const broken = await cli('template', 'publish', 'only');
    expect(broken.stderr).toMatch(/^only\/broken\.yaml:\d+:\d+: error PW1001 /m);
    expect(broken.stdout).toMatch(/^refused\s+-\s+only\/broken\.yaml\s+1 error\(s\)$/m);
    expect(reg.store.listTemplates()).toEqual([]);
  });

  test('a folder, recursively: templates published, other YAML skipped, --label on the newest version of each', async () => {
    const { dir, reg, cli } = await live();
    mkdirSync(join(dir, 'templates', 'steps', 'deep'), { recursive: true });
    writeFileSync(join(dir, 'templates', 'group.yaml'), passesMsg);
    writeFileSync(join(dir, 'templates', 'steps', 'deep', 'b.yaml'), needsMsg);
    writeFileSync(join(dir, 'templates', 'steps', 'b-1.1.yaml'), needsMsg.replace('versionLabel: "1.0.0"', 'versionLabel: "1.1.0"'));
    writeFileSync(join(dir, 'templates', 'pipeline.yaml'), 'pipeline: {name: p, identifier: p, stages: []}\n');
    const r = await cli('template', 'publish', 'templates', '--label', 'canary');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(published(reg).sort()).toEqual(['account.a@1.0.0', 'account.b@1.0.0', 'account.b@1.1.0']);
    // Dependencies first: account.a uses ^1.0, which the set answers with 1.1.0.
    expect(published(reg).indexOf('account.a@1.0.0')).toBeGreaterThan(published(reg).indexOf('account.b@1.1.0'));
    expect(r.stdout).toMatch(/^skipped\s+-\s+templates\/pipeline\.yaml\s+not a template$/m);
    expect(r.stdout).toMatch(/^published\s+account\.b@1\.1\.0\s+templates\/steps\/b-1\.1\.yaml\s+sha256:\S+; label canary$/m);
    expect(r.stdout).toMatch(/^published\s+account\.b@1\.0\.0\s+templates\/steps\/deep\/b\.yaml\s+sha256:\S+$/m);
    expect(reg.store.getTemplate('account.b').summary.labels['canary']).toBe('1.1.0');
    expect(reg.store.getTemplate('account.a').summary.labels['canary']).toBe('1.0.0');

    // A CI re-run: exit 0, every file identical, nothing written.
    const events = reg.store.events().length;
    const again = await cli('template', 'publish', 'templates', '--label', 'canary');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^3 identical, 1 skipped$/m);
    expect(reg.store.events().length).toBe(events);
  });

  test('everything is checked before anything is published: one bad file, nothing published, exit 1', async () => {
    const { dir, reg, cli } = await live();
    writeFileSync(join(dir, 'b.yaml'), needsMsg);
    // Uses b without its required input: a problem only the isolation compile finds.
    writeFileSync(join(dir, 'a.yaml'), groupTemplate('a', '1.0.0', 'b', '1.0.0'));
    const r = await cli('template', 'publish', 'b.yaml', 'a.yaml');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^a\.yaml:12:13: error PW3004 missing required input 'msg' \(string\) for account\.b@1\.0\.0$/m);
    expect(r.stdout).toMatch(/^refused\s+account\.a@1\.0\.0\s+a\.yaml\s+1 error\(s\)$/m);
    expect(r.stdout).toMatch(/^not published\s+account\.b@1\.0\.0\s+b\.yaml\s+another file was refused: nothing is published$/m);
    expect(reg.store.listTemplates()).toEqual([]);
  });

  test('a cycle between the files is one located error', async () => {
    const { dir, reg, cli } = await live();
    writeFileSync(join(dir, 'x.yaml'), groupTemplate('x', '1.0.0', 'y', '1.0.0').replace(/- step:/, '- stepGroup:'));
    writeFileSync(join(dir, 'y.yaml'), groupTemplate('y', '1.0.0', 'x', '1.0.0').replace(/- step:/, '- stepGroup:'));
    writeFileSync(join(dir, 'z.yaml'), groupTemplate('z', '1.0.0', 'x', '1.0.0').replace(/- step:/, '- stepGroup:'));
    const r = await cli('template', 'publish', '.');
    expect(r.code).toBe(1);
    const cycles = r.stderr.split('\n').filter((l) => l.includes('PW4003'));
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toMatch(/^[xy]\.yaml:12:26: error PW4003 template cycle: /);
    expect(r.stdout).toMatch(/^3 refused$/m);
    // z only uses the cycle: its reason points at the file that holds the error.
    expect(r.stdout).toMatch(/^refused\s+account\.z@1\.0\.0\s+z\.yaml\s+1 error\(s\) in [xy]\.yaml$/m);
    expect(reg.store.listTemplates()).toEqual([]);
  });

  test('problems are located in the author file and printed once, never as registry:ref@version', async () => {
    const { dir, cli } = await live();
    mkdirSync(join(dir, 'templates'));
    writeFileSync(
      join(dir, 'templates', 'redis.yaml'),
      stepTemplate('redis', '1.0.0', {
        inputs: '  inputs:\n    port: {type: number, default: 6379}\n',
        command: 'redis-server --port {{inputs.prot}} {{lookup inputs "port"}}',
      }).replace('      shell: Sh\n', '      shell: Sh\n      envVariables:\n        PORT: "{{inputs.prot}}"\n'),
    );
    const r = await cli('template', 'publish', 'templates/redis.yaml');
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain('registry:');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toEqual([...new Set(lines)]);
    expect(r.stderr).toMatch(/^templates\/redis\.yaml:15:16: error PW3008 helper 'lookup' is not allowed/m);
    expect(r.stderr).toMatch(/^templates\/redis\.yaml:14:15: error PW3007 unknown name 'inputs\.prot'/m);
  });

  test('--dry-run resolves dependencies in the registry and writes nothing', async () => {
    const { dir, reg, cli } = await live();
    writeFileSync(join(dir, 'b.yaml'), needsMsg);
    writeFileSync(join(dir, 'a.yaml'), passesMsg);
    // a alone: its dependency is neither in the set nor in the registry.
    const missing = await cli('template', 'publish', 'a.yaml', '--dry-run');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^a\.yaml:12:26: error PW4001 template account\.b /m);
    expect((await cli('template', 'publish', 'b.yaml')).code).toBe(0);
    const events = reg.store.events().length;
    const dry = await cli('template', 'publish', 'a.yaml', '--dry-run', '--label', 'stable');
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^would publish\s+account\.a@1\.0\.0\s+a\.yaml\s+sha256:\S+; label stable$/m);
    expect(dry.stdout).toMatch(/^1 would publish \(dry run: nothing was written\)$/m);
    expect(reg.store.events().length).toBe(events);
    expect(reg.store.listTemplates().map((t) => t.ref)).toEqual(['account.b']);
    // The same version with other content is refused in a dry run too, located at its versionLabel.
    writeFileSync(join(dir, 'b2.yaml'), needsMsg.replace('echo {{inputs.msg}}', 'echo changed {{inputs.msg}}'));
    const clash = await cli('template', 'publish', 'b2.yaml', '--dry-run', '--json');
    expect(clash.code).toBe(1);
    const body = JSON.parse(clash.stdout) as { ok: boolean; files: { status: string; errors: { code: string; line: number }[] }[] };
    expect(body.ok).toBe(false);
    expect(body.files[0]).toMatchObject({ status: 'refused', errors: [{ code: 'PW4007', line: 4 }] });
  });

  test('usage problems are exit 2: a missing path, a folder without templates, a pipeline named as a template', async () => {
    const { dir, cli } = await live();
    mkdirSync(join(dir, 'empty'));
    writeFileSync(join(dir, 'empty', 'p.yaml'), 'pipeline: {name: p, identifier: p, stages: []}\n');
    const nope = await cli('template', 'publish', 'nope');
    expect(nope.code).toBe(2);
    expect(nope.stderr).toContain('nope: no such file or folder');
    const empty = await cli('template', 'publish', 'empty');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('no template files in empty');
    const named = await cli('template', 'publish', 'empty/p.yaml');
    expect(named.code).toBe(1);
    expect(named.stdout).toMatch(/^refused\s+-\s+empty\/p\.yaml\s+holds a pipeline: only template files are published$/m);
  });
});

describe('template publish: the token', () => {
  test('a read-only token is exit 2 before anything, in a dry run too; no token is exit 2', async () => {
    const { dir, reg, cli } = await live();
    writeFileSync(join(dir, 'b.yaml'), needsMsg);
    const reader = createToken(reg.db, 'reader', 'read');
    for (const extra of [[], ['--dry-run']]) {
      const r = await runCli(['template', 'publish', 'b.yaml', '--registry', reg.url, '--token', reader, ...extra], dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("the token 'reader' has scope read: publishing needs a publish or admin token");
      expect(r.stdout).toBe('');
    }
    const none = await runCli(['template', 'publish', 'b.yaml', '--registry', reg.url, '--dry-run'], dir, { env: {} });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/401/);
    expect(reg.store.listTemplates()).toEqual([]);
    // With a publish token it goes through.
    expect((await cli('template', 'publish', 'b.yaml', '--dry-run')).code).toBe(0);
  });
});
