/**
 * Secrets stay out of places other users can read: a resolved script never travels in argv
 * (`ps`, /proc/PID/cmdline), the run folder is 0700, and nothing kept after the run holds a
 * secret unmasked (output-variable files are removed once read; logs and the report mask).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { Runner } from '../../runtime/index.js';
import { tempDir } from '../helpers.js';
import { DOCKER, dockerAvailable, ensureTestImage, TEST_IMAGE } from '../support/docker-env.js';
import { pipeline, planOf, runYaml, until } from '../runtime/harness.js';

const SECRET = 'hunter2-very-secret-71';

const step = (id: string, command: string, extra = '') => `              - step:
                  type: Run
                  name: ${id}
                  identifier: ${id}
                  spec:
                    shell: Sh
${extra}                    command: |
${command
  .split('\n')
  .map((l) => `                      ${l}`)
  .join('\n')}
`;

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

/** Command lines of every process that mentions `text`. */
function argvMentioning(text: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8');
      if (cmd.includes(text)) out.push(`${e}: ${cmd.replace(/\0/g, ' ')}`);
    } catch {
      // gone
    }
  }
  return out;
}

describe('secrets never travel in argv', () => {
  test('a secret written in a command is not in any process argv while the step runs; the script file is 0600 and removed after', async () => {
    const dir = tempDir({}, 'pw-argv-');
    const yaml = pipeline(
      step('leak', 'echo "$0" > script.path\nTOKEN="<+secrets.getValue(\'api\')>"\ntest "$TOKEN" = "' + SECRET + '"\nsleep 1'),
    );
    const runner = new Runner(await planOf(yaml), { home: join(dir, '.pw'), workspace: dir, secrets: { api: SECRET } });
    const running = runner.run();
    expect(
      await until(() => existsSync(join(dir, 'script.path')) && readFileSync(join(dir, 'script.path'), 'utf8').endsWith('\n'), 5000),
    ).toBe(true);
    const seen = argvMentioning(SECRET);
    const scriptPath = readFileSync(join(dir, 'script.path'), 'utf8').trim();
    expect(scriptPath.startsWith(runner.runDir)).toBe(true);
    const scriptMode = statSync(scriptPath).mode & 0o777;
    const report = await running;
    expect(report.status).toBe('success');
    expect(seen).toEqual([]);
    expect(scriptMode).toBe(0o600);
    expect(existsSync(scriptPath)).toBe(false);
  }, 20_000);

  test('the command means what it meant as `sh -e -c`: quoting, expansions, heredocs, exit codes', async () => {
    const cmd = [
      `printf '%s|' "a  b" 'c"d' "e'f" \\$HOME '$(not run)' "$((6 * 7))"`,
      `echo`,
      `cat <<'EOT'`,
      `literal $x \\n`,
      `EOT`,
      `set -- one "two three"`,
      `echo "$# $2"`,
      `false || echo recovered`,
    ].join('\n');
    const r = await runYaml(pipeline(step('q', cmd)));
    expect(r.report.status, r.out).toBe('success');
    const log = readFileSync(r.step('s.q').log!, 'utf8');
    expect(log).toContain(`a  b|c"d|e'f|$HOME|$(not run)|42|`);
    expect(log).toContain('literal $x \\n');
    expect(log).toContain('2 two three');
    expect(log).toContain('recovered');
    const failing = await runYaml(pipeline(step('f', 'false\necho not reached')));
    expect(failing.step('s.f')).toMatchObject({ status: 'failed', exitCode: 1 });
    expect(readFileSync(failing.step('s.f').log!, 'utf8')).not.toContain('not reached');
  });
});

describe('what is kept after a run', () => {
  test('the run folder is 0700, output files are 0600 while they exist, and no kept file holds a secret unmasked', async () => {
    let outputsMode = -1;
    const yaml = pipeline(
      step(
        'out',
        'export OUT="prefix-$TOKEN"\nfor f in "$PIPEWRIGHT_OUTPUTS"; do stat -c %a "$f" > outputs-mode; done',
        '                    envVariables: {TOKEN: <+secrets.getValue("api")>}\n                    outputVariables: [{name: OUT}]\n',
      ) + step('use', 'test "<+steps.out.output.outputVariables.OUT>" = "prefix-' + SECRET + '"'),
    );
    const r = await runYaml(yaml, { secrets: { api: SECRET } });
    expect(r.report.status, r.out).toBe('success');
    outputsMode = parseInt(readFileSync(join(r.dir, 'outputs-mode'), 'utf8').trim(), 8);
    expect(outputsMode).toBe(0o600);
    expect(statSync(r.runner.runDir).mode & 0o777).toBe(0o700);
    expect(r.step('s.out').outputs).toEqual({ OUT: 'prefix-**************' });
    const leaking = filesUnder(r.runner.runDir).filter((f) => readFileSync(f).includes(SECRET));
    expect(leaking).toEqual([]);
  });
});

const dockerUp = dockerAvailable();

describe.skipIf(!dockerUp)('secrets and the Docker backend', () => {
  beforeAll(() => ensureTestImage());

  test('neither the docker CLI nor the container process carries a secret in argv; the step still sees it', async () => {
    const dir = tempDir({}, 'pw-argv-docker-');
    const yaml = pipeline(`              - step:
                  type: Run
                  name: leak
                  identifier: leak
                  spec:
                    image: ${TEST_IMAGE}
                    shell: Sh
                    envVariables: {TOKEN: <+secrets.getValue("api")>}
                    command: |
                      test "$TOKEN" = "<+secrets.getValue('api')>"
                      echo started > started
                      sleep 2
                      echo "token length \${#TOKEN}"
`);
    const runner = new Runner(await planOf(yaml), {
      home: join(dir, '.pw'),
      workspace: dir,
      secrets: { api: SECRET },
      docker: { bin: DOCKER, network: 'none' },
    });
    const running = runner.run();
    expect(await until(() => existsSync(join(dir, 'started')), 20_000)).toBe(true);
    const seen = argvMentioning(SECRET);
    const report = await running;
    expect(report.status).toBe('success');
    expect(seen).toEqual([]);
    expect(readFileSync(report.steps[0]!.log!, 'utf8')).toContain(`token length ${SECRET.length}`);
  }, 60_000);
});
