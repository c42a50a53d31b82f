import { describe, expect, it } from 'vitest';
import { dispatch, type Envelope } from '../../engine/api/dispatch.ts';
import { MAX_PROMPT_CHARS, MAX_STEPS, MAX_WORD_CHARS } from '../../engine/api/schemas.ts';
import { BUNDLED_DEFAULT_MODEL } from '../../engine/catalog/defaultModel.ts';
import { createHandlers } from '../../engine/studio/handlers.ts';
import { fakeStudio } from '../support/fakeStudio.ts';

const studio = fakeStudio(0);
const handlers = createHandlers(studio);
const generate = (req: Record<string, unknown>): Promise<Envelope> =>
  dispatch(handlers, 'jobs.generate', { model: BUNDLED_DEFAULT_MODEL, prompt: 'a cat', steps: 1, width: 64, height: 64, ...req });

function expectRefusal(env: Envelope, words: string): void {
  expect(env).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
  expect((env as { error: { message: string } }).error.message).toContain(words);
}

describe('work bounds on valid-looking requests', () => {
  it('a 19,000-letter word is refused at once with a plain reason', async () => {
    const t0 = performance.now();
    expectRefusal(await generate({ prompt: `a ${'x'.repeat(19_000)} cat` }), `a word is at most ${MAX_WORD_CHARS} characters`);
    expectRefusal(await generate({ negativePrompt: 'y'.repeat(MAX_WORD_CHARS + 1) }), 'negativePrompt');
    expectRefusal(await dispatch(handlers, 'jobs.edit', { model: BUNDLED_DEFAULT_MODEL, sourcePrompt: 'a', targetPrompt: 'z'.repeat(5000) }), 'targetPrompt');
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('words up to the limit and long prompts of ordinary words pass', async () => {
    expect(await generate({ prompt: 'w'.repeat(MAX_WORD_CHARS) })).toMatchObject({ ok: true });
    expect(await generate({ prompt: 'a red cat, '.repeat(1500).slice(0, MAX_PROMPT_CHARS) })).toMatchObject({ ok: true });
  });

  it('a prompt over the length limit, too many steps or too large a size say so', async () => {
    expectRefusal(await generate({ prompt: 'a '.repeat(MAX_PROMPT_CHARS) }), `prompts are at most ${MAX_PROMPT_CHARS} characters`);
    expectRefusal(await generate({ steps: MAX_STEPS + 1 }), `steps: at most ${MAX_STEPS} steps`);
    expectRefusal(await generate({ width: 8192 }), 'width: images are at most 4096 pixels a side');
    expectRefusal(await dispatch(handlers, 'jobs.stylize', { model: BUNDLED_DEFAULT_MODEL, content: { imageId: 'x' }, style: { imageId: 'y' }, steps: 10_000 }), 'at most');
  });
});
