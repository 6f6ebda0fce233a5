/**
 * `audit`: check a fleet of pipelines against a policy.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { FORMATS, formatReport, loadPolicy, PolicyError, runAudit, type Format } from '../audit/index.js';
import { ContentCache, defaultCacheDir, DirectorySource, formatDiagnostic, highestStable, LockedSource, lockPathFor, readLockfile, type TemplateSource } from '../compiler/index.js';
import { RegistryClient, RegistrySource } from '../registry/index.js';
import { Exit, ExitError, type CliIO } from './io.js';
import { registryFlags } from './sources.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

interface AuditFlags {
  policy: string;
  templates: string[];
  registry?: string;
  token?: string;
  format?: string;
  glob?: string;
  failOn: string;
  output?: string;
}

export function registerAuditCommands(program: Command, io: CliIO): void {
  const cwd = io.cwd ?? process.cwd();
  program
    .command('audit')
    .description('check every pipeline under the paths against a policy; report violations, inventory and drift')
    .argument('<paths...>', 'pipeline files or folders')
    .requiredOption('--policy <file>', 'policy YAML (schemas/policy.schema.json)')
    .option('-t, --templates <dir>', 'template folder (repeatable)', collect, [])
    .option('--registry <url>', 'template registry (default: PIPEWRIGHT_REGISTRY)')
    .option('--token <token>', 'registry token (default: PIPEWRIGHT_TOKEN)')
    .option('--format <format>', `${FORMATS.join(', ')} (default: table on a terminal, json otherwise)`)
    .option('--glob <regex>', 'only files whose path matches this regular expression')
    .option('--fail-on <severity>', 'error or warning: which violations make the exit code 1', 'error')
    .option('-o, --output <file>', 'write the report to a file')
    .action(async (paths: string[], flags: AuditFlags) => {
      const format = (flags.format ?? (io.stdout.isTTY ? 'table' : 'json')) as Format;
      if (!FORMATS.includes(format)) throw new ExitError(Exit.INVALID, `--format must be one of ${FORMATS.join(', ')}`);
      if (flags.failOn !== 'error' && flags.failOn !== 'warning') throw new ExitError(Exit.INVALID, '--fail-on must be error or warning');
      let glob: RegExp | undefined;
      try {
        glob = flags.glob ? new RegExp(flags.glob) : undefined;
      } catch (e) {
        throw new ExitError(Exit.INVALID, `--glob: ${(e as Error).message}`);
      }
      const policyPath = resolve(cwd, flags.policy);
      let policy;
      try {
        policy = loadPolicy(flags.policy, readFileSync(policyPath, 'utf8'));
      } catch (e) {
        if (e instanceof PolicyError) {
          for (const d of e.diagnostics) io.stderr.write(formatDiagnostic(d) + '\n');
          throw new ExitError(Exit.INVALID, 'invalid policy');
        }
        throw new ExitError(Exit.INVALID, `--policy: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
      }
      const dirs = flags.templates.length ? new DirectorySource(flags.templates.map((d) => resolve(cwd, d)), { baseDir: cwd }) : undefined;
      const { url, token } = registryFlags(flags, io);
      const client = url ? new RegistryClient({ url, ...(token ? { token } : {}) }) : undefined;
      const cache = new ContentCache(defaultCacheDir(io.env ?? process.env));
      const registry = client ? new RegistrySource(client, cache) : undefined;
      const sourcesFor = (file: string): TemplateSource[] => {
        const out: TemplateSource[] = dirs ? [dirs] : [];
        let lock;
        try {
          lock = readLockfile(lockPathFor(file));
        } catch {
          lock = undefined;
        }
        if (registry || lock) out.push(new LockedSource({ lock, cache, ...(registry ? { inner: registry } : {}) }));
        return out;
      };
      const dirStable = new Map<string, string>();
      if (dirs) {
        const byRef = new Map<string, string[]>();
        for (const e of dirs.list()) byRef.set(e.ref, [...(byRef.get(e.ref) ?? []), e.version]);
        for (const [ref, versions] of byRef) {
          const s = highestStable(versions);
          if (s) dirStable.set(ref, s);
        }
      }
      const stableOf = async (ref: string) => {
        if (client) {
          try {
            const r = await client.request<{ results: { ok: boolean; version?: string }[] }>('POST', '/api/v1/resolve', { requests: [{ ref, selector: '' }] });
            if (r.body.results[0]?.ok) return r.body.results[0].version;
          } catch {
            // fall back to the folders
          }
        }
        return dirStable.get(ref);
      };
      const tty = !!io.stderr.isTTY;
      const report = await runAudit({
        paths: paths.map((p) => resolve(cwd, p)),
        policy,
        sourcesFor,
        stableOf,
        baseDir: cwd,
        ...(glob ? { glob } : {}),
        onProgress: (done, total) => {
          if (!tty || total <= 50) return;
          const width = 30;
          const filled = Math.round((done / total) * width);
          io.stderr.write(`\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total}${done === total ? '\n' : ''}`);
        },
      });
      const text = formatReport(report, policy, format);
      if (flags.output) writeFileSync(resolve(cwd, flags.output), text);
      else io.stdout.write(text);
      const failing = report.summary.errors + report.summary.failedToCompile + (flags.failOn === 'warning' ? report.summary.warnings : 0);
      if (failing > 0) throw new ExitError(Exit.FAILURE);
    });
}
