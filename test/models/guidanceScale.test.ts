import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../engine/api/dispatch.ts';
import { BUNDLED_DEFAULT_MODEL } from '../../engine/catalog/defaultModel.ts';
import { hintsFromConfig } from '../../engine/models/configHints.ts';
import { detectModel } from '../../engine/models/detect.ts';
import type { StableDiffusionSpec } from '../../engine/models/spec.ts';
import { SettingsStore } from '../../engine/studio/settings/store.ts';
import { createHandlers } from '../../engine/studio/handlers.ts';
import { createStudio } from '../../engine/studio/create.ts';
import { hasShared, sharedPath } from '../support/shared.ts';

const toy = existsSync(BUNDLED_DEFAULT_MODEL);
if (!toy) console.warn(`[skip] ${BUNDLED_DEFAULT_MODEL} is absent: no recommended-guidance job check.`);

describe("a request's default guidance scale is the model's recommended one", () => {
  it('reads guidance_scale from a studio config', () => {
    expect(hintsFromConfig({ unet: {}, guidance_scale: 4 }, 'x.json')?.guidanceScale).toBe(4);
    expect(hintsFromConfig({ unet: {}, guidance_scale: -1 }, 'x.json')?.guidanceScale).toBeUndefined();
    expect(hintsFromConfig({ unet: {} }, 'x.json')?.guidanceScale).toBeUndefined();
  });

  it.skipIf(!hasShared('golden', 'sd15-tiny'))('an SD 1.x checkpoint whose config names none gets 7.5', async () => {
    const spec = (await detectModel(sharedPath('golden', 'sd15-tiny', 'sd15-tiny.f32.safetensors'))) as StableDiffusionSpec;
    expect(spec.guidanceScale).toBe(7.5);
  });

  it.skipIf(!toy)('a generation without cfg samples at the toy model\'s 4, records it, and equals an explicit cfg 4', async () => {
    const studio = createStudio({ settings: new SettingsStore(join(mkdtempSync(join(tmpdir(), 'ls-cfg-')), 'settings.json')) });
    const handlers = createHandlers(studio);
    const run = async (req: Record<string, unknown>) => {
      const env = await dispatch(handlers, 'jobs.generate', { model: BUNDLED_DEFAULT_MODEL, prompt: 'a red circle on a blue background', steps: 4, seed: 5, ...req });
      if (!env.ok) throw new Error(env.error.message);
      const s = await studio.queue.waitFor((env.result as { jobId: string }).jobId);
      return studio.results.get(s.images[0].imageId);
    };
    const open = await run({});
    expect(open.parameters).toMatch(/CFG scale: 4,/);
    expect(open.recipe?.request).toMatchObject({ cfg: 4 });
    expect(Buffer.compare(open.png, (await run({ cfg: 4 })).png)).toBe(0);
    expect(Buffer.compare(open.png, (await run({ cfg: 7.5 })).png)).not.toBe(0);
  }, 120_000);
});
