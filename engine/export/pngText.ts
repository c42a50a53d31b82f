import { crc32 } from 'node:zlib';
import { StudioError } from '../api/errors.ts';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** One PNG chunk: length, type, data and CRC. */
export function pngChunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * Adds text chunks right after IHDR. Latin-1 values go in tEXt (what A1111 writes and
 * every reader understands); anything else in an uncompressed UTF-8 iTXt chunk.
 */
export function addPngText(png: Buffer, entries: Record<string, string>, options: { international?: readonly string[] } = {}): Buffer {
  if (png.length < 33 || !png.subarray(0, 8).equals(SIGNATURE)) {
    throw new StudioError('IMAGE_INVALID', 'Not a PNG file');
  }
  const ihdrEnd = 8 + 8 + png.readUInt32BE(8) + 4;
  const chunks = Object.entries(entries).map(([key, value]) => {
    const latin1 = !options.international?.includes(key) && /^[\x00-\xff]*$/.test(value);
    return latin1
      ? pngChunk('tEXt', Buffer.concat([Buffer.from(key, 'latin1'), Buffer.from([0]), Buffer.from(value, 'latin1')]))
      : pngChunk('iTXt', Buffer.concat([Buffer.from(key, 'latin1'), Buffer.from([0, 0, 0, 0, 0]), Buffer.from(value, 'utf8')]));
  });
  return Buffer.concat([png.subarray(0, ihdrEnd), ...chunks, png.subarray(ihdrEnd)]);
}

/** Reads tEXt and iTXt (uncompressed) chunks; used to restore a recipe from an exported image. */
export function readPngText(png: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  if (!png.subarray(0, 8).equals(SIGNATURE)) return out;
  let at = 8;
  while (at + 12 <= png.length) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    if (type === 'tEXt') {
      const nul = data.indexOf(0);
      if (nul > 0) out[data.toString('latin1', 0, nul)] = data.toString('latin1', nul + 1);
    } else if (type === 'iTXt') {
      const nul = data.indexOf(0);
      const compressed = data[nul + 1] === 1;
      let p = nul + 3;
      p = data.indexOf(0, p) + 1; // language tag
      p = data.indexOf(0, p) + 1; // translated keyword
      if (nul > 0 && !compressed && p > 0) out[data.toString('latin1', 0, nul)] = data.toString('utf8', p);
    }
    if (type === 'IEND') break;
    at += 12 + length;
  }
  return out;
}
