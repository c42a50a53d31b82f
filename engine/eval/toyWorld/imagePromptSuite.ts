import { analyseScene, type RgbImage } from './analyse.ts';
import { renderScene } from './scene.ts';
import { singleObjectScenes } from './sceneCases.ts';
import { encodePng } from './studioRunner.ts';
import { type EvalSettings, type JobRunner, type SuiteResult, rate, unavailable } from './suites.ts';

/**
 * Image prompts (IP-Adapter) with an empty text prompt, scale 1 (the reference README's
 * setting for image-only prompts): a drawn toy scene of an object in colour X on background B
 * is the only prompt; does the generated image show an object in colour X (on B)? The same
 * seeds without the image prompt give the chance rate the adapter must beat.
 */
export async function imagePromptSuite(runner: JobRunner, s: EvalSettings, count: number, adapterPath: string, suite = 'image-prompt'): Promise<SuiteResult> {
  const rows: { colour: boolean; background: boolean; count: boolean; baseline: boolean; readable: boolean }[] = [];
  const failures: SuiteResult['failures'] = [];
  for (const [i, c] of singleObjectScenes(count, 17).entries()) {
    const reference = renderScene(c.background, [c.object]);
    const request = { model: s.model, steps: s.steps, cfg: s.cfg, sampler: s.sampler, seed: c.seed, prompt: '' };
    let out: RgbImage;
    try {
      [out] = await runner.run('jobs.generate', {
        ...request,
        imagePrompts: [{ image: { base64: (await encodePng(reference)).toString('base64') }, scale: 1 }],
        ipAdapter: { path: adapterPath },
      });
    } catch (e) {
      return unavailable(suite, e);
    }
    const [plain] = await runner.run('jobs.generate', request);
    const scene = analyseScene(out);
    const obj = scene.objects[0];
    const row = {
      colour: obj?.colour === c.object.colour,
      background: scene.background === c.background,
      count: scene.objects.length === 1,
      baseline: analyseScene(plain).objects[0]?.colour === c.object.colour,
      // The analyser must read the reference itself right, or the case measures nothing.
      readable: analyseScene(reference).objects[0]?.colour === c.object.colour,
    };
    rows.push(row);
    if (!row.colour || !row.background) {
      failures.push({ reference: `${c.object.colour} ${c.object.shape} on ${c.background}`, seed: c.seed, saw: { background: scene.background, objects: scene.objects.map((o) => `${o.colour} ${o.shape}`) } });
    }
    s.onCase?.(suite, i + 1, count);
  }
  return {
    suite,
    cases: rows.length,
    metrics: {
      objectColour: rate(rows.map((r) => r.colour)),
      background: rate(rows.map((r) => r.background)),
      objectCount: rate(rows.map((r) => r.count)),
      objectColourWithoutImage: rate(rows.map((r) => r.baseline)),
      referenceRead: rate(rows.map((r) => r.readable)),
    },
    failures,
  };
}
