"""Every kernel minitensor generates compiles with NVIDIA's NVRTC for sm_90, with no GPU.

The kernels are written out as CuPy writes an ``ElementwiseKernel`` (its template in
``cupy/_core/_kernel.pyx``: CuPy's headers, the preamble, one ``CUPY_FOR`` loop binding
each parameter by reference) and a ``ReductionKernel``'s parts in a loop of the same
shape, then compiled together by NVRTC, the compiler CuPy calls, for the H100/H200's
sm_90, with CuPy's own include paths. What is compiled:

* every elementwise op of tests/op_specs.py, fused alone, for every dtype it accepts;
* every cast between two of the twelve dtypes;
* graphs with edge constants (NaN, infinities, INT64_MIN, UINT64_MAX, float16);
* the fused nodes and fused reductions of the tutorial's training function.

NVRTC comes from the packages ``cupy-cuda12x``, ``nvidia-cuda-nvrtc-cu12`` and
``nvidia-cuda-runtime-cu12``, which install and compile without a GPU or a driver.
Where they are missing the test skips, saying so; CI installs them and sets
``MINITENSOR_REQUIRE_NVRTC=1``, which turns the skip into a failure.
"""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

import minitensor as theano
import minitensor.tensor as T
from minitensor.backends.kernels import kernel_source, reduction_source, supports
from minitensor.rewriting.fusion import Composite
from minitensor.tensor.c_helpers import C_TYPES, PREAMBLE
from minitensor.tensor.elemwise import Elemwise
from minitensor.tensor.reduction import Max, Min, Sum
from minitensor.tensor.type import TensorType
from op_specs import SPECS

SUPPORTED_DTYPES = tuple(C_TYPES)  # the dtypes kernels are written for (complex ones run op by op)


# NVRTC runs in a Python process of its own: CuPy's binding finds the library through CuPy's
# own modules, and under --backend=cupy the name ``cupy`` is the stand-in here. It reads the
# source on stdin and prints "ok <bytes of cubin>", the compiler's log, or "unavailable <why>".
COMPILE = r"""
import importlib.util, os, sys
try:
    from cupy_backends.cuda.libs import nvrtc
    nvrtc.getVersion()
except Exception as error:  # ImportError, or the NVRTC library not found
    print(f"unavailable {type(error).__name__}: {error}")
    sys.exit(0)
site = os.path.dirname(os.path.dirname(importlib.util.find_spec("cupy_backends").origin))
include = os.path.join(site, "cupy", "_core", "include")
options = [f"-I{include}", "-I" + os.path.join(site, "nvidia", "cuda_runtime", "include"), "-std=c++17",
           "-arch=sm_90", "--device-as-default-execution-space"]
options += [f"-I{include}/cupy/_cccl/{part}" for part in ("cub", "thrust", "libcudacxx")]
program = nvrtc.createProgram(sys.stdin.read(), "minitensor_kernels.cu", [], [])
try:
    nvrtc.compileProgram(program, options)
except Exception:
    print(nvrtc.getProgramLog(program))
    sys.exit(0)
print(f"ok {len(nvrtc.getCUBIN(program))}")
"""


def compile_with_nvrtc(code):
    """(compiled, NVRTC's log or the size of the cubin); skip where NVRTC is missing (fail in CI)."""
    result = subprocess.run([sys.executable, "-c", COMPILE], input=code, capture_output=True, text=True)
    output = result.stdout.strip()
    if result.returncode or output.startswith("unavailable"):
        reason = (f"NVRTC is not available ({output or result.stderr.strip()[-500:]}); "
                  f"pip install -e \".[cuda]\" nvidia-cuda-nvrtc-cu12 nvidia-cuda-runtime-cu12")
        if os.environ.get("MINITENSOR_REQUIRE_NVRTC"):
            pytest.fail(reason)
        pytest.skip(reason)
    return output.startswith("ok "), output


# --- the kernels --------------------------------------------------------------------------

