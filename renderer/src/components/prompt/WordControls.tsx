import type { PromptWord } from '../../editor/promptWords.ts';
import { Slider } from '../ui/Slider.tsx';

interface WordControlsProps {
  word: PromptWord;
  local: boolean;
  attentionReady: boolean;
  attentionNote: string;
  onWeight(weight: number): void;
  onToggleLocal(): void;
  onMaskFromAttention(): void;
  onClose(): void;
}

/** Controls for one word of the edited prompt. */
export function WordControls({ word, local, attentionReady, attentionNote, onWeight, onToggleLocal, onMaskFromAttention, onClose }: WordControlsProps) {
  return (
    <div className="word-controls" role="group" aria-label={`Controls for “${word.text}”`}>
      <div className="word-controls-head">
        <strong>“{word.text}”</strong>
        <button className="ghost small" onClick={onClose} aria-label="Close word controls">
          Done
        </button>
      </div>
      <Slider
        label="Weight"
        value={word.weight}
        min={0}
        max={2}
        step={0.05}
        format={(v) => v.toFixed(2)}
        title="Re-weights the word’s attention; written into the prompt as (word:weight)"
        onChange={onWeight}
      />
      <label className="check" title="Local blending: the edit changes only where this word attends; the rest of the image stays as it was">
        <input type="checkbox" checked={local} onChange={onToggleLocal} /> Only change here
      </label>
      <button onClick={onMaskFromAttention} disabled={!attentionReady} title={attentionReady ? 'Adds where this word attends to the mask; paint over it afterwards' : attentionNote}>
        Mask from attention
      </button>
      {!attentionReady && <p className="muted small">{attentionNote}</p>}
    </div>
  );
}
