/**
 * CLIP tokenizer pieces on tiny in-memory data: runs on any clone (no ../shared needed).
 */
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioError } from '../../engine/api/errors.ts';
import { BytePairEncoder } from '../../engine/tokenizer/bpe.ts';
import { BYTE_TO_UNICODE, fromByteSymbols, toByteSymbols } from '../../engine/tokenizer/byte-unicode.ts';
import { chunkRanges } from '../../engine/tokenizer/chunking.ts';
import { CLIPTokenizer, type MergeRule } from '../../engine/tokenizer/index.ts';
import { parseMerges, parseVocab } from '../../engine/tokenizer/files.ts';
import { cleanText, normalizeWords } from '../../engine/tokenizer/normalize.ts';
import { pretokenize } from '../../engine/tokenizer/pretokenize.ts';

const MERGES: MergeRule[] = [
  ['c', 'a'],
  ['ca', 't</w>'],
  ['d', 'o'],
  ['do', 'g</w>'],
  ['o', 'o'],
];

/** Byte symbols alone and with </w>, merge results, then the two specials (last ids, as in CLIP). */
function tinyVocab(): Record<string, number> {
  const tokens = [...BYTE_TO_UNICODE, ...BYTE_TO_UNICODE.map((s) => `${s}</w>`), ...MERGES.map(([a, b]) => a + b)];
  tokens.push('<|startoftext|>', '<|endoftext|>');
  return Object.fromEntries(tokens.map((t, i) => [t, i]));
}

const VOCAB = tinyVocab();
const BOS = VOCAB['<|startoftext|>'];
const EOS = VOCAB['<|endoftext|>'];

function makeTokenizer(options = {}): CLIPTokenizer {
  return new CLIPTokenizer(VOCAB, MERGES, options);
}

async function expectStudioError(p: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  let err: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(StudioError);
  expect((err as StudioError).code).toBe(code);
}

describe('normalisation (no-ftfy BasicTokenizer path)', () => {
  it('removes control and format characters, maps tabs/newlines/Zs to spaces', () => {
    expect(cleanText('a\u200bb\u200dc\u0000d\ufffde')).toBe('abcde');
    expect(cleanText('a\tb\nc\rd\u00a0e\u3000f')).toBe('a b c d e f');
  });
  it('spaces CJK ideographs, applies NFC and lowercases per word', () => {
    expect(normalizeWords('  一只猫 タワー  ')).toEqual(['一', '只', '猫', 'タワー']);
    expect(normalizeWords('Cafe\u0301')).toEqual(['café']);
    expect(normalizeWords('İstanbul ΟΔΟΣ')).toEqual(['i\u0307stanbul', 'οδος']);
    expect(normalizeWords('')).toEqual([]);
    expect(normalizeWords(' \t\n ')).toEqual([]);
  });
});

describe('pre-tokenisation regex', () => {
  it('splits letters, single digits, symbol runs and contractions', () => {
    expect(pretokenize("dog's 2023 c++ (cat:1.2)")).toEqual(['dog', "'s", '2', '0', '2', '3', 'c', '++', '(', 'cat', ':', '1', '.', '2', ')']);
    expect(pretokenize('i\u0307stanbul')).toEqual(['i', '\u0307', 'stanbul']);
    expect(pretokenize('x<|endoftext|>y')).toEqual(['x', '<|endoftext|>', 'y']);
  });
});

describe('byte-level alphabet', () => {
  it('is a bijection onto 256 single characters and round-trips UTF-8', () => {
    expect(new Set(BYTE_TO_UNICODE).size).toBe(256);
    expect(BYTE_TO_UNICODE[0x20]).toBe('Ġ');
    expect(BYTE_TO_UNICODE[0x41]).toBe('A');
    expect(toByteSymbols('è')).toBe('Ã¨');
    expect(fromByteSymbols(toByteSymbols('crème 🐱 東京'))).toBe('crème 🐱 東京');
  });
});

describe('BPE', () => {
  it('merges by rank with </w> on the last symbol and caches results', () => {
    const bpe = new BytePairEncoder(MERGES);
    expect(bpe.encode('cat')).toEqual(['cat</w>']);
    expect(bpe.encode('cats')).toEqual(['ca', 't', 's</w>']);
    expect(bpe.encode('x')).toEqual(['x</w>']);
    expect(bpe.encode('oooo')).toEqual(['oo', 'o', 'o</w>']);
    expect(bpe.encode('cat')).toBe(bpe.encode('cat'));
    expect(bpe.rank('d', 'o')).toBe(2);
  });
});

