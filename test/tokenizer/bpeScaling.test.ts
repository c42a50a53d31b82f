/**
 * The BPE merge loop: same pieces as the plain rescan-the-word algorithm on any input, and
 * time that grows about linearly with one word's length (a 19,000-letter word used to block
 * the server for seconds).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BytePairEncoder, END_OF_WORD, type MergeRule } from '../../engine/tokenizer/bpe.ts';
import { CLIPTokenizer } from '../../engine/tokenizer/index.ts';
import { hasShared, sharedPath } from '../support/shared.ts';

/** The textbook loop: find the lowest-ranked adjacent pair, merge all its occurrences left to right, repeat. */
function referenceMerge(chunk: string, merges: readonly MergeRule[]): string[] {
  const ranks = new Map<string, number>();
  merges.forEach(([a, b], r) => ranks.set(`${a} ${b}`, r));
  let word = Array.from(chunk);
  if (!word.length) return [];
  word[word.length - 1] += END_OF_WORD;
  for (;;) {
    let best: number | undefined;
    let pair: [string, string] = ['', ''];
    for (let i = 0; i + 1 < word.length; i++) {
      const r = ranks.get(`${word[i]} ${word[i + 1]}`);
      if (r !== undefined && (best === undefined || r < best)) [best, pair] = [r, [word[i], word[i + 1]]];
    }
    if (best === undefined) return word;
    const next: string[] = [];
    for (let i = 0; i < word.length; i++) {
      if (i + 1 < word.length && word[i] === pair[0] && word[i + 1] === pair[1]) next.push(word[i] + word[++i]);
      else next.push(word[i]);
    }
    word = next;
  }
}

const FC = { seed: 23, numRuns: 400 };

describe('BPE merge order', () => {
  // A three-letter alphabet makes overlapping runs ("aaa"), chains and rank ties between levels common.
  const letter = fc.constantFrom('a', 'b', 'c');
  const symbol = fc.oneof(letter, fc.constantFrom('ab', 'aa', 'ba', 'abc', 'c</w>', 'a</w>', 'aa</w>'));
  const rule = fc.tuple(symbol, symbol) as fc.Arbitrary<MergeRule>;

  it('gives the reference pieces for random merge tables and words', () => {
    fc.assert(
      fc.property(fc.array(rule, { maxLength: 24 }), fc.string({ unit: letter, maxLength: 40 }), (merges, word) => {
        expect(new BytePairEncoder(merges, { cacheLimit: 0 }).encode(word)).toEqual(referenceMerge(word, merges));
      }),
      FC,
    );
  });
});

/** Milliseconds to encode one word of `n` letters drawn from a fixed pseudo-random stream. */
function timeWord(encode: (w: string) => unknown, n: number): number {
  let s = 7;
  const next = (): number => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31; // high bits: the low ones of an LCG cycle
  const word = Array.from({ length: n }, () => String.fromCharCode(97 + Math.floor(next() * 26))).join('');
  const t0 = performance.now();
  encode(word);
  return performance.now() - t0;
}

/** Every letter bigram, then a ladder of longer merges, so a long word goes through thousands of merge levels. */
function syntheticMerges(): MergeRule[] {
  const letters = 'abcdefghijklmnopqrstuvwxyz'.split('');
  const bigrams = letters.flatMap((a) => letters.map((b) => [a, b] as MergeRule));
  const longer = bigrams.flatMap(([a, b], i) => bigrams.slice(i % 40, (i % 40) + 12).map(([c, d]) => [a + b, c + d] as MergeRule));
  return [...bigrams, ...longer];
}

describe('BPE cost of one long word', () => {
  it('a 19,000-letter word encodes in well under a second, and 4× longer costs about 4× (synthetic merges)', () => {
    const bpe = new BytePairEncoder(syntheticMerges(), { cacheLimit: 0 });
    timeWord((w) => bpe.encode(w), 2000); // warm-up
    const short = Math.max(timeWord((w) => bpe.encode(w), 4750), 1);
    const long = timeWord((w) => bpe.encode(w), 19_000);
    expect(long).toBeLessThan(800); // about 1,100 ms before the heap, ~130 ms after
    expect(long / short).toBeLessThan(12); // quadratic would be ~16
  });

  it.skipIf(!hasShared('clip-tokenizer'))('a 19,000-letter word tokenizes in well under a second with the real CLIP merges', async () => {
    const tok = await CLIPTokenizer.fromFiles(sharedPath('clip-tokenizer', 'vocab.json'), sharedPath('clip-tokenizer', 'merges.txt'), { cacheLimit: 0 });
    expect(timeWord((w) => tok.tokenize(w), 19_000)).toBeLessThan(500); // 4.2 s before the heap
  });
});
