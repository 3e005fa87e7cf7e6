/** Files copied, relative to three's examples/jsm/libs/ → relative to decoders/. */
export declare const DECODER_SOURCES: Readonly<Record<string, string>>;
/** Files the loader fetches, each also written as `<file>.gz`. */
export declare const GZIPPED: readonly string[];
/** Copies the decoders into `outDir` (default: this package's decoders/) and returns VERSIONS.json's content. */
export declare function copyDecoders(outDir?: string): {
  three: string;
  files: Record<string, { bytes: number; sha256: string; from: string; gzip?: { bytes: number; sha256: string } }>;
};
