import { pipeline } from '/work/main/dist/bench/audit.js';
import { readYaml, Positions } from '/work/main/dist/compiler/yaml-reader.js';
import { DiagnosticBag } from '/work/main/dist/compiler/diagnostics.js';
import { parseAllDocuments, parse, Parser, LineCounter } from '/work/main/node_modules/yaml/dist/index.js';
const texts = Array.from({ length: 1000 }, (_, i) => pipeline(i));
console.log('bytes', texts[0].length);
function t(name, f) { for (let r = 0; r < 3; r++) { const t0 = performance.now(); for (const x of texts) f(x); const ms = performance.now() - t0; if (r === 2) console.log(name, ms.toFixed(0), 'ms /1000'); } }
t('readYaml', (x) => readYaml('f', x, new Positions(), new DiagnosticBag()));
t('parseAllDocuments', (x) => parseAllDocuments(x, { lineCounter: new LineCounter(), uniqueKeys: true }));
t('parse', (x) => parse(x));
t('Parser(cst)', (x) => { for (const _ of new Parser().parse(x)); });
t('JSON', (x) => JSON.parse(JSON.stringify({x})));
