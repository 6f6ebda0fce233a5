import { parseDocument } from '/work/main/node_modules/yaml/dist/index.js';
const src = `a:
b: |
  text
c:
  d: 1
  e:
  - x
  -
  - y
f: [1, {g: h}]
k:
  # c
  l: 2
m: |+
  keep

n: end
`;
const doc = parseDocument(src);
function show(n, ind='') { if (!n) { console.log(ind + 'null'); return; }
  console.log(ind + n.constructor.name, JSON.stringify(n.range), JSON.stringify(src.slice(n.range?.[0], n.range?.[0]+6)));
  if (n.items) for (const it of n.items) { if (it.key !== undefined) { console.log(ind+' key', it.key?.range, 'val:'); show(it.value, ind + '  '); } else show(it, ind + '  '); } }
show(doc.contents);
