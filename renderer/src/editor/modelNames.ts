import type { ModelEntry } from '../../../engine/api/schemas.ts';

/** What each kind of file in the models folder is for, in the settings list. */
const ROLE: Record<string, string> = {
  'clip-vision': 'Image encoder (for IP-Adapter image prompts)',
  'ip-adapter': 'IP-Adapter (image prompts)',
  taesd: 'Preview decoder (TAESD)',
};

/** File names that say nothing on their own: the folder around them does (h94's `image_encoder/model.safetensors`, diffusers parts). */
const GENERIC = new Set(['model', 'diffusion_pytorch_model', 'pytorch_model', 'weights', 'checkpoint']);

export function modelRole(m: ModelEntry): string {
  if (m.error || !m.architecture) return 'Cannot be loaded';
  return ROLE[m.architecture.family] ?? (m.kind === 'diffusers-folder' ? 'Image model (diffusers folder)' : 'Image model');
}

/** The name to list: the file's own name, or its path inside the models folder when the name is generic. */
export function modelDisplayName(m: ModelEntry, dir: string | null): string {
  if (!GENERIC.has(m.name.toLowerCase())) return m.name;
  const rel = dir && m.path.startsWith(dir) ? m.path.slice(dir.length).replace(/^[\\/]+/, '') : m.path.split(/[\\/]/).slice(-2).join('/');
  return rel.replace(/\\/g, '/');
}
