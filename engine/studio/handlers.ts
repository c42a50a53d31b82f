import { describeEmbeddings, describeLoras } from '../catalog/networks.ts';
import { missingLoras } from '../lora/recipeCheck.ts';
import type { Handlers } from '../api/contract.ts';
import { scanModelsDir } from '../catalog/scan.ts';
import { encodeExport, exportImage } from '../export/exportImage.ts';
import { loadImageInput } from '../export/loadImage.ts';
import { readEmbeddedRecipeFromBytes } from '../export/readRecipe.ts';
import type { StudioContext } from './context.ts';

/** One handler per contract operation; the type makes a missing one a compile error. */
export function createHandlers(studio: StudioContext): Handlers {
  const { queue, results, settings, pipelines } = studio;
  return {
    'models.list': async ({ dir }) => {
      const folder = dir ?? (await settings.get()).modelsDir;
      const candidates = await scanModelsDir(folder);
      const models = [];
      for (const c of candidates) models.push(await studio.inspect(c.path));
      return { dir: folder, models, loras: await describeLoras(folder), embeddings: await describeEmbeddings(folder) };
    },
    'models.inspect': async ({ path, config }) => studio.inspect(path, config),
    'jobs.generate': async (params) => ({
      jobId: queue.submit('generate', (job) => pipelines.generate(params, job, studio)),
    }),
    'jobs.img2img': async (params) => ({
      jobId: queue.submit('img2img', (job) => pipelines.img2img(params, job, studio)),
    }),
    'jobs.edit': async (params) => ({
      jobId: queue.submit('edit', (job) => pipelines.edit(params, job, studio)),
    }),
    'jobs.inpaint': async (params) => ({
      jobId: queue.submit('inpaint', (job) => pipelines.inpaint(params, job, studio)),
    }),
    'jobs.attention': async (params) => ({
      jobId: queue.submit('attention', (job) => pipelines.attention(params, job, studio)),
    }),
    'jobs.stylize': async (params) => ({
      jobId: queue.submit('stylize', (job) => pipelines.stylize(params, job, studio)),
    }),
    'jobs.cancel': async ({ jobId }) => ({ cancelled: queue.cancel(jobId) }),
    'jobs.list': async () => ({ jobs: queue.list() }),
    'images.read': async ({ imageId }) => {
      const img = results.get(imageId);
      return { mime: 'image/png', base64: img.png.toString('base64'), width: img.width, height: img.height };
    },
    'images.export': async ({ image, path, format, quality, overwrite }) =>
      exportImage(await loadImageInput(image, results), path, format, { quality, overwrite }),
    'images.encode': async ({ image, format, quality }) => {
      const encoded = await encodeExport(await loadImageInput(image, results), format, quality);
      return { mime: `image/${format}`, base64: encoded.toString('base64'), bytes: encoded.length };
    },
    'images.recipe': async ({ image }) => {
      if ('imageId' in image) {
        const stored = results.get(image.imageId);
        return { parameters: stored.parameters ?? null, recipe: stored.recipe ?? null, ...(await missingLoras(stored.recipe?.loras, (await settings.get()).modelsDir)) };
      }
      const { bytes } = await loadImageInput(image, results);
      const found = await readEmbeddedRecipeFromBytes(bytes, 'path' in image ? image.path : 'the image');
      // A recipe from another version or tool is reported as absent rather than failing the call.
      const r = found.recipe;
      const usable = r && r.format === 'latent-studio-recipe' && r.version === 1 && typeof r.operation === 'string' && r.request && typeof r.request === 'object';
      return {
        parameters: found.parameters,
        recipe: usable ? { format: r.format, version: r.version, operation: r.operation, request: r.request, modelHash: r.modelHash ?? null, ...(Array.isArray(r.loras) ? { loras: r.loras } : {}) } : null,
        ...(usable ? await missingLoras(r.loras, (await settings.get()).modelsDir) : {}),
      };
    },
    'settings.get': async () => settings.get(),
    'settings.set': async (patch) => settings.set(patch),
  };
}
