import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioError } from '../../engine/api/errors.ts';
import { findConfigBeside, hintsFromConfig, loadConfigHints } from '../../engine/models/configHints.ts';
import { hasShared, sharedPath } from '../support/shared.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cfg-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('config hints', () => {
  it.skipIf(!hasShared('golden', 'sd15-tiny'))('reads the studio JSON format of the sd15-tiny golden config', async () => {
    const h = await loadConfigHints(sharedPath('golden', 'sd15-tiny', 'config.json'));
    expect(h).toMatchObject({ prediction: 'eps', scaleFactor: 0.18215, unetNumHeads: 8, textNumHeads: 4, textHiddenAct: 'quick_gelu' });
    expect(h.declared).toMatchObject({ modelChannels: 32, channelMult: [1, 2, 3, 3], contextDim: 64, vaeCh: 32 });
    expect(h.unetNumHeadChannels).toBeUndefined();
  });

  it('reads LDM configs; -1 means "not set"', () => {
    const h = hintsFromConfig(
      {
        model: {
          params: {
            parameterization: 'v',
            unet_config: { params: { num_heads: -1, num_head_channels: 64 } },
            cond_stage_config: { target: 'ldm.modules.encoders.modules.FrozenCLIPEmbedder' },
          },
        },
      },
      'x.yaml',
    );
    expect(h).toMatchObject({ prediction: 'v', unetNumHeadChannels: 64, family: 'sd1' });
    expect(h?.unetNumHeads).toBeUndefined();
    expect(hintsFromConfig({ _class_name: 'UNet2DConditionModel' }, 'c.json')).toBeUndefined();
  });

  it('prefers <name>.yaml over a generic config.json, and ignores config.json in unknown formats', async () => {
    const ckpt = join(dir, 'model.v1.safetensors');
    await writeFile(join(dir, 'config.json'), JSON.stringify({ _class_name: 'UNet2DConditionModel' }));
    expect(await findConfigBeside(ckpt)).toBeUndefined();
    await writeFile(join(dir, 'model.yaml'), 'model:\n  params:\n    parameterization: v\n    unet_config:\n      params:\n        num_heads: 4\n');
    expect(await findConfigBeside(ckpt)).toMatchObject({ source: join(dir, 'model.yaml'), prediction: 'v', unetNumHeads: 4 });
  });

  it('an explicit config that is broken or foreign is a typed error', async () => {
    await writeFile(join(dir, 'bad.json'), '{ nope');
    await writeFile(join(dir, 'foreign.json'), '{"a": 1}');
    expect(((await loadConfigHints(join(dir, 'bad.json')).catch((e: unknown) => e)) as StudioError).code).toBe('CHECKPOINT_CORRUPT');
    expect(((await loadConfigHints(join(dir, 'foreign.json')).catch((e: unknown) => e)) as StudioError).code).toBe('CHECKPOINT_UNSUPPORTED');
    expect(((await loadConfigHints(join(dir, 'none.yaml')).catch((e: unknown) => e)) as StudioError).code).toBe('NOT_FOUND');
  });
});

describe('configs found beside a checkpoint', () => {
  it('skips a same-named JSON that is not a model config (e.g. a UI notes file)', async () => {
    const sub = await mkdtemp(join(dir, 'notes-'));
    await writeFile(join(sub, 'mymodel.json'), JSON.stringify({ description: 'my favourite', 'sd version': 'SD1' }));
    expect(await findConfigBeside(join(sub, 'mymodel.safetensors'))).toBeUndefined();
    await writeFile(join(sub, 'mymodel.json'), '{ broken');
    expect(await findConfigBeside(join(sub, 'mymodel.safetensors'))).toBeUndefined();
  });
});
