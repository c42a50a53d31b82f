import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLED_ASSETS_DIR, BUNDLED_MODELS_DIR, INSTALL, PACKAGE_ROOT, locateInstall } from '../../engine/paths.ts';

/** A fake disk: the folders that hold our package.json. */
const rootsAt = (...roots: string[]) => (dir: string) => (roots.includes(dir) ? 'latent-studio' : dir === '/home/u' ? 'someone-else' : undefined);

describe('where the studio finds its own files', () => {
  it('from source: the folder above engine/', () => {
    expect(locateInstall('/home/u/studio/engine/paths.ts', rootsAt('/home/u/studio'))).toEqual({ kind: 'source', root: '/home/u/studio', unpackedRoot: '/home/u/studio' });
  });

  it('from the esbuild bundle: two folders above electron/dist/main.js, not electron/', () => {
    expect(locateInstall('/home/u/studio/electron/dist/main.js', rootsAt('/home/u/studio'))).toEqual({ kind: 'bundle', root: '/home/u/studio', unpackedRoot: '/home/u/studio' });
  });

  it('packaged: code in app.asar, models and tokenizer in app.asar.unpacked', () => {
    const res = '/opt/Latent Studio/resources';
    expect(locateInstall(`${res}/app.asar/electron/dist/main.js`, rootsAt(`${res}/app.asar`))).toEqual({ kind: 'packaged', root: `${res}/app.asar`, unpackedRoot: `${res}/app.asar.unpacked` });
  });

  it('skips other packages’ package.json and says so when ours is missing', () => {
    expect(() => locateInstall('/home/u/x/y.js', rootsAt('/elsewhere'))).toThrow(/cannot find its package\.json above \/home\/u\/x\/y\.js/);
  });

  it('this checkout runs from source, with the models and tokenizer in it', () => {
    expect(INSTALL.kind).toBe('source');
    expect(BUNDLED_MODELS_DIR).toBe(join(PACKAGE_ROOT, 'models'));
    expect(existsSync(join(BUNDLED_ASSETS_DIR, 'clip-tokenizer', 'vocab.json'))).toBe(true);
  });
});
