/**
 * The registry's public API: the server side (database, store, app) and the client side
 * (HTTP template source and API client used by the CLI).
 */
export { openDatabase, migrate, integrityProblems, schemaVersionOf, type DB } from './db.js';
export { backupDatabase, BackupRefused, type BackupResult } from './backup.js';
export { Store, type NewVersion, type VersionRow, type TemplateSummary, type StoreEvent } from './store.js';
export type { StoreChange, StoreChangeSignal } from './store-changes.js';
export { createApp, type AppOptions } from './app.js';
export { startRegistry, type ServeOptions, type RunningRegistry } from './server.js';
export { createToken, verifyToken, principalOfTokenId, isScope, type Scope, type Principal } from './auth.js';
export { listTokens, revokeToken, parseExpiry, TOKEN_ID, type TokenInfo } from './tokens.js';
export { openApiDocument } from './openapi.js';
export { inputChanges, canonicalYaml, type InputChanges, type VersionDiff } from './diff.js';
export {
  RegistryClient,
  RegistryError,
  RegistrySource,
  isCalendarDate,
  type ClientOptions,
  type RegistrySourceOptions,
} from '../client/index.js';
export { ApiError } from './errors.js';
