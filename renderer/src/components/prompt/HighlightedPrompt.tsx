import { useRef, type ReactNode } from 'react';

const GROUP = /\(([^()]*?):\s*(-?\d+(?:\.\d+)?)\s*\)/g;

/** The prompt text with `(word:1.3)` groups wrapped in marks: up-weighted warm, down-weighted cool. */
function highlight(text: string): ReactNode[] {
  const out: ReactNode[] = [];
  let at = 0;
  for (const m of text.matchAll(GROUP)) {
    if (m.index > at) out.push(text.slice(at, m.index));
    const w = Number(m[2]);
    out.push(<mark key={m.index} className={w >= 1 ? 'weight-up' : 'weight-down'}>{m[0]}</mark>);
    at = m.index + m[0].length;
  }
  out.push(text.slice(at));
  // A trailing newline needs a character after it or the backdrop is a line short.
  out.push('\u200b');
  return out;
}

interface HighlightedPromptProps {
  id: string;
  label: string;
  value: string;
  onChange(value: string): void;
  testId?: string;
  describedBy?: string;
}

/**
 * A textarea over a backdrop that mirrors its text with the weight syntax highlighted.
 * The textarea stays the real, accessible control; the backdrop is decoration.
 */
export function HighlightedPrompt({ id, label, value, onChange, testId, describedBy }: HighlightedPromptProps) {
  const backdrop = useRef<HTMLDivElement>(null);
  return (
    <div className="prompt-field">
      <label htmlFor={id}>{label}</label>
      <div className="hl-wrap">
        <div className="hl-backdrop" ref={backdrop} aria-hidden="true">
          {highlight(value)}
        </div>
        <textarea
          id={id}
          className="hl-input"
          value={value}
          rows={3}
          spellCheck={false}
          data-testid={testId}
          aria-describedby={describedBy}
          onChange={(e) => onChange(e.target.value)}
          onScroll={(e) => backdrop.current && (backdrop.current.scrollTop = e.currentTarget.scrollTop)}
        />
      </div>
    </div>
  );
}