def _alone(build, dtypes):
    """The Composite of ``build`` applied to vectors of ``dtypes``, or None where it refuses them
    or builds something other than elementwise nodes."""
    inputs = [TensorType(d, (False,))() for d in dtypes]
    try:
        out = build(*inputs)
    except (TypeError, ValueError):
        return None
    if out.owner is None or not all(isinstance(node.op, Elemwise) for node in _nodes(out)):
        return None
    composite = Composite(tuple(inputs), (out,))
    return composite if supports(composite) else None  # complex values inside: it runs op by op


def _nodes(out):
    from minitensor.graph import toposort
    return toposort([out])


def elementwise_composites():
    """(label, Composite) for every elementwise op row and dtype, every cast, and edge constants."""
    for spec in SPECS:
        if not issubclass(spec.op, Elemwise) or spec.op is Composite:
            continue
        for dtype in SUPPORTED_DTYPES:
            dtypes = [fixed or dtype for fixed in (spec.input_dtypes or (None,) * len(spec.domains))]
            composite = _alone(spec.build, dtypes)
            if composite is not None:
                yield f"{spec.name}[{dtype}]", composite
    for source in SUPPORTED_DTYPES:
        for target in SUPPORTED_DTYPES:
            if source != target:
                yield f"cast[{source}->{target}]", _alone(lambda x, t=target: T.cast(x, t), [source])
    edges = [("float64", [np.nan, np.inf, -np.inf]), ("float32", [np.nan, -np.inf]), ("float16", [np.inf, 65504.0]),
             ("int64", [np.iinfo(np.int64).min]), ("uint64", [np.iinfo(np.uint64).max])]
    for dtype, values in edges:
        for value in values:
            constant = T.constant(np.full((1,), value, dtype=dtype))
            yield f"edge[{dtype} {value}]", _alone(lambda x, c=constant: T.maximum(x, c) + c, [dtype])


def tutorial_kernels():
    """The fused nodes, and the fused reductions, of the tutorial's training function as a GPU
    compiles it (fusion merges more there), and as NumPy does."""
    import cupy_standin
    saved = sys.modules.get("cupy")
    sys.modules["cupy"] = cupy_standin  # the GPU's graph, compiled on the stand-in
    try:
        with theano.change_flags(device="cuda"):
            kernels = list(_tutorial_kernels("cupy"))
    finally:
        if saved is None:
            del sys.modules["cupy"]
        else:
            sys.modules["cupy"] = saved
    with theano.change_flags(device="cpu"):
        return kernels + list(_tutorial_kernels("numpy"))


def _tutorial_kernels(backend):
    x, y = T.matrix("x", dtype="float32"), T.vector("y", dtype="float32")
    w = theano.shared(np.zeros(5, dtype="float32"), name="w")
    b = theano.shared(np.float32(0), name="b")
    p = 1 / (1 + T.exp(-T.dot(x, w) - b))
    xent = -y * T.log(p) - (1 - y) * T.log(1 - p)
    cost = T.mean(xent) + 0.01 * (w ** 2).sum()
    gw, gb = T.grad(cost, [w, b])
    train = theano.function([x, y], [p > 0.5, xent], updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)],
                            backend=backend)
    nodes = train.program.nodes
    composites = [node for node in nodes if isinstance(node.op, Composite)]
    yield from ((f"tutorial-{backend}[{k}]", node.op) for k, node in enumerate(composites))
    for node in nodes:
        source = node.inputs[0].owner if isinstance(node.op, (Sum, Max, Min)) else None
        if source is not None and isinstance(source.op, Composite) and len(source.op.outputs) == 1:
            yield f"tutorial-reduce[{node.op}]", (node, source.op)


# --- the code CuPy writes around them -----------------------------------------------------

HEADER = "#include <cupy/complex.cuh>\n#include <cupy/carray.cuh>\n"


