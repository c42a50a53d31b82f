import { useMemo, useState } from 'react';
import { attentionAvailable } from '../../api/attention.ts';
import { describeDiff, diffWords, type DiffSegment } from '../../editor/promptDiff.ts';
import { parsePrompt, setWordWeight, type PromptWord } from '../../editor/promptWords.ts';
import { attentionKey } from '../../state/attentionRequest.ts';
import { useStudioState, useStudioStore } from '../StoreContext.ts';
import { ProblemNote } from '../ui/ProblemNote.tsx';
import { Slider } from '../ui/Slider.tsx';
import { DiffLine } from './DiffLine.tsx';
import { HighlightedPrompt } from './HighlightedPrompt.tsx';
import { WordControls } from './WordControls.tsx';

const MISSING_NOTE = 'Attention maps need the engine’s attention-maps operation, which this build does not have yet.';

/**
 * The word whose map shows where a word of the edited prompt acts: the word itself, or for a
 * swapped-in word the source word it replaces (the maps describe the working image, which
 * shows the source prompt).
 */
function mapWord(segments: readonly DiffSegment[], word: PromptWord | undefined): string {
  const swap = segments.find((d) => d.kind === 'swap' && d.target.includes(word!));
  if (swap?.kind === 'swap') return swap.source[Math.min(swap.target.indexOf(word!), swap.source.length - 1)].text;
  return word?.text ?? '';
}

/** Source and edited prompts side by side, the word diff, per-word controls and attention-injection sliders. */
export function PromptEditor() {
  const store = useStudioStore();
  const { prompt, setPrompt, toggleLocalBlend, source, attention, requestAttention, currentKey } = useStudioState((s) => ({
    prompt: s.prompt, setPrompt: s.setPrompt, toggleLocalBlend: s.toggleLocalBlend, source: s.source,
    attention: s.attention, requestAttention: s.requestAttention, currentKey: attentionKey(s),
  }));
  const [selected, setSelected] = useState<number | null>(null);
  const [problem, setProblem] = useState<{ message: string; hint: string } | null>(null);
  const sourceWords = useMemo(() => parsePrompt(prompt.sourcePrompt), [prompt.sourcePrompt]);
  const targetWords = useMemo(() => parsePrompt(prompt.targetPrompt), [prompt.targetPrompt]);
  const segments = useMemo(() => diffWords(sourceWords, targetWords), [sourceWords, targetWords]);
  const word = selected !== null ? targetWords[selected] : undefined;
  const available = attentionAvailable();
  const stale = attention.status === 'ready' && attention.key !== currentKey;
  const attentionReady = available && attention.status === 'ready' && !stale && Boolean(source);
  const attentionNote = !available
    ? MISSING_NOTE
    : attentionReady
      ? 'Hover a word to see where it acts.'
      : attention.status === 'running'
        ? 'Attention maps are being computed…'
        : stale
          ? 'The working image or its source prompt changed: show attention again.'
          : !source
            ? 'Open or generate an image, then show attention to see where each word acts in it.'
            : 'Press “Show attention” to compute where each word acts in the working image.';

  const onHover = (index: number | null): void => {
    const map = index !== null && attentionReady ? store.getState().mapFor(mapWord(segments, targetWords[index])) : null;
    store.getState().setHeatMap(map?.overlay ?? null);
  };

  const maskFromAttention = async (): Promise<void> => {
    const w = selected !== null ? targetWords[selected] : undefined;
    const map = w ? store.getState().mapFor(mapWord(segments, w)) : null;
    try {
      if (!map) throw new Error(`there is no map for “${w?.text ?? ''}”.`);
      const grey = await store.getState().platform.decodeGrey(map.url);
      store.getState().maskDoc.addMap(grey.width, grey.height, grey.data);
      setProblem(null);
    } catch (e) {
      setProblem({ message: `No mask from attention: ${(e as Error).message}`, hint: 'Show attention for the current prompt first, then try again.' });
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
        attentionNote={attentionNote}
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
          attentionNote={attentionNote}
          onWeight={(w) => setPrompt({ targetPrompt: setWordWeight(prompt.targetPrompt, selected!, w) })}
          onToggleLocal={() => toggleLocalBlend(word.text)}
          onMaskFromAttention={() => void maskFromAttention()}
          onClose={() => setSelected(null)}
        />
      )}
      <div className="attention-row">
        <button
          className="small"
          disabled={!available || attention.status === 'running' || !source}
          onClick={() => void requestAttention()}
          title={available ? 'Reads where each word acts in the working image (its recorded seed, or by inversion for a photo); then hover a word' : MISSING_NOTE}
          data-testid="show-attention"
        >
          {attention.status === 'running' ? 'Computing attention…' : 'Show attention'}
        </button>
        <span className="muted small" data-testid="attention-status">{attentionNote}</span>
      </div>
      <ProblemNote problem={attention.problem} />
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
        {prompt.localBlendWords.length > 0 && (
          <Slider
            label="Region threshold"
            value={Math.round(prompt.localBlendThreshold * 100)}
            min={5}
            max={95}
            step={5}
            format={(v) => `${v}% of peak`}
            title="For words marked “Only change here”: how strongly a spot must attend to them (as a share of the word’s peak) to be changed. Raise it (e.g. 80%) when the whole image changes — small models attend everywhere a little"
            onChange={(v) => setPrompt({ localBlendThreshold: v / 100 })}
          />
        )}
      </div>
    </section>
  );
}
