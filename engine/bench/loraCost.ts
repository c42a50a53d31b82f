import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { StudioError } from '../api/errors.ts';
import { SessionCache } from '../graph/session.ts';
import { type LoraMode } from '../lora/adapters.ts';
import { applyLoras } from '../lora/apply.ts';
import { loraNameMap } from '../lora/nameTables.ts';
import { detectModel } from '../models/detect.ts';
import type { StableDiffusionSpec } from '../models/spec.ts';
import { loadUNet } from '../models/unet/runner.ts';
import { writeSafetensors, type TensorToWrite } from '../safetensors/index.ts';
import { f32ToF16 } from '../safetensors/halfFloat.ts';
import { ensureSd15Checkpoint } from './syntheticCheckpoint.ts';
import { timeOnce, timeRuns } from './timing.ts';

export interface LoraBenchOptions {
  dir: string;
  threads: number;
  rank: number;
  /** Image side in pixels (latent = size / 8). */
  size: number;
  repeats: number;
  log: (line: string) => void;
}

/** One way of running the UNet: its compile time and its time per step. */
export interface LoraBenchRow {
  mode: 'none' | LoraMode;
  loadSeconds: number;
  seconds: number;
  bestSeconds: number;
  /** Seconds a new multiplier costs before the next step: a new session when merged, nothing with branches. */
  rescaleSeconds: number;
}

const ATTENTION_AND_FF = /\.(attn[12]\.(to_q|to_k|to_v|to_out\.0)|ff\.net\.(0\.proj|2))$/;

function pseudoRandom(n: number, seed: number, amplitude: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * amplitude;
  }
  return out;
}

/** A kohya LoRA of this rank on every attention and feed-forward linear of the UNet (F16, alpha = rank). */
export async function writeSyntheticLora(path: string, spec: StableDiffusionSpec, rank: number): Promise<number> {
  const tensors: Record<string, TensorToWrite> = {};
  let seed = 11;
  for (const [name, { path: target, component }] of loraNameMap('sd1', spec.weights, spec.unet)) {
    if (component !== 'unet' || !name.startsWith('lora_unet_') || !ATTENTION_AND_FF.test(target)) continue;
    const [out, inDim] = spec.weights.get(`${target}.weight`).shape;
    tensors[`${name}.lora_down.weight`] = { dtype: 'F16', shape: [rank, inDim], data: f32ToF16(pseudoRandom(rank * inDim, seed++, 0.02)) };
    tensors[`${name}.lora_up.weight`] = { dtype: 'F16', shape: [out, rank], data: f32ToF16(pseudoRandom(out * rank, seed++, 0.02)) };
    tensors[`${name}.alpha`] = { dtype: 'F16', shape: [], data: f32ToF16([rank]) };
  }
  await writeSafetensors(path, tensors, { ss_network_module: 'networks.lora', ss_network_dim: String(rank), ss_base_model_version: 'sd_v1' });
  return Object.keys(tensors).length / 3;
}

/**
 * The cost of LoRA per UNet step on full-size SD 1.5 (random weights): no LoRA, the low-rank
 * branches (multiplier fed), and the weights merged at session creation (multiplier compiled).
 */
export async function runLoraBench(o: LoraBenchOptions): Promise<LoraBenchRow[]> {
  const ckpt = join(o.dir, 'sd15-random.f16.safetensors');
  await ensureSd15Checkpoint(ckpt);
  const spec = await detectModel(ckpt);
  if (spec.family !== 'sd1') throw new StudioError('RUNTIME_FAILURE', `bench checkpoint detected as ${spec.family}, expected sd1`);
  const loraPath = join(o.dir, `sd15-random.lora-r${o.rank}.safetensors`);
  if (!existsSync(loraPath)) o.log(`LoRA ${loraPath}: ${await writeSyntheticLora(loraPath, spec, o.rank)} modules, rank ${o.rank}`);
  const B = 2, T = 77, h = o.size / 8, w = h;
  const x = pseudoRandom(B * 4 * h * w, 1, 1);
  const context = pseudoRandom(B * T * 768, 2, 1);
  const placement = { cacheDir: join(o.dir, 'graphs') };
  const rows: LoraBenchRow[] = [];
  for (const mode of ['none', 'branch', 'merge'] as const) {
    // One UNet in memory at a time: each row gets its own cache, cleared after it.
    const cache = new SessionCache({ intraOpNumThreads: o.threads, maxEntries: 1 });
    const load = async (scale: number) => {
      const lora = mode === 'none' ? undefined : (await applyLoras(spec, [{ path: loraPath, scale }], mode)).unet;
      const unet = await loadUNet(spec, { cache, lora, runtime: { threads: o.threads, placement } });
      await unet.session(B, h, w, T);
      return unet;
    };
    const first = await timeOnce(() => load(0.8));
    const t = await timeRuns(() => first.value.evaluate(x, [B, 4, h, w], [999, 999], context, [B, T, 768]), o.repeats, 1);
    const rescale = mode === 'none' ? { seconds: 0 } : await timeOnce(() => load(0.5));
    const row: LoraBenchRow = { mode, loadSeconds: first.seconds, seconds: t.median, bestSeconds: t.best, rescaleSeconds: rescale.seconds };
    o.log(`UNet ${o.size}² batch ${B}, LoRA ${mode}: ${t.median.toFixed(2)} s/step (best ${t.best.toFixed(2)}), load ${first.seconds.toFixed(1)} s, new multiplier ${rescale.seconds.toFixed(1)} s`);
    rows.push(row);
    await cache.clear();
  }
  return rows;
}
