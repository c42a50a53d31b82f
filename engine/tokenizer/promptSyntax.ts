/**
 * AUTOMATIC1111's prompt syntax (`modules/prompt_parser.py` `parse_prompt_attention`, and the
 * extra-networks tags of `modules/extra_networks.py`), restated:
 * - `(text)` multiplies the attention of text by 1.1, `[text]` divides it by 1.1, nesting multiplies;
 * - `(text:1.3)` sets the multiplier of text to 1.3 (times any enclosing brackets);
 * - `\(`, `\)`, `\[`, `\]`, `\\` are the literal characters;
 * - an unclosed bracket applies to the rest of the prompt; a stray closer is literal text;
 * - `BREAK` (upper case, a word of its own) ends the current 75-token chunk;
 * - `<lora:name:0.8>` (any `<kind:args>`) is an extra-network tag: taken out of the text.
 */

/** A run of text with one attention multiplier; `break` marks a BREAK. */
export type PromptPiece = { readonly text: string; readonly weight: number } | { readonly break: true };

const ATTENTION = /\\\(|\\\)|\\\[|\\]|\\\\|\\|\(|\[|:\s*([+-]?[.\d]+)\s*\)|\)|]|[^\\()[\]:]+|:/g;
const BREAK = /\s*\bBREAK\b\s*/;
const ROUND = 1.1;
const SQUARE = 1 / 1.1;

/** The prompt as text runs and their multipliers (adjacent runs of equal weight merged). */
export function parsePromptAttention(prompt: string): PromptPiece[] {
  const res: Array<{ text: string; weight: number } | { break: true }> = [];
  const round: number[] = [];
  const square: number[] = [];
  const multiply = (start: number, by: number) => {
    for (let p = start; p < res.length; p++) {
      const r = res[p];
      if (!('break' in r)) r.weight *= by;
    }
  };
  for (const m of prompt.matchAll(ATTENTION)) {
    const text = m[0];
    const weight = m[1];
    if (text.startsWith('\\')) res.push({ text: text.slice(1), weight: 1 });
    else if (text === '(') round.push(res.length);
    else if (text === '[') square.push(res.length);
    else if (weight !== undefined && round.length && Number.isFinite(Number(weight))) multiply(round.pop()!, Number(weight));
    else if (text === ')' && round.length) multiply(round.pop()!, ROUND);
    else if (text === ']' && square.length) multiply(square.pop()!, SQUARE);
    else {
      text.split(BREAK).forEach((part, i) => {
        if (i > 0) res.push({ break: true });
        res.push({ text: part, weight: 1 });
      });
    }
  }
  for (const p of round) multiply(p, ROUND);
  for (const p of square) multiply(p, SQUARE);
  if (!res.length) return [{ text: '', weight: 1 }];
  const merged: PromptPiece[] = [];
  for (const r of res) {
    const last = merged[merged.length - 1];
    if (last && !('break' in last) && !('break' in r) && last.weight === r.weight) merged[merged.length - 1] = { text: last.text + r.text, weight: r.weight };
    else merged.push(r);
  }
  return merged;
}

/** One `<kind:name:args…>` tag of a prompt. */
export interface ExtraNetworkTag {
  readonly kind: string;
  readonly name: string;
  /** The first numeric argument (A1111's multiplier), 1 when absent. */
  readonly multiplier: number;
}

const EXTRA_NETWORK = /<(\w+):([^>]+)>/g;

/** Takes `<lora:name:0.8>`-style tags out of a prompt: the text the encoder sees and the tags. */
export function extractExtraNetworks(prompt: string): { text: string; tags: ExtraNetworkTag[] } {
  const tags: ExtraNetworkTag[] = [];
  const text = prompt.replace(EXTRA_NETWORK, (_m, kind: string, args: string) => {
    const [name, mult] = args.split(':');
    const multiplier = mult === undefined || mult.trim() === '' ? 1 : Number(mult);
    tags.push({ kind, name: name.trim(), multiplier: Number.isFinite(multiplier) ? multiplier : 1 });
    return '';
  });
  return { text, tags };
}

/** The LoRAs a prompt names, in order (`<lora:…>`, and LyCORIS' `<lyco:…>` as A1111 accepts it). */
export function loraTags(prompt: string): ExtraNetworkTag[] {
  return extractExtraNetworks(prompt).tags.filter((t) => t.kind === 'lora' || t.kind === 'lyco');
}
