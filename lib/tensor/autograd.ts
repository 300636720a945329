// The reverse-mode tape: each differentiable result holds a GradFn that maps its output gradient to
// its inputs' gradients; backward() walks the graph once in reverse topological order.
import type { Tensor } from './tensor.js';

/** One recorded operation: its inputs and the vector-Jacobian product back to them. */
export interface GradFn {
  readonly name: string;
  readonly inputs: readonly (Tensor | null)[];
  /** Given d(out) returns d(input_k) for each input (null where not needed). */
  backward(gradOut: Tensor): (Tensor | null)[];
}

/** Runs reverse-mode accumulation from `root` seeded with `seed`; leaves accumulate into .grad. */
export function runBackward(root: Tensor, seed: Tensor): void {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  // Iterative DFS post-order: Sinkhorn-length graphs would overflow the JS stack recursively.
  const stack: [Tensor, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [t, k] = top;
    const inputs = t.gradFn?.inputs ?? [];
    if (k < inputs.length) {
      top[1] = k + 1;
      const child = inputs[k];
      if (child && child.requiresGrad && !visited.has(child)) {
        visited.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  const grads = new Map<Tensor, Tensor>([[root, seed]]);
  // Buffers a leaf may adopt as its .grad: not the caller's seed, and not one already handed out
  // (ops such as add pass the same gradient to both inputs).
  const handedOut = new Set<object>([seed.storageKey()]);
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i]!;
    const g = grads.get(t);
    if (!g) continue;
    grads.delete(t);
    if (!t.gradFn) {
      const key = g.storageKey();
      const adopt = !handedOut.has(key);
      handedOut.add(key);
      t.accumulateGrad(g, adopt);
      continue;
    }
    const inGrads = t.gradFn.backward(g);
    t.gradFn.inputs.forEach((inp, j) => {
      const gi = inGrads[j];
      if (!inp || !gi || !inp.requiresGrad) return;
      const prev = grads.get(inp);
      grads.set(inp, prev ? prev.detach().add(gi.detach()) : gi.detach());
    });
  }
}
