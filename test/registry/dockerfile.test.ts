/**
 * The registry's Dockerfile (issue 16, point 14), verified without building the image: no
 * image registry is reachable here, so there is no `node:20` base to build FROM (and
 * better-sqlite3 could fetch neither its prebuilt binary nor Node's headers). Instead:
 *
 * 1. a lint of its structure (two stages, a non-root user, the volume, the port, the health
 *    check, only the build's output and production dependencies in the final stage) and of
 *    hadolint's basic rules, plus the `.dockerignore`;
 * 2. a rehearsal on the host: the build stage's COPY lines and its RUN steps that need no
 *    network or package manager (`npm run build`, the removal of test and bench builds) are
 *    carried out in a scratch `/src`; the final stage's COPY lines lay out a scratch `/app`
 *    from it; the image's exact ENTRYPOINT + CMD then runs there (as uid 1000 when the test
 *    runs as root, like `USER node`), with `/data` a scratch folder and `--port 0` (the port
 *    is found from the server's output), and the exact HEALTHCHECK command is run against
 *    it, healthy while it serves and unhealthy once it stopped. What the rehearsal cannot
 *    do — apt-get, `npm ci`, `npm prune` — it skips by name; node_modules is the
 *    repository's own (dev dependencies included).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, test } from 'vitest';
import { REPO, tempDir } from '../helpers.js';

const DOCKERFILE = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
const DOCKERIGNORE = readFileSync(join(REPO, '.dockerignore'), 'utf8');

interface Instruction {
  cmd: string;
  args: string;
  line: number;
}

/** Instructions of a Dockerfile: continuation lines joined, comments and blank lines dropped. */
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i]!.trim();
    if (!first || first.startsWith('#')) continue;
    const line = i + 1;
    let joined = first;
    while (joined.endsWith('\\') && i + 1 < lines.length) {
      joined = joined.slice(0, -1).trimEnd();
      const next = lines[++i]!.trim();
      if (next.startsWith('#')) continue; // Docker drops comment lines inside a continuation
      joined += ' ' + next;
    }
    const m = /^(\S+)\s*(.*)$/.exec(joined)!;
    out.push({ cmd: m[1]!.toUpperCase(), args: m[2]!, line });
  }
  return out;
}

/** Instructions before the first FROM, and each stage (starting with its FROM). */
function stagesOf(instructions: Instruction[]): { global: Instruction[]; stages: Instruction[][] } {
  const global: Instruction[] = [];
  const stages: Instruction[][] = [];
  for (const ins of instructions) {
    if (ins.cmd === 'FROM') stages.push([ins]);
    else if (stages.length) stages[stages.length - 1]!.push(ins);
    else global.push(ins);
  }
  return { global, stages };
}

/** The argv of an exec-form (JSON array) instruction; throws for the shell form. */
function execForm(args: string): string[] {
  expect(args.trim().startsWith('['), `exec form (a JSON array), not '${args}'`).toBe(true);
  const argv = JSON.parse(args) as unknown;
  expect(Array.isArray(argv) && argv.every((a) => typeof a === 'string')).toBe(true);
  return argv as string[];
}

