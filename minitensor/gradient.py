"""Differentiation that builds graphs: ``grad``, ``Lop``, ``Rop``, ``jacobian``, ``hessian``, ``verify_grad``.

``grad`` walks the graph from the cost back to the inputs, asking each node's op
for the vector-Jacobian product of its inputs. The results are new graph nodes,
so a gradient can be compiled, printed, rewritten, or differentiated again.

Broadcasting is undone here, once, for every op: an op returns its inputs'
gradients with its output's broadcast pattern, and ``_sum_to`` sums them over
the dimensions where the input was broadcast.

Everything else is built from that one reverse walk:

* ``Lop(f, x, u)`` = u^T J, the vector-Jacobian product: the walk started at
  ``f`` with gradient ``u`` (``grad``'s ``known_grads``) instead of at a cost.
* ``Rop(f, x, v)`` = J v, the Jacobian-vector product (forward mode), by the
  double-Lop trick: ``g(u) = Lop(f, x, u) = J^T u`` is linear in ``u``, so its own
  vector-Jacobian product with ``v`` is ``(J^T)^T v = J v``. Two reverse walks
  replace a forward rule per op; ``u`` is a stand-in whose value never matters.
  Where a user's op says its own J v (Theano's ``R_op``), a forward walk asks
  each node in turn instead, using the trick only for nodes of other ops.
* ``jacobian(y, x)``: row i is ``Lop(y, x, e_i)`` for the i-th unit vector ``e_i``,
  so the Jacobian is a loop over the rows of the identity matrix (a ``scan``, see
  ``minitensor.scan_module``), as Theano's is a ``scan`` over ``arange(len(y))``.
  A y of several dimensions is flattened first, and the result reshaped to
  ``y.shape + x.shape``.
  The loop is an op like any other: its result is a variable, it compiles into
  any function, and it has a gradient (another loop).
* ``hessian(cost, x)`` is ``jacobian(grad(cost, x), x)``.
"""

import inspect
import warnings

import numpy as np

from minitensor.graph import Constant, Type, Variable, ancestors, clone_replace, toposort, user_creation_site
from minitensor.configuration import config
from minitensor.rewriting import STABILIZE, rewrite_graph
from minitensor.tensor import elemwise as E
from minitensor.tensor.construction import Eye
from minitensor.tensor.reduction import ElementCount, sum as reduce_sum
from minitensor.tensor.shape_ops import flatten, reshape, shape_entries, shape_vector, unbroadcast
from minitensor.tensor.type import TensorType, is_float
from minitensor.tensor.variable import as_tensor_variable


from minitensor.grad_modifiers import (consider_constant, disconnected_grad, grad_clip,  # noqa: E402,F401
                                       grad_scale, zero_grad)


class DisconnectedInputError(ValueError):
    """Raised by ``grad`` when the cost does not depend on a variable it was asked about."""


class GradientError(AssertionError):
    """Raised by ``verify_grad`` when a symbolic gradient disagrees with finite differences."""


class DisconnectedType(Type):
    """The type of a gradient that is zero because the output does not depend on the variable at all.

    ``grad(..., return_disconnected='Disconnected')`` and ``Rop`` return variables
    of this type where asked, as Theano does: a placeholder that says "zero, and
    structurally so", which no op accepts as an input.
    """

    variable_class = Variable

    def __str__(self):
        return "DisconnectedType"


disconnected_type = DisconnectedType()


class NullTypeGradError(TypeError):
    """Raised by ``grad`` when a gradient asked for is undefined or not implemented."""


class NullType(Type):
    """The type of a gradient that does not exist; ``why_null`` says why, naming the op.

    An op's ``grad`` returns one (through ``grad_undefined`` or ``grad_not_implemented``)
    for an input whose gradient is undefined or not written. It spreads backwards
    like any gradient, and ``grad`` raises ``NullTypeGradError`` with the reason when
    it reaches a variable whose gradient was asked for; elsewhere it does no harm.
    """

    variable_class = Variable

    def __init__(self, why_null="(no explanation given)"):
        self.why_null = why_null

    def __eq__(self, other):
        return type(other) is NullType and other.why_null == self.why_null

    def __hash__(self):
        return hash((NullType, self.why_null))

    def __str__(self):
        return "NullType"


