import { describe, expect, it } from 'vitest';
import { StudioError } from '../../engine/api/errors.ts';
import { evaluateToyModel, formatReport, TOY_MASK_MARGIN } from '../../engine/eval/toyWorld/evaluate.ts';
import { decodePng } from '../../engine/eval/toyWorld/studioRunner.ts';
import { analyseScene } from '../../engine/eval/toyWorld/analyse.ts';
import { dilate } from '../../engine/eval/toyWorld/regionMetrics.ts';
import { singleObjectPrompts, withColour } from '../../engine/eval/toyWorld/prompts.ts';
import type { JobRunner } from '../../engine/eval/toyWorld/suites.ts';
import { TOY_COLOUR_NAMES, TOY_SHAPES, type ToyColour, type ToyShape } from '../../engine/eval/toyWorld/palette.ts';
import { drawScene } from './drawScene.ts';

/** Reads a caption back into a scene, as a perfect model would draw it. */
function drawCaption(prompt: string, cx = 32, paint?: ToyColour) {
  const words = prompt.split(' ');
  const colour = paint ?? (words.find((w) => TOY_COLOUR_NAMES.includes(w as ToyColour)) as ToyColour);
  const shape = words.find((w) => TOY_SHAPES.includes(w as ToyShape)) as ToyShape;
  const background = words[words.length - 2] as ToyColour;
  return drawScene(background, [{ shape, colour, cx, cy: 32, r: 12 }], 4);
}

const settings = { model: 'fake', steps: 10, cfg: 7.5, sampler: 'ddim' as const };
const counts = { fidelity: 12, 'p2p-swap': 4, inpaint: 3, tome: 3 };

describe('toy-world evaluation suites', () => {
  it('prompt sets are fixed, never prompt a colour on itself, and swap one colour word', () => {
    const a = singleObjectPrompts(50);
    expect(singleObjectPrompts(50)).toEqual(a);
    for (const p of a) {
      expect(p.colour).not.toBe(p.background);
      expect(p.prompt).toMatch(new RegExp(`^an? .*${p.colour} ${p.shape} on an? ${p.background} background$`));
    }
    const p = { ...a[0], prompt: 'a red circle on a blue background', colour: 'red' as const };
    expect(withColour(p, 'orange')).toBe('an orange circle on a blue background');
  });

  it('a model that draws exactly what it is told scores 100 % everywhere', async () => {
    const runner: JobRunner = {
      async run(op, req) {
        if (op === 'jobs.generate') return [drawCaption(req.prompt as string)];
        if (op === 'jobs.edit') return [drawCaption(req.sourcePrompt as string), drawCaption(req.targetPrompt as string)];
        if (op === 'jobs.inpaint') return [drawCaption(req.prompt as string)];
        throw new Error(op);
      },
    };
    const report = await evaluateToyModel(runner, { ...settings, suites: ['fidelity', 'p2p-swap', 'inpaint', 'tome'], counts });
    const byName = Object.fromEntries(report.suites.map((s) => [s.suite, s]));
    expect(byName.fidelity.metrics).toEqual({ objectColour: 1, background: 1, objectCount: 1, shape: 1 });
    expect(byName['p2p-swap'].metrics.success).toBe(1);
    expect(byName['p2p-swap'].metrics.meanIou).toBe(1);
    // The fake inpaints by redrawing the whole scene, so outside the mask only texture noise may differ.
    expect(byName.inpaint.metrics.insideColour).toBe(1);
    expect(byName.tome.metrics.sameScene).toBe(1);
    expect(formatReport(report)).toMatch(/fidelity\s+objectColour\s+100\.0 %/);
  });

  it('a model that paints everything red, or moves the object when editing, is caught', async () => {
    const prompts = singleObjectPrompts(counts.fidelity);
    const runner: JobRunner = {
      async run(op, req) {
        if (op === 'jobs.edit') return [drawCaption(req.targetPrompt as string, 20)];
        // The fidelity prompts come out red; the edit suite's sources (another prompt set) are right.
        const fidelityCase = prompts.some((p) => p.prompt === req.prompt && p.seed === req.seed);
        return [drawCaption(req.prompt as string, 32, fidelityCase ? 'red' : undefined)];
      },
    };
    const report = await evaluateToyModel(runner, { ...settings, suites: ['fidelity', 'p2p-swap'], counts });
    const redShare = prompts.filter((p) => p.colour === 'red').length / prompts.length;
    expect(report.suites[0].metrics.objectColour).toBeCloseTo(redShare, 5);
    expect(report.suites[1].metrics.success).toBe(0);
    expect(report.suites[1].metrics.meanIou).toBeLessThan(0.7);
  });

  it('the painted-mask swap paints the source object grown by the margin, and only that suite paints', async () => {
    const painted: number[] = [];
    const runner: JobRunner = {
      async run(op, req) {
        if (op === 'jobs.generate') return [drawCaption(req.prompt as string)];
        if (op !== 'jobs.edit') throw new Error(op);
        if (req.mask) {
          const mask = await decodePng(Buffer.from((req.mask as { base64: string }).base64, 'base64'));
          const white = Array.from({ length: 64 * 64 }, (_, p): number => (mask.data[3 * p] === 255 ? 1 : 0));
          const object = analyseScene(drawCaption(req.sourcePrompt as string)).objects[0].mask;
          expect(white).toEqual(Array.from(dilate(object, 64, 64, TOY_MASK_MARGIN)));
          painted.push(white.reduce((a, b) => a + b, 0) - object.reduce((a, b) => a + b, 0));
        }
        return [drawCaption(req.targetPrompt as string)];
      },
    };
    const report = await evaluateToyModel(runner, { ...settings, suites: ['p2p-swap', 'p2p-swap-mask'], counts: { 'p2p-swap': 2, 'p2p-swap-mask': 3 } });
    expect(painted).toHaveLength(3);
    for (const margin of painted) expect(margin).toBeGreaterThan(0);
    expect(report.suites.map((r) => [r.suite, r.metrics.success])).toEqual([['p2p-swap', 1], ['p2p-swap-mask', 1]]);
  });

  it('a suite the engine refuses is reported as unavailable with the reason', async () => {
    const runner: JobRunner = {
      async run(op, req) {
        if (op === 'jobs.generate' && req.tokenMerging) throw new StudioError('INVALID_REQUEST', 'no token merging');
        return [drawCaption(req.prompt as string)];
      },
    };
    const report = await evaluateToyModel(runner, { ...settings, suites: ['tome'], counts });
    expect(report.suites[0].unavailable).toBe('no token merging');
  });
});
