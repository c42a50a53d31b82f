import type { GraphBuilder, Value } from '../graph/builder.ts';
import { fileIdentity } from '../graph/identity.ts';
import * as op from '../graph/ops/index.ts';
import type { HostTensor } from '../graph/session.ts';
import type { ConvPlacement, ModuleAdapters } from '../nn/types.ts';
import type { TensorInfo } from '../safetensors/types.ts';
import { deltaWeight, lowRankBranch } from './deltaGraph.ts';
import type { LoraComponent } from './nameTables.ts';
import type { LoraTarget, ResolvedLora } from './resolve.ts';

/**
 * How a LoRA reaches the graph:
 * - `branch`: a low-rank branch y + m·s·up(down(x)) beside each layer (LoHa/LoKr: W + m·s·ΔW,
 *   their ΔW folded at load), m a per-request feed — moving the multiplier reuses the
 *   compiled session;
 * - `merge`: W + m·s·ΔW folded into constants when the session is made; m is part of the
 *   graph, so a new multiplier compiles anew, and the steps cost what the bare model costs.
 * Measured (`bench --lora-rank 32`, README): branches cost 30–70 % per UNet step at 256²,
 * merging costs a new session (about a minute there) per multiplier. The default keeps the
 * multiplier free to move; `merge` is the option for long runs at a fixed multiplier.
 */
export type LoraMode = 'branch' | 'merge';

/** The default, chosen from the measurement above. */
export const DEFAULT_LORA_MODE: LoraMode = 'branch';

/** The graph input carrying every LoRA's multiplier, [number of LoRAs]. */
export const LORA_SCALES_INPUT = 'lora/scales';

/** What a network needs to run with LoRAs: adapters for its layers, their signature and their feeds. */
export interface LoraBinding {
  readonly adapters: ModuleAdapters;
  /** Everything that shapes the graph (files, modules, mode; multipliers only when merged). */
  readonly signature: string;
  feeds(): Record<string, HostTensor>;
}

interface SlotTarget { readonly slot: number; readonly target: LoraTarget }

/**
 * Adapters for one network (the UNet, or the text encoder) from several LoRAs at once; each
 * LoRA is a slot whose multiplier is `scales[slot]`. Undefined when no LoRA touches it, so
 * the network keeps its plain graph and cache key.
 */
export function bindLoras(loras: readonly ResolvedLora[], scales: readonly number[], component: LoraComponent, mode: LoraMode = DEFAULT_LORA_MODE): LoraBinding | undefined {
  const byPath = new Map<string, SlotTarget[]>();
  loras.forEach((l, slot) => {
    for (const target of l.targets) {
      if (target.component !== component) continue;
      const list = byPath.get(target.path) ?? [];
      list.push({ slot, target });
      byPath.set(target.path, list);
    }
  });
  if (!byPath.size) return undefined;
  const files = loras.map((l) => `${fileIdentity(l.file.path)}:${l.targets.filter((t) => t.component === component).length}`);
  const signature = `lora(${mode};${files.join(',')}${mode === 'merge' ? `;m=${scales.join(',')}` : ''})`;
  const adapters = new LoraAdapters(byPath, scales, mode);
  return {
    adapters,
    signature,
    feeds: (): Record<string, HostTensor> => (mode === 'merge' ? {} : { [LORA_SCALES_INPUT]: { data: Float32Array.from(scales), dims: [scales.length] } }),
  };
}

const scaleOf = (t: LoraTarget) => t.module.alpha / t.module.rank;

class LoraAdapters implements ModuleAdapters {
  private readonly scaleInputs = new WeakMap<GraphBuilder, Value>();

  constructor(
    private readonly byPath: ReadonlyMap<string, readonly SlotTarget[]>,
    private readonly scales: readonly number[],
    private readonly mode: LoraMode,
  ) {}

  weight(g: GraphBuilder, path: string, weight: Value, info: TensorInfo): Value {
    const own = this.byPath.get(path);
    if (!own) return weight;
    let w = weight;
    for (const { slot, target } of own) {
      const m = target.module;
      if (this.mode === 'branch' && m.kind === 'lora') continue;
      const delta = op.mul(g, deltaWeight(g, slot, m, info.shape), this.multiplier(g, slot, scaleOf(target)));
      w = op.add(g, w, delta);
    }
    return w;
  }

  output(g: GraphBuilder, path: string, x: Value, y: Value, conv: ConvPlacement | null): Value {
    const own = this.byPath.get(path);
    if (!own || this.mode !== 'branch') return y;
    let out = y;
    for (const { slot, target } of own) {
      if (target.module.kind !== 'lora') continue;
      const branch = lowRankBranch(g, slot, target.module, x, conv);
      out = op.add(g, out, op.mul(g, branch, this.multiplier(g, slot, scaleOf(target))));
    }
    return out;
  }

  /** m·alpha/rank in the compute type: a constant when merged, else the slot's feed times alpha/rank. */
  private multiplier(g: GraphBuilder, slot: number, scale: number): Value {
    if (this.mode === 'merge') return g.scalar(this.scales[slot] * scale);
    let all = this.scaleInputs.get(g);
    if (!all) {
      all = g.input(LORA_SCALES_INPUT, 'float32', [this.scales.length]);
      this.scaleInputs.set(g, all);
    }
    const m = op.cast(g, op.gather(g, all, g.constant(BigInt64Array.of(BigInt(slot)), [], 'lora_slot')), g.computeType);
    return op.mul(g, m, g.scalar(scale));
  }
}
