import { KHR_DF_MODEL_ETC1S, KHR_DF_MODEL_UASTC, KHR_DF_TRANSFER_SRGB, KHR_SUPERCOMPRESSION_BASISLZ, KHR_SUPERCOMPRESSION_ZSTD, read } from 'ktx-parse';

/** Header fields of a KTX2 file that matter for glTF (KHR_texture_basisu). */
export interface Ktx2Info {
  width: number;
  height: number;
  /** Mip levels in the file. */
  levels: number;
  /** Basis Universal mode from the data format descriptor's colour model. */
  colorModel: 'ETC1S' | 'UASTC' | 'other';
  /** Transfer function of the data format descriptor. */
  transfer: 'srgb' | 'linear';
  supercompression: 'BasisLZ' | 'Zstandard' | 'none' | 'other';
  /** 0 (VK_FORMAT_UNDEFINED) for Basis Universal. */
  vkFormat: number;
}

/** Reads the header of a KTX2 file. Throws on anything that is not KTX2. */
export function readKtx2Info(bytes: Uint8Array): Ktx2Info {
  const container = read(bytes);
  const dfd = container.dataFormatDescriptor[0];
  const model = dfd?.colorModel;
  const scheme = container.supercompressionScheme;
  return {
    width: container.pixelWidth,
    height: container.pixelHeight,
    levels: container.levels.length,
    colorModel: model === KHR_DF_MODEL_ETC1S ? 'ETC1S' : model === KHR_DF_MODEL_UASTC ? 'UASTC' : 'other',
    transfer: dfd?.transferFunction === KHR_DF_TRANSFER_SRGB ? 'srgb' : 'linear',
    supercompression: scheme === KHR_SUPERCOMPRESSION_BASISLZ ? 'BasisLZ' : scheme === KHR_SUPERCOMPRESSION_ZSTD ? 'Zstandard' : scheme === 0 ? 'none' : 'other',
    vkFormat: container.vkFormat,
  };
}
