import { afterAll, describe, expect, it } from 'vitest';
import { bipartiteSoftMatching } from '../../../engine/controllers/tome/bipartite.ts';
import { partitionTokens, protectAtGrid, seededRandom } from '../../../engine/controllers/tome/partition.ts';
import { resolveTokenMerging } from '../../../engine/controllers/tome/options.ts';
import { GraphBuilder } from '../../../engine/graph/builder.ts';
import { SessionCache, runSession } from '../../../engine/graph/session.ts';
import { randomArray } from '../../graph/reference.ts';

const cache = new SessionCache({ intraOpNumThreads: 1 });
afterAll(() => cache.clear());

/** A graph with just the merge step: metric in, merged / unmerged(merged) / group-map-free outputs. */
async function mergeSession(protect: boolean) {
  return cache.get({ checkpoint: 'none', architecture: `tome-bipartite${protect ? '-protect' : ''}` }, () => {
    const g = new GraphBuilder({ name: 'tome' });
    const x = g.input('x', 'float32', ['B', 'N', 'C']);
    const m = bipartiteSoftMatching(g, x, {
      dst: g.input('dst', 'int64', ['Nd']), src: g.input('src', 'int64', ['Ns']), r: g.input('r', 'int64', [1]),
      ...(protect ? { srcBias: g.input('srcBias', 'float32', ['Ns']), dstBias: g.input('dstBias', 'float32', ['Nd']) } : {}),
    });
    const merged = m.merge(x);
    g.output(merged, 'merged');
    g.output(m.unmerge(merged), 'restored');
    return g;
  }, { placement: { mode: 'memory' } });
}

const ids = (a: Int32Array) => ({ data: BigInt64Array.from(a, BigInt), dims: [a.length] });

/** tomesd's algorithm in plain TS: per batch entry, which output group every token lands in. */
function referenceGroups(x: Float32Array, [B, N, C]: number[], dst: Int32Array, src: Int32Array, r: number): number[][] {
  const out: number[][] = [];
  for (let b = 0; b < B; b++) {
    const row = (i: number) => x.subarray((b * N + i) * C, (b * N + i + 1) * C);
    const norm = (v: Float32Array) => Math.hypot(...v);
    const best = Array.from(src, (s) => {
      let max = -Infinity, arg = 0;
      dst.forEach((d, j) => {
        const a = row(s), c = row(d);
        let dot = 0;
        for (let k = 0; k < C; k++) dot += a[k] * c[k];
        const sim = dot / (norm(a) * norm(c));
        if (sim > max) { max = sim; arg = j; }
      });
      return { max, arg };
    });
    const order = [...src.keys()].sort((i, j) => best[j].max - best[i].max || i - j);
    const kept = src.length - r;
    const groups = new Array<number>(N);
    order.forEach((i, rank) => { groups[src[i]] = rank < r ? kept + best[i].arg : rank - r; });
    dst.forEach((d, j) => { groups[d] = kept + j; });
    out.push(groups);
  }
  return out;
}

