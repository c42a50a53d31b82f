import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SessionCache } from '../../engine/graph/session.ts';
import { embeddingHashes, embeddingsIn, loadEmbeddings } from '../../engine/lora/embeddings.ts';
import { loadTextEncoder } from '../../engine/models/clip/index.ts';
import { detectModel } from '../../engine/models/detect.ts';
import type { StableDiffusionSpec } from '../../engine/models/spec.ts';
import { readFloat32, readSafetensorsHeader, readTensor, writeSafetensors, type TensorToWrite } from '../../engine/safetensors/index.ts';
import { tokenizerFor } from '../../engine/tokenizer/forModel.ts';
import { maxAbsDiff } from '../graph/reference.ts';
import { hasShared, sharedPath } from '../support/shared.ts';

const tiny = (...p: string[]) => sharedPath('golden', 'sd15-tiny', ...p);
const cache = new SessionCache({ intraOpNumThreads: 1 });
afterAll(() => cache.clear());

describe.skipIf(!hasShared('golden', 'sd15-tiny'))('textual inversion embeddings', () => {
  it('a name in the prompt is replaced by its vectors: the same as a checkpoint whose token rows hold them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ls-ti-'));
    mkdirSync(join(dir, 'embeddings'));
    const vectors = Float32Array.from({ length: 2 * 64 }, (_, i) => Math.cos(i * 0.37) * 0.5);
    await writeSafetensors(join(dir, 'embeddings', 'zqstyle.safetensors'), { emb_params: { dtype: 'F32', shape: [2, 64], data: vectors } });
    await writeSafetensors(join(dir, 'embeddings', 'wide.safetensors'), { emb_params: { dtype: 'F32', shape: [1, 768], data: new Float32Array(768) } });

    // Reference: a copy of sd15-tiny whose token rows 1000 and 1001 are the two vectors.
    const header = await readSafetensorsHeader(tiny('sd15-tiny.f32.safetensors'));
    const tensors: Record<string, TensorToWrite> = {};
    for (const [name, info] of header.tensors) tensors[name] = { dtype: info.dtype, shape: info.shape, data: info.dtype === 'F32' ? await readFloat32(info) : await readTensor(info) };
    const table = tensors['cond_stage_model.transformer.text_model.embeddings.token_embedding.weight'].data as Float32Array;
    table.set(vectors, 1000 * 64);
    const patched = join(dir, 'patched.safetensors');
    await writeSafetensors(patched, tensors);

    const spec = (await detectModel(tiny('sd15-tiny.f32.safetensors'), { configPath: tiny('config.json') })) as StableDiffusionSpec;
    const patchedSpec = (await detectModel(patched, { configPath: tiny('config.json') })) as StableDiffusionSpec;
    const tok = await tokenizerFor({ family: 'sd1' });
    const all = await loadEmbeddings({ modelsDir: dir }, 64);
    expect(all.map((e) => e.name)).toEqual(['zqstyle']); // the 768-wide one does not fit this encoder
    const used = embeddingsIn(['a zqstyle cat', 'blurry'], all);
    expect(used.map((e) => e.name)).toEqual(['zqstyle']);

    const enc = await loadTextEncoder(spec, { cache, threads: 1, placement: { cacheDir: join(dir, 'graphs') }, embeddings: used });
    const got = await enc.encodePrompt('a zqstyle cat', tok);
    const ref = await loadTextEncoder(patchedSpec, { cache, threads: 1, placement: { cacheDir: join(dir, 'graphs') } });
    const [bos, a, cat, eos] = [tok.encode('').ids[0], tok.encode('a').ids[1], tok.encode('cat').ids[1], tok.encode('').ids[1]];
    const ids = [bos, a, 1000, 1001, cat, ...new Array<number>(72).fill(eos)];
    const want = await ref.encodeIds([ids], 1);
    expect(maxAbsDiff(got.data, want.data)).toBeLessThan(1e-5);
    // Without the embedding the name is ordinary text: a different result.
    const plain = await (await loadTextEncoder(spec, { cache, threads: 1, placement: { cacheDir: join(dir, 'graphs') } })).encodePrompt('a zqstyle cat', tok);
    expect(maxAbsDiff(plain.data, want.data)).toBeGreaterThan(1e-2);

    const file = join(dir, 'embeddings', 'zqstyle.safetensors');
    expect(await embeddingHashes(used)).toEqual([{ name: 'zqstyle', hash: createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 12) }]);
  });
});
