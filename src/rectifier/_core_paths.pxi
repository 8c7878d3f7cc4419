# The CPU paths: which exist, which run, choosing them.
# Part of rectifier._core: included by _core.pyx, which holds the C declarations.

# ---------------------------------------------------------------------------------------------
# CPU paths
# ---------------------------------------------------------------------------------------------

def _path_table():
    """name -> capability bit of every path the C table (RECT_CPU_PATHS) declares, lowest
    precedence first."""
    cdef unsigned cap
    rows = []
    for bit in range(32):
        cap = (<unsigned>1) << bit
        if rect_path_name(cap) != NULL:
            rows.append((rect_path_precedence(cap), bit, rect_path_name(cap).decode()))
    return {name: 1 << bit for _, bit, name in sorted(rows)}


_PATH_BITS = _path_table()
PATHS = tuple(_PATH_BITS)   # every path of the C table, lowest precedence first
# the XCR0 bits (register state) each path needs: what tests/test_build_isolation.py allows it
PATH_XCR0 = {name: rect_path_xcr0(bit) for name, bit in _PATH_BITS.items()}


def _path_names(unsigned mask):
    return tuple(name for name, bit in _PATH_BITS.items() if mask & bit)


def capabilities():
    """The CPU paths of this build and process.

    Parameters
    ----------
    None

    Returns
    -------
    dict
        ``compiled`` (paths built into this binary), ``detected`` (those this CPU and OS can
        run), ``enabled`` (those currently allowed, see `set_capabilities` and the environment
        variable ``RECTIFIER_DISABLE``), each a tuple of str, and ``active`` (the one path whose
        kernels run), a str.

    Examples
    --------
    >>> import rectifier
    >>> caps = rectifier.capabilities()
    >>> sorted(caps)
    ['active', 'compiled', 'detected', 'enabled']
    >>> "scalar" in caps["enabled"]
    True
    """
    return {
        "compiled": _path_names(rect_capabilities_compiled()),
        "detected": _path_names(rect_capabilities_detected()),
        "enabled": _path_names(rect_capabilities_enabled()),
        "active": rect_path_name(rect_active_path()).decode(),
    }


def set_capabilities(paths):
    """Allow only the CPU paths named in `paths`.

    The best allowed path becomes active for every function and ufunc. ``scalar`` is always
    allowed. Meant for start-up and tests: do not call it while other threads run kernels.

    Parameters
    ----------
    paths : str or sequence of str
        The paths allowed, e.g. ``["scalar"]`` or ``("scalar", "avx2")``.

    Returns
    -------
    None

    Raises
    ------
    ValueError
        Changing nothing, for an unknown name or a path this CPU cannot run.

    Examples
    --------
    >>> import rectifier
    >>> enabled = rectifier.capabilities()["enabled"]
    >>> rectifier.set_capabilities("scalar")
    >>> rectifier.capabilities()["active"]
    'scalar'
    >>> rectifier.set_capabilities(enabled)
    """
    if isinstance(paths, str):
        paths = [paths]
    cdef unsigned mask = 1
    detected = rect_capabilities_detected()
    for name in paths:
        if name not in _PATH_BITS:
            raise ValueError(f"set_capabilities: unknown CPU path {name!r}; "
                             f"the paths are {', '.join(_PATH_BITS)}")
        if not detected & _PATH_BITS[name]:
            raise ValueError(f"set_capabilities: this CPU cannot run the {name!r} path "
                             f"(it can run: {', '.join(_path_names(detected))})")
        mask |= _PATH_BITS[name]
    rect_set_capabilities(mask)


def show_config():
    """Print the compiled, detected, enabled and active CPU paths.

    Parameters
    ----------
    None

    Returns
    -------
    None

    See Also
    --------
    capabilities : the same information as a dict.

    Examples
    --------
    >>> import rectifier
    >>> rectifier.show_config()  # doctest: +SKIP
    compiled: scalar, avx2, avx512
    detected: scalar, avx2, avx512
    enabled:  scalar, avx2, avx512
    active:   avx512
    """
    caps = capabilities()
    for key in ("compiled", "detected", "enabled"):
        print(f"{key + ':':10s}{', '.join(caps[key])}")
    print(f"{'active:':10s}{caps['active']}")
