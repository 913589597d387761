"""Elementwise ops: arithmetic, mathematical functions, comparisons, logic, switch and cast.

An elementwise op applies one scalar function at every position of its inputs.
Inputs broadcast against each other along their broadcastable dimensions only;
``make_node`` pads lower-rank inputs on the left, so every input has the output's rank.

Each op gives, side by side:

* ``impl(xp, ...)``: the computation with the array module ``xp``;
* ``grad``: the gradient for each input, with the *output's* broadcast pattern
  (the grad engine sums it back to the input's pattern, in one place);
* ``c_expr``: the scalar C expression used when fused GPU kernels are generated
  (where C computes otherwise than NumPy, it calls the functions of ``c_helpers.py``).

Dtypes follow NumPy 2: Python numbers are weak (``fvector * 0.1`` stays float32),
comparisons give bool, and ops with a float result (``exp``, true division) see
integer inputs cast to float first, so the declared dtype is the computed one. The
float that a math function gives an integer is Theano's, not NumPy's: ``exp(int8)``
is float32, not float16.

Complex values (complex64, complex128) go through the ops NumPy defines on them, which
list 'c' in ``allowed_kinds``: arithmetic, powers, exponentials and logarithms,
trigonometry, equality, ``switch``; ``abs`` of a complex is real. Ops that order values
(comparisons, ``maximum``, ``clip``, rounding) refuse them. Their
gradients follow Theano's convention (``holomorphic`` in ``minitensor/graph.py``); the
parts, the conjugate and the polar form are in ``complex_numbers.py``. Fused GPU kernels
have no complex C types: a fused node with complex values runs op by op.
"""

import functools
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from minitensor.graph import Apply, Op
from minitensor.tensor.c_helpers import C_TYPES
from minitensor.tensor.type import (TensorType, dtype_kind, dtype_name, is_complex, is_continuous, is_float,
                                    real_dtype)
from minitensor.tensor.variable import as_tensor_variable, constant



def c_compute_type(dtype):
    """The C type an op of result ``dtype`` computes in: float for float16 (see c_helpers.py)."""
    return "float" if dtype == "float16" else C_TYPES[dtype]


def _is_python_number(value):
    # type() rather than isinstance: numpy scalars subclass float but are not weak.
    return type(value) in (bool, int, float, complex)


@functools.lru_cache(maxsize=None)
def promote(operands):
    """NumPy 2's result dtype for ``operands``: dtype names, or the types of Python numbers.

    A Python number is weak, so only its type matters (int8 + 1000 is int8 in NumPy 2,
    and the value is checked when the constant is made); that makes this cacheable.
    """
    return np.result_type(*[o(0) if isinstance(o, type) else np.dtype(o) for o in operands]).name


def elementwise_inputs(values):
    """The tensors an elementwise node takes from ``values`` (variables, arrays or numbers).

    Python numbers become constants of the dtype NumPy 2 promotion gives the
    whole expression, and lower-rank inputs get leading broadcastable dimensions.
    """
    tensors = [None if _is_python_number(v) else as_tensor_variable(v) for v in values]
    if any(t is None for t in tensors):
        common = promote(tuple(type(v) if t is None else t.dtype for v, t in zip(values, tensors)))
        tensors = [constant(v, dtype=common) if t is None else t for v, t in zip(values, tensors)]
    ndim = max(t.ndim for t in tensors)
    return [t if t.ndim == ndim else pad_left(t, ndim) for t in tensors]


def pad_left(x, ndim):
    from minitensor.tensor.shape_ops import dimshuffle
    return dimshuffle(x, *(["x"] * (ndim - x.ndim) + list(range(x.ndim))))


