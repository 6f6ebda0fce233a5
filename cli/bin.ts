#!/usr/bin/env node
/**
 * Process entry: wires the real streams to `main`. The only place that exits the process.
 * An unexpected exception is an internal failure (exit 1) with a short message; a stack
 * trace only with PIPEWRIGHT_DEBUG=1.
 */
import { main } from './main.js';

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
