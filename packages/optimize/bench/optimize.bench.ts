// pnpm bench:optimize [--runs N] [--only name,name] [--keep]
//
// One run of the script, tools side by side on the same machine, for each model (the samples in
// ../shared/models and models generated here), N rounds (default 3) with the tools interleaved:
//   kiln            kiln optimize (defaults: lossless geometry + meshopt, WebP textures, validator on)
//   kiln --prune-attributes   the same, dropping vertex attributes no material uses (as the peers do)
//   kiln --prune-attributes --flatten   also flattening the hierarchy and dropping empty nodes, as
//                   gltf-transform optimize does: the same lossiness, so the goals are read on this row
//   … --no-psnr     the same without the per-texture PSNR report (which gltf-transform does not make):
//                   the wall time of the same work as the peer, printed beside the goal
//   gltf-transform  gltf-transform optimize --compress meshopt --texture-compress webp --simplify false
//   gltfpack        gltfpack -cc (geometry only: the npm build compresses no textures)
// Each tool runs as its own process (start-up included); wall time and peak RSS come from
// /usr/bin/time (or /proc polling without it). Output bytes are split into geometry (everything
// but images) and textures; triangles are counted after decoding; the Khronos validator runs on
// every output. Ratios are kiln ÷ gltf-transform, and kiln's geometry ÷ gltfpack's.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { NodeIO } from '@gltf-transform/core';
import { ALL_EXTENSIONS } from '@gltf-transform/extensions';
import { cloneDocument, mergeDocuments } from '@gltf-transform/functions';
import { MeshoptDecoder, MeshoptEncoder } from 'meshoptimizer';
import { countTriangles, validateGltf } from '../src/index.js';
import { pbrDocument, skinnedDocument, sphereDocument, toGlb } from '../test/helpers/fixtures.js';

const exec = promisify(execFile);
const here = import.meta.dirname;
const pkg = join(here, '..');
const root = join(pkg, '..', '..');
const modelsDir = process.env['KILN_MODELS'] ?? join(root, '..', 'shared', 'models');
const args = process.argv.slice(2);
const runs = args.includes('--runs') ? Number(args[args.indexOf('--runs') + 1]) : 3;
const only = args.includes('--only') ? (args[args.indexOf('--only') + 1] ?? '').split(',') : null;
const keep = args.includes('--keep');
const MB = 1024 * 1024;

const bin = {
  kiln: join(root, 'packages', 'cli', 'dist', 'bin.js'),
  gltfTransform: join(pkg, 'node_modules', '@gltf-transform', 'cli', 'bin', 'cli.js'),
  gltfpack: join(pkg, 'node_modules', 'gltfpack', 'cli.js'),
};

interface Measured {
  seconds: number;
  rssMb: number;
}

/** Runs a command once: wall seconds and peak RSS. */
async function measure(command: string[], cwd: string): Promise<Measured> {
  return existsSync('/usr/bin/time') ? timeRun(command, cwd) : pollRun(command, cwd);
}

async function timeRun(command: string[], cwd: string): Promise<Measured> {
  const out = join(cwd, `time-${process.pid}.txt`);
  try {
    await exec('/usr/bin/time', ['-f', '%e %M', '-o', out, ...command], { cwd, maxBuffer: 256 * MB });
  } catch (error) {
    throw new Error(`${command.join(' ')} failed: ${(error as { stderr?: string }).stderr ?? error}`);
  }
  const [seconds, kb] = (await readFile(out, 'utf8')).trim().split(/\s+/).slice(-2).map(Number);
  return { seconds: seconds ?? Number.NaN, rssMb: (kb ?? Number.NaN) / 1024 };
}

async function pollRun(command: string[], cwd: string): Promise<Measured> {
  const start = performance.now();
  const child = spawn(command[0] as string, command.slice(1), { cwd, stdio: 'ignore' });
  let peak = 0;
  const timer = setInterval(async () => {
    const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
    const hwm = /VmHWM:\s+(\d+)/.exec(status);
    if (hwm) peak = Math.max(peak, Number(hwm[1]));
  }, 10);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearInterval(timer);
  if (code !== 0) throw new Error(`${command.join(' ')} exited with ${code}`);
  return { seconds: (performance.now() - start) / 1000, rssMb: peak / 1024 };
}

