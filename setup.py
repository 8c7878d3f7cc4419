"""Builds the one extension, rectifier._core: the Cython layer, the dispatch code and every CPU
path's kernels. Each kernel file selects its own instruction set (see src/kernels/avx2.c), so the
whole extension is compiled with the platform's baseline flags: no -march=native, no fast-math."""
import platform

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

SOURCES = [
    "src/rectifier/_core.pyx",
    "src/dispatch.c",
    "src/ufunc_loops.c",
    "src/kernels/scalar.c",
    "src/kernels/avx2.c",
    "src/kernels/neon.c",
]


class BuildExt(build_ext):
    def build_extensions(self):
        if self.compiler.compiler_type == "msvc":
            # /fp:precise (the default) never contracts a*b+c into an FMA.
            flags = ["/O2", "/fp:precise"]
        else:
            # No FMA contraction: every path must round the same way, so a fused multiply-add
            # appears only where a kernel asks for it explicitly.
            flags = ["-O3", "-ffp-contract=off", "-fno-math-errno", "-Wall", "-Wno-unused-function"]
        for ext in self.extensions:
            ext.extra_compile_args = flags + ext.extra_compile_args
        super().build_extensions()


extension = Extension(
    "rectifier._core",
    sources=SOURCES,
    include_dirs=["include", "src", "src/rectifier", numpy.get_include()],
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
)

setup(
    ext_modules=cythonize([extension], compiler_directives={"language_level": "3"}),
    cmdclass={"build_ext": BuildExt},
)
