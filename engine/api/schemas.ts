import { z } from 'zod';
import { StyleInjectionOptionsSchema, StyleLayersSchema } from '../controllers/styleInjection/options.ts';
import { TokenMergingOptionsSchema } from '../controllers/tome/options.ts';

/**
 * Payload schemas shared by several operations. The renderer imports only the
 * inferred types; the schemas run at the transport boundaries.
 */

/** Largest side we accept for any image handed to the engine (pixels). */
export const MAX_IMAGE_SIDE = 4096;

/** Largest encoded image accepted, inline (base64 characters) or read from a file (bytes). */
export const MAX_ENCODED_IMAGE_BYTES = 64 * 1024 * 1024;

export const SAMPLERS = ['ddim', 'euler', 'euler-a', 'dpmpp-2m'] as const;
export const SamplerSchema = z.enum(SAMPLERS);

/** An image the engine should read: one it produced, a file, or PNG/JPEG bytes. */
export const ImageInputSchema = z.union([
  z.object({ imageId: z.string().min(1).max(200) }).strict(),
  z.object({ path: z.string().min(1).max(4096) }).strict(),
  z.object({ base64: z.string().min(1).max(MAX_ENCODED_IMAGE_BYTES) }).strict(),
]);
export type ImageInput = z.infer<typeof ImageInputSchema>;

const side = z
  .number()
  .int()
  .min(64, 'images are at least 64 pixels a side')
  .max(MAX_IMAGE_SIDE, `images are at most ${MAX_IMAGE_SIDE} pixels a side`);

/** Work bounds on the text a request carries: the tokenizer and text encoder run once per 75 tokens. */
export const MAX_PROMPT_CHARS = 20_000;
/** No real word, tag or URL is this long; a longer run of letters is pasted data, not a prompt. */
export const MAX_WORD_CHARS = 1000;
export const MAX_STEPS = 500;

function longestWord(text: string): number {
  let longest = 0;
  for (const word of text.split(/\s+/)) longest = Math.max(longest, word.length);
  return longest;
}

const PromptSchema = z
  .string()
  .max(MAX_PROMPT_CHARS, `prompts are at most ${MAX_PROMPT_CHARS} characters`)
  .refine((t) => longestWord(t) <= MAX_WORD_CHARS, {
    message: `a word is at most ${MAX_WORD_CHARS} characters; put spaces between words`,
  });

const StepsSchema = z.number().int().min(1, 'at least 1 step').max(MAX_STEPS, `at most ${MAX_STEPS} steps`);

/** The controller's own options (defined once, in the controller) plus the request-level mask option. */
export const TokenMergingSchema = TokenMergingOptionsSchema.extend({
  /** Inpainting: tokens under the mask are never merged. */
  excludeMasked: z.boolean().default(false),
}).strict();

/** One IP-Adapter reference image with its own scale (0 = no effect; 0.5 with text, 1 image-only, per the reference README). */
export const ImagePromptSchema = z.object({ image: ImageInputSchema, scale: z.number().min(-2).max(5).default(1) }).strict();

/**
 * The IP-Adapter file (`ip-adapter_sd15.safetensors`, `ip-adapter-plus_sd15.safetensors`...)
 * and its CLIP image encoder (default: an `image_encoder/` folder beside the file or its
 * parent, as h94 ships them). `blocks`: InstantStyle preset or per-block scales by diffusers
 * block name (`up_blocks.1`, `mid_block`...); unlisted blocks get 0.
 */
export const IpAdapterSchema = z
  .object({
    path: z.string().min(1).max(4096),
    imageEncoder: z.string().min(1).max(4096).optional(),
    blocks: z.union([z.enum(['style', 'layout', 'style+layout']), z.record(z.string().max(100), z.number().min(-5).max(5))]).optional(),
  })
  .strict();

/** A LoRA from the models folder's `loras/` by file stem (or `ss_output_name`), with its multiplier. */
export const LoraChoiceSchema = z
  .object({
    name: z.string().min(1).max(4096),
    scale: z.number().min(-10).max(10).default(1),
  })
  .strict();

