/**
 * Diagnostics that point the right way (issue 13, points 11 and 12): a missing runtime input
 * is named by its full path with the exact `--set` that fills it, and an unknown field is
 * located at its key, not at its value.
 */
import { describe, expect, test } from 'vitest';
import { onePipeline, runCli, tempDir } from '../helpers.js';

const PIPE = `pipeline:
  name: p
  identifier: p
  variables:
    - name: env
      type: String
      value: <+input>.allowedValues(eu,us)
    - name: region
      type: String
      value: <+input>
  stages:
    - stage:
        name: s
        identifier: build
        type: CI
        spec:
          execution:
            steps:
              - parallel:
                  - step:
                      type: Run
                      name: r
                      identifier: r
                      spec:
                        shell: Sh
                        command: <+input>
`;

describe('a missing runtime input', () => {
  test('is named by its full path, with the exact --set that fills it; that --set works', async () => {
    const dir = tempDir({ 'p.yaml': PIPE });
    const r = await runCli(['compile', 'p.yaml'], dir);
    expect(r.code).toBe(2);
    const lines = r.stderr.split('\n').filter((l) => l.includes('PW3010'));
    expect(lines).toEqual([
      'p.yaml:7:14: error PW3010 runtime input pipeline.variables.env has no value: give it with --set pipeline.variables.env=eu (one of: eu, us), or in an input set (--inputs FILE)',
      'p.yaml:10:14: error PW3010 runtime input pipeline.variables.region has no value: give it with --set pipeline.variables.region=VALUE, or in an input set (--inputs FILE)',
      'p.yaml:26:34: error PW3010 runtime input pipeline.stages.build.spec.execution.steps.r.spec.command has no value: give it with --set pipeline.stages.build.spec.execution.steps.r.spec.command=VALUE, or in an input set (--inputs FILE)',
    ]);
    const sets = lines.map((l) => /--set (\S+)=/.exec(l)![1]!);
    const filled = await runCli(
      ['compile', 'p.yaml', '--explain', ...sets.flatMap((p) => ['--set', `${p}=${p.endsWith('env') ? 'us' : 'x'}`])],
      dir,
    );
    expect(filled.code, filled.stderr).toBe(0);
  });

  test('a key --set cannot name (it holds a dot) gets the input-set hint; other odd keys are shell-quoted', async () => {
    const pipe = onePipeline(
      '              - step: {type: Run, name: r, identifier: r, spec: {shell: Sh, command: echo, envVariables: {A.B: <+input>, "x y": <+input>}}}\n',
    );
    const dir = tempDir({ 'p.yaml': pipe });
    const r = await runCli(['compile', 'p.yaml'], dir);
    const lines = r.stderr.split('\n').filter((l) => l.includes('PW3010'));
    expect(lines[0]).toMatch(
      /runtime input pipeline\.stages\.s\.spec\.execution\.steps\.r\.spec\.envVariables\.A\.B has no value: give it in an input set \(--inputs FILE\)$/,
    );
    expect(lines[1]).toMatch(/give it with --set 'pipeline\.stages\.s\.spec\.execution\.steps\.r\.spec\.envVariables\.x y=VALUE', or/);
    const set = /--set ('[^']+')/.exec(lines[1]!)![1]!.slice(1, -1).replace('VALUE', 'hello');
    const filled = await runCli(['compile', 'p.yaml', '--partial', '--set', set], dir);
    expect(filled.stderr).not.toMatch(/x y has no value/);
  });

  test('with --partial, the warning names the full path too', async () => {
    const dir = tempDir({ 'p.yaml': PIPE });
    const r = await runCli(['compile', 'p.yaml', '--partial', '--explain'], dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /^p\.yaml:10:14: warning PW3010 runtime input pipeline\.variables\.region has no value \(kept as a placeholder\)$/m,
    );
  });
});

describe('an unknown field', () => {
  const stepWith = (extra: string) =>
    onePipeline(
      `              - step:\n                  type: Run\n                  name: r\n                  identifier: r\n                  spec: {shell: Sh, command: echo contextType}\n${extra}`,
    );
  test.each([
    ['a block key', '                contxtType: Pipeline\n', '17:17'],
    ['a quoted key', '                "contxtType": Pipeline\n', '17:17'],
    ['a key with no value', '                contxtType:\n', '17:17'],
    ['a key whose value is on the next line', '                contxtType:\n                  Pipeline\n', '17:17'],
    ['a key whose value is a mapping', '                contxtType:\n                  a: 1\n', '17:17'],
  ])('%s is located at the key', async (_what, extra, at) => {
    const dir = tempDir({ 'p.yaml': stepWith(extra) });
    for (const cmd of ['validate', 'compile']) {
      // A warning by default (the policy for fields pipewright does not know), an error with --strict.
      const r = await runCli([cmd, 'p.yaml'], dir);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout + r.stderr).toContain(`p.yaml:${at}: warning PW2007 `);
      const strict = await runCli([cmd, 'p.yaml', '--strict'], dir);
      expect(strict.code).toBe(2);
      expect(strict.stdout + strict.stderr).toContain(`p.yaml:${at}: error PW2007 `);
    }
  });

  test('in a flow mapping, and in a file the library reader reads (anchors), at the key', async () => {
    const flow = onePipeline('              - {step: {type: Run, name: r, identifier: r, spec: {command: echo}}, contxtType: Pipeline}\n');
    const dir = tempDir({
      'flow.yaml': flow,
      'anchors.yaml': stepWith('                contxtType: &a Pipeline\n                other: *a\n'),
    });
    const f = await runCli(['validate', 'flow.yaml', '--strict'], dir);
    expect(f.stdout + f.stderr).toContain('flow.yaml:12:84: error PW2007 ');
    const a = await runCli(['validate', 'anchors.yaml', '--strict'], dir);
    expect(a.stdout + a.stderr).toContain('anchors.yaml:17:17: error PW2007 ');
    expect(a.stdout + a.stderr).toContain('anchors.yaml:18:17: error PW2007 ');
  });
});
