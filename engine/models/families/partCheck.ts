import { StudioError, isStudioError } from '../../api/errors.ts';
import type { TensorInfo } from '../../safetensors/types.ts';
import { checkCompleteness } from '../completeness.ts';
import { WeightStore } from '../weightStore.ts';

/**
 * Detects the networks of one checkpoint part by part (UNet, VAE, each text tower), so one
 * CHECKPOINT_INCOMPLETE lists every missing key of every part, then checks the whole key set
 * against the shapes the detected configs imply (SHAPE_MISMATCH names each offender).
 */
export class PartCheck {
  readonly store: WeightStore;
  private readonly missing: string[] = [];
  private readonly expected = new Map<string, number[]>();
  private failed = false;

  constructor(
    private readonly label: string,
    private readonly tensors: ReadonlyMap<string, TensorInfo>,
  ) {
    this.store = WeightStore.from(tensors, label);
  }

  /** Detects one part under `prefix`; undefined (and its keys counted missing) when a key it reads is absent. */
  part<T>(prefix: string, detect: (w: WeightStore) => T, expectedOf: (c: T) => Map<string, number[]>): T | undefined {
    let config: T;
    try {
      config = detect(this.store.scope(prefix));
    } catch (e) {
      if (isStudioError(e) && e.code === 'CHECKPOINT_INCOMPLETE') {
        this.missing.push(...((e.details?.missing as string[] | undefined) ?? []));
        this.failed = true;
        return undefined;
      }
      throw e;
    }
    expectedOf(config).forEach((s, k) => this.expected.set(`${prefix}.${k}`, s));
    return config;
  }

  /** Adds single tensors a family expects besides its parts' own tables. */
  expect(name: string, shape: number[]): void {
    this.expected.set(name, shape);
  }

  /** Throws for missing or mis-shaped weights; returns the keys that are neither expected nor known extras. */
  finish(description: string, family: string, knownExtras: ReadonlyArray<RegExp>): string[] {
    const missing = [...this.missing, ...[...this.expected.keys()].filter((k) => !this.tensors.has(k))];
    if (missing.length > 0 || this.failed) {
      const shown = missing.slice(0, 12).join(', ') + (missing.length > 12 ? `, … (${missing.length} in all)` : '');
      throw new StudioError(
        'CHECKPOINT_INCOMPLETE',
        `${this.label}: ${description} checkpoint with ${missing.length} missing weight(s): ${shown}`,
        { file: this.label, family, missing },
      );
    }
    return checkCompleteness(this.label, this.tensors, this.expected, knownExtras).unexpected;
  }
}
