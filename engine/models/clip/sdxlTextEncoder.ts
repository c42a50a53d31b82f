import { StudioError } from '../../api/errors.ts';
import type { Tensor } from '../../denoiser/denoiser.ts';
import { checkpointIdentity } from '../../graph/identity.ts';
import { Network, type NetworkGraph, type NetworkRuntime } from '../../graph/network.ts';
import type { CLIPTokenizer } from '../../tokenizer/clip-tokenizer.ts';
import { SDXL_TEXT_G, SDXL_TEXT_G_PROJECTION, SDXL_TEXT_L } from '../layouts/sdxl.ts';
import type { SDXLSpec, TextEncoderConfig } from '../spec.ts';
import type { TextAttentionKernel } from './graph.ts';
import { type SDXLTextGraphOptions, buildSDXLTextGraph, sdxlTextSignature } from './sdxlGraph.ts';

/** What the SDXL text encoders need from a detected checkpoint. */
export type SDXLTextSource = Pick<SDXLSpec, 'weights' | 'textEncoders'>;

export interface SDXLTextRuntime extends NetworkRuntime {
  kernel?: TextAttentionKernel;
}

/** The cross-attention context and the pooled bigG vector of a batch of prompts. */
export interface SDXLTextEmbedding {
  /** [B, 77·chunks, (768 ‖) 1280]: CLIP-L's penultimate states ‖ bigG's, L first (the refiner: bigG only). */
  context: Tensor;
  /** [B, projection]: bigG's projected EOS vector (of the first chunk for long prompts). */
  pooled: Tensor;
}

/** The two tokenizers of SDXL: CLIP-L pads with EOS, bigG (open_clip, diffusers `tokenizer_2`) with 0. */
export interface SDXLTokenizers {
  clipL: CLIPTokenizer;
  clipG: CLIPTokenizer;
}

/** One tower: its session and what it outputs. */
class Tower {
  private readonly network: Network;
  readonly graph: NetworkGraph;
  constructor(source: SDXLTextSource, prefix: string, readonly config: TextEncoderConfig, runtime: SDXLTextRuntime, pooled: boolean) {
    const w = source.weights.scope(prefix);
    this.network = new Network(checkpointIdentity(w.files()), `text-encoder:sdxl:${prefix}`, runtime);
    const projection = source.weights.has(SDXL_TEXT_G_PROJECTION)
      ? { matrix: source.weights.scope(SDXL_TEXT_G_PROJECTION) }
      : { linear: source.weights.scope(SDXL_TEXT_G_PROJECTION) };
    const opts: SDXLTextGraphOptions = { kernel: runtime.kernel, ...(pooled ? { pooled: projection } : {}) };
    this.graph = {
      signature: sdxlTextSignature(config, opts),
      build: (computeType) => buildSDXLTextGraph(w, config, { ...opts, computeType }),
    };
  }
  async run(ids: BigInt64Array, B: number): Promise<Record<string, Tensor>> {
    const out = await this.network.run(this.graph, { ids: { data: ids, dims: [B, this.config.maxPositions] } });
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, { data: v.data as Float32Array, dims: [...v.dims] }]));
  }
  session() {
    return this.network.session(this.graph);
  }
}

/**
 * SDXL's conditioner for text (sgm `GeneralConditioner` embedders 0 and 1, diffusers
 * `encode_prompt`): context = CLIP-L penultimate ‖ bigG penultimate, pooled = bigG's
 * projected EOS vector. Both sessions compile at load, so a broken file fails there.
 */
export async function loadSDXLTextEncoders(spec: SDXLTextSource, runtime: SDXLTextRuntime = {}): Promise<SDXLTextEncoders> {
  const encoders = new SDXLTextEncoders(spec, runtime);
  await encoders.warmUp();
  return encoders;
}

export class SDXLTextEncoders {
  readonly sequenceLength: number;
  /** Width of the context (CLIP-L + bigG, or bigG alone). */
  readonly contextDim: number;
  readonly pooledDim: number;
  private readonly clipL?: Tower;
  private readonly clipG: Tower;

  constructor(spec: SDXLTextSource, runtime: SDXLTextRuntime = {}) {
    const { clipL, clipG } = spec.textEncoders;
    if (clipL) this.clipL = new Tower(spec, SDXL_TEXT_L, clipL, runtime, false);
    this.clipG = new Tower(spec, SDXL_TEXT_G, clipG, runtime, true);
    this.sequenceLength = clipG.maxPositions;
    this.contextDim = (clipL?.hiddenSize ?? 0) + clipG.hiddenSize;
    this.pooledDim = clipG.projectionDim;
  }

  async warmUp(): Promise<void> {
    await Promise.all([this.clipL?.session(), this.clipG.session()]);
  }

