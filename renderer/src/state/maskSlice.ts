import type { StateCreator } from 'zustand';
import type { MaskOp } from '../editor/mask.ts';
import { MaskDocument } from '../editor/maskDocument.ts';
import { stepBrushSize } from '../editor/shortcuts.ts';
import type { StudioState } from './store.ts';

export type Tool = 'brush' | 'eraser' | 'pan';

/**
 * Mask tools and the mask document. The document (ops + history) lives outside React's
 * state; `maskOps`, `canUndo` and `canRedo` mirror it so components re-render on change.
 */
export interface MaskSlice {
  maskDoc: MaskDocument;
  maskOps: readonly MaskOp[];
  canUndo: boolean;
  canRedo: boolean;
  tool: Tool;
  brushSize: number;
  hardness: number;
  overlayOpacity: number;
  maskVisible: boolean;
  setTool(tool: Tool): void;
  setBrush(patch: Partial<Pick<MaskSlice, 'brushSize' | 'hardness' | 'overlayOpacity' | 'maskVisible'>>): void;
  stepBrush(bigger: boolean): void;
  maskCommand(command: 'fill' | 'invert' | 'clear' | 'undo' | 'redo'): void;
}

export const createMaskSlice: StateCreator<StudioState, [], [], MaskSlice> = (set, get) => {
  const maskDoc = new MaskDocument();
  maskDoc.history.subscribe(() =>
    set({ maskOps: maskDoc.ops, canUndo: maskDoc.history.canUndo, canRedo: maskDoc.history.canRedo }),
  );
  return {
    maskDoc,
    maskOps: maskDoc.ops,
    canUndo: false,
    canRedo: false,
    tool: 'brush',
    brushSize: 12,
    hardness: 0.6,
    overlayOpacity: 0.5,
    maskVisible: true,
    setTool: (tool) => set({ tool }),
    setBrush: (patch) => set(patch),
    stepBrush: (bigger) => set({ brushSize: stepBrushSize(get().brushSize, bigger) }),
    maskCommand(command) {
      const doc = get().maskDoc;
      if (command === 'undo') doc.undo();
      else if (command === 'redo') doc.redo();
      else doc[command]();
    },
  };
};
