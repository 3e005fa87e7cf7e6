import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT, runCli, type CliIO } from '../src/index.js';
import { editGlbJson as editGlb } from '../../optimize/src/glb.js';
import { cubeDocument, pbrDocument, sphereDocument, toGlb, toGltfFiles } from '../../optimize/test/helpers/fixtures.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..', '..');
const tsx = pathToFileURL(createRequire(join(root, 'package.json')).resolve('tsx')).href;

class Capture {
  text = '';
  constructor(readonly isTTY = false) {}
  write(chunk: string) {
    this.text += chunk;
    return true;
  }
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kiln-cli-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function kiln(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const io: CliIO = { stdout, stderr, cwd: dir };
  const code = await runCli(argv, io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

async function files(): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, prefix: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(d, e.name), `${prefix}${e.name}/`);
      else out.push(`${prefix}${e.name}`);
    }
  };
  await walk(dir, '');
  return out.sort();
}

/** Rewrites a GLB's JSON chunk. */
const editGlbJson = (glb: Uint8Array, edit: (json: Record<string, any>) => void): Uint8Array => editGlb(glb, edit);

describe('kiln', () => {
  it('prints help, and exits 2 without a command or with an unknown one', async () => {
    expect(await kiln('--help')).toMatchObject({ code: EXIT.ok, stdout: expect.stringContaining('optimize') });
    expect((await kiln()).code).toBe(EXIT.usage);
    const unknown = await kiln('bake');
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.stderr).toBe('kiln: unknown command "bake" (commands: optimize; see kiln --help)\n');
    expect((await kiln('optimize', '--help')).stdout).toContain('Usage: kiln optimize <input…> [options]');
  });
});

describe('kiln optimize: usage errors exit 2 with one line and write nothing', () => {
  it.each([
    [['optimize'], 'kiln optimize: no input: give .glb/.gltf files, folders or globs (see kiln optimize --help)'],
    [['optimize', 'a.glb', '--frobnicate'], 'kiln optimize: unknown option --frobnicate (see kiln optimize --help)'],
    [['optimize', 'a.glb', '--preset', 'phone'], 'kiln optimize: --preset must be one of mobile, pc, console, web, got "phone" (see kiln optimize --help)'],
    [['optimize', 'a.glb', '--lods', '0.25,0.5'], 'kiln optimize: --lods must be strictly decreasing, got "0.25,0.5" (see kiln optimize --help)'],
    [['optimize', 'a.glb', '--max-triangles', '-3'], 'kiln optimize: --max-triangles needs a value (write --max-triangles=VALUE for a value starting with "-") (see kiln optimize --help)'],
    [['optimize', 'a.glb', '--max-triangles=-3'], 'kiln optimize: --max-triangles must be a positive integer, got "-3" (see kiln optimize --help)'],
    [['optimize', 'a.glb', '--budget-error', '0'], 'kiln optimize: --budget-error must be a number in (0, 1], such as 0.02, got "0" (see kiln optimize --help)'],
    [['optimize', 'a.glb', '--lod-error', 'x'], 'kiln optimize: --lod-error must be a number in (0, 1], such as 0.02, got "x" (see kiln optimize --help)'],
    [['optimize', 'a.glb', 'b.glb', '-o', 'one.glb'], 'kiln optimize: no such file or folder: b.glb (see kiln optimize --help)'],
    [['optimize', 'missing.glb'], 'kiln optimize: no such file or folder: missing.glb (see kiln optimize --help)'],
    [['optimize', 'models/*.glb'], 'kiln optimize: no .glb or .gltf file matches models/*.glb (see kiln optimize --help)'],
  ])('%j', async (argv, message) => {
    await writeFile(join(dir, 'a.glb'), await toGlb(cubeDocument()));
    const before = await files();
    const result = await kiln(...argv);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toBe(`${message}\n`);
    expect(result.stdout).toBe('');
    expect(await files()).toEqual(before);
  });
});

