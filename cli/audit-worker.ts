/**
 * One audit worker thread: audits the files it was given and posts the report back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadPolicy, runAudit } from '../audit/index.js';
import { fleetSources, type FleetFlags } from './fleet-sources.js';

const data = workerData as {
  files: string[];
  policyFile: string;
  policyText: string;
  flags: FleetFlags & { strict?: boolean };
  cwd: string;
  env: NodeJS.ProcessEnv;
};
const sink = { write: () => true };
const { sourcesFor, locks } = fleetSources(data.flags, { stdout: sink, stderr: sink, cwd: data.cwd, env: data.env });
const report = await runAudit({
  paths: data.files,
  policy: loadPolicy(data.policyFile, data.policyText),
  sourcesFor,
  locks,
  baseDir: data.cwd,
  strict: !!data.flags.strict,
  onProgress: () => parentPort!.postMessage({ progress: 1 }),
});
parentPort!.postMessage({ report });
