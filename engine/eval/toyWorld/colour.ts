import { TOY_COLOURS, TOY_COLOUR_NAMES, type ToyColour } from './palette.ts';

export type Lab = [number, number, number];

const linear = (c: number): number => {
  const v = c / 255;
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
};
const f = (t: number): number => (t > 216 / 24389 ? Math.cbrt(t) : (t * 24389) / 27 / 116 + 16 / 116);

/** sRGB (D65) → CIELAB: colour names are judged by perceptual distance, not RGB distance. */
export function rgbToLab(r: number, g: number, b: number): Lab {
  const R = linear(r);
  const G = linear(g);
  const B = linear(b);
  const x = (0.4124564 * R + 0.3575761 * G + 0.1804375 * B) / 0.95047;
  const y = 0.2126729 * R + 0.7151522 * G + 0.072175 * B;
  const z = (0.0193339 * R + 0.119192 * G + 0.9503041 * B) / 1.08883;
  const fy = f(y);
  return [116 * fy - 16, 500 * (f(x) - fy), 200 * (fy - f(z))];
}

export function deltaE(a: Lab, b: Lab): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

/**
 * CIE94 difference of a sample from a reference colour, with the textile weighting (kL = 2).
 * Naming a colour is about hue and chroma far more than lightness: a paler, duller blue than
 * the palette's is still "blue" to a person, while ΔE76 would call it gray.
 */
export function deltaE94(ref: Lab, sample: Lab): number {
  const c1 = Math.hypot(ref[1], ref[2]);
  const c2 = Math.hypot(sample[1], sample[2]);
  const dL = ref[0] - sample[0];
  const dC = c1 - c2;
  const dH2 = Math.max(0, (ref[1] - sample[1]) ** 2 + (ref[2] - sample[2]) ** 2 - dC * dC);
  const sC = 1 + 0.048 * c1;
  const sH = 1 + 0.014 * c1;
  return Math.sqrt((dL / 2) ** 2 + (dC / sC) ** 2 + dH2 / (sH * sH));
}

/** A palette colour in CIELAB. */
export function paletteLab(name: ToyColour): Lab {
  const [r, g, b] = TOY_COLOURS[name];
  return rgbToLab(r, g, b);
}

const PALETTE_LAB = TOY_COLOUR_NAMES.map((name) => ({ name, lab: paletteLab(name) }));

/** The palette colour a person would name: nearest by CIE94 (kL = 2), with that distance. */
export function nearestColour(lab: Lab): { name: ToyColour; distance: number } {
  let best = PALETTE_LAB[0];
  let bestD = Infinity;
  for (const c of PALETTE_LAB) {
    const d = deltaE94(c.lab, lab);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return { name: best.name, distance: bestD };
}

/** Component-wise median of Lab samples: robust to anti-aliased edges and texture. */
export function medianLab(samples: readonly Lab[]): Lab {
  const med = (i: number) => {
    const v = samples.map((s) => s[i]).sort((a, b) => a - b);
    return v[v.length >> 1];
  };
  return [med(0), med(1), med(2)];
}
