/**
 * A generated fleet for audit tests and benchmarks: templates nested up to three deep and
 * pipelines in five variants, each with known violations. `expected` says, per rule, which
 * files must violate it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { digestOf } from '../../compiler/index.js';
import { parse } from 'yaml';

const T = {
  redis: (v: string) =>
    `template:\n  name: redis\n  identifier: redis_service\n  versionLabel: ${v}\n  type: Step\n  inputs:\n    port: {type: number, default: 6379}\n  spec:\n    type: Background\n    spec:\n      image: redis:7\n      command: redis-server --port {{inputs.port}}\n      readiness: {tcp: {port: "{{inputs.port}}"}}\n`,
  postgres: `template:\n  name: postgres\n  identifier: postgres_service\n  versionLabel: 2.0.0\n  type: Step\n  spec:\n    type: Background\n    spec:\n      image: postgres:16\n      readiness: {exec: {command: pg_isready}}\n`,
  scan: `template:\n  name: secret scan\n  identifier: secret_scan\n  versionLabel: 1.0.0\n  type: Step\n  spec:\n    type: Run\n    timeout: 5m\n    spec: {image: registry.local/gitleaks:8, command: gitleaks detect}\n`,
  group: `template:\n  name: group with service\n  identifier: group_with_service\n  versionLabel: 1.0.0\n  type: StepGroup\n  spec:\n    steps:\n      - step: {name: cache, identifier: cache, template: {templateRef: account.redis_service, versionLabel: ^1.2}}\n      - step: {type: Run, name: it, identifier: it, timeout: 10m, spec: {image: registry.local/node:20, command: npm run it}}\n`,
  stage: `template:\n  name: standard test stage\n  identifier: stage_std\n  versionLabel: 1.0.0\n  type: Stage\n  spec:\n    type: CI\n    spec:\n      execution:\n        steps:\n          - step: {name: scan, identifier: scan, template: {templateRef: account.secret_scan, versionLabel: 1.0.0}}\n          - stepGroup: {name: g, identifier: g, template: {templateRef: account.group_with_service, versionLabel: 1.0.0}}\n`,
};

export const POLICY = `policy:
  name: acme-standards
  rules:
    - id: background-from-approved-templates
      description: Background services must come from an approved template
      match: {kind: [background, service]}
      require: {fromTemplate: [account.redis_service, account.postgres_service]}
    - id: readiness
      match: {kind: [background, service]}
      require: {readiness: true}
    - id: redis-version
      match: {template: account.redis_service}
      require: {templateVersion: {ref: account.redis_service, range: ">=1.2.0"}}
    - id: not-deprecated
      scope: pipeline
      require: {notDeprecated: true}
    - id: locked
      severity: warning
      scope: pipeline
      require: {locked: true}
    - id: secret-scan
      scope: stage
      match: {stageType: [CI], stage: [build]}
      require: {contains: {template: account.secret_scan}}
    - id: image-allow-list
      match: {image: "."}
      require: {images: ["^registry\\\\.local/", "^redis:", "^postgres:"]}
    - id: stage-order
      scope: pipeline
      require: {stageOrder: [build, test, deploy]}
    - id: deploy-timeouts
      match: {stage: [deploy], kind: [run]}
      assert: {required: [timeoutMs]}
`;

export interface Fleet {
  dir: string;
  templates: string;
  pipelines: string[];
  /** rule id → files (relative to dir) that must violate it */
  expected: Map<string, Set<string>>;
  /** file → line of the offending node for the inline background of variant 0 */
  inlineLines: Map<string, number>;
}

const stage = (id: string, steps: string) =>
  `    - stage:\n        name: ${id}\n        identifier: ${id}\n        type: CI\n        spec:\n          execution:\n            steps:\n${steps}`;
const run = (id: string, extra = '', image = 'registry.local/tool:1') =>
  `              - step: {type: Run, name: ${id}, identifier: ${id}${extra}, spec: {image: ${image}, command: run ${id}}}\n`;

