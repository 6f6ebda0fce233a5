/**
 * `pipewright run`'s default workspace: a copy of the project (the git repository's tracked
 * and untracked-but-not-ignored files, or the pipeline's folder outside git), made inside the
 * run's folder; `--workspace DIR` runs in place. And a failing step's error is printed once.
 * Every test goes through the real CLI process on real temp folders and git repositories.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { listProject, shownPath, WorkspaceTooBig } from '../../runtime/workspace.js';
import { dockerAvailable, DOCKER, ensureTestImage, TEST_IMAGE } from '../support/docker-env.js';
import { BIN, freePort } from '../runtime/harness.js';
import { onePipeline, REPO, tempDir } from '../helpers.js';

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI with `args` in `cwd` and waits for it. */
function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Ran> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

/** A Run step list item with a literal block command. */
const runStep = (id: string, command: string, type = 'Run', extra = '') => `              - step:
                  type: ${type}
                  name: ${id}
                  identifier: ${id}
                  spec:
${extra}                    shell: Sh
                    command: |
${command
  .split('\n')
  .map((l) => `                      ${l}`)
  .join('\n')}
`;

function git(dir: string, ...args: string[]): void {
  const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'init.defaultBranch=main', ...args], {
    cwd: dir,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
}

/** How many times `needle` occurs in `text`. */
const count = (text: string, needle: string) => text.split(needle).length - 1;

/** The only run folder under `home/runs`. */
function onlyRun(home: string): string {
  const runs = readdirSync(join(home, 'runs'));
  expect(runs).toHaveLength(1);
  return join(home, 'runs', runs[0]!);
}

