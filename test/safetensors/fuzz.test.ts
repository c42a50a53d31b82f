import fc from 'fast-check';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioError } from '../../engine/api/errors.ts';
import { parseSafetensorsHeader, readSafetensorsHeader, type SafetensorsHeader } from '../../engine/safetensors/header.ts';
import { readTensorBytes } from '../../engine/safetensors/reader.ts';
import { DTYPE_SIZES } from '../../engine/safetensors/types.ts';

/**
 * Seeded, time-bounded fuzzing of the safetensors header parser: every input either parses
 * into a header whose tensors are consistent and inside the file, or fails with a typed
 * CHECKPOINT_CORRUPT error. A crash is any other exception; a hang is a case slower than
 * SLOW_MS (parsing is synchronous, so a hang shows as a slow case, not a timeout).
 */
const SEED = Number(process.env.LATENT_STUDIO_FUZZ_SEED ?? 23_2026);
const BUDGET_MS = Number(process.env.LATENT_STUDIO_FUZZ_MS ?? 4000);
/** A hang, not a speed goal: small headers parse in microseconds, so only a loop that never ends (or a blow-up) gets near this, even on a loaded machine. */
const SLOW_MS = 5000;
/** 20,000-tensor headers (8× SDXL's count) parse in ~0.3 s here; a quadratic step would take minutes. */
const WIDE_SLOW_MS = 30_000;

interface Tally { cases: number; parsed: number; typed: number; crashes: string[]; slow: number }
const tallies = new Map<string, Tally>();
const tally = (name: string): Tally => {
  if (!tallies.has(name)) tallies.set(name, { cases: 0, parsed: 0, typed: 0, crashes: [], slow: 0 });
  return tallies.get(name)!;
};

/** What a successfully parsed header must satisfy whatever the input was. */
function checkInvariants(h: SafetensorsHeader, fileSize: number): void {
  const spans = [...h.tensors.values()].filter((t) => t.byteLength > 0).sort((a, b) => a.offset - b.offset);
  for (const t of h.tensors.values()) {
    expect(Object.hasOwn(DTYPE_SIZES, t.dtype)).toBe(true);
    expect(t.offset).toBeGreaterThanOrEqual(h.dataStart);
    expect(t.offset + t.byteLength).toBeLessThanOrEqual(fileSize);
    expect(t.shape.reduce((a, d) => a * d, DTYPE_SIZES[t.dtype])).toBe(t.byteLength);
  }
  for (let i = 1; i < spans.length; i++) expect(spans[i].offset).toBeGreaterThanOrEqual(spans[i - 1].offset + spans[i - 1].byteLength);
  for (const v of Object.values(h.metadata)) expect(typeof v).toBe('string');
}

/** Runs one case and sorts its outcome; returns false only for a crash (fails the property). */
async function outcome(name: string, run: () => Promise<SafetensorsHeader> | SafetensorsHeader, fileSize: number, slowMs = SLOW_MS): Promise<boolean> {
  const t = tally(name);
  t.cases++;
  const t0 = performance.now();
  try {
    checkInvariants(await run(), fileSize);
    t.parsed++;
  } catch (e) {
    if (e instanceof StudioError && e.code === 'CHECKPOINT_CORRUPT' && e.message.length < 10_000) t.typed++;
    else {
      t.crashes.push(String((e as Error)?.stack ?? e).slice(0, 300));
      return false;
    }
  } finally {
    if (performance.now() - t0 > slowMs) t.slow++;
  }
  return true;
}

const dtype = fc.oneof(fc.constantFrom(...Object.keys(DTYPE_SIZES)), fc.string(), fc.constantFrom('f32', 'F128', '', '__proto__'), fc.anything());
const dim = fc.oneof(fc.nat(64), fc.integer(), fc.double(), fc.constantFrom(2 ** 53, 2 ** 64, -0, Number.MAX_SAFE_INTEGER), fc.string(), fc.constant(null));
const entry = fc.oneof(
  { weight: 6, arbitrary: fc.record({ dtype, shape: fc.array(dim, { maxLength: 6 }), data_offsets: fc.array(fc.oneof(fc.nat(4096), fc.integer(), fc.double(), fc.string()), { maxLength: 3 }) }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.anything() },
);
const tensorName = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('__proto__', 'constructor', 'toString', '__metadata__', ''));
const metadata = fc.oneof(fc.dictionary(fc.string(), fc.string()), fc.dictionary(fc.string(), fc.anything()), fc.anything());
const header = fc.record({ tensors: fc.array(fc.tuple(tensorName, entry), { maxLength: 8 }), metadata: fc.option(metadata) });

