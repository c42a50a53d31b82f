// Child process for killDuringWrite.test.ts: writes numbered versions of one file as fast as
// it can, two at a time (as parallel requests do), and prints `wrote N` once both returned,
// until it is killed.
import sharp from 'sharp';
import { exportImage } from '../../engine/export/exportImage.ts';
import { SettingsStore } from '../../engine/studio/settings/store.ts';
import { writeSafetensors } from '../../engine/safetensors/writer.ts';
import { writeBytesAtomicallySync } from '../../engine/safetensors/atomicWrite.ts';

const [kind, target, startArg] = process.argv.slice(2);
let n = Number(startArg);

const store = new SettingsStore(target);
const pixels = async (v: number) => sharp({ create: { width: 64, height: 48, channels: 3, background: { r: v % 256, g: (v >> 8) % 256, b: 99 } } }).png().toBuffer();

async function write(v: number): Promise<void> {
  if (kind === 'settings') {
    // Version v, recomputed by the test to tell old, new and torn files apart.
    await store.set({ threads: v % 256, modelsDir: `/models/${v}`, previewEvery: v % 1000 });
  } else if (kind === 'export') {
    // Parameters grow and shrink with v so a torn or mixed file changes length.
    await exportImage({ bytes: await pixels(v), width: 64, height: 48, parameters: `version ${v} ${'p'.repeat((v * 37) % 5000)}` }, target, 'png', { quality: 90, overwrite: true });
  } else if (kind === 'graph') {
    // Graph files in the cache are written synchronously: v in the first 4 bytes, then v % 251, length varying with v.
    const bytes = Buffer.alloc(200_000 + (v % 5) * 50_000, v % 251);
    bytes.writeUInt32LE(v, 0);
    writeBytesAtomicallySync(target, bytes);
  } else {
    const data = new Float32Array(50_000 + (v % 7) * 10_000).fill(v);
    await writeSafetensors(target, { w: { dtype: 'F32', shape: [data.length], data } }, { version: String(v) });
  }
}

for (;;) {
  await Promise.all([write(n + 1), write(n + 2)]);
  n += 2;
  process.stdout.write(`wrote ${n}\n`);
}