def _parameters(in_params, out_params):
    """CuPy's kernel parameters for ``in_params`` (arrays x*, scalars c* of 0 dimensions in the
    common case) and ``out_params``: after its reduce_dims, contiguous arrays are 1-d."""
    params, binds = [], []
    for text, is_input in ((in_params, True), (out_params, False)):
        for part in filter(None, (p.strip() for p in text.split(","))):
            dtype, name = part.split()
            ctype = C_TYPES[dtype]
            if is_input and name.startswith("c"):
                params.append(f"const {ctype} {name}")  # a scalar, passed by value
                continue
            params.append(f"{'const ' if is_input else ''}CArray<{ctype}, 1, 1, 1> _raw_{name}")
            binds.append(f"{'const ' if is_input else ''}{ctype} &{name} = _raw_{name}[_ind.get()];")
    return params, binds


def elementwise_kernel_code(source):
    params, binds = _parameters(source.in_params, source.out_params)
    body = "\n    ".join(binds + [source.operation.replace("\n", "\n    ")])
    return (f"{source.preamble}\nextern \"C\" __global__ void {source.name}({', '.join(params)}, CIndexer<1> _ind) {{\n"
            f"  ;\n  CUPY_FOR(i, _ind.size()) {{\n    _ind.set(i);\n    {body};\n  }}\n  ;\n}}\n")


def reduction_kernel_code(source):
    params, binds = _parameters(source.in_params, "")
    out_type = C_TYPES[source.out_params.split()[0]]
    body = "\n      ".join(binds)
    return (f"{source.preamble}\ntypedef {source.reduce_type} _type_reduce_{source.name};\n"
            f"extern \"C\" __global__ void {source.name}({', '.join(params)}, CArray<{out_type}, 1, 1, 1> _raw_y0, "
            f"CIndexer<1> _ind) {{\n"
            f"  _type_reduce_{source.name} a = static_cast<_type_reduce_{source.name}>({source.identity});\n"
            f"  CUPY_FOR(i, _ind.size()) {{\n    _ind.set(i);\n      {body}\n"
            f"    _type_reduce_{source.name} b = static_cast<_type_reduce_{source.name}>({source.map_expr});\n"
            f"    a = {source.reduce_expr};\n  }}\n"
            f"  {out_type} &y0 = _raw_y0[0];\n  {source.post_map_expr};\n}}\n")


def _program():
    """The source of every kernel in one translation unit, and {line: kernel label}."""
    parts, labels = [HEADER], {}
    seen = set()
    kernels = list(elementwise_composites()) + list(tutorial_kernels())
    for label, item in kernels:
        if isinstance(item, tuple):
            source = reduction_source(*item)
            assert source is not None, label
            code = reduction_kernel_code(source)
        else:
            source = kernel_source(item)
            code = elementwise_kernel_code(source)
        if source.name in seen:
            continue
        seen.add(source.name)
        # Every kernel repeats the preamble, as CuPy's do; its definitions are guarded here.
        code = code.replace(PREAMBLE, "").replace(_infinity(), "")
        start = sum(part.count("\n") for part in parts) + 1
        for line in range(start, start + code.count("\n") + 1):
            labels[line] = label
        parts.append(code)
    preamble = PREAMBLE + "\n" + _infinity()
    parts.insert(1, preamble)
    shift = preamble.count("\n")
    return "".join(parts), {line + shift: label for line, label in labels.items()}, len(seen)


def _infinity():
    return "#ifndef CUDART_INF\n#define CUDART_INF __int_as_float(0x7f800000)\n#endif\n"


def test_every_generated_kernel_compiles_with_nvrtc_for_sm_90():
    code, labels, count = _program()
    assert count > 300  # the op rows times their dtypes, the casts, the edges and the tutorial
    compiled, log = compile_with_nvrtc(code)
    if not compiled:
        errors = re.findall(r"minitensor_kernels\.cu\((\d+)\): (error.*\n.*\n)", log + "\n")
        failing = sorted({labels.get(int(line), "the preamble") for line, _ in errors})
        shown = "".join(f"line {line}: {text}" for line, text in errors[:20]) or log[-3000:]
        pytest.fail(f"NVRTC rejected the kernels of {failing}:\n{shown}")
    assert int(log.split()[1]) > 0  # bytes of machine code for sm_90