describe('run: the default workspace is a copy of the project', () => {
  test('in a git repository: tracked and untracked-not-ignored files, modes and symlinks; not ignored, deleted or the runs folder', async () => {
    const dir = tempDir(
      {
        'tracked.txt': 'tracked content\n',
        'sub/deep.txt': 'deep content\n',
        'tool.sh': '#!/bin/sh\necho tool ran\n',
        'gone.txt': 'deleted after the commit\n',
        '.gitignore': 'ignored.txt\nbuild/\n',
      },
      'pw-ws-git-',
    );
    chmodSync(join(dir, 'tool.sh'), 0o755);
    symlinkSync('tracked.txt', join(dir, 'link'));
    symlinkSync('/etc/hostname', join(dir, 'outside'));
    const away = tempDir({ 'secret.txt': 'outside the tree\n' }, 'pw-ws-away-');
    writeFileSync(join(dir, 'secret.txt'), 'committed, then its folder became a symlink\n');
    mkdirSync(join(dir, 'was-dir'));
    writeFileSync(join(dir, 'was-dir', 'secret.txt'), 'committed\n');
    git(dir, 'init', '-q');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'init');
    rmSync(join(dir, 'gone.txt'));
    // git still lists was-dir/secret.txt; reading it now would leave the tree.
    rmSync(join(dir, 'was-dir'), { recursive: true });
    symlinkSync(away, join(dir, 'was-dir'));
    writeFileSync(join(dir, 'untracked.txt'), 'untracked content\n');
    writeFileSync(join(dir, 'ignored.txt'), 'ignored content\n');
    mkdirSync(join(dir, 'build'));
    writeFileSync(join(dir, 'build', 'out.bin'), 'ignored build output\n');
    // The pipeline sits in a sub folder: the workspace is still the repository's root.
    mkdirSync(join(dir, 'ci'));
    writeFileSync(
      join(dir, 'ci', 'pipeline.yaml'),
      onePipeline(
        runStep(
          'look',
          [
            'cat tracked.txt sub/deep.txt untracked.txt',
            'test ! -e ignored.txt && echo no ignored file',
            'test ! -e build && echo no ignored folder',
            'test ! -e gone.txt && echo no deleted file',
            'test ! -e .pw && echo no runs folder',
            './tool.sh',
            'test -L link && echo "link -> $(readlink link): $(cat link)"',
            'test -L outside && echo "outside -> $(readlink outside)"',
            'test -f ci/pipeline.yaml && echo pipeline copied too',
          ].join('\n'),
        ),
      ),
    );
    const r = await cli(['run', 'ci/pipeline.yaml', '--home', '.pw'], dir);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const line of [
      'tracked content',
      'deep content',
      'untracked content',
      'no ignored file',
      'no ignored folder',
      'no deleted file',
      'no runs folder',
      'tool ran',
      'link -> tracked.txt: tracked content',
      'outside -> /etc/hostname',
      'pipeline copied too',
    ])
      expect(r.stdout).toContain(`[s.look] ${line}\n`);
    expect(r.stdout).not.toContain('ignored content');
    const ws = join(onlyRun(join(dir, '.pw')), 'workspace');
    expect(lstatSync(join(ws, 'was-dir')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(ws, 'was-dir'))).toBe(away);
    expect(lstatSync(join(ws, 'tool.sh')).mode & 0o777).toBe(0o755);
  });

  test('outside git: the pipeline folder, node_modules included, .git and .pipewright skipped', async () => {
    const dir = tempDir(
      {
        'data.txt': 'folder data\n',
        'node_modules/dep/index.js': 'module.exports = 42;\n',
        '.git/HEAD': 'not a repository\n',
        '.pipewright/old': 'x\n',
      },
      'pw-ws-dir-',
    );
    expect(spawnSync('git', ['rev-parse', '--show-toplevel'], { cwd: dir }).status).not.toBe(0);
    writeFileSync(
      join(dir, 'p.yaml'),
      onePipeline(
        runStep(
          'look',
          "cat data.txt\nnode -e \"console.log('dep is', require('dep'))\"\ntest ! -e .git && echo no .git\ntest ! -e .pipewright && echo no .pipewright\npwd",
        ),
      ),
    );
    const r = await cli(['run', 'p.yaml'], dir);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('[s.look] folder data\n');
    expect(r.stdout).toContain('[s.look] dep is 42\n');
    expect(r.stdout).toContain('[s.look] no .git\n');
    expect(r.stdout).toContain('[s.look] no .pipewright\n');
    const run = onlyRun(join(dir, '.pipewright'));
    expect(r.stdout).toContain(`[s.look] ${join(run, 'workspace')}\n`);
  });

  test('the default run leaves the project untouched; --workspace DIR runs in place', async () => {
    const dir = tempDir({ 'data.txt': 'original\n' }, 'pw-ws-place-');
    writeFileSync(join(dir, 'p.yaml'), onePipeline(runStep('write', 'cat data.txt\necho changed > data.txt\necho new > made-by-step')));
    const copied = await cli(['run', 'p.yaml', '--home', '.pw'], dir);
    expect(copied.code, copied.stdout + copied.stderr).toBe(0);
    expect(copied.stdout).toContain('[s.write] original\n');
    expect(readFileSync(join(dir, 'data.txt'), 'utf8')).toBe('original\n');
    expect(existsSync(join(dir, 'made-by-step'))).toBe(false);
    const ws = join(onlyRun(join(dir, '.pw')), 'workspace');
    expect(readFileSync(join(ws, 'data.txt'), 'utf8')).toBe('changed\n');
    expect(readFileSync(join(ws, 'made-by-step'), 'utf8')).toBe('new\n');

    mkdirSync(join(dir, 'place'));
    writeFileSync(join(dir, 'place', 'data.txt'), 'in place\n');
    const inPlace = await cli(['run', 'p.yaml', '--home', '.pw2', '--workspace', 'place'], dir);
    expect(inPlace.code, inPlace.stdout + inPlace.stderr).toBe(0);
    expect(inPlace.stdout).toContain('[s.write] in place\n');
    expect(readFileSync(join(dir, 'place', 'made-by-step'), 'utf8')).toBe('new\n');
    expect(readFileSync(join(dir, 'place', 'data.txt'), 'utf8')).toBe('changed\n');
    expect(readdirSync(join(dir, 'place')).sort()).toEqual(['data.txt', 'made-by-step']);
    expect(existsSync(join(onlyRun(join(dir, '.pw2')), 'workspace'))).toBe(false);
    expect(readFileSync(join(dir, 'data.txt'), 'utf8')).toBe('original\n');
  });

  test('a plan file: the project is the plan file’s folder', async () => {
    const dir = tempDir({ 'data.txt': 'next to the plan\n' }, 'pw-ws-plan-');
    writeFileSync(join(dir, 'p.yaml'), onePipeline(runStep('look', 'cat data.txt')));
    expect((await cli(['compile', 'p.yaml', '-o', 'plan.json'], dir)).code).toBe(0);
    const r = await cli(['run', 'plan.json', '--home', '.pw'], dir);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('[s.look] next to the plan\n');
  });

  test('gc prunes a run together with its workspace copy', async () => {
    const dir = tempDir({ 'data.txt': 'x\n' }, 'pw-ws-gc-');
    writeFileSync(join(dir, 'p.yaml'), onePipeline(runStep('a', 'echo hi')));
    expect((await cli(['run', 'p.yaml', '--home', '.pw', '--quiet'], dir)).code).toBe(0);
    const run = onlyRun(join(dir, '.pw'));
    expect(existsSync(join(run, 'workspace', 'data.txt'))).toBe(true);
    const gc = await cli(['gc', '--home', '.pw', '--keep', '0', '--json'], dir);
    expect(gc.code, gc.stderr).toBe(0);
    expect((JSON.parse(gc.stdout) as { pruned: string[] }).pruned).toHaveLength(1);
    expect(existsSync(run)).toBe(false);
  });

  test('a project over the size limit is refused with a hint to run in place', () => {
    const dir = tempDir({ 'a.txt': 'aaaa', 'b/c.txt': 'cccc', 'b/d.txt': 'dddd' }, 'pw-ws-big-');
    expect(listProject(dir, { maxFiles: 10, maxBytes: 1000 }).files).toHaveLength(3);
    expect(() => listProject(dir, { maxFiles: 2, maxBytes: 1000 })).toThrow(WorkspaceTooBig);
    expect(() => listProject(dir, { maxFiles: 10, maxBytes: 6 })).toThrow(/--workspace \./);
  });

  test('the example pipeline runs green as the README says', async () => {
    const home = tempDir({}, 'pw-ws-example-');
    const r = await cli(['run', 'examples/pipeline.yaml', '-t', 'examples/templates', '--home', home], REPO);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/the call answered/);
  }, 60_000);
});

