import { toStudioError } from '../../api/errors.ts';
import { analyseScene, type RgbImage } from './analyse.ts';
import { encodePng, type StudioRunner } from './studioRunner.ts';

/** What the suites need of a runner: jobs in, pixels out. */
export type JobRunner = Pick<StudioRunner, 'run'>;
import { singleObjectPrompts, swapColour, withColour, type SingleObjectPrompt } from './prompts.ts';
import { dilate, invert, iou, psnrWhere } from './regionMetrics.ts';
import { psnr } from '../../image/metrics.ts';
import { median } from '../../bench/median.ts';

export interface EvalSettings {
  model: string;
  steps: number;
  cfg: number;
  sampler: 'ddim' | 'euler' | 'euler-a' | 'dpmpp-2m';
  /** Called after each case, for a progress line. */
  onCase?: (suite: string, done: number, total: number) => void;
}

export interface SuiteResult {
  suite: string;
  cases: number;
  /** Rates in [0, 1] and means, by metric name. */
  metrics: Record<string, number>;
  /** Set when the engine refused the suite's operation (e.g. a feature not built yet). */
  unavailable?: string;
  failures: Array<Record<string, unknown>>;
}

export const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
export const rate = (xs: boolean[]) => mean(xs.map(Number));

/** Infinite PSNR (identical pixels) would swamp a mean; cap it where 8-bit rounding makes no difference. */
const capDb = (db: number) => Math.min(db, 60);

function base(s: EvalSettings, p: SingleObjectPrompt) {
  return { model: s.model, steps: s.steps, cfg: s.cfg, sampler: s.sampler, seed: p.seed };
}

/** Prompt fidelity: does the image show what the caption says? */
export async function fidelitySuite(runner: JobRunner, s: EvalSettings, count: number): Promise<SuiteResult> {
  const rows: { colour: boolean; background: boolean; count: boolean; shape: boolean }[] = [];
  const failures: SuiteResult['failures'] = [];
  for (const [i, p] of singleObjectPrompts(count).entries()) {
    const [img] = await runner.run('jobs.generate', { ...base(s, p), prompt: p.prompt });
    const scene = analyseScene(img);
    const obj = scene.objects[0];
    const row = {
      colour: obj?.colour === p.colour,
      background: scene.background === p.background,
      count: scene.objects.length === 1,
      shape: obj?.shape === p.shape,
    };
    rows.push(row);
    if (!row.colour || !row.background) {
      failures.push({ prompt: p.prompt, seed: p.seed, saw: { background: scene.background, objects: scene.objects.map((o) => `${o.colour} ${o.shape}`) } });
    }
    s.onCase?.('fidelity', i + 1, count);
  }
  return {
    suite: 'fidelity',
    cases: rows.length,
    metrics: {
      objectColour: rate(rows.map((r) => r.colour)),
      background: rate(rows.map((r) => r.background)),
      objectCount: rate(rows.map((r) => r.count)),
      shape: rate(rows.map((r) => r.shape)),
    },
    failures,
  };
}

/**
 * Source images showing exactly one object, so an edit of it can be judged. Its colour need not
 * be the prompted one: the edit suites measure whether the edit changes what it should and
 * keeps the rest, which a model that misnames a colour can still show.
 */
async function usableSources(runner: JobRunner, s: EvalSettings, count: number) {
  const out: { p: SingleObjectPrompt; img: RgbImage; obj: ReturnType<typeof analyseScene>['objects'][number] }[] = [];
  for (const p of singleObjectPrompts(count * 6, 11)) {
    if (out.length === count) break;
    const [img] = await runner.run('jobs.generate', { ...base(s, p), prompt: p.prompt });
    const scene = analyseScene(img);
    if (scene.objects.length === 1) out.push({ p, img, obj: scene.objects[0] });
  }
  return out;
}

const NO_SOURCES = new Error('no generated source image showed exactly one object, so there is nothing to edit');

export function unavailable(suite: string, e: unknown): SuiteResult {
  return { suite, cases: 0, metrics: {}, unavailable: toStudioError(e).message, failures: [] };
}

/**
 * Where a swap may change the image: where the shape word attends (P2P's LocalBlend at a
 * threshold), or a painted mask — the source object's own mask grown by `radius` px, as a
 * user paints over the thing to recolour.
 */
export type SwapRegion = { kind: 'blend'; threshold: number } | { kind: 'mask'; radius: number };

/** A white-on-black mask image of a 0/1 region. */
export async function maskPng(region: Uint8Array, width: number, height: number): Promise<string> {
  const data = new Uint8Array(region.length * 3).map((_, k) => region[Math.floor(k / 3)] * 255);
  return (await encodePng({ data, width, height })).toString('base64');
}

/**
 * Prompt-to-prompt colour swaps: the object takes the new colour (success), keeps its place
 * and outline (IoU with the source's object) and the background stays (PSNR outside both objects).
 * Reported as `p2p-swap`, or `p2p-swap-blend` / `p2p-swap-mask` when confined to a region.
 */
