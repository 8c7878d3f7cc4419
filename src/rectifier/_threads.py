"""The intra-op thread pool's controls: the thread count (`set_num_threads`, `get_num_threads`, the
`num_threads` context manager, the environment variable RECTIFIER_NUM_THREADS) and a threadpoolctl
controller, so that ``threadpoolctl.threadpool_limits(1)`` limits rectifier as it limits BLAS and
OpenMP.

The pool itself is C (src/pool.c): native threads started at the first large call, splitting it at
places where the result cannot depend on the split, so every thread count gives the same bits.
"""
import contextlib
import os
import threading
import warnings

from . import _core

MAX_THREADS = 1024
ENVIRONMENT_VARIABLE = "RECTIFIER_NUM_THREADS"

# Elements per thread below which a call stays on one thread (a call of n elements uses at most
# n / PARALLEL_MIN_ELEMENTS threads). Set for the cheapest, memory-bound kernels (relu), which
# bench/bench_threads.py found slower split at 256K elements on 2 threads (55.6 us against 32.6 on
# an idle machine) and no slower from 512K on; see docs/threading.md.
PARALLEL_MIN_ELEMENTS = 262144


def available_cpus():
    """The CPUs this process may run on: its affinity mask where the OS has one (taskset, cgroup
    cpusets, a container's --cpuset-cpus), else all of the machine's."""
    counter = getattr(os, "process_cpu_count", None)   # Python 3.13+
    if counter is not None:
        return max(1, counter() or 1)
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def _from_environment():
    """The thread count: RECTIFIER_NUM_THREADS, else OMP_NUM_THREADS (which dask's worker processes,
    joblib's loky workers and many job schedulers set to share the cores out between processes),
    else every available CPU. A RECTIFIER_NUM_THREADS that is not a positive integer, or exceeds
    the available CPUs, gets a RuntimeWarning saying what is used instead. (OMP_NUM_THREADS
    belongs to other libraries too: a value they would reject is ignored here, silently.)"""
    cpus = available_cpus()
    value = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if not value:
        try:
            omp = int(os.environ.get("OMP_NUM_THREADS", "").split(",")[0])
        except ValueError:
            return cpus
        return min(omp, cpus) if omp >= 1 else cpus
    try:
        n = int(value)
    except ValueError:
        n = None
    if n is None or n < 1:
        warnings.warn(f"{ENVIRONMENT_VARIABLE}={value!r} is not a positive integer; using "
                      f"{cpus} threads (the CPUs available to this process)", RuntimeWarning,
                      stacklevel=3)
        return cpus
    if n > cpus:
        warnings.warn(f"{ENVIRONMENT_VARIABLE}={value!r} exceeds the {cpus} CPUs available to "
                      f"this process; using {cpus} threads", RuntimeWarning, stacklevel=3)
        return cpus
    return n


def _checked(fname, n):
    if isinstance(n, bool) or not hasattr(n, "__index__"):
        raise TypeError(f"{fname}: n must be an int, got {n!r}")
    n = n.__index__()
    if not 1 <= n <= MAX_THREADS:
        raise ValueError(f"{fname}: n must be in [1, {MAX_THREADS}], got {n}")
    return n


def get_num_threads():
    """The most threads one large call may use (the calling thread included).

    Parameters
    ----------
    None

    Returns
    -------
    int
        The current count, set by `set_num_threads` or `num_threads`.

    Examples
    --------
    >>> import rectifier
    >>> rectifier.get_num_threads() >= 1
    True
    """
    return _core._get_num_threads()


def set_num_threads(n):
    """Let each large call use up to `n` threads; returns the previous count.

    Process-wide: it applies to calls from every Python thread. The default:
    RECTIFIER_NUM_THREADS, else OMP_NUM_THREADS, else the CPUs available to the process.
    Any count gives bit-identical results.

    Parameters
    ----------
    n : int
        The thread count, 1 to 1024 (the calling thread is one of them).

    Returns
    -------
    int
        The previous count.

    Raises
    ------
    ValueError
        If `n` is outside [1, 1024].

    Examples
    --------
    >>> import rectifier
    >>> old = rectifier.set_num_threads(1)
    >>> rectifier.get_num_threads()
    1
    >>> rectifier.set_num_threads(old)
    1
    """
    return _core._set_num_threads(_checked("set_num_threads", n))


_context_lock = threading.Lock()


@contextlib.contextmanager
def num_threads(n):
    """A context manager that runs its block with the thread count set to `n`.

    ``with rectifier.num_threads(1): ...`` sets the count to `n`, and puts the previous count
    back after the block (process-wide, like `set_num_threads`).

    Parameters
    ----------
    n : int
        The thread count for the block, 1 to 1024.

    Returns
    -------
    context manager
        Entering it yields `n`.

    Raises
    ------
    ValueError
        If `n` is outside [1, 1024].

    Examples
    --------
    >>> import rectifier
    >>> with rectifier.num_threads(1) as n:
    ...     rectifier.get_num_threads()
    1
    """
    n = _checked("num_threads", n)
    with _context_lock:
        old = _core._set_num_threads(n)
    try:
        yield n
    finally:
        with _context_lock:
            _core._set_num_threads(old)


def _register_threadpoolctl():
    """A threadpoolctl controller for this extension, when threadpoolctl (3.5 or later) is
    installed; it is never imported otherwise. threadpoolctl finds the loaded extension by its
    file name and checks for the exported rect_get_num_threads."""
    import sys
    if "threadpoolctl" not in sys.modules:
        try:
            import importlib.util
            if importlib.util.find_spec("threadpoolctl") is None:
                return False
        except (ImportError, ValueError):
            return False
    try:
        import threadpoolctl
        base = threadpoolctl.LibController
        register = threadpoolctl.register
    except (ImportError, AttributeError):
        return False

    class RectifierController(base):
        user_api = "rectifier"
        internal_api = "rectifier"
        filename_prefixes = ("_core",)
        check_symbols = ("rect_get_num_threads", "rect_set_num_threads")

        def get_num_threads(self):
            return self.dynlib.rect_get_num_threads()

        def set_num_threads(self, num_threads):
            return self.dynlib.rect_set_num_threads(int(num_threads))

        def get_version(self):
            from . import __version__
            return __version__

    register(RectifierController)
    return True
