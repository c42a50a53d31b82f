/**
 * The prompt syntax — `(word:1.3)` weights, brackets, A1111 and LoRA-style tags, any Unicode —
 * through weight parsing, the CLIP tokenizer and the prompt-to-prompt plan. Each prompt gives a
 * result or a typed error, quickly.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planEdit } from '../../engine/controllers/p2p/plan.ts';
import { parsePromptWeights } from '../../engine/controllers/p2p/promptWeights.ts';
import { BYTE_TO_UNICODE } from '../../engine/tokenizer/byte-unicode.ts';
import { CLIPTokenizer } from '../../engine/tokenizer/index.ts';
import { hasShared, sharedPath } from '../support/shared.ts';
import { fuzzRuns, Tally } from './tally.ts';

let tokenizer: CLIPTokenizer;
beforeAll(async () => {
  if (hasShared('clip-tokenizer')) {
    tokenizer = await CLIPTokenizer.fromFiles(sharedPath('clip-tokenizer', 'vocab.json'), sharedPath('clip-tokenizer', 'merges.txt'));
  } else {
    // Byte symbols only: every text still tokenizes, one token per byte.
    const tokens = [...BYTE_TO_UNICODE, ...BYTE_TO_UNICODE.map((s) => `${s}</w>`), '<|startoftext|>', '<|endoftext|>'];
    tokenizer = new CLIPTokenizer(Object.fromEntries(tokens.map((t, i) => [t, i])), []);
  }
});

const piece = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('a', 'red', 'cat', 'photo', 'of', ',', '.', ' ', '  ', '\n', 'café', '富士山', '🐱', 'Σ', 'İ') },
  { weight: 3, arbitrary: fc.constantFrom('(', ')', '[', ']', '{', '}', ':', '<', '>', '|', '\\', '"', "'s", '<|endoftext|>', '<|startoftext|>') },
  { weight: 2, arbitrary: fc.oneof(fc.double({ noNaN: false }), fc.integer({ min: -1e6, max: 1e6 })).map(String) },
  { weight: 2, arbitrary: fc.tuple(fc.string({ maxLength: 12 }), fc.oneof(fc.double(), fc.constantFrom('1.3', '-0.5', '1e309', '.5', '+2', '10.0001', ''))).map(([w, v]) => `(${w}:${v})`) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 20 }), fc.double()).map(([n, v]) => `<lora:${n}:${v}>`) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 10 }) },
);
const prompt = fc.array(piece, { maxLength: 40 }).map((p) => p.join(''));

const tallies = { weights: new Tally('prompt weights'), tokens: new Tally('tokenizer'), plan: new Tally('prompt-to-prompt plan') };
afterAll(() => Object.values(tallies).forEach((t) => t.print()));

function typed(tally: Tally, fn: () => void): void {
  try {
    fn();
    tally.ok();
  } catch (e) {
    tally.refused(e);
  }
}

describe('fuzz: prompt syntax', () => {
  it('weight parsing strips valid weights and refuses the rest with INVALID_REQUEST', () => {
    fc.assert(
      fc.property(prompt, (p) => {
        typed(tallies.weights, () => {
          const r = parsePromptWeights(p);
          for (const w of r.weights) expect(Math.abs(w.weight)).toBeLessThanOrEqual(10);
          expect(r.text).toBe(r.text.trim());
        });
      }),
      fuzzRuns(800),
    );
    expect([...tallies.weights.typed.keys()].every((c) => c === 'INVALID_REQUEST')).toBe(true);
  });

  it('the tokenizer gives whole windows for any text', () => {
    fc.assert(
      fc.property(prompt, (p) => {
        typed(tallies.tokens, () => {
          const c = tokenizer.encodeChunks(p);
          expect(c.chunks.length).toBeGreaterThan(0);
          for (const chunk of c.chunks) expect(chunk.ids.length).toBe(tokenizer.maxLength);
          const e = tokenizer.encode(p);
          expect(e.ids.length).toBe(tokenizer.maxLength);
        });
      }),
      fuzzRuns(800),
    );
    expect(tallies.tokens.typed.size).toBe(0);
  });

  it('a prompt-to-prompt plan is built or refused with a typed error for any pair of prompts', () => {
    fc.assert(
      fc.property(prompt, prompt, fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }), fc.constantFrom('auto' as const, 'replace' as const, 'refine' as const), (source, target, blend, mode) => {
        typed(tallies.plan, () => {
          const plan = planEdit(tokenizer, {
            source, target, mode, steps: 10, crossReplaceSteps: 0.8, selfReplaceSteps: 0.4,
            wordWeights: blend.map((word) => ({ word, weight: 2 })), localBlendWords: blend,
          });
          expect(plan.alpha.length).toBe(11);
          expect([...plan.weights].every(Number.isFinite)).toBe(true);
        });
      }),
      fuzzRuns(500),
    );
  });
});
