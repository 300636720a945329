// GPU checks of the public ops that take cuda tensors beyond dist / solve / batch / dual: exact OT, 1-D and
// sliced distances, unbalanced and lazy solves, the Sinkhorn divergence. Each runs once on cuda tensors and
// once on the same values on the CPU; values and the gradients reaching the leaves must agree, and results
// must come back as cuda tensors. Used by run-gpu-checks.mjs (which owns check(), the tolerances and the report).

/**
 * @param lib the public API (dist/index.js)
 * @param h { check, twins, randArray, randWeights, quietly, rng }
 */
export async function apiOpChecks(lib, h) {
  const { check, twins, randArray, randWeights, quietly, rng } = h;
  const r = rng(77);
  // The lazy GPU kernel against the CPU one on larger clouds (both lazy; float32 compared with float64).
  for (const [n, m, d, reg] of [[3000, 2500, 3, 0.05], [700, 900, 20, 1], [5, 3000, 2, 0.01]]) {
    const xs = randArray(r, n * d);
    const xt = randArray(r, m * d);
    const a = randWeights(r, n);
    for (const dtype of ['float64', 'float32']) {
      await check('public ops', `solveSample lazy ${n}x${m}x${d} reg=${reg} weighted`, dtype, () => quietly(async () => {
        const [X, Xg] = twins(lib, xs, [n, d], dtype);
        const [Y, Yg] = twins(lib, xt, [m, d], dtype);
        const [A, Ag] = twins(lib, a, [n], dtype, true);
        const opts = { reg, lazy: true, maxIter: 400, tol: 0 };
        const cpu = lib.solveSample(X, Y, A, null, opts);
        const gpu = await lib.solveSampleAsync(Xg, Yg, Ag, null, opts);
        cpu.value.backward();
        gpu.value.backward();
        return [
          { what: `nIter ${gpu.nIter} vs ${cpu.nIter}, status ${gpu.status} vs ${cpu.status}`, pass: gpu.nIter === cpu.nIter && gpu.status === cpu.status },
          { what: 'value', got: gpu.value.item(), want: cpu.value.item() },
          { what: 'valueLinear', got: gpu.valueLinear.item(), want: cpu.valueLinear.item() },
          { what: 'f', got: gpu.potentials[0].data, want: cpu.potentials[0].data },
          { what: 'xS.grad', got: Xg.grad.data, want: X.grad.data },
          { what: 'xT.grad', got: Yg.grad.data, want: Y.grad.data },
          { what: 'a.grad', got: Ag.grad.data, want: A.grad.data },
          { what: 'grads on cuda', pass: Xg.grad.device === 'cuda' && Ag.grad.device === 'cuda' },
        ];
      }));
    }
  }
  for (const dtype of ['float64', 'float32']) {
    const [n, m, d] = [120, 90, 3];
    const xs = randArray(r, n * d);
    const xt = randArray(r, m * d);
    const a = randWeights(r, n);
    const b = randWeights(r, m);
    // Each case: how to compute a scalar from (xS, xT, a, b) leaves; the same code runs on both devices.
    const cases = {
      'emd2(dist)': (X, Y, A, B) => lib.emd2(A, B, lib.dist(X, Y)),
      'solve unbalanced KL reg 0.1 (host copy)': (X, Y, A, B) => lib.solve(lib.dist(X, Y), A, B, { reg: 0.1, unbalanced: 0.5, maxIter: 300, tol: 0 }).value,
      'solveSample lazy reg 0.1': (X, Y, A, B) => lib.solveSample(X, Y, A, B, { reg: 0.1, lazy: true, maxIter: 200, tol: 0 }).value,
      'sinkhornDivergence reg 0.1': (X, Y, A, B) => lib.sinkhornDivergence(X, Y, { reg: 0.1, a: A, b: B, maxIter: 200, tol: 0 }),
      'wasserstein1d columns p=2': (X, Y, A, B) => lib.wasserstein1d(X, Y, { p: 2, uWeights: A, vWeights: B }).sum(),
      'slicedWasserstein 50 proj': (X, Y, A, B) => lib.slicedWassersteinDistance(X, Y, { a: A, b: B, nProjections: 50, seed: 5 }),
    };
    for (const [name, fn] of Object.entries(cases)) {
      await check('public ops', `${name} ${n}x${m}x${d}`, dtype, () => quietly(async () => {
        const [X, Xg] = twins(lib, xs, [n, d], dtype);
        const [Y, Yg] = twins(lib, xt, [m, d], dtype);
        const [A, Ag] = twins(lib, a, [n], dtype, false);
        const [B, Bg] = twins(lib, b, [m], dtype, false);
        const cpu = fn(X, Y, A, B);
        const gpu = fn(Xg, Yg, Ag, Bg);
        cpu.backward();
        gpu.backward();
        // float32 on the GPU against a float64 CPU run of the same rounded inputs: 1e-4 as everywhere.
        return [
          { what: 'value', got: gpu.item(), want: cpu.item() },
          { what: 'value is a cuda tensor', pass: gpu.device === 'cuda', note: `device ${gpu.device}` },
          { what: 'xS.grad', got: Xg.grad.data, want: X.grad.data },
          { what: 'xT.grad', got: Yg.grad.data, want: Y.grad.data },
          { what: 'xS.grad on cuda', pass: Xg.grad.device === 'cuda' },
        ];
      }));
    }
  }
}

