import { describe, expect, it } from 'vitest';
import { detectT5 } from '../../engine/models/t5/detect.ts';
import { T5Encoder } from '../../engine/models/t5/encoder.ts';
import { t5TokenizerFor } from '../../engine/models/t5/tokenizer.ts';
import { npyToFloat32, readNpy } from '../../engine/npy/npy.ts';
import { t5Conditioner } from '../../engine/pipelines/t5Conditioner.ts';
import { maxAbsDiff } from '../graph/reference.ts';
import { hasShared } from '../support/shared.ts';
import { pixartTiny } from './pixartFolder.ts';

describe.skipIf(!hasShared('golden', 'pixart-tiny'))('T5 conditioner', () => {
  it('gives the golden T5 states and masks of the prompt and "" (diffusers guidance), encoding each pair once', async () => {
    const spec = await detectT5(pixartTiny('text_encoder'));
    const encoder = new T5Encoder(spec, { threads: 1 });
    let runs = 0;
    let freed = 0;
    const counting = new Proxy(encoder, { get: (t, k) => (k === 'encodePrompts' ? (...a: Parameters<T5Encoder['encodePrompts']>) => (runs++, t.encodePrompts(...a)) : Reflect.get(t, k)) });
    const conditioner = t5Conditioner(counting, await t5TokenizerFor(spec), { maxTokens: 120, afterEncode: async () => void freed++ });
    const prompt = 'A small cactus with a happy face in the Sahara desert.';
    const { cond, uncond } = await conditioner.encode(prompt, '');
    const want = (n: string) => readNpy(pixartTiny('golden', 'ddim', n)).then(npyToFloat32);
    expect(maxAbsDiff(cond.context.data, await want('cond_context.npy'))).toBeLessThan(1e-3);
    expect(maxAbsDiff(uncond.context.data, await want('uncond_context.npy'))).toBeLessThan(1e-3);
    expect(Array.from(uncond.contextMask!.data)).toEqual(Array.from(await want('uncond_attention_mask.npy')));
    // One T5 batch for both rows; the same pair again (a new seed, an inpaint) does not run it; a new pair does.
    await conditioner.encode(prompt, '');
    expect([runs, freed]).toEqual([1, 1]);
    await conditioner.encode('a photo of a cat', '');
    expect([runs, freed]).toEqual([2, 2]);
  });
});
