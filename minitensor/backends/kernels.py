"""The CUDA source of fused nodes, as the arguments of CuPy's ``ElementwiseKernel`` and
``ReductionKernel``.

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
where NumPy rounds (a float32 product is a float, not a double; a float16 op
computes in float and rounds its result, as NumPy's half loops do). A constant is
one more argument, ``c0, c1, ...``, after the inputs: a scalar is passed by value,
an array is copied to the GPU once. So the kernel's text does not depend on the
constants' values, and graphs that differ only in them share one compiled kernel
(``x * 0.01`` and ``x * 0.02`` compile once). What
C does differently from NumPy (integer division by zero, ``//`` of floats, casts of
NaN to integers, powers of integers) is written out by the ops' ``c_expr`` with the
helper functions of ``PREAMBLE``, so a kernel computes what NumPy computes.

A sum, max or min of a fused node's only result is one ``ReductionKernel``
(``reduction_source``): the fused graph becomes a device function of the preamble,
called by the map expression, so the elementwise results are never written to memory.

The statements themselves come from ``fused_statements``, which the CPU's C linker
(``c.py``) shares: an op's C expression is written once.

This is text only: nothing here imports CuPy, so the source is tested on any
machine: compiled by NVIDIA's NVRTC for sm_90 in CI (tests/test_nvrtc.py), and run
on the CPU by the stand-in for CuPy (tests/cupy_standin.py).
"""

import hashlib
from dataclasses import dataclass, field

import numpy as np

from minitensor.graph import Constant
from minitensor.tensor.c_helpers import C_TYPES, PREAMBLE


@dataclass(frozen=True)
class KernelSource:
    """What ``cupy.ElementwiseKernel(in_params, out_params, operation, name, preamble=...)``
    takes, and the constants passed after the inputs (not part of equality: equal text
    is one compiled kernel, whatever values it is given)."""

    in_params: str
    out_params: str
    operation: str
    name: str
    preamble: str = PREAMBLE
    constants: tuple = field(default=(), compare=False, repr=False)

    def __str__(self):
        body = self.operation.replace("\n", "\n" + " " * 14)
        return (f"kernel {self.name}\n  in_params   {self.in_params}\n  out_params  {self.out_params}\n"
                f"  operation   {body}")


@dataclass(frozen=True)
class ReductionSource:
    """What ``cupy.ReductionKernel(...)`` takes, the axes it reduces over, and the constants."""

    in_params: str
    out_params: str
    map_expr: str
    reduce_expr: str
    post_map_expr: str
    identity: str
    name: str
    reduce_type: str
    preamble: str
    axes: tuple
    constants: tuple = field(default=(), compare=False, repr=False)


def kernel_source(composite):
    """The ``KernelSource`` of ``composite``: inputs ``x0, x1, ...``, outputs ``y0, ...``."""
    body = fused_statements(composite)
    lines = body.lines + [f"y{k} = {name};" for k, name in enumerate(body.results)]
    params, constants = body.params, body.constants
    out_params = ", ".join(f"{o.dtype} y{k}" for k, o in enumerate(composite.outputs))
    operation = "\n".join(lines)
    return KernelSource(params, out_params, operation, _name("minitensor_fused", params, out_params, operation),
                        constants=constants)


def supports(composite):
    """Whether every value inside ``composite`` has a dtype kernels are written for."""
    return all(var.dtype in C_TYPES for node in composite.nodes for var in node.inputs + node.outputs)


