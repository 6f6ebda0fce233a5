/**
 * Step output: every line goes, masked, to the step's log file and to the live console with
 * the step id in front (coloured only on a TTY); the last lines are kept for error messages;
 * listeners (the log readiness probe) see each line as it arrives.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Masker } from './secrets.js';

export interface Console {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

const COLOURS = [36, 33, 35, 32, 34, 31];

export class StepLog {
  readonly path: string;
  private readonly file: WriteStream;
  private readonly tail: string[] = [];
  private partial: { out: string; err: string } = { out: '', err: '' };
  private readonly listeners = new Set<(line: string) => void>();
  /** When the last line arrived (for "still running" notices). */
  lastOutput = Date.now();

  constructor(
    readonly stepId: string,
    dir: string,
    private readonly console: Console | undefined,
    private readonly masker: Masker,
    private readonly colour: number,
    private readonly keep = 50,
  ) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, `${stepId}.log`);
    this.file = createWriteStream(this.path, { flags: 'a' });
  }

  /** Feeds raw output of a stream; complete lines are emitted. */
  feed(chunk: Buffer | string, stream: 'out' | 'err' = 'out'): void {
    const text = this.partial[stream] + chunk.toString();
    const lines = text.split('\n');
    this.partial[stream] = lines.pop()!;
    for (const l of lines) this.line(l.replace(/\r$/, ''));
  }

  /** Writes one line (also used for the runner's own notes about the step). */
  line(raw: string): void {
    const line = this.masker.mask(raw);
    this.lastOutput = Date.now();
    this.file.write(line + '\n');
    this.tail.push(line);
    if (this.tail.length > this.keep) this.tail.shift();
    if (this.console) {
      const prefix = this.console.isTTY ? `\x1b[${COLOURS[this.colour % COLOURS.length]}m[${this.stepId}]\x1b[0m` : `[${this.stepId}]`;
      this.console.write(`${prefix} ${line}\n`);
    }
    for (const l of this.listeners) l(raw);
  }

  /** Registers a listener for raw (unmasked) lines; returns the lines seen so far. */
  listen(fn: (line: string) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** The last lines (masked). */
  lastLines(): string[] {
    return [...this.tail];
  }

  /** Flushes partial lines and closes the file. */
  close(): Promise<void> {
    for (const s of ['out', 'err'] as const) {
      if (this.partial[s]) {
        this.line(this.partial[s]);
        this.partial[s] = '';
      }
    }
    return new Promise((r) => this.file.end(r));
  }
}
