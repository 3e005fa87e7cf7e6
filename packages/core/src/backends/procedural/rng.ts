import { createHash } from 'node:crypto';

/** A seeded PRNG (mulberry32): the same seed gives the same sequence on every machine. @internal */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit seed from a seed and text (the prompt). @internal */
export function mixSeed(seed: number, text: string): number {
  return createHash('sha256').update(`${seed}:${text}`).digest().readUInt32BE(0);
}

const NAMED: Record<string, [number, number, number]> = {
  red: [200, 40, 40],
  crimson: [170, 20, 50],
  orange: [235, 130, 30],
  yellow: [235, 205, 50],
  gold: [212, 175, 55],
  green: [60, 160, 70],
  teal: [30, 140, 140],
  cyan: [40, 200, 220],
  blue: [50, 90, 200],
  navy: [25, 35, 100],
  purple: [130, 60, 170],
  violet: [150, 90, 210],
  pink: [230, 120, 170],
  brown: [120, 80, 45],
  wooden: [140, 95, 55],
  wood: [140, 95, 55],
  stone: [130, 130, 125],
  gray: [128, 128, 128],
  grey: [128, 128, 128],
  white: [235, 235, 235],
  black: [25, 25, 30],
  silver: [190, 195, 200],
  iron: [95, 100, 105],
  fire: [240, 90, 20],
  ice: [170, 220, 245],
  grass: [80, 170, 60],
  sand: [220, 195, 140],
};

/**
 * The palette a prompt asks for: `#RRGGBB` colours first (locked style colours), then colour
 * words, then colours drawn from the seed, 4 in all. @internal
 */
export function promptPalette(prompt: string, random: () => number): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (const match of prompt.matchAll(/#([0-9a-f]{6})\b/gi)) {
    const hex = parseInt(match[1] as string, 16);
    out.push([(hex >> 16) & 255, (hex >> 8) & 255, hex & 255]);
  }
  for (const word of prompt.toLowerCase().split(/[^a-z]+/)) {
    const colour = NAMED[word];
    if (colour && !out.some((c) => c.join() === colour.join())) out.push(colour);
  }
  while (out.length < 4) {
    const h = random() * 360;
    out.push(hsl(h, 0.45 + random() * 0.4, 0.35 + random() * 0.35));
  }
  return out.slice(0, 4);
}

function hsl(h: number, s: number, l: number): [number, number, number] {
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const x = c * (1 - Math.abs(((h / 60) % 2) - 1));
  const m = l - c / 2;
  const [r, g, b] = h < 60 ? [c, x, 0] : h < 120 ? [x, c, 0] : h < 180 ? [0, c, x] : h < 240 ? [0, x, c] : h < 300 ? [x, 0, c] : [c, 0, x];
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}
