import { Document, NodeIO } from '@gltf-transform/core';
import { optimize } from '../src/index.js';
const doc = new Document(); const buf = doc.createBuffer();
const pos = doc.createAccessor().setType('VEC3').setArray(new Float32Array([0,0,0, 1,0,0, 0,1,0, 1,1,0])).setBuffer(buf);
const idx = doc.createAccessor().setType('SCALAR').setArray(new Uint16Array([0,1,2, 1,3,2])).setBuffer(buf);
const nrm = doc.createAccessor().setType('VEC3').setArray(new Float32Array([0,0,1, 0,0,1, 0,0,1])).setBuffer(buf);
const mesh = doc.createMesh('t').addPrimitive(doc.createPrimitive().setAttribute('POSITION', pos).setIndices(idx)).addPrimitive(doc.createPrimitive().setAttribute('NORMAL', nrm));
doc.createScene().addChild(doc.createNode('n').setMesh(mesh));
const glb = await new NodeIO().writeBinary(doc);
for (const opts of [{}, { geometry: 'draco' }, { geometry: 'none' }, { maxTriangles: 1, budget: 'warn' }, { lods: [0.5] }, { pruneAttributes: true, flatten: true }] as any[]) {
  try { const r = await optimize(glb, { validate: 'error', ...opts }); console.log(JSON.stringify(opts), 'ok', r.report.warnings, JSON.stringify(r.report.validation?.after).slice(0, 200)); 
    const out = await new NodeIO().readBinary(r.glb).catch((e) => { console.log('reread failed', e.message); return null; });
  } catch (e: any) { console.log(JSON.stringify(opts), 'ERR', e.code, e.message.slice(0, 300)); }
}
