import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionCache } from '../../../engine/graph/session.ts';
import { detectT5 } from '../../../engine/models/t5/detect.ts';
import { T5Encoder } from '../../../engine/models/t5/encoder.ts';
import { npyToFloat32, readNpy } from '../../../engine/npy/npy.ts';
import { maxAbsDiff } from '../../graph/reference.ts';
import { hasShared } from '../../support/shared.ts';
import { pixart, tinyT5Tensors, writeT5Variant } from './fixtures.ts';
import { t5Reference } from './reference.ts';

const cache = new SessionCache({ intraOpNumThreads: 1 });
const ids = [37, 1712, 19, 3, 9, 5, 1, 0, 0, 0];
const mask = [1, 1, 1, 1, 1, 1, 1, 0, 0, 0];

describe.skipIf(!hasShared('golden', 'pixart-tiny'))('T5 feed-forward variants against a float64 reference', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 't5-ff-'));
  });
  afterAll(async () => {
    await cache.clear();
    await rm(dir, { recursive: true, force: true });
  });

  it('the reference reproduces the golden (so it can judge the variants)', async () => {
    const t = await tinyT5Tensors();
    const g = npyToFloat32(await readNpy(pixart('golden', 'text', 'last_hidden_state.npy')));
    const gIds = Array.from((await readNpy(pixart('golden', 'text', 'input_ids.npy'))).data as BigInt64Array, Number).slice(0, 120);
    const gMask = Array.from((await readNpy(pixart('golden', 'text', 'attention_mask.npy'))).data as BigInt64Array, Number).slice(0, 120);
    expect(maxAbsDiff(t5Reference(t, gIds, gMask, { layers: 2, heads: 4, ff: 'gated-gelu' }), g.subarray(0, 120 * 32))).toBeLessThan(1e-4);
  });

  const variants = [
    { ff: 'relu' as const, config: { feed_forward_proj: 'relu' }, rename: (k: string) => (k.endsWith('wi_1.weight') ? null : k.replace('wi_0', 'wi')) },
    { ff: 'gated-gelu-exact' as const, config: { feed_forward_proj: 'gated-gelu', dense_act_fn: 'gelu' }, rename: (k: string) => k },
  ];
  for (const v of variants) {
    it(`${v.ff}: detected from keys and config, computed as the reference`, async () => {
      const folder = join(dir, v.ff);
      await writeT5Variant(join(folder, 'model.safetensors'), { rename: v.rename });
      await writeFile(join(folder, 'config.json'), JSON.stringify({ model_type: 't5', ...v.config }));
      const spec = await detectT5(folder);
      expect(spec.config.feedForward).toBe(v.ff);
      const out = await new T5Encoder(spec, { cache }).encodeIds([ids], [mask]);
      const t = new Map([...(await tinyT5Tensors())].flatMap(([k, x]) => {
        const n = v.rename(k);
        return n === null ? [] : [[n, x] as const];
      }));
      expect(maxAbsDiff(out.data, t5Reference(t, ids, mask, { layers: 2, heads: 4, ff: v.ff }))).toBeLessThan(1e-4);
    });
  }
});
