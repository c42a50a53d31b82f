import onnxProto, { type onnx } from 'onnx-proto';
import type { TensorInfo } from '../safetensors/types.ts';
import { StudioError } from '../api/errors.ts';
import { numberToF16Bits } from '../safetensors/halfFloat.ts';
import { type AnyTypedArray, type DType, ONNX_DTYPE, dtypeOfArray, dtypeOfSafetensors, isFloat } from './dtypes.ts';
import { type WeightCastPolicy, type WeightCastSite, gateWeightCasts } from './weightCast.ts';

const proto = onnxProto.onnx;

/** A typed handle to a tensor inside the graph under construction. */
export interface Value {
  readonly name: string;
  readonly dtype: DType;
}

/** A dimension: a number when fixed, a name when it varies between runs (batch, height...). */
export type Dim = number | string;

/** Float attributes need a wrapper: a bare number is an INT attribute. */
export interface FloatAttr { readonly float: number }
export interface FloatsAttr { readonly floats: readonly number[] }
export type AttrValue = number | readonly number[] | string | FloatAttr | FloatsAttr;
export const float = (x: number): FloatAttr => ({ float: x });
export const floats = (xs: readonly number[]): FloatsAttr => ({ floats: xs });

export const MS_DOMAIN = 'com.microsoft';

export interface GraphOptions {
  /** Graph name; also the prefix of generated file names. */
  name: string;
  /**
   * Default-domain opset. 18 is the floor: op helpers emit the opset-18 forms (axes as inputs),
   * which stay valid when a helper raises it further (e.g. 23 for Attention).
   */
  opset?: number;
  /**
   * Element type arithmetic runs in. Weights of another float type are cast to it right after
   * their initializer; whether that cast runs at load or each run is chosen when the graph is
   * encoded (weightCast.ts).
   */
  computeType?: 'float32' | 'float16';
}

/** A weight that stays in the checkpoint: the graph records where it lives, never its bytes. */
export interface ExternalWeight {
  readonly info: TensorInfo;
  /** Element type of the initializer as declared (BF16 is declared float32: it is converted first). */
  readonly dtype: DType;
}

/** Where an external weight's bytes are, relative to the written graph file. */
export interface ExternalRef { location: string; offset: number; length: number }

export interface EncodeOptions {
  weightCast?: WeightCastPolicy;
}

export interface NodeOptions {
  domain?: string;
  /** Node name; defaults to the current scope plus op type. */
  name?: string;
  /** Number of outputs (default 1). */
  outputs?: number;
  /** Element type of the outputs when it differs from the first input's. */
  dtype?: DType;
}

interface PendingNode {
  proto: onnx.INodeProto;
}

