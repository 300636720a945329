"""POT timings for bench/lazy.ts, printed as one JSON object.

ot.solve_sample(x_a, x_b, reg=REG, lazy=True, max_iter=ITERS, tol=0) on float64 numpy point clouds
(x_a, x_b read from the JSON file bench/lazy.ts writes, so both sides solve the same problem; POT's lazy
solver computes its cost blocks in numpy whatever the input backend), batch_size POT's default (100). Seconds: the first
(cold) call, then the median of TRIALS after it.
Usage: PYTHONPATH=<POT> python3 bench_pot_lazy.py POINTS.json ITERS TRIALS REG
"""
import json, sys, warnings
import numpy as np
import ot

from first_median import timed



if __name__ == "__main__":
    path, iters, trials, reg = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    with open(path) as f:
        pts = json.load(f)
    xa = np.array(pts["x_a"], dtype=np.float64)
    xb = np.array(pts["x_b"], dtype=np.float64)
    out = {"pot": ot.__version__, "numpy": np.__version__}
    warnings.simplefilter("ignore")  # a fixed iteration count: "did not converge" is expected
    res = {}
    def run():
        res["r"] = ot.solve_sample(xa, xb, reg=reg, lazy=True, max_iter=iters, tol=0)
    out["lazy_first"], out["lazy"] = timed(run, trials)
    out["value_linear"] = float(res["r"].value_linear)
    print(json.dumps(out))
