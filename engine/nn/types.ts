import type { TensorInfo } from '../safetensors/types.ts';

/**
 * A view of a checkpoint's weights at one module path (`models/weightStore.ts`'s WeightStore
 * is one). Layers ask for names relative to their own module — `conv1.weight` — so the
 * layer tree mirrors the checkpoint's key tree and a missing key names its full path.
 */
export interface WeightScope {
  /** Full path of this module, '' at the root. */
  readonly prefix: string;
  scope(prefix: string): WeightScope;
  get(name: string): TensorInfo;
  has(name: string): boolean;
}

/** Node-name prefix for a module: its checkpoint path. */
export function modulePath(w: WeightScope, fallback: string): string {
  return w.prefix || fallback;
}
