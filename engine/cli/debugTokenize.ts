import type { Command } from 'commander';
import { resolve } from 'node:path';
import { StudioError, isStudioError } from '../api/errors.ts';
import { detectT5 } from '../models/t5/detect.ts';
import { t5Prompt } from '../models/t5/promptTokens.ts';
import { PIXART_MAX_LENGTH, t5TokenizerFor } from '../models/t5/tokenizer.ts';
import { CLIPTokenizer } from '../tokenizer/clip-tokenizer.ts';
import { tokenizerFor } from '../tokenizer/forModel.ts';
import { SentencePieceTokenizer } from '../tokenizer/sentencepiece/tokenizer.ts';

interface TokenizeOptions {
  text: string;
  tokenizer?: string;
  checkpoint?: string;
  config?: string;
  t5?: boolean;
  spiece?: string;
  maxLength?: string;
  lowercase: boolean;
}

/** CLIP: the 77 ids. T5: ids, mask, pieces and per-piece prompt weights, as PixArt feeds them. */
async function tokenize(opts: TokenizeOptions): Promise<unknown> {
  let t5: SentencePieceTokenizer | undefined;
  let clip: CLIPTokenizer | undefined;
  if (opts.spiece) t5 = await SentencePieceTokenizer.fromFile(resolve(opts.spiece));
  else if (opts.t5) t5 = await t5TokenizerFor();
  else if (opts.checkpoint) {
    const path = resolve(opts.checkpoint);
    const { detectModel } = await import('../models/detect.ts');
    try {
      const spec = await detectModel(path, opts.config ? { configPath: resolve(opts.config) } : {});
      if (spec.family === 'taesd' || spec.family === 'pixart') throw new StudioError('INVALID_REQUEST', `${opts.checkpoint} has no text encoder`);
      // SDXL's first tokenizer is CLIP-L's (EOS padding); the second differs only in padding with 0.
      clip = await tokenizerFor({ family: spec.family === 'sdxl' ? 'sd1' : spec.family, tokenizerDir: spec.tokenizerDir, checkpoint: path });
    } catch (e) {
      // Not an SD model: a T5 encoder file or a PixArt folder (which has model_index.json but
      // no unet/) takes the SentencePiece path; when that fails too, the SD error stands.
      if (!isStudioError(e) || e.code === 'NOT_FOUND') throw e;
      const spec = await detectT5(path).catch(() => { throw e; });
      t5 = await t5TokenizerFor(spec);
    }
  } else if (opts.tokenizer) clip = await CLIPTokenizer.fromDirectory(resolve(opts.tokenizer));
  else clip = await tokenizerFor({ family: 'sd1' });
  if (clip) return clip.encode(opts.text).ids;
  const maxLength = opts.maxLength === undefined ? PIXART_MAX_LENGTH.alpha : Number(opts.maxLength);
  const p = t5Prompt(t5!, opts.text, maxLength, { lowercase: opts.lowercase });
  const n = p.content.length - 1;
  return { ids: p.ids, mask: p.mask, tokens: p.ids.slice(0, n).map((_, i) => t5!.idToPiece(p.ids[i])), weights: Array.from(p.weights.slice(0, n)), truncated: p.truncated };
}

export function registerTokenizeCommand(debug: Command): void {
  debug
    .command('tokenize')
    .description('Print the token ids of a prompt as JSON: CLIP\'s 77 ids, or for T5 (PixArt) { ids, mask, tokens, weights, truncated }')
    .requiredOption('--text <text>', 'the prompt')
    .option('--tokenizer <dir>', 'folder with vocab.json and merges.txt (or a diffusers tokenizer/ folder)')
    .option('--checkpoint <path>', "use the model's tokenizer: an SD checkpoint (CLIP, the family's padding) or a T5 encoder / PixArt folder (SentencePiece)")
    .option('--config <file>', 'config file for the checkpoint')
    .option('--t5', "T5's SentencePiece tokenizer (the bundled spiece.model)")
    .option('--spiece <file>', 'a SentencePiece .model file')
    .option('--max-length <n>', 'T5 tokens per prompt incl. EOS (PixArt-α 120, Σ 300)')
    .option('--no-lowercase', "T5: tokenise the text as given instead of PixArt's lower().strip()")
    .action(async (opts: TokenizeOptions) => {
      process.stdout.write(`${JSON.stringify(await tokenize(opts))}\n`);
    });
}