describe('ToMe merge step (synthetic tensors)', () => {
  const [B, h, w, C] = [2, 6, 8, 16];
  const N = h * w;
  const x = randomArray(B * N * C, 11);
  const part = partitionTokens({ h, w, sx: 2, sy: 2, ratio: 0.5, random: seededRandom(3) });

  it('partitions one destination per 2×2 window and r = int(N·ratio)', () => {
    expect(part.dst.length).toBe((h / 2) * (w / 2));
    expect(part.src.length).toBe(N - part.dst.length);
    expect(part.r).toBe(Math.floor(N * 0.5));
    expect(new Set([...part.dst, ...part.src]).size).toBe(N);
    for (const d of part.dst) expect(part.dst.filter((e) => Math.floor(e / w / 2) === Math.floor(d / w / 2) && Math.floor((e % w) / 2) === Math.floor((d % w) / 2))).toHaveLength(1);
  });

  it('without randomness the destination is the top-left of each window; leftover rows and columns are sources', () => {
    const p = partitionTokens({ h: 5, w: 5, sx: 2, sy: 2, ratio: 0.3 });
    expect([...p.dst]).toEqual([0, 2, 10, 12]);
    expect(p.src.length).toBe(21);
    expect(p.r).toBe(Math.floor(25 * 0.3));
    expect(partitionTokens({ h: 4, w: 4, sx: 2, sy: 2, ratio: 0.75 }).r).toBe(12);
  });

  it('merges N − r tokens, each the mean of its sources and its destination, and unmerge copies back', async () => {
    const s = await mergeSession(false);
    const out = await runSession(s, { x: { data: x, dims: [B, N, C] }, dst: ids(part.dst), src: ids(part.src), r: { data: BigInt64Array.of(BigInt(part.r)), dims: [1] } });
    const M = N - part.r;
    expect(out.merged.dims).toEqual([B, M, C]);
    expect(out.restored.dims).toEqual([B, N, C]);
    const merged = out.merged.data as Float32Array;
    const restored = out.restored.data as Float32Array;
    const groups = referenceGroups(x, [B, N, C], part.dst, part.src, part.r);
    for (let b = 0; b < B; b++) {
      for (let gi = 0; gi < M; gi++) {
        const members = groups[b].flatMap((grp, i) => (grp === gi ? [i] : []));
        expect(members.length).toBeGreaterThan(0);
        for (let k = 0; k < C; k++) {
          const mean = members.reduce((a, i) => a + x[(b * N + i) * C + k], 0) / members.length;
          expect(merged[(b * M + gi) * C + k]).toBeCloseTo(mean, 5);
        }
      }
      for (let i = 0; i < N; i++) {
        for (let k = 0; k < C; k++) expect(restored[(b * N + i) * C + k]).toBe(merged[(b * M + groups[b][i]) * C + k]);
      }
    }
  });

  it('r = 0 merges nothing: unmerge(merge(x)) is x exactly', async () => {
    const s = await mergeSession(false);
    const out = await runSession(s, { x: { data: x, dims: [B, N, C] }, dst: ids(part.dst), src: ids(part.src), r: { data: BigInt64Array.of(0n), dims: [1] } });
    expect(out.merged.dims).toEqual([B, N, C]);
    expect(Array.from(out.restored.data as Float32Array)).toEqual(Array.from(x));
  });

  it('is deterministic for a seed and differs for another', () => {
    const a = partitionTokens({ h, w, sx: 2, sy: 2, ratio: 0.5, random: seededRandom(5, 1, 2) });
    const b = partitionTokens({ h, w, sx: 2, sy: 2, ratio: 0.5, random: seededRandom(5, 1, 2) });
    const c = partitionTokens({ h, w, sx: 2, sy: 2, ratio: 0.5, random: seededRandom(6, 1, 2) });
    expect([...a.dst]).toEqual([...b.dst]);
    expect([...a.dst]).not.toEqual([...c.dst]);
  });

  it('protected tokens (under an inpainting mask) never merge from or into', async () => {
    const mask = new Uint8Array(N);
    for (let y = 0; y < 3; y++) for (let xx = 0; xx < 4; xx++) mask[y * w + xx] = 1; // top-left 3×4 block
    const p = partitionTokens({ h, w, sx: 2, sy: 2, ratio: 0.5, random: seededRandom(9), protect: mask });
    const s = await mergeSession(true);
    const out = await runSession(s, {
      x: { data: x, dims: [B, N, C] }, dst: ids(p.dst), src: ids(p.src), r: { data: BigInt64Array.of(BigInt(p.r)), dims: [1] },
      srcBias: { data: Float32Array.from(p.srcProtected!, (v) => v * -1e4), dims: [p.src.length] },
      dstBias: { data: Float32Array.from(p.dstProtected!, (v) => v * -1e4), dims: [p.dst.length] },
    });
    const restored = out.restored.data as Float32Array;
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < N; i++) {
        if (!mask[i]) continue;
        for (let k = 0; k < C; k++) expect(restored[(b * N + i) * C + k]).toBeCloseTo(x[(b * N + i) * C + k], 6);
      }
    }
    expect(out.merged.dims[1]).toBe(N - p.r);
    expect(protectAtGrid(Uint8Array.of(0, 0, 0, 1), 2, 2, 1, 1)).toEqual(Uint8Array.of(1));
  });

  it('refuses impossible options with a StudioError naming them', () => {
    expect(() => resolveTokenMerging({ ratio: 0.8 })).toThrow(/ratio/);
    expect(() => resolveTokenMerging({ ratio: 0.6, sx: 1, sy: 2 })).toThrow(/exceeds/);
    expect(() => resolveTokenMerging({ ratio: 0.5, merge: [] })).toThrow(/merge/);
    expect(resolveTokenMerging({ ratio: 0.5 }).merge).toEqual(['attn1']);
  });
});
