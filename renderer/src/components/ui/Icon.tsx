/** Minimal stroke icons (24×24 grid) so the UI ships no remote fonts or images. */
const PATHS: Record<string, string> = {
  brush: 'M4 20c2 0 4-1 4-3a2 2 0 0 0-4 0M8 16l10-10a2 2 0 0 0-3-3L5 13',
  eraser: 'M4 16l8-8 6 6-6 6H8zM12 20h8',
  pan: 'M12 3v18M3 12h18M12 3l-3 3M12 3l3 3M12 21l-3-3M12 21l3-3M3 12l3-3M3 12l3 3M21 12l-3-3M21 12l-3 3',
  undo: 'M9 14L4 9l5-5M4 9h10a6 6 0 0 1 0 12h-3',
  redo: 'M15 14l5-5-5-5M20 9H10a6 6 0 0 0 0 12h3',
  open: 'M3 7h6l2 2h10v10H3zM3 7V5h6',
  export: 'M12 3v12M7 10l5 5 5-5M4 19h16',
  fit: 'M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5',
  settings: 'M12 9a3 3 0 1 0 0 6 3 3 0 0 0 0-6zM19 12l2-1-2-4-2 1-2-1V4h-4v3l-2 1-2-1-2 4 2 1v2l-2 1 2 4 2-1 2 1v3h4v-3l2-1 2 1 2-4-2-1z',
  copy: 'M8 8h12v12H8zM4 16V4h12',
  fill: 'M4 4h16v16H4z',
  invert: 'M12 4a8 8 0 1 0 0 16zM12 4a8 8 0 1 1 0 16',
  clear: 'M6 6l12 12M18 6L6 18',
};

export function Icon({ name }: { name: keyof typeof PATHS | string }) {
  const filled = name === 'fill';
  return (
    <svg className="icon" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
      <path d={PATHS[name] ?? ''} fill={filled ? 'currentColor' : 'none'} fillOpacity={filled ? 0.35 : 1} stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}
