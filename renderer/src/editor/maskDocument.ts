import type { BrushMode } from './brush.ts';
import { HistoryManager } from './history.ts';
import type { MaskOp, StrokeOp } from './mask.ts';

export interface MaskState {
  ops: readonly MaskOp[];
}

export interface BrushSettings {
  /** Diameter in image pixels. */
  size: number;
  /** 0 = soft (all feather), 1 = hard edge. */
  hardness: number;
}

/**
 * The mask being edited, as a history of small operations: a brush gesture appends one
 * stroke and grows it while the pointer moves, all inside one history gesture, so one
 * gesture is one undo step and the history holds strokes, never bitmaps.
 */
export class MaskDocument {
  readonly history = new HistoryManager<MaskState>({ ops: [] });
  private nextId = 1;
  private stroke: StrokeOp | null = null;

  get ops(): readonly MaskOp[] {
    return this.history.current.ops;
  }

  get drawing(): boolean {
    return this.stroke !== null;
  }

  beginStroke(mode: BrushMode, brush: BrushSettings, x: number, y: number): void {
    if (this.stroke) this.endStroke();
    this.history.startGesture(mode === 'paint' ? 'Paint mask' : 'Erase mask');
    this.stroke = { kind: 'stroke', id: this.nextId++, mode, size: brush.size, hardness: brush.hardness, points: [x, y] };
    this.history.change({ ops: [...this.ops, this.stroke] });
  }

  extendStroke(x: number, y: number): void {
    const s = this.stroke;
    if (!s) return;
    const n = s.points.length;
    // Sub-pixel moves add nothing visible and would only lengthen the stroke record.
    if (Math.hypot(x - s.points[n - 2], y - s.points[n - 1]) < 0.5) return;
    this.stroke = { ...s, points: [...s.points, x, y] };
    const ops = this.ops.slice(0, -1);
    ops.push(this.stroke);
    this.history.change({ ops });
  }

  endStroke(): void {
    if (!this.stroke) return;
    this.stroke = null;
    this.history.endGesture();
  }

  /** Escape while drawing: the stroke disappears without an undo entry. */
  cancelStroke(): void {
    if (!this.stroke) return;
    this.stroke = null;
    this.history.cancelGesture();
  }

  fill(): void {
    this.push({ kind: 'fill' }, 'Fill mask');
  }

  clear(): void {
    if (this.ops.length === 0) return;
    this.push({ kind: 'clear' }, 'Clear mask');
  }

  invert(): void {
    this.push({ kind: 'invert' }, 'Invert mask');
  }

  /** Adds a word's attention map (values 0–255, any resolution) to the mask. */
  addMap(width: number, height: number, data: Uint8Array): void {
    this.push({ kind: 'stamp', id: this.nextId++, width, height, data }, 'Mask from attention');
  }

  undo(): boolean {
    this.endStroke();
    return this.history.undo();
  }

  redo(): boolean {
    this.endStroke();
    return this.history.redo();
  }

  /** A new image: an empty mask and an empty history. */
  reset(): void {
    this.stroke = null;
    this.history.change({ ops: [] }, 'reset', { record: false });
    this.history.clear();
  }

  private push(op: MaskOp, label: string): void {
    this.endStroke();
    this.history.change({ ops: [...this.ops, op] }, label);
  }
}
