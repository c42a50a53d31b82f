import type { VAEConfig } from '../spec.ts';
import type { WeightStore } from '../weightStore.ts';
import { ShapeTable, countIndexed, dimOf, ratio, unsupported } from '../shapeTools.ts';

/** Reads AutoencoderKL hyper-parameters from canonical keys under `first_stage_model`. */
export function detectVAEConfig(w: WeightStore): VAEConfig {
  const label = w.label;
  const keys = w.keys();
  const convIn = w.get('encoder.conv_in.weight'); // [ch, in_channels, 3, 3]
  const [ch, inChannels] = convIn.shape;
  const levels = countIndexed(keys, /^encoder\.down\.(\d+)\./);
  const upLevels = countIndexed(keys, /^decoder\.up\.(\d+)\./);
  if (levels === 0) throw unsupported(label, 'VAE encoder has no down blocks');
  if (upLevels !== levels) {
    throw unsupported(label, `VAE encoder has ${levels} levels but decoder ${upLevels}`);
  }
  // Images are planned in steps of 8 pixels, so a latent cell may span at most 8 (four levels).
  if (levels > 4) throw unsupported(label, `VAE has ${levels} levels (a factor of ${2 ** (levels - 1)}); at most 4 (factor 8) are supported`);
  const numResBlocks = countIndexed(keys, /^encoder\.down\.0\.block\.(\d+)\./);
  const chMult: number[] = [];
  const attnLevels: number[] = [];
  for (let l = 0; l < levels; l++) {
    const p = `encoder.down.${l}.block.0`;
    const width = dimOf(w, [
      [`${p}.conv1.weight`, 0],
      [`${p}.conv2.weight`, 0],
      [`${p}.norm2.weight`, 0],
      [`decoder.up.${l}.block.0.conv2.weight`, 0],
    ]);
    chMult.push(ratio(label, `VAE level ${l} width vs ch`, width, ch));
    if (keys.some((k) => k.startsWith(`encoder.down.${l}.attn.`))) attnLevels.push(l);
  }
  const zChannels = dimOf(w, [['decoder.conv_in.weight', 1], ['post_quant_conv.weight', 0]]);
  const embedDim = w.has('post_quant_conv.weight')
    ? w.get('post_quant_conv.weight').shape[1]
    : dimOf(w, [['quant_conv.weight', 0]]) / 2;
  const encOut = dimOf(w, [['encoder.conv_out.weight', 0], ['encoder.conv_out.bias', 0]]);
  return {
    inChannels,
    outChannels: dimOf(w, [['decoder.conv_out.weight', 0], ['decoder.conv_out.bias', 0]]),
    ch,
    chMult,
    numResBlocks,
    attnLevels,
    zChannels,
    embedDim,
    doubleZ: encOut === 2 * zChannels,
  };
}

/** Every tensor of an AutoencoderKL with this config, relative to `first_stage_model`. */
export function expectedVAETensors(c: VAEConfig): Map<string, number[]> {
  const t = new ShapeTable();
  const res = (p: string, cin: number, cout: number) => {
    t.norm(`${p}.norm1`, cin);
    t.conv(`${p}.conv1`, cout, cin, 3);
    t.norm(`${p}.norm2`, cout);
    t.conv(`${p}.conv2`, cout, cout, 3);
    if (cin !== cout) t.conv(`${p}.nin_shortcut`, cout, cin, 1);
  };
  // Single-head attention with 1x1-conv projections ([c, c, 1, 1] in LDM files).
  const attn = (p: string, ch: number) => {
    t.norm(`${p}.norm`, ch);
    for (const n of ['q', 'k', 'v', 'proj_out']) t.conv(`${p}.${n}`, ch, ch, 1);
  };
  const mid = (p: string, ch: number) => {
    res(`${p}.mid.block_1`, ch, ch);
    attn(`${p}.mid.attn_1`, ch);
    res(`${p}.mid.block_2`, ch, ch);
  };
  const levels = c.chMult.length;
  const widths = c.chMult.map((m) => m * c.ch);

  t.conv('encoder.conv_in', c.ch, c.inChannels, 3);
  let ch = c.ch;
  for (let l = 0; l < levels; l++) {
    for (let j = 0; j < c.numResBlocks; j++) {
      res(`encoder.down.${l}.block.${j}`, ch, widths[l]);
      ch = widths[l];
      if (c.attnLevels.includes(l)) attn(`encoder.down.${l}.attn.${j}`, ch);
    }
    if (l < levels - 1) t.conv(`encoder.down.${l}.downsample.conv`, ch, ch, 3);
  }
  mid('encoder', ch);
  t.norm('encoder.norm_out', ch);
  t.conv('encoder.conv_out', c.doubleZ ? 2 * c.zChannels : c.zChannels, ch, 3);

  ch = widths[levels - 1];
  t.conv('decoder.conv_in', ch, c.zChannels, 3);
  mid('decoder', ch);
  for (let l = levels - 1; l >= 0; l--) {
    // The decoder has one more ResBlock per level than the encoder.
    for (let j = 0; j <= c.numResBlocks; j++) {
      res(`decoder.up.${l}.block.${j}`, ch, widths[l]);
      ch = widths[l];
      if (c.attnLevels.includes(l)) attn(`decoder.up.${l}.attn.${j}`, ch);
    }
    if (l > 0) t.conv(`decoder.up.${l}.upsample.conv`, ch, ch, 3);
  }
  t.norm('decoder.norm_out', ch);
  t.conv('decoder.conv_out', c.outChannels, ch, 3);

  const moments = c.doubleZ ? 2 : 1;
  t.conv('quant_conv', moments * c.embedDim, moments * c.zChannels, 1);
  t.conv('post_quant_conv', c.zChannels, c.embedDim, 1);
  return t.shapes;
}
