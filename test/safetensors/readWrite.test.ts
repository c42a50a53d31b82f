import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioError } from '../../engine/api/errors.ts';
import { readSafetensorsHeader } from '../../engine/safetensors/header.ts';
import { TensorReader, readFloat32, readTensor, readTensors, withTensorReader } from '../../engine/safetensors/reader.ts';
import { writeSafetensors } from '../../engine/safetensors/writer.ts';
import { readNpy } from '../../engine/npy/npy.ts';
import { hasShared, sharedPath } from '../support/shared.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'st-rw-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeSafetensors + readTensor round trip', () => {
  it('packs tensors without gaps, element-aligned, header padded to 8', async () => {
    const path = join(dir, 'mixed.safetensors');
    await writeSafetensors(
      path,
      {
        'z.bytes': { dtype: 'U8', shape: [3], data: new Uint8Array([1, 2, 3]) },
        'a.half': { dtype: 'F16', shape: [2, 2], data: new Float32Array([1, -2, 0.5, 65504]) },
        'm.ids': { dtype: 'I64', shape: [1, 3], data: new BigInt64Array([0n, -1n, 9007199254740993n]) },
        'b.float': { dtype: 'F32', shape: [3], data: new Float32Array([1.5, -0, 3.25]) },
        'c.bf16': { dtype: 'BF16', shape: [2], data: [1.0078125, -3] },
        'd.i32': { dtype: 'I32', shape: [2], data: new Int32Array([-7, 7]) },
        'e.scalar': { dtype: 'F64', shape: [], data: new Float64Array([Math.PI]) },
      },
      { format: 'pt', note: 'ünïcode' },
    );
    const h = await readSafetensorsHeader(path);
    expect(h.metadata).toEqual({ format: 'pt', note: 'ünïcode' });
    expect(h.headerLength % 8).toBe(0);
    const spans = [...h.tensors.values()].sort((a, b) => a.offset - b.offset);
    let cursor = h.dataStart;
    for (const t of spans) {
      expect(t.offset).toBe(cursor); // contiguous: strict readers reject holes
      expect(t.offset % Math.max(1, t.byteLength / Math.max(1, t.shape.reduce((a, d) => a * d, 1)))).toBe(0);
      cursor += t.byteLength;
    }
    expect(cursor).toBe(h.fileSize);

    const all = await readTensors(h.tensors.values());
    expect(Array.from(all.get('a.half') as Float32Array)).toEqual([1, -2, 0.5, 65504]);
    expect(Array.from(all.get('b.float') as Float32Array)).toEqual([1.5, -0, 3.25]);
    expect(Array.from(all.get('c.bf16') as Float32Array)).toEqual([1.0078125, -3]);
    expect(Array.from(all.get('m.ids') as BigInt64Array)).toEqual([0n, -1n, 9007199254740993n]);
    expect(Array.from(all.get('d.i32') as Int32Array)).toEqual([-7, 7]);
    expect(Array.from(all.get('z.bytes') as Uint8Array)).toEqual([1, 2, 3]);
    expect((all.get('e.scalar') as Float64Array)[0]).toBe(Math.PI);
    expect(all.get('a.half')).toBeInstanceOf(Float32Array);
    expect(all.get('m.ids')).toBeInstanceOf(BigInt64Array);
  });

  it('refuses data whose size disagrees with the shape', async () => {
    const err = await writeSafetensors(join(dir, 'bad.safetensors'), {
      w: { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) },
    }).catch((e: unknown) => e);
    expect((err as StudioError).code).toBe('SHAPE_MISMATCH');
  });

  it('reports a tensor cut short when the file shrank after its header was read', async () => {
    const path = join(dir, 'shrink.safetensors');
    await writeSafetensors(path, { w: { dtype: 'F32', shape: [256], data: new Float32Array(256) } });
    const info = (await readSafetensorsHeader(path)).tensors.get('w')!;
    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, bytes.length - 100));
    const err = await readTensor(info).catch((e: unknown) => e);
    expect((err as StudioError).code).toBe('CHECKPOINT_CORRUPT');
    expect((err as StudioError).message).toContain('"w"');
  });

  it('one reader serves several files and closes its handles', async () => {
    const p1 = join(dir, 'one.safetensors');
    const p2 = join(dir, 'two.safetensors');
    await writeSafetensors(p1, { x: { dtype: 'F32', shape: [1], data: new Float32Array([1]) } });
    await writeSafetensors(p2, { y: { dtype: 'F32', shape: [1], data: new Float32Array([2]) } });
    const x = (await readSafetensorsHeader(p1)).tensors.get('x')!;
    const y = (await readSafetensorsHeader(p2)).tensors.get('y')!;
    const got = await withTensorReader(async (r: TensorReader) => [await r.read(x), await r.read(y), await r.read(x)]);
    expect(got.map((a) => a[0])).toEqual([1, 2, 1]);
  });
});

describe.skipIf(!hasShared('golden', 'sd15-tiny'))('golden sd15-tiny checkpoints', () => {
  const f32 = sharedPath('golden', 'sd15-tiny', 'sd15-tiny.f32.safetensors');
  const f16 = sharedPath('golden', 'sd15-tiny', 'sd15-tiny.f16.safetensors');

  it('headers list all 983 tensors with the shapes of keys.txt', async () => {
    const keys = (await readFile(sharedPath('golden', 'sd15-tiny', 'keys.txt'), 'utf8')).trim().split('\n');
    for (const path of [f32, f16]) {
      const h = await readSafetensorsHeader(path);
      expect(h.tensors.size).toBe(983);
      expect(h.metadata.format).toBe('pt');
      for (const line of keys) {
        const [name, , shape] = line.split('\t');
        const t = h.tensors.get(name);
        expect(t, name).toBeDefined();
        expect(t!.shape.join('x'), name).toBe(shape);
      }
    }
  });

  it('F16 tensors widen to the F32 file within fp16 rounding; position_ids stay int64', async () => {
    const a = await readSafetensorsHeader(f32);
    const b = await readSafetensorsHeader(f16);
    const name = 'model.diffusion_model.input_blocks.1.1.proj_in.weight';
    expect(b.tensors.get(name)!.dtype).toBe('F16');
    const [x, y] = [await readTensor(a.tensors.get(name)!), await readTensor(b.tensors.get(name)!)];
    expect(y).toBeInstanceOf(Float32Array);
    for (let i = 0; i < x.length; i++) {
      const v = x[i] as number;
      expect(Math.abs((y[i] as number) - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11 + 2 ** -24);
    }
    const idsInfo = b.tensors.get('cond_stage_model.transformer.text_model.embeddings.position_ids')!;
    expect(((await readFloat32(idsInfo).catch((e: unknown) => e)) as StudioError).code).toBe('SHAPE_MISMATCH');
    const ids = await readTensor(idsInfo);
    expect(ids).toBeInstanceOf(BigInt64Array);
    expect(Array.from(ids as BigInt64Array, Number)).toEqual(Array.from({ length: 77 }, (_, i) => i));
  });

  it('time_embed reproduces the golden MLP input width', async () => {
    const h = await readSafetensorsHeader(f32);
    const w = h.tensors.get('model.diffusion_model.time_embed.0.weight')!;
    expect(w.shape).toEqual([128, 32]);
    const sinusoid = await readNpy(sharedPath('golden', 'sd15-tiny', 'golden', 'timestep_embedding', 'sinusoidal.npy'));
    expect(sinusoid.shape[1]).toBe(w.shape[1]);
  });
});
