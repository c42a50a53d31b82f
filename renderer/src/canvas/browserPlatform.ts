import type { Platform } from '../state/platform.ts';
import { encodeMaskPng } from './encodeMask.ts';
import { loadImageFile } from './imageFiles.ts';

export const browserPlatform: Platform = { loadImageFile, encodeMaskPng };
