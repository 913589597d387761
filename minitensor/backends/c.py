"""The C linker: each fused elementwise node compiled to a loop in C, on the CPU.

``Mode(linker='c')`` (Theano's spelling; ``'cvm'``, the default, is the same when a C++
compiler is found) runs a function's fused ``Composite`` nodes as compiled loops instead
of one NumPy call per inner op. Everything else runs as with ``linker='py'``: NumPy
arrays, the same generated Python program (``compile/codegen.py``), one line per node.

**The loops.** A fused node's source is the statements of its inner graph at one element,
written by the emitter the CUDA kernels use (``kernels.fused_statements``: each op's
``c_expr`` is written once), inside two loops (``loop_source``)::

    extern "C" void mt_contiguous(npy_intp n, char** data) {
      const double* x0_ = (const double*) data[0];
      const double x1 = *(const double*) data[1];  // one element by its type: read once
      double* y0_ = (double*) data[2];
      for (npy_intp i = 0; i < n; i++) {
        const double x0 = x0_[i];
        const double t0 = exp(x0);
        const double t1 = (t0 * x1);
        y0_[i] = t1;
      }
    }

and ``mt_strided``, the same body over operands at any strides, which NumPy's iterator
feeds when the arrays are not all C-contiguous of one shape (broadcasting, views). The
compiler vectorises the contiguous loop: math functions are glibc's vector versions
(libmvec) where it has them, within 4 ulp as NumPy's own vector loops (Intel's SVML on
AVX-512) are.
There is no ``-ffast-math`` and no fused multiply-add: NaN, infinities, signed zeros and
rounding are NumPy's. A ``RowPass`` node (``rewriting/rowpass.py``) is one more loop,
over the rows of a matrix (``row_pass_source``).

**Sums.** A ``Sum`` over leading or trailing axes is a library of two loops too
(``reduction_source``): the sum of each row, added in pairs as NumPy adds, and the sum of
each column. Where its input is made by an elementwise node that nothing else reads, the
loops compute that node's statements at each element they add, so its result is never
written to memory (a GPU's reduction kernel does the same): ``sum(t * log(p), axis=1)``
is one pass over ``t`` and ``p``.

**Calling them.** A node's library holds only its loops and includes no Python header,
so it compiles in about 0.15 s. ``c_runtime.c``, compiled once, is a Python extension
whose ``bind`` makes a node's callable: a call checks the arguments' dtypes, picks the
loop, allocates the outputs (or writes into the dead input the in-place plan names) and
runs it, all in C. Constants are arguments bound once, not part of the text: fused nodes
that differ only in their constants' values share one library.

**Compiling and caching.** ``config.cxx`` (g++ by default) compiles each source once into
``config.compiledir``, under a name hashed from the source, the compiler, its flags and the
CPU. An entry keeps the source and the library's SHA-256 beside the library: one whose
library does not match (a truncated write, a corrupt file) or whose source differs is
rebuilt; one that no process has loaded for ``MAX_AGE_DAYS`` is removed (``_tidy``). Where
no compiler is found (or Python's C headers are missing), functions run the NumPy program,
and a notice says so once.
"""

import contextlib
import ctypes
import ctypes.util
import hashlib
import importlib.machinery
import importlib.util
import os
import platform
import shutil
import subprocess
import sysconfig
import tempfile
import time
import warnings

import numpy as np

from minitensor.backends import NumpyBackend
from minitensor.backends.kernels import fused_statements, supports
from minitensor.configuration import config
from minitensor.tensor.c_helpers import C_TYPES, PREAMBLE

FLAGS = ("-O3", "-march=native", "-fno-math-errno", "-ffp-contract=off", "-fwrapv", "-fopenmp-simd", "-fPIC",
         "-shared", "-pipe")
"""g++'s flags. ``-fno-math-errno`` changes no value (errno is never read); it lets the
compiler use the CPU's square root and vectorise math calls. ``-ffp-contract=off``: no
``a * b + c`` becomes one fused multiply-add, which rounds once where NumPy rounds twice.
``-fwrapv``: a signed integer that overflows wraps, as in NumPy (``abs`` of the smallest
int32 is itself), where C leaves it undefined and the compiler would assume it never happens. ``-fopenmp-simd`` honours
``#pragma omp simd`` (a row pass's dot product sums in vector lanes, as BLAS does) and
starts no threads."""

