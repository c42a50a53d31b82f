import { describe, expect, it } from 'vitest';
import { MaskRaster, maskCoverage, rasterizeMask } from '../../../renderer/src/editor/mask.ts';
import { MaskDocument } from '../../../renderer/src/editor/maskDocument.ts';

const brush = { size: 8, hardness: 1 };

function paintLine(doc: MaskDocument, mode: 'paint' | 'erase', y: number, x0 = 4, x1 = 60): void {
  doc.beginStroke(mode, brush, x0, y);
  for (let x = x0 + 2; x <= x1; x += 2) doc.extendStroke(x, y);
  doc.endStroke();
}

describe('mask document: strokes and history', () => {
  it('one gesture is one undo step, however many pointer moves it had', () => {
    const doc = new MaskDocument();
    paintLine(doc, 'paint', 10);
    paintLine(doc, 'paint', 30);
    expect(doc.history.undoLabels).toEqual(['Paint mask', 'Paint mask']);
    expect(doc.ops).toHaveLength(2);
    doc.undo();
    expect(doc.ops).toHaveLength(1);
    doc.redo();
    expect(doc.ops).toHaveLength(2);
  });

  it('stores strokes, not bitmaps, in the history', () => {
    const doc = new MaskDocument();
    paintLine(doc, 'paint', 10);
    const op = doc.ops[0];
    expect(op.kind).toBe('stroke');
    expect(JSON.stringify(doc.history.undoLabels)).not.toContain('data');
    if (op.kind === 'stroke') expect(op.points.length).toBeLessThan(64);
  });

  it('undo and redo of strokes restore the exact pixels', () => {
    const doc = new MaskDocument();
    paintLine(doc, 'paint', 10);
    const one = rasterizeMask(doc.ops, 64, 64).data.slice();
    paintLine(doc, 'paint', 40);
    const two = rasterizeMask(doc.ops, 64, 64).data.slice();
    doc.undo();
    expect(rasterizeMask(doc.ops, 64, 64).data).toEqual(one);
    doc.redo();
    expect(rasterizeMask(doc.ops, 64, 64).data).toEqual(two);
  });

  it('erase, fill, invert, clear act on the mask and are undoable', () => {
    const doc = new MaskDocument();
    doc.fill();
    expect(maskCoverage(rasterizeMask(doc.ops, 32, 32))).toBe(1);
    paintLine(doc, 'erase', 16, 0, 32);
    const erased = maskCoverage(rasterizeMask(doc.ops, 32, 32));
    expect(erased).toBeLessThan(1);
    doc.invert();
    expect(maskCoverage(rasterizeMask(doc.ops, 32, 32))).toBeCloseTo(1 - erased, 2);
    doc.clear();
    expect(maskCoverage(rasterizeMask(doc.ops, 32, 32))).toBe(0);
    doc.undo();
    expect(maskCoverage(rasterizeMask(doc.ops, 32, 32))).toBeCloseTo(1 - erased, 2);
  });

  it('cancelling a stroke leaves no trace and no undo entry', () => {
    const doc = new MaskDocument();
    doc.beginStroke('paint', brush, 5, 5);
    doc.extendStroke(20, 5);
    doc.cancelStroke();
    expect(doc.ops).toHaveLength(0);
    expect(doc.history.canUndo).toBe(false);
  });

  it('an attention map becomes mask pixels at image resolution and can be painted over', () => {
    const doc = new MaskDocument();
    const map = new Uint8Array(4 * 4);
    map[0] = 255; // top-left cell hot
    doc.addMap(4, 4, map);
    const m = rasterizeMask(doc.ops, 64, 64);
    expect(m.data[0]).toBe(255);
    expect(m.data[63 * 64 + 63]).toBe(0);
    paintLine(doc, 'paint', 60);
    expect(rasterizeMask(doc.ops, 64, 64).data[60 * 64 + 30]).toBe(255);
    doc.undo();
    doc.undo();
    expect(doc.ops).toHaveLength(0);
  });

  it('the incremental raster matches a full replay while a stroke grows', () => {
    const doc = new MaskDocument();
    const raster = new MaskRaster(64, 64);
    doc.beginStroke('paint', { size: 10, hardness: 0.3 }, 5, 5);
    for (let i = 1; i < 20; i++) {
      doc.extendStroke(5 + i * 3, 5 + i * 2);
      raster.sync(doc.ops);
    }
    doc.endStroke();
    expect(raster.data).toEqual(rasterizeMask(doc.ops, 64, 64).data);
    doc.reset();
    expect(doc.ops).toHaveLength(0);
    expect(doc.history.canUndo).toBe(false);
  });
});