/** Writes `count` pipelines (five variants) and the templates under `dir`. */
export function writeFleet(dir: string, count: number): Fleet {
  const templates = join(dir, 'templates');
  mkdirSync(templates, { recursive: true });
  const files: Record<string, string> = {
    'redis-1.0.0.yaml': T.redis('1.0.0'),
    'redis-1.2.0.yaml': T.redis('1.2.0'),
    'redis-1.3.0.yaml': T.redis('1.3.0'),
    'postgres.yaml': T.postgres,
    'scan.yaml': T.scan,
    'group.yaml': T.group,
    'stage.yaml': T.stage,
  };
  for (const [n, t] of Object.entries(files)) writeFileSync(join(templates, n), t);
  const digest = (n: string) => digestOf(parse(files[n]!));
  const expected = new Map<string, Set<string>>();
  const expect = (rule: string, file: string) => expected.set(rule, (expected.get(rule) ?? new Set()).add(file));
  const inlineLines = new Map<string, number>();
  const pipelines: string[] = [];
  for (let i = 0; i < count; i++) {
    const variant = i % 5;
    const lock = i % 10 === 2;
    // A lockfile sits beside its pipeline, so locked pipelines get a folder of their own.
    const folder = lock ? `locked-${i}` : `team${i % 7}`;
    const file = `${folder}/pipeline-${i}.yaml`;
    const scan = `              - step: {name: scan, identifier: scan, template: {templateRef: account.secret_scan, versionLabel: 1.0.0}}\n`;
    const build = (variant === 3 ? '' : scan) + run('compile');
    let test = run('unit');
    let deploy = run('ship', ', timeout: 10m');
    if (variant === 0) {
      // Inline background, no readiness: not from an approved template, no readiness; image off the list.
      test =
        `              - stepGroup:\n                  name: g\n                  identifier: g\n                  steps:\n                    - parallel:\n                        - step: {type: Background, name: db, identifier: db, spec: {image: postgres:15, command: postgres}}\n                        - step: {type: Run, name: x, identifier: x, spec: {image: docker.io/library/alpine:3, command: "true"}}\n` +
        run('unit');
      expect('background-from-approved-templates', file);
      expect('readiness', file);
      expect('image-allow-list', file);
    } else if (variant === 1) {
      // Deprecated, too old redis deep inside a parallel block in a group.
      test = `              - parallel:\n                  - stepGroup:\n                      name: g\n                      identifier: g\n                      steps:\n                        - step: {name: cache, identifier: cache, template: {templateRef: account.redis_service, versionLabel: 1.0.0}}\n                  - step: {type: Run, name: y, identifier: y, spec: {image: registry.local/tool:1, command: "true"}}\n`;
      expect('redis-version', file);
      expect('not-deprecated', file);
    } else if (variant === 2) {
      // Compliant, three templates deep: stage template → group template → step template.
      test = '';
    } else if (variant === 3) {
      expect('secret-scan', file);
    } else {
      deploy = run('ship');
      expect('deploy-timeouts', file);
      expect('stage-order', file);
    }
    if (!lock && variant !== 3) expect('locked', file);
    const stages =
      variant === 2
        ? stage('build', build) +
          `    - stage:\n        name: test\n        identifier: test\n        template: {templateRef: account.stage_std, versionLabel: 1.0.0}\n` +
          stage('deploy', deploy)
        : variant === 4
          ? stage('build', build) + stage('deploy', deploy) + stage('test', test)
          : stage('build', build) + stage('test', test) + stage('deploy', deploy);
    const text = `pipeline:\n  name: p${i}\n  identifier: p${i}\n  stages:\n${stages}`;
    mkdirSync(join(dir, folder), { recursive: true });
    writeFileSync(join(dir, file), text);
    if (variant === 0) inlineLines.set(file, text.split('\n').findIndex((l) => l.includes('identifier: db')) + 1);
    if (lock) {
      const used: [string, string, string][] = [['account.secret_scan', '1.0.0', 'scan.yaml']];
      if (variant === 2)
        used.push(
          ['account.stage_std', '1.0.0', 'stage.yaml'],
          ['account.group_with_service', '1.0.0', 'group.yaml'],
          ['account.redis_service', '1.3.0', 'redis-1.3.0.yaml'],
        );
      const entries = Object.fromEntries(
        used.map(([ref, version, f]) => [`${ref}@${version}`, { ref, selector: version, version, digest: digest(f) }]),
      );
      writeFileSync(join(dir, folder, 'pipewright.lock'), JSON.stringify({ lockfileVersion: 1, templates: entries }));
    }
    pipelines.push(file);
  }
  return { dir, templates, pipelines, expected, inlineLines };
}
