#!/usr/bin/env node
/**
 * Process entry: wires the real streams to `main`. The only place that exits the process.
 * An unexpected exception is an internal failure (exit 1) with a short message; a stack
 * trace only with PIPEWRIGHT_DEBUG=1.
 */
import { main } from './main.js';

// A reader that stopped early (`pipewright ... | head -1`) closed the pipe: what is still
// written goes nowhere, and the command finishes as it would have (a run still tears its
// services down). Any other stream error is an internal failure as below.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr })
  .then((code) => {
    process.exitCode = code;
  })
  .catch((e: unknown) => {
    const err = e instanceof Error ? e : new Error(String(e));
    process.stderr.write(`pipewright: internal error: ${err.message}\n`);
    if (process.env['PIPEWRIGHT_DEBUG']) process.stderr.write(`${err.stack ?? ''}\n`);
    process.exitCode = 1;
  });