def grad_undefined(op, x_pos, x, comment=""):
    """What ``op.grad`` returns for input ``x_pos`` (the variable ``x``) when its gradient is
    mathematically undefined: a NullType variable saying so."""
    return NullType(f"the gradient of {op} with respect to its input {x_pos} ({x}) is mathematically "
                    f"undefined. {comment}".strip())()


def grad_not_implemented(op, x_pos, x, comment=""):
    """What ``op.grad`` returns for input ``x_pos`` (the variable ``x``) whose gradient is not
    implemented: a NullType variable saying so."""
    return NullType(f"the gradient of {op} with respect to its input {x_pos} ({x}) is not "
                    f"implemented. {comment}".strip())()


def _is_null(g):
    return isinstance(g, Variable) and isinstance(g.type, NullType)


def _is_disconnected(g):
    return isinstance(g, Variable) and isinstance(g.type, DisconnectedType)


def _connected_inputs(node, output_grads):
    """For each input of ``node``, whether an output with a gradient depends on it: Theano's
    ``connection_pattern(node)`` (one list per input, of one bool per output), if the op has
    one; else every input is connected."""
    pattern = getattr(node.op, "connection_pattern", None)
    if pattern is None:
        return [True] * len(node.inputs)
    return [any(c and g is not None for c, g in zip(row, output_grads)) for row in pattern(node)]


_GRAD_ARITY = {}  # op class -> whether its grad is Theano's grad(inputs, output_grads)


def op_gradients(node, output_grads):
    """``node``'s op's gradients for its inputs, from its outputs' gradients.

    The op says them in one of three ways: this project's ``grad(inputs, outputs,
    output_grads)``, Theano's ``grad(inputs, output_grads)``, or Theano's
    ``L_op(inputs, outputs, output_grads)``.
    """
    op = node.op
    if callable(getattr(op, "L_op", None)):
        return op.L_op(node.inputs, node.outputs, output_grads)
    cls = type(op)
    if cls not in _GRAD_ARITY:
        try:
            _GRAD_ARITY[cls] = len(inspect.signature(op.grad).parameters) == 2
        except (TypeError, ValueError):
            _GRAD_ARITY[cls] = False
    if _GRAD_ARITY[cls]:
        return op.grad(node.inputs, output_grads)
    return op.grad(node.inputs, node.outputs, output_grads)

RETURN_DISCONNECTED = ("zero", "none", "disconnected")  # compared without case: Theano writes 'None'


def _check_choice(name, value, choices):
    if str(value).lower() not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return str(value).lower()


def _disconnected_result(var, return_disconnected):
    """What stands for the derivative of ``var`` that does not depend on the variable asked about."""
    if return_disconnected == "none":
        return None
    if return_disconnected == "disconnected":
        return disconnected_type()
    return E.zeros_like(var, dtype=var.dtype if is_float(var.dtype) else config.floatX)


def _report_disconnected(message, disconnected, keyword, made_at):
    """Raise ``DisconnectedInputError``, warn, or do nothing, as ``disconnected`` ('raise', 'warn', 'ignore') says."""
    if disconnected == "raise":
        raise DisconnectedInputError(f"{message}; pass {keyword}='ignore' to get zeros{made_at}")
    if disconnected == "warn":
        site = user_creation_site()  # the warning points at the user's line, not at this library
        if site is None:
            warnings.warn(message)
        else:
            warnings.warn_explicit(message, UserWarning, site.filename, site.lineno)