/** Solve + autodiff backward at n = m = size on the GPU through the public API: cold and warm seconds. */
export async function largeSolveBench(lib, size, iters) {
  const pts = (seed) => lib.rand([size, 2], { seed, dtype: 'float32' }).data;
  const [xData, yData] = [pts(1), pts(2)];
  const run = () => {
    const t0 = performance.now();
    const X = lib.tensor(xData, { shape: [size, 2], device: 'cuda', requiresGrad: true });
    const Y = lib.tensor(yData, { shape: [size, 2], device: 'cuda' });
    const res = lib.solve(lib.dist(X, Y), null, null, { reg: 0.05, grad: 'autodiff', maxIter: iters, tol: 0 });
    const tSolve = performance.now();
    res.value.backward();
    const grad = X.grad.to('cpu').data;
    const t1 = performance.now();
    return { seconds: (t1 - t0) / 1000, solveSeconds: (tSolve - t0) / 1000, backwardSeconds: (t1 - tSolve) / 1000, gradFinite: grad.every(Number.isFinite), nIter: res.nIter };
  };
  const cold = run();
  const warm = run();
  return { n: size, m: size, dtype: 'float32', iterations: warm.nIter, coldSeconds: cold.seconds, ...warm };
}

/** Lazy Sinkhorn on the GPU: seconds per iteration (20 and 120 iterations, tol 0), forward + backward. */
export async function lazyBench(lib, n, dtype, d = 3) {
  const pts = (seed) => lib.rand([n, d], { seed, dtype }).data;
  const [xData, yData] = [pts(3), pts(4)];
  const run = (iters) => {
    const X = lib.tensor(xData, { shape: [n, d], device: 'cuda', requiresGrad: true });
    const Y = lib.tensor(yData, { shape: [n, d], device: 'cuda', requiresGrad: true });
    const t0 = performance.now();
    const res = lib.solveSample(X, Y, { reg: 0.1, lazy: true, maxIter: iters, tol: 0 });
    res.value.backward();
    X.grad.to('cpu');
    return (performance.now() - t0) / 1000;
  };
  const cold = run(20);
  const t20 = run(20);
  const t120 = run(120);
  return { n, m: n, d, dtype, coldSeconds20: cold, seconds20: t20, seconds120: t120, perIterationMs: ((t120 - t20) / 100) * 1e3 };
}