interface Output {
  bytes: number;
  textureBytes: number;
  triangles: number;
  errors: number;
  warnings: number;
  vertices: number;
  streams: Map<string, number>;
}

const io = new NodeIO().registerExtensions(ALL_EXTENSIONS);

/** Sizes, decoded triangles, validator counts and compressed bytes per attribute of a GLB. */
async function inspect(path: string): Promise<Output> {
  await Promise.all([MeshoptDecoder.ready, MeshoptEncoder.ready]);
  io.registerDependencies({ 'meshopt.decoder': MeshoptDecoder });
  const glb = new Uint8Array(await readFile(path));
  const doc = await io.readBinary(glb);
  doc.setLogger({ debug() {}, info() {}, warn() {}, error() {} } as never);
  const textureBytes = doc
    .getRoot()
    .listTextures()
    .reduce((n, t) => n + (t.getImage()?.byteLength ?? 0), 0);
  const validation = await validateGltf(glb);
  // Compressed bytes per attribute semantic (meshopt bufferViews), to explain size differences.
  const view = new DataView(glb.buffer, glb.byteOffset, glb.byteLength);
  const json = JSON.parse(new TextDecoder().decode(glb.subarray(20, 20 + view.getUint32(12, true))));
  const streams = new Map<string, number>();
  const semantic = new Map<number, string>();
  for (const mesh of json.meshes ?? []) {
    for (const prim of mesh.primitives) {
      for (const [name, accessor] of Object.entries(prim.attributes as Record<string, number>)) semantic.set(json.accessors[accessor].bufferView, name);
      if (prim.indices !== undefined) semantic.set(json.accessors[prim.indices].bufferView, 'indices');
    }
  }
  (json.bufferViews ?? []).forEach((bv: { byteLength: number; extensions?: Record<string, { byteLength: number }> }, i: number) => {
    const compressed = bv.extensions?.['EXT_meshopt_compression']?.byteLength ?? bv.byteLength;
    const name = semantic.get(i) ?? 'other';
    streams.set(name, (streams.get(name) ?? 0) + compressed);
  });
  const vertices = doc
    .getRoot()
    .listMeshes()
    .flatMap((m) => m.listPrimitives())
    .reduce((n, p) => n + (p.getAttribute('POSITION')?.getCount() ?? 0), 0);
  return { bytes: glb.byteLength, textureBytes, triangles: countTriangles(doc), errors: validation.errors, warnings: validation.warnings, vertices, streams };
}

/** The models: shared samples when present, plus generated ones. */
async function models(dir: string): Promise<{ name: string; path: string; note: string }[]> {
  const list: { name: string; path: string; note: string }[] = [];
  for (const [name, note] of [
    ['DamagedHelmet', '5 × 2048² JPEG, PBR'],
    ['Bunny', 'scan, no textures'],
  ] as const) {
    const path = join(modelsDir, `${name}.glb`);
    if (existsSync(path)) list.push({ name, path, note });
  }
  const write = async (name: string, note: string, data: Promise<Uint8Array>) => {
    const path = join(dir, 'models', `${name}.glb`);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, await data);
    list.push({ name, path, note });
  };
  await write('gen-pbr-1k', '7 × 1024² PNG/JPEG, every slot (generated)', pbrDocument(1024, 1024).then(toGlb));
  await write('gen-sphere-65k', 'UV sphere, 65,024 triangles (generated)', toGlb(sphereDocument(256, 128)));
  await write('gen-skinned', 'skinned + animated (generated)', toGlb(skinnedDocument()));
  const bunny = list.find((m) => m.name === 'Bunny');
  if (bunny) await write('Bunny10x', '10 rescaled bunnies, 40 MB (generated)', bunny10x(bunny.path));
  return only ? list.filter((m) => only.includes(m.name)) : list;
}