class Elemwise(Op):
    """Base of the elementwise ops; subclasses set the class attributes below."""

    nin: ClassVar[int]  # number of inputs; None for any number (add, mul)
    scalar_name: ClassVar[str]  # the scalar operation's Theano name ("mul"), used by pp and messages
    output_kind: ClassVar[str] = "same"  # 'same' (promoted input dtype), 'bool' or 'float'
    # The numpy dtype kinds the inputs may promote to. Ops that NumPy computes on bools in
    # int8 (bool // bool) refuse bools, so that the declared dtype is the computed one; ops
    # defined on complex numbers add 'c'.
    allowed_kinds: ClassVar[str] = "biuf"
    ufunc: ClassVar[str] = None  # the NumPy/CuPy ufunc computing the op, when one does
    c_template: ClassVar[str] = ""  # C expression over {0}, {1}, ...
    symbol: ClassVar[str] = None  # infix or prefix operator for pretty-printing
    # Whether the callable of a non-ufunc op always returns a new array of the output's shape,
    # which fused code may then overwrite (a ufunc's result always is one).
    returns_new_array: ClassVar[bool] = False

    def make_node(self, *values):
        if self.nin is not None and len(values) != self.nin:
            raise TypeError(f"{self.scalar_name} takes {self.nin} inputs, got {len(values)}")
        inputs = elementwise_inputs(values)
        common = promote(tuple(x.dtype for x in inputs))
        if dtype_kind(common) not in self.allowed_kinds:
            # e.g. bool // bool, which NumPy computes in int8, or int64 & uint64, which promote
            # to float64 and have no bitwise and
            raise TypeError(f"{self.scalar_name} is not defined for inputs of dtypes "
                            f"{', '.join(x.dtype for x in inputs)}, which promote to {common}")
        dtype = self.output_dtype(inputs)
        if self.output_kind == "float":
            inputs = [x if is_continuous(x.dtype) else cast(x, dtype) for x in inputs]
        broadcastable = tuple(all(dims) for dims in zip(*[x.broadcastable for x in inputs]))
        return Apply(self, inputs, [TensorType(dtype, broadcastable)()])

    def output_dtype(self, inputs):
        common = promote(tuple(x.dtype for x in inputs))
        return {"same": common, "bool": "bool", "float": self.float_dtype(common)}[self.output_kind]

    @staticmethod
    def float_dtype(dtype):
        """The float dtype of a math function of ``dtype``: a float's own, else Theano's upcast:
        float32 for bools and 8- and 16-bit integers, float64 for wider ones. (NumPy gives
        float16 for exp(int8), which holds neither its range nor its precision.) A complex
        dtype is its own."""
        if is_continuous(dtype):
            return dtype
        return "float32" if np.dtype(dtype).itemsize <= 2 else "float64"

    def impl(self, xp, *arrays):
        return getattr(xp, self.ufunc)(*arrays)

    def infer_shape(self, node, input_shapes):
        """Along each axis, the length of the first input not broadcastable there (or 1)."""
        out = node.outputs[0]
        return [tuple(next((shape[d] for var, shape in zip(node.inputs, input_shapes)
                            if not var.broadcastable[d]), 1) for d in range(out.ndim))] * len(node.outputs)

    def make_thunk(self, node, xp, overwrite=None):
        """The node's callable; with ``overwrite`` = p it writes its result into input p.

        For ufunc ops the ufunc itself is the callable, looked up once here.
        """
        return with_size_checks(self._compute(xp, overwrite), node)

    def can_overwrite(self, nin):
        """Whether this op can write its result into one of its ``nin`` inputs."""
        return self.ufunc is not None and nin == self.nin

    def _compute(self, xp, overwrite):
        if self.ufunc is None or (self.nin is None and overwrite is None):
            impl = self.impl
            return lambda *arrays: impl(xp, *arrays)
        ufunc = getattr(xp, self.ufunc)
        if overwrite is None:
            return ufunc
        return lambda *arrays: ufunc(*arrays, out=arrays[overwrite])

    def c_expr(self, args, dtype):
        """The C expression for this op applied to the C expressions ``args``."""
        return self.c_template.format(*args)

    @property
    def name(self):
        """The op's name as Theano gives it: ``Elemwise{mul,no_inplace}``."""
        return str(self)

    def __str__(self):
        return f"Elemwise{{{self.scalar_name},no_inplace}}"


def with_size_checks(compute, node):
    """``compute`` (an elementwise node's callable), first testing that the lengths of the
    non-broadcastable axes agree, which NumPy's and CuPy's broadcasting would not."""
    checks = _size_checks(node)
    if not checks:
        return compute

    def run(*arrays):
        for axis, positions in checks:
            sizes = [arrays[p].shape[axis] for p in positions]
            if sizes.count(sizes[0]) != len(sizes):
                shapes = ", ".join(f"input {p}: {arrays[p].shape}" for p in range(len(arrays)))
                raise ValueError(f"input dimension mismatch on axis {axis}, which is not "
                                 f"broadcastable ({shapes})")
        return compute(*arrays)
    return run


def _size_checks(node):
    """(axis, input positions) whose sizes must agree at run time.

    NumPy would broadcast a length-1 axis silently; here only broadcastable axes
    broadcast, so that the gradient, which sums over those axes, stays right.
    """
    checks = []
    for axis in range(node.outputs[0].ndim):
        positions = [p for p, x in enumerate(node.inputs) if not x.broadcastable[axis]]
        if len(positions) > 1:
            checks.append((axis, positions))
    return checks


