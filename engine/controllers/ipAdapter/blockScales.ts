import { StudioError } from '../../api/errors.ts';
import type { AttentionSite } from '../site.ts';

/**
 * InstantStyle's SD 1.5 target blocks (ALGORITHMS §3.5): `style` = up_blocks.1 only,
 * `style+layout` adds down_blocks.2 and the mid block; `layout` is the remainder of that
 * pair. Sites outside the targets get scale 0, as InstantStyle's `skip=True` does.
 */
export const BLOCK_PRESETS = {
  style: { 'up_blocks.1': 1 },
  layout: { 'down_blocks.2': 1, mid_block: 1 },
  'style+layout': { 'down_blocks.2': 1, mid_block: 1, 'up_blocks.1': 1 },
} as const satisfies Record<string, Record<string, number>>;

export type BlockPreset = keyof typeof BLOCK_PRESETS;
export type BlockScales = BlockPreset | Readonly<Record<string, number>>;

/**
 * Multiplier per cross site (in `sites` order of the given list): 1 everywhere without
 * `blocks`; otherwise the value of the longest listed name that is the site's block name or
 * a dotted prefix of it, 0 where none matches. Unknown names are refused so a typo does not
 * silently switch the adapter off.
 */
export function blockMultipliers(cross: readonly AttentionSite[], blocks?: BlockScales): number[] {
  if (!blocks) return cross.map(() => 1);
  const table: Readonly<Record<string, number>> = typeof blocks === 'string' ? BLOCK_PRESETS[blocks] : blocks;
  if (!table) throw new StudioError('INVALID_REQUEST', `Unknown IP-Adapter block preset ${String(blocks)}; use ${Object.keys(BLOCK_PRESETS).join(', ')} or a map of block names`);
  const names = cross.map((s) => {
    if (!s.tags.diffusersBlock) throw new StudioError('INVALID_REQUEST', `IP-Adapter block scales: this network does not name the block of ${s.path}`);
    return s.tags.diffusersBlock;
  });
  const matches = (name: string, key: string) => name === key || name.startsWith(`${key}.`);
  for (const key of Object.keys(table)) {
    if (!names.some((n) => matches(n, key))) {
      throw new StudioError('INVALID_REQUEST', `IP-Adapter block ${key} matches no cross-attention block of this model (it has ${[...new Set(names)].join(', ')})`, { block: key });
    }
    if (!Number.isFinite(table[key])) throw new StudioError('INVALID_REQUEST', `IP-Adapter block ${key}: scale must be a number`);
  }
  return names.map((n) => {
    const best = Object.keys(table).filter((k) => matches(n, k)).sort((a, b) => b.length - a.length)[0];
    return best === undefined ? 0 : table[best];
  });
}
