/** The two sides of the canvas and what each one is, so the labels and the mask follow the working image. */
export interface CanvasLayers<L> {
  before: L;
  /** Drawn over `before`, clipped by the split; null when only the working image is shown. */
  after: L | null;
  /** The side the working image (the one Edit and Inpaint change, the mask's owner) is on. */
  working: 'before' | 'after';
  beforeLabel: string;
  afterLabel: string | null;
}

interface Named {
  name: string;
}

/**
 * A running job's preview, else a result shown beside the working image (pinned, or picked
 * in the history), else the image the working image was made from: the working image is
 * then the "after" side, since it is the newest result.
 */
export function canvasLayers<L extends Named>(source: L, result: L | null, origin: L | null, preview: (Named & { url: string }) | null): CanvasLayers<L | (Named & { url: string })> {
  const editing = `Editing: ${source.name}`;
  if (preview) return { before: source, after: preview, working: 'before', beforeLabel: editing, afterLabel: 'Running: live preview' };
  if (result) return { before: source, after: result, working: 'before', beforeLabel: editing, afterLabel: `Result: ${result.name}` };
  if (origin) return { before: origin, after: source, working: 'after', beforeLabel: `Made from: ${origin.name}`, afterLabel: `Result, now editing: ${source.name}` };
  return { before: source, after: null, working: 'before', beforeLabel: editing, afterLabel: null };
}
