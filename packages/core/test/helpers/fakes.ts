import { functionBackend, type BackendOutput, type FunctionBackendOptions, type GenerationBackend, type Logger, type PipelineDefinition, type RemoteStatus } from '@kiln/core';

/** A PNG header with the given size: enough for `imageSize()` and ratings. */
export function fakePng(width: number, height: number, salt = 0): Uint8Array {
  const bytes = new Uint8Array(33 + 4);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const view = new DataView(bytes.buffer);
  view.setUint32(16, width);
  view.setUint32(20, height);
  view.setUint32(33, salt);
  return bytes;
}

/** An output the function backends return. */
export function pngOutput(width = 512, height = 512, salt = 0): BackendOutput {
  return { filename: 'out.png', contentType: 'image/png', data: fakePng(width, height, salt) };
}

/** A function backend returning a fake PNG whose content depends on the prompt and seed. */
export function echoBackend(options: Partial<FunctionBackendOptions> = {}) {
  return functionBackend({
    name: 'echo',
    run: ({ params, inputs }) => [pngOutput(512, 512, ((params['seed'] as number) ^ inputs.length ^ String(params['prompt']).length) >>> 0)],
    ...options,
  });
}

/** A logger that records lines (tests must not print). */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

export const request = {
  project_id: 'td',
  asset_type: 'PROP',
  prompt: { core_concept: 'wooden crate', style: 'low poly', details: 'iron bands' },
  constraints: { platform: 'PC', rig_type: 'STATIC' },
  name: 'crate',
} as const;

/** A chain of `names` on backend `backend`, none rated. */
export function chain(names: string[], backend = 'echo', extra: Partial<PipelineDefinition['steps'][number]> = {}): PipelineDefinition {
  return { name: 'chain', steps: names.map((name, i) => ({ name, operation: `op_${name}`, backend, rate: false, ...(i > 0 ? { dependsOn: [names[i - 1]!] } : {}), ...extra })) };
}

/** Polls `check` until it holds. */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('waitUntil: timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * A remote (polled) backend that plays a script: submission `n` walks through `scripts[n]` one
 * status per `status()` call and stays on the last. Records the attempt ids it was sent.
 */
export function scriptedBackend(name: string, scripts: RemoteStatus[][]): GenerationBackend & { attemptIds: string[] } {
  const cursors = new Map<string, { script: RemoteStatus[]; at: number }>();
  const attemptIds: string[] = [];
  return {
    name,
    attemptIds,
    capabilities: { idempotentSubmit: false, push: false, cancel: false, synchronous: false },
    async submit(request) {
      const script = scripts[attemptIds.length] ?? scripts.at(-1) ?? [{ state: 'succeeded' }];
      attemptIds.push(request.attemptId);
      const remoteId = `${name}-${attemptIds.length}`;
      cursors.set(remoteId, { script, at: 0 });
      return { remoteId };
    },
    async status(remoteId) {
      const cursor = cursors.get(remoteId);
      if (!cursor) return { state: 'unknown' };
      const status = cursor.script[Math.min(cursor.at, cursor.script.length - 1)]!;
      cursor.at++;
      return status;
    },
    async outputs() {
      return [pngOutput(512, 512, attemptIds.length)];
    },
  };
}