  /**
   * The towers' own outputs: CLIP-L penultimate [B, 77, 768] (when its ids are given; the
   * refiner has none), bigG penultimate [B, 77, 1280] and pooled [B, proj].
   */
  async encodeTowers(idsL: BigInt64Array | undefined, idsG: BigInt64Array): Promise<{ clipL?: Tensor; clipG: Tensor; pooled: Tensor }> {
    const P = this.sequenceLength;
    const B = idsG.length / P;
    if (!Number.isInteger(B) || B < 1) throw new StudioError('SHAPE_MISMATCH', `bigG token ids must be [batch, ${P}], got ${idsG.length} ids`);
    if (idsL && idsL.length !== idsG.length) throw new StudioError('SHAPE_MISMATCH', `CLIP-L token ids must be [${B}, ${P}] like bigG's, got ${idsL.length} ids`);
    this.checkVocabulary(idsG, this.clipG.config.vocabSize, 'bigG');
    if (this.clipL && idsL) this.checkVocabulary(idsL, this.clipL.config.vocabSize, 'CLIP-L');
    const [l, g] = await Promise.all([this.clipL && idsL ? this.clipL.run(idsL, B) : undefined, this.clipG.run(idsG, B)]);
    return { ...(l ? { clipL: l.hidden } : {}), clipG: g.hidden, pooled: g.pooled };
  }

  /** ids [B, 77] each (CLIP-L padded with EOS, bigG with 0) → context [B, 77, contextDim] and pooled [B, proj]. */
  async encodeIds(idsL: BigInt64Array | undefined, idsG: BigInt64Array): Promise<SDXLTextEmbedding> {
    if (this.clipL && !idsL) throw new StudioError('INVALID_REQUEST', 'SDXL base: the context needs CLIP-L token ids as well as bigG\'s');
    const t = await this.encodeTowers(idsL, idsG);
    return { context: t.clipL ? concatLast(t.clipL, t.clipG) : t.clipG, pooled: t.pooled };
  }

  /**
   * A prompt of any length, as A1111 and ComfyUI run SDXL: both tokenizers cut the same
   * 75-token chunks (their BPE ids agree; only the padding differs), every chunk is encoded on
   * its own and the contexts are concatenated on the token axis; the pooled vector is the
   * first chunk's.
   */
  async encodePrompt(text: string, tokenizers: SDXLTokenizers): Promise<SDXLTextEmbedding & { chunks: number }> {
    const g = tokenizers.clipG.encodeChunks(text).chunks;
    const l = this.clipL ? tokenizers.clipL.encodeChunks(text).chunks : undefined;
    if (l && l.length !== g.length) throw new StudioError('RUNTIME_FAILURE', `the two SDXL tokenizers cut the prompt into ${l.length} and ${g.length} chunks`);
    const flat = (chunks: { ids: number[] }[]) => BigInt64Array.from(chunks.flatMap((c) => c.ids), (v) => BigInt(v));
    const out = await this.encodeIds(l ? flat(l) : undefined, flat(g));
    const n = g.length;
    const D = this.contextDim;
    return {
      // The chunks ran as a batch of n: [n, 77, D] is [1, 77·n, D] in memory.
      context: { data: out.context.data, dims: [1, n * this.sequenceLength, D] },
      pooled: { data: out.pooled.data.slice(0, this.pooledDim), dims: [1, this.pooledDim] },
      chunks: n,
    };
  }

  private checkVocabulary(ids: BigInt64Array, vocab: number, which: string): void {
    const V = BigInt(vocab);
    const P = this.sequenceLength;
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] < 0n || ids[i] >= V) {
        throw new StudioError('INVALID_REQUEST', `${which} token id ${ids[i]} at [${Math.floor(i / P)}, ${i % P}] is outside the vocabulary (0..${V - 1n})`);
      }
    }
  }
}

/**
 * The unconditional branch of SDXL base as sgm samples it and diffusers does for an empty
 * negative prompt (`force_zeros_for_empty_prompt`): context and pooled vector all zeros, the
 * size micro-conditions kept. `like` gives the shapes.
 */
export function zeroTextEmbedding(like: SDXLTextEmbedding): SDXLTextEmbedding {
  return {
    context: { data: new Float32Array(like.context.data.length), dims: [...like.context.dims] },
    pooled: { data: new Float32Array(like.pooled.data.length), dims: [...like.pooled.dims] },
  };
}

/** a [..., Da] ‖ b [..., Db] on the last axis. */
function concatLast(a: Tensor, b: Tensor): Tensor {
  const Da = a.dims[a.dims.length - 1];
  const Db = b.dims[b.dims.length - 1];
  const rows = a.data.length / Da;
  const out = new Float32Array(rows * (Da + Db));
  for (let r = 0; r < rows; r++) {
    out.set(a.data.subarray(r * Da, (r + 1) * Da), r * (Da + Db));
    out.set(b.data.subarray(r * Db, (r + 1) * Db), r * (Da + Db) + Da);
  }
  return { data: out, dims: [...a.dims.slice(0, -1), Da + Db] };
}
