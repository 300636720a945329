// The reverse-mode tape: each differentiable result holds a GradFn that maps its output gradient to
// its inputs' gradients; an op with several outputs (a solve's value, plan, potentials) is one
// MultiOutputNode whose single backward receives every output's gradient. backward() walks the graph
// once in reverse topological order.
import { fail } from '../core/validate.js';
import type { Tensor } from './tensor.js';

/** One recorded operation: its inputs and the vector-Jacobian product back to them. */
export interface GradFn {
  readonly name: string;
  readonly inputs: readonly (Tensor | null)[];
  /** Given d(out) returns d(input_k) for each input (null where not needed). */
  backward(gradOut: Tensor): (Tensor | null)[];
}

/**
 * One operation with several outputs and one backward: the tape collects the gradients of all its
 * outputs (null for an output no gradient reached) and runs `backward` once, after every consumer.
 * @example
 * const node = new MultiOutputNode('solve', [M, a, b], ([gValue, gPlan]) => adjoint(gValue, gPlan));
 * const value = Tensor.fromOp(v, [], node.output(0, 'value'));
 * const plan = Tensor.fromOp(P, [n, m], node.output(1, 'plan'));
 */
export class MultiOutputNode {
  private count = 0;
  constructor(
    readonly name: string,
    readonly inputs: readonly (Tensor | null)[],
    readonly backward: (gradOuts: readonly (Tensor | null)[]) => (Tensor | null)[],
  ) {}

  /** The GradFn of output `index`: pass it to Tensor.fromOp for that output. */
  output(index: number, name = String(index)): GradFn {
    this.count = Math.max(this.count, index + 1);
    return new NodeOutput(this, index, `${this.name}.${name}`);
  }

  /** Number of outputs handed out so far. */
  get outputs(): number {
    return this.count;
  }
}

/** Output `index` of a MultiOutputNode; the tape routes its gradient to the node instead of calling backward. */
class NodeOutput implements GradFn {
  constructor(readonly node: MultiOutputNode, readonly index: number, readonly name: string) {}

  /** The node's inputs: what decides whether the output requires grad. */
  get inputs(): readonly (Tensor | null)[] {
    return this.node.inputs;
  }

  backward(): (Tensor | null)[] {
    // Unreachable through runBackward; a direct call would silently drop the other outputs' gradients.
    return fail('ERR_OT_ARG', `${this.name}: outputs of a multi-output node are differentiated by their node`);
  }
}

type Vertex = Tensor | MultiOutputNode;

function children(v: Vertex): readonly (Vertex | null)[] {
  if (v instanceof MultiOutputNode) return v.inputs;
  const fn = v.gradFn;
  if (fn instanceof NodeOutput) return [fn.node];
  return fn?.inputs ?? [];
}

function wanted(v: Vertex | null): v is Vertex {
  return v !== null && (v instanceof MultiOutputNode || v.requiresGrad);
}

/** Vertices in post-order (children first), iteratively: Sinkhorn-length graphs would overflow the JS stack. */
function postOrder(root: Tensor): Vertex[] {
  const order: Vertex[] = [];
  const visited = new Set<Vertex>([root]);
  const stack: [Vertex, number][] = [[root, 0]];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [v, k] = top;
    const kids = children(v);
    if (k < kids.length) {
      top[1] = k + 1;
      const child = kids[k]!;
      if (wanted(child) && !visited.has(child)) {
        visited.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(v);
    }
  }
  return order;
}

/** Whether a gradient over `span` of `key` may be adopted: it overlaps no storage already handed out. */
function unshared(handedOut: [object, number, number][], key: object, span: readonly [number, number]): boolean {
  for (const [k, b, e] of handedOut) if (k === key && span[0] < e && b < span[1]) return false;
  return true;
}

/**
 * The tape of a chain (each op has one input that requires grad, down to one op whose inputs that
 * require grad are all distinct leaves): an optimisation step's `loss.neg().backward()`. Walks it
 * without the general pass's sort and maps, with the same results; false (nothing done) otherwise.
 */
