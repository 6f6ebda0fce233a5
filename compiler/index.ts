/**
 * The compiler's public API. Other parts import from here only.
 */
export { compile, displayPath, type CompileOptions, type CompileResult } from './compile.js';
export { validateFiles, type ValidateResult } from './validate.js';
export { explainPlan } from './explain.js';
export { formatPlan, planDigest } from './plan.js';
export { canonicalJson, canonicalPretty, digestOf, sha256, sortKeys } from './canonical.js';
export { Codes, formatDiagnostic, sortDiagnostics, type Diagnostic, type Severity, type Location } from './diagnostics.js';
export { printable } from './printable.js';
export { DirectorySource, listYamlFiles } from './directory-source.js';
export {
  parseRef,
  refOfTemplate,
  resolveInOrder,
  type ResolveOutcome,
  type ResolveRequest,
  type ResolvedTemplate,
  type TemplateSource,
  type TemplateType,
} from './source.js';
export { selectVersion, highestStable, sortVersions, selectorText, type VersionInfo, type SelectResult } from './versions.js';
export { parseDuration } from './duration.js';
export { readYaml, sourcePositions } from './yaml-reader.js';
export { checkSchema } from './schema-check.js';
export { ContentCache, defaultCacheDir } from './content-cache.js';
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
} from './lockfile.js';
export { LockedSource, verifiedTemplate } from './locked-source.js';
export { DiagnosticBag } from './diagnostics.js';
export { yamlLibrary } from './yaml-library.js';
export { type InputDecl, checkDeclaredDefaults } from './inputs.js';
export { checkRuntimeInputDefaults } from './pipeline-inputs.js';
