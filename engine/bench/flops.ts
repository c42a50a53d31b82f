import type { UNetConfig } from '../models/spec.ts';

/** Token merging as the FLOP model sees it: which levels and sub-layers run on N − int(N·ratio) tokens. */
export interface MergeFlops {
  ratio: number;
  maxDownsample: number;
  merge: readonly ('attn1' | 'attn2' | 'ff')[];
  /** Destinations per source window (sx·sy), for the similarity MatMul's size. */
  window: number;
}

/**
 * Multiply-add FLOPs (2 per MAC) of one UNet evaluation: convolutions, linear layers and
 * the two attention products (Q·Kᵀ and P·V). Norms, activations and softmax are left out
 * (a few percent). Mirrors unetForward's walk.
 */
export function unetFlops(c: UNetConfig, batch: number, height: number, width: number, tokens: number, merge?: MergeFlops): number {
  let flops = 0;
  const conv = (cin: number, cout: number, k: number, hw: number) => (flops += 2 * batch * cin * cout * k * k * hw);
  const linear = (n: number, din: number, dout: number) => (flops += 2 * batch * n * din * dout);
  const T = c.timeEmbedDim;
  const res = (cin: number, cout: number, hw: number) => {
    conv(cin, cout, 3, hw);
    linear(1, T, cout);
    conv(cout, cout, 3, hw);
    if (cin !== cout) conv(cin, cout, 1, hw);
  };
  const transformer = (ch: number, hw: number, level: number, depth: number) => {
    linear(hw, ch, ch); // proj_in
    const merging = merge && merge.ratio > 0 && 2 ** level <= merge.maxDownsample;
    const n = (part: 'attn1' | 'attn2' | 'ff') => (merging && merge.merge.includes(part) ? hw - Math.floor(hw * merge.ratio) : hw);
    for (let d = 0; d < depth; d++) {
      if (merging) {
        const dst = Math.floor(hw / merge.window);
        flops += 2 * batch * (hw - dst) * dst * ch; // similarity of sources to destinations
      }
      const a = n('attn1'), x = n('attn2'), f = n('ff');
      linear(a, ch, 3 * ch); // attn1 q, k, v
      flops += 2 * 2 * batch * a * a * ch; // attn1 Q·Kᵀ, P·V
      linear(a, ch, ch); // attn1 out
      linear(x, ch, ch); // attn2 q
      linear(tokens, c.contextDim, 2 * ch); // attn2 k, v
      flops += 2 * 2 * batch * x * tokens * ch;
      linear(x, ch, ch); // attn2 out
      linear(f, ch, 8 * ch); // GEGLU proj
      linear(f, 4 * ch, ch); // ff out
    }
    linear(hw, ch, ch); // proj_out
  };
  const levels = c.channelMult.length;
  const sizes = [[height, width]];
  for (let l = 1; l < levels; l++) sizes.push(sizes[l - 1].map((s) => Math.ceil(s / 2)));
  const hw = (l: number) => sizes[l][0] * sizes[l][1];
  const attn = (l: number) => c.attentionLevels.includes(l) && c.transformerDepth[l] > 0;
  linear(1, c.modelChannels, T);
  linear(1, T, T);
  if (c.admInChannels > 0) {
    linear(1, c.admInChannels, T); // label_emb
    linear(1, T, T);
  }
  conv(c.inChannels, c.modelChannels, 3, hw(0));
  const skips = [c.modelChannels];
  let ch = c.modelChannels;
  for (let l = 0; l < levels; l++) {
    const out = c.channelMult[l] * c.modelChannels;
    for (let j = 0; j < c.numResBlocks; j++) {
      res(ch, out, hw(l));
      ch = out;
      if (attn(l)) transformer(ch, hw(l), l, c.transformerDepth[l]);
      skips.push(ch);
    }
    if (l < levels - 1) {
      conv(ch, ch, 3, hw(l + 1));
      skips.push(ch);
    }
  }
  res(ch, ch, hw(levels - 1));
  if (c.midBlockAttention) transformer(ch, hw(levels - 1), levels - 1, c.midTransformerDepth);
  res(ch, ch, hw(levels - 1));
  for (let l = levels - 1; l >= 0; l--) {
    const out = c.channelMult[l] * c.modelChannels;
    for (let j = 0; j <= c.numResBlocks; j++) {
      res(ch + skips.pop()!, out, hw(l));
      ch = out;
      if (attn(l)) transformer(ch, hw(l), l, c.transformerDepth[l]);
      if (l > 0 && j === c.numResBlocks) conv(ch, ch, 3, hw(l - 1));
    }
  }
  conv(ch, c.outChannels, 3, hw(0));
  return flops;
}