describe('kiln optimize: bad input exits 1 with one clear line, no stack trace, nothing written', () => {
  const cases: [string, () => Promise<Record<string, Uint8Array>>, string, RegExp][] = [
    ['not glTF', async () => ({ 'photo.glb': new TextEncoder().encode('definitely not a model') }), 'photo.glb', /^kiln optimize: photo\.glb: not glTF: neither a GLB \(no "glTF" magic\) nor glTF JSON \[not_gltf\]$/],
    [
      'a truncated GLB',
      async () => {
        const glb = await toGlb(sphereDocument());
        return { 'cut.glb': glb.subarray(0, 1000) };
      },
      'cut.glb',
      /^kiln optimize: cut\.glb: truncated GLB: the header declares \d+ bytes, the file has 1000 \[truncated_glb\]$/,
    ],
    [
      'a missing external resource',
      async () => {
        const { gltf, resources } = await toGltfFiles(sphereDocument());
        const rest = Object.fromEntries(Object.entries(resources).filter(([uri]) => !uri.endsWith('.bin')));
        return { 'scene.gltf': gltf, ...rest };
      },
      'scene.gltf',
      /^kiln optimize: scene\.gltf: missing external resource "[^"]+\.bin" \(.+\) \[missing_resource\]$/,
    ],
    [
      'an unsupported required extension',
      async () => ({
        'ext.glb': editGlbJson(await toGlb(cubeDocument()), (json) => {
          json['extensionsUsed'] = ['VENDOR_magic_mesh'];
          json['extensionsRequired'] = ['VENDOR_magic_mesh'];
        }),
      }),
      'ext.glb',
      /^kiln optimize: ext\.glb: unsupported required extension: VENDOR_magic_mesh \[unsupported_extension\]$/,
    ],
    [
      'an image that cannot be decoded',
      async () => {
        const { gltf, resources } = await toGltfFiles(await pbrDocument(16, 16));
        return { 'paint.gltf': gltf, ...resources, 'normal.png': new Uint8Array(200).fill(9) };
      },
      'paint.gltf',
      /^kiln optimize: paint\.gltf: image "normal" \(normal\.png, image\/png, 200 bytes\) cannot be decoded: .+ \[image_decode\]$/,
    ],
  ];

  it.each(cases)('%s', async (_name, make, input, line) => {
    for (const [name, data] of Object.entries(await make())) await writeFile(join(dir, name), data);
    const before = await files();
    const result = await kiln('optimize', input, '--lods', '0.5', '--quiet');
    expect(result.code).toBe(EXIT.failure);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
    expect(result.stdout).toBe('');
    expect(await files()).toEqual(before);
  });

  it('prints the stack trace with --verbose', async () => {
    await writeFile(join(dir, 'photo.glb'), new TextEncoder().encode('nope'));
    const result = await kiln('optimize', 'photo.glb', '--verbose', '--quiet');
    expect(result.code).toBe(EXIT.failure);
    expect(result.stderr).toMatch(/\[not_gltf\]\nOptimizeError: not glTF.*\n\s+at /);
  });

  it('still writes the good files of a batch and exits 1', async () => {
    await writeFile(join(dir, 'good.glb'), await toGlb(cubeDocument()));
    await writeFile(join(dir, 'bad.glb'), new Uint8Array([1, 2, 3]));
    const result = await kiln('optimize', 'good.glb', 'bad.glb', '--quiet');
    expect(result.code).toBe(EXIT.failure);
    expect(await files()).toEqual(['bad.glb', 'good.glb', 'good.opt.glb']);
    expect(result.stderr.trim().split('\n')).toEqual(['kiln optimize: bad.glb: not glTF: neither a GLB (no "glTF" magic) nor glTF JSON [not_gltf]']);
  });

  it('fails on an unreachable triangle budget, and warns with --allow-over-budget', async () => {
    await writeFile(join(dir, 'cube.glb'), await toGlb(cubeDocument()));
    const failed = await kiln('optimize', 'cube.glb', '--max-triangles', '4', '--quiet');
    expect(failed.code).toBe(EXIT.failure);
    expect(failed.stderr).toMatch(/^kiln optimize: cube\.glb: triangle budget 4 unreachable: 12 triangles .* \[budget_unreachable\]\n$/);
    // The way out is named as this command spells it, not only as the API option.
    expect(failed.stderr).toContain('--budget-error');
    expect(failed.stderr).toContain('--allow-over-budget');
    expect(await files()).toEqual(['cube.glb']);
    const warned = await kiln('optimize', 'cube.glb', '--max-triangles', '4', '--allow-over-budget', '--json', '--quiet');
    expect(warned.code).toBe(EXIT.ok);
    const [result] = JSON.parse(warned.stdout);
    expect(result.report.budget).toMatchObject({ maxTriangles: 4, triangles: 12, met: false });
    expect(result.report.warnings[0]).toMatch(/^triangle budget 4 unreachable/);
  });

  it('--lod-error sets the LOD error bound, which the warning about a stalled level names', async () => {
    await writeFile(join(dir, 'cube.glb'), await toGlb(cubeDocument()));
    const result = await kiln('optimize', 'cube.glb', '--lods', '0.5', '--lod-error', '0.002', '--json', '--quiet');
    expect(result.code).toBe(EXIT.ok);
    const [report] = JSON.parse(result.stdout);
    expect(report.report.warnings).toEqual([expect.stringMatching(/^LOD 1 \(ratio 0\.5\) stalled at 12 triangles .* at the error bound 0\.002: /)]);
  });

  it('warns about an invalid input and writes it; --validate strict refuses it, writing nothing', async () => {
    // POSITION bounds that lie: glTF Transform reads the file, the validator flags it.
    const glb = editGlbJson(await toGlb(cubeDocument()), (json) => (json['accessors'][0].max = [0, 0, 0]));
    await writeFile(join(dir, 'bent.glb'), glb);
    const warned = await kiln('optimize', 'bent.glb', '--json', '--quiet');
    expect(warned.code).toBe(EXIT.ok);
    const [result] = JSON.parse(warned.stdout);
    expect(result.report.warnings).toEqual([expect.stringMatching(/^the input has 6 validator errors \(ACCESSOR_MAX_MISMATCH ×3, ACCESSOR_ELEMENT_OUT_OF_MAX_BOUND ×3; first: \/accessors\/0\/max\/0: /)]);
    await rm(join(dir, 'bent.opt.glb'));
    const refused = await kiln('optimize', 'bent.glb', '--validate', 'strict', '--quiet');
    expect(refused.code).toBe(EXIT.failure);
    expect(refused.stderr).toMatch(/^kiln optimize: bent\.glb: invalid glTF: the input has 6 validator errors \(ACCESSOR_MAX_MISMATCH ×3, .*\) \(validate: 'strict', --validate strict, refuses invalid input\) \[invalid_gltf\]\n$/);
    expect(await files()).toEqual(['bent.glb']);
    expect((await kiln('optimize', 'bent.glb', '--validate', 'sometimes', '--quiet')).code).toBe(EXIT.usage);
  });

  it('--budget-error lets the budget simplify further', async () => {
    await writeFile(join(dir, 'sphere.glb'), await toGlb(sphereDocument(64, 32)));
    const strict = await kiln('optimize', 'sphere.glb', '--max-triangles', '200', '--quiet');
    expect(strict.code).toBe(EXIT.failure);
    const loose = await kiln('optimize', 'sphere.glb', '--max-triangles', '200', '--budget-error', '0.5', '--json', '--quiet');
    expect(loose.code).toBe(EXIT.ok);
    const [result] = JSON.parse(loose.stdout);
    expect(result.report.budget).toMatchObject({ maxTriangles: 200, met: true, errorBound: 0.5 });
    expect(result.report.after.triangles).toBeLessThanOrEqual(200);
  });
});