/** Ten copies of the bunny, each scaled differently (scaling only), in one GLB of ~40 MB. */
async function bunny10x(path: string): Promise<Uint8Array> {
  const plain = new NodeIO();
  const base = await plain.readBinary(new Uint8Array(await readFile(path)));
  const out = cloneDocument(base);
  const scene = out.getRoot().listScenes()[0]!;
  for (let i = 1; i < 10; i++) {
    const copy = cloneDocument(base);
    for (const prim of copy.getRoot().listMeshes().flatMap((m) => m.listPrimitives())) {
      const position = prim.getAttribute('POSITION')!;
      const array = (position.getArray() as Float32Array).map((v) => v * (1 + i * 0.1));
      position.setArray(array);
    }
    const map = mergeDocuments(out, copy);
    for (const node of copy.getRoot().listScenes()[0]!.listChildren()) scene.addChild(map.get(node) as never);
  }
  for (const extra of out.getRoot().listScenes().slice(1)) extra.dispose();
  const buffer = out.getRoot().listBuffers()[0]!;
  for (const accessor of out.getRoot().listAccessors()) accessor.setBuffer(buffer);
  for (const extra of out.getRoot().listBuffers().slice(1)) extra.dispose();
  return plain.writeBinary(out);
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : '-');

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ')} |`;
  return [line(rows[0]!), `| ${widths.map((w, c) => (c < 2 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`, ...rows.slice(1).map(line)].join('\n');
}

