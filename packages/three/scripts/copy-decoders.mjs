#!/usr/bin/env node
// Copies the decoder files this package serves from the exact `three` version it is built
// against into ./decoders (shipped in the npm package, self-hosted by apps):
//   decoders/draco/  glTF build of the Draco decoder (draco_wasm_wrapper.js, draco_decoder.wasm, draco_decoder.js)
//   decoders/basis/  Basis Universal transcoder (basis_transcoder.js, basis_transcoder.wasm)
//   decoders/**/*.gz  gzip copies of the files the loader fetches (about 40% of their bytes; the
//                     loader inflates them with DecompressionStream, whatever the server does)
//   decoders/VERSIONS.json  the three version, sizes and SHA-256 of every file
// The meshopt decoder is an ES module with its WASM inline: it is imported from `three` itself.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants, gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Files the loader fetches (its DECODER_FILES), each also written as `<file>.gz`. */
export const GZIPPED = ['draco/draco_wasm_wrapper.js', 'draco/draco_decoder.wasm', 'basis/basis_transcoder.js', 'basis/basis_transcoder.wasm'];

/** Files copied, relative to three's examples/jsm/libs/ → relative to decoders/. */
export const DECODER_SOURCES = {
  'draco/gltf/draco_wasm_wrapper.js': 'draco/draco_wasm_wrapper.js',
  'draco/gltf/draco_decoder.wasm': 'draco/draco_decoder.wasm',
  'draco/gltf/draco_decoder.js': 'draco/draco_decoder.js',
  'basis/basis_transcoder.js': 'basis/basis_transcoder.js',
  'basis/basis_transcoder.wasm': 'basis/basis_transcoder.wasm',
};

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Copies the decoders into `outDir` and returns the VERSIONS.json content. */
export function copyDecoders(outDir = join(packageDir, 'decoders')) {
  const require = createRequire(join(packageDir, 'package.json'));
  // three's exports map hides package.json: walk up from its main entry.
  let threeDir = dirname(require.resolve('three'));
  while (!existsSync(join(threeDir, 'package.json')) || JSON.parse(readFileSync(join(threeDir, 'package.json'), 'utf8')).name !== 'three') {
    const parent = dirname(threeDir);
    if (parent === threeDir) throw new Error('copy-decoders: cannot find the three package');
    threeDir = parent;
  }
  const threeVersion = JSON.parse(readFileSync(join(threeDir, 'package.json'), 'utf8')).version;
  const pinned = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).devDependencies.three;
  if (pinned !== threeVersion) {
    throw new Error(`copy-decoders: three ${threeVersion} is installed but package.json pins ${pinned}; run pnpm install`);
  }
  rmSync(outDir, { recursive: true, force: true });
  const files = {};
  for (const [from, to] of Object.entries(DECODER_SOURCES)) {
    const source = join(threeDir, 'examples', 'jsm', 'libs', from);
    const target = join(outDir, to);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(source, target);
    const bytes = readFileSync(target);
    files[to] = { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), from: `three/examples/jsm/libs/${from}` };
    if (GZIPPED.includes(to)) {
      // zlib writes no file name and a zero mtime: the same input gives the same .gz.
      const gz = gzipSync(bytes, { level: constants.Z_BEST_COMPRESSION });
      writeFileSync(`${target}.gz`, gz);
      files[to].gzip = { bytes: gz.length, sha256: createHash('sha256').update(gz).digest('hex') };
    }
  }
  const versions = { three: threeVersion, files };
  writeFileSync(join(outDir, 'VERSIONS.json'), `${JSON.stringify(versions, null, 2)}\n`);
  return versions;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { three, files } = copyDecoders(process.argv[2]);
  process.stdout.write(`copy-decoders: ${Object.keys(files).length} files from three ${three}\n`);
}