def grad(cost, wrt, consider_constant=None, disconnected_inputs="raise", add_names=True, known_grads=None,
         return_disconnected="zero", null_gradients="raise"):
    """The gradient of the 0-d ``cost`` with respect to ``wrt`` (a variable or a list of them).

    ``consider_constant`` variables are treated as constants: no gradient flows
    through them. A variable the cost does not depend on raises
    ``DisconnectedInputError`` unless ``disconnected_inputs`` is 'warn' or 'ignore';
    its gradient is then what ``return_disconnected`` says: 'zero' (zeros of its
    shape), 'None', or 'Disconnected' (a ``DisconnectedType`` variable), as in
    Theano. Integer-valued variables have zero gradients, except that the gradient of an
    integer cost with respect to itself is 1 (a float), as in Theano.

    ``known_grads`` maps variables to gradients known from elsewhere; the walk
    starts from them as well as from the cost, which may then be None. The result
    is the gradient of ``cost + sum(var * g)`` over the known pairs, each ``g`` held
    constant: a known gradient is added to whatever else flows into its variable.
    (Theano lets it replace what flows in instead; the two agree unless one of
    the variables the walk starts from depends on another, and only the sum is
    right for ``Lop`` of several outputs that depend on each other.)

    With ``add_names`` (the default, as in Theano) the gradient of a named ``wrt``
    by a named cost is named ``(dcost/dwrt)``. The arguments are Theano's, in its
    order; ``null_gradients`` is accepted for that and has nothing to choose here.
    """
    starts = _starting_gradients(cost, known_grads)
    results = _gradients(starts, wrt, consider_constant, disconnected_inputs, return_disconnected,
                         "grad: the cost" if cost is not None else "grad: the known_grads' variables")
    if add_names and cost is not None and getattr(cost, "name", None):
        for w, g in zip(*(([wrt], [results]) if isinstance(wrt, Variable) else (wrt, results))):
            if isinstance(g, Variable) and w.name and g.name is None and g.owner is not None:
                g.name = f"(d{cost.name}/d{w.name})"
    return results


def _gradients(starts, wrt, consider_constant, disconnected_inputs, return_disconnected, what):
    """The gradients of ``wrt`` from the reverse walk that begins at ``starts``: grad's work.

    ``what`` names the starting variables in the message about a disconnected one.
    """
    disconnected_inputs = _check_choice("disconnected_inputs", disconnected_inputs, ("raise", "warn", "ignore"))
    return_disconnected = _check_choice("return_disconnected", return_disconnected, RETURN_DISCONNECTED)
    single = isinstance(wrt, Variable)
    if not single and not isinstance(wrt, (list, tuple)):
        raise TypeError(f"grad differentiates with respect to a variable or a list of variables, got {wrt!r}")
    wrt = [wrt] if single else list(wrt)
    for w in wrt:
        if not isinstance(w, Variable):
            raise TypeError(f"grad takes variables to differentiate with respect to, got {w!r}")
    blockers = set(consider_constant or ())
    # No gradient flows back through a disconnected_grad node: the walk stops at its output.
    blockers |= {node.outputs[0] for node in toposort([var for var, _ in starts])
                 if getattr(node.op, "disconnects_gradient", False)}
    # Differentiate the stable form of the cost (log(sigmoid(x)) as -softplus(-x), ...):
    # the same function, but its gradient graph has no inf * 0 in it.
    stable, _ = rewrite_graph([var for var, _ in starts], STABILIZE, protected=set(wrt) | blockers)
    starts = [(var, _ones_for(var) if g is None else g) for var, (_, g) in zip(stable, starts)]

    grads = _backpropagate(starts, blockers, {w for w in wrt if isinstance(w, Constant)})
    connected = ancestors([var for var, _ in starts], blockers)
    results = []
    for position, w in enumerate(wrt):
        if w not in connected:
            _report_disconnected(f"{what} does not depend on {w.describe()} (position {position} of wrt)",
                                 disconnected_inputs, "disconnected_inputs", w.made_at())
            results.append(_disconnected_result(w, return_disconnected))
            continue
        g = grads.get(w)
        if _is_null(g):
            raise NullTypeGradError(f"grad: the gradient with respect to {w.describe()} cannot be computed: "
                                    f"{g.type.why_null}{w.made_at()}")
        results.append(_disconnected_result(w, "zero") if g is None else g)
    return results[0] if single else results


def _ones_for(cost):
    """The gradient of ``cost`` with respect to itself: ones, of floatX for an integer cost."""
    return E.ones_like(cost, dtype=cost.dtype if is_float(cost.dtype) else config.floatX)


