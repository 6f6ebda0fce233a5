/**
 * `export PIPELINE|PLAN --target argo`: the plan as an Argo Workflow (or WorkflowTemplate),
 * YAML on stdout or in a file. A pipeline is compiled first, with the options `run` takes.
 */
import type { Command } from 'commander';
import { formatDiagnostic } from '../compiler/index.js';
import { exportArgo, manifestYaml, DEFAULT_SECRET_NAME } from '../export/index.js';
import { Exit, ExitError, writeOutput, type CliIO } from './io.js';
import { planFor } from './run-commands.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

interface ExportFlags {
  target?: string;
  output?: string;
  kind: string;
  namespace?: string;
  serviceAccount?: string;
  generateName?: string;
  imageDefault?: string;
  secretName: string;
  skipUnsupported?: boolean;
  workspaceSize: string;
  storageClass?: string;
  templates: string[];
  registry?: string;
  token?: string;
  frozenLockfile?: boolean;
  allowSunset?: boolean;
  inputs: string[];
  set: string[];
}

export function registerExportCommands(program: Command, io: CliIO): void {
  const cwd = io.cwd ?? process.cwd();
  program
    .command('export')
    .description('export a pipeline (compiled first) or a plan file to another engine: --target argo prints an Argo Workflow')
    .argument('<target>', 'pipeline YAML, or a plan .json from compile -o')
    .requiredOption('--target <engine>', 'argo')
    .option('-o, --output <file>', 'write the manifest to a file instead of stdout')
    .option('--kind <kind>', 'Workflow or WorkflowTemplate', 'Workflow')
    .option('--namespace <ns>', 'metadata.namespace')
    .option('--service-account <sa>', 'spec.serviceAccountName')
    .option('--generate-name <prefix>', 'metadata.generateName (a WorkflowTemplate: its name); default: the pipeline identifier')
    .option('--image-default <image>', 'image of steps that name none (required when there are such steps)')
    .option('--secret-name <name>', 'Kubernetes Secret holding <+secrets.getValue("x")> under key x', DEFAULT_SECRET_NAME)
    .option('--workspace-size <size>', 'size of the workspace volume every step mounts at /harness', '1Gi')
    .option('--storage-class <name>', 'storage class of the workspace volume (default: the cluster default)')
    .option('--skip-unsupported', 'leave out steps pipewright does not run (GitClone, ...) instead of refusing them')
    .option('-t, --templates <dir>', 'template folder (repeatable)', collect, [])
    .option('--registry <url>', 'template registry (default: PIPEWRIGHT_REGISTRY)')
    .option('--token <token>', 'registry token (default: PIPEWRIGHT_TOKEN)')
    .option('--frozen-lockfile', 'use only the versions pipewright.lock holds; never changes the lock')
    .option('--allow-sunset', 'allow template versions past their sunset date')
    .option('--inputs <file>', 'input set (repeatable)', collect, [])
    .option('--set <path=value>', 'fill one runtime input (repeatable)', collect, [])
    .action(async (target: string, flags: ExportFlags) => {
      if (flags.target !== 'argo') throw new ExitError(Exit.INVALID, `--target must be argo, not ${flags.target}`);
      if (flags.kind !== 'Workflow' && flags.kind !== 'WorkflowTemplate')
        throw new ExitError(Exit.INVALID, `--kind must be Workflow or WorkflowTemplate, not ${flags.kind}`);
      const plan = await planFor(target, flags, io);
      const result = exportArgo(plan, {
        kind: flags.kind,
        secretName: flags.secretName,
        workspaceSize: flags.workspaceSize,
        ...(flags.storageClass ? { storageClass: flags.storageClass } : {}),
        ...(flags.namespace ? { namespace: flags.namespace } : {}),
        ...(flags.serviceAccount ? { serviceAccount: flags.serviceAccount } : {}),
        ...(flags.generateName ? { generateName: flags.generateName } : {}),
        ...(flags.imageDefault ? { imageDefault: flags.imageDefault } : {}),
        ...(flags.skipUnsupported ? { skipUnsupported: true } : {}),
      });
      for (const p of result.problems) io.stderr.write(formatDiagnostic(p) + '\n');
      if (!result.manifest) throw new ExitError(Exit.INVALID, `${target} cannot be exported to Argo as it is: see the errors above`);
      const text = manifestYaml(result.manifest);
      if (flags.output) writeOutput(cwd, flags.output, text);
      else io.stdout.write(text);
    });
}
