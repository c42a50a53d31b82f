import type { SAMPLERS } from '../api/schemas.ts';

type SamplerId = (typeof SAMPLERS)[number];

/** The names AUTOMATIC1111 writes, so other tools recognise our recipes. */
export const A1111_SAMPLER_NAMES: Record<SamplerId, string> = {
  ddim: 'DDIM',
  euler: 'Euler',
  'euler-a': 'Euler a',
  'dpmpp-2m': 'DPM++ 2M Karras',
};

export interface Recipe {
  prompt: string;
  negativePrompt?: string;
  steps: number;
  sampler: SamplerId;
  cfg: number;
  seed: number;
  width: number;
  height: number;
  model?: string;
  modelHash?: string;
  /** Further `Key: value` pairs (Denoising strength, Token merging ratio, …) in order. */
  extra?: Record<string, string | number>;
}

function quoteIfNeeded(value: string): string {
  return /[,:\n"]/.test(value) ? JSON.stringify(value) : value;
}

/** The A1111 `parameters` text: prompt, optional `Negative prompt:` line, then `Key: value` pairs. */
export function formatParameters(r: Recipe): string {
  const pairs: [string, string | number][] = [
    ['Steps', r.steps],
    ['Sampler', A1111_SAMPLER_NAMES[r.sampler]],
    ['CFG scale', r.cfg],
    ['Seed', r.seed],
    ['Size', `${r.width}x${r.height}`],
    ...(r.modelHash ? ([['Model hash', r.modelHash]] as [string, string][]) : []),
    ...(r.model ? ([['Model', r.model]] as [string, string][]) : []),
    ...Object.entries(r.extra ?? {}),
  ];
  const lines = [r.prompt];
  if (r.negativePrompt) lines.push(`Negative prompt: ${r.negativePrompt}`);
  lines.push(pairs.map(([k, v]) => `${k}: ${typeof v === 'string' ? quoteIfNeeded(v) : v}`).join(', '));
  return lines.join('\n');
}

/** Reads A1111 `parameters` text back into a recipe (unknown keys land in `extra`). */
export function parseParameters(text: string): Recipe | null {
  const lines = text.split('\n');
  const last = lines.at(-1) ?? '';
  if (!/(^|, )Steps: \d+/.test(last)) return null;
  const pairs = new Map<string, string>();
  for (const m of last.matchAll(/\s*([\w .+-]+):\s*("(?:\\.|[^"\\])*"|[^,]*)(?:,|$)/g)) {
    pairs.set(m[1].trim(), m[2].startsWith('"') ? (JSON.parse(m[2]) as string) : m[2].trim());
  }
  const body = lines.slice(0, -1);
  const negAt = body.findIndex((l) => l.startsWith('Negative prompt: '));
  const prompt = (negAt < 0 ? body : body.slice(0, negAt)).join('\n');
  const negativePrompt = negAt < 0 ? undefined : [body[negAt].slice(17), ...body.slice(negAt + 1)].join('\n');
  const sampler = (Object.entries(A1111_SAMPLER_NAMES).find(([, n]) => n === pairs.get('Sampler'))?.[0] ?? 'ddim') as SamplerId;
  const [width, height] = (pairs.get('Size') ?? '512x512').split('x').map(Number);
  const known = new Set(['Steps', 'Sampler', 'CFG scale', 'Seed', 'Size', 'Model', 'Model hash']);
  const extra = Object.fromEntries([...pairs].filter(([k]) => !known.has(k)));
  return {
    prompt,
    ...(negativePrompt !== undefined ? { negativePrompt } : {}),
    steps: Number(pairs.get('Steps')),
    sampler,
    cfg: Number(pairs.get('CFG scale') ?? 7),
    seed: Number(pairs.get('Seed') ?? 0),
    width,
    height,
    ...(pairs.has('Model') ? { model: pairs.get('Model') } : {}),
    ...(pairs.has('Model hash') ? { modelHash: pairs.get('Model hash') } : {}),
    ...(Object.keys(extra).length ? { extra } : {}),
  };
}
