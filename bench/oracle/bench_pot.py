"""POT + torch (CPU) timings of the reference workloads, printed as one JSON object.

Each workload is the one a benchmark of this project must run the same way, so that a ratio
between the two, measured in one run on one machine, means something.

Usage: PYTHONPATH=<POT master + torch install> /usr/bin/python3 bench/oracle/bench_pot.py [WORKLOAD ...]
Workloads: sinkhorn_grads  dual  batch   (default: all)
Times are seconds, median over trials (after one warm-up), each the best of torch on 1 thread
and on all cores (small tensors run faster on one), so the anchor is POT at its best here.
"""
import json, statistics, sys, time
import numpy as np
import torch
import ot

import os


def median_time(fn, trials):
    fn()  # warm-up
    ts = []
    for _ in range(trials):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def sinkhorn_grads(trials=10):
    """Seed 'plot_Sinkhorn_gradients': n=m=300, d=5, reg=0.03, float32, solve + value.backward()."""
    torch.manual_seed(0)
    x = torch.rand((300, 5)); y = torch.rand((300, 5))
    M0 = ot.dist(x, y)
    a0 = torch.tensor(ot.utils.unif(300)); b0 = torch.tensor(ot.utils.unif(300))
    out = {}
    for mode in ["autodiff", "envelope", "last_step"]:
        def run():
            M = M0.clone().detach().requires_grad_(True)
            a = a0.clone().detach().requires_grad_(True); b = b0.clone().detach().requires_grad_(True)
            res = ot.solve(M, a, b, reg=0.03, grad=mode)
            res.value.backward()
        out[mode] = median_time(run, trials)
    res = ot.solve(M0, a0, b0, reg=0.03)
    out["value"] = float(res.value)
    return out


def dual(trials=3):
    """Seed 'plot_dual_ot_pytorch': gaussrot n=100, Adam lr=1, 200 steps, entropic reg=0.5, quadratic reg=0.01."""
    Xs, ys = ot.datasets.make_data_classif("gaussrot", 100, nz=0.1, random_state=0)
    Xt, yt = ot.datasets.make_data_classif("gaussrot", 100, theta=2 * np.pi / 20, nz=0.1, random_state=1)
    Xt[yt == 2] *= 3
    Xt = Xt + 4
    xs = torch.tensor(Xs); xt = torch.tensor(Xt)
    out = {}
    for kind, reg in [("entropic", 0.5), ("quadratic", 0.01)]:
        lossf = getattr(ot.stochastic, "loss_dual_" + kind)
        final = {}
        def run():
            torch.manual_seed(1)
            u = torch.randn(100, dtype=torch.float64, requires_grad=True)
            v = torch.randn(100, dtype=torch.float64, requires_grad=True)
            opt = torch.optim.Adam([u, v], lr=1)
            for _ in range(200):
                loss = -lossf(u, v, xs, xt, reg=reg)
                loss.backward(); opt.step(); opt.zero_grad()
            final["loss"] = float(loss.detach())
        out[kind] = median_time(run, trials)
        out[kind + "_final_loss"] = final["loss"]
    return out


def batch(trials=10):
    """ot.batch.solve_batch: B=512 problems of 64x64, reg=0.05, float32, log_sinkhorn, max_iter=1000, tol=1e-5."""
    g = torch.Generator().manual_seed(0)
    M = torch.rand((512, 64, 64), generator=g)
    out = {}
    for solver in ["log_sinkhorn", "sinkhorn"]:
        out[solver] = median_time(lambda: ot.batch.solve_batch(M, 0.05, max_iter=1000, tol=1e-5, solver=solver, grad="detach"), trials)
    return out


if __name__ == "__main__":
    names = sys.argv[1:] or ["sinkhorn_grads", "dual", "batch"]
    result = {"pot": ot.__version__, "torch": torch.__version__}
    for name in names:
        best = {}
        for threads in sorted({1, os.cpu_count() or 1}):
            torch.set_num_threads(threads)
            for k, v in globals()[name]().items():
                best[k] = min(best.get(k, v), v) if isinstance(v, float) and "loss" not in k and k != "value" else v
        result[name] = best
    print(json.dumps(result))