/** `--flag=value` options, then the rest, of COPY / HEALTHCHECK arguments. */
function flagsOf(args: string): { flags: Record<string, string>; rest: string } {
  const flags: Record<string, string> = {};
  let rest = args.trim();
  for (let m = /^--([a-z-]+)=(\S+)\s*/.exec(rest); m; m = /^--([a-z-]+)=(\S+)\s*/.exec(rest)) {
    flags[m[1]!] = m[2]!;
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

const one = (stage: Instruction[], cmd: string) => {
  const found = stage.filter((i) => i.cmd === cmd);
  expect(found, `exactly one ${cmd}`).toHaveLength(1);
  return found[0]!;
};

/** Whether a `.dockerignore` pattern leaves out `path` (root-relative; `**` for any depth, `*` within a name). */
function ignored(path: string): boolean {
  const patterns = DOCKERIGNORE.split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  return patterns.some((p) => {
    const re = new RegExp(
      '^' +
        p
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*\*\//g, '(?:.*/)?')
          .replace(/\*/g, '[^/]*') +
        '(?:/.*)?$',
    );
    return re.test(path);
  });
}

const { global, stages } = stagesOf(parseDockerfile(DOCKERFILE));
const build = stages[0]!;
const final = stages[stages.length - 1]!;
const runLines = (stage: Instruction[]) => stage.filter((i) => i.cmd === 'RUN').map((i) => i.args);
const entrypoint = () => execForm(one(final, 'ENTRYPOINT').args);
const cmd = () => execForm(one(final, 'CMD').args);
const healthcheck = () => {
  const { flags, rest } = flagsOf(one(final, 'HEALTHCHECK').args);
  expect(rest.startsWith('CMD ')).toBe(true);
  return { flags, argv: execForm(rest.slice(4)) };
};

describe('Dockerfile: structure and lint', () => {
  test('two stages from one overridable Node 20 slim base; the build stage compiles, builds and prunes', () => {
    expect(global.map((i) => `${i.cmd} ${i.args}`)).toEqual(['ARG NODE_IMAGE=node:20-bookworm-slim']);
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(build[0]!.args).toBe('${NODE_IMAGE} AS build');
    expect(final[0]!.args).toBe('${NODE_IMAGE}');
    const runs = runLines(build).join(' && ');
    // better-sqlite3 compiles natively when no prebuilt binary fits.
    expect(runs).toMatch(/apt-get install -y --no-install-recommends python3 make g\+\+/);
    expect(runs).toMatch(/npm ci\b/);
    expect(runs).toMatch(/npm rebuild better-sqlite3/);
    expect(runs).toMatch(/npm run build\b/);
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['build']).toContain('tsc -p tsconfig.json');
    expect(pkg.scripts['build']).toContain('node dist/schemas/build-validators.js');
    // Pruned after the build, which needs the dev dependencies (TypeScript).
    expect(runs.indexOf('npm prune --omit=dev')).toBeGreaterThan(runs.indexOf('npm run build'));
  });

  test('the final stage: production output only, a non-root user, /data as a volume, the port, the health check, registry serve', () => {
    expect(one(final, 'ENV').args).toBe('NODE_ENV=production');
    expect(one(final, 'WORKDIR').args).toBe('/app');
    // Everything comes from the build stage (its pruned node_modules), nothing from the context.
    const copies = final.filter((i) => i.cmd === 'COPY' || i.cmd === 'ADD');
    expect(copies.length).toBeGreaterThan(0);
    for (const c of copies) {
      expect(c.cmd).toBe('COPY');
      expect(flagsOf(c.args).flags['from']).toBe('build');
    }
    expect(copies.map((c) => flagsOf(c.args).rest.split(/\s+/)[0]).sort()).toEqual(
      ['/src/dist', '/src/node_modules', '/src/package.json', '/src/registry/static', '/src/registry/views', '/src/schemas/*.json'].sort(),
    );
    // No compiler, package manager or network in the final stage.
    for (const r of runLines(final)) expect(r).not.toMatch(/apt-get|npm|curl|wget/);

    const users = final.filter((i) => i.cmd === 'USER');
    expect(users.length).toBeGreaterThan(0);
    const user = users[users.length - 1]!;
    expect(user.args.split(':')[0]).not.toMatch(/^(root|0)$/);
    expect(user.line).toBeLessThan(one(final, 'ENTRYPOINT').line);
    // /data belongs to that user before it becomes a volume (a named volume copies the ownership).
    expect(runLines(final).join(' && ')).toContain(`chown ${user.args}:${user.args} /data`);
    expect(one(final, 'VOLUME').args).toMatch(/^(\/data|\["\/data"\])$/);
    expect(one(final, 'VOLUME').line).toBeGreaterThan(final.find((i) => i.cmd === 'RUN' && i.args.includes('/data'))!.line);

    const argv = [...entrypoint(), ...cmd()];
    expect(argv.slice(0, 4)).toEqual(['node', '/app/dist/cli/bin.js', 'registry', 'serve']);
    const option = (name: string) => argv[argv.indexOf(name) + 1];
    expect(option('--db')).toMatch(/^\/data\/[^/]+\.db$/);
    expect(option('--host')).toBe('0.0.0.0');
    expect(one(final, 'EXPOSE').args).toBe(option('--port'));

    const hc = healthcheck();
    expect(hc.argv[0]).toBe('node');
    expect(hc.argv.join(' ')).toContain(`http://127.0.0.1:${option('--port')}/healthz`);
    expect(hc.flags['timeout']).toBeDefined();
    expect(hc.flags['interval']).toBeDefined();
  });

  test("hadolint's basics hold", () => {
    const all = [...global, ...stages.flat()];
    // DL3000 absolute WORKDIR, DL3020 COPY not ADD, DL4000 no MAINTAINER, DL3025 exec-form CMD/ENTRYPOINT.
    for (const w of all.filter((i) => i.cmd === 'WORKDIR')) expect(w.args.startsWith('/')).toBe(true);
    expect(all.filter((i) => i.cmd === 'ADD' || i.cmd === 'MAINTAINER')).toEqual([]);
    for (const s of stages)
      for (const c of ['CMD', 'ENTRYPOINT', 'HEALTHCHECK']) expect(s.filter((i) => i.cmd === c).length).toBeLessThanOrEqual(1);
    // DL3006/DL3007 a tagged base, never latest.
    expect(global[0]!.args).toMatch(/^NODE_IMAGE=node:20[^:]*$/);
    expect(DOCKERFILE).not.toMatch(/:latest\b/);
    for (const r of stages.flatMap(runLines)) {
      expect(r).not.toMatch(/\bsudo\b/); // DL3004
      expect(r).not.toMatch(/(^|&&\s*)cd\s/); // DL3003: WORKDIR instead
      expect(r).not.toMatch(/apt-get (dist-)?upgrade/); // DL3005
      expect(r).not.toMatch(/\bnpm install\b/); // npm ci: the lockfile, exactly
      if (r.includes('apt-get install')) {
        expect(r).toMatch(/apt-get install -y --no-install-recommends/); // DL3014, DL3015
        expect(r).toContain('apt-get update'); // DL3009: update and clean up in the same layer
        expect(r).toContain('rm -rf /var/lib/apt/lists/*');
      }
    }
  });

  test('.dockerignore keeps local state out, and lets in every file the build stage copies', () => {
    for (const p of ['.git', 'node_modules', 'dist', 'test-output', 'registry.db', 'data/registry.db-wal', '.pipewright'])
      expect(ignored(p), p).toBe(true);
    const sources = build
      .filter((i) => i.cmd === 'COPY')
      .flatMap((i) => {
        const words = flagsOf(i.args).rest.split(/\s+/);
        return words.slice(0, -1);
      });
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'tsconfig.json', 'registry', 'cli']));
    for (const s of sources) {
      expect(existsSync(join(REPO, s)), `${s} exists`).toBe(true);
      expect(ignored(s), `${s} is not ignored`).toBe(false);
    }
    expect(ignored('registry/views/layout.hbs')).toBe(false);
  });
});

