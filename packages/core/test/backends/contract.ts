// The GenerationBackend contract: every backend (ComfyUI, HTTP task, synchronous HTTP, in-process,
// procedural) must pass it. Backend-specific behaviour is tested beside it, in each backend's file.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendError, type BackendOutput, type GenerationBackend, type RemoteStatus, type SubmitRequest } from '../../src/backend.js';

/** What a contract run needs from a backend's test file. */
export interface BackendContractSubject {
  backend: GenerationBackend;
  /** A request the backend completes successfully; `attemptId` must be fresh per call. */
  request(): SubmitRequest;
  /** A request the backend refuses as `input_invalid`, if it can be provoked. */
  invalidRequest?(): SubmitRequest;
  /** A request that stays queued or running until `cancel()`, if the backend can cancel. */
  slowRequest?(): SubmitRequest;
  /** An id the backend never issued, in the backend's id format. Default: a random UUID. */
  unknownId?(): string;
  /** Stops servers and the backend. */
  cleanup?(): Promise<void>;
}

export interface BackendContractOptions {
  /** Poll interval while waiting for a terminal state. Default 10 ms. */
  pollIntervalMs?: number;
}

const TERMINAL: readonly RemoteStatus['state'][] = ['succeeded', 'failed', 'canceled'];
const KINDS = ['input_invalid', 'auth', 'rate_requests', 'rate_concurrency', 'transient', 'fatal'];

/** Submits and waits for a terminal state: the outputs of a synchronous backend come with submit. */
async function run(
  backend: GenerationBackend,
  request: SubmitRequest,
  pollIntervalMs: number,
  seen: RemoteStatus[] = [],
): Promise<{ remoteId: string; status: RemoteStatus; outputs: BackendOutput[] | undefined }> {
  const submitted = await backend.submit(request);
  if (backend.capabilities.synchronous) {
    return { remoteId: submitted.remoteId, status: await backend.status(submitted.remoteId), outputs: submitted.outputs };
  }
  for (;;) {
    const status = await backend.status(submitted.remoteId);
    seen.push(status);
    if (TERMINAL.includes(status.state) || status.state === 'unknown') return { remoteId: submitted.remoteId, status, outputs: undefined };
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
  }
}

async function bytes(output: BackendOutput): Promise<Uint8Array> {
  return typeof output.data === 'function' ? output.data() : output.data;
}

/**
 * Registers the contract suite for one backend. `make` runs once (in `beforeAll`); its
 * `cleanup` runs in `afterAll`.
 *
 * @example
 * testGenerationBackend('procedural', async () => ({ backend: proceduralBackend(), request: () => makeRequest() }));
 */