def subgraph_grad(wrt, end, start=None, cost=None, details=False):
    """The gradients of ``wrt`` and of ``end`` from a part of a graph, as Theano's ``subgraph_grad``.

    ``start`` maps variables to their known gradients (``grad``'s ``known_grads``), ``cost``
    adds a cost's own; the walk stops at the ``end`` variables, whose gradients are
    returned too, so that the part below them can be differentiated next, one piece at
    a time. Returns ``(wrt_grads, end_grads)``, and with ``details`` also the gradients
    from ``start`` and from ``cost`` separately.
    """
    wrt, end = list(wrt), list(end)
    params = list(dict.fromkeys(wrt + end))
    from_start = from_cost = None
    if start:
        from_start = grad(None, params, known_grads=start, consider_constant=end, disconnected_inputs="ignore")
    if cost is not None:
        from_cost = grad(cost, params, consider_constant=end, disconnected_inputs="ignore")
    parts = [p for p in (from_start, from_cost) if p is not None]
    if not parts:
        raise TypeError("subgraph_grad needs start gradients or a cost")
    totals = dict(zip(params, parts[0] if len(parts) == 1 else [a + b for a, b in zip(*parts)]))
    wrt_grads, end_grads = [totals[v] for v in wrt], [totals[v] for v in end]
    return (wrt_grads, end_grads, from_start, from_cost) if details else (wrt_grads, end_grads)


def _starting_gradients(cost, known_grads, what="known_grads"):
    """(variable, gradient) pairs where the reverse walk starts; the cost's gradient is None, for 1.

    ``what`` names the known gradients in error messages (Lop calls them eval_points).
    """
    starts = []
    if cost is not None:
        cost = as_tensor_variable(cost)
        if cost.ndim != 0:
            raise TypeError(f"grad needs a 0-d cost, got {cost.describe()}; sum or average it first"
                            f"{cost.made_at()}")
        starts.append((cost, None))  # an integer cost too, as in Theano: its gradient is a float 1
    for var, g in (known_grads or {}).items():
        if not isinstance(var, Variable):
            raise TypeError(f"{what}: the keys must be variables, got {var!r}")
        g = as_tensor_variable(g)
        if not is_float(var.dtype) or g.ndim != var.ndim:
            raise TypeError(f"{what}: the gradient of {var.describe()} must be a float tensor with "
                            f"{var.ndim} dimensions, got {g.type}{var.made_at()}")
        starts.append((var, _sum_to(g, var)))
    if not starts:
        raise TypeError("grad needs a cost, or known_grads to start from")
    return starts


def _backpropagate(starts, blockers, wanted_constants=()):
    """Map each variable that the ``starts``, (variable, gradient) pairs, depend on to its gradient.

    Constants get gradients only when asked for, in ``wanted_constants`` (as in Theano,
    grad(one + y, one) is 1): the gradients of the others would be built for nothing.
    """
    contributions, grads = {}, {}
    for var, g in starts:
        contributions.setdefault(var, []).append(g)

    def total(var):
        if var not in grads and var in contributions:
            parts = contributions.pop(var)
            nulls = [g for g in parts if _is_null(g)]  # an undefined part makes the sum undefined
            grads[var] = nulls[0] if nulls else parts[0] if len(parts) == 1 else E.add(*parts)
        return grads.get(var)

    for node in reversed(toposort([var for var, _ in starts])):
        if any(out in blockers for out in node.outputs):
            continue
        output_grads = [total(out) for out in node.outputs]
        if all(g is None for g in output_grads):
            continue
        connected = _connected_inputs(node, output_grads)
        null = next((g for g in output_grads if _is_null(g)), None)
        if null is not None:  # no gradient flows on from an undefined one: it stays undefined
            input_grads = [null] * len(node.inputs)
        else:
            output_grads = [E.zeros_like(out) if g is None else g for out, g in zip(node.outputs, output_grads)]
            input_grads = op_gradients(node, output_grads)
        if len(input_grads) != len(node.inputs):
            raise ValueError(f"{node.op}.grad returned {len(input_grads)} gradients for {len(node.inputs)} inputs")
        for var, g, is_connected in zip(node.inputs, input_grads, connected):
            if (g is None or _is_disconnected(g) or not is_connected or not is_float(var.dtype)
                    or (isinstance(var, Constant) and var not in wanted_constants)):
                continue
            contributions.setdefault(var, []).append(g if _is_null(g) else _sum_to(g, var))
    for var in list(contributions):
        total(var)
    return grads


