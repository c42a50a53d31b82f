import { StudioError } from '../api/errors.ts';
import type { GraphBuilder, Value } from '../graph/builder.ts';
import { type AttentionKernel, applyAttentionProbs, attention, attentionProbs } from '../graph/ops/attention.ts';
import type { HostTensor } from '../graph/session.ts';
import type {
  Attend,
  AttendOptions,
  AttentionController,
  ControllerGraphContext,
  ControllerName,
  ControllerPlan,
  QKV,
  StepInfo,
  SubLayerCall,
} from './controller.ts';
import type { AttentionSite, NetworkSites } from './site.ts';

const refuse = (message: string, details?: Record<string, unknown>) => new StudioError('INVALID_REQUEST', message, details);
const graphName = (c: ControllerPlan, name: string) => `${c.name}/${name}`;

/**
 * Plans every controller against a network's sites and checks that they can share it —
 * before any graph is built — so a conflicting combination fails once, here, in plain words.
 */
export function planChain(controllers: readonly AttentionController[], sites: NetworkSites): ControllerChain {
  return new ControllerChain(controllers.map((c) => c.plan(sites)));
}

/** Plans in their composition order. */
export class ControllerChain {
  readonly plans: readonly ControllerPlan[];

  constructor(plans: readonly ControllerPlan[] = []) {
    checkCompatible(plans);
    this.plans = plans
      .map((c, i) => ({ c, i }))
      .sort((a, b) => a.c.priority - b.c.priority || a.i - b.i)
      .map(({ c }) => c);
  }

  get isEmpty(): boolean {
    return this.plans.length === 0;
  }

  /** '' for the empty chain, so the default graph keeps one cache key whatever else changes. */
  signature(): string {
    return this.plans.map((c) => `${c.name}(${c.signature})`).join('>');
  }

  /** Graph input names the run must feed (prefixed). */
  inputNames(): string[] {
    return this.plans.flatMap((c) => c.inputs.map((i) => graphName(c, i.name)));
  }

  /** Graph output names besides the network's own (prefixed). */
  outputNames(): string[] {
    return this.plans.flatMap((c) => c.outputs.map((o) => graphName(c, o.name)));
  }

  /** Starts a build: declares every controller input on `g`. */
  bind(g: GraphBuilder, opts: { kernel?: AttentionKernel } = {}): BoundChain {
    return new BoundChain(g, opts.kernel ?? 'fused', this.plans);
  }

  /** Every controller's feeds for this step, by graph input name; a missing one is refused. */
  feeds(step: StepInfo): Record<string, HostTensor> {
    const out: Record<string, HostTensor> = {};
    for (const c of this.plans) {
      if (!c.inputs.length) continue;
      const given = c.feeds?.(step) ?? {};
      for (const i of c.inputs) {
        const t = given[i.name];
        if (!t) throw refuse(`Controller ${c.name} supplied no value for its input ${i.name} at step ${step.index}`, { controller: c.name, input: i.name });
        out[graphName(c, i.name)] = t;
      }
    }
    return out;
  }

  /** Hands each controller its outputs of this step. */
  receive(step: StepInfo, outputs: Record<string, HostTensor>): void {
    for (const c of this.plans) {
      if (!c.outputs.length || !c.receive) continue;
      const mine: Record<string, HostTensor> = {};
      for (const o of c.outputs) mine[o.name] = outputs[graphName(c, o.name)];
      c.receive(step, mine);
    }
  }
}

/** How refusals name the controllers a user turned on. */
const LABELS: Readonly<Record<ControllerName, string>> = {
  tome: 'Token merging',
  p2p: 'prompt-to-prompt editing',
  'attention-store': 'the attention-map store',
  'style-injection': 'style injection',
  'ip-adapter': 'Image prompts (IP-Adapter)',
};
const labelOf = (name: string) => LABELS[name as ControllerName] ?? name;

function checkCompatible(plans: readonly ControllerPlan[]): void {
  const names = new Set<string>();
  const claimedBy = new Map<string, string>();
  for (const c of plans) {
    if (!c.name || c.name.includes('/')) throw refuse(`Controller name ${JSON.stringify(c.name)} must be non-empty and contain no "/"`);
    if (names.has(c.name)) throw refuse(`Controller ${c.name} appears twice in one chain`, { controller: c.name });
    names.add(c.name);
    for (const conflict of c.conflicts) {
      if (conflict.kind !== 'claims') continue;
      const holder = claimedBy.get(conflict.resource);
      if (holder) throw refuse(`Controllers ${holder} and ${c.name} cannot run together: both need ${conflict.resource}`, { controllers: [holder, c.name], resource: conflict.resource });
      claimedBy.set(conflict.resource, c.name);
    }
  }
  for (const c of plans) {
    for (const conflict of c.conflicts) {
      if (conflict.kind === 'excludes' && names.has(conflict.controller)) {
        throw refuse(`${labelOf(c.name)} cannot be combined with ${labelOf(conflict.controller)}: ${conflict.reason}`, { controllers: [c.name, conflict.controller] });
      }
    }
  }
}

/** The chain during one graph build: owns the controllers' graph inputs and outputs. */
export class BoundChain {
  private readonly inputs = new Map<string, Value>();
  private readonly emitted = new Set<string>();
  private readonly contexts = new Map<ControllerPlan, ControllerGraphContext>();
  private finished = false;

  constructor(
    readonly g: GraphBuilder,
    readonly kernel: AttentionKernel,
    private readonly controllers: readonly ControllerPlan[],
  ) {
    for (const c of controllers) {
      for (const i of c.inputs) {
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

  /** One sub-layer of a block, wrapped by every controller with `wrapSubLayer` (first outermost). */
  subLayer(call: SubLayerCall, x: Value, standard: (x: Value) => Value): Value {
    let fn = standard;
    for (let i = this.controllers.length - 1; i >= 0; i--) {
      const c = this.controllers[i];
      if (!c.wrapSubLayer) continue;
      const next = fn;
      fn = (v) => c.wrapSubLayer!(this.context(c), call, v, next);
    }
    return fn(x);
  }

  /** Runs `finish` hooks and checks every declared output was emitted. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const c of this.controllers) {
      c.finish?.(this.context(c));
      for (const o of c.outputs) {
        if (!this.emitted.has(graphName(c, o.name))) {
          throw new StudioError('RUNTIME_FAILURE', `Controller ${c.name} declared output ${o.name} but never produced it`, { controller: c.name });
        }
      }
    }
  }

  private kernelAttend(site: AttentionSite, { q, k, v }: QKV, opts: AttendOptions = {}): Value {
    return attention(this.g, q, k, v, site.dimHead, { heads: site.heads, scale: opts.scale, kernel: this.kernel, name: `${site.path}/attention` });
  }

  private context(c: ControllerPlan): ControllerGraphContext {
    let ctx = this.contexts.get(c);
    if (ctx) return ctx;
    const g = this.g;
    const declaredOut = new Set(c.outputs.map((o) => o.name));
    const memos = new Map<string, unknown>();
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
      memo: <T>(key: string, make: () => T): T => {
        if (!memos.has(key)) memos.set(key, make());
        return memos.get(key) as T;
      },
    };
    this.contexts.set(c, ctx);
    return ctx;
  }
}
