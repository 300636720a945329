"""torch-on-CUDA timings of the GPU workloads of test/gpu/run-gpu-checks.mjs, printed as one JSON object.

Context for the GPU figures: the same workloads written the way a POT + torch user runs them on a GPU
(POT's sinkhorn_log update, its batched log-sum-exp, the entropic dual loss of ot.stochastic, autodiff through
scaling-domain Sinkhorn, POT's wasserstein_1d and sliced_wasserstein_distance). Runs on the GPU machine's own python3 (torch with CUDA); POT itself is not needed.
Times are seconds: one warm-up, then the median of the runs, each ended by torch.cuda.synchronize().
Usage: python3 bench/oracle/gpu_torch.py [--small]
"""
import json, statistics, sys, time
import torch


def timed(fn, runs=5):
    fn()
    torch.cuda.synchronize()
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter(); fn(); torch.cuda.synchronize(); ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def sinkhorn_log_iteration(n, dtype):
    g = torch.Generator(device='cuda').manual_seed(0)
    x = torch.rand((n, 2), device='cuda', dtype=dtype, generator=g); y = torch.rand((n, 2), device='cuda', dtype=dtype, generator=g)
    M = torch.cdist(x, y) ** 2
    reg = 0.05
    loga = torch.full((n,), -torch.log(torch.tensor(float(n))).item(), device='cuda', dtype=dtype)
    f = torch.zeros(n, device='cuda', dtype=dtype); h = torch.zeros(n, device='cuda', dtype=dtype)

    def iters(k):
        nonlocal f, h
        for _ in range(k):  # POT's sinkhorn_log update, written with torch.logsumexp
            f = reg * loga - reg * torch.logsumexp((h[None, :] - M) / reg, dim=1)
            h = reg * loga - reg * torch.logsumexp((f[:, None] - M) / reg, dim=0)
    t = (timed(lambda: iters(110), 3) - timed(lambda: iters(10), 3)) / 100
    return {'n': n, 'perIterationMs': t * 1e3}


def batch_log_sinkhorn(B, n, iters=100):
    M = torch.rand((B, n, n), device='cuda', dtype=torch.float32)
    reg = 0.1
    loga = torch.full((B, n), -torch.log(torch.tensor(float(n))).item(), device='cuda')

    def run():
        f = torch.zeros((B, n), device='cuda'); h = torch.zeros((B, n), device='cuda')
        for _ in range(iters):
            f = reg * loga - reg * torch.logsumexp((h[:, None, :] - M) / reg, dim=2)
            h = reg * loga - reg * torch.logsumexp((f[:, :, None] - M) / reg, dim=1)
        return f
    t = timed(run, 3)
    return {'B': B, 'n': n, 'iterations': iters, 'seconds': t, 'problemsPerSecond': B / t}


def dual_loss_grad(n, dtype):
    xs = torch.rand((n, 2), device='cuda', dtype=dtype); xt = torch.rand((n, 2), device='cuda', dtype=dtype)
    u = (torch.rand(n, device='cuda', dtype=dtype) * 0.2 - 0.1).requires_grad_()
    v = (torch.rand(n, device='cuda', dtype=dtype) * 0.2 - 0.1).requires_grad_()
    reg = 0.1

    def run():  # ot.stochastic.loss_dual_entropic with uniform weights, then backward
        M = torch.cdist(xs, xt) ** 2
        loss = u.mean() + v.mean() - reg * torch.exp((u[:, None] + v[None, :] - M) / reg).mean()
        loss.backward()
    t = timed(run, 5)
    return {'n': n, 'msPerCall': t * 1e3, 'pairsPerSecond': n * n / t}


def solve_autodiff(n, iters=100):
    x = torch.rand((n, 2), device='cuda').requires_grad_(); y = torch.rand((n, 2), device='cuda')
    reg = 0.05

    def run():  # scaling-domain Sinkhorn (POT's sinkhorn_knopp), value <M, P>, autodiff backward
        x.grad = None
        M = torch.cdist(x, y) ** 2
        K = torch.exp(-M / reg)
        a = torch.full((n,), 1.0 / n, device='cuda'); v = torch.ones(n, device='cuda')
        for _ in range(iters):
            u = a / (K @ v); v = a / (K.T @ u)
        value = (u[:, None] * K * v[None, :] * M).sum()
        value.backward()
    torch.cuda.reset_peak_memory_stats()
    t = timed(run, 3)
    return {'n': n, 'iterations': iters, 'seconds': t, 'peakDeviceMemoryGiB': torch.cuda.max_memory_allocated() / 2**30}


