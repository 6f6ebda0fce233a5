/**
 * A reader that stops early (`pipewright ... | head -1`) closes the pipe under the CLI: the
 * writes that follow fail with EPIPE. That is no error of the command's: it finishes quietly,
 * with its own exit code, and never prints Node's "Unhandled 'error' event" trace.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { REPO } from '../helpers.js';

describe('a closed stdout', () => {
  test('validate of many files piped into head -1: exit 0, no stack trace', () => {
    // More output than a pipe holds (64 KiB), so the CLI is still writing when head exits.
    const files = Array<string>(3000).fill('examples/pipeline.yaml').join(' ');
    const bin = join(REPO, 'dist', 'cli', 'bin.js');
    for (let attempt = 0; attempt < 3; attempt++) {
      const r = spawnSync(
        'bash',
        ['-c', `"${process.execPath}" "${bin}" validate ${files} | head -1 >/dev/null; echo "exit=\${PIPESTATUS[0]}" >&2`],
        {
          cwd: REPO,
          encoding: 'utf8',
        },
      );
      expect(r.stderr).not.toMatch(/Unhandled 'error' event|EPIPE|node:events/);
      expect(r.stderr).toMatch(/^exit=0$/m);
    }
  });
});
