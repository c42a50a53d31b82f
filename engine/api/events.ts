import { z } from 'zod';
import { ERROR_CODES } from './errors.ts';
import { ImageRefSchema } from './schemas.ts';

export const JOB_KINDS = ['generate', 'img2img', 'edit', 'inpaint', 'stylize', 'attention'] as const;
export const JobKindSchema = z.enum(JOB_KINDS);
export type JobKind = z.infer<typeof JobKindSchema>;

export const ErrorPayloadSchema = z
  .object({ code: z.enum(ERROR_CODES), message: z.string(), details: z.record(z.string(), z.unknown()).optional() })
  .strict();
export type ErrorPayload = z.infer<typeof ErrorPayloadSchema>;

const base = { jobId: z.string(), at: z.number() };

/** Everything a job tells its listeners, in order: queued, started, progress*, then one of done/failed/cancelled. */
export const JobEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('queued'), ...base, kind: JobKindSchema, position: z.number().int() }).strict(),
  z.object({ type: z.literal('started'), ...base }).strict(),
  z
    .object({
      type: z.literal('progress'),
      ...base,
      step: z.number().int(),
      total: z.number().int(),
      itPerSec: z.number(),
      /** Small preview as a data: URL (PNG), present every few steps. */
      preview: z.string().optional(),
    })
    .strict(),
  z.object({ type: z.literal('done'), ...base, images: z.array(ImageRefSchema) }).strict(),
  z.object({ type: z.literal('failed'), ...base, error: ErrorPayloadSchema }).strict(),
  z.object({ type: z.literal('cancelled'), ...base }).strict(),
]);
export type JobEvent = z.infer<typeof JobEventSchema>;

export const JobStateSchema = z.enum(['queued', 'running', 'done', 'failed', 'cancelled']);
export type JobState = z.infer<typeof JobStateSchema>;

export const JobSummarySchema = z
  .object({
    jobId: z.string(),
    kind: JobKindSchema,
    state: JobStateSchema,
    step: z.number().int(),
    total: z.number().int(),
    images: z.array(ImageRefSchema),
    error: ErrorPayloadSchema.optional(),
  })
  .strict();
export type JobSummary = z.infer<typeof JobSummarySchema>;
