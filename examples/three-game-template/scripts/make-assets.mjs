// Makes the template's sample assets in code and stores them with @kiln/storage in ./.assets
// (a local fs store, served by the CDN server in dev.mjs), then writes the run's manifest:
//   crystal   a displaced sphere, meshopt-compressed, with two LOD variants (switch at 6 and 14 m)
//   rock-0..4 small meshopt rocks
//   sky       a Radiance HDR sky (environment map)
import { Document, Logger, NodeIO } from '@gltf-transform/core';
import { ALL_EXTENSIONS } from '@gltf-transform/extensions';
import { meshopt } from '@gltf-transform/functions';
import { createAssetStore, fsDriver } from '@kiln/storage';
import { MeshoptEncoder } from 'meshoptimizer';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ASSETS_DIR = fileURLToPath(new URL('../.assets/', import.meta.url));
export const CDN_PORT = Number(process.env.KILN_CDN_PORT ?? 5174);
export const CDN_URL = `http://127.0.0.1:${CDN_PORT}`;

function rockMesh(segments, seed, bumpiness) {
  const rings = Math.max(3, Math.floor(segments / 2));
  const positions = [];
  const colors = [];
  const indices = [];
  const noise = (x, y, z) => Math.sin(x * 3.1 + seed) * Math.cos(y * 2.7 + seed * 1.3) * Math.sin(z * 3.7 + seed * 0.7);
  for (let r = 0; r <= rings; r++) {
    const theta = (r / rings) * Math.PI;
    for (let s = 0; s <= segments; s++) {
      const phi = (s / segments) * Math.PI * 2;
      const x = -Math.cos(phi) * Math.sin(theta);
      const y = Math.cos(theta);
      const z = Math.sin(phi) * Math.sin(theta);
      const k = 1 + bumpiness * noise(x, y, z);
      positions.push(x * k, y * k, z * k);
      const shade = 0.45 + 0.35 * (k - 1 + 0.5);
      colors.push(shade * 0.55, shade * 0.75, shade);
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
  return { positions: new Float32Array(positions), colors: new Float32Array(colors), indices: new Uint32Array(indices) };
}

async function glb(io, segments, seed, bumpiness, metallic) {
  const doc = new Document().setLogger(new Logger(Logger.Verbosity.WARN));
  const buffer = doc.createBuffer();
  const mesh = rockMesh(segments, seed, bumpiness);
  const prim = doc
    .createPrimitive()
    .setAttribute('POSITION', doc.createAccessor().setType('VEC3').setArray(mesh.positions).setBuffer(buffer))
    .setAttribute('COLOR_0', doc.createAccessor().setType('VEC3').setArray(mesh.colors).setBuffer(buffer))
    .setIndices(doc.createAccessor().setType('SCALAR').setArray(mesh.indices).setBuffer(buffer))
    .setMaterial(doc.createMaterial('stone').setRoughnessFactor(0.35).setMetallicFactor(metallic));
  doc.createScene().addChild(doc.createNode('rock').setMesh(doc.createMesh('rock').addPrimitive(prim)));
  await doc.transform(meshopt({ encoder: MeshoptEncoder, level: 'medium' }));
  return { bytes: await io.writeBinary(doc), triangles: mesh.indices.length / 3 };
}

function hdrSky(width, height) {
  const header = `#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y ${height} +X ${width}\n`;
  const pixels = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const t = y / height;
      const sun = Math.hypot(x - width * 0.3, y - height * 0.3) < width * 0.03;
      const rgb = sun ? [30, 26, 18] : t < 0.5 ? [0.35 + 0.6 * t, 0.55 + 0.4 * t, 1.1 - 0.3 * t] : [0.25, 0.22, 0.2];
      const exponent = Math.ceil(Math.log2(Math.max(...rgb))) + 1;
      const scale = 256 / 2 ** exponent;
      const i = (y * width + x) * 4;
      pixels.set([Math.min(255, rgb[0] * scale), Math.min(255, rgb[1] * scale), Math.min(255, rgb[2] * scale), exponent + 128], i);
    }
  }
  return Buffer.concat([Buffer.from(header, 'ascii'), pixels]);
}

/**
 * Writes the assets into `dir` (an fs store) and the manifest, for a CDN serving `dir` at
 * `cdnUrl`; returns the manifest's URL.
 */
export async function makeAssets({ dir = ASSETS_DIR, cdnUrl = CDN_URL } = {}) {
  rmSync(dir, { recursive: true, force: true });
  await MeshoptEncoder.ready;
  const io = new NodeIO().registerExtensions(ALL_EXTENSIONS).registerDependencies({ 'meshopt.encoder': MeshoptEncoder });
  const store = createAssetStore({ driver: fsDriver({ root: dir }), cdnBaseUrl: cdnUrl });
  const tenant = store.tenant('demo');
  const runId = 'template';
  const put = (filename, artifactType, bytes) => tenant.put({ runId, artifactType, filename }, bytes);
  const assets = [];
  const lods = [];
  for (const [level, segments] of [[0, 256], [1, 48], [2, 12]]) {
    const { bytes, triangles } = await glb(io, segments, 1.7, 0.22, 0.9);
    await put(`crystal.lod${level}.glb`, 'model_3d', bytes);
    lods.push({ name: { runId, artifactType: 'model_3d', filename: `crystal.lod${level}.glb` }, triangles });
  }
  assets.push({
    name: lods[0].name,
    id: 'crystal',
    triangles: lods[0].triangles,
    lods: [
      { ...lods[1], switchDistance: 6 },
      { ...lods[2], switchDistance: 14 },
    ],
  });
  for (let i = 0; i < 5; i++) {
    const { bytes, triangles } = await glb(io, 40, i * 3.3, 0.35, 0.05);
    await put(`rock-${i}.glb`, 'model_3d', bytes);
    assets.push({ name: { runId, artifactType: 'model_3d', filename: `rock-${i}.glb` }, id: `rock-${i}`, triangles });
  }
  await put('sky.hdr', 'environment_map', hdrSky(256, 128));
  assets.push({ name: { runId, artifactType: 'environment_map', filename: 'sky.hdr' }, id: 'sky' });
  const written = await tenant.writeManifest({ runId, assets });
  return written.url;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const url = await makeAssets();
  process.stdout.write(`assets written to ${ASSETS_DIR}\nmanifest: ${url}\n`);
}
