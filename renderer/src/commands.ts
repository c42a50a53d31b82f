import type { CommandId } from './editor/shortcuts.ts';

/**
 * A tiny command bus: keyboard shortcuts, the toolbar and Electron's native menu all issue
 * the same command ids; the component that owns the behaviour (the canvas for zoom, the
 * export dialog for export) listens for its own.
 */
type Listener = (id: CommandId) => void;
const listeners = new Set<Listener>();

export function issueCommand(id: CommandId): void {
  for (const l of listeners) l(id);
}

export function onCommand(listener: Listener): () => void {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}

export const IS_MAC = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);
