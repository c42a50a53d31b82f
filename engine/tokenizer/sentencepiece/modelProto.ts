import { StudioError } from '../../api/errors.ts';
import { ProtoError, WIRE, fields, float32Of, textOf } from './protobuf.ts';

/**
 * A SentencePiece `.model` file (sentencepiece_model.proto's ModelProto), reduced to what
 * encoding needs. Field numbers are the .proto's:
 * - ModelProto: 1 pieces, 2 trainer_spec, 3 normalizer_spec;
 * - SentencePiece: 1 piece, 2 score (float), 3 type;
 * - TrainerSpec: 3 model_type, 24 treat_whitespace_as_suffix, 35 byte_fallback,
 *   40 unk_id, 41 bos_id, 42 eos_id, 43 pad_id;
 * - NormalizerSpec: 1 name, 2 precompiled_charsmap, 3 add_dummy_prefix,
 *   4 remove_extra_whitespaces, 5 escape_whitespaces.
 */

export const PIECE_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;
export type PieceType = (typeof PIECE_TYPE)[keyof typeof PIECE_TYPE];

export const MODEL_TYPE = { unigram: 1, bpe: 2, word: 3, char: 4 } as const;

export interface Piece {
  piece: string;
  score: number;
  type: PieceType;
}

export interface NormalizerSpec {
  name: string;
  /** Double-array trie + replacement strings (see charsmap.ts); empty = no normalisation. */
  charsmap: Uint8Array;
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
  escapeWhitespaces: boolean;
}

export interface SentencePieceModel {
  pieces: Piece[];
  modelType: number;
  byteFallback: boolean;
  treatWhitespaceAsSuffix: boolean;
  /** -1 when the model has none (T5: no BOS). */
  unkId: number;
  bosId: number;
  eosId: number;
  padId: number;
  normalizer: NormalizerSpec;
}

function parsePiece(bytes: Uint8Array): Piece {
  const p: Piece = { piece: '', score: 0, type: PIECE_TYPE.normal };
  for (const f of fields(bytes)) {
    if (f.number === 1 && f.wire === WIRE.bytes) p.piece = textOf(f.bytes);
    else if (f.number === 2 && f.wire === WIRE.fixed32) p.score = float32Of(f.value);
    else if (f.number === 3 && f.wire === WIRE.varint) p.type = f.value as PieceType;
  }
  return p;
}

function parseNormalizer(bytes: Uint8Array | undefined): NormalizerSpec {
  const n: NormalizerSpec = { name: '', charsmap: new Uint8Array(0), addDummyPrefix: true, removeExtraWhitespaces: true, escapeWhitespaces: true };
  for (const f of fields(bytes ?? new Uint8Array(0))) {
    if (f.number === 1 && f.wire === WIRE.bytes) n.name = textOf(f.bytes);
    else if (f.number === 2 && f.wire === WIRE.bytes) n.charsmap = f.bytes!;
    else if (f.number === 3 && f.wire === WIRE.varint) n.addDummyPrefix = f.value !== 0;
    else if (f.number === 4 && f.wire === WIRE.varint) n.removeExtraWhitespaces = f.value !== 0;
    else if (f.number === 5 && f.wire === WIRE.varint) n.escapeWhitespaces = f.value !== 0;
  }
  return n;
}

/** Parses a `.model` file's bytes; `label` names it in errors. */
export function parseSentencePieceModel(bytes: Uint8Array, label: string): SentencePieceModel {
  const m: SentencePieceModel = {
    pieces: [], modelType: MODEL_TYPE.unigram, byteFallback: false, treatWhitespaceAsSuffix: false,
    unkId: 0, bosId: 1, eosId: 2, padId: -1, normalizer: parseNormalizer(undefined),
  };
  try {
    for (const f of fields(bytes)) {
      if (f.wire !== WIRE.bytes) continue;
      if (f.number === 1) m.pieces.push(parsePiece(f.bytes!));
      else if (f.number === 3) m.normalizer = parseNormalizer(f.bytes);
      else if (f.number === 2) {
        for (const t of fields(f.bytes!)) {
          if (t.wire !== WIRE.varint) continue;
          if (t.number === 3) m.modelType = t.value;
          else if (t.number === 24) m.treatWhitespaceAsSuffix = t.value !== 0;
          else if (t.number === 35) m.byteFallback = t.value !== 0;
          else if (t.number === 40) m.unkId = t.int32;
          else if (t.number === 41) m.bosId = t.int32;
          else if (t.number === 42) m.eosId = t.int32;
          else if (t.number === 43) m.padId = t.int32;
        }
      }
    }
  } catch (e) {
    if (e instanceof ProtoError) throw new StudioError('INVALID_REQUEST', `${label}: not a SentencePiece model (${e.message})`, { file: label });
    throw e;
  }
  if (m.pieces.length === 0) throw new StudioError('INVALID_REQUEST', `${label}: not a SentencePiece model (no pieces)`, { file: label });
  if (m.modelType !== MODEL_TYPE.unigram) {
    throw new StudioError('INVALID_REQUEST', `${label}: SentencePiece model type ${m.modelType} is not supported (only unigram, as T5 uses)`, { file: label });
  }
  for (const [role, id] of [['unk', m.unkId], ['bos', m.bosId], ['eos', m.eosId], ['pad', m.padId]] as const) {
    if (id >= m.pieces.length) throw new StudioError('INVALID_REQUEST', `${label}: ${role}_id ${id} is past the ${m.pieces.length} pieces`, { file: label });
  }
  return m;
}
