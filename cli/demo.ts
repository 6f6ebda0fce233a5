/**
 * `pipewright demo`: compiles the bundled example pipeline against the bundled templates and
 * prints the plan as a tree, then its summary.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { compile, DirectorySource, explainPlan } from '../compiler/index.js';
import { printDiagnostics } from './compile-commands.js';
import { Exit, ExitError, packageRoot, type CliIO } from './io.js';

export function registerDemoCommand(program: Command, io: CliIO): void {
  program
    .command('demo')
    .description('compile the bundled example pipeline and show its plan')
    .action(async () => {
      const root = packageRoot();
      const examples = join(root, 'examples');
      const started = performance.now();
      const result = await compile({
        file: join(examples, 'pipeline.yaml'),
        baseDir: root,
        sources: [new DirectorySource([join(examples, 'templates')], { baseDir: root })],
      });
      const ms = performance.now() - started;
      printDiagnostics(io, result.diagnostics);
      if (!result.ok || !result.plan) throw new ExitError(Exit.INVALID, 'the example pipeline did not compile');
      const plan = result.plan;
      io.stdout.write(explainPlan(plan));
      const kinds = new Map<string, number>();
      for (const s of plan.steps) kinds.set(s.kind, (kinds.get(s.kind) ?? 0) + 1);
      io.stdout.write(
        `\ncompiled examples/pipeline.yaml in ${ms.toFixed(1)} ms: ${plan.stages.length} stages, ${plan.steps.length} steps ` +
          `(${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}), ${plan.templates.length} templates, digest ${plan.digest}\n`,
      );
    });
}
