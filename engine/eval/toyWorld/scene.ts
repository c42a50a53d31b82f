import type { RgbImage } from './analyse.ts';
import { TOY_COLOURS, TOY_RESOLUTION, type ToyColour, type ToyShape } from './palette.ts';

/** One shape as `toyworld.py` places it: centre and half-extent r in pixels. */
export interface SceneShape {
  shape: ToyShape;
  colour: ToyColour;
  cx: number;
  cy: number;
  r: number;
}

/** Whether the point (x, y) lies inside the shape, with toyworld.py's proportions. */
export function covers(o: SceneShape, x: number, y: number): boolean {
  const dx = x - o.cx;
  const dy = y - o.cy;
  switch (o.shape) {
    case 'circle':
      return dx * dx + dy * dy <= o.r * o.r;
    case 'square':
      return Math.abs(dx) <= o.r * 0.9 && Math.abs(dy) <= o.r * 0.9;
    case 'diamond':
      return Math.abs(dx) + Math.abs(dy) <= o.r * 1.15;
    case 'triangle': {
      // Upright equilateral with its centroid at (cx, cy).
      const r = o.r * 1.2;
      if (dy > r * 0.5 || dy < -r) return false;
      return Math.abs(dx) <= ((dy + r) / (1.5 * r)) * r * 0.866;
    }
  }
}

const SUPERSAMPLE = 4;

/**
 * A plain-background toy-world image drawn the way the training data is (shapes
 * anti-aliased by 4×4 supersampling, later shapes on top), so a reference image for an
 * image prompt or a style transfer looks like what the model was trained on.
 */
export function renderScene(background: ToyColour, shapes: readonly SceneShape[], size = TOY_RESOLUTION): RgbImage {
  const data = new Uint8Array(size * size * 3);
  const bg = TOY_COLOURS[background];
  const n = SUPERSAMPLE * SUPERSAMPLE;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const sum = [0, 0, 0];
      for (let sy = 0; sy < SUPERSAMPLE; sy++) {
        for (let sx = 0; sx < SUPERSAMPLE; sx++) {
          const px = x + (sx + 0.5) / SUPERSAMPLE;
          const py = y + (sy + 0.5) / SUPERSAMPLE;
          let rgb: readonly number[] = bg;
          for (const o of shapes) if (covers(o, px, py)) rgb = TOY_COLOURS[o.colour];
          for (let c = 0; c < 3; c++) sum[c] += rgb[c];
        }
      }
      for (let c = 0; c < 3; c++) data[(y * size + x) * 3 + c] = Math.round(sum[c] / n);
    }
  }
  return { data, width: size, height: size };
}
