import { useId } from 'react';
import { useStudioState } from '../StoreContext.ts';
import { CollapsiblePanel } from '../ui/CollapsiblePanel.tsx';
import { ProblemNote } from '../ui/ProblemNote.tsx';
import { Slider } from '../ui/Slider.tsx';
import { StyleImageField } from './StyleImageField.tsx';

/** Why Stylize is unavailable, in the words of its tooltip; null when it can run. */
function blocker(p: { model: string | null; hasSource: boolean; hasStyle: boolean }): string | null {
  if (!p.model) return 'Choose a model first';
  if (!p.hasSource) return 'Open the image to restyle first';
  if (!p.hasStyle) return 'Choose a style image first';
  return null;
}

/** StyleID style transfer of the source image after a style image; a painted mask limits it to that region. */
export function StylePanel() {
  const stepsId = useId();
  const { style, problem, model, hasSource, hasMask, submitting, setStyleImage, clearStyleImage, setStyle, setProblem, runStylize } = useStudioState((s) => ({
    style: s.style, problem: s.styleProblem, model: s.run.model, hasSource: Boolean(s.source), hasMask: s.maskOps.length > 0, submitting: s.submitting,
    setStyleImage: s.setStyleImage, clearStyleImage: s.clearStyleImage, setStyle: s.setStyle, setProblem: s.setStyleProblem, runStylize: s.runStylize,
  }));
  const why = blocker({ model, hasSource, hasStyle: Boolean(style.style) });
  return (
    <CollapsiblePanel title="Style transfer" badge={style.style ? '1' : undefined} openWhen={Boolean(style.style) || Boolean(problem)} testId="style-panel">
      <p className="muted small">Repaints the source image in the style of another image (StyleID). {hasMask ? 'Only the masked region changes.' : 'Paint a mask to restyle only part of it.'}</p>
      <StyleImageField image={style.style} onFile={(f) => void setStyleImage(f)} onClear={clearStyleImage} />
      <div className="two-col">
        <Slider label="Content kept (γ)" value={style.gamma} min={0} max={1} step={0.05} format={(v) => v.toFixed(2)} title="Query preservation: lower takes more of the style (0.3 for a strong style)" onChange={(v) => setStyle({ gamma: v })} />
        <Slider label="Temperature (T)" value={style.temperature} min={0.5} max={3} step={0.1} format={(v) => v.toFixed(1)} title="Attention temperature: higher sharpens how strongly the style's features are copied" onChange={(v) => setStyle({ temperature: v })} />
      </div>
      <div className="row style-run">
        <label htmlFor={stepsId} className="muted small">Steps</label>
        <input id={stepsId} type="number" min={1} max={500} value={style.steps} onChange={(e) => setStyle({ steps: clampSteps(e.target.value) })} data-testid="style-steps" />
        <button className="primary" disabled={submitting || Boolean(why)} onClick={() => void runStylize()} title={why ?? 'Queue the style transfer of the source image'} data-testid="run-stylize">
          Stylize
        </button>
      </div>
      <ProblemNote problem={problem} onDismiss={() => setProblem(null)} />
    </CollapsiblePanel>
  );
}

function clampSteps(text: string): number {
  const n = Math.round(Number(text));
  return Number.isFinite(n) ? Math.min(500, Math.max(1, n)) : 1;
}
