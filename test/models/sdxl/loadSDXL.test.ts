import { afterAll, describe, expect, it } from 'vitest';
import { SessionCache } from '../../../engine/graph/session.ts';
import { loadSDXL, sdxlConditioning } from '../../../engine/models/families/loadSDXL.ts';
import { detectModel } from '../../../engine/models/detect.ts';
import { npyToFloat32 } from '../../../engine/npy/npy.ts';
import { maxAbsDiff } from '../../graph/reference.ts';
import { hasShared } from '../../support/shared.ts';
import { SDXL_TINY_F16, golden, goldenNpy } from './fixture.ts';

const PROMPTS = ['a photo of a cat', 'A majestic lion jumping from a big stone at night, highly detailed, 8k', ''];
const cache = new SessionCache({ intraOpNumThreads: 1 });

describe.skipIf(!hasShared('golden', 'sdxl-tiny'))('loadSDXL: what a pipeline plugs in (prompt text to the UNet output)', () => {
  afterAll(() => cache.clear());

  it('tokenizes like sgm, encodes a prompt, and conditions the UNet through the Conditioning record', async () => {
    const spec = await detectModel(SDXL_TINY_F16);
    if (spec.family !== 'sdxl') throw new Error('expected SDXL');
    const xl = await loadSDXL(spec, SDXL_TINY_F16, { text: { threads: 1, cache }, unet: { runtime: { threads: 1 }, cache } });

    // CLIP-L pads with EOS, bigG with 0; the ids are otherwise the same.
    const idsL = Array.from((await goldenNpy('text/input_ids_clip_l.npy')).data as BigInt64Array, Number);
    const idsG = Array.from((await goldenNpy('text/input_ids_clip_g.npy')).data as BigInt64Array, Number);
    PROMPTS.forEach((p, i) => {
      expect(xl.tokenizers.clipL.encode(p).ids).toEqual(idsL.slice(77 * i, 77 * (i + 1)));
      expect(xl.tokenizers.clipG.encode(p).ids).toEqual(idsG.slice(77 * i, 77 * (i + 1)));
    });

    // Prompt 1 is unet_case3's conditioning: its context and, with its sizes, its y.
    const text = await xl.text.encodePrompt(PROMPTS[1], xl.tokenizers);
    expect(text.context.dims).toEqual([1, 77, 80]);
    const crossattn = await golden('conditioning/crossattn.npy', true);
    expect(maxAbsDiff(text.context.data, crossattn.subarray(77 * 80, 2 * 77 * 80))).toBeLessThan(1e-3);
    const [x, t] = await Promise.all(['x', 't'].map((a) => goldenNpy(`unet_case3/${a}.npy`)));
    const cond = sdxlConditioning(text, [{ original_size: [832, 1216], crop_coords_top_left: [48, 16], target_size: [1024, 1536] }]);
    const out = await xl.denoiser.run({ data: npyToFloat32(x), dims: x.shape }, Array.from(t.data as BigInt64Array, Number), cond);
    const d = maxAbsDiff(out.output, await golden('unet_case3/eps.npy', true));
    // y's size embeddings carry the float32 sin/cos disagreement of large arguments (~1e-4), hence the README's 1e-3 here.
    console.info(`[loadSDXL] prompt → eps (unet_case3): max abs ${d.toExponential(2)}`);
    expect(d).toBeLessThan(1e-3);
    expect(xl.vae.scaleFactor).toBe(0.13025);
  });
});
