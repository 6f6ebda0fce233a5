/**
 * Synthetic pipelines and templates for benchmarks (bench/compile.ts, bench/audit.ts) and for
 * tests that read them (test/compiler/yaml-fast.test.ts): 50 templates nested up to three deep
 * (Step templates; StepGroup templates holding Step templates; StepGroup templates holding
 * those), pipelines of any size built from them plus inline steps and parallel blocks, and the
 * audit benchmark's fleet pipelines. Benchmarks and tests share it here, in test/support/, so
 * that neither imports the other.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const STEP_TEMPLATES = 30;
export const GROUP2_TEMPLATES = 12;
export const GROUP3_TEMPLATES = 8;

/** Writes the 50 templates into `dir/templates` and returns the file paths. */
export function writeTemplates(dir: string): string[] {
  const tdir = join(dir, 'templates');
  mkdirSync(tdir, { recursive: true });
  const files: string[] = [];
  const write = (name: string, text: string) => {
    const p = join(tdir, name);
    writeFileSync(p, text);
    files.push(p);
  };
  for (let i = 0; i < STEP_TEMPLATES; i++) {
    const background = i % 10 === 9;
    write(
      `step-${i}.yaml`,
      `template:
  name: step ${i}
  identifier: step_${i}
  versionLabel: 1.${i % 4}.0
  type: Step
  inputs:
    level: { type: string, default: info, allowedValues: [debug, info, warn] }
    port: { type: number, default: ${6000 + i} }
    flag: { type: boolean, default: false }
  spec:
    type: ${background ? 'Background' : 'Run'}
    timeout: 10m
    spec:
      shell: Bash
      image: "registry.local/tool-${i}:{{inputs.level}}"
      command: |
        echo "template ${i} level={{inputs.level}} port={{inputs.port}}"
        {{#if inputs.flag}}echo flagged{{/if}}
        run-tool --stage <+stage.identifier> --pipeline <+pipeline.identifier>
      envVariables:
        LEVEL: "{{inputs.level}}"
        PORT: "{{inputs.port}}"
        REGION: <+pipeline.variables.region>
${background ? `      readiness: { tcp: { port: "{{inputs.port}}" }, timeout: 30s }\n` : ''}`,
    );
  }
  for (let i = 0; i < GROUP2_TEMPLATES; i++) {
    const a = (i * 2) % STEP_TEMPLATES;
    const b = (i * 2 + 1) % STEP_TEMPLATES;
    write(
      `group2-${i}.yaml`,
      `template:
  name: group2 ${i}
  identifier: group2_${i}
  versionLabel: 2.0.${i}
  type: StepGroup
  inputs:
    level: { type: string, default: info }
  spec:
    steps:
      - step:
          name: first
          identifier: first
          template: { templateRef: account.step_${a}, versionLabel: ^1, inputs: { level: "{{inputs.level}}" } }
      - step:
          name: second
          identifier: second
          template: { templateRef: account.step_${b}, versionLabel: ^1 }
      - step:
          type: Run
          name: inline
          identifier: inline
          spec: { shell: Sh, command: "echo group2 ${i} {{inputs.level}}" }
`,
    );
  }
  for (let i = 0; i < GROUP3_TEMPLATES; i++) {
    write(
      `group3-${i}.yaml`,
      `template:
  name: group3 ${i}
  identifier: group3_${i}
  versionLabel: 3.0.0
  type: StepGroup
  spec:
    steps:
      - stepGroup:
          name: inner
          identifier: inner
          template: { templateRef: account.group2_${i % GROUP2_TEMPLATES}, versionLabel: "~2.0", inputs: { level: warn } }
      - step:
          name: leaf
          identifier: leaf
          template: { templateRef: account.step_${(i * 3) % STEP_TEMPLATES}, versionLabel: ">=1.0.0 <2" }
      - step:
          type: Run
          name: check
          identifier: check
          spec: { shell: Sh, command: echo check ${i} }
`,
    );
  }
  return files;
}

/** Steps each block kind produces. */
const BLOCKS = [
  {
    steps: 1,
    text: (n: number, id: string) =>
      `              - step:\n                  name: ${id}\n                  identifier: ${id}\n                  template: { templateRef: account.step_${n % STEP_TEMPLATES}, versionLabel: ^1.0, inputs: { level: debug, port: ${7000 + (n % 1000)} } }\n`,
  },
  {
    steps: 3,
    text: (n: number, id: string) =>
      `              - stepGroup:\n                  name: ${id}\n                  identifier: ${id}\n                  template: { templateRef: account.group2_${n % GROUP2_TEMPLATES}, versionLabel: ^2 }\n`,
  },
  {
    steps: 5,
    text: (n: number, id: string) =>
      `              - stepGroup:\n                  name: ${id}\n                  identifier: ${id}\n                  template: { templateRef: account.group3_${n % GROUP3_TEMPLATES}, versionLabel: 3.0.0 }\n`,
  },
  {
    steps: 2,
    text: (n: number, id: string) =>
      `              - parallel:\n` +
      `                  - step: { type: Run, name: ${id}_a, identifier: ${id}_a, spec: { shell: Sh, command: "echo <+stage.variables.flavour> ${n}" } }\n` +
      `                  - step: { type: Run, name: ${id}_b, identifier: ${id}_b, timeout: 5m, spec: { shell: Sh, command: "echo b ${n}", envVariables: { N: "${n}" } } }\n`,
  },
];

/** A pipeline of about `steps` steps over `stages` stages. */
export function pipelineText(steps: number, stages: number): string {
  const perStage = Math.ceil(steps / stages);
  let out = `pipeline:\n  name: bench ${steps}\n  identifier: bench_${steps}\n  variables:\n    - { name: region, type: String, value: eu-west-1 }\n  stages:\n`;
  let made = 0;
  let n = 0;
  for (let s = 0; s < stages && made < steps; s++) {
    out += `    - stage:\n        name: stage ${s}\n        identifier: stage_${s}\n        type: CI\n        variables:\n          - { name: flavour, type: String, value: f${s} }\n        spec:\n          execution:\n            steps:\n`;
    let inStage = 0;
    while (inStage < perStage && made < steps) {
      const left = Math.min(perStage - inStage, steps - made);
      const fitting = BLOCKS.filter((b) => b.steps <= left);
      const block = fitting[n % fitting.length]!;
      out += block.text(n, `b${n}`);
      inStage += block.steps;
      made += block.steps;
      n++;
    }
  }
  return out;
}

/** Pipeline number `i` of the audit benchmark's fleet: 5 stages of 10 steps, half of them template references. */
export function fleetPipeline(i: number): string {
  let out = `pipeline:\n  name: fleet ${i}\n  identifier: fleet_${i}\n  variables:\n    - {name: region, type: String, value: eu}\n  stages:\n`;
  for (let s = 0; s < 5; s++) {
    out += `    - stage:\n        name: s${s}\n        identifier: s${s}\n        type: CI\n        spec:\n          execution:\n            steps:\n`;
    for (let k = 0; k < 10; k++) {
      const n = (i * 7 + s * 10 + k) % STEP_TEMPLATES;
      out +=
        k % 2 === 0
          ? `              - step: {name: t${k}, identifier: t${k}, template: {templateRef: account.step_${n}, versionLabel: ^1}}\n`
          : `              - step: {type: Run, name: r${k}, identifier: r${k}, timeout: 5m, spec: {image: registry.local/tool:${k}, shell: Sh, command: "echo <+stage.identifier> ${k}"}}\n`;
    }
  }
  return out;
}