describe('run: symlinks and names the copy must not betray', () => {
  test('a symlink to a file of the project points into the copy, so writing through it leaves the project alone', async () => {
    const dir = tempDir(
      { 't1.txt': 'one\n', 't2.txt': 'two\n', 't3.txt': 'three\n', 't4.txt': 'four\n', 't5.txt': 'five\n', 'sub/keep.txt': 'k\n' },
      'pw-ws-links-',
    );
    const alias = join(tempDir({}, 'pw-ws-alias-'), 'alias');
    symlinkSync(dir, alias);
    symlinkSync(join(dir, 't1.txt'), join(dir, 'abs-link'));
    symlinkSync(join(dir, 't2.txt'), join(dir, 'sub', 'abs-up'));
    symlinkSync(`../${basename(dir)}/t3.txt`, join(dir, 'climb-in'));
    symlinkSync(join(alias, 't4.txt'), join(dir, 'via-alias'));
    symlinkSync(dir, join(dir, 'root-link'));
    symlinkSync('/etc/hostname', join(dir, 'outside'));
    symlinkSync('../../etc', join(dir, 'dotdot'));
    // From the copy (4 folders below the project: .pw/runs/<id>/workspace) this text reaches the project's t5.txt.
    symlinkSync('../../../../t5.txt', join(dir, 'climb-far'));
    git(dir, 'init', '-q');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'init');
    const write = ['abs-link', 'sub/abs-up', 'climb-in', 'via-alias', 'root-link/t5.txt']
      .map((l) => `echo CLOBBERED > ${l} || echo cannot write ${l}`)
      .join('\n');
    writeFileSync(join(dir, 'p.yaml'), onePipeline(runStep('write', `${write}\ncat abs-link`)));
    const r = await cli(['run', 'p.yaml', '--home', '.pw'], dir);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const [f, text] of [
      ['t1.txt', 'one\n'],
      ['t2.txt', 'two\n'],
      ['t3.txt', 'three\n'],
      ['t4.txt', 'four\n'],
      ['t5.txt', 'five\n'],
    ])
      expect(readFileSync(join(dir, f!), 'utf8'), f).toBe(text);
    expect(r.stdout).not.toContain('cannot write');
    expect(r.stdout).toContain('[s.write] CLOBBERED\n');
    const ws = join(onlyRun(join(dir, '.pw')), 'workspace');
    for (const f of ['t1.txt', 't2.txt', 't3.txt', 't4.txt', 't5.txt']) expect(readFileSync(join(ws, f), 'utf8'), f).toBe('CLOBBERED\n');
    const links = Object.fromEntries(
      ['abs-link', 'sub/abs-up', 'climb-in', 'via-alias', 'root-link', 'outside', 'dotdot', 'climb-far'].map((l) => [
        l,
        readlinkSync(join(ws, l)),
      ]),
    );
    expect(links).toEqual({
      'abs-link': 't1.txt',
      'sub/abs-up': '../t2.txt',
      'climb-in': 't3.txt',
      'via-alias': 't4.txt',
      'root-link': '.',
      outside: '/etc/hostname',
      dotdot: '../../etc',
      // It meant /t5.txt, outside the project: so it still does, absolutely.
      'climb-far': '/t5.txt',
    });
  });

  const odd = (...parts: (string | number[])[]) =>
    Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

  /** A project holding names that are not UTF-8: a file, a folder's file, a symlink to the first. */
  function oddProject(prefix: string): { dir: string; file: Buffer; inDir: Buffer; link: Buffer } {
    const dir = tempDir({}, prefix);
    const file = odd('bad', [0xff, 0xfe], '.txt');
    const folder = odd('d', [0xe9]);
    const inDir = Buffer.concat([folder, Buffer.from('/x.txt')]);
    const link = odd('ln', [0xff]);
    writeFileSync(Buffer.concat([Buffer.from(`${dir}/`), file]), 'odd name\n');
    mkdirSync(Buffer.concat([Buffer.from(`${dir}/`), folder]));
    writeFileSync(Buffer.concat([Buffer.from(`${dir}/`), inDir]), 'odd folder\n');
    symlinkSync(file, Buffer.concat([Buffer.from(`${dir}/`), link]));
    writeFileSync(join(dir, 'p.yaml'), onePipeline(runStep('look', 'cat bad*.txt d*/x.txt ln*')));
    return { dir, file, inDir, link };
  }

  test('messages show a name that is not UTF-8 with its odd bytes escaped', () => {
    expect(shownPath(odd('bad', [0xff, 0xfe], '-é.txt').toString('latin1'))).toBe('bad\\xff\\xfe-é.txt');
    expect(shownPath(odd('cut', [0xe2, 0x82]).toString('latin1'))).toBe('cut\\xe2\\x82');
  });

  for (const inGit of [true, false])
    test(`names that are not UTF-8 are copied byte for byte (${inGit ? 'git' : 'outside git'})`, async () => {
      const { dir, file, inDir, link } = oddProject(inGit ? 'pw-ws-oddgit-' : 'pw-ws-odd-');
      if (inGit) {
        git(dir, 'init', '-q');
        git(dir, 'add', '-A');
        git(dir, 'commit', '-qm', 'init');
      }
      const r = await cli(['run', 'p.yaml', '--home', '.pw'], dir);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const ws = join(onlyRun(join(dir, '.pw')), 'workspace');
      const at = (name: Buffer) => Buffer.concat([Buffer.from(`${ws}/`), name]);
      expect(readdirSync(ws, { encoding: 'buffer' }).map((n) => n.toString('hex'))).toContain(file.toString('hex'));
      expect(readFileSync(at(file), 'utf8')).toBe('odd name\n');
      expect(readFileSync(at(inDir), 'utf8')).toBe('odd folder\n');
      expect(readlinkSync(at(link), { encoding: 'buffer' }).equals(file)).toBe(true);
      expect(r.stdout).toContain('[s.look] odd name\n[s.look] odd folder\n[s.look] odd name\n');
    });
});

