import { StudioError } from '../api/errors.ts';

/**
 * EXIF with one UserComment in the form AUTOMATIC1111 writes (piexif): the "UNICODE"
 * character code and UTF-16BE text. sharp can only write ASCII strings into EXIF, which
 * would drop every accent, emoji or CJK character of a prompt.
 */
export function userCommentTiff(text: string): Buffer {
  const body = Buffer.from(text, 'utf16le').swap16();
  const comment = Buffer.concat([Buffer.from('UNICODE\0', 'latin1'), body]);
  // Big-endian TIFF: header (8), IFD0 with the Exif pointer (2 + 12 + 4), Exif IFD with the comment (2 + 12 + 4), then the comment.
  const exifIfd = 8 + 18;
  const dataAt = exifIfd + 18;
  const tiff = Buffer.alloc(dataAt + comment.length);
  tiff.write('MM', 0, 'latin1');
  tiff.writeUInt16BE(42, 2);
  tiff.writeUInt32BE(8, 4);
  tiff.writeUInt16BE(1, 8);
  entry(tiff, 10, 0x8769, 4, 1, exifIfd); // ExifIFDPointer, LONG
  tiff.writeUInt32BE(0, 22);
  tiff.writeUInt16BE(1, exifIfd);
  entry(tiff, exifIfd + 2, 0x9286, 7, comment.length, dataAt); // UserComment, UNDEFINED
  tiff.writeUInt32BE(0, exifIfd + 14);
  comment.copy(tiff, dataAt);
  return tiff;
}

function entry(buf: Buffer, at: number, tag: number, type: number, count: number, value: number): void {
  buf.writeUInt16BE(tag, at);
  buf.writeUInt16BE(type, at + 2);
  buf.writeUInt32BE(count, at + 4);
  buf.writeUInt32BE(value, at + 8);
}

const EXIF_HEADER = Buffer.from('Exif\0\0', 'latin1');

/** Replaces the EXIF block of an encoded JPEG (its APP1 "Exif" segment) or WebP (its EXIF chunk). */
export function replaceExif(encoded: Buffer, format: 'jpeg' | 'webp', tiff: Buffer): Buffer {
  return format === 'jpeg' ? replaceJpegExif(encoded, tiff) : replaceWebpExif(encoded, tiff);
}

function replaceJpegExif(jpg: Buffer, tiff: Buffer): Buffer {
  const payload = Buffer.concat([EXIF_HEADER, tiff]);
  if (payload.length + 2 > 0xffff) throw new StudioError('INVALID_REQUEST', 'The recipe is too long for a JPEG EXIF block (64 KB); export as PNG');
  const segment = Buffer.alloc(4 + payload.length);
  segment.writeUInt16BE(0xffe1, 0);
  segment.writeUInt16BE(payload.length + 2, 2);
  payload.copy(segment, 4);
  let at = 2;
  while (at + 4 <= jpg.length && jpg[at] === 0xff && jpg[at + 1] !== 0xda) {
    const length = jpg.readUInt16BE(at + 2);
    if (jpg[at + 1] === 0xe1 && jpg.subarray(at + 4, at + 10).equals(EXIF_HEADER)) {
      return Buffer.concat([jpg.subarray(0, at), segment, jpg.subarray(at + 2 + length)]);
    }
    at += 2 + length;
  }
  // No EXIF yet: right after SOI is where readers look first.
  return Buffer.concat([jpg.subarray(0, 2), segment, jpg.subarray(2)]);
}

function replaceWebpExif(webp: Buffer, tiff: Buffer): Buffer {
  if (webp.toString('latin1', 0, 4) !== 'RIFF' || webp.toString('latin1', 8, 12) !== 'WEBP') throw new StudioError('IMAGE_INVALID', 'Not a WebP file');
  const chunks: Buffer[] = [];
  let found = false;
  for (let at = 12; at + 8 <= webp.length;) {
    const size = webp.readUInt32LE(at + 4);
    const end = at + 8 + size + (size & 1);
    if (webp.toString('latin1', at, at + 4) === 'EXIF') {
      const head = Buffer.alloc(8);
      head.write('EXIF', 0, 'latin1');
      head.writeUInt32LE(tiff.length, 4);
      chunks.push(head, tiff, Buffer.alloc(tiff.length & 1));
      found = true;
    } else {
      chunks.push(webp.subarray(at, end));
    }
    at = end;
  }
  // sharp writes an extended (VP8X) file with an EXIF chunk whenever it is asked for EXIF.
  if (!found) throw new StudioError('RUNTIME_FAILURE', 'The WebP encoder wrote no EXIF chunk to replace');
  const body = Buffer.concat(chunks);
  const head = Buffer.alloc(12);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(body.length + 4, 4);
  head.write('WEBP', 8, 'latin1');
  return Buffer.concat([head, body]);
}
