"""rectifier.softmax on a dask.distributed LocalCluster against dask's own softmax written with dask
operations, ``e = da.exp(x - x.max(axis=1, keepdims=True)); e / e.sum(axis=1, keepdims=True)``.

    python bench/bench_dask.py [--rows 20000] [--cols 1000] [--chunk 2000] [--workers 2] [--repeat 7]

float32 data made on the workers (dask's random generator) and kept there (persist), so the time is
the computation, not the transfer: each sample persists the result on the workers and waits for
it. The two are measured interleaved; the medians and their ratio are printed with the machine's
load average.
"""
import argparse
import os
import statistics
import time

import numpy as np


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--cols", type=int, default=1_000)
    parser.add_argument("--chunk", type=int, default=2_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=7)
    opts = parser.parse_args()

    import dask.array as da
    from dask.distributed import Client, LocalCluster, wait

    import rectifier as rf

    def dask_softmax(x):
        e = da.exp(x - x.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    candidates = {"rectifier.softmax": lambda x: rf.softmax(x, axis=1), "dask exp/max/sum": dask_softmax}
    with LocalCluster(n_workers=opts.workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster):
        x = da.random.default_rng(0).standard_normal((opts.rows, opts.cols), chunks=(opts.chunk, opts.cols),
                                                     dtype=np.float32).persist()
        wait(x)
        samples = {k: [] for k in candidates}
        for label, f in candidates.items():   # warm-up, and the two agree
            y = f(x).persist()
            wait(y)
        a = rf.softmax(x, axis=1)[:5].compute()
        b = dask_softmax(x)[:5].compute()
        assert np.allclose(a, b, rtol=1e-5, atol=1e-9)
        keys = list(candidates)
        for r in range(opts.repeat):
            for label in keys[r % 2:] + keys[:r % 2]:
                start = time.perf_counter()
                y = candidates[label](x).persist()
                wait(y)
                samples[label].append(time.perf_counter() - start)
                del y
    medians = {k: statistics.median(v) for k, v in samples.items()}
    load = " ".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    print(f"({opts.rows}, {opts.cols}) float32 in ({opts.chunk}, {opts.cols}) chunks, "
          f"{opts.workers} worker processes, median of {opts.repeat}; load average {load}")
    for k, v in medians.items():
        print(f"  {k:20s} {v * 1e3:8.1f} ms")
    print(f"  rectifier / dask's own: {medians['rectifier.softmax'] / medians['dask exp/max/sum']:.2f}")


if __name__ == "__main__":
    main()
