/**
 * Where the two branches sit in the UNet batch. With guidance the reference's order is
 * kept, uncond first: [uncond_src, uncond_tgt, cond_src, cond_tgt]; only the cond half is
 * edited. Without guidance the batch is [src, tgt]. The target is always the last row, so
 * the graph splits it off with one Slice.
 */
export interface BranchLayout {
  readonly rows: number;
  readonly source: number;
  readonly target: number;
}

export function branchLayout(guided: boolean): BranchLayout {
  return guided ? { rows: 4, source: 2, target: 3 } : { rows: 2, source: 0, target: 1 };
}

export const layoutSignature = (l: BranchLayout) => `${l.rows}:${l.source}:${l.target}`;