describe('run: --workspace and --home must be usable folders', () => {
  test('a --workspace that does not exist or is a file, a --home that is a file: exit 2, nothing created', async () => {
    const dir = tempDir({ 'a-file': 'x\n' }, 'pw-ws-flags-');
    writeFileSync(join(dir, 'p.yaml'), onePipeline(runStep('a', 'echo ran')));
    const typo = await cli(['run', 'p.yaml', '--home', '.pw', '--workspace', 'typo'], dir);
    expect(typo.code, typo.stdout + typo.stderr).toBe(2);
    expect(typo.stderr).toContain('--workspace typo: no such folder');
    expect(existsSync(join(dir, 'typo'))).toBe(false);
    const file = await cli(['run', 'p.yaml', '--home', '.pw', '--workspace', 'a-file'], dir);
    expect(file.code, file.stdout + file.stderr).toBe(2);
    expect(file.stderr).toContain('--workspace a-file: not a folder');
    for (const home of ['a-file', 'a-file/sub']) {
      const r = await cli(['run', 'p.yaml', '--home', home], dir);
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toContain(`--home ${home}: not a folder`);
    }
    expect(readdirSync(dir).sort()).toEqual(['a-file', 'p.yaml']);
    expect(readFileSync(join(dir, 'a-file'), 'utf8')).toBe('x\n');
  });
});

