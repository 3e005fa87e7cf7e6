import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { optimize } from '../src/index.js';
import { validateGltf } from '../src/validate.js';
import { startValidatorThread } from '../src/validator-thread.js';
import { cubeDocument, pbrDocument, toGlb, toGltfFiles } from './helpers/fixtures.js';

/** A cube whose node rotation is not a unit quaternion: one validator error. */
async function invalidGlb(): Promise<Uint8Array> {
  const doc = cubeDocument();
  doc.getRoot().listNodes()[0]?.setRotation([0, 0, 0, 2]);
  return toGlb(doc);
}

function recordingLogger() {
  const debug: string[] = [];
  return { debug, logger: { debug: (m: string) => debug.push(m), info: () => {}, warn: () => {} } };
}

describe('validation on a worker thread', () => {
  it('reports exactly what the validator reports on the calling thread: errors, a .gltf with its resources, a missing resource', async () => {
    const { debug, logger } = recordingLogger();
    const thread = startValidatorThread(logger);
    try {
      const invalid = await invalidGlb();
      const files = await toGltfFiles(await pbrDocument(32, 32));
      const [missingName] = Object.keys(files.resources);
      const missing = { ...files.resources };
      delete missing[missingName as string];
      const cases: [Uint8Array, { uri: string; resources?: Record<string, Uint8Array> }][] = [
        [invalid, { uri: 'invalid.glb' }],
        [files.gltf, { uri: 'model.gltf', resources: files.resources }],
        [files.gltf, { uri: 'model.gltf', resources: missing }],
      ];
      for (const [bytes, options] of cases) {
        const [inWorker, here] = await Promise.all([thread.validate(bytes, options), validateGltf(bytes, options)]);
        expect(inWorker).toEqual(here);
      }
      expect((await thread.validate(invalid)).errors).toBe(1);
      expect((await thread.validate(files.gltf, { resources: missing })).errors).toBeGreaterThan(0);
      expect((await thread.validate(files.gltf, { resources: files.resources })).errors).toBe(0);
      expect(debug).toEqual([]); // the worker ran every validation: no fallback to this thread
    } finally {
      await thread.dispose();
    }
  });

  it('falls back to the calling thread, with a debug line, when the worker script cannot run', async () => {
    const { debug, logger } = recordingLogger();
    const thread = startValidatorThread(logger, pathToFileURL('/nonexistent/validate-worker.js'));
    try {
      const invalid = await invalidGlb();
      expect(await thread.validate(invalid, { uri: 'invalid.glb' })).toEqual(await validateGltf(invalid, { uri: 'invalid.glb' }));
      expect(debug.some((line) => line.startsWith('validator worker:') && line.includes('main thread'))).toBe(true);
    } finally {
      await thread.dispose();
    }
  });

  it('validates nothing once disposed (no fallback to this thread), and optimize() reports the input issues it kept', async () => {
    const { debug, logger } = recordingLogger();
    const thread = startValidatorThread(logger);
    const glb = await invalidGlb();
    const pending = expect(thread.validate(glb)).rejects.toThrow('the validator was disposed'); // handled before dispose rejects it
    await thread.dispose();
    await pending;
    await expect(thread.validate(await invalidGlb())).rejects.toThrow('the validator was disposed');
    expect(debug).toEqual([]);

    const { report } = await optimize(await invalidGlb(), { validate: 'error' });
    expect(report.validation.before?.codes['VALUE_NOT_IN_RANGE']).toEqual({ severity: 'error', count: 1 });
    expect(report.validation.added).toEqual([]);
    expect(report.stages.find((s) => s.stage === 'validate-input')).toMatchObject({ triangles: 0 });
  });
});
