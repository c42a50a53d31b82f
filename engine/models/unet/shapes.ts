import type { UNetConfig } from '../spec.ts';
import type { WeightStore } from '../weightStore.ts';
import { ShapeTable, countIndexed, dimOf, indicesOf, ratio, unsupported } from '../shapeTools.ts';

/** Everything about the LDM UNet that tensor shapes tell; heads are resolved by the family. */
export type UNetShapes = Omit<UNetConfig, 'numHeads' | 'numHeadChannels' | 'headsPerLevel' | 'headsSource'>;

/**
 * Reads the UNet's hyper-parameters from canonical keys under `model.diffusion_model`.
 *
 * LDM numbers `input_blocks` as one flat Sequential: block 0 is conv_in, then per level
 * `numResBlocks` ResBlocks (each optionally followed by a transformer at sub-index 1)
 * and one downsampler (`.0.op`) except after the last level. So the first downsampler's
 * index gives numResBlocks and the block count gives the number of levels.
 */
export function detectUNetShapes(w: WeightStore): UNetShapes {
  const label = w.label;
  const keys = w.keys();
  const conv = w.get('input_blocks.0.0.weight'); // [model_channels, in_channels, 3, 3]
  const [modelChannels, inChannels] = conv.shape;
  const outChannels = dimOf(w, [['out.2.weight', 0], ['out.2.bias', 0]]);
  const timeEmbedDim = dimOf(w, [['time_embed.0.weight', 0], ['time_embed.0.bias', 0], ['time_embed.2.weight', 0]]);

  const lastBlock = countIndexed(keys, /^input_blocks\.(\d+)\./) - 1;
  const downs = indicesOf(keys, /^input_blocks\.(\d+)\.0\.op\./);
  const numResBlocks = downs.length > 0 ? downs[0] - 1 : lastBlock;
  if (numResBlocks < 1) throw unsupported(label, 'input_blocks do not follow the LDM UNet layout');
  const levels = ratio(label, 'input_blocks count (levels × (num_res_blocks + 1))', lastBlock + 1, numResBlocks + 1);
  downs.forEach((d, l) => {
    if (d !== (l + 1) * (numResBlocks + 1)) {
      throw unsupported(label, `downsampler at input_blocks.${d} breaks the ${numResBlocks}-ResBlocks-per-level layout`);
    }
  });

  const channelMult: number[] = [];
  const attentionLevels: number[] = [];
  for (let l = 0; l < levels; l++) {
    const first = l * (numResBlocks + 1) + 1;
    const p = `input_blocks.${first}.0`;
    const ch = dimOf(w, [
      [`${p}.in_layers.2.weight`, 0],
      [`${p}.out_layers.3.weight`, 0],
      [`${p}.emb_layers.1.weight`, 0],
      [`${p}.out_layers.0.weight`, 0],
    ]);
    channelMult.push(ratio(label, `UNet level ${l} width vs model_channels`, ch, modelChannels));
    const blocks = Array.from({ length: numResBlocks }, (_, j) => `input_blocks.${first + j}.1.`);
    if (keys.some((k) => blocks.some((b) => k.startsWith(b)))) attentionLevels.push(l);
  }

  const attnKeys = keys.filter((k) => k.includes('.transformer_blocks.'));
  const { transformerDepth, midTransformerDepth } = transformerDepths(label, attnKeys, levels, numResBlocks);
  const toK = attnKeys.find((k) => k.endsWith('.attn2.to_k.weight'));
  const contextDim = toK ? w.get(toK).shape[1] : 0;
  const projIn = keys.find((k) => k.endsWith('.proj_in.weight'));
  const useLinearProjection = projIn ? w.get(projIn).shape.length === 2 : false;

  return {
    inChannels,
    outChannels,
    modelChannels,
    channelMult,
    numResBlocks,
    attentionLevels,
    attentionResolutions: attentionLevels.map((l) => 2 ** l),
    midBlockAttention: keys.some((k) => k.startsWith('middle_block.1.') && !k.includes('_layers.')),
    transformerDepth,
    midTransformerDepth,
    contextDim,
    useLinearProjection,
    timeEmbedDim,
    // SDXL's `label_emb.0.0`: Linear(adm_in_channels → time_embed_dim) over the vector conditioning.
    admInChannels: w.tryGet('label_emb.0.0.weight')?.shape[1] ?? 0,
  };
}

/**
 * Transformer depth per level from the `transformer_blocks.N` keys of every SpatialTransformer.
 * LDM (and sgm, which SDXL uses) gives the input and output blocks of a level one depth; a
 * file whose blocks disagree within a level is a pruned variant this layout does not describe.
 */
