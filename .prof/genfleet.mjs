import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeTemplates } from '/work/main/dist/bench/generate.js';
import { POLICY, pipeline } from '/work/main/dist/bench/audit.js';
const dir = '/tmp/fleet'; writeTemplates(dir); writeFileSync(join(dir, 'policy.yaml'), POLICY);
for (let i = 0; i < 1000; i++) { mkdirSync(join(dir, 'p', `t${i % 20}`), { recursive: true }); writeFileSync(join(dir, 'p', `t${i % 20}`, `p${i}.yaml`), pipeline(i)); }
