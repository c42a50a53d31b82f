import { mulberry32 } from '../../random/mulberry32.ts';

/**
 * The host side of ToMe's bipartite soft matching (ALGORITHMS §2.4 step 1 and 3): which
 * tokens are destinations, which are sources and how many sources merge. Cheap index work,
 * so it runs in TypeScript and reaches the graph as per-step index inputs (§2.6); the
 * similarity, matching and merging themselves run in the graph.
 */

export interface PartitionRequest {
  /** Token grid of the block (row-major tokens, index = y·w + x). */
  h: number;
  w: number;
  sx: number;
  sy: number;
  ratio: number;
  /** Draws one destination per window uniformly; otherwise the window's top-left. */
  random?: () => number;
  /** 1 where a token must stay unmerged (inpainting: under the mask), row-major h×w. */
  protect?: Uint8Array;
}

export interface Partition {
  /** Destination token indices, one per sx×sy window (ascending by window). */
  dst: Int32Array;
  /** Every other token (ascending), including leftover rows/columns of a non-divisible grid. */
  src: Int32Array;
  /** Number of sources merged: int(N·ratio), at most the number of mergeable sources. */
  r: number;
  /** With `protect`: 1 for protected sources / destinations, so the graph never merges from or into them. */
  srcProtected?: Uint8Array;
  dstProtected?: Uint8Array;
}

/** The partition tomesd's `bipartite_soft_matching_random2d` draws, plus optional protected tokens. */
export function partitionTokens(q: PartitionRequest): Partition {
  const { h, w, sx, sy, protect } = q;
  const N = h * w;
  // A grid smaller than one window (deep levels of a small latent) is one window, so there
  // is always a destination and the graph never sees an empty destination set.
  const wy = h < sy || w < sx ? h : sy;
  const wx = h < sy || w < sx ? w : sx;
  const cellsY = Math.floor(h / wy);
  const cellsX = Math.floor(w / wx);
  const isDst = new Uint8Array(N);
  const dst: number[] = [];
  for (let cy = 0; cy < cellsY; cy++) {
    for (let cx = 0; cx < cellsX; cx++) {
      const cell: number[] = [];
      for (let dy = 0; dy < wy; dy++) for (let dx = 0; dx < wx; dx++) cell.push((cy * wy + dy) * w + cx * wx + dx);
      // Prefer an unprotected destination so protected tokens keep their own value.
      const open = protect ? cell.filter((i) => !protect[i]) : cell;
      const pool = open.length ? open : cell;
      const pick = q.random ? pool[Math.min(pool.length - 1, Math.floor(q.random() * pool.length))] : pool[0];
      isDst[pick] = 1;
      dst.push(pick);
    }
  }
  const src: number[] = [];
  for (let i = 0; i < N; i++) if (!isDst[i]) src.push(i);
  let r = Math.min(Math.floor(N * q.ratio), src.length);
  const out: Partition = { dst: Int32Array.from(dst), src: Int32Array.from(src), r };
  if (protect) {
    out.srcProtected = Uint8Array.from(src, (i) => (protect[i] ? 1 : 0));
    out.dstProtected = Uint8Array.from(dst, (i) => (protect[i] ? 1 : 0));
    const mergeable = out.srcProtected.length - out.srcProtected.reduce((a, v) => a + v, 0);
    const openDst = out.dstProtected.length - out.dstProtected.reduce((a, v) => a + v, 0);
    r = openDst > 0 ? Math.min(r, mergeable) : 0;
    out.r = r;
  }
  return out;
}

/**
 * A latent-resolution mask (1 = protected) reduced to a block's grid: a token is protected
 * when any latent pixel under it is, so the whole masked region keeps full detail.
 */
export function protectAtGrid(mask: Uint8Array, latentH: number, latentW: number, h: number, w: number): Uint8Array {
  const out = new Uint8Array(h * w);
  const fy = Math.ceil(latentH / h);
  const fx = Math.ceil(latentW / w);
  for (let y = 0; y < latentH; y++) {
    for (let x = 0; x < latentW; x++) {
      if (mask[y * latentW + x]) out[Math.min(h - 1, Math.floor(y / fy)) * w + Math.min(w - 1, Math.floor(x / fx))] = 1;
    }
  }
  return out;
}

/** mulberry32 seeded by a hash of the given integers: one independent stream per (seed, step, block). */
export function seededRandom(...keys: number[]): () => number {
  let a = 0x9e3779b9;
  for (const k of keys) {
    a = Math.imul(a ^ (k >>> 0), 0x85ebca6b);
    a ^= a >>> 13;
    a = Math.imul(a, 0xc2b2ae35);
    a ^= a >>> 16;
  }
  return mulberry32(a);
}
