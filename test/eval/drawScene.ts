import { TOY_COLOURS, type ToyColour, type ToyShape } from '../../engine/eval/toyWorld/palette.ts';
import type { RgbImage } from '../../engine/eval/toyWorld/analyse.ts';

export interface DrawnObject {
  shape: ToyShape;
  colour: ToyColour;
  cx: number;
  cy: number;
  r: number;
}

function inside(o: DrawnObject, x: number, y: number): boolean {
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
      // Upright equilateral with its centroid at (cx, cy), as toyworld.py draws it.
      const r = o.r * 1.2;
      if (dy > r * 0.5 || dy < -r) return false;
      const half = ((dy + r) / (1.5 * r)) * r * 0.866;
      return Math.abs(dx) <= half;
    }
  }
}

/** A toy-world-like scene with optional per-pixel noise, for testing the analyser. */
export function drawScene(background: ToyColour, objects: DrawnObject[], noise = 0, size = 64, seed = 1): RgbImage {
  const data = new Uint8Array(size * size * 3);
  let s = seed;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const hit = objects.find((o) => inside(o, x + 0.5, y + 0.5));
      const rgb = TOY_COLOURS[hit ? hit.colour : background];
      const n = noise * rand();
      for (let c = 0; c < 3; c++) data[(y * size + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(rgb[c] + n)));
    }
  }
  return { data, width: size, height: size };
}
