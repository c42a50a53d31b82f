import { StudioError } from '../api/errors.ts';
import type { TensorInfo } from '../safetensors/types.ts';

/** How many names an error message spells out; the full lists travel in `details`. */
const SHOWN = 12;

function listing(names: string[]): string {
  const head = names.slice(0, SHOWN).join(', ');
  return names.length > SHOWN ? `${head}, … (${names.length} in all)` : head;
}

export interface CompletenessResult {
  /** Present keys neither expected nor matched by `knownExtras`. */
  unexpected: string[];
}

/**
 * Compares a canonical tensor map with the key set the detected config implies.
 * Missing keys → CHECKPOINT_INCOMPLETE; wrong shapes → SHAPE_MISMATCH (both list every
 * offender in details); anything else present is returned for a warning.
 */
export function checkCompleteness(
  label: string,
  tensors: ReadonlyMap<string, TensorInfo>,
  expected: ReadonlyMap<string, number[]>,
  knownExtras: ReadonlyArray<RegExp>,
): CompletenessResult {
  const missing = [...expected.keys()].filter((k) => !tensors.has(k));
  if (missing.length > 0) {
    throw new StudioError(
      'CHECKPOINT_INCOMPLETE',
      `${label}: ${missing.length} expected weight${missing.length > 1 ? 's are' : ' is'} missing: ${listing(missing)}`,
      { file: label, missing },
    );
  }
  const wrong: string[] = [];
  for (const [name, shape] of expected) {
    const got = tensors.get(name)!.shape;
    if (got.length !== shape.length || got.some((d, i) => d !== shape[i])) {
      wrong.push(`${name} is [${got.join(', ')}], expected [${shape.join(', ')}]`);
    }
  }
  if (wrong.length > 0) {
    throw new StudioError('SHAPE_MISMATCH', `${label}: ${wrong.length} weight shape(s) disagree: ${listing(wrong)}`, {
      file: label,
      mismatches: wrong,
    });
  }
  const unexpected = [...tensors.keys()].filter((k) => !expected.has(k) && !knownExtras.some((re) => re.test(k)));
  return { unexpected };
}

export function unexpectedWarning(unexpected: string[]): string[] {
  if (unexpected.length === 0) return [];
  return [`${unexpected.length} unexpected key(s) ignored: ${listing(unexpected)}`];
}
