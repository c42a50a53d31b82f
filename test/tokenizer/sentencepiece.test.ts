import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../engine/cli/main.ts';
import { t5Prompt } from '../../engine/models/t5/promptTokens.ts';
import { BUNDLED_T5_TOKENIZER, pixartPromptText, t5TokenizerFor } from '../../engine/models/t5/tokenizer.ts';
import { parseSentencePieceModel } from '../../engine/tokenizer/sentencepiece/modelProto.ts';
import { SentencePieceTokenizer } from '../../engine/tokenizer/sentencepiece/tokenizer.ts';
import { captureOutput } from '../support/captureOutput.ts';
import { hasShared, sharedPath } from '../support/shared.ts';
import { encodeModel } from './spModel.ts';

interface GoldenCase {
  text: string;
  pipeline_text: string;
  tokens: string[];
  ids_120: number[];
  attention_mask_120: number[];
  truncated_120: boolean;
  ids_300: number[];
  attention_mask_300: number[];
  truncated_300: boolean;
  ids_no_preprocessing: number[];
}

describe('SentencePiece tokenizer (bundled T5 spiece.model)', () => {
  let t5: SentencePieceTokenizer;
  beforeAll(async () => {
    t5 = await t5TokenizerFor();
  });

  it('encodes the T5 paper example as Google\'s model does, EOS 1, no BOS, pad 0', () => {
    const e = t5.encode('translate English to German: The house is wonderful.', 14);
    expect(e.ids).toEqual([13959, 1566, 12, 2968, 10, 37, 629, 19, 1627, 5, 1, 0, 0, 0]);
    expect(e.attentionMask).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
    expect([t5.eosId, t5.padId, t5.unkId, t5.bosId, t5.pieceCount]).toEqual([1, 0, 2, -1, 32000]);
  });

  it('maps pieces to words: a bare ▁ opens the word, punctuation stays with it', () => {
    const t = t5.tokenize('a photo of a cat.');
    expect(t.tokens).toEqual(['▁', 'a', '▁photo', '▁of', '▁', 'a', '▁cat', '.']);
    expect(t.words).toEqual(['a', 'photo', 'of', 'a', 'cat.']);
    expect(t.tokenWordIndex).toEqual([0, 0, 1, 2, 3, 3, 4, 4]);
  });

  it('truncates to maxLength − 1 pieces and still ends with EOS', () => {
    const e = t5.encode('one two three four five six', 4);
    expect(e.ids).toHaveLength(4);
    expect(e.ids[3]).toBe(1);
    expect(e.truncated).toBe(true);
    expect(e.attentionMask).toEqual([1, 1, 1, 1]);
  });

  it('carries (word:w) weights onto every piece of the word, strips the syntax, refuses unknown words', () => {
    const p = t5Prompt(t5, '(Masterpiece:1.2), a (red apple:0.5) on a table', 20);
    expect(p.text).toBe('Masterpiece, a red apple on a table');
    const e = t5.encode(pixartPromptText(p.text), 20);
    expect(p.ids).toEqual(e.ids);
    const weightOf = (word: string) => [...new Set(p.tokenWord.flatMap((w, n) => (w >= 0 && p.words[w] === word ? [p.weights[n]] : [])))];
    expect(weightOf('masterpiece,')).toEqual([Math.fround(1.2)]);
    expect(weightOf('red')).toEqual([0.5]);
    expect(weightOf('apple')).toEqual([0.5]);
    expect(weightOf('table')).toEqual([1]);
    // both pieces of each "a" (▁, a) stay 1; EOS and padding too
    expect(p.weights.filter((w) => w !== 1)).toHaveLength(p.tokenWord.filter((w) => w >= 0 && [0, 2, 3].includes(w)).length);
    expect(() => t5Prompt(t5, 'a cat', 20, { wordWeights: [{ word: 'dog', weight: 1.5 }] })).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST', message: expect.stringMatching(/"dog" is not a word/) }));
  });

  it('refuses a file that is not a unigram SentencePiece model with a typed error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sp-'));
    try {
      await writeFile(join(dir, 'junk.model'), Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 1, 2]));
      await expect(SentencePieceTokenizer.fromFile(join(dir, 'junk.model'))).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringMatching(/not a SentencePiece model/) });
      await writeFile(join(dir, 'bpe.model'), encodeModel({ pieces: [{ piece: '<unk>', score: 0, type: 2 }, { piece: '</s>', score: 0, type: 3 }, { piece: 'a', score: -1 }], modelType: 2 }));
      await expect(SentencePieceTokenizer.fromFile(join(dir, 'bpe.model'))).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringMatching(/type 2 is not supported/) });
      await expect(SentencePieceTokenizer.fromFile(join(dir, 'absent.model'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('unigram Viterbi on a hand-made model (no charsmap)', () => {
  const tok = new SentencePieceTokenizer(parseSentencePieceModel(encodeModel({
    pieces: [
      { piece: '<unk>', score: 0, type: 2 }, { piece: '</s>', score: 0, type: 3 }, { piece: '<pad>', score: 0, type: 3 },
      { piece: '\u2581', score: -2 }, { piece: 'a', score: -3 }, { piece: 'b', score: -3 }, { piece: 'ab', score: -5 },
      { piece: '\u2581ab', score: -4.5 }, { piece: '\u2581a', score: -4 },
    ],
    unkId: 0, eosId: 1, padId: 2,
  }), 'test.model'));

  it('takes the most probable path, collapses whitespace and merges a run of unknown characters into one <unk>', () => {
    // "▁ab" (−4.5) beats "▁a"+"b" (−7) and "▁"+"ab" (−7).
    expect(tok.tokenize('  ab ').tokens).toEqual(['\u2581ab']);
    expect(tok.tokenize('ab   ba').ids).toEqual([7, 3, 5, 4]);
    const t = tok.tokenize('axyzb');
    expect(t.ids).toEqual([8, 0, 5]);
    expect(t.tokens).toEqual(['\u2581a', 'xyz', 'b']);
    expect(tok.encode('', 3).ids).toEqual([1, 2, 2]);
  });
});

describe.skipIf(!hasShared('t5-tokenizer'))('T5 token ids against the goldens (python sentencepiece, PixArt convention)', () => {
  const golden = () => JSON.parse(readFileSync(sharedPath('t5-tokenizer', 'golden_token_ids.json'), 'utf8')) as { cases: GoldenCase[] };

  it('the bundled spiece.model is the shared one, byte for byte', async () => {
    expect(Buffer.compare(await readFile(BUNDLED_T5_TOKENIZER), await readFile(sharedPath('t5-tokenizer', 'spiece.model')))).toBe(0);
  });

  it('every prompt: pieces, ids and masks at 120 and 300, truncation, and the raw text without lowercasing', async () => {
    const t5 = await SentencePieceTokenizer.fromFile(sharedPath('t5-tokenizer', 'spiece.model'));
    const cases = golden().cases;
    expect(cases.length).toBe(30);
    for (const c of cases) {
      expect(pixartPromptText(c.text), c.text).toBe(c.pipeline_text);
      expect(t5.tokenize(c.pipeline_text).tokens, c.text).toEqual(c.tokens);
      for (const L of [120, 300] as const) {
        const e = t5.encode(pixartPromptText(c.text), L);
        expect(e.ids, `${c.text} @${L}`).toEqual(c[`ids_${L}`]);
        expect(e.attentionMask, `${c.text} @${L}`).toEqual(c[`attention_mask_${L}`]);
        expect(e.truncated).toBe(c[`truncated_${L}`]);
        // The weighting syntax is read out of the prompt first; without any, the prompt path is the same.
        if (!/\([^():]+:[\d.]+\)/.test(c.text)) expect(t5Prompt(t5, c.text, L).ids, `${c.text} @${L}`).toEqual(c[`ids_${L}`]);
      }
      expect([...t5.tokenize(c.text).ids, 1], c.text).toEqual(c.ids_no_preprocessing);
    }
  });

  it('debug tokenize --t5 prints what PixArt feeds T5', async () => {
    const c = golden().cases[1];
    const r = await captureOutput(() => main(['node', 'latent-studio', 'debug', 'tokenize', '--t5', '--max-length', '300', '--text', c.text]));
    expect(r.code, r.err).toBe(0);
    const out = JSON.parse(r.out) as { ids: number[]; mask: number[]; tokens: string[]; weights: number[] };
    expect(out.ids).toEqual(c.ids_300);
    expect(out.mask).toEqual(c.attention_mask_300);
    expect(out.tokens).toEqual(c.tokens);
  });

  it.skipIf(!hasShared('golden', 'pixart-tiny'))('debug tokenize --checkpoint on a T5 folder reproduces pixart-tiny\'s input ids', async () => {
    const { readNpy } = await import('../../engine/npy/npy.ts');
    const ids = await readNpy(sharedPath('golden', 'pixart-tiny', 'golden', 'text', 'input_ids.npy'));
    const r = await captureOutput(() => main(['node', 'latent-studio', 'debug', 'tokenize', '--checkpoint', sharedPath('golden', 'pixart-tiny', 'text_encoder'), '--text', 'A small cactus with a happy face in the Sahara desert.']));
    expect(r.code, r.err).toBe(0);
    expect((JSON.parse(r.out) as { ids: number[] }).ids).toEqual(Array.from(ids.data as BigInt64Array, Number).slice(120, 240));
  });
});
