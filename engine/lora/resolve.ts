import { StudioError } from '../api/errors.ts';
import type { StableDiffusionSpec } from '../models/spec.ts';
import type { TensorInfo } from '../safetensors/types.ts';
import type { LoraFile, LoraModule } from './loraFile.ts';
import { FAMILY_LABELS, type LoraComponent, type LoraFamily, loraFamily, loraNameMap } from './nameTables.ts';

/** One module of a LoRA file bound to the checkpoint weight it adapts. */
export interface LoraTarget {
  /** Canonical module path (the weight is `<path>.weight`). */
  readonly path: string;
  readonly component: LoraComponent;
  readonly module: LoraModule;
  /** The adapted weight's shape. */
  readonly shape: readonly number[];
}

/** A LoRA file matched against one checkpoint. */
export interface ResolvedLora {
  readonly file: LoraFile;
  /** The family the file says (or its shapes say) it was made for. */
  readonly family: LoraFamily | undefined;
  readonly targets: readonly LoraTarget[];
}

/** Input width a module reads: what tells an SD 1.x LoRA (768-wide text) from an SD 2.x one (1024). */
export function moduleInputWidth(m: LoraModule): number | undefined {
  if (m.kind === 'lora') return m.down.shape[1];
  if (m.kind === 'loha') return m.w1b.shape[1];
  return undefined;
}

/** The ΔW shape a module yields, as far as its tensors tell (rows, and columns × kernel). */
function deltaSize(m: LoraModule): [rows: number, cols: number] {
  const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  if (m.kind === 'lora') return [m.up.shape[0], prod(m.down.shape.slice(1))];
  if (m.kind === 'loha') return [m.w1a.shape[0], prod(m.w1b.shape.slice(1))];
  const dims = (f: typeof m.w1): [number, number] => {
    const [a, b] = Array.isArray(f) ? (f as readonly [TensorInfo, TensorInfo]) : [f as TensorInfo, f as TensorInfo];
    return [a.shape[0], prod(b.shape.slice(1))];
  };
  const [a, b] = dims(m.w1);
  const [c, d] = dims(m.w2);
  return [a * c, b * d];
}

/**
 * Binds every module of `file` to this checkpoint's weights through the family's name table.
 * A file made for another family, or whose modules match nothing here, is refused with the
 * family it was made for; a module whose shape disagrees with its weight names both shapes.
 */
export function resolveLora(file: LoraFile, spec: StableDiffusionSpec): ResolvedLora {
  const family = loraFamily(file.metadata, file.modules, (name) => moduleInputWidth(file.modules.get(name)!));
  const made = family ? `it was made for ${FAMILY_LABELS[family]}` : 'its base model is not recorded';
  const here = FAMILY_LABELS[spec.family];
  const refuse = (why: string) => new StudioError('INVALID_REQUEST', `LoRA ${file.name} cannot be applied to this ${here} model: ${why}`, { file: file.path, family: family ?? null, model: spec.family });
  if (family && family !== spec.family) throw refuse(made);
  const names = loraNameMap(spec.family, spec.weights, spec.unet);
  const targets: LoraTarget[] = [];
  const unmatched: string[] = [];
  for (const [name, module] of file.modules) {
    const hit = names.get(name);
    if (!hit) {
      unmatched.push(name);
      continue;
    }
    const shape = spec.weights.get(`${hit.path}.weight`).shape;
    const [rows, cols] = deltaSize(module);
    const want = [shape[0], shape.slice(1).reduce((a, b) => a * b, 1)];
    if (rows !== want[0] || cols !== want[1]) {
      throw refuse(`module ${name} changes a [${rows}, ${cols}] weight but ${hit.path} is [${shape.join(', ')}] (${made})`);
    }
    targets.push({ path: hit.path, component: hit.component, module, shape });
  }
  if (!targets.length) throw refuse(`none of its ${file.modules.size} modules (e.g. ${unmatched[0]}) names a layer of this model; ${made}`);
  if (unmatched.length) {
    throw refuse(`${unmatched.length} of its ${file.modules.size} modules name no layer of this model (e.g. ${unmatched[0]}); ${made}`);
  }
  return { file, family, targets };
}
