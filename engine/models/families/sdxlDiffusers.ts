import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { toStudioError } from '../../api/errors.ts';
import type { TensorInfo } from '../../safetensors/types.ts';
import type { RenameRule } from '../keyRules.ts';
import { type DiffusersOptions, hintsFromDiffusers, loadComponent, readJson } from '../diffusersFolder.ts';
import { diffusersUNetContext, diffusersUNetRules } from '../layouts/diffusersUnet.ts';
import { diffusersVAEContext, diffusersVAERules } from '../layouts/diffusersVae.ts';
import { sdxlDiffusersText2Rules, sdxlDiffusersTextRules, sdxlDiffusersUNetRules } from '../layouts/sdxl.ts';
import type { ConfigHints, SDXLSpec } from '../spec.ts';
import { sdxlBase, sdxlRefiner } from './sdxl.ts';
import { assembleSDXL } from './sdxlAssemble.ts';

const exists = (p: string) => access(p).then(() => true, () => false);

/** An SDXL pipeline folder: `text_encoder_2/`, or a UNet configured with SDXL's text_time additional embedding. */
export async function isSDXLFolder(dir: string): Promise<boolean> {
  if (await exists(join(dir, 'text_encoder_2'))) return true;
  const unet = await readJson(join(dir, 'unet', 'config.json'));
  return unet?.addition_embed_type === 'text_time';
}

/**
 * A diffusers SDXL folder (`unet/`, `vae/`, `text_encoder/` CLIPTextModel — absent in the
 * refiner —, `text_encoder_2/` CLIPTextModelWithProjection, `tokenizer/`, `tokenizer_2/`) into
 * the canonical space. `explicit` facts win over the folder's own configs.
 */
export async function detectSDXLFolder(dir: string, explicit: ConfigHints | undefined, options: DiffusersOptions = {}): Promise<SDXLSpec> {
  const prefer = options.variant ?? 'fp32';
  const hasClipL = await exists(join(dir, 'text_encoder'));
  const load = <C>(name: string, base: string, rules: ReadonlyArray<RenameRule<C>>, context: (keys: string[]) => C, prefix = '') =>
    loadComponent(join(dir, name), base, prefer, rules, context, prefix).then((r) => ({ name, ...r }));
  const none = () => undefined;
  const parts = await Promise.all([
    load('unet', 'diffusion_pytorch_model', [...sdxlDiffusersUNetRules, ...diffusersUNetRules], diffusersUNetContext, 'model.diffusion_model.'),
    load('vae', 'diffusion_pytorch_model', diffusersVAERules, diffusersVAEContext, 'first_stage_model.'),
    ...(hasClipL ? [load('text_encoder', 'model', sdxlDiffusersTextRules, none)] : []),
    load('text_encoder_2', 'model', sdxlDiffusersText2Rules, none),
  ]).catch((e: unknown) => {
    throw toStudioError(e);
  });
  const tensors = new Map<string, TensorInfo>();
  const unmatched: string[] = [];
  for (const p of parts) {
    p.canonical.forEach((t, k) => tensors.set(k, t));
    unmatched.push(...p.unmatched.map((k) => `${p.name}/${k}`));
  }
  const warnings = unmatched.length ? [`${unmatched.length} diffusers key(s) with no place in the SDXL layout were ignored: ${unmatched.slice(0, 12).join(', ')}`] : [];

  const json = async (...p: string[]) => (await readJson(join(dir, ...p))) ?? {};
  const [unet, vae, text, text2, scheduler] = await Promise.all([
    json('unet', 'config.json'), json('vae', 'config.json'), json('text_encoder', 'config.json'),
    json('text_encoder_2', 'config.json'), json('scheduler', 'scheduler_config.json'),
  ]);
  const folder = hintsFromDiffusers(unet, vae, text, scheduler, join(dir, 'unet', 'config.json'));
  const heads = (c: Record<string, unknown>) => (typeof c.num_attention_heads === 'number' ? c.num_attention_heads : undefined);
  const hints: ConfigHints = {
    ...folder,
    sdxlTextHeads: { ...(heads(text) ? { clipL: heads(text) } : {}), ...(heads(text2) ? { clipG: heads(text2) } : {}) },
    ...Object.fromEntries(Object.entries(explicit ?? {}).filter(([, v]) => v !== undefined)),
  };
  const tokenizer = join(dir, 'tokenizer');
  const tokenizer2 = join(dir, 'tokenizer_2');
  const spec = assembleSDXL(hasClipL ? sdxlBase : sdxlRefiner, {
    label: dir, layout: 'diffusers', tensors, hints, warnings,
    ...((await exists(join(tokenizer, 'vocab.json'))) ? { tokenizerDir: tokenizer } : {}),
  });
  return (await exists(join(tokenizer2, 'vocab.json'))) ? { ...spec, tokenizer2Dir: tokenizer2 } : spec;
}
