/**
 * The Docker backend: steps and services with an `image` run in containers, through the
 * docker CLI with argument arrays.
 *
 * Each stage gets one network namespace, held by a small container of the stage's first
 * image (no image the pipeline did not name is needed) and shared by every container of the
 * stage (`--network container:<holder>`), so a service is reachable on `localhost:<port>`
 * exactly as on the host; each step identifier resolves to it as a hostname. TCP and HTTP
 * probes run inside that namespace (`nsenter -n` into the holder, root only); exec probes
 * run inside the service's container. Containers run with `--init`. The workspace is mounted at `/harness`. Every
 * container carries `pipewright.run` and `pipewright.step` labels, which teardown and `gc`
 * use.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isExecuted, type ExecutedStep, type PlanStage, type PlanStep } from '../schemas/index.js';
import { StartError, type Backend, type Handle, type ProbeTarget, type StartSpec } from './backend.js';
import { handleOf, spawnLogged } from './spawn-step.js';
import { docker } from './docker-cli.js';
import { writesDroneOutput } from './outputs.js';
import { stepScript, writeScript } from './script-file.js';
import { processStartTime, stopGroup } from './process-group.js';

/** The compiled probe program (beside this module in dist/, or in dist/ when run from source). */
const HERE = dirname(fileURLToPath(import.meta.url));
const PROBE =
  [join(HERE, 'readiness', 'probe-cli.js'), join(HERE, '..', 'dist', 'runtime', 'readiness', 'probe-cli.js')].find((p) => existsSync(p)) ??
  join(HERE, 'readiness', 'probe-cli.js');
export const WORKSPACE_MOUNT = '/harness';
const OUTPUTS_MOUNT = '/pipewright/outputs';
const SCRIPT_MOUNT = '/pipewright/script';
const PROBE_VAR = 'PIPEWRIGHT_PROBE';

/** Variables the docker CLI reads itself: a step's value for them must not steer the CLI. */
function cliReads(name: string): boolean {
  return (
    name.startsWith('DOCKER_') ||
    ['PATH', 'HOME', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy'].includes(name)
  );
}

export interface DockerOptions {
  bin: string;
  runId: string;
  /** Network the stage namespace attaches to; `bridge` by default, `none` when the engine has no bridge. */
  network?: string;
  /** Runner identity, stamped on containers for `gc`. */
  runner: string;
  workspace: string;
  outputsDir: string;
}

interface Holder {
  name: string;
  pid: number;
}

const safe = (s: string) => s.replace(/[^a-zA-Z0-9_.-]/g, '_');

/** A resource quantity as written (a number or a string); anything else is none. */
const quantity = (v: unknown): string | undefined => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);

