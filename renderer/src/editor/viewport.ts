/**
 * Zoom and pan as one affine map: screen = image · scale + (x, y), in CSS pixels of the
 * canvas element. Kept as plain data so the view can apply it as one CSS transform and
 * pointer events can be mapped back to image pixels with the inverse.
 */
export interface Viewport {
  scale: number;
  x: number;
  y: number;
}

export const MIN_SCALE = 1 / 32;
export const MAX_SCALE = 64;

const clampScale = (s: number): number => Math.min(MAX_SCALE, Math.max(MIN_SCALE, s));

/** Whole image visible and centred, with a margin; never enlarged past 8× (tiny images stay crisp but not huge). */
export function fitViewport(imageW: number, imageH: number, viewW: number, viewH: number, margin = 24): Viewport {
  const availW = Math.max(1, viewW - 2 * margin);
  const availH = Math.max(1, viewH - 2 * margin);
  const scale = clampScale(Math.min(availW / imageW, availH / imageH, 8));
  return centred(imageW, imageH, viewW, viewH, scale);
}

/** One image pixel per CSS pixel, centred. */
export function actualSizeViewport(imageW: number, imageH: number, viewW: number, viewH: number): Viewport {
  return centred(imageW, imageH, viewW, viewH, 1);
}

function centred(imageW: number, imageH: number, viewW: number, viewH: number, scale: number): Viewport {
  return { scale, x: (viewW - imageW * scale) / 2, y: (viewH - imageH * scale) / 2 };
}

/** Zooms by `factor` keeping the image point under (sx, sy) fixed on screen. */
export function zoomAt(v: Viewport, factor: number, sx: number, sy: number): Viewport {
  const scale = clampScale(v.scale * factor);
  const k = scale / v.scale;
  return { scale, x: sx - (sx - v.x) * k, y: sy - (sy - v.y) * k };
}

export function panBy(v: Viewport, dx: number, dy: number): Viewport {
  return { scale: v.scale, x: v.x + dx, y: v.y + dy };
}

/** Screen (CSS px relative to the view) → image pixels (fractional). */
export function toImage(v: Viewport, sx: number, sy: number): [number, number] {
  return [(sx - v.x) / v.scale, (sy - v.y) / v.scale];
}

/**
 * Wheel delta → zoom factor. Line-mode deltas (Firefox, some mice) are ~33× smaller than
 * pixel-mode ones; ctrl+wheel is what trackpad pinch produces and wants a stronger response.
 */
export function wheelZoomFactor(deltaY: number, deltaMode: number, pinch: boolean): number {
  const px = deltaMode === 1 ? deltaY * 33 : deltaMode === 2 ? deltaY * 400 : deltaY;
  return Math.exp(-px * (pinch ? 0.01 : 0.0015));
}

/** Scale change between two two-finger spans (touch pinch). */
export function pinchFactor(prevDistance: number, distance: number): number {
  return prevDistance > 0 ? distance / prevDistance : 1;
}
