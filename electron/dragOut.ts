import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RECIPE_KEY } from '../engine/export/exportImage.ts';
import { addPngText } from '../engine/export/pngText.ts';

/** What a dragged result needs: its PNG and the recipe the export would carry. */
export interface DraggedImage {
  png: Buffer;
  parameters?: string;
  recipe?: unknown;
}

/**
 * Files dragged out of the window. The OS wants a real file while the drag starts, so the
 * PNG is written synchronously — into a folder created fresh for this launch with an
 * unpredictable name and mode 0700 (mkdtemp), never a shared fixed path in /tmp where
 * another user could plant a symlink or read the images. Removed when the app quits.
 */
export class DragOutFolder {
  private dir: string | null = null;

  constructor(private readonly parent: string = tmpdir()) {}

  /** Writes the image (with its recipe chunks) and returns the file to hand to startDrag. */
  write(imageId: string, image: DraggedImage): string {
    this.dir ??= mkdtempSync(join(this.parent, 'latent-studio-drag-'));
    const text: Record<string, string> = {};
    if (image.parameters) text.parameters = image.parameters;
    if (image.recipe) text[RECIPE_KEY] = JSON.stringify(image.recipe);
    const png = Object.keys(text).length ? addPngText(image.png, text, { international: [RECIPE_KEY] }) : image.png;
    const file = join(this.dir, `latent-studio-${imageId.slice(0, 8)}.png`);
    writeFileSync(file, png, { mode: 0o600 });
    return file;
  }

  /** Deletes the folder and what was dragged from it this launch. */
  dispose(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
  }
}
