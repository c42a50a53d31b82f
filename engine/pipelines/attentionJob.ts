import type { JobContext } from '../studio/jobs/queue.ts';
import type { ImageRef } from '../api/schemas.ts';
import { randomSeed } from '../random/randn.ts';
import type { AttentionParams, StudioContext } from '../studio/context.ts';
import { attentionMaps, mapToPng } from './attentionMaps.ts';
import { runtimeFromSettings } from './modelBundle.ts';

/**
 * The `jobs.attention` operation: the image a prompt makes (or the given image, inverted under
 * the prompt) and, for each of its words, where cross-attention put that word — what the
 * prompt editor shows on hover and turns into masks.
 */
export async function attentionJob(params: AttentionParams, job: JobContext, studio: StudioContext): Promise<ImageRef[]> {
  const settings = await studio.settings.get();
  const seed = params.seed ?? randomSeed();
  const maps = await attentionMaps(
    { ...params, seed, signal: job.signal, onStep: (done, count) => job.progress(done, count) },
    runtimeFromSettings(settings),
    studio.results,
  );
  job.throwIfCancelled();
  const { width, height } = maps;
  const refs = [studio.results.add({ png: maps.png, width, height, seed, label: 'image' })];
  for (const w of maps.words) {
    refs.push(studio.results.add({ png: await mapToPng(w.map, maps.grid, width, height), width, height, seed, label: w.word }));
  }
  return refs;
}
