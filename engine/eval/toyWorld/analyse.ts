import { StudioError } from '../../api/errors.ts';
import { deltaE, type Lab, medianLab, nearestColour, rgbToLab } from './colour.ts';
import type { ToyColour, ToyShape } from './palette.ts';

export interface RgbImage {
  /** Interleaved RGB, row-major. */
  data: Uint8Array;
  width: number;
  height: number;
}

export interface SceneObject {
  colour: ToyColour;
  /** ΔE76 between the object's median colour and the named colour: how sure the name is. */
  colourDistance: number;
  shape: ToyShape;
  area: number;
  /** Centroid in pixels. */
  cx: number;
  cy: number;
  bbox: { x0: number; y0: number; x1: number; y1: number };
  /** 1 on the object's pixels. */
  mask: Uint8Array;
}

export interface Scene {
  background: ToyColour;
  backgroundDistance: number;
  /** Objects, largest first. */
  objects: SceneObject[];
  /** 1 on every object pixel. */
  foreground: Uint8Array;
}

export interface AnalyseOptions {
  /** ΔE from the background above which a pixel belongs to an object (textures stay below). */
  threshold?: number;
  /** Components smaller than this many pixels are noise, not objects. */
  minArea?: number;
}

/**
 * Reads a toy-world image the way a person would describe it: the background colour (the
 * median of the border), the objects (connected regions that differ from it), and each
 * object's colour, rough shape and position. Deterministic, no learned parts.
 */
export function analyseScene(img: RgbImage, options: AnalyseOptions = {}): Scene {
  const { width: W, height: H, data } = img;
  if (data.length !== W * H * 3) throw new StudioError('SHAPE_MISMATCH', `Expected ${W}×${H} RGB pixels, got ${data.length} values`);
  const threshold = options.threshold ?? 22;
  // The smallest drawn shape (a small triangle) covers about 60 px of 64²; 32 keeps it and drops specks.
  const minArea = options.minArea ?? Math.max(8, Math.round((W * H) / 128));
  const lab: Lab[] = new Array(W * H);
  for (let i = 0; i < W * H; i++) lab[i] = rgbToLab(data[3 * i], data[3 * i + 1], data[3 * i + 2]);

  const border: Lab[] = [];
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (x < 2 || y < 2 || x >= W - 2 || y >= H - 2) border.push(lab[y * W + x]);
  const bgLab = medianLab(border);
  const bg = nearestColour(bgLab);

  const isFg = new Uint8Array(W * H);
  for (let i = 0; i < W * H; i++) isFg[i] = deltaE(lab[i], bgLab) > threshold ? 1 : 0;

  const objects: SceneObject[] = [];
  const foreground = new Uint8Array(W * H);
  for (const pixels of components(isFg, W, H)) {
    if (pixels.length < minArea) continue;
    objects.push(describe(pixels, lab, W, H));
    for (const p of pixels) foreground[p] = 1;
  }
  objects.sort((a, b) => b.area - a.area);
  return { background: bg.name, backgroundDistance: bg.distance, objects, foreground };
}

/** 4-connected components of a binary mask, as lists of pixel indices. */
export function components(mask: Uint8Array, W: number, H: number): number[][] {
  const seen = new Uint8Array(W * H);
  const out: number[][] = [];
  for (let start = 0; start < W * H; start++) {
    if (!mask[start] || seen[start]) continue;
    const stack = [start];
    const pixels: number[] = [];
    seen[start] = 1;
    while (stack.length) {
      const p = stack.pop()!;
      pixels.push(p);
      const x = p % W;
      const y = (p - x) / W;
      const visit = (q: number) => {
        if (mask[q] && !seen[q]) {
          seen[q] = 1;
          stack.push(q);
        }
      };
      if (x > 0) visit(p - 1);
      if (x < W - 1) visit(p + 1);
      if (y > 0) visit(p - W);
      if (y < H - 1) visit(p + W);
    }
    out.push(pixels);
  }
  return out;
}

function describe(pixels: number[], lab: Lab[], W: number, H: number): SceneObject {
  let x0 = W;
  let y0 = H;
  let x1 = -1;
  let y1 = -1;
  let sx = 0;
  let sy = 0;
  const mask = new Uint8Array(W * H);
  for (const p of pixels) {
    const x = p % W;
    const y = (p - x) / W;
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
    sx += x;
    sy += y;
    mask[p] = 1;
  }
  // Edge pixels blend with the background; the interior names the colour.
  const interior = pixels.filter((p) => {
    const x = p % W;
    return x > 0 && x < W - 1 && mask[p - 1] && mask[p + 1] && mask[p - W] && mask[p + W];
  });
  const colour = nearestColour(medianLab((interior.length >= 4 ? interior : pixels).map((p) => lab[p])));
  const cy = sy / pixels.length;
  return {
    colour: colour.name,
    colourDistance: colour.distance,
    shape: classifyShape(pixels, W, { x0, y0, x1, y1 }),
    area: pixels.length,
    cx: sx / pixels.length,
    cy,
    bbox: { x0, y0, x1, y1 },
    mask,
  };
}

/**
 * Rough shape from two numbers: how much of its bounding box the region fills (square ≈ 1,
 * circle ≈ π/4, triangle and diamond ≈ 1/2) and how much of its area lies above the box's
 * middle (an upright triangle ≈ 1/4, a diamond ≈ 1/2).
 */
function classifyShape(pixels: number[], W: number, b: { x0: number; y0: number; x1: number; y1: number }): ToyShape {
  const fill = pixels.length / ((b.x1 - b.x0 + 1) * (b.y1 - b.y0 + 1));
  if (fill > 0.88) return 'square';
  if (fill > 0.66) return 'circle';
  const middle = (b.y0 + b.y1) / 2;
  const above = pixels.filter((p) => Math.floor(p / W) < middle).length / pixels.length;
  return above < 0.38 ? 'triangle' : 'diamond';
}
