/**
 * Issue 16, point 1: `validate` runs every check publishing runs on a template, the isolation
 * compile included, and reports all problems at once. Templates it uses come from the other
 * files validated, `--templates` folders, or a registry; without one, a template none of them
 * has is a warning (validate cannot know what the registry holds), with one an error.
 */
import { describe, expect, test } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, runCli, tempDir } from '../helpers.js';
import { liveRegistries } from '../registry/live-registry.js';

const live = liveRegistries();

const REDIS = `template:
  name: Redis
  identifier: redis
  versionLabel: 1.0.0
  type: Step
  inputs:
    port: {type: number, default: 6379}
  spec:
    type: Run
    spec:
      shell: Sh
      command: redis-server --port {{inputs.prot}}
      envVariables:
        PORT: '{{lookup inputs "port"}}'
`;

const MSG = `template:
  name: Msg
  identifier: msg
  versionLabel: 1.0.0
  type: Step
  inputs:
    text: {type: string}
  spec:
    type: Run
    spec:
      shell: Sh
      command: echo {{inputs.text}}
`;

const GROUP = (inputs: string) => `template:
  name: Group
  identifier: group
  versionLabel: 1.0.0
  type: StepGroup
  spec:
    steps:
      - step:
          name: say
          identifier: say
          template:
            templateRef: account.msg
            versionLabel: 1.0.0
${inputs}`;

describe('validate: templates get the checks publishing runs', () => {
  test('a disallowed helper and an unknown input are both found, located, in one run', async () => {
    const dir = tempDir({ 'templates/redis.yaml': REDIS });
    const r = await runCli(['validate', 'templates/redis.yaml'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^templates\/redis\.yaml:12:16: error PW3007 unknown name 'prot' /m);
    expect(r.stderr).toMatch(/^templates\/redis\.yaml:14:15: error PW3008 helper 'lookup' is not allowed/m);
    expect(r.stdout).toMatch(/^2 error\(s\)$/m);
  });

  test("the check's own placeholders for required inputs raise no warning: the examples validate silently", async () => {
    const files = ['node-http-service-1.0.0.yaml', 'node-http-service-1.1.0.yaml', 'smoke-checks-1.0.0.yaml'];
    const ok = await runCli(['validate', ...files.map((f) => join('examples', 'templates', f))], REPO);
    expect(ok).toMatchObject({ code: 0, stderr: '' });
  });

  test('templates validated together answer each other; a missing input of the used one is an error', async () => {
    const dir = tempDir({ 'msg.yaml': MSG, 'ok.yaml': GROUP('            inputs: {text: hi}\n'), 'bad.yaml': GROUP('') });
    expect((await runCli(['validate', 'msg.yaml', 'ok.yaml'], dir)).code).toBe(0);
    const r = await runCli(['validate', 'msg.yaml', 'bad.yaml'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^bad\.yaml:12:13: error PW3004 missing required input 'text' \(string\) for account\.msg@1\.0\.0$/m);
  });

  test('a used template elsewhere: a warning without a source, checked with --templates or --registry', async () => {
    const dir = tempDir({ 'lib/msg.yaml': MSG, 'bad.yaml': GROUP('') });
    const alone = await runCli(['validate', 'bad.yaml'], dir, { env: {} });
    expect(alone.code).toBe(0);
    expect(alone.stderr).toMatch(
      /^bad\.yaml:12:26: warning PW4001 template account\.msg is in none of the files being checked: not checked /m,
    );
    const folder = await runCli(['validate', 'bad.yaml', '--templates', 'lib'], dir);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toMatch(/PW3004 missing required input 'text'/);

    const { cli } = await live();
    const registry = await cli('validate', `${dir}/bad.yaml`);
    expect(registry.code).toBe(2);
    // The message says where it looked: the files and the registry.
    expect(registry.stderr).toMatch(
      /error PW4001 template account\.msg is in none of the files being checked, nor in registry:http:\/\/127\.0\.0\.1:\d+$/m,
    );
  });

  test('with a registry, a version it holds with other content is an error, as publishing would refuse it', async () => {
    const { dir, cli } = await live();
    writeFileSync(join(dir, 'msg.yaml'), MSG);
    expect((await cli('template', 'publish', 'msg.yaml')).code).toBe(0);
    expect((await cli('validate', 'msg.yaml')).code).toBe(0);
    writeFileSync(join(dir, 'msg.yaml'), MSG.replace('echo {{inputs.text}}', 'echo changed {{inputs.text}}'));
    const r = await cli('validate', 'msg.yaml');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^msg\.yaml:4:17: error PW4007 account\.msg@1\.0\.0 is already published with other content/m);
    // Without a registry it cannot know.
    expect((await runCli(['validate', 'msg.yaml'], dir, { env: {} })).code).toBe(0);
  });

  test('a problem in a template used by another is reported once, by its own check', async () => {
    const service = `template:
  name: Cache
  identifier: cache
  versionLabel: 1.0.0
  type: StepGroup
  spec:
    steps:
      - step: {name: redis, identifier: redis, type: Background, spec: {image: redis:7, command: redis-server}}
`;
    const user = `template:
  name: Tests
  identifier: tests
  versionLabel: 1.0.0
  type: StepGroup
  spec:
    steps:
      - stepGroup: {name: svc, identifier: svc, template: {templateRef: account.cache, versionLabel: 1.0.0}}
`;
    const dir = tempDir({ 'cache.yaml': service, 'tests.yaml': user });
    const r = await runCli(['validate', 'tests.yaml', 'cache.yaml'], dir);
    expect(r.code).toBe(0);
    const warnings = r.stderr.split('\n').filter((l) => l.includes('PW5002'));
    expect(warnings).toEqual([expect.stringMatching(/^cache\.yaml:8:16: warning PW5002 background step check\.cache\.redis /)]);
  });
});
