import { useEffect, useRef, type ReactNode } from 'react';

/** A modal <dialog>: focus is trapped by the browser, Escape closes, focus returns to the opener. */
export function Dialog({ open, title, onClose, children, testId }: { open: boolean; title: string; onClose(): void; children: ReactNode; testId?: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} className="dialog" aria-labelledby={`${testId}-title`} onClose={onClose} data-testid={testId}>
      <header className="dialog-head">
        <h2 id={`${testId}-title`}>{title}</h2>
        <button className="ghost" onClick={onClose} aria-label="Close">✕</button>
      </header>
      {open && children}
    </dialog>
  );
}
