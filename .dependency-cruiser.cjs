/**
 * The boundaries between pipewright's parts, checked by dependency-cruiser in `npm test`
 * (`npm run deps`). A part is one top-level folder: compiler, client, runtime, registry, audit,
 * export, cli, schemas. Other parts reach a part only through its `index.ts`.
 */
const PARTS = 'compiler|client|runtime|registry|audit|export|cli|schemas';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles, in any folder (tests and benchmarks included).',
      from: {},
      to: { circular: true },
    },
    {
      name: 'runtime-stays-runtime',
      severity: 'error',
      comment: 'The runtime executes plans: it never imports the compiler or the registry (client or server).',
      from: { path: '^runtime/' },
      to: { path: '^(compiler|client|registry)/' },
    },
    {
      name: 'compiler-stays-compiler',
      severity: 'error',
      comment: 'The compiler turns YAML into plans: it never imports the registry (client or server), runtime, audit or cli.',
      from: { path: '^compiler/' },
      to: { path: '^(client|registry|runtime|audit|cli)/' },
    },
    {
      name: 'export-reads-plans',
      severity: 'error',
      comment: 'An export reads the plan only: it never imports the compiler, the registry, the runtime or the audit.',
      from: { path: '^export/' },
      to: { path: '^(compiler|client|registry|runtime|audit)/' },
    },
    {
      name: 'nothing-imports-cli',
      severity: 'error',
      comment: 'The cli is the outermost layer: no part, benchmark or test imports it (tests run bin.js).',
      from: { path: '^(compiler|client|runtime|registry|audit|export|schemas|bench)/' },
      to: { path: '^cli/' },
    },
    {
      name: 'parts-through-index',
      severity: 'error',
      comment: "A part imports another part only through that part's index.ts.",
      from: { path: `^(${PARTS})/` },
      to: {
        path: `^(${PARTS})/`,
        pathNot: [`^$1/`, `^(${PARTS})/index\\.ts$`],
      },
    },
    {
      name: 'bench-not-test',
      severity: 'error',
      comment:
        'Benchmarks and tests do not import each other: what both need (pipeline generators, the Docker test image) lives in test/support/.',
      from: { path: '^bench/' },
      to: { path: '^test/', pathNot: '^test/support/' },
    },
    {
      name: 'test-not-bench',
      severity: 'error',
      comment: 'Benchmarks and tests do not import each other.',
      from: { path: '^test/' },
      to: { path: '^bench/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to nothing.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules'] },
    exclude: { path: ['^dist/', '^node_modules/', '^test/fixtures/', '^registry/static/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