# --- arithmetic ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Add(Elemwise):
    """x + y + ...; each input's gradient is the output's."""
    nin, scalar_name, symbol, ufunc, allowed_kinds = None, "add", "+", "add", "biufc"

    def impl(self, xp, *xs):
        total = xs[0] + xs[1] if len(xs) > 1 else xs[0].copy()
        for x in xs[2:]:
            total = total + x
        return total

    def can_overwrite(self, nin):
        return nin == 2

    def grad(self, inputs, outputs, grads):
        return [grads[0]] * len(inputs)

    def c_expr(self, args, dtype):
        return "(" + " + ".join(args) + ")"


@dataclass(frozen=True)
class Sub(Elemwise):
    """x - y."""
    ufunc = "subtract"
    nin, scalar_name, symbol, allowed_kinds, c_template = 2, "sub", "-", "iufc", "({0} - {1})"

    def grad(self, inputs, outputs, grads):
        return [grads[0], -grads[0]]


@dataclass(frozen=True)
class Mul(Elemwise):
    """x * y * ...; input i's gradient is g times the product of the other inputs."""
    nin, scalar_name, symbol, ufunc, allowed_kinds = None, "mul", "*", "multiply", "biufc"

    def impl(self, xp, *xs):
        product = xs[0] * xs[1] if len(xs) > 1 else xs[0].copy()
        for x in xs[2:]:
            product = product * x
        return product

    def can_overwrite(self, nin):
        return nin == 2

    def grad(self, inputs, outputs, grads):
        return [mul(grads[0], *(inputs[:i] + inputs[i + 1:])) for i in range(len(inputs))]

    def c_expr(self, args, dtype):
        return "(" + " * ".join(args) + ")"


@dataclass(frozen=True)
class TrueDiv(Elemwise):
    """x / y, always a float or complex (integers divide to float64, as in NumPy)."""
    ufunc, allowed_kinds = "true_divide", "biufc"
    nin, scalar_name, symbol, output_kind, c_template = 2, "true_div", "/", "float", "({0} / {1})"

    @staticmethod
    def float_dtype(dtype):
        return dtype if is_continuous(dtype) else "float64"

    def grad(self, inputs, outputs, grads):
        x, y = inputs
        return [grads[0] / y, -grads[0] * outputs[0] / y]


@dataclass(frozen=True)
class IntDiv(Elemwise):
    """x // y, rounding towards minus infinity; its gradient is zero almost everywhere."""
    ufunc = "floor_divide"
    nin, scalar_name, symbol, allowed_kinds = 2, "int_div", "//", "iuf"

    def grad(self, inputs, outputs, grads):
        return [None, None]

    def c_expr(self, args, dtype):
        kind = "_float" if np.dtype(dtype).kind == "f" else ""  # floor(a / b) would round a / b first
        return f"minitensor_floor_divide{kind}<{c_compute_type(dtype)}>({args[0]}, {args[1]})"


@dataclass(frozen=True)
class Neg(Elemwise):
    """-x."""
    ufunc = "negative"
    nin, scalar_name, symbol, allowed_kinds, c_template = 1, "neg", "-", "iufc", "(-{0})"

    def grad(self, inputs, outputs, grads):
        return [-grads[0]]


@dataclass(frozen=True)
class Pow(Elemwise):
    """x ** y; d/dx = y x**(y-1), d/dy = log(x) x**y, which is 0 where x = 0 (as in Theano).

    At x = 0, log(x) x**y is -inf * 0 = NaN, but x**y is constantly 0 there for y > 0,
    so d/dy is 0: the switch keeps one zero in a vector from making a sum's gradient NaN.
    """
    ufunc = "power"
    nin, scalar_name, symbol, allowed_kinds = 2, "pow", "**", "iufc"

    def c_expr(self, args, dtype):
        ctype = c_compute_type(dtype)
        a, b = (f"(({ctype}) {arg})" for arg in args)  # CUDA's pow is ambiguous on mixed types
        return f"pow({a}, {b})" if np.dtype(dtype).kind == "f" else f"minitensor_power_int<{ctype}>({a}, {b})"

    def grad(self, inputs, outputs, grads):
        x, y = inputs
        return [grads[0] * y * x ** (y - 1), grads[0] * switch(eq(x, 0), 0, log(x) * outputs[0])]


