import { describe, expect, it } from 'vitest';
import { extractExtraNetworks, loraTags, parsePromptAttention, type PromptPiece } from '../../engine/tokenizer/promptSyntax.ts';
import { tokenizerFor } from '../../engine/tokenizer/forModel.ts';
import { applyEmphasis, encodeWeightedChunks } from '../../engine/tokenizer/weightedChunks.ts';

const pairs = (p: PromptPiece[]) => p.map((x) => ('break' in x ? ['BREAK', -1] : [x.text, Number(x.weight.toFixed(6))]));

describe('A1111 prompt syntax', () => {
  it('parses weights, emphasis, escapes and unbalanced brackets as A1111 documents them', () => {
    expect(pairs(parsePromptAttention('normal text'))).toEqual([['normal text', 1]]);
    expect(pairs(parsePromptAttention('an (important) word'))).toEqual([['an ', 1], ['important', 1.1], [' word', 1]]);
    expect(pairs(parsePromptAttention('(unbalanced'))).toEqual([['unbalanced', 1.1]]);
    expect(pairs(parsePromptAttention('\\(literal\\]'))).toEqual([['(literal]', 1]]);
    expect(pairs(parsePromptAttention('(unnecessary)(parens)'))).toEqual([['unnecessaryparens', 1.1]]);
    expect(pairs(parsePromptAttention('a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).'))).toEqual([
      ['a ', 1], ['house', 1.573], [' ', 1.1], ['on', 1], [' a ', 1.1], ['hill', 0.55], [', sun, ', 1.1], ['sky', 1.4641], ['.', 1.1],
    ]);
    expect(pairs(parsePromptAttention('a cat BREAK a dog'))).toEqual([['a cat', 1], ['BREAK', -1], ['a dog', 1]]);
    expect(pairs(parsePromptAttention(''))).toEqual([['', 1]]);
  });

  it('takes <lora:…> tags out of the text, with the multiplier defaulting to 1', () => {
    const { text, tags } = extractExtraNetworks('a cat <lora:myStyle:0.8>, <lora:other> on a mat');
    expect(text).toBe('a cat ,  on a mat');
    expect(tags).toEqual([{ kind: 'lora', name: 'myStyle', multiplier: 0.8 }, { kind: 'lora', name: 'other', multiplier: 1 }]);
    expect(loraTags('<hypernet:x:1> <lyco:y:0.5>').map((t) => t.name)).toEqual(['y']);
  });

  it('chunks plain text exactly like encodeChunks; BREAK starts a new chunk; tags never reach the ids', async () => {
    const tok = await tokenizerFor({ family: 'sd1' });
    const plain = 'a photo of a cat, sitting on a red mat';
    const w = encodeWeightedChunks(tok, plain);
    expect(w.chunks).toEqual(tok.encodeChunks(plain).chunks);
    expect(w.weighted).toBe(false);
    const b = encodeWeightedChunks(tok, 'a cat BREAK a dog <lora:x:0.7>');
    expect(b.chunks.map((c) => c.ids)).toEqual([tok.encode('a cat').ids, tok.encode('a dog').ids]);
    expect(encodeWeightedChunks(tok, 'a cat BREAK').chunks).toHaveLength(1);
    const e = encodeWeightedChunks(tok, 'a (cat:1.5) dog');
    expect(e.chunks[0].ids).toEqual(tok.encode('a cat dog').ids);
    expect(e.multipliers[0].slice(0, 5)).toEqual([1, 1, 1.5, 1, 1]);
  });

  it('emphasis multiplies token states and keeps each chunk mean', () => {
    const data = Float32Array.from({ length: 2 * 3 * 2 }, (_, i) => i + 1);
    const before = data.slice();
    applyEmphasis(data, [[1, 2, 1], [1, 1, 1]], 2);
    const mean = (a: Float32Array, s: number) => a.slice(s, s + 6).reduce((x, y) => x + y, 0) / 6;
    expect(mean(data, 0)).toBeCloseTo(mean(before, 0), 5);
    expect(data[2] / data[0]).toBeCloseTo((2 * before[2]) / before[0], 5);
    expect(Array.from(data.slice(6))).toEqual(Array.from(before.slice(6)));
  });
});