/** Settings every generating operation shares. */
export const SamplingSchema = z
  .object({
    model: z.string().min(1).max(4096),
    prompt: PromptSchema,
    negativePrompt: PromptSchema.default(''),
    steps: StepsSchema.default(25),
    /** Default: the model's recommended scale (its config's `guidance_scale`), else 7.5. */
    cfg: z.number().min(0).max(50).optional(),
    seed: z.number().int().min(0).max(2 ** 53 - 1).optional(),
    /** Default: the model's training resolution (512 for SD 1.x, 768 for SD 2.x v-models). */
    width: side.optional(),
    height: side.optional(),
    sampler: SamplerSchema.default('ddim'),
    batchCount: z.number().int().min(1).max(64).default(1),
    tokenMerging: TokenMergingSchema.optional(),
    /** IP-Adapter image prompts; needs `ipAdapter`. */
    imagePrompts: z.array(ImagePromptSchema).max(8).optional(),
    ipAdapter: IpAdapterSchema.optional(),
    /** A VAE (diffusers vae/ folder or .safetensors) to decode with, for models that take one apart (PixArt); default the one found with the model. */
    vae: z.string().min(1).max(4096).optional(),
    /** LoRAs besides the prompt's `<lora:name:m>` tags (a name in both: this multiplier). */
    loras: z.array(LoraChoiceSchema).max(16).optional(),
    /** `branch` (default): multipliers are feeds, moving one compiles nothing; `merge`: folded into the weights, faster steps, a new session per multiplier. */
    loraMode: z.enum(['branch', 'merge']).optional(),
    /** Textual-inversion folder; default the models folder's `embeddings/`. */
    embeddingsDir: z.string().min(1).max(4096).optional(),
  })
  .strict();

export const GenerateRequestSchema = SamplingSchema;
export type GenerateRequest = z.input<typeof GenerateRequestSchema>;

/** Prompt-to-prompt edit of a generated image or a real photo (then `image` is inverted first). */
export const EditRequestSchema = SamplingSchema.omit({ prompt: true })
  .extend({
    sourcePrompt: PromptSchema,
    targetPrompt: PromptSchema,
    image: ImageInputSchema.optional(),
    crossReplaceSteps: z.number().min(0).max(1).default(0.8),
    /** Per-word overrides of crossReplaceSteps, for words of the target prompt. */
    crossReplaceWords: z.record(z.string().max(200), z.number().min(0).max(1)).default({}),
    selfReplaceSteps: z.number().min(0).max(1).default(0.4),
    wordWeights: z.record(z.string().max(200), z.number().min(-10).max(10)).default({}),
    localBlendWords: z.array(z.string().max(200)).max(77).default([]),
    /** Share of its maximum a blend word's attention must reach to be in the region (the reference's 0.3). */
    localBlendThreshold: z.number().gt(0).lt(1).default(0.3),
    mask: ImageInputSchema.optional(),
    /** auto: word swap when both prompts have as many words, else refinement. */
    editMode: z.enum(['auto', 'replace', 'refine']).default('auto'),
    /** A photo's own size by default, scaled down to the model's size class (pipelines/size.ts planInputSize); the model's native size for a seed. */
    width: side.optional(),
    height: side.optional(),
  })
  .strict();
export type EditRequest = z.input<typeof EditRequestSchema>;

/**
 * Where each word of a prompt acts: generates the image (or, with `image`, DDIM-inverts that
 * image under the prompt), then one grey map per word (cross-attention averaged over heads,
 * layers and steps at latent/`resolution`).
 */
export const AttentionRequestSchema = SamplingSchema.pick({
  model: true, prompt: true, negativePrompt: true, steps: true, cfg: true, seed: true, width: true, height: true, sampler: true,
})
  .extend({
    resolution: z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8)]).default(4),
    /** The image the maps should describe (a photo, an edited result); seed and sampler are then unused. */
    image: ImageInputSchema.optional(),
  })
  .strict();
export type AttentionRequest = z.input<typeof AttentionRequestSchema>;

/** img2img and inpaint default to the input image's size within the model's size class (pipelines/size.ts planInputSize). */
const ImageSizeOverride = { width: side.optional(), height: side.optional() };

export const Img2ImgRequestSchema = SamplingSchema.extend({
  ...ImageSizeOverride,
  image: ImageInputSchema,
  strength: z.number().min(0).max(1).default(0.6),
}).strict();
export type Img2ImgRequest = z.input<typeof Img2ImgRequestSchema>;

/** The mask is white (or opaque) where the image should change, black where it must stay. */
export const InpaintRequestSchema = SamplingSchema.extend({
  ...ImageSizeOverride,
  image: ImageInputSchema,
  mask: ImageInputSchema,
  strength: z.number().min(0).max(1).default(1),
  maskFeather: z.number().min(0).max(256).default(8),
}).strict();
export type InpaintRequest = z.input<typeof InpaintRequestSchema>;

/**
 * StyleID style transfer (ALGORITHMS §4): both images are DDIM-inverted with the empty
 * prompt, sampling starts from the AdaIN-matched latent, and the chosen decoder
 * self-attention layers take the style's keys and values. Defaults are the paper's.
 * `mask` limits the change to the painted region.
 */
