/**
 * A download progress report. `loaded` counts the bytes received so far (after any transport
 * decompression, so they are the asset's real bytes).
 */
export interface KilnProgress {
  /** Bytes received, never decreasing (a retried download reports again once it passes this). */
  loaded: number;
  /**
   * Expected size: the manifest's `bytes` for assets, else the `Content-Length` when it can be
   * trusted (it is dropped once more bytes than it arrive: it was the compressed length).
   * `undefined` when unknown.
   */
  total: number | undefined;
  /**
   * `loaded / total` in [0, 1], never decreasing, `undefined` while the size is unknown. The
   * last report of a download always has `fraction: 1` and `loaded === total`.
   */
  fraction: number | undefined;
}

/** Receives {@link KilnProgress} reports. */
export type KilnProgressCallback = (progress: KilnProgress) => void;

/**
 * Turns raw (loaded, total) readings of one or more download attempts into monotonic reports
 * that end at 100%, and fans them out to every caller sharing the download. @internal
 */
export class ProgressTracker {
  private last: KilnProgress | undefined;
  private readonly listeners = new Set<KilnProgressCallback>();

  /** Adds a listener; it receives the latest report at once. Returns the unsubscribe function. */
  subscribe(listener: KilnProgressCallback): () => void {
    this.listeners.add(listener);
    if (this.last !== undefined) safeCall(listener, this.last);
    return () => this.listeners.delete(listener);
  }

  /** A raw reading of the current attempt. */
  update(loaded: number, total: number | undefined): void {
    const last = this.last;
    if (last !== undefined && loaded <= last.loaded) return;
    const trusted = total !== undefined && total > 0 && loaded <= total ? total : undefined;
    let fraction = trusted === undefined ? undefined : loaded / trusted;
    if (last?.fraction !== undefined && (fraction === undefined || fraction < last.fraction)) fraction = last.fraction;
    this.emit({ loaded, total: trusted, fraction });
  }

  /** The download is complete with `loaded` bytes: the final report (fraction 1). */
  finish(loaded: number): void {
    this.emit({ loaded, total: loaded, fraction: 1 });
  }

  private emit(progress: KilnProgress): void {
    this.last = progress;
    for (const listener of this.listeners) safeCall(listener, progress);
  }
}

function safeCall(listener: KilnProgressCallback, progress: KilnProgress): void {
  try {
    listener({ ...progress });
  } catch {
    // A throwing progress callback must not break the download other callers share.
  }
}
