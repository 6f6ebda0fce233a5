/**
 * The registry's client side: the HTTP API client and the template source over it, which
 * compiles, locks and audits use to fetch templates — without the server's express and
 * SQLite, so a command that only reads templates starts as fast as before the registry
 * existed. The server (`registry/`) shares its wire types and date rule from here.
 */
export { RegistryClient, RegistryError, type ClientOptions } from './registry-client.js';
export { RegistrySource, registryFile, type RegistrySourceOptions } from './registry-source.js';
export { isCalendarDate } from './dates.js';
export type { ResolveItem } from './resolve-item.js';
export { defaultAppearance, type DefaultChange } from './default-change.js';
