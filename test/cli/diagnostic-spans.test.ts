/**
 * Diagnostics carry where their subject ends as well as where it starts (issue 15), so a SARIF
 * region or an editor can underline it: a quoted value to its closing quote, an unknown key
 * as far as the key, a value inside a flow mapping up to its comma. The text output stays
 * `file:line:column`.
 */
import { describe, expect, test } from 'vitest';
import { onePipeline, runCli, tempDir } from '../helpers.js';

interface JsonDiagnostic {
  code: string;
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
}

async function diagnostics(pipeline: string): Promise<JsonDiagnostic[]> {
  const dir = tempDir({ 'p.yaml': pipeline });
  const r = await runCli(['compile', 'p.yaml', '--json'], dir);
  return (JSON.parse(r.stdout) as { diagnostics: JsonDiagnostic[] }).diagnostics;
}

const step = (lines: string) =>
  `              - step:\n                  type: Run\n                  name: r\n                  identifier: r\n${lines}`;

describe('a diagnostic spans its subject', () => {
  test('a quoted value: from its opening quote to just after its closing one', async () => {
    const [d] = await diagnostics(
      onePipeline(step('                  timeout: "10 minutes"\n                  spec: { command: echo }\n')),
    );
    expect(d).toMatchObject({ code: 'PW2006', line: 16, column: 28, endLine: 16, endColumn: 40 });
  });

  test('an unknown field in a flow mapping: the key alone', async () => {
    const ds = await diagnostics(onePipeline(step('                  spec: { command: echo hi, colour: red }\n')));
    const d = ds.find((x) => x.code === 'PW2007');
    expect(d).toMatchObject({ line: 16, column: 45, endLine: 16, endColumn: 51 });
  });

  test('a value inside a flow mapping: up to the comma, not the rest of the line', async () => {
    const [d] = await diagnostics(onePipeline(step('                  spec: { command: echo, shell: Zsh, image: x }\n')));
    expect(d).toMatchObject({ code: 'PW2001', line: 16, column: 49, endLine: 16, endColumn: 52 });
  });

  test('the text output keeps file:line:column', async () => {
    const dir = tempDir({
      'p.yaml': onePipeline(step('                  timeout: "10 minutes"\n                  spec: { command: echo }\n')),
    });
    const r = await runCli(['compile', 'p.yaml'], dir);
    expect(r.stderr).toContain('p.yaml:16:28: error PW2006');
  });
});
