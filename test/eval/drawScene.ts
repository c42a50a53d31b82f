import { TOY_COLOURS, type ToyColour } from '../../engine/eval/toyWorld/palette.ts';
import type { RgbImage } from '../../engine/eval/toyWorld/analyse.ts';
import { covers, type SceneShape } from '../../engine/eval/toyWorld/scene.ts';

export type DrawnObject = SceneShape;

/** A toy-world-like scene with optional per-pixel noise, for testing the analyser. */
export function drawScene(background: ToyColour, objects: DrawnObject[], noise = 0, size = 64, seed = 1): RgbImage {
  const data = new Uint8Array(size * size * 3);
  let s = seed;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const hit = objects.find((o) => covers(o, x + 0.5, y + 0.5));
      const rgb = TOY_COLOURS[hit ? hit.colour : background];
      const n = noise * rand();
      for (let c = 0; c < 3; c++) data[(y * size + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(rgb[c] + n)));
    }
  }
  return { data, width: size, height: size };
}
