import { CharsMap } from './charsmap.ts';
import type { NormalizerSpec } from './modelProto.ts';

/** SentencePiece's whitespace symbol, U+2581 LOWER ONE EIGHTH BLOCK. */
export const SPACE_SYMBOL = '\u2581';

const SPACE = 0x20;
const SPACE_BYTES = new TextEncoder().encode(SPACE_SYMBOL);
const REPLACEMENT = new TextEncoder().encode('\ufffd');
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');

/** Bytes in the UTF-8 sequence a lead byte starts; 0 for a continuation or invalid byte. */
function utf8Length(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead < 0xe0) return 2;
  if (lead >= 0xe0 && lead < 0xf0) return 3;
  if (lead >= 0xf0 && lead < 0xf5) return 4;
  return 0;
}

/**
 * The normaliser in front of SentencePiece's segmentation, as its C++ `Normalizer::Normalize`
 * does it: every position is rewritten by the longest charsmap rule that matches there (or
 * copied as one character), leading whitespace is dropped, runs of whitespace collapse to
 * one, trailing whitespace is dropped, a dummy `▁` is prefixed and spaces become `▁`.
 * A text of only whitespace normalises to the empty string.
 */
export class Normalizer {
  private readonly map?: CharsMap;

  constructor(private readonly spec: NormalizerSpec, label: string, private readonly whitespaceAsSuffix = false) {
    if (spec.charsmap.length > 0) this.map = new CharsMap(spec.charsmap, label);
  }

  normalize(text: string): string {
    const input = encoder.encode(text);
    const { removeExtraWhitespaces: trim, escapeWhitespaces: escape, addDummyPrefix } = this.spec;
    const out: number[] = [];
    const pushSpace = () => (escape ? out.push(...SPACE_BYTES) : out.push(SPACE));
    let pos = 0;
    if (trim) {
      while (pos < input.length) {
        const [rep, used] = this.prefix(input, pos);
        if (!(rep.length === 1 && rep[0] === SPACE)) break;
        pos += used;
      }
    }
    if (pos >= input.length) return '';
    if (addDummyPrefix && !this.whitespaceAsSuffix) pushSpace();
    let prevSpace = trim;
    while (pos < input.length) {
      const [rep, used] = this.prefix(input, pos);
      let start = 0;
      if (prevSpace) while (start < rep.length && rep[start] === SPACE) start++;
      if (start < rep.length) {
        for (let i = start; i < rep.length; i++) {
          if (escape && rep[i] === SPACE) pushSpace();
          else out.push(rep[i]);
        }
        prevSpace = rep[rep.length - 1] === SPACE;
      }
      pos += used;
      prevSpace = prevSpace && trim;
    }
    if (addDummyPrefix && this.whitespaceAsSuffix) pushSpace();
    let s = decoder.decode(Uint8Array.from(out));
    if (trim) {
      const sp = escape ? SPACE_SYMBOL : ' ';
      while (s.endsWith(sp)) s = s.slice(0, -sp.length);
    }
    return s;
  }

  /** The replacement of the input at `pos` and how many input bytes it consumed. */
  private prefix(input: Uint8Array, pos: number): [Uint8Array, number] {
    const hit = this.map?.longestPrefix(input, pos);
    if (hit) return [this.map!.replacement(hit.value), hit.length];
    const n = utf8Length(input[pos]);
    if (n === 0 || pos + n > input.length) return [REPLACEMENT, 1];
    return [input.subarray(pos, pos + n), n];
  }
}
