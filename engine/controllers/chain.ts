import { StudioError } from '../api/errors.ts';
import type { GraphBuilder, Value } from '../graph/builder.ts';
import { type AttentionKernel, applyAttentionProbs, attention, attentionProbs } from '../graph/ops/attention.ts';
import type { HostTensor } from '../graph/session.ts';
import type {
  Attend,
  AttendOptions,
  AttentionController,
  ControllerGraphContext,
  QKV,
  StepInfo,
  TransformerBlockParts,
} from './controller.ts';
import type { AttentionSite } from './site.ts';

const DEFAULT_PRIORITY = 100;
const refuse = (message: string, details?: Record<string, unknown>) => new StudioError('INVALID_REQUEST', message, details);
const graphName = (c: AttentionController, name: string) => `${c.name}/${name}`;

/**
 * Controllers in their composition order, checked for compatibility when the chain is made —
 * before any graph is built — so a conflicting combination fails with a plain message.
 */
export class ControllerChain {
  readonly controllers: readonly AttentionController[];

  constructor(controllers: readonly AttentionController[] = []) {
    checkCompatible(controllers);
    this.controllers = controllers
      .map((c, i) => ({ c, i }))
      .sort((a, b) => (a.c.priority ?? DEFAULT_PRIORITY) - (b.c.priority ?? DEFAULT_PRIORITY) || a.i - b.i)
      .map(({ c }) => c);
  }

  static from(chain?: ControllerChain | readonly AttentionController[]): ControllerChain {
    return chain instanceof ControllerChain ? chain : new ControllerChain(chain ?? []);
  }

  get isEmpty(): boolean {
    return this.controllers.length === 0;
  }

  /** '' for the empty chain, so the default graph keeps one cache key whatever else changes. */
  signature(): string {
    return this.controllers.map((c) => `${c.name}(${c.signature()})`).join('>');
  }

  checkSites(sites: readonly AttentionSite[]): void {
    for (const c of this.controllers) c.checkSites?.(sites);
  }

  /** Graph input names the run must feed (prefixed). */
  inputNames(): string[] {
    return this.controllers.flatMap((c) => (c.inputs?.() ?? []).map((i) => graphName(c, i.name)));
  }

  /** Graph output names besides the network's own (prefixed). */
  outputNames(): string[] {
    return this.controllers.flatMap((c) => (c.outputs?.() ?? []).map((o) => graphName(c, o.name)));
  }

  /** Starts a build: declares every controller input on `g`. */
  bind(g: GraphBuilder, opts: { kernel?: AttentionKernel } = {}): BoundChain {
    return new BoundChain(g, opts.kernel ?? 'fused', this.controllers);
  }

  /** Every controller's feeds for this step, by graph input name; a missing one is refused. */
  feeds(step: StepInfo): Record<string, HostTensor> {
    const out: Record<string, HostTensor> = {};
    for (const c of this.controllers) {
      const declared = c.inputs?.() ?? [];
      if (!declared.length) continue;
      const given = c.feeds?.(step) ?? {};
      for (const i of declared) {
        const t = given[i.name];
        if (!t) throw refuse(`Controller ${c.name} supplied no value for its input ${i.name} at step ${step.index}`, { controller: c.name, input: i.name });
        out[graphName(c, i.name)] = t;
      }
    }
    return out;
  }

  /** Hands each controller its outputs of this step. */
  receive(step: StepInfo, outputs: Record<string, HostTensor>): void {
    for (const c of this.controllers) {
      const declared = c.outputs?.() ?? [];
      if (!declared.length || !c.receive) continue;
      const mine: Record<string, HostTensor> = {};
      for (const o of declared) mine[o.name] = outputs[graphName(c, o.name)];
      c.receive(step, mine);
    }
  }
}

function checkCompatible(controllers: readonly AttentionController[]): void {
  const names = new Set<string>();
  const claimedBy = new Map<string, string>();
  for (const c of controllers) {
    if (!c.name || c.name.includes('/')) throw refuse(`Controller name ${JSON.stringify(c.name)} must be non-empty and contain no "/"`);
    if (names.has(c.name)) throw refuse(`Controller ${c.name} appears twice in one chain`, { controller: c.name });
    names.add(c.name);
    for (const r of c.claims ?? []) {
      const holder = claimedBy.get(r);
      if (holder) throw refuse(`Controllers ${holder} and ${c.name} cannot run together: both need ${r}`, { controllers: [holder, c.name], resource: r });
      claimedBy.set(r, c.name);
    }
  }
  for (const c of controllers) {
    for (const other of c.incompatibleWith ?? []) {
      if (names.has(other)) throw refuse(`Controller ${c.name} cannot run together with ${other}`, { controllers: [c.name, other] });
    }
  }
}

