import { StudioError } from '../../api/errors.ts';

/** A word (or words) given an attention weight, as written in the prompt or on the command line. */
export interface WordWeight {
  readonly word: string;
  readonly weight: number;
}

export interface WeightedPrompt {
  /** The prompt with the weight syntax removed: what the tokenizer sees. */
  readonly text: string;
  readonly weights: readonly WordWeight[];
}

/** `(words:1.4)`, A1111's explicit-weight form; bare `(word)` emphasis is left as text. */
const EXPLICIT = /\(([^():]+):\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*\)/g;
const LIMIT = 10;

/**
 * Reads inline weights out of a prompt. The weight belongs to every word inside the
 * parentheses, so `(red car:2)` reweights both tokens groups. Weights are the P2P equalizer
 * values: a multiplier on the word's attention, not renormalised, so 0 silences the word
 * and negative values push away from it.
 */
export function parsePromptWeights(prompt: string): WeightedPrompt {
  const weights: WordWeight[] = [];
  const text = prompt.replace(EXPLICIT, (_m, words: string, value: string) => {
    const weight = Number(value);
    if (!Number.isFinite(weight) || Math.abs(weight) > LIMIT) {
      throw new StudioError('INVALID_REQUEST', `Prompt weight ${value} for "${words.trim()}" is outside -${LIMIT}..${LIMIT}`);
    }
    weights.push({ word: words.trim(), weight });
    return words.trim();
  });
  return { text: text.replace(/\s+/g, ' ').trim(), weights };
}

/** `word=1.5` from the command line. */
export function parseWordWeight(spec: string): WordWeight {
  const at = spec.lastIndexOf('=');
  const word = at > 0 ? spec.slice(0, at).trim() : '';
  const weight = Number(at > 0 ? spec.slice(at + 1) : NaN);
  if (!word || !Number.isFinite(weight)) {
    throw new StudioError('INVALID_REQUEST', `Expected word=weight, got "${spec}"`);
  }
  return { word, weight };
}
