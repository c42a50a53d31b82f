import type { ReactNode } from 'react';

export interface RadioOption<T extends string> {
  id: T;
  content: ReactNode;
  title?: string;
  /** For options whose content is only an icon. */
  ariaLabel?: string;
}

interface RadioGroupProps<T extends string> {
  label: string;
  className: string;
  /** Class of every option button; the chosen one also gets `active`. */
  optionClass?: string;
  options: readonly RadioOption<T>[];
  value: T;
  disabled?: boolean;
  onChange(value: T): void;
}

/** A row of buttons of which exactly one is chosen, announced as a radio group. */
export function RadioGroup<T extends string>({ label, className, optionClass, options, value, disabled, onChange }: RadioGroupProps<T>) {
  return (
    <div className={className} role="radiogroup" aria-label={label}>
      {options.map((o) => (
        <button
          key={o.id}
          role="radio"
          aria-checked={value === o.id}
          className={[optionClass, value === o.id ? 'active' : ''].filter(Boolean).join(' ')}
          disabled={disabled}
          title={o.title}
          aria-label={o.ariaLabel}
          onClick={() => onChange(o.id)}
        >
          {o.content}
        </button>
      ))}
    </div>
  );
}