export const StylizeRequestSchema = z
  .object({
    model: z.string().min(1).max(4096),
    content: ImageInputSchema,
    style: ImageInputSchema,
    gamma: StyleInjectionOptionsSchema.shape.gamma,
    temperature: StyleInjectionOptionsSchema.shape.temperature,
    steps: StepsSchema.default(50),
    /** Default the decoder's two finest attention levels (6–11 on SD). */
    layers: StyleLayersSchema.optional(),
    /** Start from the AdaIN of the two inverted latents (the reference's default) rather than the content's. */
    adain: z.boolean().default(true),
    mask: ImageInputSchema.optional(),
    maskFeather: z.number().min(0).max(256).default(8),
    /** Default: the content image's size within the model's size class (pipelines/size.ts planInputSize). */
    ...ImageSizeOverride,
  })
  .strict();
export type StylizeRequest = z.input<typeof StylizeRequestSchema>;

export const ArchitectureSchema = z
  .object({
    family: z.string(),
    /** Plain-words summary such as "SD 1.x UNet, 9-channel inpainting, eps". */
    summary: z.string(),
    details: z.record(z.string(), z.unknown()),
  })
  .strict();
export type Architecture = z.infer<typeof ArchitectureSchema>;

export const ModelEntrySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    path: z.string(),
    kind: z.enum(['single-file', 'diffusers-folder']),
    sizeBytes: z.number(),
    architecture: ArchitectureSchema.nullable(),
    /** Why the model cannot be loaded, in plain words; null when it can. */
    error: z.object({ code: z.string(), message: z.string() }).strict().nullable(),
  })
  .strict();
export type ModelEntry = z.infer<typeof ModelEntrySchema>;

/** A LoRA / LyCORIS file of the models folder's `loras/`, as its header describes it. */
export const LoraEntrySchema = z
  .object({
    name: z.string(),
    path: z.string(),
    sizeBytes: z.number(),
    format: z.enum(['kohya', 'peft', 'lycoris']).nullable(),
    kinds: z.array(z.enum(['lora', 'loha', 'lokr'])),
    /** The base family it was made for (metadata or shapes), null when nothing tells. */
    family: z.enum(['sd1', 'sd2', 'sdxl', 'dit']).nullable(),
    familyLabel: z.string().nullable(),
    ranks: z.array(z.number()),
    modules: z.number(),
    targets: z.object({ unet: z.number(), text: z.number() }).strict(),
    /** `ss_output_name`: the alias `<lora:…>` may use. */
    outputName: z.string().nullable(),
    /** The most frequent training tags (`ss_tag_frequency`). */
    triggerWords: z.array(z.string()),
    error: z.string().nullable(),
  })
  .strict();
export type LoraEntry = z.infer<typeof LoraEntrySchema>;

/** A textual-inversion file of the models folder's `embeddings/`. */
export const EmbeddingEntrySchema = z
  .object({
    name: z.string(),
    path: z.string(),
    vectors: z.number(),
    width: z.number(),
    family: z.enum(['sd1', 'sd2', 'sdxl']).nullable(),
    error: z.string().nullable(),
  })
  .strict();
export type EmbeddingEntry = z.infer<typeof EmbeddingEntrySchema>;

export const SettingsSchema = z
  .object({
    modelsDir: z.string().min(1).max(4096),
    outputDir: z.string().min(1).max(4096),
    executionProvider: z.enum(['auto', 'cpu', 'cuda', 'dml', 'coreml']),
    threads: z.number().int().min(0).max(256),
    previewEvery: z.number().int().min(0).max(1000),
  })
  .strict();
export type Settings = z.infer<typeof SettingsSchema>;

/** Our recipe as read back from an image: what a restore may use. */
export const EmbeddedRecipeSchema = z
  .object({
    format: z.literal('latent-studio-recipe'),
    version: z.literal(1),
    operation: z.string(),
    request: z.record(z.string(), z.unknown()),
    modelHash: z.string().nullable(),
    /** The LoRA files a result used (name, file, hash, multiplier): what a replay must find again. */
    loras: z.array(z.object({ name: z.string(), file: z.string(), hash: z.string(), scale: z.number() }).strict()).optional(),
  })
  .strict();

export const ImageRefSchema = z
  .object({
    imageId: z.string(),
    width: z.number().int(),
    height: z.number().int(),
    seed: z.number().int().optional(),
    /** What the image shows when a job returns several kinds (an attention map's word). */
    label: z.string().optional(),
  })
  .strict();
export type ImageRef = z.infer<typeof ImageRefSchema>;
