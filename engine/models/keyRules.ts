import { StudioError } from '../api/errors.ts';
import type { TensorInfo } from '../safetensors/types.ts';

/**
 * Declarative rename tables from foreign key layouts (diffusers, OpenCLIP, TAESD files)
 * into the one canonical key space the builders see (LDM single-file names).
 *
 * A rule matches a whole source name. `to` is a template (`$1` … refer to capture
 * groups) or, where the target index depends on the checkpoint's structure (diffusers
 * flattens LDM's Sequential numbering), a function of the match and a layout context
 * computed once from all source keys. A list in `to` splits a fused tensor along its
 * first axis into equal parts (OpenCLIP's in_proj → q/k/v): each part is a contiguous
 * byte range, so the views cost no copy. `to: null` drops a tensor deliberately.
 */

export type Template<C> = string | ((m: RegExpExecArray, ctx: C) => string);

export interface RenameRule<C = unknown> {
  /** A RegExp matched against the whole name, or a plain prefix. */
  from: RegExp | string;
  to: Template<C> | Template<C>[] | null;
  /** Canonical view of the same bytes, e.g. diffusers' Linear [c, c] → LDM's 1x1 conv [c, c, 1, 1]. */
  reshape?: (shape: number[]) => number[];
}

export interface RenameResult {
  canonical: Map<string, TensorInfo>;
  /** Source names no rule matched (kept as-is when `passthrough`). */
  unmatched: string[];
  /** Source names a `to: null` rule dropped. */
  dropped: string[];
}

function expand<C>(t: Template<C>, m: RegExpExecArray, ctx: C): string {
  return typeof t === 'function' ? t(m, ctx) : t.replace(/\$(\d+)/g, (_, i: string) => m[Number(i)] ?? '');
}

function match(rule: RenameRule<never>, name: string): RegExpExecArray | null {
  if (typeof rule.from === 'string') {
    if (!name.startsWith(rule.from)) return null;
    // A prefix rule behaves like /^prefix(.*)$/ with the rest appended to `to`.
    const m = [name, name.slice(rule.from.length)] as unknown as RegExpExecArray;
    return m;
  }
  rule.from.lastIndex = 0;
  return rule.from.exec(name);
}

/**
 * Applies `rules` (first match wins) to every tensor. With `passthrough`, unmatched names
 * are kept unchanged (LDM files whose UNet and VAE are already canonical).
 */
export function renameTensors<C>(
  tensors: Iterable<TensorInfo>,
  rules: ReadonlyArray<RenameRule<C>>,
  ctx: C,
  options: { passthrough: boolean; prefix?: string },
): RenameResult {
  const canonical = new Map<string, TensorInfo>();
  const unmatched: string[] = [];
  const dropped: string[] = [];
  const prefix = options.prefix ?? '';
  const put = (name: string, info: TensorInfo) => {
    const prev = canonical.get(name);
    if (prev) {
      throw new StudioError(
        'CHECKPOINT_CORRUPT',
        `${info.file}: "${info.sourceName ?? info.name}" and "${prev.sourceName ?? prev.name}" both map to "${name}"`,
        { file: info.file, tensor: name },
      );
    }
    canonical.set(name, info);
  };

  for (const info of tensors) {
    const source = info.sourceName ?? info.name;
    let handled = false;
    for (const rule of rules) {
      const m = match(rule as RenameRule<never>, info.name);
      if (!m) continue;
      handled = true;
      if (rule.to === null) {
        dropped.push(source);
        break;
      }
      const shape = rule.reshape ? rule.reshape(info.shape) : info.shape;
      if (typeof rule.from === 'string' && typeof rule.to === 'string') {
        put(prefix + rule.to + m[1], { ...info, name: prefix + rule.to + m[1], shape, sourceName: source });
      } else if (Array.isArray(rule.to)) {
        for (const part of splitFirstAxis(info, rule.to.length)) {
          const name = prefix + expand(rule.to[part.index], m, ctx);
          put(name, { ...part.info, name, sourceName: source });
        }
      } else {
        const name = prefix + expand(rule.to, m, ctx);
        put(name, { ...info, name, shape, sourceName: source });
      }
      break;
    }
    if (!handled) {
      if (options.passthrough) {
        put(prefix + info.name, prefix ? { ...info, name: prefix + info.name, sourceName: source } : info);
      }
      else unmatched.push(source);
    }
  }
  return { canonical, unmatched, dropped };
}

function splitFirstAxis(info: TensorInfo, parts: number): Array<{ index: number; info: TensorInfo }> {
  const [rows, ...rest] = info.shape;
  if (rows === undefined || rows % parts !== 0) {
    throw new StudioError(
      'SHAPE_MISMATCH',
      `${info.file}: tensor "${info.name}" [${info.shape.join(', ')}] cannot be split into ${parts} equal parts`,
      { file: info.file, tensor: info.name },
    );
  }
  const byteLength = info.byteLength / parts;
  return Array.from({ length: parts }, (_, index) => ({
    index,
    info: { ...info, shape: [rows / parts, ...rest], offset: info.offset + index * byteLength, byteLength },
  }));
}
