/**
 * Exporting a plan to other engines. Today: Argo Workflows (`pipewright export --target argo`).
 * The export reads only the plan (schemas/), so what runs on Argo is what pipewright compiled.
 */
import { yamlText } from './yaml-text.js';

export { exportArgo, DEFAULT_SECRET_NAME, type ArgoExport, type ArgoOptions } from './argo/workflow.js';
export type { ExportProblem } from './argo/problems.js';

/** A manifest as YAML text: keys in the order they were built, scripts as literal blocks, so the same plan gives the same bytes. */
export function manifestYaml(manifest: Record<string, unknown>): string {
  return yamlText(manifest);
}

export { yamlText };