/** The chain during one graph build: owns the controllers' graph inputs and outputs. */
export class BoundChain {
  private readonly inputs = new Map<string, Value>();
  private readonly emitted = new Set<string>();
  private readonly contexts = new Map<AttentionController, ControllerGraphContext>();
  private finished = false;

  constructor(
    readonly g: GraphBuilder,
    readonly kernel: AttentionKernel,
    private readonly controllers: readonly AttentionController[],
  ) {
    for (const c of controllers) {
      for (const i of c.inputs?.() ?? []) {
        const name = graphName(c, i.name);
        this.inputs.set(name, g.input(name, i.dtype, i.dims));
      }
    }
  }

  get isEmpty(): boolean {
    return this.controllers.length === 0;
  }

  /** Attention at one site: QKV transforms in order, then replacements (first outermost), then the kernel. */
  attend(site: AttentionSite, qkv: QKV): Value {
    const active = this.controllers.filter((c) => c.appliesTo?.(site) ?? true);
    let x = qkv;
    for (const c of active) if (c.transformQKV) x = c.transformQKV(this.context(c), site, x);
    let fn: Attend = (a, o) => this.kernelAttend(site, a, o);
    for (let i = active.length - 1; i >= 0; i--) {
      const c = active[i];
      if (!c.replaceAttention) continue;
      const next = fn;
      fn = (a, o) => c.replaceAttention!(this.context(c), site, a, next, o ?? {});
    }
    return fn(x);
  }

  /** A transformer block, wrapped by every controller with `wrapBlock` (first outermost). */
  block(parts: TransformerBlockParts, x: Value, standard: (x: Value) => Value): Value {
    let fn = standard;
    for (let i = this.controllers.length - 1; i >= 0; i--) {
      const c = this.controllers[i];
      if (!c.wrapBlock) continue;
      const next = fn;
      fn = (v) => c.wrapBlock!(this.context(c), parts, v, next);
    }
    return fn(x);
  }

  /** Runs `finish` hooks and checks every declared output was emitted. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const c of this.controllers) {
      c.finish?.(this.context(c));
      for (const o of c.outputs?.() ?? []) {
        if (!this.emitted.has(graphName(c, o.name))) {
          throw new StudioError('RUNTIME_FAILURE', `Controller ${c.name} declared output ${o.name} but never produced it`, { controller: c.name });
        }
      }
    }
  }

  private kernelAttend(site: AttentionSite, { q, k, v }: QKV, opts: AttendOptions = {}): Value {
    return attention(this.g, q, k, v, site.dimHead, { heads: site.heads, scale: opts.scale, kernel: this.kernel, name: `${site.path}/attention` });
  }

  private context(c: AttentionController): ControllerGraphContext {
    let ctx = this.contexts.get(c);
    if (ctx) return ctx;
    const g = this.g;
    const declaredOut = new Set((c.outputs?.() ?? []).map((o) => o.name));
    ctx = {
      g,
      kernel: this.kernel,
      input: (name) => {
        const v = this.inputs.get(graphName(c, name));
        if (!v) throw new StudioError('RUNTIME_FAILURE', `Controller ${c.name} has no declared input ${name}`, { controller: c.name });
        return v;
      },
      output: (name, value) => {
        const full = graphName(c, name);
        if (!declaredOut.has(name)) throw new StudioError('RUNTIME_FAILURE', `Controller ${c.name} has no declared output ${name}`, { controller: c.name });
        if (this.emitted.has(full)) throw new StudioError('RUNTIME_FAILURE', `Controller ${c.name} emitted output ${name} twice`, { controller: c.name });
        this.emitted.add(full);
        g.output(value, full);
      },
      probs: (site, q, k, scale) => attentionProbs(g, q, k, { heads: site.heads, scale: scale ?? 1 / Math.sqrt(site.dimHead) }),
      applyProbs: (site, probs, v) => applyAttentionProbs(g, probs, v, site.heads),
    };
    this.contexts.set(c, ctx);
    return ctx;
  }
}
