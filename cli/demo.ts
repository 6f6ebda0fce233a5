/**
 * `pipewright demo`: the whole loop on this machine. Starts a registry on a temporary SQLite
 * file, publishes the bundled templates over HTTP, compiles `examples/pipeline.yaml` against
 * the registry (writing a lockfile), runs the plan on the host — a background HTTP service
 * proven ready by its probe, a step that calls it and exports an output, a step that uses the
 * output — and prints the summary.
 */
import { mkdtempSync, readdirSync, readFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { compile, ContentCache, explainPlan, LockedSource, lockPathFor, refOfTemplate, writeLockfile } from '../compiler/index.js';
import { yamlLibrary } from '../compiler/index.js';
import { printDiagnostics } from './compile-commands.js';
import { firstBusyPort, servicePorts } from './port-check.js';
import { Exit, ExitError, packageRoot, type CliIO } from './io.js';

export function registerDemoCommand(program: Command, io: CliIO): void {
  program
    .command('demo')
    .description('publish the example templates to a temporary registry, compile the example pipeline against it and run it')
    .option('--quiet', 'only the summary')
    .action(async (opts: { quiet?: boolean }) => {
      const { createToken, RegistryClient, RegistrySource, startRegistry } = await import('../registry/index.js');
      const { Runner, summaryTable } = await import('../runtime/index.js');
      const root = packageRoot();
      const examples = join(root, 'examples');
      const work = mkdtempSync(join(tmpdir(), 'pipewright-demo-'));
      const say = (s: string) => io.stdout.write(s + '\n');
      const registry = await startRegistry({ db: join(work, 'registry.db'), port: 0, log: (l) => io.stderr.write(l + '\n') });
      try {
        const token = createToken(registry.db, 'demo', 'publish');
        const client = new RegistryClient({ url: registry.url, token });
        say(`1. registry on ${registry.url} (SQLite ${join(work, 'registry.db')})`);
        for (const f of readdirSync(join(examples, 'templates')).sort()) {
          const text = readFileSync(join(examples, 'templates', f), 'utf8');
          const t = (yamlLibrary().parse(text) as { template: { identifier: string; versionLabel: unknown } }).template;
          const ref = refOfTemplate(t);
          const res = await client.request<{ digest: string }>('PUT', `/api/v1/templates/${ref}/versions/${String(t.versionLabel)}`, {
            yaml: text,
          });
          say(`   published ${ref}@${String(t.versionLabel)} ${res.body.digest.slice(0, 19)}…`);
        }
        const pipeline = join(work, 'pipeline.yaml');
        copyFileSync(join(examples, 'pipeline.yaml'), pipeline);
        const cache = new ContentCache(join(work, 'cache'));
        const locked = new LockedSource({ lock: undefined, cache, inner: new RegistrySource(client, cache) });
        const t0 = performance.now();
        const tripsBefore = client.roundTrips;
        const result = await compile({ file: pipeline, baseDir: work, sources: [locked] });
        printDiagnostics(io, result.diagnostics);
        if (!result.ok || !result.plan) throw new ExitError(Exit.INVALID, 'the example pipeline did not compile');
        writeLockfile(lockPathFor(pipeline), locked.nextLock());
        const plan = result.plan;
        say(
          `2. compiled examples/pipeline.yaml against the registry in ${(performance.now() - t0).toFixed(0)} ms: ${plan.stages.length} stages, ${plan.steps.length} steps, ${client.roundTrips - tripsBefore} resolve round trip(s), lockfile ${lockPathFor(pipeline)}`,
        );
        if (!opts.quiet) io.stdout.write(explainPlan(plan).trimEnd().replace(/^/gm, '   ') + '\n');
        const busy = await firstBusyPort(servicePorts(plan));
        if (busy)
          throw new ExitError(
            Exit.INVALID,
            `port ${busy.port} on 127.0.0.1 is already in use: the demo's ${busy.step} listens there; stop what holds it and run the demo again`,
          );
        say('3. running it on the host');
        const runner = new Runner(plan, {
          home: join(work, '.pipewright'),
          workspace: root,
          graceMs: 5000,
          ...(opts.quiet ? {} : { console: io.stdout }),
        });
        const onSignal = (sig: NodeJS.Signals) => runner.abort(sig);
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        const report = await runner.run().finally(() => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        });
        io.stdout.write('\n' + summaryTable(report));
        const answer = report.steps.find((s) => s.id === 'integration.smoke.call')?.outputs?.['answer'];
        if (answer !== undefined) say(`output variable answer = ${answer}`);
        say(`report: ${join(runner.runDir, 'report.json')}`);
        if (report.status !== 'success') throw new ExitError(Exit.FAILURE, 'the demo run failed');
      } finally {
        await registry.close();
      }
    });
}
