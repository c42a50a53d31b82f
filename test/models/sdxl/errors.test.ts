import { describe, expect, it } from 'vitest';
import { StudioError } from '../../../engine/api/errors.ts';
import { adapterLayout, bindAdapter } from '../../../engine/controllers/ipAdapter/index.ts';
import { detectLdm } from '../../../engine/models/detect.ts';
import { unetSites } from '../../../engine/models/unet/sites.ts';
import { readSafetensorsHeader } from '../../../engine/safetensors/header.ts';
import type { TensorInfo } from '../../../engine/safetensors/types.ts';
import { headerInfos, ipAdapterSd15Shapes } from '../../controllers/ipAdapter/fixtures.ts';
import { hasShared } from '../../support/shared.ts';
import { SDXL_TINY_F16, sdxlTiny } from './fixture.ts';
import { loadConfigHints } from '../../../engine/models/configHints.ts';

async function header(): Promise<Map<string, TensorInfo>> {
  return new Map((await readSafetensorsHeader(SDXL_TINY_F16)).tensors);
}

function failure(fn: () => unknown): StudioError {
  try {
    fn();
  } catch (e) {
    if (e instanceof StudioError) return e;
    throw e;
  }
  throw new Error('expected a StudioError');
}

describe.skipIf(!hasShared('golden', 'sdxl-tiny'))('SDXL files with a missing or mis-shaped tensor (sdxl-tiny header)', () => {
  const detect = async (edit: (t: Map<string, TensorInfo>) => void) => {
    const t = await header();
    edit(t);
    const hints = await loadConfigHints(sdxlTiny('config.json'));
    return failure(() => detectLdm('edited.safetensors', t, hints));
  };
  const reshape = (t: Map<string, TensorInfo>, name: string, shape: number[]) => t.set(name, { ...t.get(name)!, shape });

  it('a missing UNet, VAE or text-tower weight is CHECKPOINT_INCOMPLETE naming every one', async () => {
    const e = await detect((t) => {
      t.delete('model.diffusion_model.label_emb.0.2.weight');
      t.delete('first_stage_model.decoder.conv_out.bias');
      t.delete('conditioner.embedders.0.transformer.text_model.encoder.layers.1.mlp.fc1.weight');
      t.delete('conditioner.embedders.1.model.text_projection');
    });
    expect(e.code).toBe('CHECKPOINT_INCOMPLETE');
    expect(e.message).toMatch(/Stable Diffusion XL base checkpoint with 4 missing/);
    expect(e.details?.missing).toEqual(expect.arrayContaining([
      'model.diffusion_model.label_emb.0.2.weight',
      'first_stage_model.decoder.conv_out.bias',
      'conditioner.embedders.0.transformer.text_model.encoder.layers.1.mlp.fc1.weight',
      'conditioner.embedders.1.transformer.text_projection',
    ]));
  });

  it('a mis-shaped bigG weight (renamed from open_clip) is SHAPE_MISMATCH naming it', async () => {
    const e = await detect((t) => reshape(t, 'conditioner.embedders.1.model.transformer.resblocks.2.mlp.c_fc.weight', [190, 48]));
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.message).toMatch(/conditioner\.embedders\.1\.transformer\.text_model\.encoder\.layers\.2\.mlp\.fc1\.weight is \[190, 48\], expected \[192, 48\]/);
  });

  it('a mis-shaped UNet cross-attention weight is SHAPE_MISMATCH naming it', async () => {
    const k = 'model.diffusion_model.output_blocks.4.1.transformer_blocks.0.attn2.to_k.weight';
    const e = await detect((t) => reshape(t, k, [64, 72]));
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.message).toContain(`${k} is [64, 72], expected [64, 80]`);
  });

  it('a label_emb whose width does not fit pooled + six size embeddings is SHAPE_MISMATCH naming label_emb', async () => {
    const e = await detect((t) => {
      reshape(t, 'model.diffusion_model.label_emb.0.0.weight', [128, 1320]);
    });
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.message).toMatch(/label_emb\.0\.0\.weight: the UNet takes y of width 1320, but .* = 1576/);
  });

  it('a context width that is not CLIP-L + bigG is SHAPE_MISMATCH', async () => {
    const e = await detect((t) => {
      for (const [k, v] of t) if (k.endsWith('.attn2.to_k.weight') || k.endsWith('.attn2.to_v.weight')) t.set(k, { ...v, shape: [v.shape[0], 48] });
    });
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.message).toMatch(/reads 48-wide context, but the text towers give 32 \+ 48 = 80/);
  });

  it('a file with the SDXL UNet but no text towers is reported as an incomplete SDXL file, not an SD 1.x one', async () => {
    const e = await detect((t) => {
      for (const k of [...t.keys()]) if (k.startsWith('conditioner.')) t.delete(k);
    });
    expect(e.code).toBe('CHECKPOINT_INCOMPLETE');
    expect(e.message).toMatch(/Stable Diffusion XL base/);
    expect(e.details?.missing).toContain('conditioner.embedders.1.transformer.text_model.embeddings.token_embedding.weight');
  });
});

describe('SD 1.5 adapters offered to SDXL', () => {
  it('an SD 1.5 IP-Adapter is refused by the SDXL UNet (2048-wide context, attention at levels 1-2 only)', () => {
    // SDXL base 1.0's UNet as sd_xl_base.yaml states it.
    const unet = {
      inChannels: 4, outChannels: 4, modelChannels: 320, channelMult: [1, 2, 4], numResBlocks: 2,
      attentionLevels: [1, 2], attentionResolutions: [2, 4], midBlockAttention: true,
      transformerDepth: [0, 2, 10], midTransformerDepth: 10, contextDim: 2048, useLinearProjection: true,
      timeEmbedDim: 1280, admInChannels: 2816, numHeads: null, numHeadChannels: 64, headsPerLevel: [0, 10, 20], headsSource: 'family-default' as const,
    };
    const sites = unetSites(unet).attention;
    expect(sites).toHaveLength(140); // 70 transformer blocks (ALGORITHMS-2 §3.1)
    const t = headerInfos(ipAdapterSd15Shapes(), 'ip-adapter_sd15.safetensors');
    const layout = adapterLayout(t, 'ip-adapter_sd15.safetensors');
    const e = failure(() => bindAdapter(t, 'ip-adapter_sd15.safetensors', layout, sites, unet.contextDim));
    expect(e.code).toBe('INVALID_REQUEST');
    expect(e.message).toMatch(/768-wide image tokens but this model's cross-attention takes 2048 \(an IP-Adapter for another base model\)/);
  });
});