def _sum_to(g, var):
    """``g`` summed over the axes where ``var`` is broadcastable, and cast to ``var``'s dtype.

    Where ``g`` is broadcastable and ``var`` is not (an outer product with a vector of
    pattern (True,)), that axis is unbroadcast: a gradient has its variable's type,
    broadcastable pattern included, as in Theano.
    """
    g = as_tensor_variable(g)
    if g.ndim != var.ndim:
        raise ValueError(f"a gradient of rank {g.ndim} was computed for {var.describe()}: "
                         f"an op's grad method is wrong")
    axes = [d for d, (vb, gb) in enumerate(zip(var.broadcastable, g.broadcastable)) if vb and not gb]
    if axes:
        g = reduce_sum(g, axis=axes, keepdims=True)
    g = unbroadcast(g, *[d for d, vb in enumerate(var.broadcastable) if not vb])
    return E.cast(g, var.dtype)


def _as_list(value):
    """``value`` as a list, and whether it was a single variable (not a list or tuple)."""
    single = not isinstance(value, (list, tuple))
    return ([value] if single else list(value)), single


def Lop(f, wrt, eval_points, consider_constant=None, disconnected_inputs="raise"):
    """The vector-Jacobian product u^T J: the gradient of ``sum(f * u)``, ``u`` held constant.

    ``f`` and ``eval_points`` (the u's, each of its f's shape) are a variable each or
    lists; the result has one entry per ``wrt``, of its shape: a variable for a
    variable, a list for a list. A ``wrt`` that no ``f`` depends on raises
    ``DisconnectedInputError`` unless ``disconnected_inputs`` is 'warn' or
    'ignore'; its product is then zero.
    """
    fs, _ = _as_list(f)
    points, _ = _as_list(eval_points)
    if len(fs) != len(points):
        raise ValueError(f"Lop takes one evaluation point per output: {len(fs)} outputs, {len(points)} points")
    known = {}
    for y, u in zip(fs, points):  # an output listed twice gets the sum of its points
        known[y] = u if y not in known else known[y] + u
    starts = _starting_gradients(None, known, "Lop's eval_points")
    return _gradients(starts, wrt, consider_constant, disconnected_inputs, "zero", "Lop: f")


def Rop(f, wrt, eval_points, disconnected_outputs="raise", return_disconnected="zero"):
    """The Jacobian-vector product J v, by the double-Lop trick (see the module docstring).

    ``wrt`` and ``eval_points`` (the v's, each of its wrt's shape) are a variable each
    or lists; the result has one entry per ``f``, of its shape. An ``f`` that
    depends on no ``wrt`` raises ``DisconnectedInputError`` unless
    ``disconnected_outputs`` is 'warn' or 'ignore'; its product is then what
    ``return_disconnected`` says: 'zero' (zeros of f's shape), 'None', or
    'Disconnected' (a ``DisconnectedType`` variable), as in Theano.
    """
    fs, single = _as_list(f)
    wrts, _ = _as_list(wrt)
    points, _ = _as_list(eval_points)
    if len(wrts) != len(points):
        raise ValueError(f"Rop takes one evaluation point per wrt: {len(wrts)} wrt, {len(points)} points")
    disconnected_outputs = _check_choice("disconnected_outputs", disconnected_outputs, ("raise", "warn", "ignore"))
    return_disconnected = _check_choice("return_disconnected", return_disconnected, RETURN_DISCONNECTED)
    fs = [as_tensor_variable(y) for y in fs]
    connected = [bool(set(wrts) & ancestors([y])) for y in fs]
    for position, y in enumerate(fs):
        if not connected[position]:
            _report_disconnected(f"Rop: output {position}, {y.describe()}, depends on none of wrt",
                                 disconnected_outputs, "disconnected_outputs", y.made_at())
    if any(callable(getattr(node.op, "R_op", None)) for node in toposort(fs)):
        pushed = _forward(fs, wrts, points)  # a user's op says its own J v
    else:
        pushed = _double_lop(fs, wrts, points)
    # J v has f's shape, so it is written fill(f, J v). This also makes it depend on f's
    # inputs, as in Theano (whose R_op of dot(x, W) computes dot(0, W) + dot(x, V)), so the
    # tutorial's function([W, V, x], T.Rop(T.dot(x, W), W, V)) has no unused input.
    pushed = [E.fill(y, p) if is_connected else _disconnected_result(y, return_disconnected)
              for y, p, is_connected in zip(fs, pushed, connected)]
    return pushed[0] if single else pushed


