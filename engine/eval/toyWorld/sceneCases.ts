import { mulberry32 } from '../../random/mulberry32.ts';
import { deltaE, paletteLab } from './colour.ts';
import { TOY_COLOUR_NAMES, TOY_RESOLUTION, TOY_SHAPES, type ToyColour } from './palette.ts';
import type { SceneShape } from './scene.ts';

/** A drawn single-object scene and the noise seed its case is generated with. */
export interface SceneCase {
  background: ToyColour;
  object: SceneShape;
  seed: number;
}

/**
 * Seeded single-object scenes for the suites that start from a picture (image prompts,
 * style transfer). Medium and large shapes only (r 10–17 px), placed wholly inside the
 * frame: a small shape is one or two latent cells and its colour blurs even through the VAE.
 */
export function singleObjectScenes(count: number, setSeed: number, seed0 = 2_000_000): SceneCase[] {
  const rand = mulberry32(setSeed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const out: SceneCase[] = [];
  for (let i = 0; i < count; i++) {
    const background = pick(TOY_COLOUR_NAMES);
    let colour = pick(TOY_COLOUR_NAMES);
    while (colour === background) colour = pick(TOY_COLOUR_NAMES);
    const r = 10 + 7 * rand();
    const margin = r * 1.2 + 1;
    const at = () => margin + rand() * (TOY_RESOLUTION - 2 * margin);
    out.push({ background, object: { shape: pick(TOY_SHAPES), colour, r, cx: at(), cy: at() }, seed: seed0 + i });
  }
  return out;
}

/**
 * A background for the style image that is far from `from` (ΔE76 ≥ 40), so a shift toward
 * it is measurable; chosen by the case's index so the set is fixed.
 */
export function distantBackground(from: ToyColour, index: number): ToyColour {
  const far = TOY_COLOUR_NAMES.filter((c) => deltaE(paletteLab(c), paletteLab(from)) >= 40);
  return far[index % far.length];
}
