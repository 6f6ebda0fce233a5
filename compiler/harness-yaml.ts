/**
 * How the compiler reads Harness YAML: the `yaml/` reader with what Harness keeps verbatim,
 * and the positions table that the compiler's entry points use when their caller gives none.
 */
import type { DiagnosticBag } from './diagnostics.js';
import { Positions, readYaml as readDocuments, type ReadOptions, type YamlDoc } from './yaml/index.js';

/** Keys whose numeric-looking values are versions, kept exactly as written (`1.10`, not 1.1). */
export const HARNESS_VERBATIM_KEYS: ReadonlySet<string> = new Set(['versionLabel']);

/**
 * The table the compiler's entry points (compile, validate, the template sources, policy
 * reading) use when their caller passes none. Entries are hidden properties of the values
 * themselves, so one table for a process costs nothing and lets a template parsed by a source
 * be located by the compile that uses it. Modules below the entry points never import it:
 * they are handed the table of their compile.
 */
export const sourcePositions = new Positions();

/** Reads Harness YAML (`readYaml` of `yaml/` with `versionLabel` kept verbatim). */
export function readYaml(file: string, text: string, positions: Positions, bag: DiagnosticBag, options: ReadOptions = {}): YamlDoc[] {
  return readDocuments(file, text, positions, bag, { verbatimKeys: HARNESS_VERBATIM_KEYS, ...options });
}
