import { BackendError, type GenerationBackend } from '@kiln/core';

/**
 * A minimal GenerationBackend for the crash harness's task server: POST /tasks (idempotent by
 * attempt id), GET /tasks/:id, GET /tasks/:id/output.
 */
export function harnessBackend(baseUrl: string): GenerationBackend {
  const call = async (path: string, init?: RequestInit) => {
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${path}`, init);
    } catch (error) {
      throw new BackendError('transient', `harness: ${String(error)}`, { cause: error });
    }
    if (response.status === 404) return undefined;
    if (!response.ok) throw new BackendError('transient', `harness: HTTP ${response.status}`);
    return response;
  };
  return {
    name: 'harness',
    capabilities: { idempotentSubmit: true, push: false, cancel: false, synchronous: false },
    async submit(request) {
      const response = await call('/tasks', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': request.attemptId },
        body: JSON.stringify({ attemptId: request.attemptId, key: request.idempotencyKey, stepId: request.stepId }),
      });
      const { id } = (await response!.json()) as { id: string };
      return { remoteId: id };
    },
    async status(remoteId) {
      const response = await call(`/tasks/${remoteId}`);
      if (!response) return { state: 'unknown' };
      return (await response.json()) as { state: 'running' | 'succeeded' };
    },
    async outputs(remoteId) {
      const response = await call(`/tasks/${remoteId}/output`);
      if (!response) throw new BackendError('transient', `harness: no output for ${remoteId}`);
      return [{ filename: 'out.png', contentType: 'image/png', data: new Uint8Array(await response.arrayBuffer()) }];
    },
  };
}
