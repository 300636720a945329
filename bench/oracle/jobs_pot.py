"""POT + torch (CPU) on the pairwise workload of bench/jobs.ts: every pair (i <= j) of the K clouds in the
.npy file argv[1] ([K, n, d] float32), ot.batch.dist_batch + ot.batch.solve_batch in chunks of argv[2]
pairs, reg 0.05, tol 1e-6, max_iter 1000, float32. Prints {"first": s, "median": s}: POT's batch solver
takes minutes here, so the median is of one run after the cold first one, at all threads."""
import json
import os
import sys
import time

import numpy as np
import ot
import torch


def run(X, chunk):
    K = X.shape[0]
    ii, jj = np.triu_indices(K)
    values = torch.empty(len(ii))
    for s in range(0, len(ii), chunk):
        i = torch.from_numpy(ii[s:s + chunk]); j = torch.from_numpy(jj[s:s + chunk])
        M = ot.batch.dist_batch(X[i], X[j])
        res = ot.batch.solve_batch(M, 0.05, max_iter=1000, tol=1e-6, grad="detach")
        values[s:s + chunk] = res.value
    return values


if __name__ == "__main__":
    X = torch.from_numpy(np.load(sys.argv[1])).float()
    chunk = int(sys.argv[2])
    threads = os.cpu_count() or 1
    torch.set_num_threads(threads)
    t0 = time.perf_counter(); run(X, chunk); first = time.perf_counter() - t0
    t0 = time.perf_counter(); run(X, chunk); again = time.perf_counter() - t0
    print(json.dumps({"pot": ot.__version__, "torch": torch.__version__, "first": first, "median": again, "threads": threads}))
