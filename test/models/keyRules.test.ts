import { describe, expect, it } from 'vitest';
import { StudioError } from '../../engine/api/errors.ts';
import { renameTensors, type RenameRule } from '../../engine/models/keyRules.ts';
import { WeightStore } from '../../engine/models/weightStore.ts';
import type { TensorInfo } from '../../engine/safetensors/types.ts';

const info = (name: string, shape: number[], offset = 0): TensorInfo => ({
  name,
  dtype: 'F32',
  shape,
  offset,
  byteLength: shape.reduce((a, d) => a * d, 4),
  file: '/x.safetensors',
});

describe('renameTensors', () => {
  const rules: RenameRule<{ k: number }>[] = [
    { from: 'text_model.', to: 'te.' },
    { from: /^blocks\.(\d+)\.w$/, to: (m, c) => `b.${Number(m[1]) + c.k}.weight` },
    { from: /^fused$/, to: ['q', 'k', 'v'] },
    { from: /^lin$/, to: 'conv', reshape: (s) => [...s, 1, 1] },
    { from: /^junk$/, to: null },
  ];

  it('applies prefix, template, function, split, reshape and drop rules', () => {
    const r = renameTensors(
      [info('text_model.a', [2]), info('blocks.3.w', [2]), info('fused', [6, 4], 100), info('lin', [4, 4]), info('junk', [1]), info('other', [1])],
      rules,
      { k: 10 },
      { passthrough: false, prefix: 'p.' },
    );
    expect([...r.canonical.keys()]).toEqual(['p.te.a', 'p.b.13.weight', 'p.q', 'p.k', 'p.v', 'p.conv']);
    expect(r.canonical.get('p.k')).toMatchObject({ shape: [2, 4], offset: 132, byteLength: 32, sourceName: 'fused' });
    expect(r.canonical.get('p.conv')!.shape).toEqual([4, 4, 1, 1]);
    expect(r.unmatched).toEqual(['other']);
    expect(r.dropped).toEqual(['junk']);
  });

  it('passes unmatched names through when asked', () => {
    const r = renameTensors([info('other', [1])], rules, { k: 0 }, { passthrough: true });
    expect(r.canonical.get('other')).toMatchObject({ name: 'other' });
  });

  it('refuses two sources that map to one name, and fused tensors that do not split evenly', () => {
    expect(() => renameTensors([info('text_model.a', [1]), info('te.a', [1])], rules, { k: 0 }, { passthrough: true })).toThrow(StudioError);
    const e = (() => {
      try {
        renameTensors([info('fused', [5, 4])], rules, { k: 0 }, { passthrough: false });
      } catch (x) {
        return x as StudioError;
      }
    })();
    expect(e?.code).toBe('SHAPE_MISMATCH');
  });
});

describe('WeightStore', () => {
  const w = WeightStore.from(new Map([['a.b.c', info('a.b.c', [1])], ['a.d', info('a.d', [2])], ['e', info('e', [3])]]), 'ckpt');
  it('scopes nest and list relative keys', () => {
    expect(w.scope('a').keys()).toEqual(['b.c', 'd']);
    expect(w.scope('a').scope('b').get('c').shape).toEqual([1]);
    expect(w.scope('a').size).toBe(2);
    expect(w.size).toBe(3);
    expect(w.scope('a').has('x')).toBe(false);
    expect(w.files()).toEqual(['/x.safetensors']);
  });
  it('a missing name is CHECKPOINT_INCOMPLETE with the full canonical key', () => {
    try {
      w.scope('a').scope('b').get('zz');
      expect.unreachable();
    } catch (e) {
      expect((e as StudioError).code).toBe('CHECKPOINT_INCOMPLETE');
      expect((e as StudioError).details?.missing).toEqual(['a.b.zz']);
    }
  });
});
