/**
 * A prompt as words with emphasis. Recognises the A1111 weight syntax `(text:1.3)`: every
 * word inside the parentheses carries that weight. Positions point into the original text so
 * the editor can highlight the syntax and rewrite one word's weight in place.
 */
export interface PromptWord {
  /** The word as written (no weight syntax). */
  text: string;
  /** Lower-cased text used for comparison. */
  key: string;
  weight: number;
  /** Range of the word itself in the prompt. */
  start: number;
  end: number;
  /** Range of the enclosing `( … :w)` group when the word is weighted. */
  group?: { start: number; end: number; words: number };
}

const GROUP = /\(([^()]*?):\s*(-?\d+(?:\.\d+)?)\s*\)/g;
const WORD = /[^\s,.;:!?()]+/g;

export function parsePrompt(prompt: string): PromptWord[] {
  const groups: { start: number; end: number; innerStart: number; innerEnd: number; weight: number }[] = [];
  for (const m of prompt.matchAll(GROUP)) {
    const start = m.index;
    groups.push({ start, end: start + m[0].length, innerStart: start + 1, innerEnd: start + 1 + m[1].length, weight: Number(m[2]) });
  }
  const words: PromptWord[] = [];
  for (const m of prompt.matchAll(WORD)) {
    const start = m.index;
    const end = start + m[0].length;
    const g = groups.find((gr) => start >= gr.start && end <= gr.end);
    // The weight number itself sits inside the group but after the colon: not a word.
    if (g && start >= g.innerEnd) continue;
    const text = m[0].replace(/:$/, '');
    if (!text) continue;
    words.push({ text, key: text.toLowerCase(), weight: g ? g.weight : 1, start, end: start + text.length, ...(g ? { group: { start: g.start, end: g.end, words: 0 } } : {}) });
  }
  for (const w of words) if (w.group) w.group.words = words.filter((o) => o.group?.start === w.group!.start).length;
  return words;
}

/** The prompt without weight syntax, as the engine's text encoder should see it. */
export function plainPrompt(prompt: string): string {
  return prompt.replace(GROUP, (_m, inner: string) => inner).replace(/\s+/g, ' ').trim();
}

const formatWeight = (w: number): string => String(Math.round(w * 100) / 100);

/**
 * Rewrites the prompt so word `index` has `weight`. A word alone in its group gets the
 * group's number changed (or the group removed at 1); a word in a larger group changes the
 * whole group, since the syntax cannot split it; an unweighted word is wrapped.
 */
export function setWordWeight(prompt: string, index: number, weight: number): string {
  const word = parsePrompt(prompt)[index];
  if (!word) return prompt;
  const neutral = Math.abs(weight - 1) < 1e-6;
  if (word.group) {
    const inner = prompt.slice(word.group.start + 1, word.group.end - 1).replace(/:\s*-?\d+(?:\.\d+)?\s*$/, '');
    const replacement = neutral ? inner : `(${inner}:${formatWeight(weight)})`;
    return prompt.slice(0, word.group.start) + replacement + prompt.slice(word.group.end);
  }
  if (neutral) return prompt;
  return `${prompt.slice(0, word.start)}(${word.text}:${formatWeight(weight)})${prompt.slice(word.end)}`;
}

/** Word → weight for every word whose weight is not 1 (what jobs.edit takes as wordWeights). */
export function wordWeights(prompt: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const w of parsePrompt(prompt)) if (w.weight !== 1) out[w.text] = w.weight;
  return out;
}
