import { dirname, join } from 'node:path';
import { imagePromptSuite } from './imagePromptSuite.ts';
import { styleSuite } from './styleSuite.ts';
import { fidelitySuite, inpaintSuite, swapSuite, tomeSuite, type EvalSettings, type JobRunner, type SuiteResult } from './suites.ts';

export const SUITES = ['fidelity', 'p2p-swap', 'p2p-swap-blend', 'p2p-swap-mask', 'inpaint', 'tome', 'image-prompt', 'image-prompt-plus', 'style'] as const;

/** LocalBlend threshold of the blended swaps: the toy model's maps have a high floor (the reference's 0.3 keeps the whole frame). */
export const TOY_BLEND_THRESHOLD = 0.8;
/** How far the p2p-swap-mask suite's painted mask reaches beyond the source object, in pixels. */
export const TOY_MASK_MARGIN = 3;
export type SuiteName = (typeof SUITES)[number];

/** Cases of a suite the plan gives no count for: 100 keeps a rate's standard error near ±5 points. */
export const DEFAULT_CASES = 100;

/** The toy model's own image adapters, trained by models/toy-shapes/adapter.py (one encoder in image_encoder/ beside them). */
export const TOY_ADAPTER_FILE = 'ip-adapter_toy.safetensors';
export const TOY_PLUS_ADAPTER_FILE = 'ip-adapter-plus_toy.safetensors';

export interface EvalPlan extends EvalSettings {
  suites: readonly SuiteName[];
  /** Cases per suite (DEFAULT_CASES when absent). */
  counts: Partial<Record<SuiteName, number>>;
  /** IP-Adapter file for the image-prompt suite (default: TOY_ADAPTER_FILE beside the model). */
  ipAdapter?: string;
  /** The plus (Resampler) adapter for the image-prompt-plus suite (default: TOY_PLUS_ADAPTER_FILE beside the model). */
  ipAdapterPlus?: string;
}

export interface EvalReport {
  model: string;
  settings: { steps: number; cfg: number; sampler: string };
  suites: SuiteResult[];
  seconds: number;
}

export async function evaluateToyModel(runner: JobRunner, plan: EvalPlan): Promise<EvalReport> {
  const started = Date.now();
  const n = (name: SuiteName) => plan.counts[name] ?? DEFAULT_CASES;
  const run: Record<SuiteName, () => Promise<SuiteResult>> = {
    fidelity: () => fidelitySuite(runner, plan, n('fidelity')),
    'p2p-swap': () => swapSuite(runner, plan, n('p2p-swap')),
    'p2p-swap-blend': () => swapSuite(runner, plan, n('p2p-swap-blend'), { kind: 'blend', threshold: TOY_BLEND_THRESHOLD }),
    'p2p-swap-mask': () => swapSuite(runner, plan, n('p2p-swap-mask'), { kind: 'mask', radius: TOY_MASK_MARGIN }),
    inpaint: () => inpaintSuite(runner, plan, n('inpaint')),
    tome: () => tomeSuite(runner, plan, n('tome')),
    'image-prompt': () => imagePromptSuite(runner, plan, n('image-prompt'), plan.ipAdapter ?? join(dirname(plan.model), TOY_ADAPTER_FILE)),
    'image-prompt-plus': () =>
      imagePromptSuite(runner, plan, n('image-prompt-plus'), plan.ipAdapterPlus ?? join(dirname(plan.model), TOY_PLUS_ADAPTER_FILE), 'image-prompt-plus'),
    style: () => styleSuite(runner, plan, n('style')),
  };
  const suites: SuiteResult[] = [];
  for (const name of plan.suites) suites.push(await run[name]());
  return {
    model: plan.model,
    settings: { steps: plan.steps, cfg: plan.cfg, sampler: plan.sampler },
    suites,
    seconds: (Date.now() - started) / 1000,
  };
}

const fmt = (key: string, v: number) => (/psnr/i.test(key) ? `${v.toFixed(1)} dB` : /Px$/.test(key) ? `${v.toFixed(1)} px` : key === 'ratio' ? v.toFixed(2) : /^mean|^min/.test(key) ? v.toFixed(3) : `${(100 * v).toFixed(1)} %`);

/** The report as a plain-text table, one metric a row. */
export function formatReport(r: EvalReport): string {
  const lines = [`toy-world evaluation of ${r.model} (${r.settings.sampler}, ${r.settings.steps} steps, CFG ${r.settings.cfg}) in ${r.seconds.toFixed(0)} s`, ''];
  const rows: [string, string, string][] = [['suite', 'metric', 'value']];
  for (const s of r.suites) {
    if (s.unavailable) {
      rows.push([s.suite, 'unavailable', s.unavailable.slice(0, 80)]);
      continue;
    }
    rows.push([s.suite, 'cases', String(s.cases)]);
    for (const [k, v] of Object.entries(s.metrics)) rows.push([s.suite, k, fmt(k, v)]);
  }
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((row) => row[c].length)));
  for (const [i, row] of rows.entries()) {
    lines.push(row.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd());
    if (i === 0) lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  return lines.join('\n');
}