export function testGenerationBackend(
  label: string,
  make: () => BackendContractSubject | Promise<BackendContractSubject>,
  options: BackendContractOptions = {},
): void {
  const pollIntervalMs = options.pollIntervalMs ?? 10;

  describe(`GenerationBackend contract: ${label}`, () => {
    let subject: BackendContractSubject;
    let backend: GenerationBackend;

    beforeAll(async () => {
      subject = await make();
      backend = subject.backend;
    });
    afterAll(async () => {
      await subject?.cleanup?.();
    });

    it('has a name and boolean capabilities consistent with its methods', () => {
      expect(typeof backend.name).toBe('string');
      expect(backend.name.length).toBeGreaterThan(0);
      const { idempotentSubmit, push, cancel, synchronous } = backend.capabilities;
      for (const flag of [idempotentSubmit, push, cancel, synchronous]) expect(typeof flag).toBe('boolean');
      if (push) expect(typeof backend.subscribe).toBe('function');
      if (cancel) expect(typeof backend.cancel).toBe('function');
    });

    it('runs a request to success and returns non-empty outputs', async () => {
      const seen: RemoteStatus[] = [];
      const result = await run(backend, subject.request(), pollIntervalMs, seen);
      expect(result.remoteId).toEqual(expect.any(String));
      expect(result.remoteId.length).toBeGreaterThan(0);
      expect(result.status.state).toBe('succeeded');
      for (const status of seen) {
        if (status.progress !== undefined) {
          expect(status.progress).toBeGreaterThanOrEqual(0);
          expect(status.progress).toBeLessThanOrEqual(1);
        }
      }
      const outputs = result.outputs ?? (await backend.outputs(result.remoteId));
      expect(outputs.length).toBeGreaterThan(0);
      for (const output of outputs) {
        expect(output.filename).toMatch(/\S/);
        expect(output.contentType).toMatch(/^[\w.+-]+\/[\w.+-]+/);
        expect((await bytes(output)).byteLength).toBeGreaterThan(0);
      }
    });

    it('keeps a terminal state terminal', async () => {
      const { remoteId, status } = await run(backend, subject.request(), pollIntervalMs);
      expect(TERMINAL).toContain(status.state);
      expect((await backend.status(remoteId)).state).toBe(status.state);
      expect((await backend.status(remoteId)).state).toBe(status.state);
    });

    it('reports an id it never issued as unknown', async () => {
      const id = subject.unknownId?.() ?? randomUUID();
      expect((await backend.status(id)).state).toBe('unknown');
    });

    it('pushes a terminal status to subscribers when it can push', async (context) => {
      if (!backend.capabilities.push || !backend.subscribe || backend.capabilities.synchronous) return context.skip();
      const subscribe = backend.subscribe.bind(backend);
      const { remoteId } = await backend.submit(subject.request());
      const status = await new Promise<RemoteStatus>((resolve) => {
        const stop = subscribe(remoteId, (next) => {
          if (TERMINAL.includes(next.state)) {
            stop();
            resolve(next);
          }
        });
      });
      expect(status.state).toBe('succeeded');
    });

    it('does not run an attempt twice when it claims idempotent submit', async (context) => {
      if (!backend.capabilities.idempotentSubmit) return context.skip();
      const request = subject.request();
      const first = await backend.submit(request);
      const second = await backend.submit({ ...request });
      expect(second.remoteId).toBe(first.remoteId);
    });

    it('reconciles the tasks it is given, one entry each', async (context) => {
      if (!backend.reconcile) return context.skip();
      const done = await run(backend, subject.request(), pollIntervalMs);
      const unknownId = subject.unknownId?.() ?? randomUUID();
      const result = await backend.reconcile([
        { remoteId: done.remoteId, attemptId: 'a' },
        { remoteId: unknownId, attemptId: 'b' },
      ]);
      expect(result.get(done.remoteId)?.state).toBe('succeeded');
      expect(result.get(unknownId)?.state).toBe('unknown');
    });

    it('refuses an invalid request as input_invalid', async (context) => {
      if (!subject.invalidRequest) return context.skip();
      const error = await backend.submit(subject.invalidRequest()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(BackendError);
      expect((error as BackendError).kind).toBe('input_invalid');
      expect(backend.classify?.(error) ?? 'input_invalid').toBe('input_invalid');
    });

    it('classifies its own errors by kind and anything else as one of the kinds', () => {
      if (!backend.classify) return;
      expect(backend.classify(new BackendError('rate_concurrency', 'busy'))).toBe('rate_concurrency');
      expect(KINDS).toContain(backend.classify(new TypeError('fetch failed')));
      expect(KINDS).toContain(backend.classify('a string'));
    });

    it('cancels a slow request: it ends canceled (or finished first), never stuck', async (context) => {
      if (!backend.capabilities.cancel || !backend.cancel || !subject.slowRequest) return context.skip();
      const { remoteId } = await backend.submit(subject.slowRequest());
      await backend.cancel(remoteId);
      for (;;) {
        const status = await backend.status(remoteId);
        if (TERMINAL.includes(status.state)) {
          expect(['canceled', 'succeeded']).toContain(status.state);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
      }
    });

    it('reports health as { ok: boolean }', async (context) => {
      if (!backend.health) return context.skip();
      const health = await backend.health();
      expect(typeof health.ok).toBe('boolean');
      expect(health.ok).toBe(true);
    });
  });
}
