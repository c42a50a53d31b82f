import type { GraphBuilder, Value } from '../graph/builder.ts';
import type { TensorInfo } from '../safetensors/types.ts';

/** How a conv was applied, so an adapter's branch can repeat its kernel placement. */
export interface ConvPlacement {
  readonly strides: readonly [number, number];
  readonly pads: readonly [number, number, number, number];
}

/**
 * Extra weights applied to a network's linears and convs at build time (LoRA, LyCORIS), keyed
 * by the module's checkpoint path. Layers stay unaware of the formats: they hand over their
 * weight and output and take back what the adapters made of them.
 */
export interface ModuleAdapters {
  /** The weight the layer should use (its own unless an adapter changes the weight itself). */
  weight(g: GraphBuilder, path: string, weight: Value, info: TensorInfo): Value;
  /** The layer's output plus any low-rank branches on its input; `conv` is null for a linear. */
  output(g: GraphBuilder, path: string, x: Value, y: Value, conv: ConvPlacement | null): Value;
}

/**
 * A view of a checkpoint's weights at one module path (`models/weightStore.ts`'s WeightStore
 * is one). Layers ask for names relative to their own module — `conv1.weight` — so the
 * layer tree mirrors the checkpoint's key tree and a missing key names its full path.
 */
export interface WeightScope {
  /** Full path of this module, '' at the root. */
  readonly prefix: string;
  /** Adapters applied to the layers of this scope, when any. */
  readonly adapters?: ModuleAdapters;
  scope(prefix: string): WeightScope;
  get(name: string): TensorInfo;
  has(name: string): boolean;
}

/** Node-name prefix for a module: its checkpoint path. */
export function modulePath(w: WeightScope, fallback: string): string {
  return w.prefix || fallback;
}
