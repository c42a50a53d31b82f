import { useId } from 'react';

interface SliderProps {
  label: string;
  value: number;
  min: number;
  max: number;
  step?: number;
  format?: (v: number) => string;
  title?: string;
  disabled?: boolean;
  onChange(value: number): void;
}

/** A labelled range input with its value shown beside the label. */
export function Slider({ label, value, min, max, step = 1, format = String, title, disabled, onChange }: SliderProps) {
  const id = useId();
  return (
    <div className="slider" title={title}>
      <div className="slider-head">
        <label htmlFor={id}>{label}</label>
        <output htmlFor={id}>{format(value)}</output>
      </div>
      <input id={id} type="range" min={min} max={max} step={step} value={value} disabled={disabled} onChange={(e) => onChange(Number(e.target.value))} />
    </div>
  );
}
