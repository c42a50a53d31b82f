import { useEffect, useState, type ReactNode } from 'react';

interface CollapsiblePanelProps {
  title: string;
  /** Shown beside the title while collapsed, e.g. how many images are set. */
  badge?: string;
  /** Opens the panel when it becomes true (a restored recipe filled it). */
  openWhen?: boolean;
  className?: string;
  testId?: string;
  children: ReactNode;
}

/** A sidebar panel that starts folded, so optional features do not push the run settings out of view. */
export function CollapsiblePanel({ title, badge, openWhen = false, className = '', testId, children }: CollapsiblePanelProps) {
  const [open, setOpen] = useState(openWhen);
  useEffect(() => {
    if (openWhen) setOpen(true);
  }, [openWhen]);
  return (
    <details className={`panel collapsible ${className}`} open={open} onToggle={(e) => setOpen(e.currentTarget.open)} data-testid={testId}>
      <summary>
        <h2>{title}</h2>
        {badge && <span className="badge">{badge}</span>}
      </summary>
      <div className="collapsible-body">{children}</div>
    </details>
  );
}