def reduction_source(reduce_node, composite):
    """The ``ReductionSource`` computing ``reduce_node`` (Sum, Max or Min) of ``composite``'s only
    output in one kernel, or None for a reduction it does not cover."""
    from minitensor.tensor.reduction import Max, Min, Sum  # the ops import this package's module

    op, out = reduce_node.op, reduce_node.outputs[0]
    value_dtype = composite.outputs[0].dtype
    if len(composite.outputs) != 1 or not supports(composite) or out.dtype not in C_TYPES:
        return None
    if isinstance(op, Sum):
        reduce_dtype = op.accumulator_dtype(out.dtype) or out.dtype
        reduce_expr, identity = "a + b", "0"
    elif isinstance(op, (Max, Min)) and np.dtype(value_dtype).kind == "f":
        reduce_dtype = value_dtype
        better = ">" if isinstance(op, Max) else "<"
        reduce_expr = f"(isnan(a) || a {better} b) ? a : b"  # NaN wins, as in NumPy
        identity = f"{'-' if isinstance(op, Max) else ''}CUDART_INF"
    else:
        return None
    body = fused_statements(composite)
    lines, (result,), params, constants = body.lines, body.results, body.params, body.constants
    arguments = ", ".join(part.split()[1] for part in params.split(", "))
    declared = ", ".join(f"{C_TYPES[p.split()[0]]} {p.split()[1]}" for p in params.split(", "))
    body = "\n".join("  " + line for line in lines)
    name = _name("minitensor_reduce", params, str(op), body)
    function = f"__device__ {C_TYPES[value_dtype]} {name}_map({declared}) {{\n{body}\n  return {result};\n}}"
    return ReductionSource(params, f"{out.dtype} y0", f"{name}_map({arguments})", reduce_expr,
                           f"y0 = ({C_TYPES[out.dtype]}) a", identity, name, C_TYPES[reduce_dtype],
                           PREAMBLE + "\n" + _INFINITY + function, tuple(op.axes), constants)


# CuPy defines CUDART_INF in cupy/math_constants.h; the preamble must not depend on it.
_INFINITY = "#ifndef CUDART_INF\n#define CUDART_INF __int_as_float(0x7f800000)\n#endif\n"


def fused_statements(composite):
    """The C statements computing ``composite`` at one position: the emitter shared by the
    CUDA kernels (this module) and the CPU's C linker (``c.py``), so an op's C expression
    is written once, in its ``c_expr``.

    Returns ``FusedStatements``: one typed statement per inner node (``const float t1 =
    (t0 * x1);``), the names of the outputs' values, the operands ``(dtype, name)``
    (inputs ``x0, x1, ...``, then constants ``c0, c1, ...``) and the constants' values
    (NumPy scalars, or arrays of several elements)."""
    names = {placeholder: f"x{k}" for k, placeholder in enumerate(composite.inputs)}
    operands = [(p.dtype, f"x{k}") for k, p in enumerate(composite.inputs)]
    constants, lines = [], []
    for node in composite.nodes:
        out = node.outputs[0]
        arguments = []
        for var in node.inputs:
            if isinstance(var, Constant) and var not in names:  # one more argument
                names[var] = f"c{len(constants)}"
                operands.append((var.dtype, names[var]))
                constants.append(var.data.reshape(())[()] if var.data.size == 1 else var.data)
            text = names[var]
            # float16 values compute in float, as NumPy's half loops do; the result rounds.
            arguments.append(f"((float) {text})" if var.dtype == "float16" else text)
        names[out] = f"t{len(lines)}"
        lines.append(f"const {_c_type(out.dtype)} {names[out]} = {node.op.c_expr(arguments, out.dtype)};")
    return FusedStatements(lines, [names[o] for o in composite.outputs], operands, tuple(constants))


@dataclass
class FusedStatements:
    """What ``fused_statements`` gives: the body of a loop over a fused node's elements."""

    lines: list
    results: list
    operands: list
    constants: tuple

    @property
    def params(self):
        """The operands as CuPy's ``in_params``: ``float32 x0, float32 c0``."""
        return ", ".join(f"{dtype} {name}" for dtype, name in self.operands)


def _name(prefix, *texts):
    """A name from the text itself: equal fused graphs get equal names, and CuPy's cache hits."""
    return f"{prefix}_{hashlib.sha1(chr(10).join(texts).encode()).hexdigest()[:12]}"


def _c_type(dtype):
    if dtype not in C_TYPES:
        raise NotImplementedError(f"fused kernels do not support {dtype}")
    return C_TYPES[dtype]
