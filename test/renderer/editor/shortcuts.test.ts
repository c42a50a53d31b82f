import { describe, expect, it } from 'vitest';
import { commandForKey, shortcutLabel, stepBrushSize, withShortcut } from '../../../renderer/src/editor/shortcuts.ts';

const key = (k: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean }> = {}) => ({
  key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods,
});

describe('keyboard shortcuts', () => {
  it('maps the tool keys outside text fields only', () => {
    expect(commandForKey(key('b'), false, false)).toBe('tool.brush');
    expect(commandForKey(key('E'), false, false)).toBe('tool.eraser');
    expect(commandForKey(key('['), false, false)).toBe('brush.smaller');
    expect(commandForKey(key(']'), false, false)).toBe('brush.bigger');
    expect(commandForKey(key('x'), false, false)).toBe('view.swap');
    expect(commandForKey(key('?', { shiftKey: true }), false, false)).toBe('help.shortcuts');
    expect(commandForKey(key('b'), false, true)).toBeNull();
  });

  it('uses Ctrl on Linux/Windows and Cmd on macOS; text fields keep their own undo', () => {
    expect(commandForKey(key('z', { ctrlKey: true }), false, false)).toBe('edit.undo');
    expect(commandForKey(key('Z', { ctrlKey: true, shiftKey: true }), false, false)).toBe('edit.redo');
    expect(commandForKey(key('z', { metaKey: true }), true, false)).toBe('edit.undo');
    expect(commandForKey(key('z', { ctrlKey: true }), true, false)).toBeNull();
    expect(commandForKey(key('z', { ctrlKey: true }), false, true)).toBeNull();
    expect(commandForKey(key('e', { ctrlKey: true }), false, true)).toBe('file.export');
  });

  it('labels shortcuts per platform for tooltips', () => {
    expect(shortcutLabel('edit.redo', false)).toBe('Ctrl+Shift+Z');
    expect(shortcutLabel('edit.redo', true)).toBe('⌘⇧Z');
    expect(withShortcut('tool.brush', false)).toBe('Brush (B)');
  });

  it('steps brush sizes geometrically within bounds', () => {
    expect(stepBrushSize(4, true)).toBe(5);
    expect(stepBrushSize(100, true)).toBe(125);
    expect(stepBrushSize(100, false)).toBe(80);
    expect(stepBrushSize(1, false)).toBe(1);
    expect(stepBrushSize(1024, true)).toBe(1024);
  });
});
