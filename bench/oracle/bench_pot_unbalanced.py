"""POT + torch (CPU) per-iteration timings for bench/unbalanced.ts, printed as one JSON object.

The seed workload (x, y uniform in [0,1)^5, n = m = 300, M = dist(x, y) float32, uniform a, b, reg):
POT's balanced ot.bregman.sinkhorn_log and its unbalanced ot.unbalanced.sinkhorn_unbalanced (KL,
reg_m) each run exactly ITERS iterations (stopThr=0). Seconds: the first (cold) call, then the median
of TRIALS after it. Usage: PYTHONPATH=<POT> python3 bench_pot_unbalanced.py ITERS TRIALS REG REG_M
"""
import json, sys
import torch
import ot

from first_median import timed



if __name__ == "__main__":
    iters, trials, reg, reg_m = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
    torch.manual_seed(0)
    x = torch.rand((300, 5)); y = torch.rand((300, 5))
    M = ot.dist(x, y)
    a = torch.ones(300) / 300; b = torch.ones(300) / 300
    out = {"pot": ot.__version__, "torch": torch.__version__, "threads": torch.get_num_threads()}
    out["balanced_first"], out["balanced"] = timed(lambda: ot.bregman.sinkhorn_log(a, b, M, reg, numItermax=iters, stopThr=0), trials)
    out["unbalanced_first"], out["unbalanced"] = timed(
        lambda: ot.unbalanced.sinkhorn_unbalanced(a, b, M, reg, reg_m, numItermax=iters, stopThr=0), trials)
    out["unbalanced_log_first"], out["unbalanced_log"] = timed(
        lambda: ot.unbalanced.sinkhorn_unbalanced(a, b, M, reg, reg_m, method="sinkhorn_stabilized", numItermax=iters, stopThr=0), trials)
    print(json.dumps(out))