describe('kiln optimize: files, folders and globs', () => {
  it('optimises a folder in parallel into -o, keeping its layout, with LODs and a JSON report', async () => {
    await mkdir(join(dir, 'assets', 'props'), { recursive: true });
    await writeFile(join(dir, 'assets', 'sphere.glb'), await toGlb(sphereDocument(64, 32)));
    await writeFile(join(dir, 'assets', 'props', 'cube.glb'), await toGlb(cubeDocument()));
    const result = await kiln('optimize', 'assets', '-o', 'out', '--lods', '0.5,0.25', '--json', '--concurrency', '2');
    expect(result.code).toBe(EXIT.ok);
    expect(await files()).toEqual([
      'assets/props/cube.glb',
      'assets/sphere.glb',
      'out/props/cube.glb',
      'out/props/cube.lod1.glb',
      'out/props/cube.lod2.glb',
      'out/sphere.glb',
      'out/sphere.lod1.glb',
      'out/sphere.lod2.glb',
    ]);
    const reports = JSON.parse(result.stdout) as { input: string; ok: boolean; lods: { achievedRatio: number }[]; lodDescriptor: unknown[]; report: { after: { bytes: number } } }[];
    expect(reports.map((r) => [r.input, r.ok])).toEqual([
      ['assets/props/cube.glb', true],
      ['assets/sphere.glb', true],
    ]);
    const sphere = reports[1]!;
    expect(sphere.lods.map((l) => l.achievedRatio)).toEqual([expect.closeTo(0.5, 1), expect.closeTo(0.25, 1)]);
    expect(sphere.lodDescriptor).toHaveLength(2);
    expect(sphere.report.after.bytes).toBe((await readFile(join(dir, 'out', 'sphere.glb'))).byteLength);
    // Plain progress lines on a non-TTY stderr.
    expect(result.stderr).toContain('assets/sphere.glb: geometry');
    expect(result.stderr).toMatch(/assets\/sphere\.glb → out\/sphere\.glb: [\d,]+ → [\d,]+ B/);
  });

  it('expands globs, skips its own outputs on a second run, and prints the report table', async () => {
    await mkdir(join(dir, 'm'));
    await writeFile(join(dir, 'm', 'a.glb'), await toGlb(cubeDocument()));
    await writeFile(join(dir, 'm', 'b.glb'), await toGlb(sphereDocument()));
    expect((await kiln('optimize', 'm/*.glb', '--quiet')).code).toBe(EXIT.ok);
    expect(await files()).toEqual(['m/a.glb', 'm/a.opt.glb', 'm/b.glb', 'm/b.opt.glb']);
    const again = await kiln('optimize', 'm', '--quiet');
    expect(again.code).toBe(EXIT.ok);
    expect(again.stdout.match(/^m\/[ab]\.glb: preset none/gm)).toHaveLength(2);
    expect(await files()).toEqual(['m/a.glb', 'm/a.opt.glb', 'm/b.glb', 'm/b.opt.glb']);
  });

  it('reports PSNR per re-encoded texture, and skips it with --no-psnr', async () => {
    await writeFile(join(dir, 'paint.glb'), await toGlb(await pbrDocument(256, 256))); // large enough that WebP wins
    const psnrOf = (stdout: string) => (JSON.parse(stdout) as { report: { textureReports: { psnr: number | null }[] } }[])[0]!.report.textureReports.map((t) => t.psnr);
    const measured = await kiln('optimize', 'paint.glb', '-o', 'a.glb', '--json', '--quiet');
    expect(measured.code).toBe(EXIT.ok);
    expect(psnrOf(measured.stdout).length).toBeGreaterThan(0);
    expect(psnrOf(measured.stdout).every((p) => p === null || p > 20)).toBe(true);
    expect(psnrOf(measured.stdout).some((p) => p !== null)).toBe(true);
    const skipped = await kiln('optimize', 'paint.glb', '-o', 'b.glb', '--json', '--quiet', '--no-psnr');
    expect(skipped.code).toBe(EXIT.ok);
    expect(psnrOf(skipped.stdout).every((p) => p === null)).toBe(true);
    expect(await readFile(join(dir, 'b.glb'))).toEqual(await readFile(join(dir, 'a.glb')));
  });

  it('draws progress bars on a TTY', async () => {
    await writeFile(join(dir, 'paint.glb'), await toGlb(await pbrDocument(32, 32)));
    const stderr = new Capture(true);
    const code = await runCli(['optimize', 'paint.glb', '-o', 'paint-out.glb'], { stdout: new Capture(), stderr, cwd: dir });
    expect(code).toBe(EXIT.ok);
    expect(stderr.text).toContain('paint.glb → paint-out.glb');
    expect(await files()).toEqual(['paint-out.glb', 'paint.glb']);
  });
});

