import { KilnLoadError } from './errors.js';

/** Throws the `aborted` error when `signal` has fired. @internal */
export function throwIfAborted(signal: AbortSignal | undefined, label: string): void {
  if (signal?.aborted) throw abortedError(signal, label);
}

/** The `aborted` error of an operation. @internal */
export function abortedError(signal: AbortSignal | undefined, label: string): KilnLoadError {
  return new KilnLoadError('aborted', `${label}: aborted`, { cause: signal?.reason });
}

/**
 * Settles like `promise`, or rejects with the `aborted` error as soon as `signal` fires. The work
 * behind `promise` goes on: use this to stop *waiting* for shared work (a decoder download, a
 * request other callers still want). @internal
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined, label: string): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(abortedError(signal, label));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortedError(signal, label));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Waits `ms`, or rejects with the `aborted` error when `signal` fires first. @internal */
export function delay(ms: number, signal: AbortSignal | undefined, label: string): Promise<void> {
  return raceAbort(
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal?.addEventListener('abort', () => clearTimeout(timer), { once: true });
    }),
    signal,
    label,
  );
}
