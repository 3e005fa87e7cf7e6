/** The part of gltf-validator's API the tests use (the package ships no types). */
interface GltfValidator {
  validateBytes(data: Uint8Array, options: { maxIssues: number; writeTimestamp: boolean }): Promise<{ issues: { numErrors: number; messages: { code: string; message: string; severity: number; pointer?: string }[] } }>;
}
const VALIDATOR: string = 'gltf-validator';

/** Khronos validator errors of a GLB (empty when valid). */
export async function gltfErrors(bytes: Uint8Array): Promise<string[]> {
  const validator = (await import(VALIDATOR)) as GltfValidator;
  const report = await validator.validateBytes(bytes, { maxIssues: 0, writeTimestamp: false });
  return report.issues.messages.filter((m) => m.severity === 0).map((m) => `${m.code} ${m.pointer ?? ''}: ${m.message}`);
}
