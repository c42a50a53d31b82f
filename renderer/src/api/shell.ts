/**
 * Desktop-only services from Electron's preload (`window.studio.shell`). In the browser
 * (serve mode) they are absent and the UI falls back: a typed folder path, and a
 * DownloadURL drag that Chromium turns into a file.
 */
import type { StudioBridge } from '../../../electron/bridge.ts';

export type DesktopShell = StudioBridge['shell'];

export function desktopShell(): DesktopShell | null {
  const shell = window.studio?.shell;
  return shell && typeof shell.pickFolder === 'function' ? shell : null;
}

/** The native Open dialog's file as a Blob the store can open; null when cancelled. */
export async function openWithDesktopDialog(shell: DesktopShell): Promise<{ blob: Blob; name: string } | null> {
  const r = await shell.openImage();
  if (!r) return null;
  const bytes = Uint8Array.from(atob(r.base64), (c) => c.charCodeAt(0));
  return { blob: new Blob([bytes], { type: r.mime }), name: r.name };
}
