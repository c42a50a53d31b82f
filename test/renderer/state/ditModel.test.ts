import { describe, expect, it } from 'vitest';
import type { StudioConnection } from '../../../renderer/src/api/client.ts';
import { DIT_EDIT_REASON, editBlocker } from '../../../renderer/src/editor/runBlockers.ts';
import { editConditions } from '../../../renderer/src/state/editConditions.ts';
import { modelSizes } from '../../../renderer/src/state/modelsSlice.ts';
import { createStudioStore } from '../../../renderer/src/state/store.ts';

const connection = { client: {}, transport: 'http', imageUrl: (id: string) => id, onJobEvent: () => () => undefined } as unknown as StudioConnection;
const platform = {
  loadImageFile: async () => ({ base64: 'AA==', url: 'blob:x', width: 64, height: 64 }),
  encodeMaskPng: async () => 'bWFzaw==',
  decodeGrey: async () => ({ width: 2, height: 2, data: new Uint8Array(4) }),
  heatOverlayUrl: async (url: string) => url,
};
const entry = (path: string, family: string, details: Record<string, unknown>) => ({ id: path, name: path, path, kind: 'diffusers-folder' as const, sizeBytes: 1, architecture: { family, summary: family, details }, error: null });
// What describePixArt lists for a DiT.
const pixart = entry('/m/pixart', 'pixart', {
  guidanceScale: 4.5,
  sizes: [{ width: 512, height: 512 }, { width: 640, height: 384 }],
  unsupported: ['edit', 'attention', 'stylize', 'imagePrompts', 'tokenMerging'],
});
const sd = entry('/m/sd15', 'sd1', {});

describe('a DiT in the studio store', () => {
  it('Edit says why it cannot run on a DiT, before anything else, and runs again on a UNet', () => {
    const store = createStudioStore(connection, platform);
    store.setState({ models: [pixart, sd] });
    store.getState().selectModel('/m/pixart');
    expect(editBlocker(editConditions(store.getState()))).toBe(DIT_EDIT_REASON);
    store.getState().selectModel('/m/sd15');
    expect(editBlocker(editConditions(store.getState()))).not.toBe(DIT_EDIT_REASON);
  });

  it('choosing a DiT turns token merging off (the engine would refuse it) and brings its guidance', () => {
    const store = createStudioStore(connection, platform);
    store.setState({ models: [pixart, sd] });
    store.getState().selectModel('/m/sd15');
    store.getState().setRun({ tokenMerging: true });
    store.getState().selectModel('/m/pixart');
    expect(store.getState().run.tokenMerging).toBe(false);
    expect(store.getState().run.cfg).toBe(4.5);
  });

  it('its aspect-ratio buckets are the size presets; a UNet lists none', () => {
    expect(modelSizes(pixart)).toEqual([{ width: 512, height: 512 }, { width: 640, height: 384 }]);
    expect(modelSizes(sd)).toEqual([]);
  });
});
