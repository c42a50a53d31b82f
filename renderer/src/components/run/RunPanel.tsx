import { useId } from 'react';
import { isImageModel, modelSizes, unsupportedOperations } from '../../state/modelsSlice.ts';
import type { StudioState } from '../../state/store.ts';
import { useStudioState } from '../StoreContext.ts';
import { Slider } from '../ui/Slider.tsx';
import { LoraPicker } from './LoraPicker.tsx';

const SAMPLERS = [
  { id: 'ddim', label: 'DDIM' },
  { id: 'euler', label: 'Euler' },
  { id: 'euler-a', label: 'Euler ancestral' },
  { id: 'dpmpp-2m', label: 'DPM++ 2M' },
] as const;

/** it/s of the job running now, for the token-merging readout. */
function liveItPerSec(s: StudioState): number | null {
  for (const id of s.jobOrder) if (s.jobs[id].state === 'running' && s.jobs[id].itPerSec > 0) return s.jobs[id].itPerSec;
  return null;
}

/** Model and sampling settings and the three run buttons. */
export function RunPanel() {
  const ids = { model: useId(), sampler: useId(), steps: useId(), seed: useId(), w: useId(), h: useId(), sizes: useId(), neg: useId() };
  const { run, setRun, selectModel, models, lastSeed, itPerSec } = useStudioState((s) => ({
    run: s.run, setRun: s.setRun, selectModel: s.selectModel, models: s.models, lastSeed: s.lastSeed, itPerSec: liveItPerSec(s),
  }));
  const usable = models.filter(isImageModel);
  const current = models.find((m) => m.path === run.model);
  const sizes = modelSizes(current);
  const noTome = unsupportedOperations(current).includes('tokenMerging');
  const sizeValue = sizes.some((s) => s.width === run.width && s.height === run.height) ? `${run.width}x${run.height}` : '';
  return (
    <section className="panel run-panel" aria-labelledby="run-heading">
      <h2 id="run-heading">Run</h2>
      <div className="field">
        <label htmlFor={ids.model}>Model</label>
        <select id={ids.model} value={run.model ?? ''} onChange={(e) => e.target.value && selectModel(e.target.value)} data-testid="model-select">
          {usable.length === 0 && <option value="">No usable model — open Models & settings</option>}
          {usable.map((m) => (
            <option key={m.path} value={m.path}>
              {m.name} — {m.architecture?.summary}
            </option>
          ))}
        </select>
      </div>
      <div className="grid-2">
        <div className="field">
          <label htmlFor={ids.sampler}>Sampler</label>
          <select id={ids.sampler} value={run.sampler} onChange={(e) => setRun({ sampler: e.target.value as typeof run.sampler })}>
            {SAMPLERS.map((s) => (
              <option key={s.id} value={s.id}>{s.label}</option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.steps}>Steps</label>
          <input id={ids.steps} type="number" min={1} max={500} value={run.steps} onChange={(e) => setRun({ steps: clampInt(e.target.value, 1, 500) })} data-testid="steps" />
        </div>
      </div>
      <Slider label="Guidance" value={run.cfg} min={0} max={20} step={0.5} format={(v) => v.toFixed(1)} title="Classifier-free guidance scale: how strongly the prompt is followed" onChange={(v) => setRun({ cfg: v })} />
      <div className="field">
        <label htmlFor={ids.seed}>Seed</label>
        <div className="row">
          <input id={ids.seed} type="number" min={0} value={run.seed} disabled={run.seedMode === 'random'} onChange={(e) => setRun({ seed: clampInt(e.target.value, 0, 2 ** 32 - 1) })} />
          <label className="check" title="Draw a new seed for every run (the recipe records it)">
            <input type="checkbox" checked={run.seedMode === 'random'} onChange={(e) => setRun({ seedMode: e.target.checked ? 'random' : 'fixed' })} /> Random
          </label>
          <button className="small" disabled={lastSeed === null} onClick={() => lastSeed !== null && setRun({ seed: lastSeed, seedMode: 'fixed' })} title={lastSeed === null ? 'No run yet' : `Use the last run's seed (${lastSeed})`}>
            Reuse last
          </button>
        </div>
      </div>
      <div className="grid-2">
        <div className="field">
          <label htmlFor={ids.w}>Width</label>
          <input id={ids.w} type="number" min={64} max={4096} step={8} value={run.width} onChange={(e) => setRun({ width: clampInt(e.target.value, 64, 4096) })} />
        </div>
        <div className="field">
          <label htmlFor={ids.h}>Height</label>
          <input id={ids.h} type="number" min={64} max={4096} step={8} value={run.height} onChange={(e) => setRun({ height: clampInt(e.target.value, 64, 4096) })} />
        </div>
      </div>
      {sizes.length > 0 && (
        <div className="field">
          <label htmlFor={ids.sizes}>Trained sizes</label>
          <select id={ids.sizes} value={sizeValue} data-testid="size-preset" title="The aspect-ratio buckets this model was trained at"
            onChange={(e) => {
              const [width, height] = e.target.value.split('x').map(Number);
              if (width && height) setRun({ width, height });
            }}>
            <option value="">Custom</option>
            {sizes.map((s) => (
              <option key={`${s.width}x${s.height}`} value={`${s.width}x${s.height}`}>{s.width} × {s.height}</option>
            ))}
          </select>
        </div>
      )}
      <div className="field">
        <label htmlFor={ids.neg}>Negative prompt</label>
        <input id={ids.neg} type="text" value={run.negativePrompt} placeholder="what to avoid" onChange={(e) => setRun({ negativePrompt: e.target.value })} />
      </div>
      <div className="tome">
        <label className="check" title={noTome ? 'Token merging works on Stable Diffusion UNets; this model is a diffusion transformer' : 'Token merging: merges similar image tokens in attention for speed, at a small cost in detail'}>
          <input type="checkbox" checked={run.tokenMerging && !noTome} disabled={noTome} onChange={(e) => setRun({ tokenMerging: e.target.checked })} data-testid="tome-toggle" /> Token merging
        </label>
        <span className="itps" aria-live="off" data-testid="itps" title="Speed of the job running now">
          {itPerSec !== null ? `${itPerSec.toFixed(2)} it/s` : '– it/s'}
        </span>
      </div>
      {run.tokenMerging && <p className="muted small" data-testid="tome-edit-note">Edit (prompt-to-prompt) is off while token merging is on.</p>}
      {run.tokenMerging && (
        <Slider label="Merge ratio" value={Math.round(run.tokenMergingRatio * 100)} min={0} max={75} format={(v) => `${v}%`} title="Fraction of tokens merged (higher is faster)" onChange={(v) => setRun({ tokenMergingRatio: v / 100 })} />
      )}
      <LoraPicker />
      <Slider label="Inpaint strength" value={Math.round(run.strength * 100)} min={0} max={100} format={(v) => `${v}%`} title="How much of the masked region is regenerated (100% = from scratch)" onChange={(v) => setRun({ strength: v / 100 })} />
    </section>
  );
}

function clampInt(text: string, min: number, max: number): number {
  const n = Math.round(Number(text));
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : min;
}
