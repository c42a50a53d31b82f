/**
 * Keyboard commands of the studio, one table for the key handler, the tooltips and the
 * Electron menu's labels. Single-letter keys act only when focus is not in a text field.
 */
export const COMMANDS = {
  'tool.brush': { label: 'Brush', keys: 'B' },
  'tool.eraser': { label: 'Eraser', keys: 'E' },
  'brush.smaller': { label: 'Smaller brush', keys: '[' },
  'brush.bigger': { label: 'Bigger brush', keys: ']' },
  'view.swap': { label: 'Swap before/after', keys: 'X' },
  'view.fit': { label: 'Fit to window', keys: 'Mod+0' },
  'view.actual': { label: 'Actual size (100%)', keys: 'Mod+1' },
  'view.zoomIn': { label: 'Zoom in', keys: 'Mod+=' },
  'view.zoomOut': { label: 'Zoom out', keys: 'Mod+-' },
  'edit.undo': { label: 'Undo', keys: 'Mod+Z' },
  'edit.redo': { label: 'Redo', keys: 'Mod+Shift+Z' },
  'file.open': { label: 'Open image…', keys: 'Mod+O' },
  'file.export': { label: 'Export…', keys: 'Mod+E' },
  'job.run': { label: 'Run', keys: 'Mod+Enter' },
  'help.shortcuts': { label: 'Keyboard shortcuts', keys: '?' },
} as const;

export type CommandId = keyof typeof COMMANDS;

export interface KeyInput {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

/** The command a key press means, or null. `inText`: focus is in an editable field. */
export function commandForKey(e: KeyInput, isMac: boolean, inText: boolean): CommandId | null {
  const mod = isMac ? e.metaKey : e.ctrlKey;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (mod && !e.altKey) {
    if (key === 'z') return inText ? null : e.shiftKey ? 'edit.redo' : 'edit.undo';
    if (key === 'y' && !isMac) return inText ? null : 'edit.redo';
    if (key === 'e') return 'file.export';
    if (key === 'o') return 'file.open';
    if (key === '0') return 'view.fit';
    if (key === '1') return 'view.actual';
    if (key === '=' || key === '+') return 'view.zoomIn';
    if (key === '-') return 'view.zoomOut';
    if (key === 'Enter') return 'job.run';
    return null;
  }
  if (inText || e.altKey || e.ctrlKey || e.metaKey) return null;
  switch (key) {
    case 'b': return 'tool.brush';
    case 'e': return 'tool.eraser';
    case '[': return 'brush.smaller';
    case ']': return 'brush.bigger';
    case 'x': return 'view.swap';
    case '?': return 'help.shortcuts';
    default: return null;
  }
}

/** "Mod+Shift+Z" → "Ctrl+Shift+Z" or "⌘⇧Z". */
export function shortcutLabel(id: CommandId, isMac: boolean): string {
  const keys: string = COMMANDS[id].keys;
  if (!isMac) return keys.replace('Mod', 'Ctrl');
  return keys.replace('Mod+', '⌘').replace('Shift+', '⇧');
}

/** Tooltip text: "Brush (B)". */
export function withShortcut(id: CommandId, isMac: boolean, label: string = COMMANDS[id].label): string {
  return `${label} (${shortcutLabel(id, isMac)})`;
}

/** Brush sizes step geometrically so [ and ] feel the same at 4 px and at 400 px. */
export function stepBrushSize(size: number, bigger: boolean): number {
  const next = bigger ? Math.max(size + 1, Math.round(size * 1.25)) : Math.min(size - 1, Math.round(size / 1.25));
  return Math.min(1024, Math.max(1, next));
}
