/* See pool.h. One job at a time: the caller publishes it under the lock and wakes the workers;
 * everyone (the caller included) takes pieces under the lock until none is left; the last one to
 * finish wakes the caller. A worker only ever reads the job it was woken for, under the lock. */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* pthread_sigmask and sigset_t under a strict -std=c99 */
#endif
#include <stdlib.h>
#include <string.h>
#include "pool.h"
#include "fused.h"

#if defined(_WIN32)
#include <windows.h>
typedef CRITICAL_SECTION rect_mutex;
typedef CONDITION_VARIABLE rect_cond;
#define mutex_lock EnterCriticalSection
#define mutex_unlock LeaveCriticalSection
#define cond_wait(c, m) SleepConditionVariableCS((c), (m), INFINITE)
#define cond_broadcast WakeAllConditionVariable
#define cond_signal WakeConditionVariable
#else
#include <pthread.h>
#include <signal.h>
typedef pthread_mutex_t rect_mutex;
typedef pthread_cond_t rect_cond;
#define mutex_lock pthread_mutex_lock
#define mutex_unlock pthread_mutex_unlock
#define cond_wait pthread_cond_wait
#define cond_broadcast pthread_cond_broadcast
#define cond_signal pthread_cond_signal
#endif

size_t rect_parallel_min = 65536;
static volatile int num_threads = 1;

static rect_mutex lock;
static rect_cond wake, finished;
static size_t workers = 0;   /* started and alive */
static int busy = 0;         /* a job owns the pool */
static unsigned long generation = 0;
static uint64_t jobs_run = 0; /* calls the pool has split (for tests) */

static struct {
    rect_task_fn task;
    void *ctx;
    size_t n, chunk, next, helpers, pending;
} job;

int rect_get_num_threads(void) { return num_threads; }

uint64_t rect_pool_jobs(void) { return jobs_run; }

int rect_set_num_threads(int n) {
    const int old = num_threads;
    num_threads = n < 1 ? 1 : (n > RECT_MAX_THREADS ? RECT_MAX_THREADS : n);
    return old;
}

size_t rect_threads_for(size_t work, size_t min_per_thread) {
    size_t t = (size_t)num_threads, most = min_per_thread ? work / min_per_thread : work;
    if (t > most) t = most;
    return t < 1 ? 1 : t;
}

/* Takes and runs pieces until none is left; called and returns with the lock held. */
static void take_pieces(void) {
    while (job.next < job.n) {
        const size_t begin = job.next, end = job.n - begin > job.chunk ? begin + job.chunk : job.n;
        rect_task_fn task = job.task;
        void *ctx = job.ctx;
        job.next = end;
        mutex_unlock(&lock);
        task(ctx, begin, end);
        mutex_lock(&lock);
        if (--job.pending == 0) cond_signal(&finished);
    }
}

/* A worker starts with seen = 0, so whenever it first gets the lock it looks at the job then
 * current (taking nothing if that job is done), and never sleeps through the job it was started
 * for. */
static void worker_loop(size_t index) {
    unsigned long seen = 0;
    mutex_lock(&lock);
    for (;;) {
        while (generation == seen) cond_wait(&wake, &lock);
        seen = generation;
        if (index < job.helpers) take_pieces();   /* the others stay asleep for this job */
    }
}

#if defined(_WIN32)
static DWORD WINAPI worker_main(LPVOID arg) {
    worker_loop((size_t)arg);
    return 0;
}
static int start_worker(size_t index) {
    HANDLE h = CreateThread(NULL, 0, worker_main, (LPVOID)index, 0, NULL);
    if (!h) return -1;
    CloseHandle(h);
    return 0;
}
static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
static BOOL CALLBACK init_once(PINIT_ONCE o, PVOID p, PVOID *c) {
    (void)o, (void)p, (void)c;
    InitializeCriticalSection(&lock);
    InitializeConditionVariable(&wake);
    InitializeConditionVariable(&finished);
    return TRUE;
}
static void init(void) { InitOnceExecuteOnce(&once, init_once, NULL, NULL); }
#else
static void *worker_main(void *arg) {
    worker_loop((size_t)arg);
    return NULL;
}
static int start_worker(size_t index) {
    pthread_t t;
    pthread_attr_t attr;
    int failed;
    sigset_t all, old;
    if (pthread_attr_init(&attr)) return -1;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    /* signals go to the interpreter's threads, never to a worker */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    failed = pthread_create(&t, &attr, worker_main, (void *)index) != 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    return failed ? -1 : 0;
}

