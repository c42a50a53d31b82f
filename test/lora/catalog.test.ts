import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../engine/cli/main.ts';
import { writeSafetensors } from '../../engine/safetensors/index.ts';
import { captureOutput } from '../support/captureOutput.ts';
import { hasShared, sharedPath } from '../support/shared.ts';

describe.skipIf(!hasShared('golden', 'lora-sd15'))('models listing shows LoRAs and embeddings', () => {
  it('lists family, rank, targets and trigger words, and keeps LoRA files out of the models', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ls-lora-models-'));
    mkdirSync(join(dir, 'loras'));
    mkdirSync(join(dir, 'embeddings'));
    copyFileSync(sharedPath('golden', 'sd15-tiny', 'sd15-tiny.f32.safetensors'), join(dir, 'tiny.safetensors'));
    copyFileSync(sharedPath('golden', 'lora-sd15', 'sd15-tiny.locon.safetensors'), join(dir, 'loras', 'locon.safetensors'));
    const N = 'lora_te1_text_model_encoder_layers_0_self_attn_q_proj';
    await writeSafetensors(join(dir, 'loras', 'xl-style.safetensors'), {
      [`${N}.lora_down.weight`]: { dtype: 'F32', shape: [16, 768], data: new Float32Array(16 * 768) },
      [`${N}.lora_up.weight`]: { dtype: 'F32', shape: [768, 16], data: new Float32Array(16 * 768) },
    }, { ss_output_name: 'inkStyle', ss_tag_frequency: JSON.stringify({ '10_ink': { 'ink drawing': 30, monochrome: 12 }, '5_more': { monochrome: 25 } }) });
    await writeSafetensors(join(dir, 'embeddings', 'badhands.safetensors'), { emb_params: { dtype: 'F32', shape: [4, 768], data: new Float32Array(4 * 768) } });
    const r = await captureOutput(() => main(['node', 'latent-studio', 'models', '--json', dir]));
    expect(r.code, r.err).toBe(0);
    const out = JSON.parse(r.out) as { models: Array<{ name: string }>; loras: Array<Record<string, unknown>>; embeddings: Array<Record<string, unknown>> };
    expect(out.models.map((m) => m.name)).toEqual(['tiny']);
    expect(out.loras).toMatchObject([
      { name: 'locon', family: 'sd1', format: 'kohya', kinds: ['lora'], ranks: [4, 8], modules: 290, outputName: 'locon' },
      { name: 'xl-style', family: 'sdxl', ranks: [16], targets: { unet: 0, text: 1 }, outputName: 'inkStyle', triggerWords: ['monochrome', 'ink drawing'] },
    ]);
    expect(out.embeddings).toEqual([{ name: 'badhands', path: join(dir, 'embeddings', 'badhands.safetensors'), vectors: 4, width: 768, family: 'sd1', error: null }]);
    const table = await captureOutput(() => main(['node', 'latent-studio', 'models', dir]));
    expect(table.out).toMatch(/xl-style .* for SDXL, rank 16, 0 UNet \+ 1 text modules \(alias inkStyle\)\n\s+trigger words: monochrome, ink drawing/);
  });
});

describe.skipIf(!hasShared('golden', 'lora-sd15'))('restoring a recipe says which LoRAs are missing', () => {
  it('finds a LoRA at its path or by name with the same hash, and names the rest', async () => {
    const { missingLoras } = await import('../../engine/lora/recipeCheck.ts');
    const { loraHash } = await import('../../engine/lora/hashes.ts');
    const dir = mkdtempSync(join(tmpdir(), 'ls-lora-restore-'));
    mkdirSync(join(dir, 'loras'));
    copyFileSync(sharedPath('golden', 'lora-sd15', 'sd15-tiny.lora.safetensors'), join(dir, 'loras', 'moved.safetensors'));
    const hash = await loraHash(join(dir, 'loras', 'moved.safetensors'));
    expect(await missingLoras([{ name: 'moved', file: '/gone/moved.safetensors', hash }], dir)).toEqual({});
    expect(await missingLoras([
      { name: 'moved', file: '/gone/moved.safetensors', hash: '000000000000' },
      { name: 'absent', file: '/gone/absent.safetensors', hash: 'abcdefabcdef' },
    ], dir)).toEqual({ missingLoras: [{ name: 'moved', hash: '000000000000' }, { name: 'absent', hash: 'abcdefabcdef' }] });
  });
});
