// Is a screenshot blank? Decodes the PNG (sharp, through @kiln/core) and measures it.
import { readFile } from 'node:fs/promises';
import { decodeImage } from '@kiln/core';

/**
 * Distinct colours (RGB, sampled on every pixel) and the standard deviation of luminance. A
 * blank or single-colour page has a handful of colours and a deviation near 0.
 */
export async function screenshotStats(path) {
  const { width, height, data } = await decodeImage(await readFile(path));
  const colours = new Set();
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < data.length; i += 4) {
    colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    const y = 0.2126 * data[i] + 0.7152 * data[i + 1] + 0.0722 * data[i + 2];
    sum += y;
    squares += y * y;
  }
  const n = width * height;
  const deviation = Math.sqrt(Math.max(0, squares / n - (sum / n) ** 2));
  return { width, height, colours: colours.size, deviation: Math.round(deviation * 10) / 10 };
}

/** Thresholds a drawn scene passes easily and a blank, cleared or error page does not. */
export const NOT_BLANK = { colours: 256, deviation: 8 };

export const isBlank = (stats) => stats.colours < NOT_BLANK.colours || stats.deviation < NOT_BLANK.deviation;
