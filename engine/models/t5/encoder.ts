import { StudioError } from '../../api/errors.ts';
import { checkpointIdentity } from '../../graph/identity.ts';
import type { PlacementOptions } from '../../graph/placement.ts';
import type { ProviderPreference } from '../../graph/provider.ts';
import { type CompiledSession, type SessionCache, runSession, sessionCache } from '../../graph/session.ts';
import type { T5Config, T5Spec } from './config.ts';
import type { T5Prompt } from './promptTokens.ts';
import { type T5AttentionKernel, type T5WeightCast, buildT5EncoderGraph, t5Signature } from './graph.ts';

export interface T5EncoderRuntime {
  /** onnxruntime intra-op threads (default: LATENT_STUDIO_THREADS, else one per core). */
  threads?: number;
  provider?: ProviderPreference;
  placement?: PlacementOptions;
  /** Session cache to use; default the process-wide one. */
  cache?: SessionCache;
  kernel?: T5AttentionKernel;
  /** When fp16 weights are cast to float32 (graph.ts); default `run`: fp16 in memory, float32 arithmetic. */
  weightCast?: T5WeightCast;
}

/** Hidden states, row-major, with the mask they were computed under. */
export interface T5Embedding {
  data: Float32Array;
  dims: [batch: number, tokens: number, dModel: number];
  /** [batch · tokens], 1 = token or EOS: the DiT's cross-attention needs it too. */
  mask: BigInt64Array;
}

type Rows = BigInt64Array | readonly (readonly number[])[];

/** The T5 encoder of a detected spec; compiles nothing until the first call for a length. */
export class T5Encoder {
  readonly config: T5Config;
  private readonly identity: string;

  constructor(private readonly spec: Pick<T5Spec, 'weights' | 'config' | 'files'>, private readonly runtime: T5EncoderRuntime = {}) {
    this.config = spec.config;
    this.identity = checkpointIdentity(spec.files);
  }

  /** The compiled graph for sequences of `length` tokens (cached by checkpoint, shape, kernel, provider). */
  session(length: number): Promise<CompiledSession> {
    const opts = { kernel: this.runtime.kernel, weightCast: this.runtime.weightCast };
    return (this.runtime.cache ?? sessionCache).get(
      { checkpoint: this.identity, architecture: 't5-encoder', signature: t5Signature(this.config, opts), shapes: `L=${length}` },
      () => buildT5EncoderGraph(this.spec.weights, this.config, { length, ...opts }),
      {
        ...(this.runtime.threads ? { intraOpNumThreads: this.runtime.threads } : {}),
        ...(this.runtime.provider ? { provider: this.runtime.provider } : {}),
        ...(this.runtime.placement ? { placement: this.runtime.placement } : {}),
      },
    );
  }

  /** ids and mask [batch, length] (flat with `length` given, or rows) → [batch, length, d_model]. */
  async encodeIds(ids: Rows, mask: Rows, length?: number): Promise<T5Embedding> {
    const a = this.flatten(ids, 'ids', length);
    const m = this.flatten(mask, 'mask', a.length);
    if (m.rows !== a.rows) throw new StudioError('SHAPE_MISMATCH', `T5: ${a.rows} rows of ids but ${m.rows} of mask`);
    const V = BigInt(this.config.vocabSize);
    a.data.forEach((id, i) => {
      if (id < 0n || id >= V) throw new StudioError('INVALID_REQUEST', `token id ${id} at [${Math.floor(i / a.length)}, ${i % a.length}] is outside the vocabulary (0..${V - 1n})`);
    });
    m.data.forEach((v, i) => {
      if (v !== 0n && v !== 1n) throw new StudioError('INVALID_REQUEST', `mask value ${v} at [${Math.floor(i / a.length)}, ${i % a.length}] is not 0 or 1`);
    });
    const s = await this.session(a.length);
    const out = await runSession(s, { ids: { data: a.data, dims: [a.rows, a.length] }, mask: { data: m.data, dims: [a.rows, a.length] } });
    return { data: out.last_hidden_state.data as Float32Array, dims: [a.rows, a.length, this.config.dModel], mask: m.data };
  }

  /** Tokenised prompts (`t5Prompt`, one length) as one batch: [prompts, length, d_model]. */
  encodePrompts(prompts: readonly Pick<T5Prompt, 'ids' | 'mask'>[]): Promise<T5Embedding> {
    return this.encodeIds(prompts.map((p) => p.ids), prompts.map((p) => p.mask));
  }

  private flatten(x: Rows, what: string, length?: number): { data: BigInt64Array; rows: number; length: number } {
    if (x instanceof BigInt64Array) {
      if (!length || x.length % length !== 0 || x.length === 0) {
        throw new StudioError('SHAPE_MISMATCH', `T5 ${what}: ${x.length} values do not make rows of ${length ?? '?'} tokens`);
      }
      return { data: x, rows: x.length / length, length };
    }
    const L = length ?? x[0]?.length ?? 0;
    if (x.length === 0 || L < 1) throw new StudioError('SHAPE_MISMATCH', `T5 ${what}: no tokens`);
    const bad = x.findIndex((r) => r.length !== L);
    if (bad >= 0) throw new StudioError('SHAPE_MISMATCH', `T5 ${what}: row ${bad} has ${x[bad].length} tokens, expected ${L}`);
    const data = new BigInt64Array(x.length * L);
    x.forEach((r, b) => r.forEach((v, t) => {
      if (!Number.isSafeInteger(v)) throw new StudioError('INVALID_REQUEST', `T5 ${what} value ${v} at [${b}, ${t}] is not an integer`);
      data[b * L + t] = BigInt(v);
    }));
    return { data, rows: x.length, length: L };
  }
}

/** Detect-then-run helper: builds the graph for `length` up front so a broken file fails here. */
export async function loadT5Encoder(spec: Pick<T5Spec, 'weights' | 'config' | 'files'>, runtime: T5EncoderRuntime = {}, length = 120): Promise<T5Encoder> {
  const encoder = new T5Encoder(spec, runtime);
  await encoder.session(length);
  return encoder;
}
