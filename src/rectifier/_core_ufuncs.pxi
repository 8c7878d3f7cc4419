# Making the NumPy ufuncs of the kernels.
# Part of rectifier._core: included by _core.pyx, which holds the C declarations.

# ---------------------------------------------------------------------------------------------
# The ufuncs: one per kernel, all served by the same strided loop (src/ufunc_loops.c)
# ---------------------------------------------------------------------------------------------

UFUNCS = {}
cdef list _ufunc_keepalive = []   # the name and doc bytes the ufunc objects point into
cdef dict _OPERAND_NAMES = {}      # ufunc name -> the names of its inputs
cdef int[3] _DTYPE_INDEX = [RECT_F16, RECT_F32, RECT_F64]
cdef int[3] _STORAGE = [NPY_HALF, cnp.NPY_FLOAT, cnp.NPY_DOUBLE]
cdef int[3] _COMPUTE = [cnp.NPY_FLOAT, cnp.NPY_FLOAT, cnp.NPY_DOUBLE]
cdef list _UFUNC_ROWS = []   # (ufunc, kind, op, nparams, operand letters): for later loops


cdef rect_loop_desc *_loop_desc(int kind, int op, int dtype, int nparams) except NULL:
    cdef rect_loop_desc *desc = <rect_loop_desc *>malloc(sizeof(rect_loop_desc))
    if desc == NULL:
        raise MemoryError()
    desc.kind, desc.op, desc.dtype, desc.nparams = kind, op, dtype, nparams
    return desc


cdef _register_bfloat16_loops(int typenum):
    """Adds to every ufunc its bfloat16 loop (bfloat16 data, float32 parameters): a user dtype's
    number is only known once its module has registered it with NumPy."""
    cdef int *types
    cdef int j
    for uf, kind, op, nparams, letters in _UFUNC_ROWS:
        types = <int *>malloc(len(letters) * sizeof(int))
        if types == NULL:
            raise MemoryError()
        for j in range(len(letters)):
            types[j] = typenum if letters[j] == "x" else cnp.NPY_FLOAT
        cnp.PyUFunc_RegisterLoopForType(<cnp.ufunc>uf, typenum,
                                        <cnp.PyUFuncGenericFunction>rect_ufunc_loop, types,
                                        _loop_desc(kind, op, RECT_BF16, nparams))


cdef _make_ufunc(str name, int kind, int op, int nparams, str roles, str doc):
    """roles: 'inputs|outputs', one letter per operand: 'x' stored like x, 'p' in the compute type
    (float32 for float16 data)."""
    inputs, outputs = roles.split("|")
    letters = inputs + outputs
    cdef int nin = len(inputs), nargs = len(letters)
    cdef cnp.PyUFuncGenericFunction *funcs = <cnp.PyUFuncGenericFunction *>malloc(3 * sizeof(cnp.PyUFuncGenericFunction))
    cdef void **data = <void **>malloc(3 * sizeof(void *))
    cdef char *types = <char *>malloc(3 * nargs)
    cdef int i, j
    if funcs == NULL or data == NULL or types == NULL:
        raise MemoryError()
    for i in range(3):
        funcs[i] = <cnp.PyUFuncGenericFunction>rect_ufunc_loop
        data[i] = _loop_desc(kind, op, _DTYPE_INDEX[i], nparams)
        for j in range(nargs):
            types[i * nargs + j] = <char>(_STORAGE[i] if letters[j] == "x" else _COMPUTE[i])
    name_b, doc_b = name.encode(), doc.encode()
    _ufunc_keepalive.extend((name_b, doc_b))
    uf = cnp.PyUFunc_FromFuncAndData(funcs, data, types, 3, nin, nargs - nin, cnp.PyUFunc_None,
                                     name_b, doc_b, 0)
    UFUNCS[name] = uf
    _UFUNC_ROWS.append((uf, kind, op, nparams, letters))
    if _BF16 is not None:
        _register_bfloat16_loops(_bf16_num)
    # the operand names, for error messages: each doc starts with the call, "name(x, grad, ...)"
    _OPERAND_NAMES[name] = tuple(a.strip() for a in doc[doc.index("(") + 1:doc.index(")")].split(","))
    return uf
