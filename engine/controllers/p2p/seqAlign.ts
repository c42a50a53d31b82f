/**
 * Prompt-to-prompt refinement mapper: a global (Needleman–Wunsch) alignment of the two
 * token sequences tells, for every target token, which source token it continues.
 * Scores: match +1, mismatch −1, gap 0; ties prefer left, then up, then diagonal — the
 * reference's order, which decides where an inserted word lands among equal alignments.
 */

export interface RefinementMap {
  /** Per target position (window length): the source position it reads, or −1 for an inserted token. */
  readonly mapper: Int32Array;
  /** 1 where the target token has a source match, 0 where it was inserted. */
  readonly aligned: Float32Array;
}

const LEFT = 1, UP = 2, DIAG = 3, ORIGIN = 4;

/** `source` and `target` are BOS…EOS id lists; `length` is the window (77). */
export function refinementMap(source: readonly number[], target: readonly number[], length: number): RefinementMap {
  const nx = source.length, ny = target.length;
  const W = ny + 1;
  const score = new Float64Array((nx + 1) * W);
  const trace = new Uint8Array((nx + 1) * W);
  for (let j = 1; j <= ny; j++) trace[j] = LEFT;
  for (let i = 1; i <= nx; i++) trace[i * W] = UP;
  trace[0] = ORIGIN;
  for (let i = 1; i <= nx; i++) {
    for (let j = 1; j <= ny; j++) {
      const left = score[i * W + j - 1];
      const up = score[(i - 1) * W + j];
      const diag = score[(i - 1) * W + j - 1] + (source[i - 1] === target[j - 1] ? 1 : -1);
      const best = Math.max(left, up, diag);
      score[i * W + j] = best;
      trace[i * W + j] = best === left ? LEFT : best === up ? UP : DIAG;
    }
  }
  const pairs: [number, number][] = [];
  let i = nx, j = ny;
  while (i > 0 || j > 0) {
    const t = trace[i * W + j];
    if (t === DIAG) {
      i--; j--;
      pairs.push([j, i]);
    } else if (t === LEFT) {
      j--;
      pairs.push([j, -1]);
    } else if (t === UP) {
      i--;
    } else break;
  }
  pairs.reverse();
  const mapper = new Int32Array(length);
  const aligned = new Float32Array(length).fill(1);
  pairs.forEach(([, src], n) => {
    if (n >= length) return;
    mapper[n] = src;
    aligned[n] = src >= 0 ? 1 : 0;
  });
  // Padding reads the same position in the source, as the reference does.
  for (let n = pairs.length; n < length; n++) mapper[n] = n;
  return { mapper, aligned };
}
