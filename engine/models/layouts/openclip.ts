import type { RenameRule } from '../keyRules.ts';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * OpenCLIP text tower (SD 2.x single files, `cond_stage_model.model.*`) → the canonical
 * transformers CLIPTextModel names, so one text-encoder builder serves SD 1.x and 2.x.
 * The fused attention input projection [3·d, d] is split into q/k/v row blocks.
 *
 * The rules for an OpenCLIP text tower under `src` (e.g. `cond_stage_model.model.`) into
 * CLIPTextModel names under `dst` (`….text_model.`). Rules placed before these win, so a
 * family that needs `text_projection` (SDXL's pooled vector) maps it first.
 */
export function openClipTextRulesFor(src: string, dst: string): RenameRule[] {
  const SRC = `^${escape(src)}`;
  const LAYER = String.raw`${SRC}transformer\.resblocks\.(\d+)\.`;
  const layer = (rest: string) => `${dst}encoder.layers.$1.${rest}`;
  return [
    { from: new RegExp(`${SRC}token_embedding\\.weight$`), to: `${dst}embeddings.token_embedding.weight` },
    { from: new RegExp(`${SRC}positional_embedding$`), to: `${dst}embeddings.position_embedding.weight` },
    { from: new RegExp(`${LAYER}ln_1\\.(weight|bias)$`), to: layer('layer_norm1.$2') },
    { from: new RegExp(`${LAYER}ln_2\\.(weight|bias)$`), to: layer('layer_norm2.$2') },
    {
      from: new RegExp(`${LAYER}attn\\.in_proj_weight$`),
      to: [layer('self_attn.q_proj.weight'), layer('self_attn.k_proj.weight'), layer('self_attn.v_proj.weight')],
    },
    {
      from: new RegExp(`${LAYER}attn\\.in_proj_bias$`),
      to: [layer('self_attn.q_proj.bias'), layer('self_attn.k_proj.bias'), layer('self_attn.v_proj.bias')],
    },
    { from: new RegExp(`${LAYER}attn\\.out_proj\\.(weight|bias)$`), to: layer('self_attn.out_proj.$2') },
    { from: new RegExp(`${LAYER}mlp\\.c_fc\\.(weight|bias)$`), to: layer('mlp.fc1.$2') },
    { from: new RegExp(`${LAYER}mlp\\.c_proj\\.(weight|bias)$`), to: layer('mlp.fc2.$2') },
    { from: new RegExp(`${SRC}ln_final\\.(weight|bias)$`), to: `${dst}final_layer_norm.$1` },
    // Contrastive-head parameters: SD conditions on hidden states, never on the projection.
    { from: new RegExp(`${SRC}(text_projection|logit_scale)$`), to: null },
    // Some files embed the image tower too; it plays no part in text conditioning.
    { from: new RegExp(`${SRC}visual\\.`), to: null },
  ];
}

export const openClipTextRules: RenameRule[] = openClipTextRulesFor('cond_stage_model.model.', 'cond_stage_model.transformer.text_model.');
