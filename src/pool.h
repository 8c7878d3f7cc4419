/* The intra-op thread pool: native worker threads (POSIX threads, or Win32 threads on Windows),
 * started on first need, that run the pieces of one large kernel call beside the calling thread.
 * No Python and no GIL in the workers. Internal: the Python layer calls the rect_par_* functions.
 *
 * Every rect_par_* function gives the bits of the one-thread call whatever the thread count: it
 * cuts only where the result cannot depend on the cut (elementwise kernels at any element, the
 * random kernels with each piece's counter offset set to its global index, the reductions and the
 * epilogue at row boundaries, the counters by exact integer sums).
 *
 * One call uses the pool at a time. A call that finds the pool busy (another Python thread's call
 * is running on it) runs on its own thread, so many calling threads never start more than the
 * pool's threads plus themselves. */
#ifndef RECT_POOL_H
#define RECT_POOL_H

#include <stddef.h>
#include <stdint.h>
#include "kernels/table.h"

#if defined(_WIN32)
#define RECT_EXPORT __declspec(dllexport)
#else
#define RECT_EXPORT __attribute__((visibility("default")))
#endif

/* The most threads one call may use (the caller included); the pool holds that many less one.
 * Exported under these names for threadpoolctl's controller (rectifier/_threads.py). */
#define RECT_MAX_THREADS 1024
RECT_EXPORT int rect_get_num_threads(void);
/* Sets the count, clamped to [1, RECT_MAX_THREADS]; returns the previous one. Workers are started
 * by the first call that needs them; a smaller count leaves the others asleep. */
RECT_EXPORT int rect_set_num_threads(int n);

/* Elements per thread below which a call stays on one thread (set by the Python layer from its
 * measured default; tests lower it to split small arrays). */
extern size_t rect_parallel_min;

/* How many calls the pool has split among its threads so far (tests read it). */
uint64_t rect_pool_jobs(void);

/* How many threads `work` units get with at least `min_per_thread` each (1: run it directly). */
size_t rect_threads_for(size_t work, size_t min_per_thread);

/* Runs task(ctx, begin, end) over pieces covering [0, n), each `chunk` units long (the last one
 * shorter), on up to `threads` threads, the caller's included; returns when all are done. With one
 * thread, or when the pool is busy, one call task(ctx, 0, n) on the calling thread. */
typedef void (*rect_task_fn)(void *ctx, size_t begin, size_t end);
void rect_parallel_for(size_t n, size_t chunk, size_t threads, rect_task_fn task, void *ctx);

/* The kernel calls, split: same arguments as the kernels (rect_par_random's esize and csize are
 * the storage and compute sizes, block the most elements per kernel call). */
void rect_par_unary(rect_unary_fn fn, size_t n, size_t esize, const void *x, void *y,
                    const rect_params *p);
void rect_par_grad(rect_grad_fn fn, size_t n, size_t esize, const void *x, const void *g, void *y,
                   const rect_params *p);
void rect_par_random(rect_random_fn fn, size_t n, size_t block, size_t esize, size_t csize,
                     const void *x, const void *sigma, void *y, void *noise, const rect_params *p,
                     uint64_t key);
void rect_par_reduce(rect_reduce_fn fn, int op, size_t outer, size_t n, size_t inner, size_t esize,
                     const void *x, const void *g, void *y, const rect_params *p);
int rect_par_bias_act(int dtype, int op, size_t outer, size_t channels, size_t inner, const void *x,
                      const void *bias, void *y, const rect_params *p);
int rect_par_count_positive(int dtype, size_t outer, size_t len, size_t inner, const void *x,
                            uint64_t *counts);

#endif
