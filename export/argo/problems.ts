/**
 * What an export says about a plan it cannot carry over faithfully: an error (nothing is
 * exported: a workflow that behaves differently from the plan is worse than none) or a
 * warning (exported, but the user should look), located at the plan step's origin.
 */
import type { Origin } from '../../schemas/index.js';

export interface ExportProblem {
  /** PW7001: cannot be exported as the plan says; PW7002: exported, but will likely not work there. */
  code: 'PW7001' | 'PW7002';
  severity: 'error' | 'warning';
  message: string;
  file: string;
  line: number;
  column: number;
}

/** Collects problems, each once. */
export class Problems {
  readonly items: ExportProblem[] = [];
  private readonly seen = new Set<string>();

  error(message: string, at: Origin | undefined): void {
    this.add('error', message, at);
  }

  warn(message: string, at: Origin | undefined): void {
    this.add('warning', message, at);
  }

  /** In file, line and column order. */
  sorted(): ExportProblem[] {
    return [...this.items].sort((a, b) => (a.file === b.file ? a.line - b.line || a.column - b.column : a.file < b.file ? -1 : 1));
  }

  get hasErrors(): boolean {
    return this.items.some((p) => p.severity === 'error');
  }

  private add(severity: ExportProblem['severity'], message: string, at: Origin | undefined): void {
    const p: ExportProblem = {
      code: severity === 'error' ? 'PW7001' : 'PW7002',
      severity,
      message,
      file: at?.file ?? '',
      line: at?.line ?? 1,
      column: at?.column ?? 1,
    };
    const key = `${p.file}:${p.line}:${p.column}:${severity}:${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.items.push(p);
  }
}
