import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeBytesAtomicallySync } from '../engine/safetensors/atomicWrite.ts';

/** Where the window was, so the studio reopens in the same place and size. */
export interface WindowState {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const DEFAULT_WINDOW: WindowState = { width: 1400, height: 900, maximized: false };
const MIN = { width: 900, height: 600 };

export function readWindowState(file: string): WindowState {
  try {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<WindowState>;
    const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
    if (!num(raw.width) || !num(raw.height)) return DEFAULT_WINDOW;
    return {
      width: raw.width,
      height: raw.height,
      maximized: raw.maximized === true,
      ...(num(raw.x) && num(raw.y) ? { x: raw.x, y: raw.y } : {}),
    };
  } catch {
    return DEFAULT_WINDOW;
  }
}

/** Written atomically (the engine's one helper), so a crash never leaves half a file. */
export function writeWindowState(file: string, state: WindowState): void {
  mkdirSync(dirname(file), { recursive: true });
  writeBytesAtomicallySync(file, Buffer.from(JSON.stringify(state)));
}

/**
 * Makes a saved state safe for the displays present now: a window saved on a monitor that
 * is gone (or a resolution that shrank) is pulled back onto a visible work area, and kept
 * no larger than it.
 */
export function fitToDisplays(state: WindowState, workAreas: readonly Rect[]): WindowState {
  if (workAreas.length === 0) return state;
  const primary = workAreas[0];
  const overlap = (a: Rect): number => {
    if (state.x === undefined || state.y === undefined) return 0;
    const w = Math.min(state.x + state.width, a.x + a.width) - Math.max(state.x, a.x);
    const h = Math.min(state.y + state.height, a.y + a.height) - Math.max(state.y, a.y);
    return w > 0 && h > 0 ? w * h : 0;
  };
  const area = [...workAreas].sort((a, b) => overlap(b) - overlap(a))[0];
  const visible = overlap(area) >= 64 * 64;
  const target = visible ? area : primary;
  const width = Math.max(Math.min(MIN.width, target.width), Math.min(state.width, target.width));
  const height = Math.max(Math.min(MIN.height, target.height), Math.min(state.height, target.height));
  if (!visible) return { width, height, maximized: state.maximized };
  const x = Math.min(Math.max(state.x!, target.x), target.x + target.width - width);
  const y = Math.min(Math.max(state.y!, target.y), target.y + target.height - height);
  return { x, y, width, height, maximized: state.maximized };
}
