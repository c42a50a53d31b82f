import { describe, expect, it } from 'vitest';
import { StudioError } from '../../../engine/api/errors.ts';
import { planChain } from '../../../engine/controllers/chain.ts';
import {
  branchLayout,
  crossFeeds,
  crossReplaceAlpha,
  localBlendMask,
  parsePromptWeights,
  phraseTokens,
  planEdit,
  promptToPrompt,
  promptTokens,
  refinementMap,
  replacementMap,
  selfReplaceActive,
} from '../../../engine/controllers/p2p/index.ts';
import { unetSites } from '../../../engine/models/unet/sites.ts';
import { tokenizerFor } from '../../../engine/tokenizer/forModel.ts';
import { testController } from '../../support/controllers.ts';
import { SD15_UNET } from '../ipAdapter/fixtures.ts';

const tokenizer = await tokenizerFor({ family: 'sd1' });
const L = 77;
const plan = (source: string, target: string, extra: Partial<Parameters<typeof planEdit>[1]> = {}) =>
  planEdit(tokenizer, { source, target, steps: 10, crossReplaceSteps: 0.8, selfReplaceSteps: 0.4, ...extra });
const expectRefused = (fn: () => unknown, pattern: RegExp) => {
  expect(fn).toThrow(StudioError);
  expect(fn).toThrow(pattern);
  try { fn(); } catch (e) { expect((e as StudioError).code).toBe('INVALID_REQUEST'); }
};

describe('prompt weights', () => {
  it('reads (words:w) and leaves plain parentheses alone', () => {
    const p = parsePromptWeights('a (red car:1.5) and a (dog) (cat: -0.5)');
    expect(p.text).toBe('a red car and a (dog) cat');
    expect(p.weights).toEqual([{ word: 'red car', weight: 1.5 }, { word: 'cat', weight: -0.5 }]);
    expectRefused(() => parsePromptWeights('(cat:20)'), /outside/);
  });
});

describe('words to tokens', () => {
  it('finds a word by the tokenizer record, with glued punctuation and any case', () => {
    const p = promptTokens(tokenizer, 'A photo of a Cat.');
    expect(p.ids.slice(0, 8)).toEqual([49406, 320, 1125, 539, 320, 2368, 269, 49407]);
    expect(phraseTokens(tokenizer, p, 'cat')).toEqual([5, 6]);
    expect(phraseTokens(tokenizer, p, 'a')).toEqual([1, 4]);
    expect(phraseTokens(tokenizer, p, 'of a')).toEqual([3, 4]);
    expectRefused(() => phraseTokens(tokenizer, p, 'dog'), /"dog" is not a word/);
  });

  it('refuses prompts that need a second window', () => {
    expectRefused(() => promptTokens(tokenizer, Array.from({ length: 80 }, () => 'cat').join(' ')), /up to 75 tokens/);
  });
});

describe('word swap map', () => {
  it('is the identity outside the swapped word and spreads a longer word evenly', () => {
    const src = promptTokens(tokenizer, 'a photo of a cat on grass');
    const tgt = promptTokens(tokenizer, 'a photo of a hippopotamus on grass');
    const k = phraseTokens(tokenizer, tgt, 'hippopotamus').length;
    expect(k).toBeGreaterThan(1);
    const M = replacementMap(src, tgt);
    for (let i = 0; i < 5; i++) expect(M[i * L + i]).toBe(1);
    for (let j = 0; j < k; j++) expect(M[5 * L + 5 + j]).toBeCloseTo(1 / k, 6);
    // The tail keeps pairing source i with target j (the reference's M[j, j] would not).
    expect(M[6 * L + 5 + k]).toBe(1);
    expect(M[7 * L + 6 + k]).toBe(1);
    const same = replacementMap(src, src);
    for (let i = 0; i < L; i++) for (let j = 0; j < L; j++) expect(same[i * L + j]).toBe(i === j ? 1 : 0);
  });

  it('refuses prompts with different word counts', () => {
    expectRefused(() => plan('a cat', 'a fluffy cat', { mode: 'replace' }), /same number of words/);
  });
});

describe('refinement alignment', () => {
  it('maps kept tokens to their source positions and marks inserted ones', () => {
    const s = promptTokens(tokenizer, 'a cat');
    const t = promptTokens(tokenizer, 'a fluffy cat');
    const r = refinementMap(s.content, t.content, L);
    expect(Array.from(r.mapper.slice(0, 7))).toEqual([0, 1, -1, 2, 3, 5, 6]);
    expect(Array.from(r.aligned.slice(0, 6))).toEqual([1, 1, 0, 1, 1, 1]);
    const removed = refinementMap(t.content, s.content, L);
    expect(Array.from(removed.mapper.slice(0, 4))).toEqual([0, 1, 3, 4]);
    expect(plan('a cat', 'a fluffy cat').mode).toBe('refine');
    expect(plan('a cat', 'a dog').mode).toBe('replace');
  });
});

