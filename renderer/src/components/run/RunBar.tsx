import { IS_MAC } from '../../commands.ts';
import { describeDiff, diffWords } from '../../editor/promptDiff.ts';
import { parsePrompt } from '../../editor/promptWords.ts';
import { editBlocker } from '../../editor/runBlockers.ts';
import { editConditions } from '../../state/editConditions.ts';
import { withShortcut } from '../../editor/shortcuts.ts';
import { useStudioState } from '../StoreContext.ts';
import { ProblemNote } from '../ui/ProblemNote.tsx';

/** Generate, Edit and Inpaint, always in view at the foot of the sidebar, with any problem starting a run. */
export function RunBar() {
  // A boolean, not the ops: the bar must not re-render on every pointer move of a stroke.
  const { run, runJob, runProblem, submitting, hasImage, hasMask, prompt, editReason } = useStudioState((s) => ({
    run: s.run, runJob: s.runJob, runProblem: s.runProblem, submitting: s.submitting, hasImage: Boolean(s.source), hasMask: s.maskOps.length > 0, prompt: s.prompt,
    editReason: editBlocker(editConditions(s)),
  }));
  const segments = diffWords(parsePrompt(prompt.sourcePrompt), parsePrompt(prompt.targetPrompt));
  const change = describeDiff(segments);
  const inpaintReason = !hasImage ? 'Open or generate an image to inpaint.' : !hasMask ? 'Paint a mask over the part to regenerate.' : null;
  return (
    <div className="run-bar" role="group" aria-label="Run">
      <div className="run-buttons">
        <button className="primary" disabled={submitting || !run.model} onClick={() => void runJob('generate', `Generate · ${prompt.targetPrompt.slice(0, 40)}`)} title={withShortcut('job.run', IS_MAC, 'Generate a new image from the edited prompt')} data-testid="run-generate">
          Generate
        </button>
        {/* aria-disabled, not disabled, when there is a reason: the button stays reachable by Tab and reads its reason. */}
        <button
          disabled={submitting || !run.model}
          aria-disabled={editReason !== null}
          onClick={() => editReason === null && void runJob('edit', `Edit · ${change}`)}
          title={editReason ?? `Prompt-to-prompt edit of ${hasImage ? 'the working image' : 'a new image from the seed'}: ${change}`}
          aria-describedby={editReason ? 'edit-reason' : undefined}
          data-testid="run-edit"
        >
          Edit
        </button>
        <button disabled={submitting || !run.model || inpaintReason !== null} onClick={() => void runJob('inpaint', 'Inpaint · masked region')} title={inpaintReason ?? 'Regenerate the masked region with the edited prompt'} data-testid="run-inpaint">
          Inpaint
        </button>
      </div>
      {editReason && (
        <p id="edit-reason" className="muted small run-reason" data-testid="edit-reason">
          {editReason}
        </p>
      )}
      <ProblemNote problem={runProblem} />
    </div>
  );
}
