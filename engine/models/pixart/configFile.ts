import { access, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { StudioError, toStudioError } from '../../api/errors.ts';
import type { PixArtHints } from './config.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const pos = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined);
const exists = (p: string) => access(p).then(() => true, () => false);

/**
 * PixArt facts shapes cannot tell, from any of the configs people keep beside the weights:
 * diffusers' `transformer/config.json` (current `PixArtTransformer2DModel` or the Hub's
 * legacy `Transformer2DModel` keys), the original repo's parameters (`num_heads`,
 * `lewei_scale`/`pe_interpolation`, `input_size` in latent pixels), a studio JSON with a
 * `pixart` section, or a file nesting those (the golden set's `transformer_diffusers_config`).
 * Null values mean "not given": the derived rules of detectPixArt apply.
 */
export function pixartHintsFrom(config: unknown, source: string): PixArtHints | undefined {
  if (!isObj(config)) return undefined;
  const sections = [config, config.pixart, config.transformer_diffusers_config, config.original_layout_parameters].filter(isObj);
  const pick = (...names: string[]) => {
    for (const s of sections) for (const n of names) if (pos(s[n]) !== undefined) return s[n] as number;
    return undefined;
  };
  const hints: PixArtHints = {
    source,
    heads: pick('num_attention_heads', 'num_heads', 'heads'),
    sampleSize: pick('sample_size', 'input_size'),
    interpolationScale: pick('interpolation_scale', 'pe_interpolation', 'lewei_scale'),
  };
  return hints.heads || hints.sampleSize || hints.interpolationScale ? hints : undefined;
}

export async function loadPixArtHints(path: string): Promise<PixArtHints | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw toStudioError(e);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new StudioError('INVALID_REQUEST', `${path}: not valid JSON`, { file: path });
  }
  return pixartHintsFrom(parsed, path);
}

/**
 * A config beside a single file: `<name>.json` with each dotted suffix removed
 * (`pixart-tiny.f16.safetensors` → `pixart-tiny.f16.json`, `pixart-tiny.json`), then
 * `config.json` in the same folder. Files with no PixArt facts are skipped.
 */
export async function findPixArtHintsBeside(file: string): Promise<PixArtHints | undefined> {
  const dir = dirname(file);
  let stem = basename(file).replace(/\.safetensors$/i, '');
  const candidates: string[] = [];
  for (;;) {
    candidates.push(join(dir, `${stem}.json`));
    const dot = stem.lastIndexOf('.');
    if (dot <= 0) break;
    stem = stem.slice(0, dot);
  }
  candidates.push(join(dir, 'config.json'));
  for (const p of candidates) {
    if (!(await exists(p))) continue;
    const hints = await loadPixArtHints(p).catch(() => undefined);
    if (hints) return hints;
  }
  return undefined;
}
