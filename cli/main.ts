/**
 * The `pipewright` command line: a thin commander layer over the parts. `main` never calls
 * process.exit; it returns the exit code, so tests run it in-process.
 */
import { Command, CommanderError } from 'commander';
import { registerCompileCommands } from './compile-commands.js';
import { registerAuditCommands } from './audit-commands.js';
import { registerDemoCommand } from './demo.js';
import { registerExportCommands } from './export-commands.js';
import { registerLockCommands } from './lock-commands.js';
import { registerRegistryCommands } from './registry-commands.js';
import { registerRunCommands } from './run-commands.js';
import { registerTemplateCommands } from './template-commands.js';
import { Exit, ExitError, type CliIO } from './io.js';

export { Exit, type CliIO } from './io.js';

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[], io: CliIO): Promise<number> {
  const program = new Command();
  program
    .name('pipewright')
    .description('Template registry and compiler for Harness v0 CI pipelines')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .showHelpAfterError('(run pipewright help for usage)');
  registerCompileCommands(program, io);
  registerRunCommands(program, io);
  registerExportCommands(program, io);
  registerLockCommands(program, io);
  registerAuditCommands(program, io);
  registerRegistryCommands(program, io);
  registerTemplateCommands(program, io);
  registerDemoCommand(program, io);
  const override = (cmd: Command) => {
    cmd.exitOverride();
    cmd.commands.forEach(override);
  };
  program.commands.forEach(override);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return Exit.OK;
  } catch (e) {
    if (e instanceof ExitError) {
      if (e.message) io.stderr.write(`pipewright: ${e.message}\n`);
      return e.code;
    }
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return Exit.OK;
      return Exit.INVALID;
    }
    throw e;
  }
}
