import type { Platform } from '../state/platform.ts';
import { encodeMaskPng } from './encodeMask.ts';
import { heatOverlayUrl } from './heatmap.ts';
import { decodeGrey, loadImageFile } from './imageFiles.ts';

export const browserPlatform: Platform = { loadImageFile, encodeMaskPng, decodeGrey, heatOverlayUrl };
