import { stat } from 'node:fs/promises';
import { expectedTextEncoderTensors } from '../models/clip/shapes.ts';
import { expectedUNetTensors, type UNetShapes } from '../models/unet/shapes.ts';
import { expectedVAETensors } from '../models/vae/shapes.ts';
import type { VAEConfig } from '../models/spec.ts';
import { writeAtomically } from '../safetensors/atomicWrite.ts';
import { numberToF16Bits } from '../safetensors/halfFloat.ts';
import { mulberry32 } from '../random/mulberry32.ts';

/** SD 1.5's UNet at full size (860M parameters), as its v1-inference.yaml describes it. */
export function sd15UNetShapes(): UNetShapes {
  return {
    inChannels: 4, outChannels: 4, modelChannels: 320, channelMult: [1, 2, 4, 4], numResBlocks: 2,
    attentionLevels: [0, 1, 2], attentionResolutions: [1, 2, 4], midBlockAttention: true,
    transformerDepth: [1, 1, 1, 0], midTransformerDepth: 1, contextDim: 768, useLinearProjection: false, timeEmbedDim: 1280, admInChannels: 0,
  };
}

/** The KL-f8 autoencoder of SD 1.x (83M parameters). */
export function sd15VAEConfig(): VAEConfig {
  return { inChannels: 3, outChannels: 3, ch: 128, chMult: [1, 2, 4, 4], numResBlocks: 2, attnLevels: [], zChannels: 4, embedDim: 4, doubleZ: true };
}

/** Every tensor of a single-file SD 1.5 checkpoint (LDM key layout: UNet, VAE, CLIP ViT-L/14 text tower). */
export function sd15CheckpointKeys(): Map<string, number[]> {
  const out = new Map<string, number[]>();
  expectedUNetTensors(sd15UNetShapes()).forEach((s, k) => out.set(`model.diffusion_model.${k}`, s));
  expectedVAETensors(sd15VAEConfig()).forEach((s, k) => out.set(`first_stage_model.${k}`, s));
  const clip = { vocabSize: 49408, hiddenSize: 768, numLayers: 12, intermediateSize: 3072, maxPositions: 77, hasPositionIds: false };
  expectedTextEncoderTensors(clip).forEach((s, k) => out.set(`cond_stage_model.transformer.text_model.${k}`, s));
  return out;
}

const TABLE = 4096;
const CHUNK = 1 << 22; // elements per write: 8 MiB of fp16, so RAM stays flat whatever the file size

/**
 * Writes an F16 safetensors file of random weights without holding it in memory: the header
 * first (offsets are known from the shapes), then each tensor in chunks. Values are drawn
 * like an initialised network's (weights N(0, 1/fan_in), biases N(0, 0.05²), norm scales
 * 1 + N(0, 0.1²)) so activations stay finite through a full UNet; cost does not depend on
 * them. Each tensor draws from a table of 4096 seeded Gaussian fp16 values by a seeded random
 * index — a per-element Box–Muller + fp16 rounding in JS would take minutes for 1.07 G values.
 * Written under a temporary name and renamed, so an interrupted run leaves no half file.
 */
export async function writeRandomF16Checkpoint(path: string, keys: Map<string, number[]>, seed = 7, onProgress?: (fraction: number) => void): Promise<number> {
  const entries = [...keys].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = { __metadata__: { format: 'pt', note: 'latent-studio bench: random weights' } };
  let offset = 0;
  for (const [name, shape] of entries) {
    const bytes = shape.reduce((a, d) => a * d, 2);
    header[name] = { dtype: 'F16', shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));

  const rand = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const table = new Uint16Array(TABLE);
  const buf = new Uint16Array(CHUNK);
  let written = 0;
  await writeAtomically(path, async (fh) => {
    await fh.write(Buffer.concat([prefix, Buffer.from(json, 'utf8')]));
    for (const [name, shape] of entries) {
      const n = shape.reduce((a, d) => a * d, 1);
      const isNormScale = shape.length === 1 && name.endsWith('.weight');
      const std = shape.length >= 2 ? 1 / Math.sqrt(shape.slice(1).reduce((a, d) => a * d, 1)) : isNormScale ? 0.1 : 0.05;
      for (let i = 0; i < TABLE; i++) table[i] = numberToF16Bits((isNormScale ? 1 : 0) + std * gauss());
      for (let done = 0; done < n; done += CHUNK) {
        const m = Math.min(CHUNK, n - done);
        for (let i = 0; i < m; i++) buf[i] = table[(rand() * TABLE) | 0];
        await fh.write(new Uint8Array(buf.buffer, 0, m * 2));
        written += m * 2;
        onProgress?.(written / offset);
      }
    }
  });
  return offset;
}

/** The synthetic checkpoint at `path`, written once: reused while its size matches the key layout. */
export async function ensureSd15Checkpoint(path: string, onProgress?: (fraction: number) => void): Promise<{ path: string; created: boolean; bytes: number }> {
  const keys = sd15CheckpointKeys();
  const dataBytes = [...keys.values()].reduce((a, s) => a + s.reduce((x, d) => x * d, 2), 0);
  const existing = await stat(path).catch(() => undefined);
  if (existing && existing.size > dataBytes) return { path, created: false, bytes: existing.size };
  await writeRandomF16Checkpoint(path, keys, 7, onProgress);
  return { path, created: true, bytes: (await stat(path)).size };
}
