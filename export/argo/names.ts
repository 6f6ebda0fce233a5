/**
 * Argo names from plan ids. Task and template names allow letters, digits and `-` (Argo's
 * `[a-zA-Z0-9][-a-zA-Z0-9]*`, at most 128), Kubernetes label values letters, digits, `-`,
 * `_` and `.` (at most 63, alphanumeric at both ends). Harness identifiers hold `_` and `$`:
 * those become `-`, and two ids that would meet get `-2`, `-3`, ... in plan order.
 */

/** A name Argo accepts for a task or a template. */
export function argoName(text: string): string {
  let s = text.replace(/[^a-zA-Z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  if (!/^[a-zA-Z0-9]/.test(s)) s = `x${s}`;
  return s.slice(0, 100);
}

/** Hands out unique names in one namespace (the templates of a workflow, the tasks of a DAG). */
export class NameSpace {
  private readonly used = new Set<string>();

  take(text: string): string {
    const base = argoName(text);
    let name = base;
    for (let n = 2; this.used.has(name.toLowerCase()); n++) name = `${base}-${n}`;
    this.used.add(name.toLowerCase());
    return name;
  }
}

/** A Kubernetes label value: at most 63 characters of `[a-zA-Z0-9._-]`, alphanumeric at both ends. */
export function labelValue(text: string): string {
  return text
    .replace(/[^a-zA-Z0-9._-]+/g, '_')
    .slice(0, 63)
    .replace(/^[^a-zA-Z0-9]+|[^a-zA-Z0-9]+$/g, '');
}