def pot_wasserstein_1d(u, v, p):
    """POT's ot.wasserstein_1d (ot/lp/solver_1d.py) on torch, uniform weights: sort, cumulative weights,
    quantiles by searchsorted on their merged levels, sum of delta * |u_q - v_q|^p per column."""
    n, m = u.shape[0], v.shape[0]
    uw = torch.full_like(u, 1.0 / n); vw = torch.full_like(v, 1.0 / m)
    us, ui = torch.sort(u, 0); vs, vi = torch.sort(v, 0)
    ucw = torch.cumsum(torch.gather(uw, 0, ui), 0); vcw = torch.cumsum(torch.gather(vw, 0, vi), 0)
    qs = torch.sort(torch.cat((ucw, vcw), 0), 0)[0]

    def quantile(cws, xs):
        idx = torch.searchsorted(cws.T.contiguous(), qs.T.contiguous()).T
        return torch.gather(xs, 0, idx.clip(0, xs.shape[0] - 1))
    uq, vq = quantile(ucw, us), quantile(vcw, vs)
    delta = qs - torch.cat((torch.zeros_like(qs[:1]), qs[:-1]), 0)
    return torch.sum(delta * torch.abs(uq - vq) ** p, 0)


def wasserstein1d(N, dtype):
    g = torch.Generator(device='cuda').manual_seed(0)
    # [N, 1]: one column, as POT's [n] input without its 1-d transpose warning.
    u = torch.rand((N, 1), device='cuda', dtype=dtype, generator=g).requires_grad_()
    v = torch.rand((N, 1), device='cuda', dtype=dtype, generator=g) + 0.5

    def value():
        with torch.no_grad():
            return pot_wasserstein_1d(u, v, 2)

    def grad():
        u.grad = None
        pot_wasserstein_1d(u, v, 2).backward()
    return {'n': N, 'ms': timed(value) * 1e3, 'withGradMs': timed(grad) * 1e3}


def sliced(n, d, k, dtype):
    """POT's ot.sliced_wasserstein_distance on torch with given unit directions, value and backward."""
    g = torch.Generator(device='cuda').manual_seed(0)
    xs = torch.rand((n, d), device='cuda', dtype=dtype, generator=g).requires_grad_()
    xt = (torch.rand((n, d), device='cuda', dtype=dtype, generator=g) + 0.2).requires_grad_()
    P = torch.randn((d, k), device='cuda', dtype=dtype, generator=g); P = P / torch.linalg.norm(P, dim=0, keepdim=True)

    def dist():
        return torch.mean(pot_wasserstein_1d(xs @ P, xt @ P, 2)) ** 0.5

    def value():
        with torch.no_grad():
            return dist()

    def grad():
        xs.grad = None; xt.grad = None
        dist().backward()
    return {'n': n, 'd': d, 'k': k, 'ms': timed(value) * 1e3, 'withGradMs': timed(grad) * 1e3}


def main():
    small = '--small' in sys.argv
    nSk, bB, nD = (256, 64, 300) if small else (8192, 4096, 20000)
    nW, nS, kS = (10000, 500, 20) if small else (1000000, 5000, 200)  # test/gpu/oned-sliced.mjs's sizes
    out = {'torch': torch.__version__, 'device': torch.cuda.get_device_name(0)}
    for name, fn in [
        (f'sinkhorn_log_{nSk}_float32', lambda: sinkhorn_log_iteration(nSk, torch.float32)),
        (f'sinkhorn_log_{nSk}_float64', lambda: sinkhorn_log_iteration(nSk, torch.float64)),
        (f'batch_{bB}x64x64_float32_log_sinkhorn', lambda: batch_log_sinkhorn(bB, 64)),
        (f'dual_loss_grad_{nD}_float32', lambda: dual_loss_grad(nD, torch.float32)),
        (f'dual_loss_grad_{nD}_float64', lambda: dual_loss_grad(nD, torch.float64)),
        (f'solve_autodiff_{nD}_float32', lambda: solve_autodiff(nD)),
        (f'wasserstein1d_{nW}_float64', lambda: wasserstein1d(nW, torch.float64)),
        (f'wasserstein1d_{nW}_float32', lambda: wasserstein1d(nW, torch.float32)),
        (f'sliced_{nS}x20_k{kS}_float64', lambda: sliced(nS, 20, kS, torch.float64)),
        (f'sliced_{nS}x20_k{kS}_float32', lambda: sliced(nS, 20, kS, torch.float32)),
    ]:
        try:
            out[name] = fn()
        except Exception as e:  # one workload out of memory must not lose the others
            out[name] = {'error': str(e)[:300]}
        torch.cuda.empty_cache()
    print(json.dumps(out, indent=1))


if __name__ == '__main__':
    main()
