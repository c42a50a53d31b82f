import { describe, expect, it } from 'vitest';
import { StylizeRequestSchema } from '../../../engine/api/schemas.ts';
import { DEFAULT_IMAGE_PROMPT, describeImagePrompts, effectiveAdapter, imagePromptFields, imagePromptsOfRecipe, suggestedScale, type ReferenceImage } from '../../../renderer/src/editor/imagePrompt.ts';
import { DEFAULT_PROMPT, DEFAULT_RUN, buildJobRequest } from '../../../renderer/src/editor/recipe.ts';
import { missingImagesNote, mimeOfBase64, resolveRecipeImage } from '../../../renderer/src/editor/recipeImages.ts';
import { DEFAULT_STYLE, buildStylizeRequest, describeStylize, styleSettingsFromRecipe } from '../../../renderer/src/editor/stylize.ts';

const ADAPTER = '/m/ip-adapter_toy.safetensors';
const ref = (base64: string, scale: number): ReferenceImage => ({ key: base64, input: { base64 }, url: `blob:${base64}`, name: `${base64}.png`, scale });
const run = { ...DEFAULT_RUN, model: '/m/toy.safetensors' };

describe('image prompt requests', () => {
  it('adds nothing at all without reference images', () => {
    expect(imagePromptFields(DEFAULT_IMAGE_PROMPT, [ADAPTER])).toEqual({});
    const r = buildJobRequest('generate', run, DEFAULT_PROMPT, 1, { imagePrompt: imagePromptFields(DEFAULT_IMAGE_PROMPT, [ADAPTER]) });
    expect(r.request).not.toHaveProperty('imagePrompts');
    expect(r.request).not.toHaveProperty('ipAdapter');
  });

  it('sends every image with its own scale and the adapter; "all blocks" sends no blocks', () => {
    const settings = { ...DEFAULT_IMAGE_PROMPT, images: [ref('a', 1), ref('b', 0.35)] };
    expect(imagePromptFields(settings, [ADAPTER])).toEqual({
      imagePrompts: [{ image: { base64: 'a' }, scale: 1 }, { image: { base64: 'b' }, scale: 0.35 }],
      ipAdapter: { path: ADAPTER },
    });
  });

  it('InstantStyle presets become `blocks`; per-block scales from a recipe win until a preset is chosen', () => {
    const images = [ref('a', 1)];
    for (const preset of ['style', 'layout', 'style+layout'] as const) {
      expect(imagePromptFields({ ...DEFAULT_IMAGE_PROMPT, preset, images }, [ADAPTER]).ipAdapter).toEqual({ path: ADAPTER, blocks: preset });
    }
    const custom = { 'up_blocks.1': 0.8 };
    expect(imagePromptFields({ ...DEFAULT_IMAGE_PROMPT, preset: 'style', customBlocks: custom, images }, [ADAPTER]).ipAdapter?.blocks).toEqual(custom);
  });

  it('generate, inpaint and edit all carry the image prompts (the engine refuses them for edit itself)', () => {
    const imagePrompt = imagePromptFields({ ...DEFAULT_IMAGE_PROMPT, images: [ref('a', 0.5)] }, [ADAPTER]);
    const inputs = { image: { imageId: 'src' }, mask: { base64: 'm' }, imagePrompt };
    for (const kind of ['generate', 'inpaint', 'edit'] as const) {
      expect(buildJobRequest(kind, run, DEFAULT_PROMPT, 1, inputs).request).toMatchObject({ imagePrompts: [{ image: { base64: 'a' }, scale: 0.5 }], ipAdapter: { path: ADAPTER } });
    }
  });

  it('uses the chosen adapter while it is listed, else the first listed, and says when there is none', () => {
    expect(effectiveAdapter('/m/b', ['/m/a', '/m/b'])).toBe('/m/b');
    expect(effectiveAdapter('/gone', ['/m/a'])).toBe('/m/a');
    expect(effectiveAdapter(null, [])).toBeNull();
    expect(() => imagePromptFields({ ...DEFAULT_IMAGE_PROMPT, images: [ref('a', 1)] }, [])).toThrow(/IP-Adapter/);
  });

  it('suggests scale 1 for an image alone and 0.5 beside text', () => {
    expect(suggestedScale('')).toBe(1);
    expect(suggestedScale('  ')).toBe(1);
    expect(suggestedScale('a red circle')).toBe(0.5);
  });

  it('reads image prompts back from a recipe and describes them for the history', () => {
    const request = { prompt: 'x', imagePrompts: [{ image: { base64: 'a' }, scale: 1 }, { image: { imageId: 'r1' }, scale: 0.5 }], ipAdapter: { path: ADAPTER, blocks: 'style' } };
    expect(imagePromptsOfRecipe(request)).toEqual({ adapter: ADAPTER, preset: 'style', customBlocks: null, images: [{ image: { base64: 'a' }, scale: 1 }, { image: { imageId: 'r1' }, scale: 0.5 }] });
    expect(imagePromptsOfRecipe({ prompt: 'x' })).toBeNull();
    expect(imagePromptsOfRecipe({ imagePrompts: [{ image: { base64: 'a' }, scale: 1 }], ipAdapter: { path: ADAPTER, blocks: { mid_block: 2 } } })?.customBlocks).toEqual({ mid_block: 2 });
    expect(describeImagePrompts(request)).toBe('image prompt ×2 (scale 1, 0.5), style only');
    expect(describeImagePrompts({ prompt: 'x' })).toBeNull();
  });
});