const run = promisify(execFile);
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

describe('Dockerfile: its build, ENTRYPOINT + CMD and HEALTHCHECK rehearsed on the host', () => {
  test('the build stage builds; the final stage serves from /data as an unprivileged user; the health check tells up from down', async () => {
    const scratch = tempDir({}, 'pw-docker-');
    chmodSync(scratch, 0o755); // mkdtemp makes it 0700: the unprivileged user must reach /app
    const src = join(scratch, 'src');
    const app = join(scratch, 'app');
    const data = join(scratch, 'data');
    mkdirSync(src);
    mkdirSync(app);
    mkdirSync(data);

    // Build stage, WORKDIR /src.
    expect(one(build, 'WORKDIR').args).toBe('/src');
    symlinkSync(join(REPO, 'node_modules'), join(src, 'node_modules')); // what `npm ci` would make
    const skipped: string[] = [];
    for (const ins of build.slice(1)) {
      if (ins.cmd === 'COPY') {
        const words = ins.args.split(/\s+/);
        const dest = words[words.length - 1]!;
        for (const s of words.slice(0, -1)) {
          const target = dest.endsWith('/') ? join(src, dest, basename(s)) : join(src, dest);
          cpSync(join(REPO, s), target, { recursive: true });
        }
      } else if (ins.cmd === 'RUN') {
        for (const step of ins.args.split('&&').map((s) => s.trim())) {
          if (/^(apt-get |rm -rf \/var\/lib\/apt|npm ci |npm rebuild |npm prune )/.test(step)) {
            skipped.push(step.split(' ').slice(0, 2).join(' '));
            continue;
          }
          await run('sh', ['-c', step], { cwd: src, maxBuffer: 16 << 20 });
        }
      }
    }
    expect(skipped).toEqual(['apt-get update', 'apt-get install', 'rm -rf', 'npm ci', 'npm rebuild', 'npm prune']);
    expect(readdirSync(join(src, 'dist')).sort()).toEqual([
      'audit',
      'cli',
      'client',
      'compiler',
      'export',
      'registry',
      'runtime',
      'schemas',
    ]);

    // Final stage, WORKDIR /app: its COPY --from=build lines.
    for (const ins of final.filter((i) => i.cmd === 'COPY')) {
      const [from, dest] = flagsOf(ins.args).rest.split(/\s+/) as [string, string];
      const source = join(src, from.replace(/^\/src\//, ''));
      const target = join(app, dest);
      if (basename(from) === 'node_modules') symlinkSync(join(REPO, 'node_modules'), target);
      else if (basename(from).includes('*')) {
        const re = new RegExp('^' + basename(from).replace(/\./g, '\\.').replace(/\*/g, '.*') + '$');
        mkdirSync(target, { recursive: true });
        for (const f of readdirSync(dirname(source)).filter((f) => re.test(f))) cpSync(join(dirname(source), f), join(target, f));
      } else cpSync(source, target, { recursive: true });
    }

    // `USER node` (uid 1000 in the Node images) owning /data, when this test may switch users.
    const asUser = process.getuid?.() === 0 ? { uid: 1000, gid: 1000 } : {};
    if ('uid' in asUser) chownSync(data, 1000, 1000);
    const env = { ...process.env, NODE_ENV: 'production', PIPEWRIGHT_DEBUG: '' };
    const inImage = (a: string) => a.replace(/^\/app(?=\/)/, app).replace(/^\/data(?=\/)/, data);
    const image = (args: string[]) =>
      run(entrypoint()[0]!, [...entrypoint().slice(1).map(inImage), ...args.map(inImage)], { cwd: app, env, ...asUser });

    // First-time set-up, as docs/registry.md has it: `docker run ... registry init` and a token.
    const dbInVolume = cmd()[cmd().indexOf('--db') + 1]!;
    expect((await image(['registry', 'init', '--db', dbInVolume])).stdout).toContain('created a registry database');
    const admin = (await image(['registry', 'token', 'create', '--db', dbInVolume, '--scope', 'admin', '--name', 'admin'])).stdout.trim();
    expect(admin).toMatch(/^pw_[0-9a-f]{12}_/);

    // The server: the image's exact ENTRYPOINT + CMD, but --port 0 (the port is read from its output).
    const argv = [...entrypoint(), ...cmd()].map(inImage);
    const port = argv.indexOf('--port') + 1;
    const imagePort = argv[port]!;
    argv[port] = '0';
    const server = spawn(argv[0]!, argv.slice(1), { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'], ...asUser });
    children.push(server);
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      server.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on http:\/\/0\.0\.0\.0:(\d+)/.exec(out);
        if (m) resolve(`http://127.0.0.1:${m[1]}`);
      });
      server.stderr.on('data', (d: Buffer) => (out += d.toString()));
      server.once('exit', (code) => reject(new Error(`the server exited ${code}: ${out}`)));
    });
    const realPort = new URL(url).port;

    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const templates = await fetch(`${url}/api/v1/templates`, { headers: { Authorization: `Bearer ${admin}` } });
    expect(templates.status).toBe(200);
    const css = await fetch(`${url}/static/catalog.css`); // the catalog's static files and views are in /app
    expect(css.status).toBe(200);
    const page = await fetch(`${url}/`);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('<html');
    expect(readdirSync(data)).toContain(basename(dbInVolume));

    // A backup into the volume while the server runs, as `docker exec` would make it.
    const backup = await image(['registry', 'backup', '--db', dbInVolume, '--to', '/data/backup.db']);
    expect(backup.stdout).toMatch(/^backed up \S+\/registry\.db to \S+\/backup\.db: \d+ pages/);

    // The exact HEALTHCHECK command (its port is the image's, here the one the server chose).
    const { argv: check } = healthcheck();
    const probe = () =>
      new Promise<number | null>((resolve) => {
        const c = spawn(
          check[0]!,
          check.slice(1).map((a) => a.replaceAll(`:${imagePort}/`, `:${realPort}/`)),
          { stdio: 'ignore', ...asUser },
        );
        children.push(c);
        c.once('exit', (code) => resolve(code));
      });
    expect(await probe()).toBe(0);

    // `docker stop` sends SIGTERM: the server drains and exits 143; then the check fails.
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(await probe()).toBe(1);
  }, 180_000);
});
