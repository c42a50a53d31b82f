import { useRef } from 'react';

interface SplitHandleProps {
  /** Screen x of the split line, relative to the stage. */
  left: number;
  top: number;
  height: number;
  split: number;
  onChange(split: number): void;
  /** Screen x of the image's left edge and its on-screen width, to turn drags into a fraction. */
  imageLeft: number;
  imageWidth: number;
}

/** The before/after divider: draggable, and a keyboard slider (arrow keys) for screen readers. */
export function SplitHandle({ left, top, height, split, onChange, imageLeft, imageWidth }: SplitHandleProps) {
  const dragging = useRef(false);
  const toSplit = (clientX: number, el: HTMLElement): number => {
    const stage = el.parentElement!.getBoundingClientRect();
    return Math.min(1, Math.max(0, (clientX - stage.left - imageLeft) / imageWidth));
  };
  return (
    <div
      className="split-handle"
      style={{ left, top, height }}
      role="slider"
      tabIndex={0}
      aria-label="Before/after divider (X swaps)"
      title="Drag to compare before (left) and after (right); X swaps"
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(split * 100)}
      onPointerDown={(e) => {
        e.stopPropagation();
        dragging.current = true;
        e.currentTarget.setPointerCapture(e.pointerId);
      }}
      onPointerMove={(e) => {
        if (dragging.current) onChange(toSplit(e.clientX, e.currentTarget));
      }}
      onPointerUp={() => (dragging.current = false)}
      onKeyDown={(e) => {
        const step = e.shiftKey ? 0.1 : 0.02;
        if (e.key === 'ArrowLeft') onChange(Math.max(0, split - step));
        else if (e.key === 'ArrowRight') onChange(Math.min(1, split + step));
        else if (e.key === 'Home') onChange(0);
        else if (e.key === 'End') onChange(1);
        else return;
        e.preventDefault();
      }}
    >
      <span className="split-knob" aria-hidden="true">⟷</span>
    </div>
  );
}