/* fork(): the child has the parent's memory but only the forking thread, so it forgets the
 * workers (and any job in flight) and starts its own on first need. The lock is held across the
 * fork so that the child never inherits it locked by a thread it does not have. */
static void before_fork(void) { mutex_lock(&lock); }
static void after_fork_parent(void) { mutex_unlock(&lock); }
static void after_fork_child(void) {
    /* the lock is held by this thread (before_fork); the conditions may still count waiters that
     * the child does not have, so they start afresh */
    pthread_mutex_unlock(&lock);
    pthread_cond_init(&wake, NULL);
    pthread_cond_init(&finished, NULL);
    workers = 0;
    busy = 0;
    job.n = job.next = job.pending = job.helpers = 0;
}
static pthread_once_t once = PTHREAD_ONCE_INIT;
static void init_once(void) {
    pthread_mutex_init(&lock, NULL);
    pthread_cond_init(&wake, NULL);
    pthread_cond_init(&finished, NULL);
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}
static void init(void) { pthread_once(&once, init_once); }
#endif

void rect_parallel_for(size_t n, size_t chunk, size_t threads, rect_task_fn task, void *ctx) {
    size_t pieces;
    if (chunk == 0) chunk = 1;
    pieces = (n + chunk - 1) / chunk;
    if (threads > pieces) threads = pieces;
    if (threads <= 1) {
        task(ctx, 0, n);
        return;
    }
    init();
    mutex_lock(&lock);
    if (busy) { /* another thread's call has the pool: this one runs alone */
        mutex_unlock(&lock);
        task(ctx, 0, n);
        return;
    }
    while (workers < threads - 1 && start_worker(workers) == 0) workers++;
    busy = 1;
    jobs_run++;
    job.task = task, job.ctx = ctx, job.n = n, job.chunk = chunk, job.next = 0;
    job.pending = pieces;
    job.helpers = threads - 1 < workers ? threads - 1 : workers;
    generation++;
    if (job.helpers) cond_broadcast(&wake);
    take_pieces();
    while (job.pending) cond_wait(&finished, &lock);
    busy = 0;
    mutex_unlock(&lock);
}

/* Pieces of an elementwise call: about four per thread (so that a thread slowed by the machine's
 * other load leaves its share to the others), whole cache lines of 64 bytes. */
static size_t elementwise_chunk(size_t n, size_t threads, size_t esize) {
    const size_t line = 64 / esize;
    size_t c = (n + 4 * threads - 1) / (4 * threads);
    return (c + line - 1) / line * line;
}

typedef struct {
    rect_unary_fn unary;
    rect_grad_fn grad;
    rect_random_fn random;
    size_t esize, csize, block;
    const char *x, *g, *sigma;
    char *y, *noise;
    const rect_params *p;
    uint64_t key;
} elementwise;

static void unary_task(void *v, size_t begin, size_t end) {
    const elementwise *e = (const elementwise *)v;
    e->unary(end - begin, e->x + begin * e->esize, e->y + begin * e->esize, e->p);
}

void rect_par_unary(rect_unary_fn fn, size_t n, size_t esize, const void *x, void *y,
                    const rect_params *p) {
    const size_t t = rect_threads_for(n, rect_parallel_min);
    elementwise e;
    if (t <= 1) {
        fn(n, x, y, p);
        return;
    }
    memset(&e, 0, sizeof e);
    e.unary = fn, e.esize = esize, e.x = (const char *)x, e.y = (char *)y, e.p = p;
    rect_parallel_for(n, elementwise_chunk(n, t, esize), t, unary_task, &e);
}

static void grad_task(void *v, size_t begin, size_t end) {
    const elementwise *e = (const elementwise *)v;
    const size_t at = begin * e->esize;
    e->grad(end - begin, e->x + at, e->g ? e->g + at : NULL, e->y + at, e->p);
}