describe('kiln optimize: interrupted', () => {
  it('stops the files under way at their next step, starts no other, writes nothing, and exits 130', async () => {
    for (const name of ['a', 'b', 'c']) await writeFile(join(dir, `${name}.glb`), await toGlb(await pbrDocument(128, 128)));
    const controller = new AbortController();
    // Plain progress (not a TTY): the first finished texture of the first file interrupts.
    const stderr = new (class extends Capture {
      override write(chunk: string) {
        if (/texture \d+\/\d+/.test(chunk)) controller.abort(new Error('interrupted by SIGINT'));
        return super.write(chunk);
      }
    })();
    const stdout = new Capture();
    const code = await runCli(['optimize', '.', '-o', 'out', '--concurrency', '1', '--json'], { stdout, stderr, cwd: dir, signal: controller.signal });
    expect(code).toBe(EXIT.interrupted);
    expect(await files()).toEqual(['a.glb', 'b.glb', 'c.glb']); // no output, no temporary file
    const results = JSON.parse(stdout.text) as { input: string; ok: boolean; error: { code: string; message: string } }[];
    expect(results.map((r) => [r.input, r.ok, r.error.code])).toEqual([
      ['a.glb', false, 'aborted'],
      ['b.glb', false, 'aborted'],
      ['c.glb', false, 'aborted'],
    ]);
    expect(results[1]?.error.message).toBe('not started: interrupted');
    expect(stderr.text.trim().split('\n').at(-1)).toBe('kiln optimize: interrupted: 3 of 3 files not written');
  });
});

