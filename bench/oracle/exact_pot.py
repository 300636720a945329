"""POT timings for bench/exact.ts: reads the inputs the benchmark wrote (raw float64, so both sides
solve the very same problems) and times POT's network simplex on them, printing one JSON object.

Usage: PYTHONPATH=<POT master> /usr/bin/python3 bench/oracle/exact_pot.py DIR RUNS MAX_ITER N [N ...]
Each workload: one warm-up (cold) run, then the median of RUNS runs (wall and CPU time), in milliseconds.
emd<N>: ot.emd2(a, b, M) with uniform a, b and M = ot.dist(x, y) (squared euclidean) of N 2-d points;
batch: sum of ot.emd2 over the 1024 32x32 costs (POT has no batched exact solver).
"""
import json, os, statistics, sys, time, warnings

import numpy as np
import ot


def timed(fn, runs):
    times, cpu, value = [], [], None
    for _ in range(runs + 1):
        t0, c0 = time.perf_counter(), time.process_time()
        value = fn()
        times.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
    return {"cold_ms": times[0], "median_ms": statistics.median(times[1:]), "cpu_ms": statistics.median(cpu[1:]), "value": float(value)}


def read(d, name, shape):
    return np.fromfile(os.path.join(d, name + ".bin"), dtype=np.float64).reshape(shape)


if __name__ == "__main__":
    warnings.filterwarnings("ignore")
    d, runs, max_iter, sizes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), [int(s) for s in sys.argv[4:]]
    out = {"pot": ot.__version__}
    for n in sizes:
        M = ot.dist(read(d, f"x{n}", (n, 2)), read(d, f"y{n}", (n, 2)))
        a = np.full(n, 1.0 / n)
        out[f"emd{n}"] = timed(lambda: ot.emd2(a, a, M, numItermax=max_iter), runs)
    Ms = read(d, "batchM", (1024, 32, 32))
    u = np.full(32, 1.0 / 32)
    out["batch"] = timed(lambda: sum(ot.emd2(u, u, Ms[k]) for k in range(1024)), runs)
    print(json.dumps(out))
