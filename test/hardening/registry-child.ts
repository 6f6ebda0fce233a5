/**
 * The pipewright CLI as a real child process running the TypeScript sources of this
 * checkout (not dist/, which may be stale): a module hook transpiles `.ts` with the
 * project's own `typescript` and maps `./x.js` imports to `./x.ts`, as vitest does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO } from '../helpers.js';

const TYPESCRIPT = pathToFileURL(createRequire(join(REPO, 'package.json')).resolve('typescript')).href;
/** Transpiled modules by content hash, shared by runs: later children start without loading typescript. */
const CACHE = join(tmpdir(), `pw-tshooks-cache-${process.getuid?.() ?? 0}`);

const HOOKS = `
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
const CACHE = ${JSON.stringify(CACHE)};
mkdirSync(CACHE, { recursive: true });
let ts;
export async function resolve(specifier, context, next) {
  if (/^(\\.|file:)/.test(specifier) && specifier.endsWith('.js') && context.parentURL) {
    const url = new URL(specifier, context.parentURL);
    const alt = new URL(url.href.replace(/\\.js$/, '.ts'));
    if (!existsSync(fileURLToPath(url)) && existsSync(fileURLToPath(alt))) return { url: alt.href, shortCircuit: true };
  }
  return next(specifier, context);
}
export async function load(url, context, next) {
  if (url.startsWith('file:') && url.endsWith('.ts')) {
    const file = fileURLToPath(url);
    const text = readFileSync(file, 'utf8');
    const cached = join(CACHE, createHash('sha256').update(file + '\\0' + text).digest('hex') + '.js');
    if (existsSync(cached)) return { format: 'module', source: readFileSync(cached, 'utf8'), shortCircuit: true };
    ts ??= (await import(${JSON.stringify(TYPESCRIPT)})).default;
    const out = ts.transpileModule(text, { fileName: file, compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
    writeFileSync(cached + '.' + process.pid, out.outputText);
    renameSync(cached + '.' + process.pid, cached);
    return { format: 'module', source: out.outputText, shortCircuit: true };
  }
  return next(url, context);
}
`;

let registerFile: string | undefined;
function register(): string {
  if (registerFile) return registerFile;
  const dir = mkdtempSync(join(tmpdir(), 'pw-tshooks-'));
  writeFileSync(join(dir, 'hooks.mjs'), HOOKS);
  writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`);
  return (registerFile = join(dir, 'register.mjs'));
}

const children: ChildProcess[] = [];

/** Kills (SIGKILL) every child this module started that is still running. */
export function killSourceChildren(): void {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

/** Runs `pipewright ...args` from the sources; resolves with the exit code and output. */
export function sourceCli(args: string[], cwd = REPO): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', register(), join(REPO, 'cli', 'bin.ts'), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

/** Starts `pipewright registry serve --port 0` from the sources on 127.0.0.1; resolves with its URL. */
export function serveFromSources(db: string, extra: string[] = []): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', register(), join(REPO, 'cli', 'bin.ts'), 'registry', 'serve', '--db', db, '--port', '0', '--host', '127.0.0.1', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, url: m[1]! });
    });
    child.once('exit', (code) => reject(new Error(`registry exited ${code} before listening: ${out}${err}`)));
  });
}
