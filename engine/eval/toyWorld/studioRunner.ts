import sharp from 'sharp';
import { dispatch } from '../../api/dispatch.ts';
import { StudioError } from '../../api/errors.ts';
import type { Handlers, OperationName } from '../../api/contract.ts';
import type { StudioContext } from '../../studio/context.ts';
import type { RgbImage } from './analyse.ts';

/** Runs jobs through the validated Studio API, exactly as the UI and the CLI do, and returns pixels. */
export class StudioRunner {
  constructor(
    private readonly studio: StudioContext,
    private readonly handlers: Handlers,
  ) {}

  /** Every image a job produced, decoded to RGB. A failed job throws its typed error. */
  async run(op: OperationName, request: Record<string, unknown>): Promise<RgbImage[]> {
    const started = await dispatch(this.handlers, op, request);
    if (!started.ok) throw new StudioError(started.error.code, started.error.message);
    const summary = await this.studio.queue.waitFor((started.result as { jobId: string }).jobId);
    if (summary.state !== 'done') throw new StudioError(summary.error?.code ?? 'CANCELLED', summary.error?.message ?? `${op} did not finish`);
    return Promise.all(summary.images.map((ref) => decodePng(this.studio.results.get(ref.imageId).png)));
  }
}

export async function decodePng(png: Buffer): Promise<RgbImage> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

export async function encodePng(img: RgbImage): Promise<Buffer> {
  return sharp(Buffer.from(img.data), { raw: { width: img.width, height: img.height, channels: 3 } }).png().toBuffer();
}
