import { Document, NodeIO } from '@gltf-transform/core';
import { optimize } from '../src/index.js';
const doc = new Document(); const buf = doc.createBuffer();
const pos = doc.createAccessor().setType('VEC3').setArray(new Float32Array([0,0,0, 1,0,0, 0,1,0])).setBuffer(buf);
const nrm = doc.createAccessor().setType('VEC3').setArray(new Float32Array([0,0,1, 0,0,1, 0,0,1])).setBuffer(buf);
const mesh = doc.createMesh('t').addPrimitive(doc.createPrimitive().setAttribute('POSITION', pos)).addPrimitive(doc.createPrimitive().setAttribute('NORMAL', nrm));
doc.createScene().addChild(doc.createNode('n').setMesh(mesh));
const glb = await new NodeIO().writeBinary(doc);
try { const r = await optimize(glb, { validate: 'error' }); console.log('ok', r.report.warnings, r.report.validation?.before, r.report.validation?.after); } catch (e: any) { console.log('ERR', e.code, e.message); }
