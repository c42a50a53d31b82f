import { IS_MAC } from '../../commands.ts';
import { describeDiff, diffWords } from '../../editor/promptDiff.ts';
import { parsePrompt } from '../../editor/promptWords.ts';
import { withShortcut } from '../../editor/shortcuts.ts';
import { useStudioState } from '../StoreContext.ts';
import { ProblemNote } from '../ui/ProblemNote.tsx';

/** Generate, Edit and Inpaint, always in view at the foot of the sidebar, with any problem starting a run. */
export function RunBar() {
  // A boolean, not the ops: the bar must not re-render on every pointer move of a stroke.
  const { run, runJob, runProblem, submitting, hasImage, hasMask, prompt } = useStudioState((s) => ({
    run: s.run, runJob: s.runJob, runProblem: s.runProblem, submitting: s.submitting, hasImage: Boolean(s.source), hasMask: s.maskOps.length > 0, prompt: s.prompt,
  }));
  const change = describeDiff(diffWords(parsePrompt(prompt.sourcePrompt), parsePrompt(prompt.targetPrompt)));
  return (
    <div className="run-bar" role="group" aria-label="Run">
      <div className="run-buttons">
        <button className="primary" disabled={submitting || !run.model} onClick={() => void runJob('generate', `Generate · ${prompt.targetPrompt.slice(0, 40)}`)} title={withShortcut('job.run', IS_MAC, 'Generate a new image from the edited prompt')} data-testid="run-generate">
          Generate
        </button>
        <button disabled={submitting || !run.model} onClick={() => void runJob('edit', `Edit · ${change}`)} title={`Prompt-to-prompt edit of the source: ${change}`} data-testid="run-edit">
          Edit
        </button>
        <button disabled={submitting || !run.model || !hasImage || !hasMask} onClick={() => void runJob('inpaint', 'Inpaint · masked region')} title={hasMask ? 'Regenerate the masked region with the edited prompt' : 'Paint a mask first'} data-testid="run-inpaint">
          Inpaint
        </button>
      </div>
      <ProblemNote problem={runProblem} />
    </div>
  );
}
