/**
 * Brush dabs on an 8-bit mask. Painting takes the maximum of mask and dab, erasing the
 * minimum of mask and 1 − dab: both are idempotent, so overlapping dabs inside one stroke
 * never build up and re-stamping a segment (incremental rasterisation) changes nothing.
 */
export interface Rect {
  x0: number;
  y0: number;
  x1: number; // exclusive
  y1: number; // exclusive
}

export interface MaskBuffer {
  width: number;
  height: number;
  data: Uint8Array;
}

export type BrushMode = 'paint' | 'erase';

/** Coverage 0..1 at distance d from a dab of radius r whose solid core is hardness·r. */
export function falloff(d: number, radius: number, hardness: number): number {
  if (d >= radius) return 0;
  const core = radius * Math.min(1, Math.max(0, hardness));
  if (d <= core) return 1;
  const t = (radius - d) / (radius - core);
  return t * t * (3 - 2 * t);
}

/** Stamps one round dab centred at (cx, cy) in image pixels; returns the rectangle it touched. */
export function stampDab(buf: MaskBuffer, cx: number, cy: number, radius: number, hardness: number, mode: BrushMode): Rect | null {
  const r = Math.max(0.5, radius);
  const x0 = Math.max(0, Math.floor(cx - r));
  const y0 = Math.max(0, Math.floor(cy - r));
  const x1 = Math.min(buf.width, Math.ceil(cx + r));
  const y1 = Math.min(buf.height, Math.ceil(cy + r));
  if (x0 >= x1 || y0 >= y1) return null;
  const { data, width } = buf;
  for (let y = y0; y < y1; y++) {
    const dy = y + 0.5 - cy;
    for (let x = x0; x < x1; x++) {
      const dx = x + 0.5 - cx;
      const a = Math.round(255 * falloff(Math.sqrt(dx * dx + dy * dy), r, hardness));
      if (a === 0) continue;
      const i = y * width + x;
      if (mode === 'paint') {
        if (a > data[i]) data[i] = a;
      } else if (255 - a < data[i]) data[i] = 255 - a;
    }
  }
  return { x0, y0, x1, y1 };
}

/** Distance between dabs along a stroke: a quarter of the radius, at least one pixel. */
export function dabSpacing(radius: number): number {
  return Math.max(1, radius / 4);
}

/**
 * Stamps the dabs of a polyline (flat [x0, y0, x1, y1, …]) from point `fromPoint` on:
 * each point, plus evenly spaced dabs inside each segment. Dab positions depend only on
 * the segment, so stamping a stroke in pieces gives exactly the same pixels as at once.
 */
export function stampPolyline(
  buf: MaskBuffer,
  points: readonly number[],
  radius: number,
  hardness: number,
  mode: BrushMode,
  fromPoint = 0,
): Rect | null {
  let dirty: Rect | null = null;
  const n = points.length / 2;
  const spacing = dabSpacing(radius);
  for (let p = Math.max(0, fromPoint); p < n; p++) {
    const x = points[2 * p];
    const y = points[2 * p + 1];
    dirty = union(dirty, stampDab(buf, x, y, radius, hardness, mode));
    if (p + 1 < n) {
      const nx = points[2 * p + 2];
      const ny = points[2 * p + 3];
      const len = Math.hypot(nx - x, ny - y);
      const count = Math.floor(len / spacing);
      for (let k = 1; k < count; k++) {
        const t = (k * spacing) / len;
        dirty = union(dirty, stampDab(buf, x + t * (nx - x), y + t * (ny - y), radius, hardness, mode));
      }
    }
  }
  return dirty;
}

export function union(a: Rect | null, b: Rect | null): Rect | null {
  if (!a) return b;
  if (!b) return a;
  return { x0: Math.min(a.x0, b.x0), y0: Math.min(a.y0, b.y0), x1: Math.max(a.x1, b.x1), y1: Math.max(a.y1, b.y1) };
}
