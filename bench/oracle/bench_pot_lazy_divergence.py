"""POT timings of the Sinkhorn divergence for bench/lazy.ts, printed as one JSON object.

ot.bregman.empirical_sinkhorn_divergence(x_s, x_t, REG, numIterMax=ITERS, stopThr=0, isLazy=LAZY) on float64
numpy point clouds (read from the JSON file bench/lazy.ts writes, so both sides solve the same problem),
batchSize POT's default (100) when lazy. Seconds: the first (cold) call, then the median of TRIALS after it.
Usage: PYTHONPATH=<POT> python3 bench_pot_lazy_divergence.py POINTS.json ITERS TRIALS REG LAZY(0|1)
"""
import json, sys, warnings
import numpy as np
import ot

from first_median import timed



if __name__ == "__main__":
    path, iters, trials, reg, lazy = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5] == "1"
    with open(path) as f:
        pts = json.load(f)
    xs = np.array(pts["x_s"], dtype=np.float64)
    xt = np.array(pts["x_t"], dtype=np.float64)
    out = {"pot": ot.__version__, "numpy": np.__version__, "lazy": lazy}
    warnings.simplefilter("ignore")  # a fixed iteration count: "did not converge" is expected
    res = {}
    def run():
        res["s"] = ot.bregman.empirical_sinkhorn_divergence(xs, xt, reg, numIterMax=iters, stopThr=0, isLazy=lazy)
    out["first"], out["median"] = timed(run, trials)
    out["value"] = float(res["s"])
    print(json.dumps(out))
