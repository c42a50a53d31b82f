import { mulberry32 } from '../../random/mulberry32.ts';
import { TOY_COLOUR_NAMES, TOY_SHAPES, type ToyColour, type ToyShape } from './palette.ts';

export interface SingleObjectPrompt {
  prompt: string;
  colour: ToyColour;
  shape: ToyShape;
  background: ToyColour;
  /** Seed the prompt is generated with: the pair is the test case. */
  seed: number;
}

const SIZE_WORDS = ['small', '', 'large'] as const;

const article = (word: string) => (/^[aeiou]/.test(word) ? 'an' : 'a');

/** The caption grammar of toyworld.py for one object. */
export function singleObjectCaption(colour: ToyColour, shape: ToyShape, background: ToyColour, size: (typeof SIZE_WORDS)[number] = ''): string {
  const words = [size, colour, shape].filter(Boolean).join(' ');
  return `${article(words)} ${words} on ${article(background)} ${background} background`;
}

/**
 * A fixed set of single-object prompts, each with its own noise seed, so every case is a new
 * scene drawn by the model. The caption space is small (12 colours × 11 backgrounds × 4 shapes
 * × 3 sizes = 1,584 single-object captions), so many captions also occur in the training data:
 * what is held out is the image, not the words.
 */
export function singleObjectPrompts(count: number, setSeed = 7): SingleObjectPrompt[] {
  const rand = mulberry32(setSeed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const out: SingleObjectPrompt[] = [];
  for (let i = 0; i < count; i++) {
    const background = pick(TOY_COLOUR_NAMES);
    let colour = pick(TOY_COLOUR_NAMES);
    while (colour === background) colour = pick(TOY_COLOUR_NAMES);
    const shape = pick(TOY_SHAPES);
    out.push({ prompt: singleObjectCaption(colour, shape, background, pick(SIZE_WORDS)), colour, shape, background, seed: 1_000_000 + i });
  }
  return out;
}

/** Another colour for the object, never the background's nor its own. */
export function swapColour(p: SingleObjectPrompt, offset: number): ToyColour {
  const others = TOY_COLOUR_NAMES.filter((c) => c !== p.colour && c !== p.background);
  return others[(p.seed + offset) % others.length];
}

/** The prompt with its object's colour word replaced (the prompt-to-prompt word swap). */
export function withColour(p: SingleObjectPrompt, colour: ToyColour): string {
  const words = p.prompt.split(' ');
  const at = words.indexOf(p.colour);
  words[at] = colour;
  // "a orange" → "an orange": the article follows the first word after it.
  if (at === 1) words[0] = article(colour);
  return words.join(' ');
}
