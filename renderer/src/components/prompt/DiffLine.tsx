import type { DiffSegment } from '../../editor/promptDiff.ts';
import type { PromptWord } from '../../editor/promptWords.ts';

interface DiffLineProps {
  segments: DiffSegment[];
  target: PromptWord[];
  selected: number | null;
  localWords: string[];
  attentionNote: string;
  onSelect(index: number): void;
  onHover(index: number | null): void;
}

/**
 * The edited prompt word by word with the change shown inline: kept words plain, swapped
 * words as old → new, added words underlined, removed words struck through. Each word of
 * the edited prompt is a button that opens its controls (weight, "only change here").
 */
export function DiffLine({ segments, target, selected, localWords, attentionNote, onSelect, onHover }: DiffLineProps) {
  const word = (w: PromptWord, kind: string) => {
    const index = target.indexOf(w);
    const weighted = w.weight !== 1;
    const local = localWords.includes(w.text);
    return (
      <button
        key={`t${index}`}
        className={`word ${kind}${selected === index ? ' selected' : ''}${weighted ? ' weighted' : ''}${local ? ' local' : ''}`}
        aria-pressed={selected === index}
        aria-label={`${w.text}${kind !== 'same' ? ` (${kind === 'swap' ? 'swapped in' : 'added'})` : ''}${weighted ? `, weight ${w.weight}` : ''}${local ? ', only changes here' : ''}`}
        title={`${w.text}: click for weight and “only change here”. ${attentionNote}`}
        data-testid="diff-word"
        data-kind={kind}
        onClick={() => onSelect(index)}
        onMouseEnter={() => onHover(index)}
        onMouseLeave={() => onHover(null)}
        onFocus={() => onHover(index)}
        onBlur={() => onHover(null)}
      >
        {w.text}
        {weighted && <sup className="weight-badge">{w.weight}</sup>}
      </button>
    );
  };
  const removed = (ws: PromptWord[], key: string) => (
    <del key={key} className="word removed" data-testid="diff-removed">
      {ws.map((w) => w.text).join(' ')}
    </del>
  );
  return (
    <p className="diff-line" aria-label="Difference between the prompts" data-testid="diff-line">
      {segments.map((s, i) => {
        switch (s.kind) {
          case 'same':
            return word(s.target, 'same');
          case 'add':
            return <span key={i} className="seg">{s.target.map((w) => word(w, 'add'))}</span>;
          case 'remove':
            return removed(s.source, `r${i}`);
          case 'swap':
            return (
              <span key={i} className="seg swap">
                {removed(s.source, `s${i}`)}
                <span className="arrow" aria-hidden="true">→</span>
                {s.target.map((w) => word(w, 'swap'))}
              </span>
            );
        }
      })}
      {segments.length === 0 && <span className="muted">Type a prompt above.</span>}
    </p>
  );
}
