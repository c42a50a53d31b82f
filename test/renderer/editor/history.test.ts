import { describe, expect, it } from 'vitest';
import { HistoryManager } from '../../../renderer/src/editor/history.ts';

describe('history manager', () => {
  it('records diffs and undoes/redoes them', () => {
    const h = new HistoryManager({ a: 1, b: 'x' });
    h.change({ a: 2 }, 'set a');
    h.change({ b: 'y' }, 'set b');
    expect(h.undoLabels).toEqual(['set a', 'set b']);
    h.undo();
    expect(h.current).toEqual({ a: 2, b: 'x' });
    h.undo();
    expect(h.current).toEqual({ a: 1, b: 'x' });
    expect(h.undo()).toBe(false);
    h.redo();
    expect(h.current).toEqual({ a: 2, b: 'x' });
  });

  it('squashes a gesture into one entry and drops a gesture that changed nothing', () => {
    const h = new HistoryManager({ a: 0 });
    h.startGesture('drag');
    for (let i = 1; i <= 10; i++) h.change({ a: i });
    h.endGesture();
    expect(h.undoLabels).toEqual(['drag']);
    h.startGesture('noop');
    h.change({ a: 99 });
    h.change({ a: 10 });
    h.endGesture();
    expect(h.undoLabels).toEqual(['drag']);
    h.undo();
    expect(h.current.a).toBe(0);
  });

  it('unrecorded changes (engine results, view state) never enter the history', () => {
    const h = new HistoryManager({ a: 0, result: '' });
    h.change({ a: 1 });
    h.change({ result: 'img' }, 'engine', { record: false });
    expect(h.undoLabels).toHaveLength(1);
    h.undo();
    expect(h.current).toEqual({ a: 0, result: 'img' });
  });

  it('a new change clears the redo stack', () => {
    const h = new HistoryManager({ a: 0 });
    h.change({ a: 1 });
    h.undo();
    h.change({ a: 2 });
    expect(h.canRedo).toBe(false);
  });
});
