import type { Problem } from '../../state/documentSlice.ts';

/** An error shown where it happened, with what to do next. */
export function ProblemNote({ problem, onDismiss }: { problem: Problem | null; onDismiss?: () => void }) {
  if (!problem) return null;
  return (
    <div role="alert" className="problem">
      <p className="problem-message">{problem.message}</p>
      {problem.hint && <p className="problem-hint">{problem.hint}</p>}
      {onDismiss && (
        <button className="ghost small" onClick={onDismiss} aria-label="Dismiss the message">
          Dismiss
        </button>
      )}
    </div>
  );
}