@dataclass(frozen=True)
class Abs(Elemwise):
    """|x|, real for a complex x; d/dx = sgn(x), and for a complex z the gradient of |z|,
    d/dRe(z) + i d/dIm(z), is z / |z|."""
    ufunc, allowed_kinds = "absolute", "biufc"
    nin, scalar_name = 1, "abs_"
    holomorphic = False

    def output_dtype(self, inputs):
        return real_dtype(inputs[0].dtype)

    def c_expr(self, args, dtype):
        return args[0] if np.dtype(dtype).kind in "bu" else f"abs({args[0]})"  # abs of unsigned is ambiguous

    def grad(self, inputs, outputs, grads):
        x, = inputs
        if is_complex(x.dtype):
            return [grads[0] * x / outputs[0]]
        return [grads[0] * sgn(x)]


@dataclass(frozen=True)
class Sgn(Elemwise):
    """The sign of x: -1, 0 or 1; its gradient is zero almost everywhere."""
    ufunc = "sign"
    nin, scalar_name, allowed_kinds = 1, "sgn", "iuf"
    c_template = "({0} > 0 ? 1 : ({0} < 0 ? -1 : ({0} == 0 ? 0 : {0})))"  # sign(-0.0) is 0.0, sign(NaN) NaN

    def grad(self, inputs, outputs, grads):
        return [None]


def _first_or_second(g, chosen_first):
    """The gradient g split between two inputs: all of it to the first where ``chosen_first``,
    else all to the second. The two parts always sum to g, ties included."""
    return [g * chosen_first, g * invert(chosen_first)]


@dataclass(frozen=True)
class Maximum(Elemwise):
    """max(x, y) elementwise; the gradient goes to the input that is the output, to x at a tie.

    A tie gives all of the gradient to the first input, as Theano does (JAX splits it in
    halves): the parts sum to the output's gradient, so grad(maximum(x, x), x) is 1.
    """
    ufunc = "maximum"
    nin, scalar_name = 2, "maximum"
    # x != x is true only for NaN, which NumPy's maximum propagates.
    c_template = "(({0}) > ({1}) || ({0}) != ({0}) ? ({0}) : ({1}))"

    def grad(self, inputs, outputs, grads):
        return _first_or_second(grads[0], eq(outputs[0], inputs[0]))


@dataclass(frozen=True)
class Minimum(Elemwise):
    """min(x, y) elementwise; the gradient goes to the input that is the output, to x at a tie
    (see ``Maximum``)."""
    ufunc = "minimum"
    nin, scalar_name = 2, "minimum"
    c_template = "(({0}) < ({1}) || ({0}) != ({0}) ? ({0}) : ({1}))"

    def grad(self, inputs, outputs, grads):
        return _first_or_second(grads[0], eq(outputs[0], inputs[0]))


@dataclass(frozen=True)
class Clip(Elemwise):
    """min(max(x, low), high); the gradient follows that formula, with Maximum's tie rule.

    So it goes to x inside [low, high] (ends included), to low below, and to high above;
    when low > high the result is high everywhere (as in NumPy), and so is the gradient's
    destination: grad(clip(x, 0, x), x) is 1 for a negative x.
    """
    nin, scalar_name = 3, "clip"
    c_template = "(({0}) < ({1}) ? ({1}) : (({0}) > ({2}) ? ({2}) : ({0})))"

    def impl(self, xp, x, low, high):
        return xp.clip(x, low, high)

    def grad(self, inputs, outputs, grads):
        x, low, high = inputs
        raised = maximum(x, low)
        to_raised, to_high = _first_or_second(grads[0], le(raised, high))
        to_x, to_low = _first_or_second(to_raised, ge(x, low))
        return [to_x, to_low, to_high]


# --- mathematical functions -------------------------------------------------------------

@dataclass(frozen=True)
class Exp(Elemwise):
    """e ** x; d/dx = exp(x)."""
    ufunc, allowed_kinds = "exp", "biufc"
    nin, scalar_name, output_kind, c_template = 1, "exp", "float", "exp({0})"

    def grad(self, inputs, outputs, grads):
        return [grads[0] * outputs[0]]


@dataclass(frozen=True)
class Log(Elemwise):
    """Natural logarithm; d/dx = 1/x."""
    ufunc, allowed_kinds = "log", "biufc"
    nin, scalar_name, output_kind, c_template = 1, "log", "float", "log({0})"

    def grad(self, inputs, outputs, grads):
        return [grads[0] / inputs[0]]


