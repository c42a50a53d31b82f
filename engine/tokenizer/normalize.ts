/**
 * Text normalisation in front of the CLIP BPE: the path transformers' slow CLIPTokenizer takes when
 * `ftfy` is not installed (its fallback `BasicTokenizer(strip_accents=False, do_split_on_punc=False)`).
 *
 * Steps, in this order:
 * 1. clean: drop U+0000, U+FFFD and every category-C character (Cc, Cf, Co, Cs, Cn) except TAB/LF/CR;
 *    TAB, LF, CR and every category-Zs character become a plain space;
 * 2. put a space on both sides of every CJK ideograph (kana, hangul etc. untouched);
 * 3. Unicode NFC;
 * 4. split on whitespace (Python `str.split()` semantics) and lowercase each word on its own.
 *
 * Lowercasing: JS `toLowerCase()` applies the same locale-independent full mappings as Python's
 * `str.lower()` (e.g. `İ` U+0130 -> `i` + U+0307, final sigma `Σ` -> `ς` at a word end). Doing it per word
 * keeps the final-sigma context identical to Python, which also lowercases word by word.
 */

/** Code-point ranges BasicTokenizer treats as CJK ideographs (inclusive). */
const CJK_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x4e00, 0x9fff],
  [0x3400, 0x4dbf],
  [0x20000, 0x2a6df],
  [0x2a700, 0x2b73f],
  [0x2b740, 0x2b81f],
  [0x2b820, 0x2ceaf],
  [0xf900, 0xfaff],
  [0x2f800, 0x2fa1f],
];

const CONTROL = /^\p{C}$/u;
const SPACE_SEPARATOR = /^\p{Zs}$/u;
/**
 * Python `str.isspace()`: category Zs or bidi class WS/B/S. After cleaning only ' ', U+2028 and U+2029
 * can remain, but the full set is kept so `splitWords` is correct on its own.
 */
const PY_WHITESPACE = /[\t\n\v\f\r\x1c-\x1f\x85\p{Zs}\u2028\u2029]+/u;

export function isCjkIdeograph(cp: number): boolean {
  for (const [lo, hi] of CJK_RANGES) if (cp >= lo && cp <= hi) return true;
  return false;
}

/** Step 1: remove control/format/unassigned characters, map tabs, newlines and Zs spaces to ' '. */
export function cleanText(text: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\t' || ch === '\n' || ch === '\r') {
      out += ' ';
      continue;
    }
    if (cp === 0 || cp === 0xfffd || CONTROL.test(ch)) continue;
    out += SPACE_SEPARATOR.test(ch) ? ' ' : ch;
  }
  return out;
}

/** Step 2: surround CJK ideographs with spaces so each one becomes its own word. */
export function spaceCjk(text: string): string {
  let out = '';
  for (const ch of text) out += isCjkIdeograph(ch.codePointAt(0)!) ? ` ${ch} ` : ch;
  return out;
}

/** Python `str.split()` with no argument: split on whitespace runs, drop empty strings. */
export function splitWords(text: string): string[] {
  return text.split(PY_WHITESPACE).filter((w) => w.length > 0);
}

/**
 * The whole pipeline: returns the lowercased words the BPE sees. `words.join(' ')` is transformers'
 * `normalized_text`; prompt editing indexes these words.
 */
export function normalizeWords(text: string): string[] {
  const nfc = spaceCjk(cleanText(text)).normalize('NFC');
  // Python splits again after lowercasing; lowercase mappings never produce whitespace, so one split suffices.
  return splitWords(nfc).map((w) => w.toLowerCase());
}