/** `500m` → 0.5, `2` → 2 (Kubernetes-style CPU quantities). */
function cpus(v: unknown): string | undefined {
  const s = quantity(v);
  if (s === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(s);
  if (!m) return undefined;
  return String(m[2] ? Number(m[1]) / 1000 : Number(m[1]));
}

/** `512Mi` → 512m, `2Gi` → 2g; docker takes b, k, m, g. */
function memory(v: unknown): string | undefined {
  const s = quantity(v);
  if (s === undefined) return undefined;
  const m = /^(\d+)\s*(Ki|Mi|Gi|K|M|G|k|m|g)?i?$/.exec(s);
  if (!m) return undefined;
  return m[1]! + (m[2] ? m[2][0]!.toLowerCase() : 'b');
}

export class DockerBackend implements Backend {
  readonly name = 'docker' as const;
  private readonly holders = new Map<string, Promise<Holder>>();
  private readonly pulled = new Map<string, Promise<void>>();
  private network: Promise<string> | undefined;
  private seq = 0;
  /** Latest container of each step, for exec probes. */
  private readonly containers = new Map<string, string>();

  constructor(
    private readonly opts: DockerOptions,
    private readonly stages: Map<string, { stage: PlanStage; steps: PlanStep[] }>,
  ) {}

  private labels(step: string): string[] {
    return [
      '--label',
      `pipewright.run=${this.opts.runId}`,
      '--label',
      `pipewright.step=${step}`,
      '--label',
      `pipewright.runner=${this.opts.runner}`,
    ];
  }

  private stageNetwork(): Promise<string> {
    return (this.network ??= (async () => {
      const wanted = this.opts.network ?? 'bridge';
      if (wanted === 'none') return wanted;
      const r = await docker(this.opts.bin, ['network', 'inspect', wanted]);
      if (r.code === 0) return wanted;
      if (this.opts.network) throw new StartError(`docker network ${wanted} does not exist`);
      return 'none';
    })());
  }

  /** Makes sure an image is there, following the step's imagePullPolicy (default IfNotPresent). */
  private ensureImage(image: string, policy: ExecutedStep['imagePullPolicy']): Promise<void> {
    const key = `${image}|${policy ?? 'IfNotPresent'}`;
    let p = this.pulled.get(key);
    if (!p) {
      p = (async () => {
        if (policy !== 'Always') {
          const present = (await docker(this.opts.bin, ['image', 'inspect', '--format', '{{.Id}}', image])).code === 0;
          if (present) return;
          if (policy === 'Never') throw new StartError(`image ${image} is not present and imagePullPolicy is Never`);
        }
        const r = await docker(this.opts.bin, ['pull', image], 600_000);
        if (r.code !== 0) throw new StartError(`cannot pull ${image}: ${r.stderr.trim().split('\n').pop()}`);
      })();
      this.pulled.set(key, p);
      p.catch(() => this.pulled.delete(key));
    }
    return p;
  }

  /** The stage's namespace holder, started once per stage. */
  private holder(stageId: string): Promise<Holder> {
    let h = this.holders.get(stageId);
    if (!h) {
      h = (async () => {
        const entry = this.stages.get(stageId);
        const first = entry?.steps.filter(isExecuted).find((s) => s.image);
        if (!entry || !first?.image) throw new StartError(`stage ${stageId} has no image for its network namespace`);
        const image = first.image;
        await this.ensureImage(image, first.imagePullPolicy);
        const network = await this.stageNetwork();
        const name = `pw-${this.opts.runId}-${safe(stageId)}-netns`;
        const hosts = [...new Set(entry.steps.map((s) => s.id.split('.').pop()!))].flatMap((h) => ['--add-host', `${h}:127.0.0.1`]);
        const r = await docker(this.opts.bin, [
          'run',
          '-d',
          '--name',
          name,
          ...this.labels(`${stageId}.__netns`),
          '--network',
          network,
          ...hosts,
          '--entrypoint',
          'sh',
          image,
          '-c',
          'trap "exit 0" TERM INT; while :; do sleep 3600 & wait; done',
        ]);
        if (r.code !== 0)
          throw new StartError(
            `cannot start the network namespace of stage ${stageId} from ${image} (it needs sh and sleep): ${r.stderr.trim()}`,
          );
        const pid = Number((await docker(this.opts.bin, ['inspect', '-f', '{{.State.Pid}}', name])).stdout.trim());
        return { name, pid };
      })();
      this.holders.set(stageId, h);
    }
    return h;
  }

  async start(spec: StartSpec): Promise<Handle> {
    const { step } = spec;
    if (!step.image) throw new StartError(`step ${step.id} has no image`);
    await this.ensureImage(step.image, step.imagePullPolicy);
    const holder = await this.holder(step.stage);
    const name = `pw-${this.opts.runId}-${safe(step.id)}-${++this.seq}`;
    this.containers.set(step.id, name);
    const env: Record<string, string> = {
      ...step.env,
      PIPEWRIGHT_RUN_ID: this.opts.runId,
      PIPEWRIGHT_STEP_ID: step.id,
      PIPEWRIGHT_WORKSPACE: WORKSPACE_MOUNT,
      HARNESS_WORKSPACE: WORKSPACE_MOUNT,
    };
    if (spec.outputsFile) env['PIPEWRIGHT_OUTPUTS'] = `${OUTPUTS_MOUNT}/${spec.outputsFile.split('/').pop()}`;
    if (spec.outputsFile && writesDroneOutput(step)) env['DRONE_OUTPUT'] = env['PIPEWRIGHT_OUTPUTS']!;
    // --init: a tiny init as PID 1 forwards SIGTERM, so processes without a handler stop at
    // once instead of waiting out the grace period (PID 1 ignores unhandled signals).
    // --rm: the CLI returns once the container is gone, so an ended step needs no cleanup call.
    // With runAsUser too: the init runs as that user and still forwards the signal (tested).
    const args = [
      'run',
      '--rm',
      '--init',
      '--name',
      name,
      ...this.labels(step.id),
      '--network',
      `container:${holder.name}`,
      '-v',
      `${this.opts.workspace}:${WORKSPACE_MOUNT}`,
      '-v',
      `${this.opts.outputsDir}:${OUTPUTS_MOUNT}`,
      '-w',
      WORKSPACE_MOUNT,
    ];
    // Values travel in the docker CLI's environment, never in its argv (`ps` shows argv to
    // every user). Names the CLI itself reads go through an env file instead.
    const cliEnv: Record<string, string> = { ...process.env } as Record<string, string>;
    const fileLines: string[] = [];
    for (const [k, v] of Object.entries(env)) {
      if (!cliReads(k)) {
        args.push('-e', k);
        cliEnv[k] = v;
      } else if (!v.includes('\n')) fileLines.push(`${k}=${v}`);
      // An env file holds one line per variable, and argv is readable by every user.
      else
        throw new StartError(
          `step ${step.id}: ${k} holds several lines, which cannot reach a container without showing in the docker CLI's argv`,
        );
    }
    const removals: (() => void)[] = [];
    if (fileLines.length) {
      removals.push(writeScript(`${spec.scriptFile}.env`, fileLines.join('\n') + '\n'));
      args.push('--env-file', `${spec.scriptFile}.env`);
    }
    if (step.privileged) args.push('--privileged');
    if (step.runAsUser) args.push('--user', step.runAsUser);
    const limits = (step.resources?.['limits'] ?? {}) as Record<string, unknown>;
    const mem = memory(limits['memory']);
    if (mem) args.push('--memory', mem);
    const cpu = cpus(limits['cpu']);
    if (cpu) args.push('--cpus', cpu);
    if (step.entrypoint?.length)
      args.push('--entrypoint', step.entrypoint[0]!, step.image, ...step.entrypoint.slice(1), ...(step.args ?? []));
    else if (step.command !== undefined) {
      // The script is a read-only file mount, run as `sh -e /pipewright/script.sh`.
      const script = stepScript(step, step.command);
      const hostPath = spec.scriptFile + script.ext;
      const inside = `${SCRIPT_MOUNT}${script.ext}`;
      removals.push(writeScript(hostPath, script.text, step.runAsUser));
      const argv = script.argv(inside);
      args.push('-v', `${hostPath}:${inside}:ro`, '--entrypoint', argv[0]!, step.image, ...argv.slice(1));
    } else args.push(step.image, ...(step.args ?? []));
    let spawned;
    try {
      spawned = await spawnLogged(this.opts.bin, args, { env: cliEnv }, spec.log, `step ${step.id}`);
    } catch (e) {
      for (const r of removals) r();
      throw e;
    }
    void spawned.exited.then(() => removals.forEach((r) => r()));
    const bin = this.opts.bin;
    let done = false;
    void spawned.exited.then(() => (done = true));
    return handleOf(spawned, async (graceMs) => {
      // With --rm an ended container is already gone; a running one is stopped, then removed.
      if (!done) {
        await docker(bin, ['stop', '-t', String(Math.max(0, Math.ceil(graceMs / 1000))), name], graceMs + 30_000);
        await docker(bin, ['rm', '-f', name]);
      }
      await stopGroup(spawned.pid, 1000);
    });
  }

  reach(target: ProbeTarget, spec: StartSpec, timeoutMs: number): Promise<boolean> {
    switch (target.kind) {
      case 'exec':
        return this.execInContainer(target.command, spec, timeoutMs);
      case 'tcp':
        return this.inNamespace(spec, ['tcp', target.host, target.ports.join(','), String(timeoutMs)], timeoutMs);
      case 'http':
        return this.inNamespace(spec, ['http', target.url, String(target.status), String(timeoutMs)], timeoutMs);
    }
  }

  /** An exec probe, run inside the step's latest container; true when it exits 0. */
  private async execInContainer(command: string, spec: StartSpec, timeoutMs: number): Promise<boolean> {
    const name = this.containers.get(spec.step.id) ?? '';
    // The command (it may hold a resolved secret) travels in the environment, not in argv.
    const r = await docker(this.opts.bin, ['exec', '-e', PROBE_VAR, name, 'sh', '-c', `eval "$${PROBE_VAR}"`], timeoutMs, {
      [PROBE_VAR]: command,
    });
    return r.code === 0;
  }

  /** A TCP or HTTP probe (probe-cli's arguments) run by this node inside the stage's network namespace. */
  private async inNamespace(spec: StartSpec, args: string[], timeoutMs: number): Promise<boolean> {
    const holder = await this.holder(spec.step.stage);
    return new Promise((resolve) => {
      // Arguments in the environment: a probe URL may hold a resolved secret.
      const c = spawn('nsenter', ['-t', String(holder.pid), '-n', process.execPath, PROBE], {
        stdio: 'ignore',
        env: { ...process.env, PIPEWRIGHT_PROBE_ARGS: JSON.stringify(args) },
      });
      const timer = setTimeout(() => c.kill('SIGKILL'), timeoutMs + 2000);
      c.once('error', () => resolve(false));
      c.once('close', (code) => {
        clearTimeout(timer);
        resolve(code === 0);
      });
    });
  }

  /** Removes the stage's namespace holder (after its containers are gone). */
  async endStage(stageId: string): Promise<void> {
    const h = this.holders.get(stageId);
    if (!h) return;
    this.holders.delete(stageId);
    const holder = await h.catch(() => undefined);
    if (holder) await docker(this.opts.bin, ['rm', '-f', holder.name]);
  }

  /** Removes every container of the run (the cleanup path and signals). */
  async removeAll(): Promise<void> {
    await removeContainers(this.opts.bin, [`label=pipewright.run=${this.opts.runId}`]);
    this.holders.clear();
  }
}

/** `docker rm -f` of every container matching the filters; returns their names. */
export async function removeContainers(bin: string, filters: string[]): Promise<string[]> {
  const ls = await docker(bin, ['ps', '-aq', ...filters.flatMap((f) => ['--filter', f])]);
  const ids = ls.stdout
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);
  if (ids.length) await docker(bin, ['rm', '-f', ...ids]);
  return ids;
}

/**
 * Removes containers of runs whose runner is gone (the `pipewright.runner` label holds the
 * runner's pid and start time, so a reused pid does not keep them alive).
 */
export async function gcContainers(bin: string): Promise<{ runId: string; containers: string[] }[]> {
  const ls = await docker(bin, [
    'ps',
    '-a',
    '--filter',
    'label=pipewright.run',
    '--format',
    '{{.ID}} {{.Label "pipewright.run"}} {{.Label "pipewright.runner"}}',
  ]);
  if (ls.code !== 0) return [];
  const byRun = new Map<string, { runner: string; ids: string[] }>();
  for (const line of ls.stdout.split('\n').filter(Boolean)) {
    const [id, run, runner] = line.split(' ') as [string, string, string | undefined];
    const e = byRun.get(run) ?? { runner: runner ?? '', ids: [] };
    e.ids.push(id);
    byRun.set(run, e);
  }
  const out: { runId: string; containers: string[] }[] = [];
  for (const [runId, e] of byRun) {
    const [pid, start] = e.runner.split(':').map(Number);
    if (pid && processStartTime(pid) === start) continue;
    await docker(bin, ['rm', '-f', ...e.ids]);
    out.push({ runId, containers: e.ids });
  }
  return out;
}