export async function swapSuite(runner: JobRunner, s: EvalSettings, count: number, region?: SwapRegion): Promise<SuiteResult> {
  const suite = region ? `p2p-swap-${region.kind}` : 'p2p-swap';
  const sources = await usableSources(runner, s, count);
  if (!sources.length) return unavailable(suite, NO_SOURCES);
  const rows: { ok: boolean; recoloured: boolean; iou: number; shift: number; bgPsnr: number }[] = [];
  const failures: SuiteResult['failures'] = [];
  for (const [i, { p, img, obj }] of sources.entries()) {
    const target = swapColour(p, i);
    let edited: RgbImage;
    try {
      const confine = !region
        ? {}
        : region.kind === 'blend'
          ? { localBlendWords: [p.shape], localBlendThreshold: region.threshold }
          : { mask: { base64: await maskPng(dilate(obj.mask, img.width, img.height, region.radius), img.width, img.height) } };
      const images = await runner.run('jobs.edit', { ...base(s, p), sourcePrompt: p.prompt, targetPrompt: withColour(p, target), ...confine });
      edited = images[images.length - 1];
    } catch (e) {
      return unavailable(suite, e);
    }
    const scene = analyseScene(edited);
    const editedObj = scene.objects[0];
    const overlap = editedObj ? iou(obj.mask, editedObj.mask) : 0;
    const union = editedObj ? obj.mask.map((v, k) => v | editedObj.mask[k]) : obj.mask;
    const bgPsnr = capDb(psnrWhere(img, edited, invert(dilate(union, img.width, img.height, 1))));
    const recoloured = editedObj?.colour === target;
    const ok = recoloured && overlap >= 0.7 && bgPsnr >= 25;
    // How far the object's centre moved, in pixels (the frame's diagonal when it vanished).
    const shift = editedObj ? Math.hypot(editedObj.cx - obj.cx, editedObj.cy - obj.cy) : Math.hypot(img.width, img.height);
    rows.push({ ok, recoloured, iou: overlap, shift, bgPsnr });
    if (!ok) failures.push({ prompt: p.prompt, seed: p.seed, target, saw: editedObj ? `${editedObj.colour} ${editedObj.shape}` : 'nothing', iou: overlap, bgPsnr });
    s.onCase?.(suite, i + 1, sources.length);
  }
  return {
    suite,
    cases: rows.length,
    metrics: {
      success: rate(rows.map((r) => r.ok)),
      newColour: rate(rows.map((r) => r.recoloured)),
      meanIou: mean(rows.map((r) => r.iou)),
      medianCentreShiftPx: median(rows.map((r) => r.shift)),
      meanBackgroundPsnr: mean(rows.map((r) => r.bgPsnr)),
    },
    failures,
  };
}

/** Inpainting the object's box with another colour: outside the mask unchanged, inside the new colour. */
export async function inpaintSuite(runner: JobRunner, s: EvalSettings, count: number): Promise<SuiteResult> {
  const sources = await usableSources(runner, s, count);
  if (!sources.length) return unavailable('inpaint', NO_SOURCES);
  const rows: { outsideExact: boolean; colour: boolean }[] = [];
  const failures: SuiteResult['failures'] = [];
  for (const [i, { p, img, obj }] of sources.entries()) {
    const target = swapColour(p, i + 3);
    const W = img.width;
    const region = new Uint8Array(W * img.height);
    const { x0, y0, x1, y1 } = obj.bbox;
    for (let y = Math.max(0, y0 - 4); y <= Math.min(img.height - 1, y1 + 4); y++) for (let x = Math.max(0, x0 - 4); x <= Math.min(W - 1, x1 + 4); x++) region[y * W + x] = 1;
    let out: RgbImage;
    try {
      [out] = await runner.run('jobs.inpaint', {
        ...base(s, p), prompt: withColour(p, target),
        image: { base64: (await encodePng(img)).toString('base64') },
        mask: { base64: await maskPng(region, W, img.height) },
      });
    } catch (e) {
      return unavailable('inpaint', e);
    }
    let outsideExact = true;
    for (let k = 0; k < region.length && outsideExact; k++) {
      if (!region[k]) for (let c = 0; c < 3; c++) if (out.data[3 * k + c] !== img.data[3 * k + c]) outsideExact = false;
    }
    const inside = analyseScene(out).objects.find((o) => o.mask.some((v, k) => v && region[k]));
    const row = { outsideExact, colour: inside?.colour === target };
    rows.push(row);
    if (!row.outsideExact || !row.colour) failures.push({ prompt: p.prompt, seed: p.seed, target, saw: inside ? `${inside.colour} ${inside.shape}` : 'nothing', outsideExact });
    s.onCase?.('inpaint', i + 1, sources.length);
  }
  return {
    suite: 'inpaint',
    cases: rows.length,
    metrics: { outsideUnchanged: rate(rows.map((r) => r.outsideExact)), insideColour: rate(rows.map((r) => r.colour)) },
    failures,
  };
}

/** Token merging at ratio 0.5 against merging off, same seed: PSNR and whether the scene reads the same. */
export async function tomeSuite(runner: JobRunner, s: EvalSettings, count: number, ratio = 0.5): Promise<SuiteResult> {
  const rows: { db: number; same: boolean }[] = [];
  for (const [i, p] of singleObjectPrompts(count, 13).entries()) {
    const request = { ...base(s, p), prompt: p.prompt };
    const [plain] = await runner.run('jobs.generate', request);
    let merged: RgbImage;
    try {
      [merged] = await runner.run('jobs.generate', { ...request, tokenMerging: { ratio } });
    } catch (e) {
      return unavailable('tome', e);
    }
    const a = analyseScene(plain);
    const b = analyseScene(merged);
    rows.push({ db: capDb(psnr(plain.data, merged.data, 255)), same: a.background === b.background && a.objects[0]?.colour === b.objects[0]?.colour });
    s.onCase?.('tome', i + 1, count);
  }
  return {
    suite: 'tome',
    cases: rows.length,
    metrics: { ratio, meanPsnr: mean(rows.map((r) => r.db)), minPsnr: Math.min(...rows.map((r) => r.db)), sameScene: rate(rows.map((r) => r.same)) },
    failures: [],
  };
}
