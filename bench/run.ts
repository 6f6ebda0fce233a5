/**
 * `npm run bench -- NAME [args]`: runs one benchmark. Benchmarks are not part of `npm test`;
 * each compares against a baseline measured in the same run and reports medians and ratios.
 */
import { benchCompile } from './compile.js';
import { benchRegistry } from './registry.js';
import { benchRuntime } from './runtime.js';
import { benchDocker } from './docker.js';
import { benchAudit } from './audit.js';
import { benchCatalog } from './catalog.js';
import { benchExport } from './export.js';

/** A benchmark prints its figures; it may run synchronously (compile runs its sizes in child processes). */
const benches: Record<string, (args: string[]) => void | Promise<void>> = {
  compile: benchCompile,
  registry: benchRegistry,
  runtime: benchRuntime,
  docker: benchDocker,
  audit: benchAudit,
  catalog: benchCatalog,
  export: benchExport,
};

const [name, ...args] = process.argv.slice(2);
const bench = name ? benches[name] : undefined;
if (!bench) {
  console.error(`usage: npm run bench -- <${Object.keys(benches).join('|')}> [args]`);
  process.exit(2);
}
await bench(args);
