import { desktopShell } from '../../api/shell.ts';
import { issueCommand } from '../../commands.ts';
import { describeImagePrompts } from '../../editor/imagePrompt.ts';
import { describeLocalBlend } from '../../editor/recipe.ts';
import { describeStylize } from '../../editor/stylize.ts';
import type { ResultEntry } from '../../state/resultsSlice.ts';
import { useStudioState } from '../StoreContext.ts';

const KIND_LABEL: Record<string, string> = { generate: 'Generated', edit: 'Edited', inpaint: 'Inpainted', img2img: 'Image to image', stylize: 'Stylized' };

/** One line of the selected result's recipe, shown beside its actions. */
function recipeLine(r: ResultEntry): string {
  const q = r.request;
  const parts = [
    q.sampler ? String(q.sampler).toUpperCase() : null,
    q.steps !== undefined ? `${q.steps} steps` : null,
    q.cfg !== undefined ? `guidance ${q.cfg}` : null,
    r.kind === 'stylize' ? null : `seed ${q.seed ?? r.seed ?? '?'}`,
    `${r.width}×${r.height}`,
    q.tokenMerging ? `ToMe ${Math.round(((q.tokenMerging as { ratio: number }).ratio ?? 0) * 100)}%` : null,
    q.strength !== undefined && r.kind === 'inpaint' ? `strength ${q.strength}` : null,
    r.kind === 'edit' ? describeLocalBlend(q) : null,
    describeImagePrompts(q),
    r.kind === 'stylize' ? describeStylize(q) : null,
  ];
  return parts.filter(Boolean).join(' · ');
}

function recipeSummary(r: ResultEntry): string {
  const q = r.request;
  const prompt = (q.targetPrompt ?? q.prompt ?? '') as string;
  if (r.kind === 'stylize') return [`${KIND_LABEL.stylize}: ${describeStylize(q)}, ${q.steps ?? ''} steps`, `${r.width}×${r.height}`].join('\n');
  return [`${KIND_LABEL[r.kind] ?? r.kind}: “${prompt}”`, describeImagePrompts(q), `${q.sampler ?? ''} ${q.steps ?? ''} steps, guidance ${q.cfg ?? ''}, seed ${q.seed ?? r.seed ?? '?'}`, `${r.width}×${r.height}`].filter(Boolean).join('\n');
}

/**
 * Drag a thumbnail out to the desktop as a PNG: Electron writes the file (with its recipe)
 * and starts a native drag; in the browser a DownloadURL lets Chromium do the same.
 */
function onDragStart(e: React.DragEvent<HTMLImageElement>, r: ResultEntry): void {
  const shell = desktopShell();
  if (shell) {
    e.preventDefault();
    shell.startDrag(r.imageId);
    return;
  }
  const absolute = new URL(r.url, location.href).href;
  if (absolute.startsWith('http')) e.dataTransfer.setData('DownloadURL', `image/png:latent-studio-${r.imageId.slice(0, 8)}.png:${absolute}`);
  e.dataTransfer.setData('text/uri-list', absolute);
}

/** Every result with its recipe; view, compare, restore settings or continue from one. */
export function HistoryStrip() {
  const { results, resultId, opened, editingOpened, setSource, viewResult, restoreResult, continueFrom, setCompare } = useStudioState((s) => ({
    results: s.results, resultId: s.resultId, opened: s.opened, editingOpened: Boolean(s.opened && s.source === s.opened), setSource: s.setSource,
    viewResult: s.viewResult, restoreResult: s.restoreResult, continueFrom: s.continueFrom, setCompare: s.setCompare,
  }));
  const selected = results.find((r) => r.imageId === resultId);
  return (
    <section className="history" aria-labelledby="history-heading">
      <div className="history-head">
        <h2 id="history-heading">History</h2>
        {selected ? (
          <div className="history-actions" role="group" aria-label="Selected result">
            <button className="small" onClick={() => setCompare({ compareView: 'after' })} title="Show this result alone">View</button>
            <button className="small" onClick={() => setCompare({ compareView: 'split' })} title="Compare with the source, split view (X swaps)" data-testid="history-compare">Compare</button>
            <button className="small" onClick={() => restoreResult(selected.imageId)} title="Put this result's prompts and settings back into the editor" data-testid="history-restore">Restore settings</button>
            <button className="small" onClick={() => continueFrom(selected.imageId)} title="Make this result the image you edit next" data-testid="history-continue">Continue from here</button>
            <button className="small" onClick={() => issueCommand('file.export')} title="Export this result with its recipe">Export…</button>
            <span className="muted small recipe-line" title={recipeSummary(selected)} data-testid="recipe-line">{recipeLine(selected)}</span>
          </div>
        ) : (
          <span className="muted small">{results.length ? 'Select a result to compare, restore or continue from it.' : 'Results appear here with their full recipe. Undo never removes them.'}</span>
        )}
      </div>
      <ol className="history-strip" aria-label="Results">
        {opened && (
          <li className={`thumb source${editingOpened ? ' selected' : ''}`} title={`Source: ${opened.name}`}>
            <button className="thumb-button" onClick={() => !editingOpened && setSource(opened)} aria-pressed={editingOpened} aria-label={`Opened image ${opened.name}: edit it again`} data-testid="history-opened">
              <img src={opened.url} alt="" draggable={false} />
              <span className="thumb-label">Source</span>
            </button>
          </li>
        )}
        {results.map((r, i) => (
          <li key={r.imageId} className={`thumb${r.imageId === resultId ? ' selected' : ''}`}>
            <button className="thumb-button" onClick={() => viewResult(r.imageId)} aria-pressed={r.imageId === resultId} title={recipeSummary(r)} data-testid="history-item" aria-label={`Result ${i + 1}: ${recipeSummary(r)}`}>
              <img src={r.url} alt="" draggable onDragStart={(e) => onDragStart(e, r)} />
              <span className="thumb-label">{KIND_LABEL[r.kind] ?? r.kind} {i + 1}</span>
            </button>
          </li>
        ))}
      </ol>
    </section>
  );
}
