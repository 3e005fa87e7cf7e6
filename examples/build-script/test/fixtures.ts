// Source models made in code: spheres of different sizes (so no two are the same bytes), with
// enough triangles for LOD simplification. The optimize package's test helpers make them.
import { NodeIO } from '@gltf-transform/core';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sphereDocument } from '../../../packages/optimize/test/helpers/fixtures.js';

/** Writes `crate.glb`, `rock.glb` and `tower.gltf` (+ `tower.bin`) into `dir`. */
export async function writeSourceModels(dir: string): Promise<void> {
  const io = new NodeIO();
  await writeFile(join(dir, 'crate.glb'), await io.writeBinary(sphereDocument(24, 12)));
  await writeFile(join(dir, 'rock.glb'), await io.writeBinary(sphereDocument(40, 20)));
  await io.write(join(dir, 'tower.gltf'), sphereDocument(32, 16));
}

/** A GLB cut short: its header declares more bytes than the file has. */
export async function writeTruncatedGlb(path: string): Promise<void> {
  const bytes = await new NodeIO().writeBinary(sphereDocument(28, 14));
  await writeFile(path, bytes.subarray(0, Math.floor(bytes.byteLength / 2)));
}