def _double_lop(fs, wrts, points, consider_constant=None):
    """J v for each of ``fs``, by two reverse walks (the module docstring's double-Lop trick)."""
    stand_ins = [y.type() for y in fs]  # u: Lop is linear in it, so its value never matters
    pullback = Lop(fs, wrts, stand_ins, consider_constant, disconnected_inputs="ignore")  # J^T u
    pushed = Lop(pullback, stand_ins, points, disconnected_inputs="ignore")  # (J^T)^T v = J v
    # What is left of u in the graph only lends its shape; zeros of f's shape do the same.
    return clone_replace(pushed, {u: E.zeros_like(y) for u, y in zip(stand_ins, fs)})


def _forward(fs, wrts, points):
    """J v for each of ``fs`` by a forward walk, node by node: through Theano's
    ``R_op(inputs, eval_points)`` where the op has one (``eval_points`` holds None for an
    input that no ``wrt`` reaches), else by the double-Lop trick on that node alone."""
    tangents = dict(zip(wrts, points))
    for node in toposort(fs):
        ins = [tangents.get(var) for var in node.inputs]
        if all(t is None for t in ins):
            continue
        if callable(getattr(node.op, "R_op", None)):
            outs = node.op.R_op(list(node.inputs), ins)
        else:
            moved = [(var, t) for var, t in zip(node.inputs, ins) if t is not None]
            outs = _double_lop(list(node.outputs), [var for var, _ in moved], [t for _, t in moved],
                               consider_constant=node.inputs)
        for out, t in zip(node.outputs, outs):
            if t is not None:
                tangents[out] = t
    return [tangents.get(y, E.zeros_like(y)) for y in fs]


def jacobian(expression, wrt, consider_constant=None, disconnected_inputs="raise"):
    """The Jacobian of ``expression``: entry ``[i..., j...]`` is d expression[i...] / d wrt[j...].

    For each ``wrt`` (a variable or a list) the result has shape
    ``expression.shape + wrt.shape``. It is a loop over the rows of the identity
    matrix, row i giving the vector-Jacobian product of the flattened expression
    with the i-th unit vector (see the module docstring); the stacked rows are then
    reshaped. A 0-d ``expression`` gives its gradient.

    >>> import minitensor.tensor as T
    >>> x = T.dvector('x')
    >>> J = jacobian(T.outer(x, x), x)  # d(x_i x_j)/dx_k: of shape (2, 2) + (2,)
    >>> J.eval({x: [1.0, 2.0]})[1]  # the rows of d(x_1 x_j)/dx_k, for j = 0, 1
    array([[2., 1.],
           [0., 4.]])
    """
    expression = as_tensor_variable(expression)
    if expression.ndim == 0:
        return grad(expression, wrt, consider_constant, disconnected_inputs)
    wrts, single = _as_list(wrt)
    flat = flatten(expression) if expression.ndim > 1 else expression

    def row(unit):  # the vector-Jacobian product with one unit vector: Lop(flat, wrts, unit)
        starts = _starting_gradients(None, {flat: unit})
        return _gradients(starts, wrts, consider_constant, disconnected_inputs, "zero", "jacobian: the expression")

    from minitensor.scan_module import scan  # scan's front end compiles; the compiler imports this module
    rows, _ = scan(row, sequences=[Eye(flat.dtype)(ElementCount((0,))(flat))], return_list=True)
    if expression.ndim > 1:
        rows = [reshape(r, shape_vector(shape_entries(expression.shape) + shape_entries(w.shape)),
                        expression.ndim + w.ndim) for r, w in zip(rows, wrts)]
    return rows[0] if single else rows


def hessian(cost, wrt, consider_constant=None, disconnected_inputs="raise"):
    """The second derivatives of the 0-d ``cost`` with respect to each variable in ``wrt``.

    ``hessian(cost, x)`` is ``jacobian(grad(cost, x), x)``, a matrix for a vector x
    (of shape ``x.shape + x.shape`` in general); a list of ``wrt`` gives the list
    of their Hessians (the diagonal blocks of the full one), as in Theano.
    ``disconnected_inputs`` is about the cost: a gradient that does not depend on
    x (the cost is linear in x) has a Hessian of zeros, as in Theano.
    """
    wrts, single = _as_list(wrt)
    for w in wrts:
        if not isinstance(w, Variable):
            raise TypeError(f"hessian differentiates with respect to variables, got {w!r}")
    hessians = [jacobian(grad(cost, w, consider_constant, disconnected_inputs), w, consider_constant,
                         disconnected_inputs="ignore") for w in wrts]
    return hessians[0] if single else hessians