void rect_par_grad(rect_grad_fn fn, size_t n, size_t esize, const void *x, const void *g, void *y,
                   const rect_params *p) {
    const size_t t = rect_threads_for(n, rect_parallel_min);
    elementwise e;
    if (t <= 1) {
        fn(n, x, g, y, p);
        return;
    }
    memset(&e, 0, sizeof e);
    e.grad = fn, e.esize = esize, e.x = (const char *)x, e.g = (const char *)g, e.y = (char *)y;
    e.p = p;
    rect_parallel_for(n, elementwise_chunk(n, t, esize), t, grad_task, &e);
}

/* Each kernel call is told the global index of its first element (the generator's counter), so
 * the variates of element i never depend on the piece or block that holds it. */
static void random_task(void *v, size_t begin, size_t end) {
    const elementwise *e = (const elementwise *)v;
    size_t start, count;
    for (start = begin; start < end; start += count) {
        count = end - start < e->block ? end - start : e->block;
        e->random(count, e->x + start * e->esize, e->sigma ? e->sigma + start * e->csize : NULL,
                  e->y + start * e->esize, e->noise ? e->noise + start * e->esize : NULL, e->p,
                  e->key, start);
    }
}

void rect_par_random(rect_random_fn fn, size_t n, size_t block, size_t esize, size_t csize,
                     const void *x, const void *sigma, void *y, void *noise, const rect_params *p,
                     uint64_t key) {
    const size_t t = rect_threads_for(n, rect_parallel_min);
    elementwise e;
    memset(&e, 0, sizeof e);
    e.random = fn, e.block = block ? block : 1, e.esize = esize, e.csize = csize;
    e.x = (const char *)x, e.sigma = (const char *)sigma, e.y = (char *)y, e.noise = (char *)noise;
    e.p = p, e.key = key;
    rect_parallel_for(n, elementwise_chunk(n, t, esize), t, random_task, &e);
}

/* Rows of the (outer, n, inner) reductions: each row is computed by one thread, as it would be
 * alone. */
typedef struct {
    rect_reduce_fn fn;
    int op;
    size_t n, inner, esize;
    const char *x, *g;
    char *y;
    const rect_params *p;
} reduction;

static void reduce_task(void *v, size_t begin, size_t end) {
    const reduction *r = (const reduction *)v;
    const size_t row = r->n * r->inner * r->esize, kept = r->inner * r->esize;
    /* logsumexp writes one value per slice; logsumexp_grad reads one grad per slice */
    const size_t y_row = r->op == RECT_RED_logsumexp ? kept : row;
    const size_t g_row = r->op == RECT_RED_logsumexp_grad ? kept : row;
    r->fn(r->op, end - begin, r->n, r->inner, r->x + begin * row, r->g ? r->g + begin * g_row : NULL,
          r->y + begin * y_row, r->p);
}

void rect_par_reduce(rect_reduce_fn fn, int op, size_t outer, size_t n, size_t inner, size_t esize,
                     const void *x, const void *g, void *y, const rect_params *p) {
    const size_t per_row = n * inner > 0 ? n * inner : 1;
    const size_t t = rect_threads_for(outer, (rect_parallel_min + per_row - 1) / per_row);
    reduction r;
    if (t <= 1) {
        fn(op, outer, n, inner, x, g, y, p);
        return;
    }
    r.fn = fn, r.op = op, r.n = n, r.inner = inner, r.esize = esize;
    r.x = (const char *)x, r.g = (const char *)g, r.y = (char *)y, r.p = p;
    rect_parallel_for(outer, (outer + 4 * t - 1) / (4 * t), t, reduce_task, &r);
}

/* The epilogue: split along outer (whole rows of channels); a single row along its channels
 * (each piece with its part of the bias), or, for one channel, along its elements. */
typedef struct {
    int dtype, op, status;
    size_t channels, inner, esize, csize;
    const char *x, *bias;
    char *y;
    const rect_params *p;
} epilogue_job;

static const size_t storage_size[RECT_NDTYPES] = {2, 4, 8, 2};
static const size_t compute_size[RECT_NDTYPES] = {4, 4, 8, 4};

static void epilogue_rows(void *v, size_t begin, size_t end) {
    epilogue_job *e = (epilogue_job *)v;
    const size_t at = begin * e->channels * e->inner * e->esize;
    if (rect_bias_act(e->dtype, e->op, end - begin, e->channels, e->inner, e->x + at, e->bias,
                      e->y + at, e->p))
        e->status = -1;   /* (any piece failing fails the call; all write the same value) */
}

