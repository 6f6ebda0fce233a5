/**
 * The compiler's public API. Other parts import from here only.
 */
export { compile, displayPath, type CompileOptions, type CompileResult } from './compile.js';
export { validateFiles, type ValidateOptions, type ValidateResult, type ValidatedTemplate } from './validate.js';
export { explainPlan } from './plan/explain.js';
export { formatPlan, planDigest } from './plan/plan.js';
export { canonicalJson, canonicalPretty, digestOf, sha256, sortKeys } from './plan/canonical.js';
export { Codes, formatDiagnostic, sortDiagnostics, type Diagnostic, type Severity, type Location } from './diagnostics.js';
export { printable } from './printable.js';
export { DirectorySource, listYamlFiles } from './sources/directory-source.js';
export {
  parseRef,
  TEMPLATE_TYPES,
  templateTypeOf,
  unknownTemplateType,
  refOfTemplate,
  resolveInOrder,
  type ResolveOutcome,
  type ResolveRequest,
  type ResolvedTemplate,
  type TemplateSource,
  type TemplateType,
} from './sources/source.js';
export { selectVersion, highestStable, sortVersions, selectorText, type VersionInfo, type SelectResult } from './sources/versions.js';
export { parseDuration } from './expressions/duration.js';
export { readYaml, sourcePositions, HARNESS_VERBATIM_KEYS } from './harness-yaml.js';
export { Positions, YAML_VERIFIED_VERSION, type SourceText } from './yaml/index.js';
export { checkSchema } from './checks/schema-check.js';
export { compileInIsolation, OPAQUE_TEMPLATE_TYPES, type IsolationOptions, type IsolationResult } from './checks/isolation.js';
export { CandidateSource } from './sources/candidate-source.js';
export { ContentCache, defaultCacheDir } from './sources/content-cache.js';
export {
  LockfileError,
  LockfileReader,
  readLockfile,
  updateLockfile,
  writeLockfile,
  formatLockfile,
  mergeLock,
  lockPathFor,
  lockKey,
  LOCKFILE_NAME,
  type Lockfile,
  type LockEntry,
  type UpdateOptions,
} from './sources/lockfile.js';
export { LockedSource, verifiedTemplate } from './sources/locked-source.js';
export { DiagnosticBag } from './diagnostics.js';
export { yamlLibrary } from './yaml/library.js';
export { type InputDecl, checkDeclaredDefaults } from './inputs/inputs.js';
export { checkRuntimeInputDefaults } from './inputs/pipeline-inputs.js';
