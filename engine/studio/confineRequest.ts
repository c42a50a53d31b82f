import type { ImageInput } from '../api/schemas.ts';
import type { PathPolicy } from './pathPolicy.ts';

/** The path-bearing fields any job request may carry (each job type has a subset). */
interface JobPaths {
  model?: string;
  ipAdapter?: { path: string; imageEncoder?: string };
  image?: ImageInput;
  mask?: ImageInput;
  content?: ImageInput;
  style?: ImageInput;
  imagePrompts?: ReadonlyArray<{ image: ImageInput }>;
  /** A VAE file or folder for models that take one apart (PixArt). */
  vae?: string;
  /** LoRAs by name, or by path (a name with a separator). */
  loras?: ReadonlyArray<{ name: string }>;
  embeddingsDir?: string;
}

/** Refuses a job before it is queued when any file it names is outside the policy, so the error comes back at once. */
export async function confineJob(paths: PathPolicy, request: JobPaths): Promise<void> {
  if (request.model) await paths.model(request.model);
  if (request.ipAdapter) {
    await paths.modelFile(request.ipAdapter.path);
    if (request.ipAdapter.imageEncoder) await paths.model(request.ipAdapter.imageEncoder);
  }
  if (request.vae) await paths.model(request.vae);
  for (const l of request.loras ?? []) if (/[\\/]/.test(l.name)) await paths.modelFile(l.name);
  if (request.embeddingsDir) await paths.modelsFolder(request.embeddingsDir);
  await paths.images([request.image, request.mask, request.content, request.style, ...(request.imagePrompts ?? []).map((p) => p.image)]);
}
