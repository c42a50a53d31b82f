import { useMemo, useRef, useState } from 'react';
import { attentionAvailable, fetchAttentionMap } from '../../api/attention.ts';
import { heatmapDataUrl } from '../../canvas/heatmap.ts';
import { describeDiff, diffWords } from '../../editor/promptDiff.ts';
import { parsePrompt, setWordWeight } from '../../editor/promptWords.ts';
import { useStudioState, useStudioStore } from '../StoreContext.ts';
import { ProblemNote } from '../ui/ProblemNote.tsx';
import { Slider } from '../ui/Slider.tsx';
import { DiffLine } from './DiffLine.tsx';
import { HighlightedPrompt } from './HighlightedPrompt.tsx';
import { WordControls } from './WordControls.tsx';

const ATTENTION_NOTE = attentionAvailable()
  ? 'Hover to see where it attends.'
  : 'Attention maps need the engine’s attention-maps operation, which this build does not have yet.';

/** Source and edited prompts side by side, the word diff, per-word controls and attention-injection sliders. */
export function PromptEditor() {
  const store = useStudioStore();
  const { prompt, setPrompt, toggleLocalBlend, source } = useStudioState((s) => ({
    prompt: s.prompt, setPrompt: s.setPrompt, toggleLocalBlend: s.toggleLocalBlend, source: s.source,
  }));
  const [selected, setSelected] = useState<number | null>(null);
  const [problem, setProblem] = useState<{ message: string; hint: string } | null>(null);
  const hoverToken = useRef(0);
  const sourceWords = useMemo(() => parsePrompt(prompt.sourcePrompt), [prompt.sourcePrompt]);
  const targetWords = useMemo(() => parsePrompt(prompt.targetPrompt), [prompt.targetPrompt]);
  const segments = useMemo(() => diffWords(sourceWords, targetWords), [sourceWords, targetWords]);
  const word = selected !== null ? targetWords[selected] : undefined;
  const attentionReady = attentionAvailable() && Boolean(source);

  const mapFor = async (index: number) => {
    const w = targetWords[index];
    if (!w || !source) return null;
    return fetchAttentionMap(store.getState().connection, source.input, prompt.targetPrompt, w.text);
  };

  const onHover = (index: number | null): void => {
    const token = ++hoverToken.current;
    if (index === null || !attentionReady) return store.getState().setHeatMap(null);
    void mapFor(index)
      .then((map) => {
        if (token === hoverToken.current) store.getState().setHeatMap(map ? heatmapDataUrl(map) : null);
      })
      .catch(() => undefined);
  };

  const maskFromAttention = async (): Promise<void> => {
    if (selected === null) return;
    try {
      const map = await mapFor(selected);
      if (!map) throw new Error('The engine returned no attention map for this word.');
      store.getState().maskDoc.addMap(map.width, map.height, map.data);
      setProblem(null);
    } catch (e) {
      setProblem({ message: `No mask from attention: ${(e as Error).message}`, hint: 'Run an edit first so the engine has attention maps for this image.' });
    }
  };

  return (
    <section className="panel prompt-editor" aria-labelledby="prompt-heading">
      <h2 id="prompt-heading">Prompt</h2>
      <div className="prompt-pair">
        <HighlightedPrompt id="source-prompt" label="Source prompt (what the image shows)" value={prompt.sourcePrompt} testId="source-prompt" onChange={(v) => setPrompt({ sourcePrompt: v })} />
        <HighlightedPrompt id="target-prompt" label="Edited prompt (what it should show)" value={prompt.targetPrompt} testId="target-prompt" describedBy="diff-summary" onChange={(v) => setPrompt({ targetPrompt: v })} />
      </div>
      <DiffLine
        segments={segments}
        target={targetWords}
        selected={selected}
        localWords={prompt.localBlendWords}
        attentionNote={ATTENTION_NOTE}
        onSelect={(i) => setSelected(selected === i ? null : i)}
        onHover={onHover}
      />
      <p id="diff-summary" className="muted small" data-testid="diff-summary">
        Change: {describeDiff(segments)}
      </p>
      {word && (
        <WordControls
          word={word}
          local={prompt.localBlendWords.includes(word.text)}
          attentionReady={attentionReady}
          attentionNote={ATTENTION_NOTE}
          onWeight={(w) => setPrompt({ targetPrompt: setWordWeight(prompt.targetPrompt, selected!, w) })}
          onToggleLocal={() => toggleLocalBlend(word.text)}
          onMaskFromAttention={() => void maskFromAttention()}
          onClose={() => setSelected(null)}
        />
      )}
      <ProblemNote problem={problem} onDismiss={() => setProblem(null)} />
      <div className="two-col">
        <Slider
          label="Cross-attention replace"
          value={Math.round(prompt.crossReplace * 100)}
          min={0}
          max={100}
          format={(v) => `${v}% of steps`}
          title="How long the source's word-to-pixel maps are kept: higher keeps the layout, lower lets the new words move things"
          onChange={(v) => setPrompt({ crossReplace: v / 100 })}
        />
        <Slider
          label="Self-attention replace"
          value={Math.round(prompt.selfReplace * 100)}
          min={0}
          max={100}
          format={(v) => `${v}% of steps`}
          title="How long the source's self-attention is injected: higher keeps shapes and texture"
          onChange={(v) => setPrompt({ selfReplace: v / 100 })}
        />
      </div>
    </section>
  );
}
