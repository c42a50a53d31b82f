import { useStudioState } from '../StoreContext.ts';

/** Pins the working image: new results are then shown beside it instead of replacing it. */
export function PinToggle() {
  const { hasImage, pinned, setPinned } = useStudioState((s) => ({ hasImage: Boolean(s.source), pinned: s.pinned, setPinned: s.setPinned }));
  if (!hasImage) return null;
  return (
    <button
      className={`small pin-toggle${pinned ? ' active' : ''}`}
      aria-pressed={pinned}
      onClick={() => setPinned(!pinned)}
      title={pinned ? 'Pinned: new results appear beside this image and Edit keeps editing it. Click to let the next result become the working image.' : 'Each new result becomes the working image. Pin to keep editing this one and compare results beside it.'}
      data-testid="pin-working"
    >
      {pinned ? 'Working image pinned' : 'Pin working image'}
    </button>
  );
}
