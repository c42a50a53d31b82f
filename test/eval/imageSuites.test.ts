import { describe, expect, it } from 'vitest';
import { StudioError } from '../../engine/api/errors.ts';
import { analyseScene, type RgbImage } from '../../engine/eval/toyWorld/analyse.ts';
import { evaluateToyModel, formatReport } from '../../engine/eval/toyWorld/evaluate.ts';
import { TOY_COLOURS, type ToyColour } from '../../engine/eval/toyWorld/palette.ts';
import { renderScene } from '../../engine/eval/toyWorld/scene.ts';
import { distantBackground, singleObjectScenes } from '../../engine/eval/toyWorld/sceneCases.ts';
import { meanLab, shiftToward } from '../../engine/eval/toyWorld/styleSuite.ts';
import { decodePng } from '../../engine/eval/toyWorld/studioRunner.ts';
import type { JobRunner } from '../../engine/eval/toyWorld/suites.ts';

const settings = { model: '/models/toy/toy.safetensors', steps: 10, cfg: 7.5, sampler: 'ddim' as const };
const counts = { 'image-prompt': 6, style: 5 };
const decode = (input: unknown) => decodePng(Buffer.from((input as { base64: string }).base64, 'base64'));

/** Paints every pixel of `from`'s background in `to`, leaving the objects. */
function repaintBackground(img: RgbImage, to: ToyColour): RgbImage {
  const scene = analyseScene(img);
  const data = Uint8Array.from(img.data);
  for (let p = 0; p < scene.foreground.length; p++) if (!scene.foreground[p]) data.set(TOY_COLOURS[to], 3 * p);
  return { ...img, data };
}

describe('toy-world scenes drawn by the evaluator', () => {
  it('read back as drawn: colour, background and shape of every case', () => {
    for (const c of singleObjectScenes(24, 5)) {
      const scene = analyseScene(renderScene(c.background, [c.object]));
      expect(scene.background).toBe(c.background);
      expect(scene.objects).toHaveLength(1);
      expect(scene.objects[0].colour).toBe(c.object.colour);
      expect(scene.objects[0].shape).toBe(c.object.shape);
    }
  });

  it('style backgrounds are far from the content background; shifts are fractions of the Lab distance', () => {
    for (const [i, c] of singleObjectScenes(12, 5).entries()) expect(distantBackground(c.background, i)).not.toBe(c.background);
    const a = meanLab(renderScene('white', []));
    const b = meanLab(renderScene('black', []));
    expect(shiftToward(a, b, a)).toBe(0);
    expect(shiftToward(a, b, b)).toBeCloseTo(1, 10);
    expect(shiftToward(a, b, [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2])).toBeCloseTo(0.5, 10);
  });
});

describe('image-prompt and style suites', () => {
  it('an adapter that copies the reference scores 100 %; without the image the model draws red', async () => {
    const seen: Record<string, unknown>[] = [];
    const runner: JobRunner = {
      async run(op, req) {
        seen.push(req);
        if (op === 'jobs.generate') {
          const prompts = req.imagePrompts as { image: unknown }[] | undefined;
          return [prompts ? await decode(prompts[0].image) : renderScene('white', [{ shape: 'circle', colour: 'red', cx: 32, cy: 32, r: 12 }])];
        }
        if (op === 'jobs.stylize') {
          const style = analyseScene(await decode(req.style));
          return [repaintBackground(await decode(req.content), style.background)];
        }
        throw new Error(op);
      },
    };
    const report = await evaluateToyModel(runner, { ...settings, suites: ['image-prompt', 'style'], counts });
    const [ip, style] = report.suites;
    expect(ip.metrics).toMatchObject({ objectColour: 1, background: 1, objectCount: 1, referenceRead: 1 });
    expect(ip.metrics.objectColourWithoutImage).toBeLessThan(0.5);
    // Image-only prompting: empty text, scale 1, the adapter beside the model by default.
    expect(seen[0]).toMatchObject({ prompt: '', imagePrompts: [{ scale: 1 }], ipAdapter: { path: '/models/toy/ip-adapter_toy.safetensors' } });
    expect(style.metrics.backgroundTakesStyle).toBe(1);
    expect(style.metrics.meanObjectIou).toBe(1);
    expect(style.metrics.colourShift).toBeGreaterThan(0.5);
    expect(formatReport(report)).toMatch(/image-prompt\s+objectColour\s+100\.0 %/);
  });

  it('an adapter that ignores the image, or a stylisation that returns the content, is caught', async () => {
    const runner: JobRunner = {
      async run(op, req) {
        if (op === 'jobs.generate') return [renderScene('gray', [{ shape: 'square', colour: 'green', cx: 32, cy: 32, r: 12 }])];
        return [await decode(req.content)];
      },
    };
    const cases = singleObjectScenes(counts['image-prompt'], 17);
    const report = await evaluateToyModel(runner, { ...settings, suites: ['image-prompt', 'style'], counts });
    const [ip, style] = report.suites;
    expect(ip.metrics.objectColour).toBeCloseTo(cases.filter((c) => c.object.colour === 'green').length / cases.length, 10);
    expect(ip.failures.length).toBeGreaterThan(0);
    expect(style.metrics.colourShift).toBe(0);
    expect(style.metrics.backgroundTakesStyle).toBe(0);
  });

  it('a missing adapter makes the suite unavailable with the engine\'s reason', async () => {
    const runner: JobRunner = {
      async run(_op, req) {
        if (req.imagePrompts) throw new StudioError('NOT_FOUND', 'no such adapter');
        return [renderScene('gray', [])];
      },
    };
    const report = await evaluateToyModel(runner, { ...settings, suites: ['image-prompt'], counts, ipAdapter: '/nowhere.safetensors' });
    expect(report.suites[0]).toMatchObject({ suite: 'image-prompt', unavailable: 'no such adapter' });
  });
});
