import { useEffect, useRef, useState, type PointerEvent as ReactPointerEvent } from 'react';
import { onCommand } from '../../commands.ts';
import { canvasLayers } from '../../editor/canvasLayers.ts';
import { actualSizeViewport, fitViewport, panBy, pinchFactor, toImage, wheelZoomFactor, zoomAt, type Viewport } from '../../editor/viewport.ts';
import type { StudioState } from '../../state/store.ts';
import { useStudioState, useStudioStore } from '../StoreContext.ts';
import { EmptyCanvas } from './EmptyCanvas.tsx';
import { SplitHandle } from './SplitHandle.tsx';
import { useMaskOverlay } from './useMaskOverlay.ts';

/** The newest running job's preview: shown as "after" while the job runs. */
function livePreview(s: StudioState): string | undefined {
  for (const id of s.jobOrder) {
    const j = s.jobs[id];
    if (j.state === 'running' && j.preview) return j.preview;
  }
  return undefined;
}

function isTextTarget(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  return Boolean(el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName)));
}

type Drag = { kind: 'pan'; lastX: number; lastY: number } | { kind: 'stroke' } | null;

export function CanvasView() {
  const store = useStudioStore();
  const { source, result, origin, compareView, split, swapped, tool, brushSize, overlayOpacity, maskVisible, preview, heatMap } = useStudioState((s) => ({
    source: s.source, result: s.result, origin: s.origin, compareView: s.compareView, split: s.split, swapped: s.swapped, tool: s.tool, brushSize: s.brushSize,
    overlayOpacity: s.overlayOpacity, maskVisible: s.maskVisible, preview: livePreview(s), heatMap: s.heatMap,
  }));
  const stageRef = useRef<HTMLDivElement>(null);
  const maskRef = useRef<HTMLCanvasElement>(null);
  const cursorRef = useRef<HTMLDivElement>(null);
  const [stage, setStage] = useState({ w: 0, h: 0 });
  const [view, setViewState] = useState<Viewport>({ scale: 1, x: 0, y: 0 });
  // Fitted until the user zooms or pans: a fitted view follows the window's size.
  const fitted = useRef(true);
  const setView = (next: Viewport | ((v: Viewport) => Viewport)): void => {
    fitted.current = false;
    setViewState(next);
  };
  const fit = (): void => {
    fitted.current = true;
    setViewState(fitViewport(width, height, stage.w, stage.h));
  };
  const [spaceHeld, setSpaceHeld] = useState(false);
  const drag = useRef<Drag>(null);
  const touches = useRef(new Map<number, { x: number; y: number }>());
  const pinchDistance = useRef(0);
  const width = source?.width ?? 0;
  const height = source?.height ?? 0;

  useMaskOverlay(store, maskRef, width, height);

  useEffect(() => {
    const el = stageRef.current;
    if (!el) return;
    const ro = new ResizeObserver(([entry]) => setStage({ w: entry.contentRect.width, h: entry.contentRect.height }));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // A new image starts fitted; a resized window re-fits it unless the user zoomed or panned.
  useEffect(() => {
    fitted.current = true;
  }, [source?.url]);
  useEffect(() => {
    if (width && stage.w && fitted.current) fit();
  }, [source?.url, width, height, stage.w, stage.h]);

  useEffect(
    () =>
      onCommand((id) => {
        if (!width) return;
        const cx = stage.w / 2;
        const cy = stage.h / 2;
        if (id === 'view.fit') fit();
        else if (id === 'view.actual') setView(actualSizeViewport(width, height, stage.w, stage.h));
        else if (id === 'view.zoomIn') setView((v) => zoomAt(v, 1.25, cx, cy));
        else if (id === 'view.zoomOut') setView((v) => zoomAt(v, 0.8, cx, cy));
      }),
    [width, height, stage.w, stage.h],
  );

  // Space held = temporary hand tool, as in image editors.
  useEffect(() => {
    const down = (e: KeyboardEvent): void => {
      if (e.code === 'Space' && !isTextTarget(e.target) && !e.repeat) {
        setSpaceHeld(true);
        e.preventDefault();
      }
      if (e.key === 'Escape' && drag.current?.kind === 'stroke') {
        store.getState().maskDoc.cancelStroke();
        drag.current = null;
      }
    };
    const up = (e: KeyboardEvent): void => {
      if (e.code === 'Space') setSpaceHeld(false);
    };
    window.addEventListener('keydown', down);
    window.addEventListener('keyup', up);
    return () => {
      window.removeEventListener('keydown', down);
      window.removeEventListener('keyup', up);
    };
  }, [store]);

  // Wheel zoom needs a non-passive listener to keep the page from scrolling.
  useEffect(() => {
    const el = stageRef.current;
    if (!el) return;
    const onWheel = (e: WheelEvent): void => {
      e.preventDefault();
      const r = el.getBoundingClientRect();
      setView((v) => zoomAt(v, wheelZoomFactor(e.deltaY, e.deltaMode, e.ctrlKey), e.clientX - r.left, e.clientY - r.top));
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, []);

  const local = (e: { clientX: number; clientY: number }): [number, number] => {
    const r = stageRef.current!.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  };

  const moveCursor = (sx: number, sy: number): void => {
    const c = cursorRef.current;
    if (!c) return;
    const d = brushSize * view.scale;
    c.style.display = 'block';
    c.style.transform = `translate(${sx - d / 2}px, ${sy - d / 2}px)`;
    c.style.width = c.style.height = `${d}px`;
  };

  const onPointerDown = (e: ReactPointerEvent<HTMLDivElement>): void => {
    if (!source) return;
    e.currentTarget.focus();
    const [sx, sy] = local(e);
    if (e.pointerType === 'touch') {
      touches.current.set(e.pointerId, { x: sx, y: sy });
      if (touches.current.size === 2) {
        // Second finger: a pinch, not a stroke.
        if (drag.current?.kind === 'stroke') store.getState().maskDoc.cancelStroke();
        const [a, b] = [...touches.current.values()];
        pinchDistance.current = Math.hypot(a.x - b.x, a.y - b.y);
        drag.current = { kind: 'pan', lastX: (a.x + b.x) / 2, lastY: (a.y + b.y) / 2 };
        return;
      }
    }
    e.currentTarget.setPointerCapture(e.pointerId);
    if (e.button === 1 || spaceHeld || tool === 'pan') {
      e.preventDefault();
      drag.current = { kind: 'pan', lastX: sx, lastY: sy };
      return;
    }
    if (e.button !== 0) return;
    const [ix, iy] = toImage(view, sx, sy);
    const s = store.getState();
    s.maskDoc.beginStroke(tool === 'eraser' ? 'erase' : 'paint', { size: s.brushSize, hardness: s.hardness }, ix, iy);
    drag.current = { kind: 'stroke' };
  };

  const onPointerMove = (e: ReactPointerEvent<HTMLDivElement>): void => {
    const [sx, sy] = local(e);
    moveCursor(sx, sy);
    const d = drag.current;
    if (!d) return;
    if (e.pointerType === 'touch' && touches.current.has(e.pointerId)) {
      touches.current.set(e.pointerId, { x: sx, y: sy });
      if (touches.current.size === 2 && d.kind === 'pan') {
        const [a, b] = [...touches.current.values()];
        const mx = (a.x + b.x) / 2;
        const my = (a.y + b.y) / 2;
        const dist = Math.hypot(a.x - b.x, a.y - b.y);
        const factor = pinchFactor(pinchDistance.current, dist);
        pinchDistance.current = dist;
        setView((v) => zoomAt(panBy(v, mx - d.lastX, my - d.lastY), factor, mx, my));
        drag.current = { kind: 'pan', lastX: mx, lastY: my };
        return;
      }
    }
    if (d.kind === 'pan') {
      setView((v) => panBy(v, sx - d.lastX, sy - d.lastY));
      drag.current = { kind: 'pan', lastX: sx, lastY: sy };
      return;
    }
    // Coalesced events keep fast strokes smooth without a render per sample.
    const samples = e.nativeEvent.getCoalescedEvents?.() ?? [e.nativeEvent];
    const doc = store.getState().maskDoc;
    for (const p of samples.length ? samples : [e.nativeEvent]) {
      const [ix, iy] = toImage(view, ...local(p));
      doc.extendStroke(ix, iy);
    }
  };

  const onPointerUp = (e: ReactPointerEvent<HTMLDivElement>): void => {
    touches.current.delete(e.pointerId);
    if (drag.current?.kind === 'stroke') store.getState().maskDoc.endStroke();
    if (touches.current.size < 2) drag.current = null;
  };

  const onKeyDown = (e: React.KeyboardEvent<HTMLDivElement>): void => {
    const step = 40;
    const moves: Record<string, [number, number]> = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
    const m = moves[e.key];
    if (m) {
      setView((v) => panBy(v, m[0], m[1]));
      e.preventDefault();
    }
  };

  const layers = source ? canvasLayers(source, result, origin, preview ? { url: preview, name: 'preview' } : null) : null;
  const after = layers?.after?.url;
  const showAfter = Boolean(after) && compareView !== 'before';
  const showSplit = Boolean(after) && compareView === 'split';
  // Before is left of the divider and after right of it, unless swapped (X).
  const rightSide = `inset(0 0 0 ${split * 100}%)`;
  const leftSide = `inset(0 ${(1 - split) * 100}% 0 0)`;
  const clip = showSplit ? (swapped ? leftSide : rightSide) : 'none';
  // The mask belongs to the working image: drawn on its side only.
  const workingAfter = layers?.working === 'after';
  const maskClip = showSplit
    ? (swapped !== workingAfter ? rightSide : leftSide)
    : after && (compareView === 'after') !== workingAfter ? 'inset(0 100% 0 0)' : 'none';
  const shownLabel = showAfter ? layers?.afterLabel : layers?.beforeLabel;
  const panning = spaceHeld || tool === 'pan' || drag.current?.kind === 'pan';
  const layerStyle = { width, height, transform: `translate(${view.x}px, ${view.y}px) scale(${view.scale})` };
  const pixelated = view.scale >= 2 ? ' pixelated' : '';

  return (
    <div
      ref={stageRef}
      className={`stage${panning ? ' panning' : ''}${source && !panning ? ' painting' : ''}`}
      data-testid="canvas-stage"
      tabIndex={0}
      aria-label="Image canvas. Paint the mask with the brush (B) or eraser (E); hold Space and drag, or use the arrow keys, to pan; wheel to zoom."
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerCancel={onPointerUp}
      onPointerLeave={() => cursorRef.current && (cursorRef.current.style.display = 'none')}
      onKeyDown={onKeyDown}
    >
      {!source && <EmptyCanvas />}
      {source && <div className="image-frame" style={{ left: view.x, top: view.y, width: width * view.scale, height: height * view.scale }} aria-hidden="true" />}
      {source && (
        <div className={`layers${pixelated}`} style={layerStyle}>
          <img className="layer" src={layers!.before.url} alt={layers!.beforeLabel} draggable={false} style={{ width, height }} data-testid="layer-before" data-working={!workingAfter} />
          {showAfter && <img className="layer" src={after} alt={layers!.afterLabel ?? ''} draggable={false} style={{ clipPath: clip, width, height }} data-testid="layer-after" data-working={workingAfter} />}
          {heatMap && <img className="layer heat" src={heatMap} alt="Attention heat map of the hovered word" draggable={false} style={{ width, height, filter: `blur(${Math.max(1, width / 40)}px)` }} />}
          <canvas ref={maskRef} className="layer mask" width={width} height={height} style={{ opacity: maskVisible ? overlayOpacity : 0, clipPath: maskClip }} data-testid="mask-canvas" aria-hidden="true" />
        </div>
      )}
      {source && showSplit && (
        <SplitHandle
          left={view.x + split * width * view.scale}
          top={Math.max(0, view.y)}
          height={Math.min(stage.h, height * view.scale)}
          split={split}
          imageLeft={view.x}
          imageWidth={width * view.scale}
          onChange={(v) => store.getState().setCompare({ split: v })}
        />
      )}
      {layers && showSplit && (
        <>
          <span className="corner-label left" data-testid={swapped ? 'canvas-label-after' : 'canvas-label-before'}>{swapped ? layers.afterLabel : layers.beforeLabel}</span>
          <span className="corner-label right" data-testid={swapped ? 'canvas-label-before' : 'canvas-label-after'}>{swapped ? layers.beforeLabel : layers.afterLabel}</span>
        </>
      )}
      {layers && !showSplit && <span className="corner-label left" data-testid={showAfter ? 'canvas-label-after' : 'canvas-label-before'}>{shownLabel}</span>}
      {source && <div ref={cursorRef} className="brush-cursor" aria-hidden="true" />}
      {source && <span className="zoom-readout" aria-live="polite">{Math.round(view.scale * 100)}%</span>}
    </div>
  );
}
