/** Writes SentencePiece ModelProto bytes (field numbers of sentencepiece_model.proto) for tests. */

function varint(v: number | bigint): number[] {
  let x = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  do {
    const b = Number(x & 0x7fn);
    x >>= 7n;
    out.push(x ? b | 0x80 : b);
  } while (x);
  return out;
}

const tag = (field: number, wire: number) => varint(field * 8 + wire);
const bytesField = (field: number, payload: number[]) => [...tag(field, 2), ...varint(payload.length), ...payload];
const intField = (field: number, v: number) => [...tag(field, 0), ...varint(v)];
const utf8 = (s: string) => [...new TextEncoder().encode(s)];

function floatField(field: number, f: number): number[] {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, f, true);
  return [...tag(field, 5), ...b];
}

export interface TestPiece { piece: string; score: number; type?: number }

export function encodeModel(o: { pieces: TestPiece[]; modelType?: number; unkId?: number; bosId?: number; eosId?: number; padId?: number }): Uint8Array {
  const out: number[] = [];
  for (const p of o.pieces) out.push(...bytesField(1, [...bytesField(1, utf8(p.piece)), ...floatField(2, p.score), ...intField(3, p.type ?? 1)]));
  out.push(...bytesField(2, [
    ...intField(3, o.modelType ?? 1),
    ...intField(40, o.unkId ?? 0), ...intField(41, o.bosId ?? -1), ...intField(42, o.eosId ?? 1), ...intField(43, o.padId ?? -1),
  ]));
  out.push(...bytesField(3, [...bytesField(1, utf8('identity')), ...intField(3, 1), ...intField(4, 1), ...intField(5, 1)]));
  return Uint8Array.from(out);
}
