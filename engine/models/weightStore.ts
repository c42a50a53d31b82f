import { StudioError } from '../api/errors.ts';
import type { ModuleAdapters } from '../nn/types.ts';
import type { TensorInfo } from '../safetensors/types.ts';

/**
 * Canonical weight name → tensor byte range, possibly spread over several files.
 *
 * Network builders walk the checkpoint's own module tree with `scope()`, so a block asks
 * for `in_layers.2.weight` relative to where it sits and the error for a missing weight
 * names the full canonical key:
 *
 *   w.scope('model.diffusion_model').scope('input_blocks.1.0').get('in_layers.2.weight')
 */
export class WeightStore {
  private constructor(
    private readonly tensors: ReadonlyMap<string, TensorInfo>,
    /** Canonical prefix of this view, '' for the root. */
    readonly prefix: string,
    /** Names the checkpoint in error messages (a path or a folder). */
    readonly label: string,
    /** LoRA-style adapters every layer built from this view applies (`lora/`). */
    readonly adapters?: ModuleAdapters,
  ) {}

  static from(tensors: ReadonlyMap<string, TensorInfo>, label: string): WeightStore {
    return new WeightStore(tensors, '', label);
  }

  /** The full canonical name of `name` inside this scope. */
  path(name: string): string {
    if (!this.prefix) return name;
    return name ? `${this.prefix}.${name}` : this.prefix;
  }

  scope(prefix: string): WeightStore {
    return new WeightStore(this.tensors, this.path(prefix), this.label, this.adapters);
  }

  /** The same view with `adapters` applied by every layer built from it. */
  withAdapters(adapters: ModuleAdapters | undefined): WeightStore {
    return new WeightStore(this.tensors, this.prefix, this.label, adapters);
  }

  has(name: string): boolean {
    return this.tensors.has(this.path(name));
  }

  tryGet(name: string): TensorInfo | undefined {
    return this.tensors.get(this.path(name));
  }

  get(name: string): TensorInfo {
    const full = this.path(name);
    const info = this.tensors.get(full);
    if (!info) {
      throw new StudioError('CHECKPOINT_INCOMPLETE', `${this.label}: missing weight "${full}"`, {
        file: this.label,
        missing: [full],
      });
    }
    return info;
  }

  /** Names in this scope, relative to it, in insertion order. */
  keys(): string[] {
    if (!this.prefix) return [...this.tensors.keys()];
    const p = `${this.prefix}.`;
    const out: string[] = [];
    for (const k of this.tensors.keys()) if (k.startsWith(p)) out.push(k.slice(p.length));
    return out;
  }

  /** [relative name, info] pairs in this scope. */
  entries(): Array<[string, TensorInfo]> {
    return this.keys().map((k) => [k, this.tensors.get(this.path(k))!]);
  }

  get size(): number {
    return this.prefix ? this.keys().length : this.tensors.size;
  }

  /** Distinct files holding the tensors of this scope. */
  files(): string[] {
    return [...new Set(this.entries().map(([, t]) => t.file))];
  }
}
