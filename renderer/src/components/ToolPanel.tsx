import { IS_MAC } from '../commands.ts';
import { withShortcut } from '../editor/shortcuts.ts';
import type { Tool } from '../state/maskSlice.ts';
import { useStudioState } from './StoreContext.ts';
import { Icon } from './ui/Icon.tsx';
import { RadioGroup, type RadioOption } from './ui/RadioGroup.tsx';
import { Slider } from './ui/Slider.tsx';

const TOOLS: RadioOption<Tool>[] = [
  { id: 'brush', content: <Icon name="brush" />, ariaLabel: 'Brush', title: withShortcut('tool.brush', IS_MAC, 'Brush: paint where the image should change') },
  { id: 'eraser', content: <Icon name="eraser" />, ariaLabel: 'Eraser', title: withShortcut('tool.eraser', IS_MAC, 'Eraser: remove mask') },
  { id: 'pan', content: <Icon name="pan" />, ariaLabel: 'Hand', title: 'Hand: drag to pan (or hold Space, or drag with the middle button)' },
];

/** Mask tools: brush, eraser and hand; brush size, hardness, overlay opacity; fill, invert, clear. */
export function ToolPanel() {
  const { tool, brushSize, hardness, overlayOpacity, maskVisible, hasImage, setTool, setBrush, maskCommand } = useStudioState((s) => ({
    tool: s.tool, brushSize: s.brushSize, hardness: s.hardness, overlayOpacity: s.overlayOpacity, maskVisible: s.maskVisible,
    hasImage: Boolean(s.source), setTool: s.setTool, setBrush: s.setBrush, maskCommand: s.maskCommand,
  }));
  return (
    <aside className="tool-panel" aria-label="Mask tools">
      <RadioGroup label="Tool" className="tool-buttons" optionClass="tool" options={TOOLS} value={tool} onChange={setTool} />
      <Slider label="Size" value={brushSize} min={1} max={256} format={(v) => `${v}px`} title="Brush diameter in image pixels ([ smaller, ] bigger)" onChange={(v) => setBrush({ brushSize: v })} />
      <Slider label="Hardness" value={Math.round(hardness * 100)} min={0} max={100} format={(v) => `${v}%`} title="0% = soft feathered edge, 100% = hard edge" onChange={(v) => setBrush({ hardness: v / 100 })} />
      <Slider label="Overlay" value={Math.round(overlayOpacity * 100)} min={10} max={100} format={(v) => `${v}%`} title="Opacity of the red mask overlay (display only)" onChange={(v) => setBrush({ overlayOpacity: v / 100 })} />
      <label className="check">
        <input type="checkbox" checked={maskVisible} onChange={(e) => setBrush({ maskVisible: e.target.checked })} /> Show mask
      </label>
      <div className="mask-actions" aria-label="Mask actions">
        <button disabled={!hasImage} onClick={() => maskCommand('fill')} title="Mask the whole image">
          <Icon name="fill" /> Fill
        </button>
        <button disabled={!hasImage} onClick={() => maskCommand('invert')} title="Swap masked and unmasked">
          <Icon name="invert" /> Invert
        </button>
        <button disabled={!hasImage} onClick={() => maskCommand('clear')} title="Remove the whole mask (undoable)">
          <Icon name="clear" /> Clear
        </button>
      </div>
    </aside>
  );
}
