"""Builds the one extension, rectifier._core: the Cython layer, the dispatch code and every CPU
path's kernels. Each kernel file selects its own instruction set (see src/kernels/avx512.c), so the
whole extension is compiled with the platform's baseline flags: no -march=native, no fast-math."""
import glob
import os
import platform
import tempfile
from concurrent.futures import ThreadPoolExecutor

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.errors import CompileError

# The files generated from the table of operations (src/rectifier/_operations.py) are committed;
# a checkout regenerates them here, so an edited table is never built against stale lists (an
# sdist has no tools/ and builds from the committed ones).
if os.path.exists("tools/generate_operations.py"):
    import runpy
    runpy.run_path("tools/generate_operations.py")["main"]([])

SOURCES = [
    "src/rectifier/_core.pyx",
    "src/dispatch.c",
    "src/ufunc_loops.c",
    "src/fused.c",
    "src/gated.c",
    "src/pool.c",
    # one translation unit per CPU path (include/rectifier/capabilities.h lists them)
    *sorted(glob.glob("src/kernels/*.c")),
]


class BuildExt(build_ext):
    def build_extensions(self):
        if self.compiler.compiler_type == "msvc":
            # /fp:precise (the default) never contracts a*b+c into an FMA.
            flags = ["/O2", "/fp:precise"]
        else:
            # No FMA contraction: every path must round the same way, so a fused multiply-add
            # appears only where a kernel asks for it explicitly. -Wall -Wextra hold for our C and
            # for the C Cython generates, with GCC and Clang (.ci/wheel.sh fails on any warning).
            # No -march, no -m<isa>, no -ffast-math: everything but the path files src/kernels/<path>.c
            # (each selects its own instructions by pragma) runs on any CPU of the platform, and
            # tests/test_build_isolation.py checks that in the built extension.
            flags = ["-O3", "-ffp-contract=off", "-fno-math-errno", "-Wall", "-Wextra"]
            # Clang assumes by default that nobody reads the floating-point status flags, so it
            # may, e.g., multiply the unmasked x where a kernel masked the lanes it discards, and
            # raise overflow or invalid there (the no-spurious-flags tests fail). maytrap forbids
            # transformations that raise flags the source does not; GCC's default -ftrapping-math
            # already does. GCC rejects the option, and Clang rejects it (with a warning) for
            # targets without strict floating point (AArch64 up to at least Clang 14).
            if self._accepts("-ffp-exception-behavior=maytrap"):
                flags.append("-ffp-exception-behavior=maytrap")
        for ext in self.extensions:
            ext.extra_compile_args = flags + ext.extra_compile_args
        if self.compiler.compiler_type == "unix":
            self._compile_sources_in_parallel()
        super().build_extensions()

    def _compile_sources_in_parallel(self):
        """The one extension's C files compile one per CPU at a time: setuptools builds the files
        of an extension one after another (its -j runs whole extensions in parallel, and there is
        one), so a build on two cores would take the time of every file in a row."""
        compiler = self.compiler

        def compile_all(sources, output_dir=None, macros=None, include_dirs=None, debug=0,
                        extra_preargs=None, extra_postargs=None, depends=None):
            macros, objects, extra_postargs, pp_opts, build = compiler._setup_compile(
                output_dir, macros, include_dirs, sources, depends, extra_postargs)
            cc_args = compiler._get_cc_args(pp_opts, debug, extra_preargs)

            def one(obj):
                src, ext = build[obj]
                compiler._compile(obj, src, ext, cc_args, extra_postargs, pp_opts)

            with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
                list(pool.map(one, [obj for obj in objects if obj in build]))
            return objects

        compiler.compile = compile_all

    def _accepts(self, flag):
        """Whether the C compiler takes `flag` without an error or a warning: a probe compile,
        whose diagnostics (the answer no) are kept out of the build log."""
        with tempfile.TemporaryDirectory() as tmp:
            probe = os.path.join(tmp, "probe.c")
            with open(probe, "w") as f:
                f.write("int rect_probe(void) { return 0; }\n")
            stderr, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 2)
            try:
                self.compiler.compile([probe], output_dir=tmp, extra_postargs=[flag, "-Werror"])
                accepted = True
            except CompileError:
                accepted = False
            finally:
                os.dup2(stderr, 2)
                os.close(stderr)
                os.close(null)
        print(f"the C compiler {'accepts' if accepted else 'does not accept'} {flag}")
        return accepted


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
