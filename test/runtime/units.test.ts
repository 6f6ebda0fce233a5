import { describe, expect, test } from 'vitest';
import { ConditionError, evaluateCondition, Masker, MASK, readSecretsFile, envSecrets, shellScript } from '../../runtime/index.js';
import { tempDir } from '../helpers.js';
import { join } from 'node:path';

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
  test.each(['"a" ==', '(1 == 1', '"open', '1 == 1 )', '@', "'x'.matches('y')", '"a" =~ "("'])('%s is a ConditionError', (src) =>
    expect(() => evaluateCondition(src)).toThrow(ConditionError),
  );
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

describe('shell scripts', () => {
  test('shells and the output trap: the script is a file, never argv', () => {
    const bash = shellScript('bash', 'echo hi');
    expect(bash.text).toBe('echo hi');
    expect(bash.argv('/r/s.sh')).toEqual(['bash', '-e', '/r/s.sh']);
    expect(shellScript('sh', 'x', ['A', 'bad name']).text).toMatch(/^trap '.*"\$\{A-\}".*' EXIT\nx$/);
    const py = shellScript('python', 'print(1)');
    expect(py.text).toBe('print(1)');
    expect(py.argv('/r/s.py').join(' ')).not.toContain('print(1)');
    expect(shellScript('pwsh', 'Write-Host 1').argv('/r/s.ps1')).toEqual(['pwsh', '-NoProfile', '-NonInteractive', '-File', '/r/s.ps1']);
  });
});
