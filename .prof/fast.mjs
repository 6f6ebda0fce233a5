import { pipeline } from '/work/main/dist/bench/audit.js';
import { Positions, TextLines } from '/work/main/dist/compiler/yaml-reader.js';
import { readFastYaml } from '/work/main/dist/compiler/yaml-fast.js';
const texts = Array.from({ length: 1000 }, (_, i) => pipeline(i));
function t(name, f) { for (let r = 0; r < 5; r++) { const t0 = performance.now(); for (const x of texts) f(x); const ms = performance.now() - t0; if (r === 4) console.log(name, ms.toFixed(0), 'ms /1000'); } }
const shared = new Positions();
t('fast shared positions', (x) => readFastYaml(x, { file: 'f', lines: new TextLines(x) }, shared));
const noop = { set() {}, get() {} };
t('fast no positions', (x) => readFastYaml(x, { file: 'f', lines: new TextLines(x) }, noop));
const sym = Symbol('p');
t('fast symbol positions', (x) => readFastYaml(x, { file: 'f', lines: new TextLines(x) }, { set(o, p) { o[sym] = p; } }));
t('JSON.parse of same data', (x) => JSON.parse(JSON.stringify(readFastYaml(x, { file: 'f', lines: new TextLines(x) }, noop).value)));
