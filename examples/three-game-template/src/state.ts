// What the page tells tests and scripts: `window.__kiln`, filled in as assets load. The demo's
// `--headless` mode and the template test wait for `done` and read `loaded` and `failed`.

/** The load results of the page. */
export interface ViewerState {
  manifestUrl: string;
  /** Ids of the manifest assets the page shows (models and the environment map). */
  expected: string[];
  /** Ids loaded, every LOD level included. */
  loaded: string[];
  failed: { id: string; code: string; message: string }[];
  /** LOD levels loaded per asset. */
  levels: Record<string, number[]>;
  /** Where the environment map came from. */
  environment: 'manifest' | 'generated' | undefined;
  /** Milliseconds from navigation start: loader ready, first model on screen, everything in. */
  timings: { preload?: number; firstModel?: number; done?: number };
  /** A failure that stopped the whole page (the manifest could not be read). */
  error: string | undefined;
  done: boolean;
}

declare global {
  interface Window {
    __kiln: ViewerState;
  }
}

export function createViewerState(manifestUrl: string): ViewerState {
  const state: ViewerState = { manifestUrl, expected: [], loaded: [], failed: [], levels: {}, environment: undefined, timings: {}, error: undefined, done: false };
  window.__kiln = state;
  return state;
}
