/**
 * The runtime's public API. It reads plans (`schemas/plan.ts`); it never imports the compiler.
 */
export { Runner, newRunId, type RunOptions } from './run.js';
export { HostBackend } from './host-backend.js';
export { shellScript, type ShellScript } from './script-file.js';
export { markedProcesses, stopProcesses, type Escapee, type MarkedProcess } from './escaped.js';
export { StartError, type Backend, type Exit, type Handle, type ProbeTarget, type StartSpec } from './backend.js';
export { gcRuns, type GcResult } from './state.js';
export { pruneRuns, type PruneOptions } from './prune.js';
export { summaryTable, type RunReport, type StepResult, type StageResult, type StepStatus } from './report.js';
export { readSecretsFile, envSecrets, Masker, MASK } from './secrets.js';
export { evaluateCondition, ConditionError } from '../schemas/index.js';
export { processStartTime, groupAlive } from './process-group.js';
export { DockerBackend, gcContainers, removeContainers } from './docker-backend.js';
export { dockerBinary, engineAvailable } from './docker-cli.js';
export { copyProject, humanSize, listProject, WorkspaceError, type Project } from './workspace.js';