@dataclass(frozen=True)
class Log1p(Elemwise):
    """log(1 + x), accurate for small x; d/dx = 1/(1+x)."""
    ufunc, allowed_kinds = "log1p", "biufc"
    nin, scalar_name, output_kind, c_template = 1, "log1p", "float", "log1p({0})"

    def grad(self, inputs, outputs, grads):
        return [grads[0] / (1 + inputs[0])]


@dataclass(frozen=True)
class Expm1(Elemwise):
    """exp(x) - 1, accurate for small x; d/dx = exp(x)."""
    ufunc, allowed_kinds = "expm1", "biufc"
    nin, scalar_name, output_kind, c_template = 1, "expm1", "float", "expm1({0})"

    def grad(self, inputs, outputs, grads):
        return [grads[0] * (outputs[0] + 1)]


@dataclass(frozen=True)
class Sqrt(Elemwise):
    """Square root; d/dx = 1 / (2 sqrt(x))."""
    ufunc, allowed_kinds = "sqrt", "biufc"
    nin, scalar_name, output_kind, c_template = 1, "sqrt", "float", "sqrt({0})"

    def grad(self, inputs, outputs, grads):
        return [grads[0] / (2 * outputs[0])]


@dataclass(frozen=True)
class Sqr(Elemwise):
    """x * x; d/dx = 2x."""
    ufunc = "square"
    nin, scalar_name, allowed_kinds, c_template = 1, "sqr", "iufc", "({0} * {0})"

    def grad(self, inputs, outputs, grads):
        return [grads[0] * 2 * inputs[0]]


@dataclass(frozen=True)
class Tanh(Elemwise):
    """Hyperbolic tangent; d/dx = 1 - tanh(x)**2."""
    ufunc, allowed_kinds = "tanh", "biufc"
    nin, scalar_name, output_kind, c_template = 1, "tanh", "float", "tanh({0})"

    def grad(self, inputs, outputs, grads):
        return [grads[0] * (1 - sqr(outputs[0]))]


@dataclass(frozen=True)
class Sin(Elemwise):
    """Sine; d/dx = cos(x)."""
    ufunc, allowed_kinds = "sin", "biufc"
    nin, scalar_name, output_kind, c_template = 1, "sin", "float", "sin({0})"

    def grad(self, inputs, outputs, grads):
        return [grads[0] * cos(inputs[0])]


@dataclass(frozen=True)
class Cos(Elemwise):
    """Cosine; d/dx = -sin(x)."""
    ufunc, allowed_kinds = "cos", "biufc"
    nin, scalar_name, output_kind, c_template = 1, "cos", "float", "cos({0})"

    def grad(self, inputs, outputs, grads):
        return [-grads[0] * sin(inputs[0])]


# --- comparisons and logic: boolean results, no gradient ----------------------------------

@dataclass(frozen=True)
class Comparison(Elemwise):
    """Base of the comparisons: a bool result and a gradient that is zero almost everywhere."""
    nin, output_kind = 2, "bool"

    def grad(self, inputs, outputs, grads):
        return [None, None]


def _comparison(class_name, name, symbol, ufunc, allowed_kinds="biuf"):
    doc = f"x {symbol} y elementwise, as bool."
    attributes = dict(scalar_name=name, symbol=symbol, ufunc=ufunc, c_template=f"({{0}} {symbol} {{1}})", __doc__=doc,
                      allowed_kinds=allowed_kinds)
    return dataclass(frozen=True)(type(class_name, (Comparison,), attributes))


LT = _comparison("LT", "lt", "<", "less")
GT = _comparison("GT", "gt", ">", "greater")
LE = _comparison("LE", "le", "<=", "less_equal")
GE = _comparison("GE", "ge", ">=", "greater_equal")
EQ = _comparison("EQ", "eq", "==", "equal", "biufc")  # complex numbers are equal or not, never ordered
NEQ = _comparison("NEQ", "neq", "!=", "not_equal", "biufc")


@dataclass(frozen=True)
class And(Elemwise):
    """x & y: logical for bools, bitwise for integers."""
    ufunc = "bitwise_and"
    nin, scalar_name, symbol, allowed_kinds, c_template = 2, "and_", "&", "biu", "({0} & {1})"

    def grad(self, inputs, outputs, grads):
        return [None, None]


@dataclass(frozen=True)
class Or(Elemwise):
    """x | y: logical for bools, bitwise for integers."""
    ufunc = "bitwise_or"
    nin, scalar_name, symbol, allowed_kinds, c_template = 2, "or_", "|", "biu", "({0} | {1})"

    def grad(self, inputs, outputs, grads):
        return [None, None]