describe('schedules', () => {
  it('counts cross-replace steps over N+1 and self-replace steps over N, per word overrides last', () => {
    const a = crossReplaceAlpha(50, L, 0.8, [{ tokens: [5], range: 0.2 }]);
    expect(a).toHaveLength(51);
    expect(a.map((r) => r[1])).toEqual(Array.from({ length: 51 }, (_, k) => (k < 40 ? 1 : 0)));
    expect(a.map((r) => r[5])).toEqual(Array.from({ length: 51 }, (_, k) => (k < 10 ? 1 : 0)));
    expect(selfReplaceActive(50, 0.4, 19)).toBe(true);
    expect(selfReplaceActive(50, 0.4, 20)).toBe(false);
    expect(selfReplaceActive(50, [0.1, 0.4], 4)).toBe(false);
  });

  it('turns an edit into L and keep: reweighting inside the window, nothing outside it', () => {
    const p = plan('a photo of a cat', 'a photo of a (cat:0)', { crossReplaceSteps: 0.5, crossReplaceWords: { photo: 1 } });
    const inWindow = crossFeeds(p, 0);
    expect(inWindow.map[5 * L + 5]).toBe(0);
    expect(inWindow.map[2 * L + 2]).toBe(1);
    expect(inWindow.keep[5]).toBe(0);
    const after = crossFeeds(p, 9);
    expect(after.map[1 * L + 1]).toBe(0);
    expect(after.keep[1]).toBe(1);
    expect(after.map[2 * L + 2]).toBe(1); // "photo" follows the source to the end
    const refine = plan('a cat', 'a fluffy cat', { crossReplaceSteps: 1 });
    const f = crossFeeds(refine, 0);
    expect(f.map[2 * L + 3]).toBe(1); // target "cat" (3) reads source "cat" (2)
    expect(f.keep[2]).toBe(1); // the inserted "fluffy" attends on its own
    expect(f.keep[3]).toBe(0);
  });

  it('local blend words must be in one of the prompts; weights must name target words', () => {
    const p = plan('a cat', 'a dog', { localBlendWords: ['cat', 'dog'] });
    expect(p.blendTokens).toEqual([[2], [2]]);
    expectRefused(() => plan('a cat', 'a dog', { localBlendWords: ['bird'] }), /neither prompt/);
    expectRefused(() => plan('a cat', 'a dog', { wordWeights: [{ word: 'cat', weight: 2 }] }), /target prompt/);
  });
});

describe('local blend mask', () => {
  it('dilates, upsamples, normalises, thresholds and unites the branches', () => {
    // A 2×2 grid of 3 tokens; row 0 attends token 1 at cell 0, row 1 token 2 at cell 3.
    const sums = new Float32Array(2 * 4 * 3);
    sums[(0 * 4 + 0) * 3 + 1] = 1;
    sums[(1 * 4 + 3) * 3 + 2] = 0.5;
    const one = localBlendMask({ sums, tokens: [[1], []], tokenCount: 3, grid: { height: 2, width: 2 }, latent: { height: 4, width: 4 } });
    expect(Array.from(one)).toEqual(new Array(16).fill(1)); // 3×3 dilation covers a 2×2 grid
    const sparse = new Float32Array(1 * 9 * 1);
    sparse[0] = 1;
    sparse[8] = 0.2;
    const m = localBlendMask({ sums: sparse, tokens: [[0]], tokenCount: 1, grid: { height: 3, width: 3 }, latent: { height: 3, width: 3 } });
    expect(Array.from(m)).toEqual([1, 1, 0, 1, 1, 0, 0, 0, 0]);
  });
});

describe('composition', () => {
  it('refuses a second controller that needs the batch layout, before anything is built', () => {
    const p2p = promptToPrompt({ plan: plan('a cat', 'a dog'), layout: branchLayout(true) });
    const other = testController({ name: 'style', conflicts: [{ kind: 'claims', resource: 'batch-layout' }] });
    const sites = unetSites(SD15_UNET);
    expectRefused(() => planChain([p2p, other], sites), /cannot run together/);
    // Alone it plans on the same network.
    expect(planChain([p2p], sites).plans.map((c) => c.name)).toEqual(['p2p']);
  });
});
