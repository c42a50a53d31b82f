import onnxProto, { type onnx } from 'onnx-proto';
import type { TensorInfo } from '../safetensors/types.ts';

const DT = onnxProto.onnx.TensorProto.DataType;

/**
 * Where a float weight stored in another width than the compute type (fp16 checkpoint,
 * float32 arithmetic) becomes the compute type:
 * - `load`: a Cast right after the initializer, which onnxruntime constant-folds when the
 *   session is created — every weight is held in float32, and while folding the fp16 weights
 *   and their float32 casts coexist (SD 1.5: 6.8 GiB peak, ~60 s to create the UNet session);
 * - `run`: the weight stays as stored and is cast each time its layer runs, so memory holds
 *   the stored weights plus the few float32 casts alive at once.
 */
export type WeightCastMode = 'load' | 'run';

export interface WeightCastPolicy {
  mode: WeightCastMode;
  /** Ops whose weights are cast at load whatever `mode` says (measured slower with run-time weights). */
  loadFor?: readonly string[];
  /**
   * Weights with fewer elements are cast at load: biases and norm scales cost no memory to
   * speak of, and each run-time cast is one more kernel launch per run.
   */
  minElements?: number;
}

/** What every session uses unless told otherwise (see the README's Benchmark for the measurements). */
export const DEFAULT_WEIGHT_CAST: WeightCastPolicy = { mode: 'run', minElements: 65536 };

/**
 * Networks made almost only of convolutions keep the casts at load: onnxruntime's fast
 * blocked-layout (NCHWc) convolution needs constant weights, and run-time weights measured
 * slower on the SD 1.5 VAE decoder (README Benchmark), while their float32 weights are small
 * (VAE 0.3 GiB) and fold in seconds. Keyed by the session key's architecture prefix.
 */
const CONVOLUTIONAL = ['vae-decoder', 'vae-encoder', 'taesd-decoder', 'taesd-encoder'];

/**
 * The policy for a session: the one asked for, else `LATENT_STUDIO_WEIGHT_CAST=load|run`
 * (A/B measurements, a fallback), else the network's default.
 */
export function resolveWeightCast(p: WeightCastPolicy | WeightCastMode | undefined, architecture = ''): WeightCastPolicy {
  if (typeof p === 'string') return { ...DEFAULT_WEIGHT_CAST, mode: p };
  if (p) return p;
  const env = process.env.LATENT_STUDIO_WEIGHT_CAST;
  if (env === 'load' || env === 'run') return { ...DEFAULT_WEIGHT_CAST, mode: env };
  const network = architecture.split(':')[0];
  return CONVOLUTIONAL.includes(network) ? { ...DEFAULT_WEIGHT_CAST, mode: 'load' } : DEFAULT_WEIGHT_CAST;
}

/** A stable text for the session cache key. */
export function weightCastKey(p: WeightCastPolicy): string {
  return `${p.mode}:${[...(p.loadFor ?? [])].sort().join('+')}:${p.minElements ?? 0}`;
}

/** A Cast node the builder put right after a weight's initializer. */
export interface WeightCastSite {
  readonly info: TensorInfo;
}

const GATE = '__weight_gate';

/**
 * Rewrites the weight casts that `policy` wants at run time: `Cast(w)` becomes
 * `Cast(Reshape(w, zeros))`, where `zeros` (a 0 in a Reshape shape keeps that dimension,
 * so the Reshape is a zero-copy view) comes from a RandomUniform. onnxruntime never
 * constant-folds a non-deterministic op, so nothing downstream of it is folded either —
 * unlike a value derived from an input's shape, which is folded when the shape is fixed.
 * The nodes are copied, never mutated: a builder may be encoded under several policies.
 */
export function gateWeightCasts(
  nodes: readonly onnx.INodeProto[], sites: ReadonlyMap<string, WeightCastSite>, policy: WeightCastPolicy,
): { nodes: onnx.INodeProto[]; initializers: onnx.ITensorProto[] } {
  if (policy.mode === 'load' || sites.size === 0) return { nodes: [...nodes], initializers: [] };
  const consumers = new Map<string, onnx.INodeProto[]>();
  for (const n of nodes) for (const i of n.input ?? []) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const loadFor = new Set(policy.loadFor ?? []);
  const atRun = (castOut: string, info: TensorInfo) =>
    info.shape.reduce((a, b) => a * b, 1) >= (policy.minElements ?? 0) && !(consumers.get(castOut) ?? []).some((c) => loadFor.has(c.opType ?? ''));
  // A table only ever gathered from (token embeddings) is gathered as stored and the rows cast:
  // the same numbers without casting the whole table on every run.
  const onlyGathered = (castOut: string) => (consumers.get(castOut) ?? []).every((c) => c.opType === 'Gather' && c.input?.[0] === castOut && c.input?.[1] !== castOut);
  const gathered = new Map<string, onnx.INodeProto>();

  const seed: onnx.INodeProto[] = [];
  const initializers: onnx.ITensorProto[] = [];
  const zerosOfRank = new Map<number, string>();
  const zeros = (rank: number): string => {
    const known = zerosOfRank.get(rank);
    if (known) return known;
    if (seed.length === 0) {
      // floor(U[0, 0.25)) = 0 exactly, computed when the session runs.
      seed.push(
        { opType: 'RandomUniform', name: `${GATE}/random`, input: [], output: [`${GATE}/random`], attribute: [
          { name: 'shape', type: onnxProto.onnx.AttributeProto.AttributeType.INTS, ints: [1] },
          { name: 'high', type: onnxProto.onnx.AttributeProto.AttributeType.FLOAT, f: 0.25 },
        ] },
        { opType: 'Floor', name: `${GATE}/floor`, input: [`${GATE}/random`], output: [`${GATE}/floor`] },
        { opType: 'Cast', name: `${GATE}/zero`, input: [`${GATE}/floor`], output: [`${GATE}/zero`], attribute: [
          { name: 'to', type: onnxProto.onnx.AttributeProto.AttributeType.INT, i: DT.INT64 },
        ] },
      );
    }
    const name = `${GATE}/zeros${rank}`;
    initializers.push({ name: `${name}/len`, dataType: DT.INT64, dims: [1], rawData: new Uint8Array(BigInt64Array.of(BigInt(rank)).buffer) });
    seed.push({ opType: 'Expand', name, input: [`${GATE}/zero`, `${name}/len`], output: [name] });
    zerosOfRank.set(rank, name);
    return name;
  };

  const out: onnx.INodeProto[] = [];
  for (const n of nodes) {
    const castOut = n.output?.[0] ?? '';
    const site = n.opType === 'Cast' ? sites.get(castOut) : undefined;
    const table = n.opType === 'Gather' ? gathered.get(n.input?.[0] ?? '') : undefined;
    if (table) {
      const rows = `${n.output![0]}/stored`;
      out.push({ ...n, input: [table.input![0], ...n.input!.slice(1)], output: [rows] });
      out.push({ ...table, name: `${n.name}/cast`, input: [rows], output: [n.output![0]] });
      continue;
    }
    if (!site || !atRun(castOut, site.info)) {
      out.push(n);
      continue;
    }
    if (onlyGathered(castOut)) {
      gathered.set(castOut, n);
      continue;
    }
    const view = `${castOut}/at_run`;
    out.push({ opType: 'Reshape', name: view, input: [n.input![0], zeros(site.info.shape.length)], output: [view] });
    out.push({ ...n, input: [view] });
  }
  return { nodes: [...seed, ...out], initializers };
}
