import { StudioError } from '../../api/errors.ts';

/**
 * SentencePiece's precompiled normalisation map (`NormalizerSpec.precompiled_charsmap`):
 * a little-endian uint32 trie size in bytes, a darts-clone double-array trie over UTF-8
 * byte sequences of that size, then a pool of NUL-terminated replacement strings. A trie
 * leaf's value is the byte offset of its replacement in the pool; the longest key that
 * prefixes the input wins (nmt_nfkc's NFKC plus the NMT whitespace / control rules).
 *
 * Unit layout of a double-array element (darts-clone):
 * bit 8 = has a leaf, bits 0-7 (+ bit 31) = label, value = low 31 bits of the leaf unit,
 * offset = (unit >> 10) << ((unit & (1 << 9)) >> 6).
 */
export class CharsMap {
  private readonly units: Uint32Array;
  private readonly pool: Uint8Array;

  constructor(blob: Uint8Array, label: string) {
    const bad = (why: string) => new StudioError('INVALID_REQUEST', `${label}: damaged normalisation map (${why})`, { file: label });
    if (blob.length < 4) throw bad('shorter than its size field');
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    const trieBytes = view.getUint32(0, true);
    if (trieBytes % 4 !== 0 || 4 + trieBytes > blob.length || trieBytes === 0) throw bad(`trie of ${trieBytes} bytes in a ${blob.length}-byte map`);
    this.units = new Uint32Array(trieBytes / 4);
    for (let i = 0; i < this.units.length; i++) this.units[i] = view.getUint32(4 + 4 * i, true);
    this.pool = blob.subarray(4 + trieBytes);
  }

  /**
   * The longest trie key that prefixes `bytes[start..]`: its length in bytes and its
   * replacement's pool offset, or undefined when no key matches.
   */
  longestPrefix(bytes: Uint8Array, start: number): { length: number; value: number } | undefined {
    const u = this.units;
    let found: { length: number; value: number } | undefined;
    let node = offsetOf(u[0]);
    for (let i = start; i < bytes.length; i++) {
      const c = bytes[i];
      node ^= c;
      if (node >= u.length) return found;
      const unit = u[node];
      if ((unit & 0x800000ff) >>> 0 !== c) return found;
      node ^= offsetOf(unit);
      if (node >= u.length) return found;
      if ((unit >>> 8) & 1) found = { length: i - start + 1, value: u[node] & 0x7fffffff };
    }
    return found;
  }

  /** The NUL-terminated replacement bytes at a pool offset. */
  replacement(offset: number): Uint8Array {
    let end = offset;
    while (end < this.pool.length && this.pool[end] !== 0) end++;
    return this.pool.subarray(offset, end);
  }
}

function offsetOf(unit: number): number {
  return ((unit >>> 10) << ((unit & (1 << 9)) >>> 6)) >>> 0;
}
