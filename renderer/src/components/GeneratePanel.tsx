import { useState } from 'react';
import { useStudioState } from './StoreContext.ts';

export function GeneratePanel() {
  const { selectedModel, generate, jobsError } = useStudioState((s) => s);
  const [prompt, setPrompt] = useState('a red circle on a blue background');
  const [steps, setSteps] = useState(20);
  const [seed, setSeed] = useState(1);
  const [size, setSize] = useState(64);
  return (
    <section className="panel" aria-label="Generate">
      <h2>Generate</h2>
      <label className="field">
        Prompt
        <textarea value={prompt} onChange={(e) => setPrompt(e.target.value)} rows={3} />
      </label>
      <div className="row">
        <label className="field">
          Steps
          <input type="number" min={1} max={150} value={steps} onChange={(e) => setSteps(Number(e.target.value))} />
        </label>
        <label className="field">
          Seed
          <input type="number" min={0} value={seed} onChange={(e) => setSeed(Number(e.target.value))} />
        </label>
        <label className="field">
          Size
          <input type="number" min={64} step={8} max={2048} value={size} onChange={(e) => setSize(Number(e.target.value))} />
        </label>
      </div>
      <button
        className="primary"
        disabled={!selectedModel}
        onClick={() => void generate({ model: selectedModel!, prompt, steps, seed, width: size, height: size })}
      >
        Generate
      </button>
      {jobsError && <p role="alert" className="error">{jobsError}</p>}
    </section>
  );
}