function transformerDepths(label: string, attnKeys: string[], levels: number, R: number): Pick<UNetShapes, 'transformerDepth' | 'midTransformerDepth'> {
  const perLevel: Array<Map<string, number>> = Array.from({ length: levels }, () => new Map());
  let mid = 0;
  for (const block of new Set(attnKeys.map((k) => k.slice(0, k.indexOf('.transformer_blocks.'))))) {
    const depth = countIndexed(attnKeys.filter((k) => k.startsWith(`${block}.`)), /\.transformer_blocks\.(\d+)\./);
    const m = /^(input|output)_blocks\.(\d+)\.1$/.exec(block);
    if (block === 'middle_block.1') mid = depth;
    else if (m) {
      const i = Number(m[2]);
      const level = m[1] === 'input' ? Math.floor((i - 1) / (R + 1)) : levels - 1 - Math.floor(i / (R + 1));
      if (level >= 0 && level < levels) perLevel[level].set(block, depth);
    }
  }
  const transformerDepth = perLevel.map((blocks, l) => {
    const depths = new Set(blocks.values());
    if (depths.size > 1) {
      const listed = [...blocks].map(([b, d]) => `${b}: ${d}`).join(', ');
      throw unsupported(label, `UNet level ${l} has transformers of different depths (${listed}); LDM gives every block of a level one depth`);
    }
    return depths.size ? [...depths][0] : 0;
  });
  return { transformerDepth, midTransformerDepth: mid };
}

/**
 * Every tensor an LDM UNet of this configuration owns, relative to `model.diffusion_model`,
 * with its shape — built by walking the architecture as LDM's UNetModel constructs it.
 */
export function expectedUNetTensors(c: UNetShapes): Map<string, number[]> {
  const t = new ShapeTable();
  const T = c.timeEmbedDim;
  const res = (p: string, cin: number, cout: number) => {
    t.norm(`${p}.in_layers.0`, cin);
    t.conv(`${p}.in_layers.2`, cout, cin, 3);
    t.linear(`${p}.emb_layers.1`, cout, T);
    t.norm(`${p}.out_layers.0`, cout);
    t.conv(`${p}.out_layers.3`, cout, cout, 3);
    if (cin !== cout) t.conv(`${p}.skip_connection`, cout, cin, 1);
  };
  const proj = (p: string, ch: number) => (c.useLinearProjection ? t.linear(p, ch, ch) : t.conv(p, ch, ch, 1));
  const transformer = (p: string, ch: number, depth: number) => {
    t.norm(`${p}.norm`, ch);
    proj(`${p}.proj_in`, ch);
    for (let d = 0; d < depth; d++) {
      const b = `${p}.transformer_blocks.${d}`;
      for (const [attn, kv] of [['attn1', ch], ['attn2', c.contextDim]] as const) {
        t.linear(`${b}.${attn}.to_q`, ch, ch, false);
        t.linear(`${b}.${attn}.to_k`, ch, kv, false);
        t.linear(`${b}.${attn}.to_v`, ch, kv, false);
        t.linear(`${b}.${attn}.to_out.0`, ch, ch);
      }
      t.linear(`${b}.ff.net.0.proj`, ch * 8, ch); // GEGLU: [value ‖ gate], inner width 4·ch
      t.linear(`${b}.ff.net.2`, ch, ch * 4);
      for (const n of ['norm1', 'norm2', 'norm3']) t.norm(`${b}.${n}`, ch);
    }
    proj(`${p}.proj_out`, ch);
  };
  const hasAttn = (l: number) => c.attentionLevels.includes(l);
  const levels = c.channelMult.length;

  t.linear('time_embed.0', T, c.modelChannels);
  t.linear('time_embed.2', T, T);
  if (c.admInChannels > 0) {
    // sgm's `label_emb` for num_classes "sequential": Sequential(Linear, SiLU, Linear).
    t.linear('label_emb.0.0', T, c.admInChannels);
    t.linear('label_emb.0.2', T, T);
  }
  t.conv('input_blocks.0.0', c.modelChannels, c.inChannels, 3);
  const skips = [c.modelChannels];
  let ch = c.modelChannels;
  let idx = 1;
  for (let l = 0; l < levels; l++) {
    const out = c.channelMult[l] * c.modelChannels;
    for (let j = 0; j < c.numResBlocks; j++, idx++) {
      res(`input_blocks.${idx}.0`, ch, out);
      ch = out;
      if (hasAttn(l)) transformer(`input_blocks.${idx}.1`, ch, c.transformerDepth[l]);
      skips.push(ch);
    }
    if (l < levels - 1) {
      t.conv(`input_blocks.${idx}.0.op`, ch, ch, 3);
      skips.push(ch);
      idx++;
    }
  }
  res('middle_block.0', ch, ch);
  if (c.midBlockAttention) transformer('middle_block.1', ch, c.midTransformerDepth);
  res(`middle_block.${c.midBlockAttention ? 2 : 1}`, ch, ch);

  idx = 0;
  for (let l = levels - 1; l >= 0; l--) {
    const out = c.channelMult[l] * c.modelChannels;
    for (let j = 0; j <= c.numResBlocks; j++, idx++) {
      res(`output_blocks.${idx}.0`, ch + skips.pop()!, out);
      ch = out;
      // The upsampler's sub-index is 2 after a transformer, 1 otherwise (Sequential position).
      let sub = 1;
      if (hasAttn(l)) transformer(`output_blocks.${idx}.${sub++}`, ch, c.transformerDepth[l]);
      if (l > 0 && j === c.numResBlocks) t.conv(`output_blocks.${idx}.${sub}.conv`, ch, ch, 3);
    }
  }
  t.norm('out.0', ch);
  t.conv('out.2', c.outChannels, ch, 3);
  return t.shapes;
}
