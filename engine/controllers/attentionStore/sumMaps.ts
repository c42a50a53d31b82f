import { StudioError } from '../../api/errors.ts';
import type { GraphBuilder, Value } from '../../graph/builder.ts';
import * as op from '../../graph/ops/index.ts';

/** Σ of per-site maps of one shape; the running sum over steps stays in TypeScript. */
export function sumOverSites(g: GraphBuilder, maps: readonly Value[]): Value {
  if (!maps.length) throw new StudioError('RUNTIME_FAILURE', 'no attention site produced a map at the requested resolution');
  return maps.slice(1).reduce((acc, m) => op.add(g, acc, m), maps[0]);
}