@dataclass(frozen=True)
class Invert(Elemwise):
    """~x: logical not for bools, bitwise not for integers."""
    ufunc = "invert"
    nin, scalar_name, symbol, allowed_kinds = 1, "invert", "~", "biu"

    def grad(self, inputs, outputs, grads):
        return [None]

    def c_expr(self, args, dtype):
        return f"(!{args[0]})" if dtype == "bool" else f"(~{args[0]})"


# --- selection, filling and casting --------------------------------------------------------

@dataclass(frozen=True)
class Switch(Elemwise):
    """Where ``condition`` is true take ``x``, elsewhere ``y``; gradients follow the choice."""
    nin, scalar_name, c_template, allowed_kinds = 3, "switch", "({0} ? {1} : {2})", "biufc"
    returns_new_array = True

    def impl(self, xp, condition, x, y):
        return xp.where(condition, x, y)

    def _compute(self, xp, overwrite):
        return xp.where  # called directly, with no Python function in between

    def grad(self, inputs, outputs, grads):
        condition, g = inputs[0], grads[0]
        return [None, switch(condition, g, 0), switch(condition, 0, g)]


@dataclass(frozen=True)
class Fill(Elemwise):
    """``value`` repeated to the broadcast shape of ``model`` and ``value`` (Theano's ``second``)."""
    nin, scalar_name, c_template, allowed_kinds = 2, "second", "{1}", "biufc"

    def output_dtype(self, inputs):
        return inputs[1].dtype  # the model lends only its shape

    def impl(self, xp, model, value):
        out = xp.empty(xp.broadcast_shapes(model.shape, value.shape), dtype=value.dtype)
        out[...] = value
        return out

    def grad(self, inputs, outputs, grads):
        return [None, grads[0]]


@dataclass(frozen=True)
class Cast(Elemwise):
    """x converted to ``dtype``; the gradient is converted back. A complex x converts only to a
    complex dtype: which real number stands for it is for ``real``, ``imag``, ``abs`` or
    ``angle`` to say (Theano's rule)."""
    dtype: str
    nin, allowed_kinds = 1, "biufc"

    def make_node(self, x):
        x = as_tensor_variable(x)
        if is_complex(x.dtype) and not is_complex(self.dtype):
            raise TypeError(f"casting {x} from {x.dtype} to {self.dtype} is ambiguous: "
                            f"take real(), imag(), abs() or angle() of it{x.made_at()}")
        return super().make_node(x)

    @property
    def scalar_name(self):
        return f"Cast{{{self.dtype}}}"

    def output_dtype(self, inputs):
        return self.dtype

    def impl(self, xp, x):
        return x.astype(self.dtype)

    def grad(self, inputs, outputs, grads):
        return [grads[0]]

    def c_expr(self, args, dtype):
        return f"minitensor_cast<{C_TYPES[self.dtype]}>({args[0]})"  # NaN and inf as NumPy casts them


def cast(x, dtype):
    """``x`` as ``dtype`` (a no-op, returning ``x``, when it already has it)."""
    x = as_tensor_variable(x)
    dtype = dtype_name(dtype)
    return x if x.dtype == dtype else Cast(dtype)(x)


add, sub, mul, true_div, int_div, neg = Add(), Sub(), Mul(), TrueDiv(), IntDiv(), Neg()
pow, abs_, sgn, maximum, minimum, clip = Pow(), Abs(), Sgn(), Maximum(), Minimum(), Clip()
exp, log, log1p, expm1, sqrt, sqr = Exp(), Log(), Log1p(), Expm1(), Sqrt(), Sqr()
tanh, sin, cos = Tanh(), Sin(), Cos()
lt, gt, le, ge, eq, neq = LT(), GT(), LE(), GE(), EQ(), NEQ()
and_, or_, invert = And(), Or(), Invert()
switch, fill, second = Switch(), Fill(), Fill()


def zeros_like(x, dtype=None):
    """Zeros with the shape of ``x`` (and its dtype unless ``dtype`` is given)."""
    x = as_tensor_variable(x)
    return fill(x, constant(0, dtype=dtype or x.dtype))


def ones_like(x, dtype=None):
    """Ones with the shape of ``x`` (and its dtype unless ``dtype`` is given)."""
    x = as_tensor_variable(x)
    return fill(x, constant(1, dtype=dtype or x.dtype))
