import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioError } from '../../../engine/api/errors.ts';
import { planChain } from '../../../engine/controllers/chain.ts';
import type { AttentionController } from '../../../engine/controllers/controller.ts';
import { TokenMerging, tokenMergingControllers } from '../../../engine/controllers/tome/tokenMerging.ts';
import { SessionCache } from '../../../engine/graph/session.ts';
import type { StableDiffusionSpec } from '../../../engine/models/spec.ts';
import { loadUNet } from '../../../engine/models/unet/index.ts';
import { unetSites } from '../../../engine/models/unet/sites.ts';
import { testController } from '../../support/controllers.ts';
import { maxAbsDiff } from '../../graph/reference.ts';
import { goldenUNetCase, type UNetCase } from '../../support/goldenUnet.ts';
import { hasShared } from '../../support/shared.ts';
import { refusal } from '../../support/controllers.ts';

let dir: string;
let spec: StableDiffusionSpec;
const cache = new SessionCache({ intraOpNumThreads: 1 });
let input: UNetCase;

const run = async (controllers: AttentionController[]) => {
  const unet = await loadUNet(spec, { controllers, cache, runtime: { threads: 1, placement: { cacheDir: join(dir, 'graphs') } } });
  return unet.evaluate(input.x, input.xDims, input.t, input.context, input.contextDims);
};


describe.skipIf(!hasShared('golden', 'sd15-tiny'))('token merging on the sd15-tiny UNet (golden inputs)', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tome-unet-'));
    ({ spec, input } = await goldenUNetCase());
  });
  afterAll(async () => {
    await cache.clear();
    await rm(dir, { recursive: true, force: true });
  });

  it('ratio 0 gives output identical to merging off', async () => {
    expect(tokenMergingControllers({ ratio: 0 })).toEqual([]);
    const off = await run([]);
    expect(await run(tokenMergingControllers({ ratio: 0 }))).toEqual(off);
    // The merge path itself with r = 0 is a permutation and back: equal up to summation order.
    const zero = await run([new TokenMerging({ ratio: 0, maxDownsample: 8, merge: ['attn1', 'attn2', 'ff'] })]);
    expect(maxAbsDiff(zero, off)).toBeLessThan(1e-4);
  });

  it('merging changes the output a little, is deterministic for a seed, and depends on the seed', async () => {
    const off = await run([]);
    const a = await run(tokenMergingControllers({ ratio: 0.5, seed: 1 }));
    const b = await run(tokenMergingControllers({ ratio: 0.5, seed: 1 }));
    const c = await run(tokenMergingControllers({ ratio: 0.5, seed: 2 }));
    expect(a).toEqual(b);
    expect(maxAbsDiff(a, c)).toBeGreaterThan(0);
    const scale = Math.max(...off.map(Math.abs));
    const diff = maxAbsDiff(a, off);
    expect(diff).toBeGreaterThan(0);
    expect(diff).toBeLessThan(scale);
    expect(a.every(Number.isFinite)).toBe(true);
  });

  it('one compiled session serves every ratio (the ratio is a feed)', async () => {
    const before = cache.misses;
    await run(tokenMergingControllers({ ratio: 0.3, seed: 1 }));
    await run(tokenMergingControllers({ ratio: 0.6, seed: 1 }));
    expect(cache.misses).toBe(before);
    // Every sub-layer and every level merged still runs and stays finite.
    const all = await run(tokenMergingControllers({ ratio: 0.75, maxDownsample: 8, merge: ['attn1', 'attn2', 'ff'], useRand: false }));
    expect(all.every(Number.isFinite)).toBe(true);
  });

  it('masked tokens excluded from merging: a full mask gives the unmerged output', async () => {
    const [, , h, w] = input.xDims;
    const off = await run([]);
    const full = new TokenMerging({ ratio: 0.5 }, { protect: new Uint8Array(h * w).fill(1) });
    expect(maxAbsDiff(await run([full]), off)).toBeLessThan(1e-4);
    // The mask is checked against the latent size the step carries.
    const wrong = new TokenMerging({ ratio: 0.5 }, { protect: new Uint8Array(h * w + 1).fill(1) });
    await expect(run([wrong])).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('refuses to share the network with prompt-to-prompt, before anything is built', () => {
    const sites = unetSites(spec.unet);
    const p2p = testController({ name: 'p2p', conflicts: [{ kind: 'claims', resource: 'batch-layout' }] });
    expect(() => planChain([new TokenMerging({ ratio: 0.5 }), p2p], sites)).toThrow(StudioError);
    // The refusal names both controllers, ToMe's exclusion of p2p.
    expect(refusal(() => planChain([new TokenMerging({ ratio: 0.5 }), p2p], sites))).toMatchObject({ code: 'INVALID_REQUEST', details: { controllers: ['tome', 'p2p'] } });
    // Attention maps for the viewer read cross-attention per pixel: fine unless attn2 merges.
    const store = testController({ name: 'attention-store' });
    expect(() => planChain([new TokenMerging({ ratio: 0.5 }), store], sites)).not.toThrow();
    expect(refusal(() => planChain([new TokenMerging({ ratio: 0.5, merge: ['attn1', 'attn2'] }), store], sites))).toMatchObject({ code: 'INVALID_REQUEST', details: { controllers: ['tome', 'attention-store'] } });
  });
});
