/**
 * CLIP tokenizer against the transformers goldens in ../shared/clip-tokenizer (SD 1.x convention).
 * Skipped on a clone without ../shared.
 */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIPTokenizer } from '../../engine/tokenizer/index.ts';
import { hasShared, sharedPath } from '../support/shared.ts';

interface GoldenCase {
  text: string;
  ids: number[];
  tokens: string[];
  words: string[];
  token_word_index: number[];
  num_tokens_untruncated: number;
  truncated: boolean;
  attention_mask: number[];
}

const BOS = 49406;
const EOS = 49407;

describe.skipIf(!hasShared('clip-tokenizer'))('CLIP tokenizer goldens (../shared/clip-tokenizer)', () => {
  const vocabPath = sharedPath('clip-tokenizer', 'vocab.json');
  const mergesPath = sharedPath('clip-tokenizer', 'merges.txt');
  let tok: CLIPTokenizer;
  let cases: GoldenCase[] = [];
  let loadMs = 0;
  let tmp = '';

  beforeAll(async () => {
    const t0 = performance.now();
    tok = await CLIPTokenizer.fromFiles(vocabPath, mergesPath);
    loadMs = performance.now() - t0;
    cases = JSON.parse(readFileSync(sharedPath('clip-tokenizer', 'golden_token_ids.json'), 'utf8')).cases;
    tmp = await mkdtemp(join(tmpdir(), 'clip-golden-'));
  });
  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('loads the 49408-entry vocab and 48894 merges', () => {
    console.log(`[clip-tokenizer] load ${loadMs.toFixed(0)} ms`);
    expect(tok.vocabSize).toBe(49408);
    expect(tok.mergeCount).toBe(48894);
    expect(tok.bosId).toBe(BOS);
    expect(tok.eosId).toBe(EOS);
    expect(tok.padId).toBe(EOS);
  });

  it('matches all 42 golden prompts: ids, tokens, words, token_word_index', () => {
    expect(cases).toHaveLength(42);
    for (const c of cases) {
      const r = tok.encode(c.text);
      const label = JSON.stringify(c.text);
      expect(r.ids, label).toEqual(c.ids);
      expect(r.tokens, label).toEqual(c.tokens);
      expect(r.words, label).toEqual(c.words);
      expect(r.tokenWordIndex, label).toEqual(c.token_word_index);
      expect(r.numTokensUntruncated, label).toBe(c.num_tokens_untruncated);
      expect(r.truncated, label).toBe(c.truncated);
      expect(r.attentionMask, label).toEqual(c.attention_mask);
    }
  });

  it('SD 2.x padding: zeros after EOS, same tokens otherwise', async () => {
    const sd2 = await CLIPTokenizer.fromFiles(vocabPath, mergesPath, { padToken: 0 });
    for (const c of cases) {
      const r = sd2.encode(c.text);
      const n = 2 + r.tokens.length;
      expect(r.ids).toHaveLength(77);
      expect(r.ids.slice(0, n)).toEqual(c.ids.slice(0, n));
      expect(r.ids[n - 1]).toBe(EOS);
      expect(r.ids.slice(n)).toEqual(new Array(77 - n).fill(0));
    }
  });

  it('fromDirectory: diffusers SD 2.x folder (pad "!") and SD 1.x folder (pad EOS)', async () => {
    const link = async (name: string, config: Record<string, unknown>, map: Record<string, unknown>): Promise<string> => {
      const d = join(tmp, name);
      await mkdir(d);
      await symlink(vocabPath, join(d, 'vocab.json'));
      await symlink(mergesPath, join(d, 'merges.txt'));
      await writeFile(join(d, 'tokenizer_config.json'), JSON.stringify(config));
      await writeFile(join(d, 'special_tokens_map.json'), JSON.stringify(map));
      return d;
    };
    const special = { bos_token: '<|startoftext|>', eos_token: '<|endoftext|>', unk_token: '<|endoftext|>' };
    const sd2 = await CLIPTokenizer.fromDirectory(await link('sd2', { model_max_length: 77 }, { ...special, pad_token: '!' }));
    expect(sd2.padId).toBe(0);
    expect(sd2.encode('a photo of a cat').ids.slice(6)).toEqual([EOS, ...new Array(70).fill(0)]);
    const sd1 = await CLIPTokenizer.fromDirectory(
      await link('sd1', { model_max_length: 77, pad_token: { content: '<|endoftext|>', __type: 'AddedToken' } }, { ...special, pad_token: '<|endoftext|>' }),
    );
    expect(sd1.padId).toBe(EOS);
    expect(sd1.maxLength).toBe(77);
    expect(sd1.encode(cases[0].text).ids).toEqual(cases[0].ids);
  });

  function checkChunks(text: string, expectedLengths: number[]): void {
    const full = tok.tokenize(text);
    const { chunks, numTokens, words } = tok.encodeChunks(text);
    expect(numTokens).toBe(full.ids.length);
    expect(words).toEqual(full.words);
    expect(chunks.map((c) => c.tokens.length)).toEqual(expectedLengths);
    for (const c of chunks) {
      expect(c.ids).toHaveLength(77);
      expect(c.ids[0]).toBe(BOS);
      expect(c.ids[1 + c.tokens.length]).toBe(EOS);
      expect(c.ids.slice(1, 1 + c.tokens.length)).toEqual(c.tokens.map((t) => tok.tokenToId(t)));
    }
    expect(chunks.flatMap((c) => c.ids.filter((id) => id !== BOS && id !== EOS))).toEqual(full.ids);
    expect(chunks.flatMap((c) => c.tokens)).toEqual(full.tokens);
    expect(chunks.flatMap((c) => c.tokenWordIndex)).toEqual(full.tokenWordIndex);
    expect(chunks.map((c) => c.tokenOffset)).toEqual(expectedLengths.map((_, i) => expectedLengths.slice(0, i).reduce((a, b) => a + b, 0)));
  }

  it('chunks a 200-token prompt into 3 windows of 77 (75 + 75 + 50 without commas)', () => {
    const text = Array(40).fill('a photo of a cat').join(' ');
    expect(tok.tokenize(text).ids).toHaveLength(200);
    checkChunks(text, [75, 75, 50]);
  });

  it('chunking backtracks to a comma within the last 20 tokens (A1111)', () => {
    // "a photo of a cat," is 6 tokens; commas sit at 5, 11, …, 71 so the first window gives back 3 tokens.
    const text = Array(34).fill('a photo of a cat,').join(' ');
    expect(tok.tokenize(text).ids).toHaveLength(204);
    checkChunks(text, [72, 72, 60]);
    const { chunks } = tok.encodeChunks(text);
    expect(chunks[0].tokens.at(-1)).toBe(',</w>');
    expect(chunks[1].tokens.at(-1)).toBe(',</w>');
    expect(tok.encodeChunks(text, { commaBacktrack: 0 }).chunks.map((c) => c.tokens.length)).toEqual([75, 75, 54]);
  });

  it('a prompt that fits gives one chunk equal to encode()', () => {
    for (const c of cases.filter((g) => !g.truncated)) {
      const { chunks } = tok.encodeChunks(c.text);
      expect(chunks).toHaveLength(1);
      expect(chunks[0].ids).toEqual(c.ids);
    }
  });
});
