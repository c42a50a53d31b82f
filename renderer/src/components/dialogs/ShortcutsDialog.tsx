import { IS_MAC } from '../../commands.ts';
import { COMMANDS, shortcutLabel, type CommandId } from '../../editor/shortcuts.ts';
import { Dialog } from './Dialog.tsx';

const EXTRA: [string, string][] = [
  ['Pan', 'Space + drag, middle button, arrow keys on the canvas'],
  ['Zoom', 'Wheel or pinch'],
  ['Move the before/after divider', 'Arrow keys on the divider'],
  ['Cancel a stroke', 'Escape while painting'],
];

/** Every shortcut, from the same table the key handler and the tooltips use. */
export function ShortcutsDialog({ open, onClose }: { open: boolean; onClose(): void }) {
  return (
    <Dialog open={open} title="Keyboard shortcuts" onClose={onClose} testId="shortcuts-dialog">
      <div className="dialog-body">
        <table className="shortcuts">
          <tbody>
            {(Object.keys(COMMANDS) as CommandId[]).map((id) => (
              <tr key={id}>
                <td>{COMMANDS[id].label}</td>
                <td><kbd>{shortcutLabel(id, IS_MAC)}</kbd></td>
              </tr>
            ))}
            {EXTRA.map(([what, how]) => (
              <tr key={what}>
                <td>{what}</td>
                <td className="muted">{how}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="muted small">Single keys act when the focus is not in a text field.</p>
      </div>
    </Dialog>
  );
}
