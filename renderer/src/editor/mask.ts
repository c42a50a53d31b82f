import { stampPolyline, type BrushMode, type MaskBuffer, type Rect } from './brush.ts';

/**
 * The mask is a list of operations, never a bitmap: undo entries hold references to these
 * small immutable records, and the bitmap is rasterised on demand at image resolution.
 */
export type MaskOp =
  | {
      kind: 'stroke';
      id: number;
      mode: BrushMode;
      /** Brush diameter in image pixels. */
      size: number;
      /** 0 = all feather, 1 = hard edge. */
      hardness: number;
      /** Flat [x0, y0, x1, y1, …] in image pixels. */
      points: readonly number[];
    }
  | {
      /** A low-resolution map (a word's attention) scaled to the mask and merged with max. */
      kind: 'stamp';
      id: number;
      width: number;
      height: number;
      data: Uint8Array;
    }
  | { kind: 'fill' }
  | { kind: 'clear' }
  | { kind: 'invert' };

export type StrokeOp = Extract<MaskOp, { kind: 'stroke' }>;

/** Rasterises a list of mask operations onto a fresh bitmap (255 = change, 0 = keep). */
export function rasterizeMask(ops: readonly MaskOp[], width: number, height: number): MaskBuffer {
  const buf: MaskBuffer = { width, height, data: new Uint8Array(width * height) };
  for (const op of ops.slice(lastReset(ops))) applyOp(buf, op);
  return buf;
}

/** Index of the last fill/clear: nothing before it can show. */
function lastReset(ops: readonly MaskOp[]): number {
  for (let i = ops.length - 1; i >= 0; i--) if (ops[i].kind === 'fill' || ops[i].kind === 'clear') return i;
  return 0;
}

const FULL = (b: MaskBuffer): Rect => ({ x0: 0, y0: 0, x1: b.width, y1: b.height });

function applyOp(buf: MaskBuffer, op: MaskOp, fromPoint = 0): Rect | null {
  switch (op.kind) {
    case 'stroke':
      return stampPolyline(buf, op.points, op.size / 2, op.hardness, op.mode, fromPoint);
    case 'stamp':
      return stampMap(buf, op);
    case 'fill':
      buf.data.fill(255);
      return FULL(buf);
    case 'clear':
      buf.data.fill(0);
      return FULL(buf);
    case 'invert':
      for (let i = 0; i < buf.data.length; i++) buf.data[i] = 255 - buf.data[i];
      return FULL(buf);
  }
}

/** Bilinear upsampling of a small map onto the mask; painting semantics (max), so it can be painted over afterwards. */
function stampMap(buf: MaskBuffer, map: { width: number; height: number; data: Uint8Array }): Rect {
  const { width, height, data } = buf;
  const sx = map.width / width;
  const sy = map.height / height;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(map.height - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(map.height - 1, y0 + 1);
    const ty = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(map.width - 1, Math.max(0, (x + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(map.width - 1, x0 + 1);
      const tx = fx - x0;
      const top = map.data[y0 * map.width + x0] * (1 - tx) + map.data[y0 * map.width + x1] * tx;
      const bottom = map.data[y1 * map.width + x0] * (1 - tx) + map.data[y1 * map.width + x1] * tx;
      const v = Math.round(top * (1 - ty) + bottom * ty);
      const i = y * width + x;
      if (v > data[i]) data[i] = v;
    }
  }
  return FULL(buf);
}

/**
 * A mask bitmap kept in step with a changing op list. Appending ops or points to the
 * last stroke (what a brush gesture does) is rasterised incrementally; anything else
 * (undo, redo, a new image) replays the list from its last fill/clear.
 */
export class MaskRaster implements MaskBuffer {
  data: Uint8Array;
  private ops: readonly MaskOp[] = [];
  private lastPoints = 0;
  /** Region changed by the last `sync`, for partial redraws; null when nothing changed. */
  dirty: Rect | null = null;

  constructor(readonly width: number, readonly height: number) {
    this.data = new Uint8Array(width * height);
  }

  sync(ops: readonly MaskOp[]): Rect | null {
    this.dirty = null;
    if (ops === this.ops) return null;
    const old = this.ops;
    let common = 0;
    while (common < old.length && common < ops.length && ops[common] === old[common]) common++;
    const prev = old[common];
    const next = ops[common];
    if (common === old.length) {
      this.dirty = this.applyFrom(ops, common, 0);
    } else if (
      common === old.length - 1 && prev.kind === 'stroke' && next?.kind === 'stroke' &&
      prev.id === next.id && next.points.length >= prev.points.length
    ) {
      // The last stroke grew: restamp from its previous last point (idempotent) on.
      this.dirty = this.applyFrom(ops, common, Math.max(0, this.lastPoints / 2 - 1));
    } else {
      this.data.fill(0);
      this.applyFrom(ops, lastReset(ops), 0);
      this.dirty = FULL(this);
    }
    this.ops = ops;
    const last = ops[ops.length - 1];
    this.lastPoints = last?.kind === 'stroke' ? last.points.length : 0;
    return this.dirty;
  }

  private applyFrom(ops: readonly MaskOp[], start: number, firstPoint: number): Rect | null {
    let dirty: Rect | null = null;
    for (let i = start; i < ops.length; i++) {
      const r = applyOp(this, ops[i], i === start ? firstPoint : 0);
      if (r) dirty = dirty ? { x0: Math.min(dirty.x0, r.x0), y0: Math.min(dirty.y0, r.y0), x1: Math.max(dirty.x1, r.x1), y1: Math.max(dirty.y1, r.y1) } : r;
    }
    return dirty;
  }
}

export function isMaskEmpty(mask: MaskBuffer): boolean {
  return !mask.data.some((v) => v > 0);
}

/** Fraction of pixels the mask marks for change (≥ 50 %). */
export function maskCoverage(mask: MaskBuffer): number {
  let n = 0;
  for (const v of mask.data) if (v >= 128) n++;
  return n / mask.data.length;
}

/** Opaque RGBA for a PNG the engine reads: white where the image should change, black elsewhere. */
export function maskToGreyRgba(mask: MaskBuffer): Uint8ClampedArray {
  const out = new Uint8ClampedArray(mask.width * mask.height * 4);
  for (let i = 0; i < mask.data.length; i++) {
    const v = mask.data[i];
    out[4 * i] = v;
    out[4 * i + 1] = v;
    out[4 * i + 2] = v;
    out[4 * i + 3] = 255;
  }
  return out;
}

/** The overlay's pixels for one rectangle: a single colour whose alpha is the mask. */
export function maskOverlayRgba(mask: MaskBuffer, rect: Rect, rgb: [number, number, number] = [255, 64, 96]): Uint8ClampedArray {
  const w = rect.x1 - rect.x0;
  const h = rect.y1 - rect.y0;
  const out = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = 4 * (y * w + x);
      out[o] = rgb[0];
      out[o + 1] = rgb[1];
      out[o + 2] = rgb[2];
      out[o + 3] = mask.data[(y + rect.y0) * mask.width + x + rect.x0];
    }
  }
  return out;
}