function headerText(h: { tensors: [string, unknown][]; metadata: unknown }): string {
  const parts = h.tensors.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`);
  if (h.metadata !== null) parts.unshift(`"__metadata__":${JSON.stringify(h.metadata) ?? 'null'}`);
  return `{${parts.join(',')}}`;
}

/** A well-formed file to mutate: three tensors with a metadata block. */
function validFile(): Buffer {
  const h = Buffer.from(JSON.stringify({
    __metadata__: { format: 'pt' },
    a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
    b: { dtype: 'F16', shape: [3], data_offsets: [16, 22] },
    c: { dtype: 'U8', shape: [0], data_offsets: [22, 22] },
  }));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([prefix, h, Buffer.alloc(22, 7)]);
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 16 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.nat(16) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('prefix' as const), value: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(file: Buffer, ms: readonly Mutation[]): Buffer {
  let b = Buffer.from(file);
  for (const m of ms) {
    const at = 'at' in m && b.length ? m.at % (b.length + 1) : 0;
    if (m.kind === 'flip' && at < b.length) b[at] = m.byte;
    else if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
    else if (m.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.n)]);
    else if (m.kind === 'truncate') b = b.subarray(0, at);
    else if (m.kind === 'prefix' && b.length >= 8) b.writeBigUInt64LE(m.value, 0);
  }
  return b;
}

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'st-fuzz-')); });
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  for (const [name, t] of tallies) {
    console.log(`fuzz ${name}: ${t.cases} cases, ${t.parsed} parsed, ${t.typed} typed errors, ${t.crashes.length} crashes, ${t.slow} hangs`);
  }
});

const params = (numRuns: number) => ({ seed: SEED, numRuns, interruptAfterTimeLimit: BUDGET_MS, markInterruptAsFailure: false });

describe('safetensors header fuzzing (seeded, time-bounded)', () => {
  it('structured headers: hostile dtypes, shapes, offsets, names and metadata', async () => {
    await fc.assert(fc.asyncProperty(header, fc.nat(1 << 16), (h, dataSize) => {
      const bytes = Buffer.from(headerText(h), 'utf8');
      return outcome('structured', () => parseSafetensorsHeader(bytes, 'fuzz.safetensors', 8 + bytes.length + dataSize), 8 + bytes.length + dataSize);
    }), params(3000));
    expect(tally('structured').crashes).toEqual([]);
    expect(tally('structured').slow).toBe(0);
    expect(tally('structured').parsed).toBeGreaterThan(0); // the generator does reach valid headers
  });

  it('arbitrary JSON values and raw bytes as the header', async () => {
    await fc.assert(fc.asyncProperty(fc.oneof(fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? '')), fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a)), fc.string({ unit: 'binary' }).map((s) => Buffer.from(s))), (bytes) =>
      outcome('json-and-bytes', () => parseSafetensorsHeader(bytes, 'fuzz.safetensors', 8 + bytes.length + 64), 8 + bytes.length + 64)), params(3000));
    expect(tally('json-and-bytes').crashes).toEqual([]);
    expect(tally('json-and-bytes').slow).toBe(0);
  });

  it('deeply nested and very wide headers stay typed and fast', async () => {
    const cases = [
      '['.repeat(200_000), `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`,
      JSON.stringify({ t: { dtype: 'F32', shape: Array.from({ length: 200_000 }, () => 1), data_offsets: [0, 4] } }),
      JSON.stringify(Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`t${i}`, { dtype: 'U8', shape: [1], data_offsets: [i, i + 1] }]))),
      JSON.stringify(Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`t${i}`, { dtype: 'U8', shape: [1], data_offsets: [0, 1] }]))),
    ];
    for (const text of cases) {
      const bytes = Buffer.from(text);
      expect(await outcome('nested-wide', () => parseSafetensorsHeader(bytes, 'fuzz.safetensors', 8 + bytes.length + 20_000), 8 + bytes.length + 20_000, WIDE_SLOW_MS)).toBe(true);
    }
    expect(tally('nested-wide').slow).toBe(0);
  });

  it('byte mutations of a valid file, read from disk (prefix, truncation, insertion), then its tensors read', async () => {
    const base = validFile();
    let n = 0;
    await fc.assert(fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (ms) => {
      const path = join(dir, `m${n++ % 8}.safetensors`);
      const bytes = mutate(base, ms);
      await writeFile(path, bytes);
      return outcome('file-mutations', async () => {
        const h = await readSafetensorsHeader(path);
        // A header that passed must describe bytes that can really be read.
        for (const t of h.tensors.values()) expect((await readTensorBytes(t)).byteLength).toBe(t.byteLength);
        return h;
      }, bytes.length);
    }), params(600));
    expect(tally('file-mutations').crashes).toEqual([]);
    expect(tally('file-mutations').slow).toBe(0);
  });
});
