import { describeEmbeddings, describeLoras } from '../catalog/networks.ts';
import { missingLoras } from '../lora/recipeCheck.ts';
import type { Handlers } from '../api/contract.ts';
import { EmbeddedRecipeSchema, type ImageRef } from '../api/schemas.ts';
import type { JobContext } from './jobs/queue.ts';
import { scanModelsDir } from '../catalog/scan.ts';
import { encodeExport, exportImage } from '../export/exportImage.ts';
import { loadImageInput } from '../image/loadImage.ts';
import { readEmbeddedRecipeFromBytes } from '../export/readRecipe.ts';
import { confineJob } from './confineRequest.ts';
import type { Pipelines, StudioContext } from './context.ts';
import { PathPolicy } from './pathPolicy.ts';

/** One handler per contract operation; the type makes a missing one a compile error. */
export function createHandlers(studio: StudioContext): Handlers {
  const { queue, results, settings, pipelines } = studio;
  const paths = studio.paths ?? PathPolicy.fromSettings(settings);
  /** A job operation: its files checked before it is queued, then run by the pipeline of the same name. */
  const job = <K extends keyof Pipelines>(kind: K) => async (params: Parameters<Pipelines[K]>[0]) => {
    await confineJob(paths, params);
    const run = pipelines[kind] as (p: typeof params, j: JobContext, s: StudioContext) => Promise<ImageRef[]>;
    return { jobId: queue.submit(kind, (j) => run(params, j, studio)) };
  };
  return {
    'models.list': async ({ dir }) => {
      const folder = dir ? await paths.modelsFolder(dir) : (await settings.get()).modelsDir;
      const candidates = await scanModelsDir(folder);
      const models = [];
      for (const c of candidates) models.push(await studio.inspect(c.path));
      return { dir: folder, models, loras: await describeLoras(folder), embeddings: await describeEmbeddings(folder) };
    },
    'models.inspect': async ({ path, config }) => {
      await paths.model(path);
      if (config) await paths.modelFile(config);
      return studio.inspect(path, config);
    },
    'jobs.generate': job('generate'),
    'jobs.img2img': job('img2img'),
    'jobs.edit': job('edit'),
    'jobs.inpaint': job('inpaint'),
    'jobs.attention': job('attention'),
    'jobs.stylize': job('stylize'),
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
    'images.encode': async ({ image, format, quality }) => {
      await paths.images([image]);
      const encoded = await encodeExport(await loadImageInput(image, results), format, quality);
      return { mime: `image/${format}`, base64: encoded.toString('base64'), bytes: encoded.length };
    },
    'images.recipe': async ({ image }) => {
      if ('imageId' in image) {
        const stored = results.get(image.imageId);
        return { parameters: stored.parameters ?? null, recipe: stored.recipe ?? null, ...(await missingLoras(stored.recipe?.loras, (await settings.get()).modelsDir)) };
      }
      await paths.images([image]);
      const { bytes } = await loadImageInput(image, results);
      const found = await readEmbeddedRecipeFromBytes(bytes, 'path' in image ? image.path : 'the image');
      // A recipe from another version or tool, or of any other shape, is reported as absent rather than failing the call.
      const r = found.recipe as Partial<Record<string, unknown>> | null;
      const usable = r && typeof r === 'object' ? EmbeddedRecipeSchema.safeParse({ format: r.format, version: r.version, operation: r.operation, request: r.request, modelHash: r.modelHash ?? null, ...(Array.isArray(r.loras) ? { loras: r.loras } : {}) }) : null;
      const recipe = usable?.success ? usable.data : null;
      return { parameters: found.parameters, recipe, ...(recipe ? await missingLoras(recipe.loras, (await settings.get()).modelsDir) : {}) };
    },
    'settings.get': async () => settings.get(),
    'settings.set': async (patch) => settings.set(patch),
  };
}
