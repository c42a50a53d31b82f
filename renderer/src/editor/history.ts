/**
 * Undo history as diffs of a plain record, after tldraw's HistoryManager: every recorded
 * change stores only the fields it touched (before → after); changes made during a gesture
 * (between `startGesture` and `endGesture`) squash into ONE undo entry; changes made with
 * `{ record: false }` (engine results, view state) never enter the history at all.
 */
export type Diff<S> = { [K in keyof S]?: { from: S[K]; to: S[K] } };

export interface HistoryEntry<S> {
  label: string;
  diff: Diff<S>;
}

export interface ChangeOptions {
  /** false: apply without an undo entry (engine results, selection). Default true. */
  record?: boolean;
}

export class HistoryManager<S extends object> {
  private state: S;
  private readonly undos: HistoryEntry<S>[] = [];
  private redos: HistoryEntry<S>[] = [];
  private gesture: HistoryEntry<S> | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(initial: S, private readonly limit = 500) {
    this.state = initial;
  }

  get current(): S {
    return this.state;
  }

  get canUndo(): boolean {
    return this.undos.length > 0 || (this.gesture !== null && hasKeys(this.gesture.diff));
  }

  get canRedo(): boolean {
    return this.redos.length > 0;
  }

  /** Labels of the undo stack, oldest first (for tests and a history menu). */
  get undoLabels(): string[] {
    return this.undos.map((e) => e.label);
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Applies a patch. Recorded changes outside a gesture become their own entry. */
  change(patch: Partial<S>, label = 'change', options: ChangeOptions = {}): void {
    const keys = (Object.keys(patch) as (keyof S)[]).filter((k) => patch[k] !== this.state[k]);
    if (!keys.length) return;
    const next = { ...this.state };
    const diff: Diff<S> = {};
    for (const k of keys) {
      diff[k] = { from: this.state[k], to: patch[k] as S[keyof S] };
      next[k] = patch[k] as S[keyof S];
    }
    this.state = next;
    if (options.record !== false) {
      if (this.gesture) mergeInto(this.gesture.diff, diff);
      else this.push({ label, diff });
    }
    this.emit();
  }

  /** Opens a gesture: every recorded change until `endGesture` is one undo step. */
  startGesture(label: string): void {
    if (this.gesture) this.endGesture();
    this.gesture = { label, diff: {} };
  }

  endGesture(): void {
    const g = this.gesture;
    this.gesture = null;
    if (g && hasKeys(g.diff)) this.push(g);
  }

  /** Drops a gesture's changes (Escape mid-stroke): the state returns to where it began. */
  cancelGesture(): void {
    const g = this.gesture;
    this.gesture = null;
    if (g && hasKeys(g.diff)) {
      this.state = revert(this.state, g.diff);
      this.emit();
    }
  }

  get inGesture(): boolean {
    return this.gesture !== null;
  }

  undo(): boolean {
    this.endGesture();
    const entry = this.undos.pop();
    if (!entry) return false;
    this.state = revert(this.state, entry.diff);
    this.redos.push(entry);
    this.emit();
    return true;
  }

  redo(): boolean {
    this.endGesture();
    const entry = this.redos.pop();
    if (!entry) return false;
    this.state = apply(this.state, entry.diff);
    this.undos.push(entry);
    this.emit();
    return true;
  }

  /** Forgets every entry (a new document). */
  clear(): void {
    this.undos.length = 0;
    this.redos = [];
    this.gesture = null;
    this.emit();
  }

  private push(entry: HistoryEntry<S>): void {
    this.undos.push(entry);
    if (this.undos.length > this.limit) this.undos.shift();
    this.redos = [];
  }

  private emit(): void {
    for (const l of this.listeners) l();
  }
}

function hasKeys(diff: object): boolean {
  return Object.keys(diff).length > 0;
}

/** Squashes `later` into `earlier`: the first `from` and the last `to` of each field. */
function mergeInto<S>(earlier: Diff<S>, later: Diff<S>): void {
  for (const k of Object.keys(later) as (keyof S)[]) {
    const prev = earlier[k];
    earlier[k] = prev ? { from: prev.from, to: later[k]!.to } : later[k];
    if (earlier[k]!.from === earlier[k]!.to) delete earlier[k];
  }
}

function apply<S>(state: S, diff: Diff<S>): S {
  const next = { ...state };
  for (const k of Object.keys(diff) as (keyof S)[]) next[k] = diff[k]!.to;
  return next;
}

function revert<S>(state: S, diff: Diff<S>): S {
  const next = { ...state };
  for (const k of Object.keys(diff) as (keyof S)[]) next[k] = diff[k]!.from;
  return next;
}