def numeric_grad(f, point, eps):
    """Central finite differences of the scalar function ``f`` at each element of each array.

    One pair of evaluations per element is what finite differences cost; this is
    a checking tool, not a way to compute gradients.
    """
    point = [np.array(p) for p in point]
    grads = []
    for x in point:
        g = np.zeros(x.shape)
        for index in np.ndindex(x.shape):
            original = x[index]
            x[index] = original + eps
            upper, step_up = float(f(*point)), x[index]
            x[index] = original - eps
            lower, step_down = float(f(*point)), x[index]
            x[index] = original
            # The steps actually taken, which rounding makes differ from eps in float32.
            g[index] = (upper - lower) / (float(step_up) - float(step_down))
        grads.append(g)
    return grads


def verify_grad(fun, pt, n_tests=2, rng=None, eps=None, abs_tol=None, rel_tol=None):
    """Check the symbolic gradient of ``fun`` at ``pt`` against finite differences.

    ``fun`` maps symbolic inputs (one per array in ``pt``, whose length-1
    dimensions are broadcastable, so broadcasting is checked too) to one
    symbolic output of any shape. The output is projected onto a random direction whose entries
    lie in [0.5, 1.5), never all ones, so that a wrong gradient cannot cancel out,
    and the gradient of that projection is compared at every element of every
    input. Raises ``GradientError`` naming the worst element when they differ.
    """
    from minitensor.compile.function import function  # the compiler imports this module

    rng = np.random.default_rng() if rng is None else rng
    pt = [np.array(p) for p in pt]
    for p in pt:
        if not is_float(p.dtype):
            raise TypeError(f"verify_grad needs float inputs, got an array of dtype {p.dtype}")
    single_precision = any(p.dtype != np.float64 for p in pt)
    eps = eps or (1e-2 if single_precision else 1e-6)
    abs_tol = abs_tol or (1e-2 if single_precision else 1e-6)
    rel_tol = rel_tol or (1e-2 if single_precision else 1e-6)

    inputs = [TensorType(p.dtype, [size == 1 for size in p.shape])(f"input{i}") for i, p in enumerate(pt)]
    output = as_tensor_variable(fun(*inputs))
    # fun may hold in-place ops; Theano's verify_grad compiles with accept_inplace too.
    output_shape = np.shape(function(inputs, output, on_unused_input="ignore", accept_inplace=True)(*pt))
    for _ in range(n_tests):
        projection = np.asarray(rng.random(output_shape) + 0.5, dtype=output.dtype)
        cost = reduce_sum(output * projection)
        cost_fn = function(inputs, cost, on_unused_input="ignore", accept_inplace=True)
        gradients = grad(cost, inputs, disconnected_inputs="ignore")
        analytic = function(inputs, gradients, on_unused_input="ignore", accept_inplace=True)(*pt)
        numeric = numeric_grad(cost_fn, pt, eps)
        for position, (a, n) in enumerate(zip(analytic, numeric)):
            _compare(position, a, n, abs_tol, rel_tol)


def _compare(position, analytic, numeric, abs_tol, rel_tol):
    abs_err = np.abs(analytic - numeric)
    rel_err = abs_err / np.maximum(np.abs(analytic) + np.abs(numeric), 1e-8)
    bad = (abs_err > abs_tol) & (rel_err > rel_tol) | ~np.isfinite(analytic)
    if bad.any():
        worst = np.unravel_index(np.argmax(np.where(bad, abs_err, -1)), abs_err.shape)
        raise GradientError(
            f"gradient of input {position} disagrees with finite differences at index "
            f"{tuple(int(i) for i in worst)}: symbolic {analytic[worst]!r}, numeric {numeric[worst]!r} "
            f"(abs error {abs_err[worst]:.3g} > {abs_tol}, rel error {rel_err[worst]:.3g} > {rel_tol}); "
            f"{int(bad.sum())} of {bad.size} elements disagree")
