import { z } from 'zod';
import { JobSummarySchema } from './events.ts';
import { OPERATION_NAMES, type OperationName } from './operations.ts';
import {
  AttentionRequestSchema,
  EditRequestSchema,
  GenerateRequestSchema,
  Img2ImgRequestSchema,
  ImageInputSchema,
  InpaintRequestSchema,
  StylizeRequestSchema,
  ModelEntrySchema,
  LoraEntrySchema,
  EmbeddingEntrySchema,
  SettingsSchema,
  EmbeddedRecipeSchema,
} from './schemas.ts';

/**
 * The Studio API, written once. Each operation has a request and a response schema;
 * both transports (Electron IPC and HTTP) route exactly these names, and a test proves it.
 * Long work returns a job id at once and reports through job events.
 */
const JobStarted = z.object({ jobId: z.string() }).strict();

export const CONTRACT = {
  'models.list': {
    request: z.object({ dir: z.string().min(1).max(4096).optional() }).strict(),
    response: z.object({ dir: z.string(), models: z.array(ModelEntrySchema), loras: z.array(LoraEntrySchema).optional(), embeddings: z.array(EmbeddingEntrySchema).optional() }).strict(),
  },
  'models.inspect': {
    request: z.object({ path: z.string().min(1).max(4096), config: z.string().max(4096).optional() }).strict(),
    response: ModelEntrySchema,
  },
  'jobs.generate': { request: GenerateRequestSchema, response: JobStarted },
  'jobs.img2img': { request: Img2ImgRequestSchema, response: JobStarted },
  'jobs.edit': { request: EditRequestSchema, response: JobStarted },
  'jobs.inpaint': { request: InpaintRequestSchema, response: JobStarted },
  'jobs.stylize': { request: StylizeRequestSchema, response: JobStarted },
  'jobs.attention': { request: AttentionRequestSchema, response: JobStarted },
  'jobs.cancel': {
    request: z.object({ jobId: z.string().min(1).max(200) }).strict(),
    response: z.object({ cancelled: z.boolean() }).strict(),
  },
  'jobs.list': {
    request: z.object({}).strict(),
    response: z.object({ jobs: z.array(JobSummarySchema) }).strict(),
  },
  'images.read': {
    request: z.object({ imageId: z.string().min(1).max(200) }).strict(),
    response: z.object({ mime: z.string(), base64: z.string(), width: z.number(), height: z.number() }).strict(),
  },
  'images.export': {
    request: z
      .object({
        image: ImageInputSchema,
        path: z.string().min(1).max(4096),
        format: z.enum(['png', 'jpeg', 'webp']).default('png'),
        quality: z.number().int().min(1).max(100).default(92),
        overwrite: z.boolean().default(false),
      })
      .strict(),
    response: z.object({ path: z.string(), bytes: z.number() }).strict(),
  },
  /** The file an export would write, returned instead of written: the browser downloads it to the user. */
  'images.encode': {
    request: z
      .object({
        image: ImageInputSchema,
        format: z.enum(['png', 'jpeg', 'webp']).default('png'),
        quality: z.number().int().min(1).max(100).default(92),
      })
      .strict(),
    response: z.object({ mime: z.string(), base64: z.string(), bytes: z.number() }).strict(),
  },
  /** The recipe embedded in an image (ours or AUTOMATIC1111's), so re-opening an export can restore its settings. */
  'images.recipe': {
    request: z.object({ image: ImageInputSchema }).strict(),
    response: z
      .object({
        parameters: z.string().nullable(),
        recipe: EmbeddedRecipeSchema.nullable(),
        /** LoRAs the recipe names that this studio cannot find (by path, name or hash): a replay would differ. */
        missingLoras: z.array(z.object({ name: z.string(), hash: z.string() }).strict()).optional(),
      })
      .strict(),
  },
  'settings.get': { request: z.object({}).strict(), response: SettingsSchema },
  'settings.set': { request: SettingsSchema.partial().strict(), response: SettingsSchema },
} as const satisfies Record<OperationName, { request: z.ZodType; response: z.ZodType }>;

export type Contract = typeof CONTRACT;
// Every name in OPERATION_NAMES has a schema and no schema lacks a name.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const sameNames: Exact<keyof Contract, OperationName> = true;
void sameNames;
export const OPERATIONS = OPERATION_NAMES;
export type { OperationName };

/** What a caller sends (defaults may be omitted). */
export type RequestOf<Op extends OperationName> = z.input<Contract[Op]['request']>;
/** What a handler receives after validation (defaults filled in). */
export type ParsedRequestOf<Op extends OperationName> = z.output<Contract[Op]['request']>;
export type ResponseOf<Op extends OperationName> = z.output<Contract[Op]['response']>;

export type Handlers = { [Op in OperationName]: (request: ParsedRequestOf<Op>) => Promise<ResponseOf<Op>> };

/** Client-side view: one async function per operation. */
export type StudioClient = { [Op in OperationName]: (request: RequestOf<Op>) => Promise<ResponseOf<Op>> };

export function isOperationName(name: unknown): name is OperationName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(CONTRACT, name);
}
