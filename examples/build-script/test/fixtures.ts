// Source models made in code: bumpy spheres with enough triangles for LOD simplification.
import { Document, Logger, NodeIO } from '@gltf-transform/core';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

function sphere(doc: Document, name: string, segments: number, seed: number) {
  const rings = Math.floor(segments / 2);
  const positions: number[] = [];
  const normals: number[] = [];
  const indices: number[] = [];
  for (let r = 0; r <= rings; r++) {
    const theta = (r / rings) * Math.PI;
    for (let s = 0; s <= segments; s++) {
      const phi = (s / segments) * Math.PI * 2;
      const x = -Math.cos(phi) * Math.sin(theta);
      const y = Math.cos(theta);
      const z = Math.sin(phi) * Math.sin(theta);
      const k = 1 + 0.15 * Math.sin(x * 3 + seed) * Math.cos(y * 2 + seed) * Math.sin(z * 4 + seed);
      positions.push(x * k, y * k, z * k);
      normals.push(x, y, z);
    }
  }
  for (let r = 0; r < rings; r++) {
    for (let s = 0; s < segments; s++) {
      const a = r * (segments + 1) + s;
      const b = a + segments + 1;
      if (r !== 0) indices.push(a, b, a + 1);
      if (r !== rings - 1) indices.push(a + 1, b, b + 1);
    }
  }
  const buffer = doc.getRoot().listBuffers()[0] ?? doc.createBuffer();
  const primitive = doc
    .createPrimitive()
    .setAttribute('POSITION', doc.createAccessor().setType('VEC3').setArray(new Float32Array(positions)).setBuffer(buffer))
    .setAttribute('NORMAL', doc.createAccessor().setType('VEC3').setArray(new Float32Array(normals)).setBuffer(buffer))
    .setIndices(doc.createAccessor().setType('SCALAR').setArray(new Uint32Array(indices)).setBuffer(buffer))
    .setMaterial(doc.createMaterial(`${name}-material`).setBaseColorFactor([0.6, 0.5, 0.4, 1]).setRoughnessFactor(0.8));
  return doc.createNode(name).setMesh(doc.createMesh(name).addPrimitive(primitive));
}

function model(name: string, segments: number, seed: number): Document {
  const doc = new Document().setLogger(new Logger(Logger.Verbosity.SILENT));
  doc.createBuffer();
  doc.createScene(name).addChild(sphere(doc, name, segments, seed));
  return doc;
}

/** Writes `crate.glb`, `rock.glb` and `tower.gltf` (+ `tower.bin`) into `dir`. */
export async function writeSourceModels(dir: string): Promise<void> {
  const io = new NodeIO();
  await writeFile(join(dir, 'crate.glb'), await io.writeBinary(model('crate', 24, 1)));
  await writeFile(join(dir, 'rock.glb'), await io.writeBinary(model('rock', 40, 2)));
  await io.write(join(dir, 'tower.gltf'), model('tower', 32, 3));
}

/** A GLB cut short: its header declares more bytes than the file has. */
export async function writeTruncatedGlb(path: string): Promise<void> {
  const bytes = await new NodeIO().writeBinary(model('broken', 24, 4));
  await writeFile(path, bytes.subarray(0, Math.floor(bytes.byteLength / 2)));
}
