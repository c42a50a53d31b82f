import type { AttentionMap } from '../api/attention.ts';

/** A warm colour ramp (transparent → orange → yellow-white) as a PNG data URL, scaled up by CSS. */
export function heatmapDataUrl(map: AttentionMap): string {
  const canvas = document.createElement('canvas');
  canvas.width = map.width;
  canvas.height = map.height;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(map.width, map.height);
  for (let i = 0; i < map.data.length; i++) {
    const t = map.data[i] / 255;
    img.data[4 * i] = 255;
    img.data[4 * i + 1] = Math.round(80 + 175 * t * t);
    img.data[4 * i + 2] = Math.round(40 * t);
    img.data[4 * i + 3] = Math.round(200 * t);
  }
  ctx.putImageData(img, 0, 0);
  return canvas.toDataURL('image/png');
}
