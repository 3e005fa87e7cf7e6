/** Stage names of the pipeline, in order. LOD stages are named `lod1`, `lod2`, …. */
export type OptimizeStage =
  | 'read'
  | 'validate-input'
  | 'dedup'
  | 'flatten'
  | 'prune'
  | 'weld'
  | 'resample'
  | 'budget'
  | 'textures'
  | 'geometry'
  | 'write'
  | 'validate-output'
  | `lod${number}`;

/** A progress event of one `optimize` call. */
export type OptimizeProgress =
  | { type: 'stage'; stage: OptimizeStage; state: 'start' | 'end'; ms?: number }
  | { type: 'texture'; index: number; total: number; name: string; state: 'start' | 'end' };
