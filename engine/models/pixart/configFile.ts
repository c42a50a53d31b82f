import { access } from 'node:fs/promises';
import { configCandidatesBeside, readConfigFile } from '../configHints.ts';
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

/** An explicitly named config (JSON or YAML); undefined when it names no PixArt fact. */
export async function loadPixArtHints(path: string): Promise<PixArtHints | undefined> {
  return pixartHintsFrom(await readConfigFile(path), path);
}

/**
 * A config beside a single file, tried in the order SD checkpoints use (`<name>.yaml|.json`
 * with each dotted suffix removed, then `config.json`); files with no PixArt facts are skipped.
 */
export async function findPixArtHintsBeside(file: string): Promise<PixArtHints | undefined> {
  for (const p of configCandidatesBeside(file)) {
    if (!(await exists(p))) continue;
    const hints = await loadPixArtHints(p).catch(() => undefined);
    if (hints) return hints;
  }
  return undefined;
}
