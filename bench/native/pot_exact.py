# Inputs and POT + torch timings for bench/native/exact_kernels_bench.cc: writes each workload's
# inputs as raw float64 files into DIR (so both sides solve the same problems), then, when POT is
# importable, times POT on them and prints one JSON object {workload: {cold_ms, median_ms, value}}.
# Usage: python3 pot_exact.py DIR RUNS [workload ...]
import json
import os
import statistics
import sys
import time

import numpy as np


def write(dirname, name, arr):
    np.ascontiguousarray(arr, dtype=np.float64).tofile(os.path.join(dirname, name + ".bin"))


def make_inputs(dirname, workloads):
    rng = np.random.default_rng(20261204)
    for w in workloads:
        if w.startswith("emd"):
            n = int(w[3:])
            write(dirname, w + "_x", rng.random((n, 2)))
            write(dirname, w + "_y", rng.random((n, 2)))
        elif w == "batch":
            write(dirname, "batch_x", rng.random((1024, 32, 2)))
            write(dirname, "batch_y", rng.random((1024, 32, 2)))
        elif w == "w1d":
            write(dirname, "w1d_u", rng.random(10**6))
            write(dirname, "w1d_v", rng.random(10**6) * 1.5)
        elif w == "sliced":
            write(dirname, "sliced_xs", rng.random((5000, 20)))
            write(dirname, "sliced_xt", rng.random((5000, 20)) + 0.1)
            P = rng.standard_normal((20, 200))
            write(dirname, "sliced_P", P / np.linalg.norm(P, axis=0, keepdims=True))


def read(dirname, name, shape):
    return np.fromfile(os.path.join(dirname, name + ".bin"), dtype=np.float64).reshape(shape)


def timed(fn, runs):
    times, value = [], None
    for _ in range(runs + 1):  # the first (cold) run is the warm-up
        t = time.perf_counter()
        value = fn()
        times.append((time.perf_counter() - t) * 1e3)
    return {"cold_ms": times[0], "median_ms": statistics.median(times[1:]), "value": float(value)}


def pot_timings(dirname, runs, workloads):
    import ot
    import torch

    out = {}
    for w in workloads:
        if w.startswith("emd"):
            n = int(w[3:])
            if n > 3000:
                continue  # POT at n = 10000 takes minutes; only ours is reported
            x, y = read(dirname, w + "_x", (n, 2)), read(dirname, w + "_y", (n, 2))
            M = ot.dist(x, y)
            a = np.full(n, 1.0 / n)
            out[w] = timed(lambda: ot.emd2(a, a, M, numItermax=10**7), runs)
        elif w == "batch":
            X, Y = read(dirname, "batch_x", (1024, 32, 2)), read(dirname, "batch_y", (1024, 32, 2))
            Ms = [ot.dist(X[k], Y[k]) for k in range(1024)]
            a = np.full(32, 1.0 / 32)
            out[w] = timed(lambda: sum(ot.emd2(a, a, M) for M in Ms), runs)
        elif w == "w1d":
            u = torch.from_numpy(read(dirname, "w1d_u", (10**6,)))
            v = torch.from_numpy(read(dirname, "w1d_v", (10**6,)))

            def w1d():
                uu, vv = u.clone().requires_grad_(True), v.clone().requires_grad_(True)
                val = ot.wasserstein_1d(uu, vv, p=2)
                val.backward()
                return val.item()

            out[w] = timed(w1d, runs)
        elif w == "sliced":
            xs = torch.from_numpy(read(dirname, "sliced_xs", (5000, 20)))
            xt = torch.from_numpy(read(dirname, "sliced_xt", (5000, 20)))
            P = torch.from_numpy(read(dirname, "sliced_P", (20, 200)))

            def sliced():
                s, t = xs.clone().requires_grad_(True), xt.clone().requires_grad_(True)
                val = ot.sliced_wasserstein_distance(s, t, projections=P, p=2)
                val.backward()
                return val.item()

            out[w] = timed(sliced, runs)
    out["torch_threads"] = torch.get_num_threads()
    return out


if __name__ == "__main__":
    import warnings

    warnings.filterwarnings("ignore")
    dirname, runs, workloads = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    make_inputs(dirname, workloads)
    try:
        print(json.dumps(pot_timings(dirname, runs, workloads)))
    except ImportError as e:
        print(json.dumps({"error": f"POT not importable ({e}); set PYTHONPATH to the oracle"}))
