import type { PromptWord } from './promptWords.ts';

/**
 * Word-level difference between the source and the edited prompt, as prompt-to-prompt sees
 * it: words kept, words swapped (a run removed and a run added at the same place), words
 * added and words removed. Computed with a longest-common-subsequence table over lower-cased
 * words; prompts are at most 77 tokens, so the quadratic table is tiny.
 */
export type DiffSegment =
  | { kind: 'same'; source: PromptWord; target: PromptWord }
  | { kind: 'swap'; source: PromptWord[]; target: PromptWord[] }
  | { kind: 'add'; target: PromptWord[] }
  | { kind: 'remove'; source: PromptWord[] };

export function diffWords(source: readonly PromptWord[], target: readonly PromptWord[]): DiffSegment[] {
  const n = source.length;
  const m = target.length;
  // lcs[i][j] = LCS length of source[i..] and target[j..]
  const lcs = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = source[i].key === target[j].key ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: DiffSegment[] = [];
  let removed: PromptWord[] = [];
  let added: PromptWord[] = [];
  const flush = (): void => {
    if (removed.length && added.length) out.push({ kind: 'swap', source: removed, target: added });
    else if (removed.length) out.push({ kind: 'remove', source: removed });
    else if (added.length) out.push({ kind: 'add', target: added });
    removed = [];
    added = [];
  };
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && source[i].key === target[j].key) {
      flush();
      out.push({ kind: 'same', source: source[i], target: target[j] });
      i++;
      j++;
    } else if (j < m && (i === n || lcs[i][j + 1] >= lcs[i + 1][j])) {
      added.push(target[j++]);
    } else {
      removed.push(source[i++]);
    }
  }
  flush();
  return out;
}

/** Whether the edit is a pure word swap of equal-length runs (the cheapest prompt-to-prompt edit). */
export function isPureSwap(segments: readonly DiffSegment[]): boolean {
  return segments.every((s) => s.kind === 'same' || (s.kind === 'swap' && s.source.length === s.target.length));
}

/** Short summary for screen readers and the run button's tooltip: "swap cat → dog; add red". */
export function describeDiff(segments: readonly DiffSegment[]): string {
  const words = (ws: PromptWord[]): string => ws.map((w) => w.text).join(' ');
  const parts = segments.flatMap((s) =>
    s.kind === 'swap' ? [`swap ${words(s.source)} → ${words(s.target)}`]
      : s.kind === 'add' ? [`add ${words(s.target)}`]
        : s.kind === 'remove' ? [`remove ${words(s.source)}`]
          : [],
  );
  return parts.length ? parts.join('; ') : 'no change';
}
