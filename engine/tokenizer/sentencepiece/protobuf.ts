/**
 * The protobuf wire format, reading only: enough to walk a SentencePiece `ModelProto`
 * without a schema compiler. Unknown fields are skipped, as protobuf readers must.
 */

export const WIRE = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;

export interface Field {
  number: number;
  wire: number;
  /** varint value (as a number; SentencePiece's ints fit), or the fixed32's bits. */
  value: number;
  /** A varint's low 32 bits as a signed int32 (negative ids such as bos_id = -1 are 10-byte varints). */
  int32: number;
  /** Payload of a length-delimited field. */
  bytes?: Uint8Array;
}

export class ProtoError extends Error {}

/** Yields the top-level fields of one message, in order. */
export function* fields(buf: Uint8Array): Generator<Field> {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 0;
  let low = 0;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    low = 0;
    for (let i = 0; i < 10; i++) {
      if (pos >= buf.length) throw new ProtoError(`varint runs past the end at byte ${pos}`);
      const b = buf[pos++];
      // Multiplying keeps values above 2^31 exact up to 2^53 (bit operators would wrap).
      result += (b & 0x7f) * scale;
      if (i < 5) low |= (b & 0x7f) << (7 * i);
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new ProtoError(`varint longer than 10 bytes at byte ${pos}`);
  };
  while (pos < buf.length) {
    const key = varint();
    const number = Math.floor(key / 8);
    const wire = key % 8;
    if (number === 0) throw new ProtoError(`field number 0 at byte ${pos}`);
    if (wire === WIRE.varint) {
      const value = varint();
      yield { number, wire, value, int32: low | 0 };
    } else if (wire === WIRE.fixed32) {
      if (pos + 4 > buf.length) throw new ProtoError(`fixed32 runs past the end at byte ${pos}`);
      yield { number, wire, value: view.getUint32(pos, true), int32: view.getInt32(pos, true) };
      pos += 4;
    } else if (wire === WIRE.fixed64) {
      if (pos + 8 > buf.length) throw new ProtoError(`fixed64 runs past the end at byte ${pos}`);
      pos += 8;
      yield { number, wire, value: 0, int32: 0 };
    } else if (wire === WIRE.bytes) {
      const n = varint();
      if (pos + n > buf.length) throw new ProtoError(`field ${number} of ${n} bytes runs past the end at byte ${pos}`);
      yield { number, wire, value: n, int32: n, bytes: buf.subarray(pos, pos + n) };
      pos += n;
    } else {
      throw new ProtoError(`unsupported wire type ${wire} at byte ${pos}`);
    }
  }
}

/** A fixed32 field's bits as the float they encode. */
export function float32Of(bits: number): number {
  const v = new DataView(new ArrayBuffer(4));
  v.setUint32(0, bits, true);
  return v.getFloat32(0, true);
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
export const textOf = (bytes: Uint8Array | undefined): string => (bytes ? utf8.decode(bytes) : '');
