import { StudioError } from '../api/errors.ts';
import type { WeightStore } from './weightStore.ts';

/**
 * Small helpers for reading dimensions out of a key set. Detection tries several
 * tensors that carry the same dimension, so one missing key shows up later as a
 * precise CHECKPOINT_INCOMPLETE from the completeness check, not as a wrong config.
 */

/** The size of `axis` of the first candidate tensor present; INCOMPLETE naming the first if none is. */
export function dimOf(w: WeightStore, candidates: Array<[name: string, axis: number]>): number {
  for (const [name, axis] of candidates) {
    const t = w.tryGet(name);
    if (t && t.shape.length > axis) return t.shape[axis];
  }
  return w.get(candidates[0][0]).shape[candidates[0][1]];
}

/** One more than the largest integer captured by `pattern` over `keys`, or 0 if nothing matches. */
export function countIndexed(keys: Iterable<string>, pattern: RegExp): number {
  let max = -1;
  for (const k of keys) {
    const m = pattern.exec(k);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return max + 1;
}

/** All distinct integers captured by `pattern`, ascending. */
export function indicesOf(keys: Iterable<string>, pattern: RegExp): number[] {
  const set = new Set<number>();
  for (const k of keys) {
    const m = pattern.exec(k);
    if (m) set.add(Number(m[1]));
  }
  return [...set].sort((a, b) => a - b);
}

export function unsupported(label: string, what: string, details?: Record<string, unknown>): StudioError {
  return new StudioError('CHECKPOINT_UNSUPPORTED', `${label}: ${what}`, { file: label, ...details });
}

/** Exact integer ratio or an UNSUPPORTED error explaining which dimension is odd. */
export function ratio(label: string, what: string, a: number, b: number): number {
  const r = a / b;
  if (!Number.isInteger(r)) throw unsupported(label, `${what}: ${a} is not a multiple of ${b}`);
  return r;
}

/** Builds expected-shape tables: name → shape, with the usual layer shapes as one-liners. */
export class ShapeTable {
  readonly shapes = new Map<string, number[]>();
  add(name: string, shape: number[]): void {
    this.shapes.set(name, shape);
  }
  linear(p: string, out: number, inp: number, bias = true): void {
    this.add(`${p}.weight`, [out, inp]);
    if (bias) this.add(`${p}.bias`, [out]);
  }
  conv(p: string, out: number, inp: number, k: number, bias = true): void {
    this.add(`${p}.weight`, [out, inp, k, k]);
    if (bias) this.add(`${p}.bias`, [out]);
  }
  norm(p: string, c: number): void {
    this.add(`${p}.weight`, [c]);
    this.add(`${p}.bias`, [c]);
  }
  /** Re-roots every entry under `prefix` (e.g. 'model.diffusion_model'). */
  prefixed(prefix: string): Map<string, number[]> {
    return new Map([...this.shapes].map(([k, v]) => [`${prefix}.${k}`, v]));
  }
}
