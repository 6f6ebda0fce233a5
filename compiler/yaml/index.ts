/**
 * The YAML front end: text in, plain values out, with where every mapping and sequence was
 * written. Small plain files go through the fast reader (`fast/`), which answers exactly as
 * the `yaml` library does (the version it was verified against is pinned: see
 * `YAML_VERIFIED_VERSION`); anything else goes through the library itself (`library.ts`).
 * The rest of the compiler imports this folder only through this file. It knows nothing of
 * Harness: what a format keeps verbatim is the caller's option.
 */
export { readYaml, readWithLibrary, type ReadOptions, type YamlDoc } from './read.js';
export { Positions, TextLines, type LineIndex, type NodePosition, type SourceText } from './positions.js';
export { DEFAULT_MAX_FILE_BYTES, MAX_ALIAS_NODES, MAX_NESTING } from './limits.js';
export { yamlLibrary } from './library.js';
export { YAML_VERIFIED_VERSION } from './fast/reader.js';
