import { readFileSync } from 'node:fs';
const t0 = performance.now();
const v = await import('gltf-validator');
const t1 = performance.now();
const bytes = new Uint8Array(readFileSync('../../../../shared/models/DamagedHelmet.glb'));
for (let i = 0; i < 3; i++) {
  const t2 = performance.now();
  const r = await (v.default ?? v).validateBytes(bytes, { maxIssues: 0 });
  console.log('validate', (performance.now() - t2).toFixed(0), 'ms', r.issues.numErrors);
}
console.log('load', (t1 - t0).toFixed(0));