describe('CLIPTokenizer on a tiny vocabulary', () => {
  it('encodes with BOS/EOS, EOS padding and the token -> word map', () => {
    const tok = makeTokenizer({ maxLength: 10 });
    const r = tok.encode('A Cat, dog!');
    expect(r.tokens).toEqual(['a</w>', 'cat</w>', ',</w>', 'dog</w>', '!</w>']);
    expect(r.words).toEqual(['a', 'cat,', 'dog!']);
    expect(r.tokenWordIndex).toEqual([0, 1, 1, 2, 2]);
    expect(r.ids).toHaveLength(10);
    expect(r.ids[0]).toBe(BOS);
    expect(r.ids.slice(1, 6)).toEqual(r.tokens.map((t) => VOCAB[t]));
    expect(r.ids.slice(6)).toEqual([EOS, EOS, EOS, EOS]);
    expect(r.attentionMask).toEqual([1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
    expect(r.truncated).toBe(false);
    expect(tok.decode(r.ids)).toBe('a cat , dog !');
  });
  it('truncates to maxLength - 2 tokens and pads with an explicit id', () => {
    const tok = makeTokenizer({ maxLength: 5, padToken: 0 });
    const r = tok.encode('cat dog cat dog');
    expect(r.tokens).toEqual(['cat</w>', 'dog</w>', 'cat</w>']);
    expect(r.ids).toEqual([BOS, VOCAB['cat</w>'], VOCAB['dog</w>'], VOCAB['cat</w>'], EOS]);
    expect(r.truncated).toBe(true);
    expect(r.numTokensUntruncated).toBe(4);
    const sd2 = makeTokenizer({ maxLength: 8, padToken: VOCAB['!'] });
    const ids = sd2.encode('cat!').ids;
    expect(ids).toEqual([BOS, VOCAB['cat</w>'], VOCAB['!</w>'], EOS, ...new Array(4).fill(VOCAB['!'])]);
    expect(sd2.decode([...ids, ...ids])).toBe('cat ! cat !');
    expect(sd2.decode(sd2.encode('!!').ids)).toBe('!!'); // '!' (the pad id) inside the prompt is kept
  });
  it('chunks long prompts, backtracking to a late comma', () => {
    // chunkSize 5, backtrack 2: the full window "cat x y , a" gives back "a" (comma at 3, 5 - 3 <= 2)
    const tok = makeTokenizer({ maxLength: 7, commaBacktrack: 2 });
    const text = 'cat x y, a b c d';
    const full = tok.tokenize(text);
    expect(full.tokens).toEqual(['cat</w>', 'x</w>', 'y</w>', ',</w>', 'a</w>', 'b</w>', 'c</w>', 'd</w>']);
    const { chunks, numTokens } = tok.encodeChunks(text);
    expect(numTokens).toBe(8);
    expect(chunks.map((c) => c.tokens)).toEqual([
      ['cat</w>', 'x</w>', 'y</w>', ',</w>'],
      ['a</w>', 'b</w>', 'c</w>', 'd</w>'],
    ]);
    expect(chunks.map((c) => c.tokenOffset)).toEqual([0, 4]);
    expect(chunks[0].ids).toEqual([BOS, ...full.ids.slice(0, 4), EOS, EOS]);
    expect(chunks[1].tokenWordIndex).toEqual([3, 4, 5, 6]); // words: cat x y, a b c d
    // comma too early for the backtrack window -> plain split
    expect(tok.encodeChunks(text, { commaBacktrack: 1 }).chunks.map((c) => c.tokens.length)).toEqual([5, 3]);
    expect(tok.encodeChunks('').chunks.map((c) => c.ids)).toEqual([[BOS, EOS, EOS, EOS, EOS, EOS, EOS]]);
  });
  it('chunkRanges follows the A1111 rule', () => {
    const C = 9;
    expect(chunkRanges([], 5, C, 2)).toEqual([[0, 0]]);
    expect(chunkRanges([1, 2, 3, 4, 5], 5, C, 2)).toEqual([[0, 5]]);
    expect(chunkRanges([1, 2, 3, C, 5, 6], 5, C, 2)).toEqual([[0, 4], [4, 6]]);
    // the token after the full window is a comma: no backtrack
    expect(chunkRanges([1, 2, 3, C, 5, C], 5, C, 2)).toEqual([[0, 5], [5, 6]]);
    expect(chunkRanges([1, 2, 3, C, 5, 6], 5, C, 0)).toEqual([[0, 5], [5, 6]]);
    expect(chunkRanges([1, 2, 3, C, 5, 6], 5, undefined, 2)).toEqual([[0, 5], [5, 6]]);
  });
  it('rejects bad options and data with typed errors', async () => {
    await expectStudioError(() => makeTokenizer({ padToken: 123456 }), 'INVALID_REQUEST');
    await expectStudioError(() => makeTokenizer({ maxLength: 1 }), 'INVALID_REQUEST');
    await expectStudioError(() => new CLIPTokenizer({ a: 0 }, []), 'INVALID_REQUEST');
    await expectStudioError(() => parseVocab('[1,2]'), 'INVALID_REQUEST');
    await expectStudioError(() => parseVocab('{"a": -1}'), 'INVALID_REQUEST');
    await expectStudioError(() => parseMerges('#version: 0.2\na b\na b c\n'), 'INVALID_REQUEST');
    expect(parseMerges('#version: 0.2\r\na b\r\n\r\nc  d\n')).toEqual([['a', 'b'], ['c', 'd']]);
  });
});

describe('loading tokenizer files', () => {
  let dir = '';
  const vocabJson = JSON.stringify(VOCAB);
  const mergesTxt = `#version: 0.2\n${MERGES.map((m) => m.join(' ')).join('\n')}\n`;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clip-tok-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  async function folder(name: string, files: Record<string, string>): Promise<string> {
    const d = join(dir, name);
    await mkdir(d, { recursive: true });
    for (const [f, text] of Object.entries(files)) await writeFile(join(d, f), text);
    return d;
  }

  it('fromDirectory reads pad token and max length from the config files', async () => {
    const d = await folder('sd2', {
      'vocab.json': vocabJson,
      'merges.txt': mergesTxt,
      'tokenizer_config.json': JSON.stringify({ model_max_length: 8, pad_token: '<|endoftext|>' }),
      'special_tokens_map.json': JSON.stringify({ pad_token: { content: '!', lstrip: false } }),
    });
    const tok = await CLIPTokenizer.fromDirectory(d);
    expect(tok.maxLength).toBe(8);
    expect(tok.padId).toBe(VOCAB['!']);
    expect((await CLIPTokenizer.fromDirectory(d, { padToken: 'eos' })).padId).toBe(EOS);
  });
  it('gives NOT_FOUND for missing files and INVALID_REQUEST for malformed ones', async () => {
    const ok = await folder('ok', { 'vocab.json': vocabJson, 'merges.txt': mergesTxt });
    expect((await CLIPTokenizer.fromDirectory(ok)).padId).toBe(EOS);
    await expectStudioError(CLIPTokenizer.fromFiles(join(dir, 'nope.json'), join(ok, 'merges.txt')), 'NOT_FOUND');
    await expectStudioError(CLIPTokenizer.fromDirectory(join(dir, 'missing')), 'NOT_FOUND');
    const badMerges = await folder('bad-merges', { 'vocab.json': vocabJson, 'merges.txt': '#version: 0.2\nc a\nthree parts here\n' });
    await expectStudioError(CLIPTokenizer.fromDirectory(badMerges), 'INVALID_REQUEST');
    const badVocab = await folder('bad-vocab', { 'vocab.json': '{"a": 1,', 'merges.txt': mergesTxt });
    await expectStudioError(CLIPTokenizer.fromDirectory(badVocab), 'INVALID_REQUEST');
    const badConfig = await folder('bad-config', { 'vocab.json': vocabJson, 'merges.txt': mergesTxt, 'tokenizer_config.json': '{' });
    await expectStudioError(CLIPTokenizer.fromDirectory(badConfig), 'INVALID_REQUEST');
    const badPad = await folder('bad-pad', { 'vocab.json': vocabJson, 'merges.txt': mergesTxt, 'special_tokens_map.json': '{"pad_token": "<pad>"}' });
    await expectStudioError(CLIPTokenizer.fromDirectory(badPad), 'INVALID_REQUEST');
  });
});