describe('recipe images', () => {
  it('brings back bytes and results of this session, and names what it cannot', () => {
    const known = (id: string) => (id === 'r1' ? '/api/images/r1.png' : null);
    expect(resolveRecipeImage({ base64: '/9j/abc' }, known)).toMatchObject({ ok: true, input: { base64: '/9j/abc' }, url: 'data:image/jpeg;base64,/9j/abc' });
    expect(resolveRecipeImage({ imageId: 'r1' }, known)).toMatchObject({ ok: true, input: { imageId: 'r1' }, url: '/api/images/r1.png' });
    expect(resolveRecipeImage({ imageId: 'gone1234567' }, known)).toEqual({ ok: false, reason: expect.stringMatching(/gone1234.*not in this session/) });
    expect(resolveRecipeImage({ path: '/photos/cat.png' }, known)).toEqual({ ok: false, reason: expect.stringMatching(/cat\.png/) });
    expect(resolveRecipeImage(undefined, known).ok).toBe(false);
    expect(mimeOfBase64('iVBORw0')).toBe('image/png');
    expect(mimeOfBase64('UklGRh')).toBe('image/webp');
    expect(missingImagesNote('reference', [])).toBeNull();
    expect(missingImagesNote('reference', ['a', 'b'])).toMatch(/^2 reference images .* not available \(a; b\): add them again/);
  });
});

describe('stylize requests', () => {
  it('defaults are the schema’s', () => {
    const parsed = StylizeRequestSchema.parse({ model: 'm', content: { imageId: 'c' }, style: { imageId: 's' } });
    expect(DEFAULT_STYLE).toMatchObject({ gamma: parsed.gamma, temperature: parsed.temperature, steps: parsed.steps });
  });

  it('restyles the source with the chosen image and settings; the mask only when painted', () => {
    const settings = { ...DEFAULT_STYLE, style: ref('style', 1), gamma: 0.3, temperature: 2, steps: 12 };
    const plain = buildStylizeRequest('/m/toy', settings, { content: { imageId: 'src' }, maskFeather: 4 });
    expect(plain).toEqual({ model: '/m/toy', content: { imageId: 'src' }, style: { base64: 'style' }, gamma: 0.3, temperature: 2, steps: 12 });
    expect(StylizeRequestSchema.safeParse(plain).success).toBe(true);
    const masked = buildStylizeRequest('/m/toy', settings, { content: { base64: 'src' }, mask: { base64: 'm' }, maskFeather: 4 });
    expect(masked).toMatchObject({ mask: { base64: 'm' }, maskFeather: 4 });
    expect(describeStylize(masked)).toBe('StyleID γ 0.3, T 2, masked');
  });

  it('says what is missing in plain words', () => {
    const settings = { ...DEFAULT_STYLE, style: ref('s', 1) };
    expect(() => buildStylizeRequest(null, settings, { content: { imageId: 'c' } })).toThrow(/Choose a model/);
    expect(() => buildStylizeRequest('m', settings, {})).toThrow(/Open the image/);
    expect(() => buildStylizeRequest('m', DEFAULT_STYLE, { content: { imageId: 'c' } })).toThrow(/style image/);
  });

  it('reads γ, T and steps back from a recipe', () => {
    expect(styleSettingsFromRecipe({ gamma: 0.5, temperature: 1.2, steps: 30, model: 'm' })).toEqual({ gamma: 0.5, temperature: 1.2, steps: 30 });
  });
});
