import { useEffect, useId, useState } from 'react';
import { codeOf, hintFor } from '../../api/errorHints.ts';
import { urlToBlob } from '../../canvas/imageFiles.ts';
import { useStudioState } from '../StoreContext.ts';
import { ProblemNote } from '../ui/ProblemNote.tsx';
import { Slider } from '../ui/Slider.tsx';
import { Dialog } from './Dialog.tsx';

type Format = 'png' | 'jpeg' | 'webp';
const EXT: Record<Format, string> = { png: 'png', jpeg: 'jpg', webp: 'webp' };

function stamp(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

function joinPath(dir: string, name: string): string {
  const sep = dir.includes('\\') && !dir.includes('/') ? '\\' : '/';
  return dir.endsWith(sep) ? dir + name : `${dir}${sep}${name}`;
}

/** Export the shown image (the selected result, else the source) with its recipe; or copy it. */
export function ExportDialog({ open, onClose }: { open: boolean; onClose(): void }) {
  const ids = { path: useId() };
  const { result, source, settings, client } = useStudioState((s) => ({ result: s.result, source: s.source, settings: s.settings, client: s.connection.client }));
  const image = result ?? source;
  const [format, setFormat] = useState<Format>('png');
  const [quality, setQuality] = useState(92);
  const [path, setPath] = useState('');
  const [overwrite, setOverwrite] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<{ message: string; hint: string } | null>(null);

  useEffect(() => {
    if (open) {
      setDone(null);
      setProblem(null);
      setPath(joinPath(settings?.outputDir ?? '.', `latent-studio-${stamp()}.${EXT[format]}`));
    }
  }, [open]);

  const pickFormat = (f: Format): void => {
    setFormat(f);
    setPath((p) => p.replace(/\.(png|jpe?g|webp)$/i, `.${EXT[f]}`));
  };

  const doExport = async (): Promise<void> => {
    if (!image) return;
    setBusy(true);
    setProblem(null);
    try {
      const res = await client['images.export']({ image: image.input, path, format, quality, overwrite });
      setDone(`Saved ${res.path} (${Math.round(res.bytes / 1024)} KB)${result ? ', recipe embedded' : ''}.`);
    } catch (e) {
      setProblem({ message: (e as Error).message, hint: /exists/.test((e as Error).message) ? 'Choose another name or tick “Replace an existing file”.' : hintFor(codeOf(e)) });
    } finally {
      setBusy(false);
    }
  };

  const copy = async (): Promise<void> => {
    if (!image) return;
    try {
      const blob = await urlToBlob(image.url);
      const png = blob.type === 'image/png' ? blob : new Blob([await blob.arrayBuffer()], { type: 'image/png' });
      await navigator.clipboard.write([new ClipboardItem({ 'image/png': png })]);
      setDone('Copied to the clipboard.');
    } catch (e) {
      setProblem({ message: `Could not copy: ${(e as Error).message}`, hint: 'Export to a file instead, or allow clipboard access for this page.' });
    }
  };

  return (
    <Dialog open={open} title="Export" onClose={onClose} testId="export-dialog">
      {!image ? (
        <p className="muted">Nothing to export yet: open or generate an image.</p>
      ) : (
        <form
          className="dialog-body"
          onSubmit={(e) => {
            e.preventDefault();
            void doExport();
          }}
        >
          <p className="muted small">{result ? 'The selected result, with its full recipe in the file’s metadata.' : 'The source image (it has no recipe).'}</p>
          <fieldset className="segmented" aria-label="Format">
            <legend>Format</legend>
            {(['png', 'jpeg', 'webp'] as const).map((f) => (
              <label key={f} className={format === f ? 'active' : ''}>
                <input type="radio" name="format" value={f} checked={format === f} onChange={() => pickFormat(f)} />
                {f.toUpperCase()}
              </label>
            ))}
          </fieldset>
          {format !== 'png' && <Slider label="Quality" value={quality} min={1} max={100} onChange={setQuality} />}
          <div className="field">
            <label htmlFor={ids.path}>Save as (on the machine running the engine)</label>
            <input id={ids.path} type="text" value={path} onChange={(e) => setPath(e.target.value)} data-testid="export-path" spellCheck={false} />
          </div>
          <label className="check">
            <input type="checkbox" checked={overwrite} onChange={(e) => setOverwrite(e.target.checked)} /> Replace an existing file
          </label>
          <div className="dialog-actions">
            <button type="button" onClick={() => void copy()} title="Copy the image to the clipboard as PNG">
              Copy to clipboard
            </button>
            <button type="submit" className="primary" disabled={busy || !path} data-testid="export-confirm">
              {busy ? 'Exporting…' : 'Export'}
            </button>
          </div>
          {done && <p role="status" className="ok" data-testid="export-done">{done}</p>}
          <ProblemNote problem={problem} />
        </form>
      )}
    </Dialog>
  );
}
