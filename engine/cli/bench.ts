import type { Command } from 'commander';
import { mkdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { StudioError } from '../api/errors.ts';
import { resolveTokenMerging } from '../controllers/tome/options.ts';
import { tomeCliOptions, addTomeOptions, type TomeCliOptions } from './tomeOptions.ts';

interface BenchCliOptions extends TomeCliOptions {
  dir?: string;
  threads: string;
  repeats?: string;
  quick?: boolean;
  tomeOnly?: boolean;
  interleave: boolean;
  ratios: string;
  sizes: string;
  pixart?: boolean;
  t5Layers: string;
  loraRank?: string;
  loraSize: string;
  weightCastRounds?: string;
  firstImage: boolean;
}

/** Outside the repository: the synthetic checkpoint is 2 GB. */
function defaultBenchDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'latent-studio', 'bench');
}

const numbers = (text: string, what: string) => {
  const xs = text.split(',').filter(Boolean).map(Number);
  if (xs.some((x) => !Number.isFinite(x))) throw new StudioError('INVALID_REQUEST', `--${what} expects comma-separated numbers, got ${JSON.stringify(text)}`);
  return xs;
};

export function registerBenchCommand(program: Command): void {
  const cmd = program
    .command('bench')
    .description('Speed and memory of full-size SD 1.5 (synthetic random weights) on this machine: UNet step vs MatMul GFLOP/s, text encoder, VAE, peak RSS, token-merging speed-ups')
    .option('--dir <folder>', 'cache folder for the 2 GB synthetic checkpoint and results (default ~/.cache/latent-studio/bench)')
    .option('--threads <n>', 'onnxruntime intra-op threads', '2')
    .option('--repeats <n>', 'timed runs per 512² row (default 3, --quick 1)')
    .option('--quick', 'one timed run per row, token merging at 512² only')
    .option('--tome-only', 'only the token-merging rows (and the MatMul ceiling)')
    .option('--no-interleave', 'token-merging rows one after another instead of in rounds alternating off and every ratio')
    .option('--ratios <list>', 'token-merging ratios to measure; empty = none', '0.3,0.5,0.6')
    .option('--sizes <list>', 'image sizes (px) for the token-merging rows', '512,1024')
    .option('--pixart', 'the DiT rows instead: full-size PixArt-α 512 (random fp16 weights, 1.2 GB) one guided step at 512², and T5-XXL per prompt')
    .option('--t5-layers <n>', 'T5-XXL layers built for --pixart (all 24 need ~9.5 GB); time and memory are extrapolated to 24', '4')
    .option('--lora-rank <r>', 'only the LoRA rows: a LoRA of this rank on every attention and feed-forward linear, as branches and merged, against none')
    .option('--lora-size <px>', 'image size for the LoRA rows', '512')
    .option('--weight-cast-rounds <n>', 'rounds of the fp16 weight-cast A/B per network (cast per layer vs folded at load); 0 = skip (default 3, --quick 1)')
    .option('--no-first-image', 'skip time to first image (fresh generate processes at 512², 2 steps, cold and warm, both weight-cast modes)');
  addTomeOptions(cmd, { ratio: false });
  cmd.action(async (o: BenchCliOptions) => {
    const dir = resolve(o.dir ?? defaultBenchDir());
    await mkdir(dir, { recursive: true });
    const repeats = Number(o.repeats ?? (o.quick ? 1 : 3));
    if (o.pixart) {
      const { runPixArtBench } = await import('../bench/pixartBench.ts');
      const results = await runPixArtBench({ dir, threads: Number(o.threads), repeats, t5Layers: Number(o.t5Layers), log: (line) => process.stderr.write(`${line}\n`) });
      const file = join(dir, 'bench-pixart-results.json');
      await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
      process.stdout.write(`figures: ${file}\n`);
      return;
    }
    if (o.loraRank) {
      const { runLoraBench } = await import('../bench/loraCost.ts');
      const rows = await runLoraBench({ dir, threads: Number(o.threads), rank: Number(o.loraRank), size: Number(o.loraSize), repeats, log: (line) => process.stderr.write(`${line}\n`) });
      const file = join(dir, 'bench-lora.json');
      await writeFile(file, `${JSON.stringify(rows, null, 2)}\n`);
      process.stdout.write(`${rows.map((r) => `${r.mode.padEnd(7)} ${r.seconds.toFixed(2)} s/step  load ${r.loadSeconds.toFixed(1)} s  new multiplier ${r.rescaleSeconds.toFixed(1)} s`).join('\n')}\n\nfigures: ${file}\n`);
      return;
    }
    const sizes = numbers(o.sizes, 'sizes').filter((s) => !o.quick || s <= 512);
    if (sizes.some((s) => s % 64 !== 0)) throw new StudioError('INVALID_REQUEST', '--sizes must be multiples of 64');
    const { runBench } = await import('../bench/run.ts');
    const { formatBench } = await import('../bench/report.ts');
    const { ratio: _ignored, excludeMasked: _none, ...tome } = tomeCliOptions({ ...o, tome: '0' }) ?? { ratio: 0 };
    const ratios = numbers(o.ratios, 'ratios');
    for (const ratio of ratios) resolveTokenMerging({ ...tome, ratio }); // refuse bad settings before the long part
    const results = await runBench({
      dir, threads: Number(o.threads), repeats, repeatsLarge: 2, tomeOnly: Boolean(o.tomeOnly), interleave: o.interleave,
      tomeRatios: ratios, tomeSizes: sizes, tome,
      weightCastRounds: Number(o.weightCastRounds ?? (o.quick ? 1 : 3)), firstImage: o.firstImage,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    const file = join(dir, 'bench-results.json');
    await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`${formatBench(results)}\n\nfigures: ${file}\n`);
  });
}
