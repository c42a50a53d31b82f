import { describe, expect, it } from 'vitest';
import { describeDiff, diffWords, isPureSwap } from '../../../renderer/src/editor/promptDiff.ts';
import { parsePrompt } from '../../../renderer/src/editor/promptWords.ts';

const diff = (a: string, b: string) => diffWords(parsePrompt(a), parsePrompt(b));
const kinds = (a: string, b: string) => diff(a, b).map((s) => s.kind);

describe('prompt diff', () => {
  it('finds a word swap', () => {
    const d = diff('a red circle on blue', 'a green circle on blue');
    expect(d.map((s) => s.kind)).toEqual(['same', 'swap', 'same', 'same', 'same']);
    expect(describeDiff(d)).toBe('swap red → green');
    expect(isPureSwap(d)).toBe(true);
  });

  it('finds additions and removals', () => {
    expect(kinds('a circle', 'a big circle')).toEqual(['same', 'add', 'same']);
    expect(kinds('a big circle', 'a circle')).toEqual(['same', 'remove', 'same']);
    expect(describeDiff(diff('a circle', 'a circle at night'))).toBe('add at night');
    expect(isPureSwap(diff('a circle', 'a big circle'))).toBe(false);
  });

  it('ignores case and weight syntax when comparing words', () => {
    expect(kinds('A Red circle', 'a (red:1.4) circle')).toEqual(['same', 'same', 'same']);
    expect(describeDiff(diff('a b', 'a b'))).toBe('no change');
  });

  it('handles empty prompts', () => {
    expect(kinds('', 'cat')).toEqual(['add']);
    expect(kinds('cat', '')).toEqual(['remove']);
    expect(diff('', '')).toEqual([]);
  });
});
