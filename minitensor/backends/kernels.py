"""The CUDA source of a fused ``Composite`` node, as the arguments of a ``cupy.ElementwiseKernel``.

A fused node holds a small graph of elementwise ops. Its kernel computes that graph
at one position ``i`` of its (broadcast) inputs: one typed C statement per inner
node, built from the op's scalar C expression (``c_expr``), then one assignment per
output. For ``exp(x) * y + 1`` on float32 vectors, ``kernel_source`` gives::

    in_params   float32 x0, float32 x1
    out_params  float32 y0
    operation   const float t0 = exp(x0);
                const float t1 = (t0 * x1);
                const float t2 = (t1 + 1.0f);
                y0 = t2;

Each temporary has the dtype NumPy gives that inner result, so rounding happens
where NumPy rounds (a float32 product is a float, not a double). Constants are
typed literals: ``1.0f`` in a float32 kernel, ``1.0`` in a float64 one.

This is text only: nothing here imports CuPy, so the source is tested on any
machine, by compiling ``operation`` with the host C++ compiler
(tests/test_kernels.py). ``cuda.fused_kernel`` compiles it with CuPy, cached by
the ``KernelSource``, which is the fused graph's structure and dtypes.

Left out: float16 (CuPy's ``float16`` type is not C++'s; such a node raises
NotImplementedError) and reductions (``ReductionKernel``).
"""

import hashlib
import math
from dataclasses import dataclass

from minitensor.graph import Constant
from minitensor.tensor.elemwise import _CTYPES

# The C types of the temporaries; CuPy names the parameters' types as NumPy does.
_C_TYPES = {dtype: ctype for dtype, ctype in _CTYPES.items() if dtype != "float16"}


@dataclass(frozen=True)
class KernelSource:
    """What ``cupy.ElementwiseKernel(in_params, out_params, operation, name)`` takes."""

    in_params: str
    out_params: str
    operation: str
    name: str

    def __str__(self):
        body = self.operation.replace("\n", "\n" + " " * 14)
        return (f"kernel {self.name}\n  in_params   {self.in_params}\n  out_params  {self.out_params}\n"
                f"  operation   {body}")


def kernel_source(composite):
    """The ``KernelSource`` of ``composite``: inputs ``x0, x1, ...``, outputs ``y0, ...``."""
    names = {placeholder: f"x{k}" for k, placeholder in enumerate(composite.inputs)}
    lines = []
    for node in composite.nodes:
        out = node.outputs[0]
        arguments = [c_literal(i) if isinstance(i, Constant) else names[i] for i in node.inputs]
        names[out] = f"t{len(lines)}"
        lines.append(f"const {_c_type(out.dtype)} {names[out]} = {node.op.c_expr(arguments, out.dtype)};")
    lines += [f"y{k} = {names[out]};" for k, out in enumerate(composite.outputs)]
    in_params = ", ".join(f"{_param_type(p.dtype)} x{k}" for k, p in enumerate(composite.inputs))
    out_params = ", ".join(f"{_param_type(o.dtype)} y{k}" for k, o in enumerate(composite.outputs))
    operation = "\n".join(lines)
    # A name from the text itself: equal fused graphs get equal names, and CuPy's cache hits.
    digest = hashlib.sha1("\n".join([in_params, out_params, operation]).encode()).hexdigest()[:12]
    return KernelSource(in_params, out_params, operation, f"minitensor_fused_{digest}")


def c_literal(constant):
    """A scalar constant as a C literal of its dtype: ``1.0f`` (float32), ``1.0``, ``2``, ``true``."""
    if constant.data.size != 1:
        raise NotImplementedError(f"a fused kernel takes scalar constants only, got {constant}")
    value, dtype = constant.data.item(), constant.dtype
    if dtype == "bool":
        return "true" if value else "false"
    if not isinstance(value, float):
        return f"(({_c_type(dtype)}) {value})"
    if math.isnan(value) or math.isinf(value):  # C has no literal for these; IEEE division makes them
        text = "(0.0 / 0.0)" if math.isnan(value) else "(1.0 / 0.0)" if value > 0 else "(-1.0 / 0.0)"
        return f"(({_c_type(dtype)}) {text})"
    text = repr(value)  # the shortest text that reads back as the same double
    text = text if ("." in text or "e" in text) else text + ".0"
    return text + "f" if dtype == "float32" else text


def _c_type(dtype):
    if dtype not in _C_TYPES:
        raise NotImplementedError(f"fused kernels do not support {dtype} yet")
    return _C_TYPES[dtype]


def _param_type(dtype):
    _c_type(dtype)  # the same dtypes are supported
    return dtype