describe('the kiln binary', () => {
  it('exits with the code, keeps the KTX2 encoder noise out of stdout and prints clean JSON', async () => {
    await writeFile(join(dir, 'paint.glb'), await toGlb(await pbrDocument(32, 32)));
    await writeFile(join(dir, 'broken.glb'), new Uint8Array([103, 108, 84, 70, 2, 0, 0, 0, 0, 1, 0, 0]));
    const bin = join(root, 'packages', 'cli', 'src', 'bin.ts');
    const node = ['--import', tsx, '--conditions', 'source', bin];
    const ok = await run(process.execPath, [...node, 'optimize', 'paint.glb', '--textures', 'ktx2', '--json', '--quiet'], { cwd: dir });
    const [result] = JSON.parse(ok.stdout);
    expect(result.report.textureReports.map((t: { codec: string }) => t.codec).sort()).toEqual([
      'ktx2-etc1s',
      'ktx2-etc1s',
      'ktx2-uastc',
      'ktx2-uastc',
      'ktx2-uastc',
      'ktx2-uastc',
      'ktx2-uastc',
    ]);
    expect(ok.stderr).toBe('');
    const failed = await run(process.execPath, [...node, 'optimize', 'broken.glb'], { cwd: dir }).catch((e: { code: number; stdout: string; stderr: string }) => e);
    expect(failed).toMatchObject({ code: EXIT.failure, stdout: '' });
    expect((failed as { stderr: string }).stderr.trim().split('\n').at(-1)).toBe('kiln optimize: broken.glb: truncated GLB: the header declares 256 bytes, the file has 12 [truncated_glb]');
  });

  it('stops on Ctrl-C (SIGINT) without leaving a file behind, and exits 130', async () => {
    await writeFile(join(dir, 'paint.glb'), await toGlb(await pbrDocument(512, 512)));
    const bin = join(root, 'packages', 'cli', 'src', 'bin.ts');
    const child = execFile(process.execPath, ['--import', tsx, '--conditions', 'source', bin, 'optimize', 'paint.glb', '-o', 'out.glb'], { cwd: dir });
    let stderr = '';
    child.stderr?.on('data', (chunk: string) => {
      // Interrupted once the first texture is done: the model is half way through.
      if (!stderr.includes('texture ') && /texture \d+\/\d+/.test(chunk)) child.kill('SIGINT');
      stderr += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(EXIT.interrupted);
    expect(stderr).toContain('kiln: SIGINT: stopping after the steps under way');
    expect(stderr.trim().split('\n').at(-1)).toBe('kiln optimize: interrupted: 1 of 1 file not written');
    expect(await files()).toEqual(['paint.glb']);
  });

  // The published binary is one bundle (tsup.config.ts): its run-time dependencies (sharp,
  // draco3dgltf, three, the worker scripts of @kiln/optimize) must still be found from dist/.
  it('works as built: the bundled dist/bin.js finds sharp, Draco, the Basis transcoder and both worker scripts', async () => {
    const bin = join(root, 'packages', 'cli', 'dist', 'bin.js');
    await writeFile(join(dir, 'paint.glb'), await toGlb(await pbrDocument(32, 32)));
    // KTX2 (the encoder's worker pool, PSNR through three's Basis transcoder) and Draco, with debug lines.
    const ktx2 = await run(process.execPath, [bin, 'optimize', 'paint.glb', '-o', 'ktx2.glb', '--textures', 'ktx2', '--geometry', 'draco', '--json', '--verbose'], { cwd: dir });
    const [result] = JSON.parse(ktx2.stdout);
    expect(result.ok).toBe(true);
    expect(result.report.extensionsAfter).toEqual(expect.arrayContaining(['KHR_draco_mesh_compression', 'KHR_texture_basisu']));
    expect(result.report.textureReports.every((t: { psnr: number | null }) => typeof t.psnr === 'number' && t.psnr > 0)).toBe(true); // decoded back: measured
    expect(result.report.validation.after).toMatchObject({ errors: 0, warnings: 0 });
    expect(ktx2.stderr).not.toMatch(/main thread|cannot find|ERR_MODULE_NOT_FOUND/i);
    // Reading Draco back, WebP through sharp, the validator on its worker.
    const webp = await run(process.execPath, [bin, 'optimize', 'ktx2.glb', '-o', 'back.glb', '--textures', 'keep', '--verbose'], { cwd: dir });
    expect(webp.stderr).toContain('ktx2.glb → back.glb');
    expect(webp.stderr).not.toMatch(/main thread/);
    const plain = await run(process.execPath, [bin, 'optimize', 'paint.glb', '-o', 'webp.glb', '--json', '--quiet'], { cwd: dir });
    expect(JSON.parse(plain.stdout)[0].report.textureReports.map((t: { codec: string }) => t.codec)).toEqual(Array(7).fill('webp'));
  });
});