function chainBackward(root: Tensor, seed: Tensor): boolean {
  // Check the whole shape first, so a graph that is no chain falls back before any backward ran.
  let fn = root.gradFn;
  let depth = 0;
  for (;;) {
    if (fn === null || fn instanceof NodeOutput || ++depth > 16) return false;
    let next: Tensor | null = null;
    let leaves = 0;
    let wantedInputs = 0;
    const ins = fn.inputs;
    for (let j = 0; j < ins.length; j++) {
      const t = ins[j];
      if (!t || !t.requiresGrad) continue;
      wantedInputs++;
      if (t.gradFn === null) {
        for (let q = 0; q < j; q++) if (ins[q] === t) return false;  // the same leaf twice: gradients add up
        leaves++;
      } else next = t;
    }
    if (wantedInputs === 1 && next !== null) {
      fn = next.gradFn;
      continue;
    }
    if (leaves !== wantedInputs) return false;
    break;
  }
  let g = seed;
  let node = root;
  for (;;) {
    const f = node.gradFn!;
    const grads = f.backward(g);
    const ins = f.inputs;
    let next: Tensor | null = null;
    for (let j = 0; j < ins.length; j++) {
      const t = ins[j];
      if (t && t.requiresGrad && t.gradFn !== null) next = t;
    }
    if (next !== null) {
      const gi = grads[ins.indexOf(next)];
      if (!gi) return true;  // nothing flows further down
      g = gi;
      node = next;
      continue;
    }
    const handedOut: [object, number, number][] = [[seed.storageKey(), ...seed.storageSpan()]];
    for (let j = 0; j < ins.length; j++) {
      const t = ins[j];
      const gi = grads[j];
      if (!t || !gi || !t.requiresGrad) continue;
      const key = gi.storageKey();
      const span = gi.storageSpan();
      const adopt = unshared(handedOut, key, span);
      handedOut.push([key, span[0], span[1]]);
      t.accumulateGrad(gi.detach(), adopt);
    }
    return true;
  }
}

/** Runs reverse-mode accumulation from `root` seeded with `seed`; leaves accumulate into .grad. */
export function runBackward(root: Tensor, seed: Tensor): void {
  if (chainBackward(root, seed)) return;
  const order = postOrder(root);
  const grads = new Map<Tensor, Tensor>([[root, seed]]);
  const pending = new Map<MultiOutputNode, (Tensor | null)[]>();
  // Buffers a leaf may adopt as its .grad: not the caller's seed, and not one already handed out
  // (ops such as add pass the same gradient to both inputs).
  const handedOut: [object, number, number][] = [[seed.storageKey(), ...seed.storageSpan()]];
  const accumulate = (inputs: readonly (Tensor | null)[], inGrads: readonly (Tensor | null)[]): void => {
    inputs.forEach((inp, j) => {
      const gi = inGrads[j];
      if (!inp || !gi || !inp.requiresGrad) return;
      const prev = grads.get(inp);
      grads.set(inp, prev ? prev.detach().add(gi.detach()) : gi.detach());
    });
  };
  for (let i = order.length - 1; i >= 0; i--) {
    const v = order[i]!;
    if (v instanceof MultiOutputNode) {
      const gs = pending.get(v);
      pending.delete(v);
      if (gs) accumulate(v.inputs, v.backward(gs));
      continue;
    }
    const g = grads.get(v);
    if (!g) continue;
    grads.delete(v);
    const fn = v.gradFn;
    if (!fn) {
      const key = g.storageKey();
      const span = g.storageSpan();
      const adopt = unshared(handedOut, key, span);
      handedOut.push([key, span[0], span[1]]);
      v.accumulateGrad(g, adopt);
    } else if (fn instanceof NodeOutput) {
      const gs = pending.get(fn.node) ?? new Array<Tensor | null>(fn.node.outputs).fill(null);
      const prev = gs[fn.index];
      gs[fn.index] = prev ? prev.detach().add(g.detach()) : g;
      pending.set(fn.node, gs);
    } else {
      accumulate(fn.inputs, fn.backward(g));
    }
  }
}
