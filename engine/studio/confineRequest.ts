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
}

/** Refuses a job before it is queued when any file it names is outside the policy, so the error comes back at once. */
export async function confineJob(paths: PathPolicy, request: JobPaths): Promise<void> {
  if (request.model) await paths.model(request.model);
  if (request.ipAdapter) {
    await paths.modelFile(request.ipAdapter.path);
    if (request.ipAdapter.imageEncoder) await paths.model(request.ipAdapter.imageEncoder);
  }
  await paths.images([request.image, request.mask, request.content, request.style, ...(request.imagePrompts ?? []).map((p) => p.image)]);
}
