import type { MaskBuffer } from '../editor/brush.ts';

/** An image file read in the browser: its bytes for the engine and a URL for display. */
export interface LoadedFile {
  base64: string;
  url: string;
  width: number;
  height: number;
}

/**
 * What the store needs from the browser (canvas encoding, file decoding). Injected at
 * start-up so the state slices stay free of DOM code and run in plain Node tests.
 */
export interface Platform {
  loadImageFile(blob: Blob): Promise<LoadedFile>;
  /** Greyscale PNG (base64) of a mask at image resolution. */
  encodeMaskPng(mask: MaskBuffer): Promise<string>;
  /** Grey levels (0–255, red channel) of an image, e.g. an attention map, for the mask. */
  decodeGrey(url: string): Promise<{ width: number; height: number; data: Uint8Array }>;
  /** A coloured, semi-transparent overlay (object URL) of a grey attention map. */
  heatOverlayUrl(mapUrl: string): Promise<string>;
}
