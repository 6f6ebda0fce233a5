/**
 * An in-memory backend for scheduler tests: each step's "process" follows a script on the
 * (fake) clock — when it exits and how, when its probe target answers, what it writes — and
 * every start, probe, stop, exit and release is recorded with its time. Everything else of a
 * run (the Runner, the stage's scheduler, readiness, failure strategies, logs) is the real code.
 */
import { vi } from 'vitest';
import { StartError, type Backend, type Handle, type ProbeTarget, type StartSpec } from '../../runtime/index.js';
import type { Plan } from '../../schemas/index.js';
import { Runner, type RunOptions, type RunReport } from '../../runtime/index.js';
import { tempDir } from '../helpers.js';
import { join } from 'node:path';

/** What one attempt of a step does (times in ms after its start, on the fake clock). */
export interface Script {
  /** Exits on its own after `afterMs` with `code` (default 0); omitted: runs until stopped. */
  exit?: { afterMs: number; code?: number };
  /** Ignores SIGTERM: exits only with SIGKILL, at the end of the grace period. */
  ignoresTerm?: boolean;
  /** Its probe targets answer from this time on; omitted: never. */
  readyAfterMs?: number;
  /** Lines of output, each at its time. */
  lines?: [atMs: number, line: string][];
  /** The backend cannot start it (StartError). */
  startError?: string;
}

/** One recorded event: `start`, `probe`, `stop`, `exit`, `release`, with the step id and the fake time. */
export interface FakeEvent {
  at: number;
  what: 'start' | 'probe' | 'stop' | 'exit' | 'release';
  step: string;
  /** exit: the code or signal; probe: the target's kind and whether it answered. */
  detail?: string;
}

/** Scripts by step id (`s.a`); a function gets the attempt number (1, 2, ...). */
export type Scripts = Record<string, Script | ((attempt: number) => Script)>;

const PGID_BASE = 2_000_000_000; // above any pid_max: signalling one reaches no process

export class FakeBackend implements Backend {
  readonly name = 'host' as const;
  readonly events: FakeEvent[] = [];
  /** Probe targets asked for, by step id. */
  readonly targets = new Map<string, ProbeTarget[]>();
  private readonly attempts = new Map<string, number>();
  private readonly readyAt = new Map<string, number>();
  private readonly waiters: { match: (e: FakeEvent) => boolean; resolve: () => void }[] = [];
  private readonly t0 = Date.now();
  private seq = 0;

  constructor(private readonly scripts: Scripts = {}) {}

  /** Fake milliseconds since the backend was made. */
  now(): number {
    return Date.now() - this.t0;
  }

  /** `what step` of every event, in order (`start s.a`, `exit s.a 0`, ...). */
  get trace(): string[] {
    return this.events.map((e) => [e.what, e.step, e.detail].filter((x) => x !== undefined).join(' '));
  }

  /** The times of one kind of event for a step. */
  times(what: FakeEvent['what'], step: string): number[] {
    return this.events.filter((e) => e.what === what && e.step === step).map((e) => e.at);
  }

  /** Resolves at the first event `what` of `step` (at once if it happened). */
  when(what: FakeEvent['what'], step: string): Promise<void> {
    const match = (e: FakeEvent) => e.what === what && e.step === step;
    if (this.events.some(match)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  private record(what: FakeEvent['what'], step: string, detail?: string): void {
    const e: FakeEvent = { at: this.now(), what, step, ...(detail !== undefined ? { detail } : {}) };
    this.events.push(e);
    for (const w of [...this.waiters])
      if (w.match(e)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve();
      }
  }

  start(spec: StartSpec): Promise<Handle> {
    const id = spec.step.id;
    const attempt = (this.attempts.get(id) ?? 0) + 1;
    this.attempts.set(id, attempt);
    const entry = this.scripts[id];
    const script = (typeof entry === 'function' ? entry(attempt) : entry) ?? { exit: { afterMs: 0 } };
    if (script.startError !== undefined) return Promise.reject(new StartError(script.startError));
    this.record('start', id);
    const timers: NodeJS.Timeout[] = [];
    let settle: (e: { code: number | null; signal: string | null }) => void = () => undefined;
    let done = false;
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => (settle = resolve));
    const end = (code: number | null, signal: string | null) => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      this.record('exit', id, signal ?? String(code));
      settle({ code, signal });
    };
    if (script.exit) timers.push(setTimeout(() => end(script.exit!.code ?? 0, null), script.exit.afterMs));
    for (const [at, line] of script.lines ?? []) timers.push(setTimeout(() => spec.log.line(line), at));
    this.readyAt.set(id, script.readyAfterMs === undefined ? Infinity : this.now() + script.readyAfterMs);
    const pgid = PGID_BASE + ++this.seq;
    return Promise.resolve({
      pid: pgid,
      pgid,
      exited,
      stop: async (graceMs: number) => {
        this.record('stop', id);
        if (!done) {
          if (script.ignoresTerm) timers.push(setTimeout(() => end(null, 'SIGKILL'), graceMs));
          else end(null, 'SIGTERM');
        }
        await exited;
      },
      release: () => {
        this.record('release', id);
        return Promise.resolve([]);
      },
    });
  }

  reach(target: ProbeTarget, spec: StartSpec): Promise<boolean> {
    const id = spec.step.id;
    this.targets.set(id, [...(this.targets.get(id) ?? []), target]);
    const ok = this.now() >= (this.readyAt.get(id) ?? Infinity);
    this.record('probe', id, `${target.kind} ${ok ? 'ready' : 'not ready'}`);
    return Promise.resolve(ok);
  }
}

/** The real setImmediate, captured before any test fakes it. */
const realSetImmediate = setImmediate;

/** True while this process waits on file system work (the run's logs, state and report). */
const fileWorkPending = () => process.getActiveResourcesInfo().some((r) => r.startsWith('FSReq'));

/**
 * Runs `plan` with the fake backend on fake timers (the caller has called
 * `vi.useFakeTimers()`): the run's file writes (logs, state, report) finish first, then the
 * clock jumps to the next timer, until the run is over. No timer fires while the run still
 * waits on a file, so times on the fake clock are exact.
 */
export async function runFake(plan: Plan, backend: FakeBackend, opts: RunOptions = {}): Promise<{ report: RunReport; out: string }> {
  const dir = tempDir({}, 'pw-fake-');
  let out = '';
  const runner = new Runner(plan, {
    home: join(dir, '.pipewright'),
    workspace: dir,
    graceMs: 2000,
    console: { write: (s: string) => (out += s) },
    backend: () => backend,
    ...opts,
  });
  let done = false;
  const run = runner.run().finally(() => (done = true));
  while (!done) {
    await new Promise((r) => realSetImmediate(r));
    if (!done && !fileWorkPending()) await vi.advanceTimersToNextTimerAsync();
  }
  return { report: await run, out };
}
