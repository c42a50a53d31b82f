import { describe, expect, it } from 'vitest';
import { parsePrompt, plainPrompt, setWordWeight, wordWeights } from '../../../renderer/src/editor/promptWords.ts';

describe('prompt words and weight syntax', () => {
  it('splits words and reads (word:1.3) weights with their positions', () => {
    const p = 'a (red:1.3) circle, (blue sky:0.8)';
    const words = parsePrompt(p);
    expect(words.map((w) => [w.text, w.weight])).toEqual([['a', 1], ['red', 1.3], ['circle', 1], ['blue', 0.8], ['sky', 0.8]]);
    expect(p.slice(words[1].start, words[1].end)).toBe('red');
    expect(words[1].group).toEqual({ start: 2, end: 11, words: 1 });
    expect(words[3].group?.words).toBe(2);
  });

  it('strips the syntax for the encoder and lists non-neutral weights', () => {
    expect(plainPrompt('a (red:1.3) circle, (blue sky:0.8)')).toBe('a red circle, blue sky');
    expect(wordWeights('a (red:1.3) circle')).toEqual({ red: 1.3 });
  });

  it('rewrites one word’s weight: wrap, change, unwrap at 1', () => {
    let p = setWordWeight('a red circle', 1, 1.25);
    expect(p).toBe('a (red:1.25) circle');
    p = setWordWeight(p, 1, 0.5);
    expect(p).toBe('a (red:0.5) circle');
    expect(setWordWeight(p, 1, 1)).toBe('a red circle');
    expect(setWordWeight('(blue sky:0.8) x', 0, 1.2)).toBe('(blue sky:1.2) x');
    expect(setWordWeight('a b', 9, 2)).toBe('a b');
  });
});
