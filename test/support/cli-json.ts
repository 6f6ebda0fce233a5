/**
 * The JSON documents the CLI prints (`--json`, `--format json`), as tests read them back. The
 * audit and impact reports are the audit's own types (`AuditReport`, `ImpactReport`).
 */
import type { Diagnostic } from '../../compiler/index.js';
import type { Plan } from '../../schemas/index.js';

/** `pipewright compile --json`. */
export interface CompileJson {
  ok: boolean;
  diagnostics: Diagnostic[];
  plans: Plan[];
}

/** `pipewright validate --json`. */
export interface ValidateJson {
  ok: boolean;
  files: { file: string; kinds: string[] }[];
  diagnostics: Diagnostic[];
}