async function main(): Promise<void> {
  if (!existsSync(bin.kiln) || !existsSync(join(pkg, 'dist', 'index.js'))) {
    process.stderr.write('building @kiln/optimize and @kiln/cli…\n');
    await exec('pnpm', ['--filter', '@kiln/optimize', '--filter', '@kiln/cli', 'run', 'build'], { cwd: root });
  }
  const dir = await mkdtemp(join(tmpdir(), 'kiln-bench-'));
  const rows: string[][] = [['model', 'tool', 'bytes', 'geometry B', 'textures B', 'triangles', 'wall s', 'peak RSS MB', 'validator err/warn', 'bytes ÷ gt', 'wall ÷ gt', 'RSS ÷ gt', 'geometry ÷ gp']];
  const goals: string[] = [];
  const why: string[] = [];
  try {
    const list = await models(dir);
    for (const model of list) {
      process.stderr.write(`${model.name}…\n`);
      const input = await inspect(model.path);
      const out = (tool: string) => join(dir, 'out', `${model.name}.${tool}.glb`);
      await mkdir(join(dir, 'out'), { recursive: true });
      const tools: [string, string, string[]][] = [
        ['kiln', out('kiln'), [process.execPath, bin.kiln, 'optimize', model.path, '-o', out('kiln'), '--quiet']],
        ['kiln --prune-attributes', out('kiln-pa'), [process.execPath, bin.kiln, 'optimize', model.path, '-o', out('kiln-pa'), '--quiet', '--prune-attributes']],
        ['kiln --prune-attributes --flatten', out('kiln-paf'), [process.execPath, bin.kiln, 'optimize', model.path, '-o', out('kiln-paf'), '--quiet', '--prune-attributes', '--flatten']],
        ['kiln --prune-attributes --flatten --no-psnr', out('kiln-pafn'), [process.execPath, bin.kiln, 'optimize', model.path, '-o', out('kiln-pafn'), '--quiet', '--prune-attributes', '--flatten', '--no-psnr']],
        ['gltf-transform', out('gt'), [process.execPath, bin.gltfTransform, 'optimize', model.path, out('gt'), '--compress', 'meshopt', '--texture-compress', 'webp', '--simplify', 'false']],
        ['gltfpack -cc', out('gp'), [process.execPath, bin.gltfpack, '-i', model.path, '-o', out('gp'), '-cc']],
      ];
      // Rounds outside, tools inside: each tool sees the same machine load; the median wall wins.
      const samples = new Map<string, Measured[]>();
      for (let round = 0; round < runs; round++) {
        for (const [tool, , command] of tools) samples.set(tool, [...(samples.get(tool) ?? []), await measure(command, dir)]);
      }
      const results = new Map<string, Output & Measured>();
      for (const [tool, path] of tools) {
        const sorted = [...(samples.get(tool) ?? [])].sort((a, b) => a.seconds - b.seconds);
        const median = sorted[Math.floor(sorted.length / 2)] as Measured;
        results.set(tool, { ...median, rssMb: Math.max(...sorted.map((m) => m.rssMb)), ...(await inspect(path)) });
      }
      // Equal lossiness: gltf-transform drops vertex attributes no material uses, flattens the
      // hierarchy and prunes empty nodes (names, extras and sockets go with them); Kiln keeps all of
      // that by default, so the goals are read on the row that does the same.
      const kiln = results.get('kiln --prune-attributes --flatten')!;
      const gt = results.get('gltf-transform')!;
      // gltf-transform reports no quality figures; kiln decodes each re-encoded texture again for PSNR.
      const noPsnr = results.get('kiln --prune-attributes --flatten --no-psnr')!;
      const gp = results.get('gltfpack -cc')!;
      rows.push([model.name, 'input', int(input.bytes), int(input.bytes - input.textureBytes), int(input.textureBytes), int(input.triangles), '', '', `${input.errors}/${input.warnings}`, '', '', '', '']);
      for (const [tool, r] of results) {
        const geometry = r.bytes - r.textureBytes;
        rows.push([
          '',
          tool,
          int(r.bytes),
          int(geometry),
          int(r.textureBytes),
          int(r.triangles),
          r.seconds.toFixed(2),
          r.rssMb.toFixed(0),
          `${r.errors}/${r.warnings}`,
          ratio(r.bytes, gt.bytes),
          ratio(r.seconds, gt.seconds),
          ratio(r.rssMb, gt.rssMb),
          ratio(geometry, gp.bytes - gp.textureBytes),
        ]);
      }
      const kg = kiln.bytes - kiln.textureBytes;
      const pg = gp.bytes - gp.textureBytes;
      goals.push(
        `${model.name}: bytes ${kiln.bytes <= gt.bytes ? 'met' : 'NOT met'} (${ratio(kiln.bytes, gt.bytes)}), ` +
          `validator ${kiln.errors <= input.errors && kiln.warnings <= input.warnings ? 'met' : 'NOT met'} (${kiln.errors}/${kiln.warnings} vs input ${input.errors}/${input.warnings}), ` +
          `wall ${kiln.seconds <= gt.seconds ? 'met' : 'NOT met'} (${ratio(kiln.seconds, gt.seconds)}; ${ratio(noPsnr.seconds, gt.seconds)} with --no-psnr), ` +
          `RSS ${kiln.rssMb <= gt.rssMb ? 'met' : 'NOT met'} (${ratio(kiln.rssMb, gt.rssMb)}), ` +
          `triangles kept ${kiln.triangles === input.triangles ? 'yes' : `NO (${kiln.triangles})`}, gltf-transform ${gt.triangles === input.triangles ? 'yes' : `NO (${gt.triangles})`}`,
      );
      if (pg < kg) {
        const names = [...new Set([...kiln.streams.keys(), ...gp.streams.keys()])].sort();
        why.push(
          `${model.name}: gltfpack geometry ${int(pg)} B vs kiln ${int(kg)} B (${ratio(kg, pg)}×); vertices ${int(gp.vertices)} vs ${int(kiln.vertices)}; ` +
            `compressed bytes per stream (gltfpack / kiln): ${names.map((n) => `${n} ${int(gp.streams.get(n) ?? 0)} / ${int(kiln.streams.get(n) ?? 0)}`).join(', ')}`,
        );
      }
    }
  } finally {
    if (!keep) await rm(dir, { recursive: true, force: true });
    else process.stderr.write(`kept ${dir}\n`);
  }
  const { stdout: cpu } = await exec('sh', ['-c', "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2; nproc"]).catch(() => ({ stdout: '' }));
  process.stdout.write(
    [
      `@kiln/optimize benchmark, Node ${process.version}, ${cpu.trim().replace(/\n/, ', ')} cores, ${runs === 1 ? 'one run' : `median wall of ${runs} interleaved runs, highest RSS`} per cell`,
      '',
      table(rows),
      '',
      'goals (kiln --prune-attributes --flatten, the same lossiness, vs gltf-transform optimize --compress meshopt --texture-compress webp --simplify false):',
      ...goals.map((g) => `  ${g}`),
      '',
      'where gltfpack -cc is smaller on geometry:',
      ...(why.length > 0 ? why.map((w) => `  ${w}`) : ['  nowhere']),
      '',
    ].join('\n'),
  );
}

await main();
