/** Browser-side image helpers (DOM): reading dropped/pasted files and encoding bitmaps. */

import type { LoadedFile } from '../state/platform.ts';

const ACCEPTED = ['image/png', 'image/jpeg', 'image/webp'];

export function isAcceptedImage(type: string): boolean {
  return ACCEPTED.includes(type);
}

/** The image files among dropped or pasted items, in order. */
export function imageFilesOf(items: DataTransferItemList | null | undefined): File[] {
  return [...(items ?? [])].filter((i) => i.kind === 'file' && isAcceptedImage(i.type)).map((i) => i.getAsFile()).filter((f): f is File => Boolean(f));
}

/** A file's name for messages; clipboard images often have none. */
export const displayName = (f: File): string => f.name || 'pasted image';

/** Base64 of a blob without building a giant intermediate string per byte. */
export async function blobToBase64(blob: Blob): Promise<string> {
  const url = await new Promise<string>((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error('Could not read the file'));
    reader.readAsDataURL(blob);
  });
  return url.slice(url.indexOf(',') + 1);
}

export async function loadImageFile(blob: Blob): Promise<LoadedFile> {
  if (blob.type && !isAcceptedImage(blob.type)) {
    throw new Error(`That file is ${blob.type}; open a PNG, JPEG or WebP image.`);
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob);
  } catch {
    throw new Error('That file is not an image the studio can read; open a PNG, JPEG or WebP image.');
  }
  const { width, height } = bitmap;
  bitmap.close();
  return { base64: await blobToBase64(blob), url: URL.createObjectURL(blob), width, height };
}

/** Fetches any image URL (result route, data URL) as a PNG blob, for the clipboard and drag-out. */
export async function urlToBlob(url: string): Promise<Blob> {
  const res = await fetch(url);
  return res.blob();
}

/** Reads an image's red channel as grey levels (attention maps are grey PNGs). */
export async function decodeGrey(url: string): Promise<{ width: number; height: number; data: Uint8Array }> {
  const bitmap = await createImageBitmap(await urlToBlob(url));
  const { width, height } = bitmap;
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('Canvas 2D is unavailable');
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = rgba[4 * i];
  return { width, height, data };
}
