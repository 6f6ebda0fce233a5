/**
 * The `yaml` library, loaded on first use. Most files never need it — the fast reader
 * (`yaml-fast.ts`) reads them — and loading it costs about 25 ms of every CLI start.
 */
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

const require = createRequire(import.meta.url);
let library: typeof Yaml | undefined;

export function yamlLibrary(): typeof Yaml {
  return (library ??= require('yaml') as typeof Yaml);
}
