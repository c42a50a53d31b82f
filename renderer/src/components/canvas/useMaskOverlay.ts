import { useEffect, type RefObject } from 'react';
import type { StoreApi } from 'zustand/vanilla';
import { MaskRaster, maskOverlayRgba } from '../../editor/mask.ts';
import type { StudioState } from '../../state/store.ts';

/**
 * Keeps the overlay canvas equal to the mask. Runs outside React rendering: the store
 * subscription re-rasterises only what the last change touched (a growing stroke restamps
 * its newest segment) and uploads just that rectangle.
 */
export function useMaskOverlay(store: StoreApi<StudioState>, canvasRef: RefObject<HTMLCanvasElement | null>, width: number, height: number): void {
  useEffect(() => {
    const canvas = canvasRef.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx || width < 1 || height < 1) return;
    const raster = new MaskRaster(width, height);
    ctx.clearRect(0, 0, width, height);
    const draw = (): void => {
      const dirty = raster.sync(store.getState().maskOps);
      if (!dirty) return;
      const w = dirty.x1 - dirty.x0;
      const h = dirty.y1 - dirty.y0;
      if (w < 1 || h < 1) return;
      ctx.putImageData(new ImageData(maskOverlayRgba(raster, dirty) as Uint8ClampedArray<ArrayBuffer>, w, h), dirty.x0, dirty.y0);
    };
    draw();
    let last = store.getState().maskOps;
    return store.subscribe((s) => {
      if (s.maskOps === last) return;
      last = s.maskOps;
      draw();
    });
  }, [store, canvasRef, width, height]);
}
