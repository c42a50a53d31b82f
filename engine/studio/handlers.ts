import type { Handlers } from '../api/contract.ts';
import { EmbeddedRecipeSchema } from '../api/schemas.ts';
import { scanModelsDir } from '../catalog/scan.ts';
import { exportImage } from '../export/exportImage.ts';
import { loadImageInput } from '../export/loadImage.ts';
import { readEmbeddedRecipeFromBytes } from '../export/readRecipe.ts';
import { confineJob } from './confineRequest.ts';
import type { StudioContext } from './context.ts';
import { PathPolicy } from './pathPolicy.ts';

/** One handler per contract operation; the type makes a missing one a compile error. */
export function createHandlers(studio: StudioContext): Handlers {
  const { queue, results, settings, pipelines } = studio;
  const paths = studio.paths ?? PathPolicy.fromSettings(settings);
  return {
    'models.list': async ({ dir }) => {
      const folder = dir ? await paths.modelsFolder(dir) : (await settings.get()).modelsDir;
      const candidates = await scanModelsDir(folder);
      const models = [];
      for (const c of candidates) models.push(await studio.inspect(c.path));
      return { dir: folder, models };
    },
    'models.inspect': async ({ path, config }) => {
      await paths.model(path);
      if (config) await paths.modelFile(config);
      return studio.inspect(path, config);
    },
    'jobs.generate': async (params) => {
      await confineJob(paths, params);
      return { jobId: queue.submit('generate', (job) => pipelines.generate(params, job, studio)) };
    },
    'jobs.img2img': async (params) => {
      await confineJob(paths, params);
      return { jobId: queue.submit('img2img', (job) => pipelines.img2img(params, job, studio)) };
    },
    'jobs.edit': async (params) => {
      await confineJob(paths, params);
      return { jobId: queue.submit('edit', (job) => pipelines.edit(params, job, studio)) };
    },
    'jobs.inpaint': async (params) => {
      await confineJob(paths, params);
      return { jobId: queue.submit('inpaint', (job) => pipelines.inpaint(params, job, studio)) };
    },
    'jobs.attention': async (params) => {
      await confineJob(paths, params);
      return { jobId: queue.submit('attention', (job) => pipelines.attention(params, job, studio)) };
    },
    'jobs.stylize': async (params) => {
      await confineJob(paths, params);
      return { jobId: queue.submit('stylize', (job) => pipelines.stylize(params, job, studio)) };
    },
    'jobs.cancel': async ({ jobId }) => ({ cancelled: queue.cancel(jobId) }),
    'jobs.list': async () => ({ jobs: queue.list() }),
    'images.read': async ({ imageId }) => {
      const img = results.get(imageId);
      return { mime: 'image/png', base64: img.png.toString('base64'), width: img.width, height: img.height };
    },
    'images.export': async ({ image, path, format, quality, overwrite }) => {
      await paths.images([image]);
      const target = await paths.exportTarget(path, overwrite);
      return exportImage(await loadImageInput(image, results), target, format, { quality, overwrite });
    },
    'images.recipe': async ({ image }) => {
      if ('imageId' in image) {
        const stored = results.get(image.imageId);
        return { parameters: stored.parameters ?? null, recipe: stored.recipe ?? null };
      }
      await paths.images([image]);
      const { bytes } = await loadImageInput(image, results);
      const found = await readEmbeddedRecipeFromBytes(bytes, 'path' in image ? image.path : 'the image');
      // A recipe from another version or tool, or of any other shape, is reported as absent rather than failing the call.
      const r = found.recipe as Partial<Record<string, unknown>> | null;
      const usable = r && typeof r === 'object' ? EmbeddedRecipeSchema.safeParse({ format: r.format, version: r.version, operation: r.operation, request: r.request, modelHash: r.modelHash ?? null }) : null;
      return { parameters: found.parameters, recipe: usable?.success ? usable.data : null };
    },
    'settings.get': async () => settings.get(),
    'settings.set': async (patch) => settings.set(patch),
  };
}
