import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectModel } from '../../engine/catalog/inspect.ts';
import { scanModelsDir } from '../../engine/catalog/scan.ts';
import { ipAdapterPlusSd15Shapes, ipAdapterSd15Shapes, vitH14Shapes, writeSparseSafetensors } from '../controllers/ipAdapter/fixtures.ts';

const dir = await mkdtemp(join(tmpdir(), 'ls-aux-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the model list names image adapters and encoders instead of calling them broken checkpoints', () => {
  it('ip-adapter_sd15, ip-adapter-plus_sd15 and a ViT-H image_encoder/ each get their own family', async () => {
    await writeSparseSafetensors(join(dir, 'ip-adapter_sd15.safetensors'), ipAdapterSd15Shapes());
    await writeSparseSafetensors(join(dir, 'ip-adapter-plus_sd15.safetensors'), ipAdapterPlusSd15Shapes());
    await mkdir(join(dir, 'image_encoder'));
    await writeSparseSafetensors(join(dir, 'image_encoder', 'model.safetensors'), vitH14Shapes());

    const base = await inspectModel(join(dir, 'ip-adapter_sd15.safetensors'));
    expect(base.error).toBeNull();
    expect(base.architecture?.family).toBe('ip-adapter');
    expect(base.architecture?.summary).toBe('IP-Adapter base, 4 image tokens, 16 cross-attention sites, context 768');
    const plus = await inspectModel(join(dir, 'ip-adapter-plus_sd15.safetensors'));
    expect(plus.architecture?.summary).toMatch(/^IP-Adapter plus \(Resampler\), 16 image tokens/);
    const encoder = await inspectModel(join(dir, 'image_encoder', 'model.safetensors'));
    expect(encoder.architecture?.family).toBe('clip-vision');
    expect(encoder.architecture?.summary).toBe('CLIP image encoder 1280 wide, 32 layers, 224² in patches of 14');
  });

  it('a file with adapter keys but missing layers is still reported as unloadable, with the missing keys', async () => {
    const shapes = ipAdapterSd15Shapes();
    for (const k of [...shapes.keys()]) if (k.startsWith('ip_adapter.')) shapes.delete(k);
    await writeSparseSafetensors(join(dir, 'half-adapter.safetensors'), shapes);
    const entry = await inspectModel(join(dir, 'half-adapter.safetensors'));
    expect(entry.architecture).toBeNull();
    expect(entry.error?.code).toBe('CHECKPOINT_INCOMPLETE');
  });

  it('scanning finds them like any other file', async () => {
    const found = await scanModelsDir(dir);
    expect(found.map((f) => f.name).sort()).toContain('ip-adapter_sd15');
  });
});
