import { describe, expect, test } from 'vitest';
import { ConditionError, evaluateCondition, Masker, MASK, readSecretsFile, envSecrets, shellArgv } from '../../runtime/index.js';
import { tempDir } from '../helpers.js';
import { join } from 'node:path';
import { pipeline, runYaml } from './harness.js';

describe('conditions', () => {
  test.each([
    ['"a" == "a"', true],
    ['"a" != "a"', false],
    ['3 > 2 && 1 < 2', true],
    ['!(1 == 1) || "x" == "y"', false],
    ['true', true],
    ['false || null', false],
    ['"10" == 10', true],
    ['prod == "prod"', true],
    ['2 >= 3', false],
    ['"" ', false],
    ['"release/1.2" =~ "^release/"', true],
    ['"main" !~ "^release"', true],
    ['"feature/x" =^ "feat"', true],
    ['"a.tar.gz" =$ ".gz"', true],
    ["'abc'.contains('b') && 'abc'.startsWith('a') && 'abc'.endsWith('c') && 'x'.equals('x')", true],
    ['1==2', false],
  ])('%s → %s', (src, want) => expect(evaluateCondition(src)).toBe(want));
  test.each(['"a" ==', '(1 == 1', '"open', '1 == 1 )', '@', "'x'.matches('y')", '"a" =~ "("'])('%s is a ConditionError', (src) => expect(() => evaluateCondition(src)).toThrow(ConditionError));
});

describe('secrets', () => {
  test('dotenv and YAML files; environment variables', () => {
    const dir = tempDir({ 'a.env': '# comment\nexport A=1\nB="two words"\n', 'b.yaml': 'a: 1\nb: two\n' });
    expect(readSecretsFile(join(dir, 'a.env'))).toEqual({ A: '1', B: 'two words' });
    expect(readSecretsFile(join(dir, 'b.yaml'))).toEqual({ a: '1', b: 'two' });
    expect(envSecrets({ PIPEWRIGHT_SECRET_API_KEY: 'k', OTHER: 'x' })).toEqual({ API_KEY: 'k', api_key: 'k' });
  });
  test('the masker hides every value, longest first', () => {
    const m = new Masker();
    m.add('secret');
    m.add('secret-long');
    m.add('ab');
    expect(m.mask('x secret-long y secret ab')).toBe(`x ${MASK} y ${MASK} ab`);
  });
});

describe('host backend argv', () => {
  test('shells and the output trap', () => {
    expect(shellArgv('bash', 'echo hi')).toEqual(['bash', '-e', '-c', 'echo hi']);
    expect(shellArgv('sh', 'x', ['A', 'bad name'])[3]).toMatch(/^trap '.*"\$\{A-\}".*' EXIT\nx$/);
    expect(shellArgv('python', 'print(1)')).toEqual(['python3', '-c', 'print(1)']);
    expect(shellArgv('pwsh', 'Write-Host 1')[0]).toBe('pwsh');
  });
});

describe('live output', () => {
  test('a "still running" line after a silence', async () => {
    const r = await runYaml(pipeline('              - step: {type: Run, name: q, identifier: q, spec: {command: sleep 0.6}}\n'), { silenceMs: 200 });
    expect(r.out).toMatch(/\[s\.q\] pipewright: still running after \d+ s/);
  });
});
