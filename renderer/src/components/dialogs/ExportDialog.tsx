import { useEffect, useId, useState } from 'react';
import { codeOf, hintFor } from '../../api/errorHints.ts';
import { downloadBase64 } from '../../canvas/download.ts';
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

/**
 * Export the shown image (the selected result, else the working image) with its recipe; or
 * copy it. In the desktop app the file is written where the user says; in the browser the
 * engine may run on another machine, so the file is downloaded to the user instead.
 */
export function ExportDialog({ open, onClose }: { open: boolean; onClose(): void }) {
  const ids = { path: useId() };
  const { result, source, settings, client, browser, recipe } = useStudioState((s) => ({
    result: s.result, source: s.source, settings: s.settings, client: s.connection.client, browser: s.connection.transport === 'http',
    recipe: Boolean(s.result ?? (s.source && 'imageId' in s.source.input)),
  }));
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
      const name = `latent-studio-${stamp()}.${EXT[format]}`;
      setPath(browser ? name : joinPath(settings?.outputDir ?? '.', name));
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
      if (browser) {
        const res = await client['images.encode']({ image: image.input, format, quality });
        const name = path.split(/[\\/]/).pop() || `latent-studio.${EXT[format]}`;
        downloadBase64(res.base64, res.mime, name);
        setDone(`Downloaded ${name} (${Math.round(res.bytes / 1024)} KB)${recipe ? ', recipe embedded' : ''}.`);
        return;
      }
      const res = await client['images.export']({ image: image.input, path, format, quality, overwrite });
      setDone(`Saved ${res.path} (${Math.round(res.bytes / 1024)} KB)${recipe ? ', recipe embedded' : ''}.`);
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
          <p className="muted small">{recipe ? 'The shown result, with its full recipe in the file’s metadata.' : 'The opened image (it has no recipe).'}</p>
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
            <label htmlFor={ids.path}>{browser ? 'File name (downloaded by your browser)' : 'Save as'}</label>
            <input id={ids.path} type="text" value={path} onChange={(e) => setPath(e.target.value)} data-testid="export-path" spellCheck={false} />
          </div>
          {!browser && (
            <label className="check">
              <input type="checkbox" checked={overwrite} onChange={(e) => setOverwrite(e.target.checked)} /> Replace an existing file
            </label>
          )}
          <div className="dialog-actions">
            <button type="button" onClick={() => void copy()} title="Copy the image to the clipboard as PNG">
              Copy to clipboard
            </button>
            <button type="submit" className="primary" disabled={busy || !path} data-testid="export-confirm">
              {busy ? 'Exporting…' : browser ? 'Download' : 'Export'}
            </button>
          </div>
          {done && <p role="status" className="ok" data-testid="export-done">{done}</p>}
          <ProblemNote problem={problem} />
        </form>
      )}
    </Dialog>
  );
}
