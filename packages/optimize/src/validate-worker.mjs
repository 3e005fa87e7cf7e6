// glTF validation worker (worker_threads): runs the Khronos glTF Validator off the main thread,
// so that optimize() reads, cleans up and encodes textures while the input is being validated
// (the validator is synchronous JavaScript: 100-200 ms per model on the main thread otherwise).
// Plain JavaScript so that Node runs it from the sources as well as from dist/ (tsup copies it to
// dist/validate-worker.js). validator-thread.ts sends the bytes and the .gltf's resources, and
// receives the validator's messages; validate.ts turns them into a summary.
import { parentPort } from 'node:worker_threads';

/** @type {Promise<any> | undefined} */
let validatorModule;

parentPort?.on('message', async (/** @type {any} */ message) => {
  const { id, bytes, uri, resources } = message;
  try {
    validatorModule ??= import('gltf-validator');
    const validator = await validatorModule;
    // The same call as runValidator() in validate.ts makes.
    const report = await validator.validateBytes(bytes, {
      uri,
      maxIssues: 0,
      writeTimestamp: false,
      externalResourceFunction: async (/** @type {string} */ resource) => {
        const data = resources[resource] ?? resources[decodeURIComponent(resource)];
        if (!data) throw new Error(`missing resource ${resource}`);
        return data;
      },
    });
    const messages = report.issues.messages.map((/** @type {any} */ m) => ({ code: m.code, message: m.message, severity: m.severity, ...(m.pointer ? { pointer: m.pointer } : {}) }));
    parentPort?.postMessage({ id, ok: true, messages });
  } catch (error) {
    parentPort?.postMessage({ id, ok: false, message: error instanceof Error ? error.message : String(error) });
  }
});
