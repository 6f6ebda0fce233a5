/**
 * A step's resolved script on disk instead of in argv: argv is readable by every user
 * (`ps`, `/proc/PID/cmdline`) and a script may hold secrets. The file lives in the run folder
 * (mode 0700), is written 0600 before the step starts and removed when its process exits.
 */
import { chmodSync, chownSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ExecutedStep, PlanShell } from '../schemas/index.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A script for a shell: its text, the file extension the shell wants, and the argv running it. */
export interface ShellScript {
  text: string;
  ext: string;
  argv(path: string): string[];
}

/** The script that runs `step`'s command: its shell (Sh for a service), and the output variables a Run step declares. */
export function stepScript(step: ExecutedStep, command: string): ShellScript {
  if (step.kind === 'service') return shellScript('sh', command);
  return shellScript(step.shell ?? 'sh', command, step.kind === 'run' ? step.outputs : []);
}

/**
 * The script that runs `command` in `shell`, writing `outputs` to $PIPEWRIGHT_OUTPUTS at exit.
 * The meaning of `command` is the one `sh -e -c COMMAND` (`python3 -c`, `pwsh -Command`) gives
 * it; only `$0` differs for sh and bash (the script's path instead of the shell's name).
 */
export function shellScript(shell: PlanShell, command: string, outputs: string[] = []): ShellScript {
  const names = outputs.filter((n) => NAME.test(n));
  switch (shell) {
    case 'sh':
    case 'bash': {
      // `>|`: the file exists (created 0600), and a command's `set -C` must not stop the write.
      const trap = names.length
        ? `trap '__pw_rc=$?; printf "%s\\0" ${names.map((n) => `"\${${n}-}"`).join(' ')} >| "$PIPEWRIGHT_OUTPUTS"; exit $__pw_rc' EXIT\n`
        : '';
      return { text: trap + command, ext: '.sh', argv: (path) => [shell, '-e', path] };
    }
    case 'python': {
      // The hook is registered by the `-c` wrapper, not prepended to the script: a script may
      // start with `from __future__ import ...`, which must come first.
      const hook = names.length
        ? `import atexit as __pw_a, os as __pw_o; __pw_a.register(lambda: open(__pw_o.environ['PIPEWRIGHT_OUTPUTS'], 'w').write(''.join(__pw_o.environ.get(n, '') + '\\0' for n in ${JSON.stringify(names)})))\n`
        : '';
      // Run as `-c` code (sys.path[0] stays the working directory, tracebacks say <string>).
      return {
        text: command,
        ext: '.py',
        argv: (path) => [
          'python3',
          '-c',
          `${hook}exec(compile(open(${JSON.stringify(path)}, encoding='utf-8').read(), '<string>', 'exec'))`,
        ],
      };
    }
    case 'pwsh':
    case 'powershell':
      return { text: command, ext: '.ps1', argv: (path) => ['pwsh', '-NoProfile', '-NonInteractive', '-File', path] };
  }
}

/**
 * Writes a script 0600 (0644 when `runAsUser` is a user name a container resolves itself; the
 * run folder's 0700 still keeps other host users out). A numeric `runAsUser` owns the file.
 * Returns a function removing it.
 */
const madeDirs = new Set<string>();

export function writeScript(path: string, text: string, runAsUser?: string): () => void {
  const dir = dirname(path);
  if (!madeDirs.has(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    madeDirs.add(dir);
  }
  try {
    writeFileSync(path, text, { mode: 0o600 });
  } catch {
    // The folder went away (gc of an earlier run with this id): make it again.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(path, text, { mode: 0o600 });
  }
  const numeric = runAsUser !== undefined ? /^(\d+)(?::(\d+))?$/.exec(runAsUser) : null;
  if (numeric) chownSync(path, Number(numeric[1]), Number(numeric[2] ?? numeric[1]));
  else if (runAsUser !== undefined) chmodSync(path, 0o644);
  return () => rmSync(path, { force: true });
}
