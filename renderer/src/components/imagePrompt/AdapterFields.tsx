import { useId } from 'react';
import type { ModelEntry } from '../../../../engine/api/schemas.ts';
import { BLOCK_PRESETS, type BlockPreset } from '../../editor/imagePrompt.ts';

interface AdapterFieldsProps {
  adapters: ModelEntry[];
  adapter: string | null;
  preset: BlockPreset;
  /** Per-block scales from a restored recipe, kept until a preset is chosen. */
  custom: boolean;
  onAdapter(path: string): void;
  onPreset(preset: BlockPreset): void;
}

/** Which IP-Adapter file, and which UNet blocks see the reference (InstantStyle). */
export function AdapterFields({ adapters, adapter, preset, custom, onAdapter, onPreset }: AdapterFieldsProps) {
  const ids = { adapter: useId(), preset: useId() };
  const presetTitle = BLOCK_PRESETS.find((p) => p.id === preset)?.title;
  return (
    <div className="grid-2">
      <div className="field">
        <label htmlFor={ids.adapter}>IP-Adapter</label>
        <select id={ids.adapter} value={adapter ?? ''} onChange={(e) => onAdapter(e.target.value)} data-testid="ip-adapter-select">
          {adapters.map((m) => (
            <option key={m.path} value={m.path} title={m.architecture?.summary}>
              {m.name}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={ids.preset}>Blocks</label>
        <select
          id={ids.preset}
          value={custom ? 'custom' : preset}
          title={custom ? 'Per-block scales from a restored recipe' : presetTitle}
          onChange={(e) => onPreset(e.target.value as BlockPreset)}
          data-testid="ip-adapter-preset"
        >
          {custom && <option value="custom">Custom (from the recipe)</option>}
          {BLOCK_PRESETS.map((p) => (
            <option key={p.id} value={p.id} title={p.title}>
              {p.label}
            </option>
          ))}
        </select>
      </div>
    </div>
  );
}