static void epilogue_channels(void *v, size_t begin, size_t end) {
    epilogue_job *e = (epilogue_job *)v;
    const size_t at = begin * e->inner * e->esize;
    if (rect_bias_act(e->dtype, e->op, 1, end - begin, e->inner, e->x + at,
                      e->bias + begin * e->csize, e->y + at, e->p))
        e->status = -1;
}

static void epilogue_elements(void *v, size_t begin, size_t end) {
    epilogue_job *e = (epilogue_job *)v;
    const size_t at = begin * e->esize;
    if (rect_bias_act(e->dtype, e->op, 1, 1, end - begin, e->x + at, e->bias, e->y + at, e->p))
        e->status = -1;
}

int rect_par_bias_act(int dtype, int op, size_t outer, size_t channels, size_t inner, const void *x,
                      const void *bias, void *y, const rect_params *p) {
    size_t t = rect_threads_for(outer * channels * inner, rect_parallel_min);
    epilogue_job e;
    e.dtype = dtype, e.op = op, e.status = 0, e.channels = channels, e.inner = inner;
    e.esize = storage_size[dtype], e.csize = compute_size[dtype];
    e.x = (const char *)x, e.bias = (const char *)bias, e.y = (char *)y, e.p = p;
    if (t <= 1) return rect_bias_act(dtype, op, outer, channels, inner, x, bias, y, p);
    if (outer >= 2)
        rect_parallel_for(outer, (outer + 4 * t - 1) / (4 * t), t, epilogue_rows, &e);
    else if (channels >= 2)
        rect_parallel_for(channels, (channels + 4 * t - 1) / (4 * t), t, epilogue_channels, &e);
    else
        rect_parallel_for(inner, elementwise_chunk(inner, t, e.esize), t, epilogue_elements, &e);
    return e.status;
}

/* The counters: split along outer; a single row (outer == 1: axis=None, or axis 0 of a matrix)
 * is split along its length into parts with counters of their own, summed at the end (integer
 * sums: exact in any order). */
typedef struct {
    int dtype, status;
    size_t len, inner, esize, part;
    const char *x;
    uint64_t *counts;
} counting;

static void count_rows(void *v, size_t begin, size_t end) {
    counting *c = (counting *)v;
    if (rect_count_positive(c->dtype, end - begin, c->len, c->inner,
                            c->x + begin * c->len * c->inner * c->esize, c->counts + begin * c->inner))
        c->status = -1;
}

static void count_parts(void *v, size_t begin, size_t end) {
    counting *c = (counting *)v;
    size_t k;
    for (k = begin; k < end; k++) {
        const size_t first = k * c->part, m = c->len - first < c->part ? c->len - first : c->part;
        if (rect_count_positive(c->dtype, 1, m, c->inner, c->x + first * c->inner * c->esize,
                                c->counts + k * c->inner))
            c->status = -1;
    }
}

int rect_par_count_positive(int dtype, size_t outer, size_t len, size_t inner, const void *x,
                            uint64_t *counts) {
    size_t t = rect_threads_for(outer * len * inner, rect_parallel_min);
    counting c;
    c.dtype = dtype, c.status = 0, c.len = len, c.inner = inner, c.esize = storage_size[dtype];
    c.x = (const char *)x, c.counts = counts;
    if (t > 1 && outer >= 2) {
        if (t > outer) t = outer;
        rect_parallel_for(outer, (outer + 4 * t - 1) / (4 * t), t, count_rows, &c);
        return c.status;
    }
    if (t > 1 && outer == 1 && len >= 2) {
        size_t parts, k, j;
        if (t > len) t = len;
        parts = 4 * t < len ? 4 * t : len;
        c.part = (len + parts - 1) / parts;
        parts = (len + c.part - 1) / c.part;
        c.counts = (uint64_t *)calloc(parts * inner, sizeof *counts);
        if (!c.counts) return -1;
        rect_parallel_for(parts, 1, t, count_parts, &c);
        if (c.status == 0) {
            memset(counts, 0, inner * sizeof *counts);
            for (k = 0; k < parts; k++)
                for (j = 0; j < inner; j++) counts[j] += c.counts[k * inner + j];
        }
        free(c.counts);
        return c.status;
    }
    return rect_count_positive(dtype, outer, len, inner, x, counts);
}
