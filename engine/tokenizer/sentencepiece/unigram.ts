import { PIECE_TYPE, type Piece } from './modelProto.ts';

/** What SentencePiece subtracts from the lowest piece score to score an unknown character. */
const UNK_PENALTY = 10;

export interface Segment {
  /** The piece's text as it appears in the normalised string (unknown runs keep their characters). */
  text: string;
  id: number;
}

/**
 * Unigram segmentation: the Viterbi path of maximum total log-probability over the pieces
 * that spell the normalised string, as SentencePiece's `EncodeOptimized` computes it —
 * scores summed in float32, a later candidate replaces an earlier one only when strictly
 * better, and a character no single piece covers becomes `<unk>` at min score − 10.
 * Consecutive unknown characters merge into one `<unk>`.
 */
export class UnigramModel {
  private readonly ids = new Map<string, number>();
  private readonly maxChars: number;
  private readonly unkScore: number;

  constructor(private readonly pieces: readonly Piece[], private readonly unkId: number) {
    let min = Infinity, max = -Infinity, longest = 1;
    pieces.forEach((p, id) => {
      if (p.type !== PIECE_TYPE.normal && p.type !== PIECE_TYPE.userDefined) return;
      if (!this.ids.has(p.piece)) this.ids.set(p.piece, id);
      longest = Math.max(longest, [...p.piece].length);
      if (p.type === PIECE_TYPE.normal) {
        min = Math.min(min, p.score);
        max = Math.max(max, p.score);
      }
    });
    this.maxChars = longest;
    this.unkScore = Math.fround(min - UNK_PENALTY);
    this.maxScore = max;
  }

  private readonly maxScore: number;

  private score(id: number, chars: number): number {
    const p = this.pieces[id];
    // User-defined symbols always win over the pieces they overlap, as SentencePiece scores them.
    return p.type === PIECE_TYPE.userDefined ? Math.fround(chars * this.maxScore - 0.1) : p.score;
  }

  encode(normalized: string): Segment[] {
    const chars = [...normalized];
    const n = chars.length;
    const best = new Float32Array(n + 1);
    const from = new Int32Array(n + 1).fill(-1);
    const pieceAt = new Int32Array(n + 1).fill(-1);
    for (let s = 0; s < n; s++) {
      if (s > 0 && from[s] < 0) continue;
      let text = '';
      let single = false;
      const offer = (end: number, id: number, score: number) => {
        const total = Math.fround(best[s] + score);
        if (from[end] < 0 || total > best[end]) {
          best[end] = total;
          from[end] = s;
          pieceAt[end] = id;
        }
      };
      for (let len = 1; len <= this.maxChars && s + len <= n; len++) {
        text += chars[s + len - 1];
        const id = this.ids.get(text);
        if (id === undefined) continue;
        if (len === 1) single = true;
        offer(s + len, id, this.score(id, len));
      }
      if (!single) offer(s + 1, this.unkId, this.unkScore);
    }
    const out: Segment[] = [];
    for (let end = n; end > 0; end = from[end]) {
      out.push({ text: chars.slice(from[end], end).join(''), id: pieceAt[end] });
    }
    out.reverse();
    const merged: Segment[] = [];
    for (const seg of out) {
      const last = merged[merged.length - 1];
      if (last && seg.id === this.unkId && last.id === this.unkId) last.text += seg.text;
      else merged.push({ ...seg });
    }
    return merged;
  }
}
