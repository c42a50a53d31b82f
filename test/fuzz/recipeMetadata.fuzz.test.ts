/**
 * Recipe reading from hostile images: PNG text chunks, JPEG and WebP EXIF blocks with random
 * bytes, and recipe JSON of any shape. Every call ends with a recipe, no recipe, or a typed
 * error — never a raw exception, a hang, or a response that fails the contract.
 */
import fc from 'fast-check';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../engine/api/dispatch.ts';
import { replaceExif } from '../../engine/export/exifComment.ts';
import { RECIPE_KEY } from '../../engine/export/exportImage.ts';
import { addPngText, pngChunk, readPngText } from '../../engine/export/pngText.ts';
import { readEmbeddedRecipeFromBytes } from '../../engine/export/readRecipe.ts';
import { parseParameters } from '../../engine/pipelines/parameters.ts';
import { createHandlers } from '../../engine/studio/handlers.ts';
import { fakeStudio } from '../support/fakeStudio.ts';
import { fuzzRuns, Tally } from './tally.ts';

let png: Buffer;
let jpeg: Buffer;
let webp: Buffer;
beforeAll(async () => {
  const px = () => sharp({ create: { width: 8, height: 8, channels: 3, background: '#4080c0' } });
  png = await px().png().toBuffer();
  jpeg = await px().withExif({ IFD0: { Software: 'x' } }).jpeg().toBuffer();
  webp = await px().withExif({ IFD0: { Software: 'x' } }).webp().toBuffer();
});

/** A valid PNG with one hostile chunk after IHDR; sometimes its length field lies. */
function pngWith(type: string, data: Uint8Array, lie: number | null): Buffer {
  const c = pngChunk(type, data);
  if (lie !== null) c.writeUInt32BE(lie >>> 0, 0);
  const ihdrEnd = 8 + 8 + png.readUInt32BE(8) + 4;
  return Buffer.concat([png.subarray(0, ihdrEnd), c, png.subarray(ihdrEnd)]);
}

const tallies = {
  png: new Tally('PNG text chunks'),
  exif: new Tally('JPEG/WebP EXIF blocks'),
  json: new Tally('recipe JSON (images.recipe)'),
  params: new Tally('A1111 parameters text'),
};
afterAll(() => Object.values(tallies).forEach((t) => t.print()));

async function read(bytes: Buffer, tally: Tally): Promise<void> {
  try {
    const r = await readEmbeddedRecipeFromBytes(bytes);
    expect(r.parameters === null || typeof r.parameters === 'string').toBe(true);
    tally.ok();
  } catch (e) {
    tally.refused(e);
  }
}

describe('fuzz: image metadata', () => {
  const textLike = fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    fc.string({ maxLength: 200 }).map((s) => new Uint8Array(Buffer.from(s, 'utf8'))),
    fc.tuple(fc.string({ maxLength: 30 }), fc.uint8Array({ maxLength: 8 }), fc.string({ maxLength: 100 }))
      .map(([k, mid, v]) => new Uint8Array(Buffer.concat([Buffer.from(k, 'latin1'), Buffer.from([0]), Buffer.from(mid), Buffer.from(v)]))),
  );

  it('PNG tEXt / iTXt / zTXt / unknown chunks with random payloads and lying lengths', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('tEXt', 'iTXt', 'zTXt', 'IEND', 'abcd'), textLike, fc.option(fc.nat(), { freq: 3 }), async (type, data, lie) => {
        const bytes = pngWith(type, data, lie);
        expect(() => readPngText(bytes)).not.toThrow();
        await read(bytes, tallies.png);
      }),
      fuzzRuns(400),
    );
  });

  const tiffLike = fc.oneof(
    fc.uint8Array({ minLength: 0, maxLength: 200 }),
    // A plausible TIFF header, then random IFDs.
    fc.tuple(fc.constantFrom([0x49, 0x49, 42, 0], [0x4d, 0x4d, 0, 42]), fc.uint8Array({ maxLength: 200 })).map(([h, rest]) => new Uint8Array([...h, 8, 0, 0, 0, ...rest])),
  );

  it('JPEG and WebP with random EXIF blocks', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('jpeg' as const, 'webp' as const), tiffLike, async (format, tiff) => {
        await read(replaceExif(format === 'jpeg' ? jpeg : webp, format, Buffer.from(tiff)), tallies.exif);
      }),
      fuzzRuns(300),
    );
  });

  it('random byte flips anywhere in PNG/JPEG/WebP files', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(0, 1, 2), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), async (which, flips) => {
        const bytes = Buffer.from([png, jpeg, webp][which]);
        for (const [at, v] of flips) bytes[at % bytes.length] = v;
        await read(bytes, which === 0 ? tallies.png : tallies.exif);
      }),
      fuzzRuns(300),
    );
  });
});

describe('fuzz: recipe JSON through images.recipe', () => {
  const handlers = createHandlers(fakeStudio());
  const recipeLike = fc.oneof(
    fc.json(),
    fc.record({
      format: fc.oneof(fc.constant('latent-studio-recipe'), fc.string()),
      version: fc.oneof(fc.constant(1), fc.integer(), fc.string()),
      operation: fc.oneof(fc.constant('jobs.generate'), fc.anything()),
      request: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.anything()),
      modelHash: fc.oneof(fc.string(), fc.constant(null), fc.anything()),
    }, { requiredKeys: [] }).map((r) => JSON.stringify(r)),
  );

  it('any JSON in the recipe chunk gives a contract-valid answer (a recipe or null), never RUNTIME_FAILURE', async () => {
    await fc.assert(
      fc.asyncProperty(recipeLike, fc.string({ maxLength: 200 }), async (json, parameters) => {
        const bytes = addPngText(png, { parameters, [RECIPE_KEY]: json }, { international: [RECIPE_KEY, 'parameters'] });
        const env = await dispatch(handlers, 'images.recipe', { image: { base64: bytes.toString('base64') } });
        if (env.ok) tallies.json.ok();
        else tallies.json.code(env.error.code);
        expect(env.ok, JSON.stringify(env)).toBe(true);
      }),
      fuzzRuns(400),
    );
  });

  it('A1111 parameters text of any shape parses or gives null', () => {
    const line = fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom('Negative prompt: ', 'Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x512', 'Steps: x, Seed: -1', 'Size: 99999999x0'));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 6 }), (lines) => {
        try {
          parseParameters(lines.join('\n'));
          tallies.params.ok();
        } catch (e) {
          tallies.params.refused(e);
        }
      }),
      fuzzRuns(500),
    );
  });
});
