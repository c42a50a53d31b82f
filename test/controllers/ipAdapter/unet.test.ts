import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioError } from '../../../engine/api/errors.ts';
import { planChain } from '../../../engine/controllers/chain.ts';
import type { AttentionController } from '../../../engine/controllers/controller.ts';
import { type ImagePromptKV, ipAdapter } from '../../../engine/controllers/ipAdapter/index.ts';
import type { AttentionSite } from '../../../engine/controllers/site.ts';
import { TokenMerging } from '../../../engine/controllers/tome/tokenMerging.ts';
import { SessionCache } from '../../../engine/graph/session.ts';
import type { StableDiffusionSpec } from '../../../engine/models/spec.ts';
import { loadUNet } from '../../../engine/models/unet/index.ts';
import { maxAbsDiff, randomArray } from '../../graph/reference.ts';
import { goldenUNetCase, type UNetCase } from '../../support/goldenUnet.ts';
import { testController } from '../../support/controllers.ts';
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


describe.skipIf(!hasShared('golden', 'sd15-tiny'))('IP-Adapter on the sd15-tiny UNet (golden inputs)', () => {
  let cross: AttentionSite[];
  const T = 4;
  let images: ImagePromptKV[];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ipa-unet-'));
    ({ spec, input } = await goldenUNetCase());
    const unet = await loadUNet(spec, { cache, runtime: { threads: 1, placement: { cacheDir: join(dir, 'graphs') } } });
    cross = unet.sites.attention.filter((a) => a.kind === 'cross');
    images = [1, 2].map((m) => {
      const kv = (seed: number) => cross.map((site, j) => ({ k: randomArray(T * site.channels, seed + 2 * j), v: randomArray(T * site.channels, seed + 2 * j + 1) }));
      return { cond: kv(100 * m), uncond: kv(100 * m + 50) };
    });
  });
  afterAll(async () => {
    await cache.clear();
    await rm(dir, { recursive: true, force: true });
  });
  const ctrl = (scales: number[][], n = scales.length) => ipAdapter({ sites: cross, tokens: T, images: images.slice(0, n), scales });
  const S = () => cross.length;

  it('scale 0 gives output identical to no adapter', async () => {
    expect(input.xDims[0]).toBeGreaterThan(0);
    const off = await run([]);
    expect(await run([ctrl([new Array(S()).fill(0)])])).toEqual(off);
    expect(await run([ctrl([new Array(S()).fill(0), new Array(S()).fill(0)])])).toEqual(off);
  });

  it('a scale changes the output; a second image at scale 0 changes nothing; block scales act per site', async () => {
    const off = await run([]);
    const one = await run([ctrl([new Array(S()).fill(0.8)])]);
    expect(maxAbsDiff(one, off)).toBeGreaterThan(1e-3);
    const two = await run([ctrl([new Array(S()).fill(0.8), new Array(S()).fill(0)])]);
    expect(two).toEqual(one);
    // Only the last site on: differs from off, and from all sites on.
    const last = new Array(S()).fill(0);
    last[S() - 1] = 0.8;
    const single = await run([ctrl([last])]);
    expect(maxAbsDiff(single, off)).toBeGreaterThan(1e-5);
    expect(maxAbsDiff(single, one)).toBeGreaterThan(1e-4);
  });

  it('composes with token merging and is refused with prompt-to-prompt', async () => {
    const tome = new TokenMerging({ ratio: 0.5, maxDownsample: 1 });
    const merged = await run([tome]);
    const both = await run([tome, ctrl([new Array(S()).fill(0)])]);
    expect(both).toEqual(merged);
    const p2p = testController({ name: 'p2p', conflicts: [{ kind: 'claims', resource: 'batch-layout' }] });
    const sites = (await loadUNet(spec, { cache, runtime: { threads: 1, placement: { cacheDir: join(dir, 'graphs') } } })).sites;
    expect(() => planChain([ctrl([new Array(S()).fill(1)]), p2p], sites)).toThrow(StudioError);
    expect(refusal(() => planChain([ctrl([new Array(S()).fill(1)]), p2p], sites))).toMatchObject({ code: 'INVALID_REQUEST', details: { controllers: ['ip-adapter', 'p2p'] } });
    expect(() => planChain([ctrl([new Array(S()).fill(1)])], sites)).not.toThrow();
  });
});
