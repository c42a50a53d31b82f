/**
 * Reading and validating tokenizer files: vocab.json, merges.txt and the optional diffusers/transformers
 * tokenizer_config.json / special_tokens_map.json. Every failure is a typed StudioError:
 * NOT_FOUND for a missing file, INVALID_REQUEST for a file that is there but unusable.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StudioError, toStudioError } from '../api/errors.ts';
import type { MergeRule } from './bpe.ts';

/** transformers writes int(1e30) as model_max_length when a tokenizer has no limit; treat as unset. */
const MAX_SANE_LENGTH = 1_000_000;

/** Reads a UTF-8 text file; a leading BOM is dropped. */
export async function readTextFile(path: string, what: string): Promise<string> {
  try {
    const text = await readFile(path, 'utf8');
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new StudioError('NOT_FOUND', `Tokenizer ${what} not found: ${path}`, { path });
    if (code === 'EISDIR') throw new StudioError('INVALID_REQUEST', `Tokenizer ${what} is a folder: ${path}`, { path });
    throw toStudioError(e);
  }
}

function invalid(source: string, message: string, details: Record<string, unknown> = {}): StudioError {
  return new StudioError('INVALID_REQUEST', `${source}: ${message}`, { source, ...details });
}

/** vocab.json: a JSON object mapping token strings to non-negative integer ids. */
export function parseVocab(json: string, source = 'vocab.json'): Map<string, number> {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (e) {
    throw invalid(source, `not valid JSON (${(e as Error).message})`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw invalid(source, 'expected a JSON object mapping tokens to ids');
  }
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(data)) {
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
      throw invalid(source, `token ${JSON.stringify(token)} has id ${JSON.stringify(id)}, expected an integer >= 0`);
    }
    vocab.set(token, id);
  }
  if (vocab.size === 0) throw invalid(source, 'vocabulary is empty');
  return vocab;
}

/**
 * merges.txt: an optional `#version: …` header line, then one rule per line, `left right`, highest
 * priority first. Blank lines are ignored (they do not change relative ranks); any other line that is not
 * exactly two whitespace-separated pieces is an error. Note: transformers drops the first line
 * unconditionally; here it is dropped only when it starts with '#', so a header-less file keeps its first rule.
 */
export function parseMerges(text: string, source = 'merges.txt'): MergeRule[] {
  const lines = text.split(/\r?\n/);
  const merges: MergeRule[] = [];
  lines.forEach((raw, i) => {
    if (i === 0 && raw.startsWith('#')) return;
    const line = raw.trim();
    if (line.length === 0) return;
    const parts = line.split(/\s+/);
    if (parts.length !== 2) {
      throw invalid(source, `line ${i + 1} is not a merge rule ("left right"): ${JSON.stringify(raw.slice(0, 80))}`, {
        line: i + 1,
      });
    }
    merges.push([parts[0], parts[1]]);
  });
  return merges;
}

/** Settings a diffusers `tokenizer/` folder may carry besides vocab.json and merges.txt. */
export interface TokenizerFolderConfig {
  bosToken?: string;
  eosToken?: string;
  unkToken?: string;
  padToken?: string;
  modelMaxLength?: number;
}

/** A special token is written either as a string or as an AddedToken object `{ "content": "…" }`. */
function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return undefined;
}

async function readOptionalJson(path: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readTextFile(path, 'config');
  } catch (e) {
    if (e instanceof StudioError && e.code === 'NOT_FOUND') return undefined;
    throw e;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw invalid(path, `not valid JSON (${(e as Error).message})`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw invalid(path, 'expected a JSON object');
  return data as Record<string, unknown>;
}

/**
 * Reads tokenizer_config.json then special_tokens_map.json (the latter wins for special tokens, as in
 * transformers). Both are optional; absent keys stay undefined.
 */
export async function readFolderConfig(dir: string): Promise<TokenizerFolderConfig> {
  const config: TokenizerFolderConfig = {};
  const tokenizerConfig = await readOptionalJson(join(dir, 'tokenizer_config.json'));
  const specialMap = await readOptionalJson(join(dir, 'special_tokens_map.json'));
  for (const source of [tokenizerConfig, specialMap]) {
    if (!source) continue;
    const bos = tokenContent(source.bos_token);
    const eos = tokenContent(source.eos_token);
    const unk = tokenContent(source.unk_token);
    const pad = tokenContent(source.pad_token);
    if (bos !== undefined) config.bosToken = bos;
    if (eos !== undefined) config.eosToken = eos;
    if (unk !== undefined) config.unkToken = unk;
    if (pad !== undefined) config.padToken = pad;
  }
  const maxLength = tokenizerConfig?.model_max_length;
  if (typeof maxLength === 'number' && Number.isSafeInteger(maxLength) && maxLength >= 2 && maxLength <= MAX_SANE_LENGTH) {
    config.modelMaxLength = maxLength;
  }
  return config;
}
