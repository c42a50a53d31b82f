import { useRef, useState, type ClipboardEvent, type DragEvent } from 'react';
import { displayName, imageFilesOf } from '../../canvas/imageFiles.ts';

export interface PickedFile {
  blob: Blob;
  name: string;
}

interface ImagePickerProps {
  label: string;
  /** What the zone says under its label: the ways in. */
  hint: string;
  multiple?: boolean;
  disabled?: boolean;
  testId: string;
  onFiles(files: PickedFile[]): void;
}

const picked = (files: Iterable<File>, multiple: boolean): PickedFile[] => {
  const all = [...files].map((f) => ({ blob: f as Blob, name: displayName(f) }));
  return multiple ? all : all.slice(0, 1);
};

/**
 * Choose, drop or paste an image into one panel, not onto the canvas. Handled events are
 * marked (preventDefault) so the window-wide open-on-drop/paste leaves them alone.
 */
export function ImagePicker({ label, hint, multiple = false, disabled, testId, onFiles }: ImagePickerProps) {
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const take = (files: PickedFile[]): void => {
    if (files.length && !disabled) onFiles(files);
  };
  const onDragOver = (e: DragEvent): void => {
    if (disabled || !e.dataTransfer.types.includes('Files')) return;
    e.preventDefault();
    setOver(true);
  };
  const onDrop = (e: DragEvent): void => {
    setOver(false);
    if (disabled || !e.dataTransfer.files.length) return;
    e.preventDefault();
    take(picked(e.dataTransfer.files, multiple));
  };
  const onPaste = (e: ClipboardEvent): void => {
    const files = imageFilesOf(e.clipboardData.items);
    if (!files.length || disabled) return;
    e.preventDefault();
    take(picked(files, multiple));
  };
  return (
    <div className={`image-picker${over ? ' over' : ''}`} onDragOver={onDragOver} onDragLeave={() => setOver(false)} onDrop={onDrop} onPaste={onPaste} data-testid={`${testId}-zone`}>
      <button className="small" disabled={disabled} onClick={() => input.current?.click()} title={hint}>
        {label}
      </button>
      <span className="muted small">{hint}</span>
      <input
        ref={input}
        type="file"
        accept="image/png,image/jpeg,image/webp"
        multiple={multiple}
        hidden
        data-testid={testId}
        onChange={(e) => {
          take(picked(e.target.files ?? [], multiple));
          e.target.value = '';
        }}
      />
    </div>
  );
}
