import { StudioError } from '../../api/errors.ts';
import type { CLIPTokenizer } from '../../tokenizer/clip-tokenizer.ts';
import { extractExtraNetworks } from '../../tokenizer/promptSyntax.ts';
import { parsePromptWeights, type WordWeight } from './promptWeights.ts';
import { type StepRange, crossReplaceAlpha, selfReplaceActive } from './schedule.ts';
import { refinementMap } from './seqAlign.ts';
import { replacementMap } from './tokenMap.ts';
import { type PromptTokens, findWords, phraseTokens, promptTokens, tokensOfWords } from './wordTokens.ts';

export type EditMode = 'auto' | 'replace' | 'refine';

export interface EditOptions {
  /** Prompts as typed; `(word:1.4)` in the target reweights, in the source it is only stripped. */
  source: string;
  target: string;
  /** `auto`: word swap when both prompts have the same number of words, else refinement. */
  mode?: EditMode;
  steps: number;
  crossReplaceSteps: StepRange;
  /** Per-word overrides of `crossReplaceSteps`, words of the target prompt. */
  crossReplaceWords?: Readonly<Record<string, StepRange>>;
  selfReplaceSteps: StepRange;
  /** Attention multipliers for words of the target prompt (added to inline weights). */
  wordWeights?: readonly WordWeight[];
  /** Words whose attention maps bound the edit (each looked up in both prompts). */
  localBlendWords?: readonly string[];
}

/**
 * Everything prompt-to-prompt needs, computed once in TypeScript; the graph only ever sees
 * two small per-step tensors derived from it (`crossFeeds`).
 */
export interface EditPlan {
  readonly mode: 'replace' | 'refine';
  readonly source: PromptTokens;
  readonly target: PromptTokens;
  readonly length: number;
  readonly steps: number;
  /** G (length × length, row = source position, column = target position). */
  readonly base: Float32Array;
  /** a: 1 where a target token has a source counterpart. */
  readonly aligned: Float32Array;
  /** c: the equalizer, 1 except at reweighted words. */
  readonly weights: Float32Array;
  /** α_τ rows, N+1 of them. */
  readonly alpha: readonly Float32Array[];
  readonly selfReplaceSteps: StepRange;
  /** Local-blend token positions in the source and in the target prompt. */
  readonly blendTokens: readonly [readonly number[], readonly number[]];
}

export function planEdit(tokenizer: CLIPTokenizer, o: EditOptions): EditPlan {
  if (!Number.isInteger(o.steps) || o.steps < 1) throw new StudioError('INVALID_REQUEST', `steps must be a positive integer, got ${o.steps}`);
  // `<lora:…>` tags choose networks; they are not words of the edit.
  const src = parsePromptWeights(extractExtraNetworks(o.source).text);
  const tgt = parsePromptWeights(extractExtraNetworks(o.target).text);
  const source = promptTokens(tokenizer, src.text);
  const target = promptTokens(tokenizer, tgt.text);
  if (source.length !== target.length) throw new StudioError('RUNTIME_FAILURE', 'source and target windows differ in length');
  const L = source.length;
  const mode = o.mode === 'replace' || (o.mode !== 'refine' && source.words.length === target.words.length) ? 'replace' : 'refine';

  let base: Float32Array;
  let aligned: Float32Array;
  if (mode === 'replace') {
    base = replacementMap(source, target);
    aligned = new Float32Array(L).fill(1);
  } else {
    const r = refinementMap(source.content, target.content, L);
    base = new Float32Array(L * L);
    r.mapper.forEach((w, n) => {
      if (r.aligned[n] && w >= 0 && w < L) base[w * L + n] = 1;
    });
    aligned = r.aligned;
  }

  const weights = new Float32Array(L).fill(1);
  for (const { word, weight } of [...tgt.weights, ...(o.wordWeights ?? [])]) {
    for (const n of phraseTokens(tokenizer, target, word, 'target prompt')) weights[n] = weight;
  }

  const words = Object.entries(o.crossReplaceWords ?? {}).map(([word, range]) => ({
    tokens: phraseTokens(tokenizer, target, word, 'target prompt'),
    range,
  }));
  const alpha = crossReplaceAlpha(o.steps, L, o.crossReplaceSteps, words);

  const blend: [number[], number[]] = [[], []];
  for (const word of o.localBlendWords ?? []) {
    const s = tokensOfWords(source, findWords(tokenizer, source, word));
    const t = tokensOfWords(target, findWords(tokenizer, target, word));
    if (!s.length && !t.length) {
      throw new StudioError('INVALID_REQUEST', `Local-blend word "${word}" is in neither prompt`, { word });
    }
    blend[0].push(...s);
    blend[1].push(...t);
  }

  return { mode, source, target, length: L, steps: o.steps, base, aligned, weights, alpha, selfReplaceSteps: o.selfReplaceSteps, blendTokens: blend };
}

/**
 * The cross-attention edit of one step as plain-attention operands (ALGORITHMS §1.9):
 * out_tgt = Attn(Q_src, K_src, L·V_tgt) + Attn(Q_tgt, K_tgt, diag(keep)·V_tgt), with
 * L = G·diag(τ⊙a⊙c) and keep = τ⊙(1−a)⊙c + (1−τ). One formula covers word swap (a ≡ 1),
 * refinement and reweighting, alone or chained; outside the schedule τ = 0 gives L = 0,
 * keep = 1: the target attends on its own.
 */
export function crossFeeds(plan: EditPlan, step: number): { map: Float32Array; keep: Float32Array } {
  const L = plan.length;
  const tau = plan.alpha[Math.min(Math.max(step, 0), plan.alpha.length - 1)];
  const map = new Float32Array(L * L);
  const keep = new Float32Array(L);
  for (let n = 0; n < L; n++) {
    const t = tau[n], a = plan.aligned[n], c = plan.weights[n];
    keep[n] = t * (1 - a) * c + (1 - t);
    const s = t * a * c;
    if (s !== 0) for (let w = 0; w < L; w++) map[w * L + n] = plan.base[w * L + n] * s;
  }
  return { map, keep };
}

export function selfFeed(plan: EditPlan, step: number): number {
  return selfReplaceActive(plan.steps, plan.selfReplaceSteps, step) ? 1 : 0;
}
