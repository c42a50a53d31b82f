import type { LoraEntry } from '../../../../engine/api/schemas.ts';
import type { RunSettings } from '../../editor/recipe.ts';
import { useStudioState } from '../StoreContext.ts';
import { Slider } from '../ui/Slider.tsx';

/** Why a LoRA may not suit the chosen model, or null. */
function mismatch(l: LoraEntry, modelFamily: string | undefined): string | null {
  if (l.error) return l.error;
  if (l.family && modelFamily && l.family !== modelFamily) return `made for ${l.familyLabel}`;
  return null;
}

/** The models folder's LoRAs: tick one to apply it, move its multiplier (no rebuild: it is a feed). */
export function LoraPicker() {
  const { loras, run, setRun, family } = useStudioState((s) => ({
    loras: s.loras, run: s.run, setRun: s.setRun,
    family: s.models.find((m) => m.path === s.run.model)?.architecture?.family,
  }));
  if (!loras.length) return null;
  const chosen = new Map(run.loras.map((l) => [l.name, l.scale]));
  const update = (next: RunSettings['loras']) => setRun({ loras: next });
  return (
    <fieldset className="lora-picker" data-testid="lora-picker">
      <legend>LoRAs</legend>
      {loras.map((l) => {
        const why = mismatch(l, family);
        const scale = chosen.get(l.name);
        return (
          <div key={l.path} className="lora-row">
            <label className="check" title={[l.familyLabel, l.triggerWords.length ? `trigger words: ${l.triggerWords.join(', ')}` : ''].filter(Boolean).join(' — ')}>
              <input
                type="checkbox"
                checked={scale !== undefined}
                disabled={Boolean(l.error)}
                data-testid={`lora-toggle-${l.name}`}
                onChange={(e) => update(e.target.checked ? [...run.loras, { name: l.name, scale: 1 }] : run.loras.filter((x) => x.name !== l.name))}
              />{' '}
              {l.name}
              {why && <span className="muted small"> ({why})</span>}
            </label>
            {scale !== undefined && (
              <Slider label="Weight" value={scale} min={-1} max={2} step={0.05} format={(v) => v.toFixed(2)} title={`Multiplier of ${l.name}`}
                onChange={(v) => update(run.loras.map((x) => (x.name === l.name ? { ...x, scale: v } : x)))} />
            )}
          </div>
        );
      })}
    </fieldset>
  );
}
