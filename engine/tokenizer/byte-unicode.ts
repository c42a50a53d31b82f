/**
 * GPT-2 / CLIP byte-level alphabet: each of the 256 byte values maps to one printable code point so BPE
 * symbols are ordinary strings. Printable Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') map to themselves;
 * the remaining 68 bytes (controls, space, 0x7F-0xA0, 0xAD) map, in byte order, to U+0100, U+0101, …
 * (so space 0x20 becomes 'Ġ' U+0120).
 */

function buildByteToUnicode(): string[] {
  const table = new Array<string>(256);
  const printable = (b: number): boolean =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = String.fromCodePoint(printable(b) ? b : 256 + next++);
  }
  return table;
}

/** BYTE_TO_UNICODE[byte] is the one-character symbol of that byte. */
export const BYTE_TO_UNICODE: readonly string[] = buildByteToUnicode();

const UNICODE_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_UNICODE.map((ch, b) => [ch, b]));

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

/** UTF-8 bytes of `text`, each replaced by its byte-level symbol. */
export function toByteSymbols(text: string): string {
  let out = '';
  for (const b of encoder.encode(text)) out += BYTE_TO_UNICODE[b];
  return out;
}

/**
 * Inverse of `toByteSymbols`: byte-level symbols back to text. Characters outside the alphabet are
 * passed through as their own UTF-8; invalid UTF-8 sequences decode to U+FFFD.
 */
export function fromByteSymbols(symbols: string): string {
  const bytes: number[] = [];
  for (const ch of symbols) {
    const b = UNICODE_TO_BYTE.get(ch);
    if (b !== undefined) bytes.push(b);
    else bytes.push(...encoder.encode(ch));
  }
  return decoder.decode(new Uint8Array(bytes));
}
