import { decodeGrey } from './imageFiles.ts';

/**
 * Turns a grey attention map into a heat overlay: stretched to its own min–max (maps
 * differ a lot in scale from word to word), warm colour, opacity following the value, so
 * the image stays visible where the word does not act.
 */
export async function heatOverlayUrl(mapUrl: string): Promise<string> {
  const { width, height, data } = await decodeGrey(mapUrl);
  let lo = 255;
  let hi = 0;
  for (const v of data) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const span = Math.max(1, hi - lo);
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('Canvas 2D is unavailable');
  const img = ctx.createImageData(width, height);
  for (let i = 0; i < data.length; i++) {
    const t = (data[i] - lo) / span;
    img.data[4 * i] = 255;
    img.data[4 * i + 1] = Math.round(70 + 170 * t);
    img.data[4 * i + 2] = Math.round(30 * t);
    img.data[4 * i + 3] = Math.round(215 * Math.pow(t, 1.3));
  }
  ctx.putImageData(img, 0, 0);
  // Upsampled smoothly here: maps are a few cells wide and the canvas view scales its layers as a whole.
  const k = Math.max(1, Math.ceil(256 / Math.max(width, height)));
  const big = new OffscreenCanvas(width * k, height * k);
  const bctx = big.getContext('2d');
  if (!bctx) throw new Error('Canvas 2D is unavailable');
  bctx.imageSmoothingEnabled = true;
  bctx.imageSmoothingQuality = 'high';
  bctx.drawImage(canvas, 0, 0, width * k, height * k);
  const blob = await big.convertToBlob({ type: 'image/png' });
  return URL.createObjectURL(blob);
}
