import { analyseScene, type RgbImage } from './analyse.ts';
import { type Lab, rgbToLab } from './colour.ts';
import { TOY_COLOUR_NAMES, TOY_RESOLUTION, TOY_SHAPES } from './palette.ts';
import { iou as maskIou } from './regionMetrics.ts';
import { renderScene } from './scene.ts';
import { distantBackground, singleObjectScenes } from './sceneCases.ts';
import { encodePng } from './studioRunner.ts';
import { type EvalSettings, type JobRunner, type SuiteResult, mean, rate, unavailable } from './suites.ts';

/** Mean CIELAB colour of every pixel: the image's overall colour, which a style transfer should move. */
export function meanLab(img: RgbImage): Lab {
  const sum: Lab = [0, 0, 0];
  const n = img.width * img.height;
  for (let p = 0; p < n; p++) {
    const lab = rgbToLab(img.data[3 * p], img.data[3 * p + 1], img.data[3 * p + 2]);
    for (let c = 0; c < 3; c++) sum[c] += lab[c];
  }
  return [sum[0] / n, sum[1] / n, sum[2] / n];
}

/**
 * How far `out` moved from `from` toward `to`, as a fraction of the distance: the projection
 * of (out − from) on (to − from) in Lab. 0 = unchanged, 1 = the target's mean colour.
 */
export function shiftToward(from: Lab, to: Lab, out: Lab): number {
  const d = [to[0] - from[0], to[1] - from[1], to[2] - from[2]];
  const len2 = d[0] ** 2 + d[1] ** 2 + d[2] ** 2;
  if (len2 === 0) return NaN;
  return ((out[0] - from[0]) * d[0] + (out[1] - from[1]) * d[1] + (out[2] - from[2]) * d[2]) / len2;
}

/**
 * StyleID style transfer between two drawn toy scenes whose backgrounds differ (ΔE ≥ 40):
 * how far the output's mean colour moved toward the style image's (fraction of the Lab
 * distance), whether the background takes the style's colour name, and whether the content's
 * object keeps its place and outline (IoU of the object regions).
 */
export async function styleSuite(runner: JobRunner, s: EvalSettings, count: number): Promise<SuiteResult> {
  const rows: { shift: number; iou: number; background: boolean }[] = [];
  const failures: SuiteResult['failures'] = [];
  for (const [i, c] of singleObjectScenes(count, 19, 3_000_000).entries()) {
    const content = renderScene(c.background, [c.object]);
    const styleBackground = distantBackground(c.background, i);
    // The style's object differs from the content's in colour and shape: only its look should transfer.
    const others = TOY_COLOUR_NAMES.filter((k) => k !== styleBackground && k !== c.object.colour);
    const style = renderScene(styleBackground, [{ ...c.object, colour: others[i % others.length], shape: TOY_SHAPES[(TOY_SHAPES.indexOf(c.object.shape) + 1) % TOY_SHAPES.length], cx: TOY_RESOLUTION - c.object.cx }]);
    let out: RgbImage;
    try {
      [out] = await runner.run('jobs.stylize', {
        model: s.model, steps: s.steps,
        content: { base64: (await encodePng(content)).toString('base64') },
        style: { base64: (await encodePng(style)).toString('base64') },
      });
    } catch (e) {
      return unavailable('style', e);
    }
    const shift = shiftToward(meanLab(content), meanLab(style), meanLab(out));
    const contentScene = analyseScene(content);
    const outScene = analyseScene(out);
    const a = contentScene.objects[0]?.mask;
    const b = outScene.objects[0]?.mask;
    const iou = a && b ? maskIou(a, b) : 0;
    rows.push({ shift, iou, background: outScene.background === styleBackground });
    if (shift < 0.25 || iou < 0.5) {
      failures.push({ content: `${c.object.colour} ${c.object.shape} on ${c.background}`, style: styleBackground, case: i, shift, iou, saw: { background: outScene.background, objects: outScene.objects.map((o) => `${o.colour} ${o.shape}`) } });
    }
    s.onCase?.('style', i + 1, count);
  }
  return {
    suite: 'style',
    cases: rows.length,
    metrics: {
      colourShift: mean(rows.map((r) => r.shift)),
      backgroundTakesStyle: rate(rows.map((r) => r.background)),
      meanObjectIou: mean(rows.map((r) => r.iou)),
    },
    failures,
  };
}