# The math functions C expressions call, for the host's C++ without <cmath> (which takes
# longer to compile than a kernel). Those that are one instruction are the compiler's
# built-ins; the others are libm's, overloaded for float. ``MT_VECTOR`` marks those glibc
# has vector versions of (libmvec), so loops calling them vectorise.
_INSTRUCTIONS = ("sqrt", "floor", "ceil", "trunc", "rint", "nearbyint", "round", "fabs")
_INSTRUCTIONS_2 = ("copysign", "fmax", "fmin")
_LIBM = ("exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "cbrt", "sin", "cos", "tan", "asin", "acos",
         "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "erf", "erfc", "tgamma", "lgamma")
_LIBM_2 = ("pow", "fmod", "atan2", "hypot", "nextafter")
# glibc's libmvec on x86-64: these five since 2.22, the rest since 2.35.
_VECTOR_OLD = {"exp", "log", "sin", "cos", "pow"}
_VECTOR_NEW = {"exp2", "expm1", "log2", "log10", "log1p", "cbrt", "tan", "asin", "acos", "atan", "sinh", "cosh",
               "tanh", "asinh", "acosh", "atanh", "erf", "erfc", "atan2", "hypot"}


def host_prelude(vector=()):
    """C++ declarations letting a kernel's source compile on the host: the math functions
    (those in ``vector`` marked as having glibc vector versions), ``float16`` as the
    compiler's ``_Float16``, and CUDA's ``__device__`` defined away. The CuPy stand-in
    of the tests compiles kernels with it too.

    The C library's functions are declared at global scope, as <math.h> declares them
    (Python.h includes it); the overloads kernels call live in ``namespace mt``, which
    the kernel's code is in, so they are found before the standard library's."""
    lines = ["// C's math for kernels on the host (minitensor/backends/c.py, host_prelude)",
             '#define MT_VECTOR __attribute__((simd("notinbranch")))', 'extern "C" {']
    for name in _LIBM + _LIBM_2:
        arguments = "double" if name in _LIBM else "double, double"
        farguments = "float" if name in _LIBM else "float, float"
        mark = " MT_VECTOR" if name in vector else ""
        lines.append(f"double {name}({arguments}) noexcept{mark}; float {name}f({farguments}) noexcept{mark};")
    lines += ["}", "namespace mt {"]
    # One float and one double overload of each, calling the C library or the compiler's built-in.
    overloads = ([(name, "x", f"::{name}") for name in _LIBM] + [(name, "xy", f"::{name}") for name in _LIBM_2]
                 + [(name, "x", f"__builtin_{name}") for name in _INSTRUCTIONS]
                 + [(name, "xy", f"__builtin_{name}") for name in _INSTRUCTIONS_2])
    for name, variables, target in overloads:
        arguments = ", ".join(variables)
        lines.append(" ".join(f"static inline {c} {name}({', '.join(f'{c} {v}' for v in variables)}) "
                              f"{{ return {target}{suffix}({arguments}); }}" for c, suffix in (("float", "f"),
                                                                                               ("double", ""))))
    return "\n".join(lines) + _HOST_REST


_HOST_REST = r"""
static inline int abs(int x) { return x < 0 ? -x : x; }
static inline long abs(long x) { return x < 0 ? -x : x; }
static inline long long abs(long long x) { return x < 0 ? -x : x; }
static inline float abs(float x) { return __builtin_fabsf(x); }
static inline double abs(double x) { return __builtin_fabs(x); }
template <typename T> static inline bool isnan(T x) { return __builtin_isnan(x); }
template <typename T> static inline bool isinf(T x) { return __builtin_isinf(x); }
template <typename T> static inline bool isfinite(T x) { return __builtin_isfinite(x); }
template <typename T> static inline T max(T a, T b) { return a > b ? a : b; }
template <typename T> static inline T min(T a, T b) { return a < b ? a : b; }
typedef _Float16 float16;
static inline float __int_as_float(int i) { float f; __builtin_memcpy(&f, &i, sizeof f); return f; }
}  // namespace mt (the kernel's code reopens it)
#ifndef NAN
#define NAN __builtin_nan("")
#endif
#ifndef INFINITY
#define INFINITY __builtin_inf()
#endif
#define __device__
#define __forceinline__ inline
"""

_RUNTIME = os.path.join(os.path.dirname(__file__), "c_runtime.c")


def loop_source(composite):
    """The two loops of a fused node's library (``c_runtime.c`` says what they take; the
    library's source puts the host's math and the preamble before them). Returns (their
    text, which ``print_program`` shows; whether each input and constant has one element
    by its type; the constants' values)."""
    body = fused_statements(composite)
    inputs, outputs = body.operands, [(o.dtype, f"y{k}") for k, o in enumerate(composite.outputs)]
    # One element by its type (or a constant of one element): read once, by value.
    scalar = [all(p.broadcastable) for p in composite.inputs] + [np.size(c) == 1 for c in body.constants]
    c = {dtype: C_TYPES[dtype] for dtype, _ in inputs + outputs}
    # No comment naming the composite: its text has the constants' values, which are arguments.
    lines = ['extern "C" void mt_contiguous(npy_intp n, char** data) {']
    for k, ((dtype, name), one) in enumerate(zip(inputs, scalar)):
        if one:
            lines.append(f"  const {c[dtype]} {name} = *(const {c[dtype]}*) data[{k}];")
        else:
            lines.append(f"  const {c[dtype]}* {name}_ = (const {c[dtype]}*) data[{k}];")
    for k, (dtype, name) in enumerate(outputs):
        lines.append(f"  {c[dtype]}* {name}_ = ({c[dtype]}*) data[{len(inputs) + k}];")
    lines.append("  for (npy_intp i = 0; i < n; i++) {")
    lines += [f"    const {c[dtype]} {name} = {name}_[i];" for (dtype, name), one in zip(inputs, scalar) if not one]
    lines += ["    " + line for line in body.lines]
    lines += [f"    {name}_[i] = {result};" for (_, name), result in zip(outputs, body.results)]
    lines += ["  }", "}", "",
              'extern "C" void mt_strided(npy_intp n, char** data, const npy_intp* strides) {',
              "  for (npy_intp i = 0; i < n; i++) {"]
    lines += [f"    const {c[dtype]} {name} = *(const {c[dtype]}*) (data[{k}] + i * strides[{k}]);"
              for k, (dtype, name) in enumerate(inputs)]
    lines += ["    " + line for line in body.lines]
    lines += [f"    *({c[dtype]}*) (data[{len(inputs) + k}] + i * strides[{len(inputs) + k}]) = {result};"
              for k, ((dtype, _), result) in enumerate(zip(outputs, body.results))]
    lines += ["  }", "}"]
    loops = "\n".join(lines) + "\n"
    return loops, scalar, body.constants


ROW_BLOCK = 64
"""Rows a row pass takes at a time: their dot products one row after another (one stream
through memory), the fused node's statements over the block (a loop the compiler
vectorises, where one row at a time ran them as scalar code: about 5 ms at 100,000 rows),
then ``gout += g_i X_i`` over the block's rows, which are still in the cache (64 rows of
784 float32 are 200 KB)."""


def row_pass_source(row_pass):
    """The C++ loop of a ``RowPass`` (``rewriting/rowpass.py``): for each block of
    ``ROW_BLOCK`` rows of X, ``z_i = X_i . w``, the fused node's statements at each i, and
    ``gout += g_i X_i``, reading each row from memory once (the second read is from the
    cache). ``data`` holds the fused node's other operands (its inputs but z, then its
    constants), then its outputs. Returns (the source, whether each of those operands has
    one element by its type, the constants' values)."""
    composite = row_pass.composite
    body = fused_statements(composite)
    z_name = f"x{row_pass.z_position}"
    operands = [(dtype, name) for dtype, name in body.operands if name != z_name]
    flags = [all(p.broadcastable) for k, p in enumerate(composite.inputs) if k != row_pass.z_position]
    scalar = flags + [np.size(c) == 1 for c in body.constants]
    t = C_TYPES[composite.inputs[row_pass.z_position].dtype]
    outputs = [(o.dtype, f"y{k}") for k, o in enumerate(composite.outputs)]
    lines = [f'extern "C" void mt_rows(npy_intp n, npy_intp d, const {t}* X, npy_intp row_stride, const {t}* w,',
             f"                        char** data, {t}* gout) {{"]
    for k, ((dtype, name), one) in enumerate(zip(operands, scalar)):
        c = C_TYPES[dtype]
        lines.append(f"  const {c} {name} = *(const {c}*) data[{k}];" if one else
                     f"  const {c}* {name}_ = (const {c}*) data[{k}];")
    for k, (dtype, name) in enumerate(outputs):
        lines.append(f"  {C_TYPES[dtype]}* {name}_ = ({C_TYPES[dtype]}*) data[{len(operands) + k}];")
    lines += [f"  {t} z_block[{ROW_BLOCK}], g_block[{ROW_BLOCK}];",
              "  for (npy_intp j = 0; j < d; j++) gout[j] = 0;",
              f"  for (npy_intp start = 0; start < n; start += {ROW_BLOCK}) {{",
              f"    const npy_intp rows = n - start < {ROW_BLOCK} ? n - start : {ROW_BLOCK};",
              "    for (npy_intp k = 0; k < rows; k++) {  // z_i = X_i . w, one row after another",
              f"      const {t}* row = X + (start + k) * row_stride;",
              f"      {t} dot = 0;",
              "      #pragma omp simd reduction(+:dot)",
              "      for (npy_intp j = 0; j < d; j++) dot += row[j] * w[j];",
              "      z_block[k] = dot;",
              "    }",
              "    for (npy_intp k = 0; k < rows; k++) {  // the fused node at each row of the block",
              "      const npy_intp i = start + k;",
              f"      const {t} {z_name} = z_block[k];"]
    lines += [f"      const {C_TYPES[dtype]} {name} = {name}_[i];" for (dtype, name), one in zip(operands, scalar)
              if not one]
    lines += ["      " + line for line in body.lines]
    lines += [f"      {name}_[i] = {result};" for (_, name), result in zip(outputs, body.results)]
    lines += [f"      g_block[k] = {body.results[row_pass.g_position]};",
              "    }",
              "    for (npy_intp k = 0; k < rows; k++) {  // gout += g_i X_i, the rows still in the cache",
              f"      const {t}* row = X + (start + k) * row_stride;",
              f"      const {t} g = g_block[k];",
              "      for (npy_intp j = 0; j < d; j++) gout[j] += g * row[j];",
              "    }",
              "  }", "}"]
    return "\n".join(lines) + "\n", scalar, body.constants


_PAIRWISE = r"""
// The sum of value(start), ..., value(start + n - 1) in type A, added in pairs as NumPy adds
// a contiguous run (its pairwise_sum): runs of up to 128 in eight interleaved sums, which
// the compiler makes vector lanes, longer runs split in halves. The error grows as log2(n).
template <typename A, typename F> static A mt_pairwise(const F& value, npy_intp start, npy_intp n) {
  if (n < 8) {
    A sum = 0;
    for (npy_intp i = 0; i < n; i++) sum += (A) value(start + i);
    return sum;
  }
  if (n <= 128) {
    A r[8];
    for (int k = 0; k < 8; k++) r[k] = (A) value(start + k);
    npy_intp i = 8;
    for (; i + 8 <= n; i += 8)
      for (int k = 0; k < 8; k++) r[k] += (A) value(start + i + k);
    A sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; i++) sum += (A) value(start + i);
    return sum;
  }
  npy_intp half = n / 2;
  half -= half % 8;
  return mt_pairwise<A>(value, start, half) + mt_pairwise<A>(value, start + half, n - half);
}
"""


def reduction_source(reduce_node, composite):
    """The two loops of a library summing ``composite``'s only output over some of its axes
    (a plain ``Sum``'s composite is the identity), or None for other reductions.

    The runtime views the summed array as a matrix of ``outer`` rows of ``inner``
    contiguous elements: ``mt_sum_rows`` sums each row, its elements in pairs as NumPy does
    (the axes summed trail: ``sum(x, axis=-1)``, or are all of them); ``mt_sum_columns`` sums
    each column, row after row as NumPy does, into ``acc`` (the axes summed lead:
    ``sum(x, axis=0)``). The fused node's statements give an element's value where the
    sum reads it, so that value never goes to memory. Both add in the ``Sum``'s
    accumulator dtype (float64 for float32 results; NumPy's pairwise float32 sums are a
    shortcut the C linker does not need). Returns (the loops' text, whether each operand
    has one element by its type, the constants' values)."""
    from minitensor.tensor.reduction import Sum  # the ops import this package
    op, out = reduce_node.op, reduce_node.outputs[0]
    if type(op) is not Sum or len(composite.outputs) != 1 or not supports(composite) or out.dtype not in C_TYPES:
        return None
    body = fused_statements(composite)
    scalar = [all(p.broadcastable) for p in composite.inputs] + [np.size(c) == 1 for c in body.constants]
    acc, result = C_TYPES[op.accumulator_dtype(out.dtype) or out.dtype], C_TYPES[out.dtype]
    value = C_TYPES[composite.outputs[0].dtype]
    declarations = []
    for k, ((dtype, name), one) in enumerate(zip(body.operands, scalar)):
        c = C_TYPES[dtype]
        declarations.append(f"  const {c} {name} = *(const {c}*) data[{k}];" if one else
                            f"  const {c}* __restrict {name}_ = (const {c}*) data[{k}];")
    lambda_ = [f"  const auto value = [&](npy_intp i) -> {value} {{"]
    lambda_ += [f"    const {C_TYPES[dtype]} {name} = {name}_[i];" for (dtype, name), one in
                zip(body.operands, scalar) if not one]
    lambda_ += ["    " + line for line in body.lines] + [f"    return {body.results[0]};", "  };"]
    lines = ['extern "C" void mt_sum_rows(npy_intp outer, npy_intp inner, char** data, char* out_) {',
             *declarations, *lambda_, f"  {result}* out = ({result}*) out_;",
             "  for (npy_intp r = 0; r < outer; r++)",
             f"    out[r] = ({result}) mt_pairwise<{acc}>(value, r * inner, inner);", "}", "",
             'extern "C" void mt_sum_columns(npy_intp outer, npy_intp inner, char** data, char* out_, char* acc_) {',
             *declarations, *lambda_, f"  {result}* out = ({result}*) out_;",
             f"  {acc}* __restrict acc = ({acc}*) acc_;",
             "  for (npy_intp j = 0; j < inner; j++) acc[j] = 0;",
             "  for (npy_intp r = 0; r < outer; r++)",
             "    for (npy_intp j = 0; j < inner; j++) acc[j] += value(r * inner + j);",
             f"  for (npy_intp j = 0; j < inner; j++) out[j] = ({result}) acc[j];", "}"]
    return _PAIRWISE.lstrip() + "\n" + "\n".join(lines) + "\n", scalar, body.constants


def reduction_loops(reduce_node, fused_node):
    """(``reduction_source``'s answer, the inputs its loops take) for ``reduce_node`` of
    the output of ``fused_node`` (a fused node, one elementwise op, or None: the reduction's
    own input), or None where the C linker does not compile it."""
    from minitensor.rewriting.fusion import Composite  # rewriting imports the ops, which import backends
    x = reduce_node.inputs[0]
    axes, ndim = tuple(getattr(reduce_node.op, "axes", ())), x.ndim
    if not axes or (axes != tuple(range(len(axes))) and axes != tuple(range(ndim - len(axes), ndim))):
        return None  # the summed axes must lead or trail, for the runtime's matrix
    if fused_node is None:  # the identity's statements, over the reduction's input
        placeholder = x.type()
        composite, inputs = Composite((placeholder,), (placeholder,)), [x]
    elif isinstance(fused_node.op, Composite):
        composite, inputs = fused_node.op, fused_node.inputs
    else:  # one elementwise op, as a fused node of one member
        placeholders = tuple(v.type() for v in fused_node.inputs)
        composite = Composite(placeholders, tuple(fused_node.op.make_node(*placeholders).outputs))
        inputs = fused_node.inputs
    try:
        source = reduction_source(reduce_node, composite)
    except NotImplementedError:  # an op without a C expression for these dtypes
        return None
    if source is None or len(source[1]) + 1 > MAX_OPERANDS:
        return None
    return source, inputs


def library_source(loops, vector=()):
    """The whole C++ source of a node's library around its ``loops``: no Python header."""
    return "\n".join(["// minitensor: a fused node compiled by the C linker (minitensor/backends/c.py).",
                      "typedef __INTPTR_TYPE__ npy_intp;  // as NumPy defines it",
                      host_prelude(vector), "namespace mt {", PREAMBLE, loops,
                      "}  // namespace mt (the loops have C names: mt_contiguous, mt_sum_rows, ...)", ""])


MAX_OPERANDS = 64  # NPY_MAXARGS: the most operands NumPy's iterator takes


class CompileError(RuntimeError):
    """The C++ compiler rejected a fused node's source (a bug in an op's ``c_expr``)."""


class Compiler:
    """``config.cxx`` with its flags, the runtime module, and the cache of what it built."""

    def __init__(self, command):
        self.command = command
        version = subprocess.run([command, "-dumpfullversion", "-dumpversion"], capture_output=True, text=True)
        self.version = version.stdout.strip()
        self.vector = _vector_functions()
        self.libraries = ["-lmvec", "-lm"] if self.vector else ["-lm"]
        # What makes a library built from the same source differ: the compiler, its flags, the
        # CPU (-march=native), Python's and NumPy's binary interfaces.
        self.identity = "\n".join([command, self.version, " ".join(FLAGS), _cpu(), sysconfig.get_config_var(
            "EXT_SUFFIX") or "", np.__version__, *self.libraries])
        self.loaded = {}  # name -> loaded library, in this process
        self.by_loops = {}  # a node's loops' text -> its loaded library
        self._runtime = None

    @property
    def runtime(self):
        """The extension module of ``c_runtime.c``, built once."""
        if self._runtime is None:
            with open(_RUNTIME) as file:
                text = file.read()
            name = self._name("runtime", text)
            source = f'#define MT_MODULE {name}\n#define MT_MODULE_NAME "{name}"\n{text}'
            includes = [f"-I{sysconfig.get_paths()['include']}", f"-I{np.get_include()}"]
            self._runtime = self._library(name, source, "c", includes, lambda path: _load_extension(name, path))
        return self._runtime

    def loops(self, loops):
        """The ctypes handle of the library of a node's ``loops``, compiled now unless cached."""
        if loops not in self.by_loops:  # a compile of a graph seen before costs one lookup
            source = library_source(loops, self.vector)
            self.by_loops[loops] = self._library(self._name("loops", source), source, "c++", self.libraries,
                                                 ctypes.CDLL)
        return self.by_loops[loops]

    def _name(self, kind, source):
        return f"mt_{kind}_" + hashlib.sha256((self.identity + "\n" + source).encode()).hexdigest()[:20]

    def _library(self, name, source, language, options, load):
        if name not in self.loaded:
            self.loaded[name] = self._cached(name, source, load) or self._build(name, source, language, options,
                                                                                  load)
        return self.loaded[name]

    def _paths(self, name):
        folder = _compiledir()
        return tuple(os.path.join(folder, name + suffix) for suffix in (".so", ".src", ".sha256"))

    def _cached(self, name, source, load):
        """The library from the cache, or None if its entry is missing, stale or corrupt."""
        library, source_path, digest_path = self._paths(name)
        try:
            with open(source_path) as file:
                if file.read() != source:
                    return None
            with open(digest_path) as file:
                if file.read().strip() != _digest(library):
                    return None
            loaded = load(library)
        except (OSError, ImportError):
            return None
        with contextlib.suppress(OSError):  # used now: _tidy keeps it (a read-only cache keeps all)
            os.utime(source_path)
        return loaded

    def _build(self, name, source, language, options, load):
        library, source_path, digest_path = self._paths(name)
        os.makedirs(os.path.dirname(library), exist_ok=True)  # even if deleted since this process began
        with tempfile.TemporaryDirectory(dir=os.path.dirname(library), prefix="build-") as build:
            path = os.path.join(build, name + (".c" if language == "c" else ".cpp"))
            with open(path, "w") as file:
                file.write(source)
            built = os.path.join(build, name + ".so")
            command = [self.command, "-x", language, *FLAGS, "-o", built, path, *options]
            result = subprocess.run(command, capture_output=True, text=True)
            if result.returncode != 0:
                raise CompileError(f"{self.command} could not compile {name}:\n{result.stderr}\n"
                                   f"--- source ---\n{source}")
            with open(os.path.join(build, "digest"), "w") as file:
                file.write(_digest(built))
            # Source and digest first, the library last, each renamed atomically: a process
            # reading the entry meanwhile finds it incomplete or mismatched, and builds its own.
            os.replace(path, source_path)
            os.replace(os.path.join(build, "digest"), digest_path)
            os.replace(built, library)
        return load(library)


def _load_extension(name, path):
    loader = importlib.machinery.ExtensionFileLoader(name, path)
    module = importlib.util.module_from_spec(importlib.util.spec_from_file_location(name, path, loader=loader))
    loader.exec_module(module)
    return module


def _digest(path):
    with open(path, "rb") as file:
        return hashlib.sha256(file.read()).hexdigest()


def _compiledir():
    folder = os.path.expanduser(config.compiledir)
    if folder not in _checked_folders:  # once per process: made, and tidied if a day has passed
        os.makedirs(folder, exist_ok=True)
        _tidy(folder)
        _checked_folders.add(folder)
    return folder


MAX_AGE_DAYS = 24
"""An entry of the cache that no process has loaded for this many days is removed (Theano's
cache used the same age). Loading an entry touches its source file."""


def _tidy(folder):
    """Remove from the cache, at most once a day (the file ``tidied`` keeps the time), the
    build folders of interrupted processes (older than an hour) and the entries unused for
    ``MAX_AGE_DAYS``. A process loading an entry meanwhile finds it incomplete and rebuilds it."""
    marker, now = os.path.join(folder, "tidied"), time.time()
    try:
        if now - os.stat(marker).st_mtime < 24 * 3600:
            return
    except FileNotFoundError:
        pass
    with open(marker, "w"):
        pass
    for entry in os.scandir(folder):
        try:
            age = now - entry.stat().st_mtime
        except FileNotFoundError:  # another process removed it
            continue
        if entry.name.startswith("build-") and age > 3600:
            shutil.rmtree(entry.path, ignore_errors=True)
        elif entry.name.endswith(".src") and age > MAX_AGE_DAYS * 24 * 3600:
            for suffix in (".so", ".sha256", ".src"):  # the library first: without it, an entry is rebuilt
                with contextlib.suppress(FileNotFoundError):
                    os.remove(entry.path[:-len(".src")] + suffix)


_checked_folders = set()


def _cpu():
    """The CPU's features, which ``-march=native`` compiles for."""
    try:
        with open("/proc/cpuinfo") as file:
            return next((line for line in file if line.startswith("flags")), platform.processor())
    except OSError:
        return platform.machine() + platform.processor()


def _vector_functions():
    """The math functions glibc has vector versions of on this machine (none off x86-64 Linux)."""
    libc = os.confstr("CS_GNU_LIBC_VERSION") if hasattr(os, "confstr") else None
    if platform.machine() != "x86_64" or not libc or not libc.startswith("glibc "):
        return frozenset()
    if ctypes.util.find_library("mvec") is None:
        return frozenset()
    major, minor = (int(part) for part in libc.split()[1].split(".")[:2])
    return frozenset(_VECTOR_OLD | (_VECTOR_NEW if (major, minor) >= (2, 35) else set()))


class CBackend(NumpyBackend):
    """The host, with fused nodes compiled to C loops (``Mode(linker='c')``)."""

    linker = "c"
    fuses_siblings = True  # fused groups reading a common node merge: one call computes them all

    def __init__(self, compiler):
        self.compiler = compiler

    def __repr__(self):
        return f"<backend numpy, C linker: {self.compiler.command} {self.compiler.version}>"

    fuses_rows = True  # dot(X, w), a fused node and dot(X.T, g) become one RowPass (rewriting/rowpass.py)

    def fused_thunk(self, node):
        """The compiled loop of the fused ``node``: ``run(*inputs)``, or ``run(*inputs, out)``
        to write into ``out`` where it fits. None for dtypes C has no type for (complex).
        For a ``RowPass`` node, its one pass over X (``row_pass_thunk``)."""
        from minitensor.rewriting.rowpass import RowPass  # rewriting imports the ops, which import backends
        if isinstance(node.op, RowPass):
            return self.row_pass_thunk(node)
        if not supports(node.op):
            return None
        loops, scalar, constants = loop_source(node.op)
        if len(scalar) + len(node.outputs) > MAX_OPERANDS:
            return None  # more than NumPy's iterator takes: its inner ops run one by one
        library = self.compiler.loops(loops)
        contiguous, strided = (ctypes.cast(loop, ctypes.c_void_p).value
                               for loop in (library.mt_contiguous, library.mt_strided))
        types = tuple(np.dtype(v.dtype).num for v in node.inputs) + tuple(c.dtype.num for c in constants) + \
            tuple(np.dtype(v.dtype).num for v in node.outputs)
        return self.compiler.runtime.bind(library, contiguous, strided, types, tuple(scalar), len(node.outputs),
                                          tuple(np.asarray(c) for c in constants))


    def reduction_thunk(self, reduce_node, fused_node):
        """``run(*inputs)`` computing ``reduce_node``, a ``Sum``, in one compiled loop: of the
        output of ``fused_node`` (a fused node or one elementwise op, whose inputs it then
        takes), or of its own input where ``fused_node`` is None. None where the summed axes
        neither lead nor trail (the runtime's matrix, ``reduction_source``) or the op is not
        a sum."""
        from minitensor.rewriting.fusion import Composite  # rewriting imports the ops, which import backends
        from minitensor.tensor.elemwise import with_size_checks
        found = reduction_loops(reduce_node, fused_node)
        if found is None:
            return None
        (loops, scalar, constants), inputs = found
        library = self.compiler.loops(loops)
        rows, columns = (ctypes.cast(loop, ctypes.c_void_p).value
                         for loop in (library.mt_sum_rows, library.mt_sum_columns))
        op, out = reduce_node.op, reduce_node.outputs[0]
        types = tuple(np.dtype(v.dtype).num for v in inputs) + tuple(c.dtype.num for c in constants) + (
            np.dtype(out.dtype).num,)
        accumulator = np.dtype(op.accumulator_dtype(out.dtype) or out.dtype)
        numpy_sum = op.make_thunk(reduce_node, np)
        if fused_node is None:
            fallback = numpy_sum
        else:  # operands at other strides, or broadcast: the fused node's loop, then NumPy's sum
            fused = []  # its loop, compiled the first time it is needed

            def fallback(*arrays):
                if not fused:
                    fused.append((self.fused_thunk(fused_node) if isinstance(fused_node.op, Composite) else None)
                                 or fused_node.op.make_thunk(fused_node, np))
                return numpy_sum(fused[0](*arrays))
            fallback = with_size_checks(fallback, fused_node)
        axes = op.axes
        leading = axes == tuple(range(len(axes))) and axes != tuple(range(reduce_node.inputs[0].ndim))
        return self.compiler.runtime.bind_sum(library, rows, columns, types, tuple(scalar),
                                              tuple(np.asarray(c) for c in constants), leading, len(axes),
                                              accumulator.itemsize, fallback)

    def row_pass_thunk(self, node):
        """``run(X, w, *others)`` computing a ``RowPass`` node: its one loop over X's rows
        (``row_pass_source``) where X is at least ``SWITCH_BYTES`` and every operand is as the
        loop reads it, else BLAS's two products around the fused node's compiled loop."""
        from minitensor.rewriting.rowpass import SWITCH_BYTES
        op = node.op
        composite = op.composite
        inner = composite.make_node(*composite.inputs)
        fused = self.fused_thunk(inner)
        if fused is None or len(node.inputs) + len(node.outputs) > MAX_OPERANDS:
            return None
        source, scalar, constants = row_pass_source(op)
        rows = self.compiler.loops(source).mt_rows
        rows.restype = None
        rows.argtypes = [ctypes.c_ssize_t, ctypes.c_ssize_t, ctypes.c_void_p, ctypes.c_ssize_t, ctypes.c_void_p,
                         ctypes.c_void_p, ctypes.c_void_p]
        dtype = np.dtype(node.inputs[0].dtype)
        other_dtypes = [np.dtype(v.dtype) for v in node.inputs[2:]]
        out_dtypes = [np.dtype(v.dtype) for v in composite.outputs]
        constants = [np.asarray(c) for c in constants]
        z_position, g_position, itemsize = op.z_position, op.g_position, dtype.itemsize

        def run(x, w, *others):
            n, d = x.shape
            others = [np.asarray(a, dtype=t) for a, t in zip(others, other_dtypes)]
            if (x.nbytes < SWITCH_BYTES or x.dtype != dtype or w.dtype != dtype or x.strides[1] != itemsize
                    or w.strides[0] != itemsize or w.shape != (d,)
                    or any(a.size != 1 if one else a.shape != (n,) or a.strides[0] != a.itemsize
                           for a, one in zip(others, scalar))):
                results = fused(*op.arguments(np.dot(x, w), others))
                results = results if isinstance(results, tuple) else (results,)
                return (*results, np.dot(x.T, results[g_position]))
            outs = [np.empty(n, t) for t in out_dtypes]
            gout = np.empty(d, dtype)
            operands = others + constants + outs
            data = (ctypes.c_void_p * len(operands))(*[a.ctypes.data for a in operands])
            rows(n, d, x.ctypes.data, x.strides[0] // itemsize, w.ctypes.data, data, gout.ctypes.data)
            return (*outs, gout)
        return run


_backends = {}  # config.cxx -> its CBackend, or None where it is not found


def c_backend():
    """The C linker's backend, or None (after a one-time notice) where no compiler is found."""
    command = config.cxx
    if command not in _backends:
        compiler = _find_compiler(command)
        _backends[command] = None if compiler is None else CBackend(compiler)
    return _backends[command]


def _find_compiler(command):
    include = os.path.join(sysconfig.get_paths()["include"], "Python.h")
    if not command or shutil.which(command) is None:
        missing = f"no C++ compiler ({command!r} not found; set config.cxx)" if command else "config.cxx is empty"
    elif not os.path.exists(include):
        missing = f"Python's C headers are missing ({include}; on Debian: apt-get install python3-dev)"
    else:
        return Compiler(shutil.which(command))
    warnings.warn(f"minitensor's C linker is off: {missing}. Functions run the NumPy program "
                  f"(linker='py'), which computes the same graph more slowly (its float32 sums may round "
                  f"differently: docs/differences.md).", stacklevel=4)
    return None
