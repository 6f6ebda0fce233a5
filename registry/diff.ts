/**
 * Comparing two versions: a unified diff of their canonical content (as sorted YAML, the
 * readable form of the canonical JSON) and a summary of input changes.
 */
import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import { sortKeys } from '../compiler/index.js';
import type { InputDecl } from '../compiler/inputs.js';
import type { VersionRow } from './store.js';

export interface InputChanges {
  added: string[];
  removed: string[];
  retyped: { name: string; from: string; to: string }[];
  defaultChanged: { name: string; from: unknown; to: unknown }[];
  /** Inputs that became required (no default any more). */
  nowRequired: string[];
}

export interface VersionDiff {
  ref: string;
  from: string;
  to: string;
  patch: string;
  inputs: InputChanges;
}

/** Canonical content as sorted YAML text. */
export function canonicalYaml(canonical: string): string {
  return stringify(sortKeys(JSON.parse(canonical)), { lineWidth: 0 });
}

export function diffVersions(a: VersionRow, b: VersionRow): VersionDiff {
  const patch = createTwoFilesPatch(`${a.ref}@${a.version}`, `${b.ref}@${b.version}`, canonicalYaml(a.canonical), canonicalYaml(b.canonical), a.digest, b.digest);
  return { ref: a.ref, from: a.version, to: b.version, patch, inputs: inputChanges(JSON.parse(a.inputs), JSON.parse(b.inputs)) };
}

export function inputChanges(before: Record<string, InputDecl>, after: Record<string, InputDecl>): InputChanges {
  const out: InputChanges = { added: [], removed: [], retyped: [], defaultChanged: [], nowRequired: [] };
  for (const name of Object.keys(after).sort()) {
    const b = before[name];
    const a = after[name]!;
    if (!b) {
      out.added.push(name);
      if (a.default === undefined) out.nowRequired.push(name);
      continue;
    }
    if (b.type !== a.type) out.retyped.push({ name, from: b.type, to: a.type });
    if (JSON.stringify(b.default) !== JSON.stringify(a.default)) out.defaultChanged.push({ name, from: b.default, to: a.default });
    if (b.default !== undefined && a.default === undefined) out.nowRequired.push(name);
  }
  for (const name of Object.keys(before).sort()) if (!(name in after)) out.removed.push(name);
  return out;
}