export class GraphBuilder {
  readonly name: string;
  readonly computeType: 'float32' | 'float16';
  private opset: number;
  private readonly domains = new Set<string>();
  private readonly nodes: PendingNode[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private readonly inline: onnx.ITensorProto[] = [];
  private readonly external = new Map<string, ExternalWeight>();
  private readonly weightValues = new Map<string, Value>();
  /** The casts `weight()` added, by their output name. */
  private readonly weightCasts = new Map<string, WeightCastSite>();
  private readonly usedNames = new Set<string>();
  // Node names live in their own namespace, so a node's output can carry the node's name.
  private readonly nodeNames = new Set<string>();
  private readonly scopes: string[] = [];
  private counter = 0;

  constructor(opts: GraphOptions) {
    this.name = opts.name;
    this.opset = Math.max(18, opts.opset ?? 18);
    this.computeType = opts.computeType ?? 'float32';
  }

  /** Raises the default-domain opset to at least `version` (an op helper that needs it calls this). */
  requireOpset(version: number): void {
    this.opset = Math.max(this.opset, version);
  }

  get opsetVersion(): number {
    return this.opset;
  }

  /** Runs `fn` with `path` prefixed to generated node names, so runtime errors name the block. */
  within<T>(path: string, fn: () => T): T {
    this.scopes.push(path);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  /** A fresh value name, unique in the graph, derived from `hint`. */
  uniqueName(hint: string): string {
    return unique(this.usedNames, hint, () => ++this.counter);
  }

  private nodeName(explicit: string | undefined, op: string): string {
    const prefix = this.scopes.length ? `${this.scopes[this.scopes.length - 1]}/` : '';
    return unique(this.nodeNames, explicit ?? `${prefix}${op}`, () => ++this.counter);
  }

  input(name: string, dtype: DType, shape: readonly Dim[]): Value {
    if (this.usedNames.has(name)) throw new StudioError('RUNTIME_FAILURE', `Graph ${this.name}: duplicate name ${name}`);
    this.usedNames.add(name);
    this.inputs.push(valueInfo(name, dtype, shape));
    return { name, dtype };
  }

  /** Declares `v` a graph output called `name` (an Identity renames it when needed). */
  output(v: Value, name: string, shape?: readonly Dim[]): Value {
    let out = v;
    if (v.name !== name) {
      if (this.usedNames.has(name)) throw new StudioError('RUNTIME_FAILURE', `Graph ${this.name}: duplicate name ${name}`);
      this.usedNames.add(name);
      this.nodes.push({ proto: { opType: 'Identity', input: [v.name], output: [name], name: this.nodeName(`${name}/Identity`, '') } });
      out = { name, dtype: v.dtype };
    }
    this.outputs.push(valueInfo(name, v.dtype, shape));
    return out;
  }

  /** Adds one node; `null` inputs are omitted optional inputs. */
  node(opType: string, inputs: readonly (Value | null)[], attrs: Record<string, AttrValue | undefined> = {}, opts: NodeOptions = {}): Value[] {
    const domain = opts.domain ?? '';
    if (domain) this.domains.add(domain);
    const nodeName = this.nodeName(opts.name, opType);
    const dtype = opts.dtype ?? inputs.find((v): v is Value => v !== null)?.dtype ?? this.computeType;
    const n = opts.outputs ?? 1;
    const outs: Value[] = [];
    for (let i = 0; i < n; i++) outs.push({ name: this.uniqueName(n === 1 ? nodeName : `${nodeName}:${i}`), dtype });
    const attribute: onnx.IAttributeProto[] = [];
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined) attribute.push(attributeProto(k, v));
    this.nodes.push({
      proto: {
        opType, domain, name: nodeName, attribute,
        input: inputs.map((v) => (v ? v.name : '')),
        output: outs.map((v) => v.name),
      },
    });
    return outs;
  }

  /** Single-output node. */
  op(opType: string, inputs: readonly (Value | null)[], attrs: Record<string, AttrValue | undefined> = {}, opts: NodeOptions = {}): Value {
    return this.node(opType, inputs, attrs, { ...opts, outputs: 1 })[0];
  }

  /**
   * A checkpoint tensor as an external-data initializer named by its key, converted to the
   * compute type when it is a float of another width. Asking twice for a key returns one value.
   */
  weight(info: TensorInfo): Value {
    const cached = this.weightValues.get(info.name);
    if (cached) return cached;
    const raw = this.rawWeight(info);
    const v = isFloat(raw.dtype) && raw.dtype !== this.computeType
      ? this.op('Cast', [raw], { to: ONNX_DTYPE[this.computeType] }, { name: `${info.name}:${this.computeType}`, dtype: this.computeType })
      : raw;
    if (v !== raw) this.weightCasts.set(v.name, { info });
    this.weightValues.set(info.name, v);
    return v;
  }

  /** The initializer exactly as stored (no cast). BF16 has no CPU kernels: it is declared float32, converted before loading. */
  rawWeight(info: TensorInfo): Value {
    const stored = dtypeOfSafetensors(info.dtype, info.name);
    const dtype: DType = stored === 'bfloat16' ? 'float32' : stored;
    const known = this.external.get(info.name);
    if (known) return { name: info.name, dtype: known.dtype };
    if (this.usedNames.has(info.name)) throw new StudioError('RUNTIME_FAILURE', `Graph ${this.name}: weight name ${info.name} collides with a value`);
    this.usedNames.add(info.name);
    this.external.set(info.name, { info, dtype });
    return { name: info.name, dtype };
  }

  /** An inline constant initializer (small tensors: shapes, axes, scalars). */
  constant(data: AnyTypedArray, shape: readonly number[], hint = 'const', dtype: DType = dtypeOfArray(data)): Value {
    const name = this.uniqueName(hint);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.inline.push({ name, dataType: ONNX_DTYPE[dtype], dims: [...shape], rawData: bytes.slice() });
    return { name, dtype };
  }

  /** A 1-D int64 constant, the form Reshape/Slice/Split/Unsqueeze want. */
  ints(values: readonly number[], hint = 'ints'): Value {
    return this.constant(BigInt64Array.from(values.map((v) => BigInt(v))), [values.length], hint);
  }

  /** A scalar (rank 0) of the compute type unless told otherwise; broadcasts in Add/Mul/Div. */
  scalar(x: number, dtype: DType = this.computeType, hint = 'scalar'): Value {
    return this.constant(filledArray(dtype, [x]), [], hint, dtype);
  }

  /** A constant of `shape` filled with `value`. */
  full(shape: readonly number[], value: number, dtype: DType = this.computeType, hint = 'full'): Value {
    const n = shape.reduce((a, b) => a * b, 1);
    return this.constant(filledArray(dtype, new Array<number>(n).fill(value)), shape, hint, dtype);
  }

  /** A float tensor constant in the compute type. */
  floatTensor(values: ArrayLike<number>, shape: readonly number[], hint = 'const'): Value {
    return this.constant(filledArray(this.computeType, Array.from(values)), shape, hint, this.computeType);
  }

  externalWeights(): ExternalWeight[] {
    return [...this.external.values()];
  }

  /**
   * Serialises the graph; `place` says where each external weight's bytes are, `weightCast`
   * where the weight casts run (default: as built, i.e. folded at load).
   */
  toModel(place: (w: ExternalWeight) => ExternalRef, opts: EncodeOptions = {}): onnx.ModelProto {
    if (!this.outputs.length) throw new StudioError('RUNTIME_FAILURE', `Graph ${this.name} has no outputs`);
    const gated = gateWeightCasts(this.nodes.map((n) => n.proto), this.weightCasts, opts.weightCast ?? { mode: 'load' });
    const initializer: onnx.ITensorProto[] = [...this.inline, ...gated.initializers];
    for (const w of this.external.values()) {
      const ref = place(w);
      initializer.push({
        name: w.info.name,
        dataType: ONNX_DTYPE[w.dtype],
        dims: w.info.shape,
        dataLocation: proto.TensorProto.DataLocation.EXTERNAL,
        externalData: [
          { key: 'location', value: ref.location },
          { key: 'offset', value: String(ref.offset) },
          { key: 'length', value: String(ref.length) },
        ],
      });
    }
    const opsetImport: onnx.IOperatorSetIdProto[] = [{ domain: '', version: this.opset }];
    for (const d of this.domains) opsetImport.push({ domain: d, version: 1 });
    return proto.ModelProto.create({
      irVersion: this.opset >= 21 ? 10 : this.opset >= 19 ? 9 : 8,
      producerName: 'latent-studio',
      opsetImport,
      graph: {
        name: this.name,
        node: gated.nodes,
        initializer,
        input: this.inputs,
        output: this.outputs,
      },
    });
  }

  /** Serialised bytes of `toModel(place, opts)`. */
  encode(place: (w: ExternalWeight) => ExternalRef, opts: EncodeOptions = {}): Uint8Array {
    return proto.ModelProto.encode(this.toModel(place, opts)).finish();
  }
}

function unique(used: Set<string>, hint: string, next: () => number): string {
  let name = hint;
  while (used.has(name)) name = `${hint}_${next()}`;
  used.add(name);
  return name;
}

function valueInfo(name: string, dtype: DType, shape?: readonly Dim[]): onnx.IValueInfoProto {
  const tensorType: onnx.TypeProto.ITensor = { elemType: ONNX_DTYPE[dtype] };
  if (shape) tensorType.shape = { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) };
  return { name, type: { tensorType } };
}

function attributeProto(name: string, v: AttrValue): onnx.IAttributeProto {
  const T = proto.AttributeProto.AttributeType;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new StudioError('RUNTIME_FAILURE', `Attribute ${name}=${v}: wrap floats with float()`);
    return { name, type: T.INT, i: v };
  }
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: [...(v as number[])] };
  if ('float' in (v as FloatAttr)) return { name, type: T.FLOAT, f: (v as FloatAttr).float };
  return { name, type: T.FLOATS, floats: [...(v as FloatsAttr).floats] };
}

function filledArray(dtype: DType, values: number[]): AnyTypedArray {
  switch (dtype) {
    case 'float32': return Float32Array.from(values);
    case 'float64': return Float64Array.from(values);
    case 'float16': return Uint16Array.from(values.map(numberToF16Bits));
    case 'int64': return BigInt64Array.from(values.map((x) => BigInt(x)));
    case 'int32': return Int32Array.from(values);
    case 'uint8': case 'bool': return Uint8Array.from(values);
    case 'int8': return Int8Array.from(values);
    default: throw new StudioError('RUNTIME_FAILURE', `No constant helper for ${dtype}`);
  }
}
