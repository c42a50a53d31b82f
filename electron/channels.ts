/**
 * The desktop shell's IPC channel names, declared once for the main process and the preload
 * (plain data, so the sandboxed preload bundle pulls in nothing else). The Studio API's own
 * channels come from engine/api/operations.ts.
 */

/** Main → renderer: a command chosen in the native menu (ids as in the renderer's shortcuts). */
export const MENU_COMMAND_CHANNEL = 'studio:menu-command';

/** Desktop-only services that are not part of the Studio API (the server has no windows or desktop). */
export const SHELL_CHANNELS = {
  pickFolder: 'studio:shell:pick-folder',
  openImage: 'studio:shell:open-image',
  startDrag: 'studio:shell:start-drag',
} as const;
