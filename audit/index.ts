/**
 * The audit's public API: policies, evaluation of plans, the fleet audit and its formats.
 */
export { loadPolicy, PolicyError, type Policy, type Rule } from './policy.js';
export { evaluatePlan, versionStatus, type Violation, type PlanFacts, type VersionStatus } from './evaluate.js';
export {
  runAudit,
  findPipelines,
  mergeAudits,
  driftOf,
  type AuditReport,
  type AuditOptions,
  type FoundPipelines,
  type InventoryEntry,
  type PipelineResult,
} from './audit.js';
export { formatReport, FORMATS, type Format } from './formats.js';
export { runImpact, diffPlans, formatImpact, CandidateSource, type ImpactReport, type ImpactEntry, type ImpactOptions } from './impact.js';
export { excludeGlobs, listFleetFiles, SKIPPED_FOLDERS, type Excluded } from './fleet-files.js';
