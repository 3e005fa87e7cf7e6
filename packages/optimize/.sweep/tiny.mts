import { Document, NodeIO } from '@gltf-transform/core';
const doc = new Document(); const buf = doc.createBuffer();
const pos = doc.createAccessor().setType('VEC3').setArray(new Float32Array([0,0,0, 1,0,0, 0,1,0])).setBuffer(buf);
const prim = doc.createPrimitive().setAttribute('POSITION', pos);
const mesh = doc.createMesh('t').addPrimitive(prim);
doc.createScene().addChild(doc.createNode('n').setMesh(mesh));
await new NodeIO().write('/tmp/tiny.glb', doc);
