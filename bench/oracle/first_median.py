"""The oracle scripts' user-style timing: the first (cold) call, then the median of `trials` calls after it
(the first call's time again when trials is 0). Seconds."""
import statistics, time


def timed(fn, trials):
    t0 = time.perf_counter(); fn(); first = time.perf_counter() - t0
    ts = []
    for _ in range(trials):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    return first, (statistics.median(ts) if ts else first)