describe('run: a failing step’s error is printed once', () => {
  test('a Run step: its output and its error appear once', async () => {
    const dir = tempDir({}, 'pw-ws-fail-');
    writeFileSync(join(dir, 'p.yaml'), onePipeline(runStep('a', 'echo boom; exit 3')));
    for (const quiet of [[], ['--quiet']]) {
      const r = await cli(['run', 'p.yaml', '--home', '.pw', ...quiet], dir);
      const out = r.stdout + r.stderr;
      expect(r.code, out).toBe(1);
      expect(count(out, 'exited with code 3'), out).toBe(1);
      expect(count(out, 'boom'), out).toBe(quiet.length ? 0 : 1);
    }
  });

  test('a service that exits before it is ready: its error and its last lines appear once', async () => {
    const dir = tempDir({}, 'pw-ws-svc-');
    const port = await freePort();
    writeFileSync(
      join(dir, 'p.yaml'),
      onePipeline(
        runStep(
          'svc',
          'echo boom-svc; exit 3',
          'Background',
          `                    readiness: {tcp: {port: ${port}}, timeout: 10s, interval: 50ms}\n`,
        ),
      ),
    );
    for (const quiet of [[], ['--quiet']]) {
      const r = await cli(['run', 'p.yaml', '--home', '.pw', ...quiet], dir);
      const out = r.stdout + r.stderr;
      expect(r.code, out).toBe(1);
      expect(count(out, 'exited (code 3) before it was ready'), out).toBe(1);
      expect(count(out, 'boom-svc'), out).toBe(1);
    }
  });
});

describe.skipIf(!dockerAvailable())('run: the workspace copy in Docker', () => {
  test('a step with an image sees the copy at /harness and writes to it, not to the project', async () => {
    ensureTestImage();
    const dir = tempDir({ 'data.txt': 'from the project\n' }, 'pw-ws-dock-');
    writeFileSync(
      join(dir, 'p.yaml'),
      onePipeline(runStep('look', 'cat data.txt; echo made > made-in-container', 'Run', `                    image: ${TEST_IMAGE}\n`)),
    );
    const r = await cli(['run', 'p.yaml', '--home', '.pw', '--backend', 'docker', '--docker-network', 'none'], dir, {
      ...process.env,
      PIPEWRIGHT_DOCKER: DOCKER,
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('[s.look] from the project\n');
    expect(existsSync(join(dir, 'made-in-container'))).toBe(false);
    expect(readFileSync(join(onlyRun(join(dir, '.pw')), 'workspace', 'made-in-container'), 'utf8')).toBe('made\n');
  }, 60_000);
});
