"""A two-layer network's forward pass over a batch too big for one machine, with dask.distributed:
the batch is a dask array chunked by rows, each worker process runs rectifier's kernels on its
blocks, and the result is checked against the single-process computation.

    pip install "rectifier[test]"          # dask[array,distributed], never a runtime dependency
    python examples/distributed_mlp.py --rows 20000 --workers 2

Forward: h = linear(x, W1, b1, "gelu") (per block of rows: BLAS matmul, then the bias and the
activation fused in place), a = rrelu(h, training=True, seed=7) (random slopes drawn from each
element's global index: the same bits as NumPy on the whole batch, whatever the chunks and the
worker that computes them), logits = linear(a, W2, b2), p = softmax(logits, axis=1).

The check: the cluster's result equals, bit for bit, the same graph computed in this process, and
agrees with NumPy arrays through the same functions on the whole batch to float32 rounding (bit
for bit where BLAS rounds a matmul over fewer rows as it rounds the whole one, as OpenBLAS does).
"""
import argparse
import time

import numpy as np

import rectifier as rf


def forward(x, w1, b1, w2, b2):
    h = rf.linear(x, w1, b1, activation="gelu")
    a = rf.rrelu(h, training=True, seed=7)
    return rf.softmax(rf.linear(a, w2, b2), axis=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000, help="batch size (default 20000)")
    parser.add_argument("--chunk", type=int, default=2_000, help="rows per block (default 2000)")
    parser.add_argument("--features", type=int, default=256)
    parser.add_argument("--hidden", type=int, default=512)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    args = parser.parse_args()

    import dask.array as da
    from dask.distributed import Client, LocalCluster

    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.rows, args.features)).astype(np.float32)
    w1 = (rng.standard_normal((args.hidden, args.features)) * np.sqrt(2 / args.features)).astype(np.float32)
    b1 = (rng.standard_normal(args.hidden) * 0.1).astype(np.float32)
    w2 = (rng.standard_normal((args.classes, args.hidden)) / np.sqrt(args.hidden)).astype(np.float32)
    b2 = np.zeros(args.classes, np.float32)

    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        lazy = forward(da.from_array(x, chunks=(args.chunk, -1)), w1, b1, w2, b2)
        assert isinstance(lazy, da.Array)
        start = time.perf_counter()
        probs = lazy.compute()
        seconds = time.perf_counter() - start
        workers = len(client.scheduler_info()["workers"])

    here = lazy.compute(scheduler="sync")     # the same graph, in this process
    whole = forward(x, w1, b1, w2, b2)         # NumPy, the whole batch in one call
    same_bits = probs.tobytes() == here.tobytes()
    largest = float(np.max(np.abs(probs.astype(np.float64) - whole)))
    print(f"{args.rows} rows in blocks of {args.chunk} on {workers} worker processes: {seconds:.2f} s")
    print(f"cluster == this process on the same blocks, bit for bit: {same_bits}")
    print(f"cluster == NumPy on the whole batch, bit for bit: {probs.tobytes() == whole.tobytes()}")
    print(f"largest difference from the whole batch in one call: {largest:.2e}")
    if not same_bits or not np.allclose(probs, whole, rtol=1e-4, atol=1e-6):
        raise SystemExit("the distributed result differs from the single-process result")


if __name__ == "__main__":
    main()
