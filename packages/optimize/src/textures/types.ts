/** Basis Universal settings of one KTX2 encode (a subset of ktx2-encoder's options). */
export interface Ktx2EncodeSettings {
  /** UASTC (data maps) or ETC1S (colour). */
  uastc: boolean;
  /** sRGB transfer function in the KTX2 data format descriptor, and perceptual error metrics. */
  srgb: boolean;
  /** Normal-map tuning. */
  normalMap: boolean;
  mipmaps: boolean;
  /** ETC1S quality 1-255. */
  etc1sQuality: number;
  /** ETC1S effort 0-6. */
  etc1sEffort: number;
  /** UASTC quality 0-3. */
  uastcQuality: number;
  /** Zstandard supercompression (UASTC). */
  zstd: boolean;
  /** UASTC rate-distortion optimisation. */
  rdo: boolean;
}

/** One image to encode: raw RGBA, 8 bits per channel, top row first. */
export interface Ktx2EncodeJob {
  rgba: Uint8Array;
  width: number;
  height: number;
  settings: Ktx2EncodeSettings;
  /** Label for messages. */
  label?: string;
}

/** Encodes images to KTX2. {@link createKtx2Pool} is the default; inject another to share one. */
export interface Ktx2Encoder {
  encode(job: Ktx2EncodeJob): Promise<Uint8Array>;
}

/** Decodes the base level of a KTX2 file to RGBA (for PSNR). */
export interface Ktx2Decoder {
  decode(ktx2: Uint8Array): Promise<{ width: number; height: number; rgba: Uint8Array }>;
}
