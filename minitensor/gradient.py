"""Reverse-mode differentiation that builds graphs: ``grad`` and ``verify_grad``.

``grad`` walks the graph from the cost back to the inputs, asking each node's op
for the vector-Jacobian product of its inputs. The results are new graph nodes,
so a gradient can be compiled, printed, rewritten, or differentiated again.

Broadcasting is undone here, once, for every op: an op returns its inputs'
gradients with its output's broadcast pattern, and ``_sum_to`` sums them over
the dimensions where the input was broadcast.
"""

import warnings

import numpy as np

from minitensor.graph import Constant, Variable, ancestors, toposort
from minitensor.configuration import config
from minitensor.rewriting import STABILIZE, rewrite_graph
from minitensor.tensor import elemwise as E
from minitensor.tensor.reduction import sum as reduce_sum
from minitensor.tensor.type import TensorType, is_float
from minitensor.tensor.variable import as_tensor_variable


class DisconnectedInputError(ValueError):
    """Raised by ``grad`` when the cost does not depend on a variable it was asked about."""


class GradientError(AssertionError):
    """Raised by ``verify_grad`` when a symbolic gradient disagrees with finite differences."""


def grad(cost, wrt, consider_constant=None, disconnected_inputs="raise"):
    """The gradient of the 0-d ``cost`` with respect to ``wrt`` (a variable or a list of them).

    ``consider_constant`` variables are treated as constants: no gradient flows
    through them. A variable the cost does not depend on raises
    ``DisconnectedInputError`` unless ``disconnected_inputs`` is 'warn' or 'ignore',
    in which case its gradient is zero. Integer-valued variables have zero gradients.
    """
    cost = as_tensor_variable(cost)
    if cost.ndim != 0:
        raise TypeError(f"grad needs a 0-d cost, got {cost.describe()}; sum or average it first{cost.made_at()}")
    if not is_float(cost.dtype):
        raise TypeError(f"grad needs a float cost, got {cost.describe()}{cost.made_at()}")
    if disconnected_inputs not in ("raise", "warn", "ignore"):
        raise ValueError(f"disconnected_inputs must be 'raise', 'warn' or 'ignore', got {disconnected_inputs!r}")
    single = isinstance(wrt, Variable)
    wrt = [wrt] if single else list(wrt)
    for w in wrt:
        if not isinstance(w, Variable):
            raise TypeError(f"grad takes variables to differentiate with respect to, got {w!r}")
    blockers = set(consider_constant or ())
    # Differentiate the stable form of the cost (log(sigmoid(x)) as -softplus(-x), ...):
    # the same function, but its gradient graph has no inf * 0 in it.
    (cost,), _ = rewrite_graph([cost], STABILIZE, protected=set(wrt) | blockers)

    grads = _backpropagate(cost, blockers)
    connected = ancestors([cost], blockers)
    results = []
    for position, w in enumerate(wrt):
        if w not in connected:
            message = (f"grad: the cost does not depend on {w.describe()} (position {position} of wrt)")
            if disconnected_inputs == "raise":
                raise DisconnectedInputError(message + "; pass disconnected_inputs='ignore' to get zeros"
                                             + w.made_at())
            if disconnected_inputs == "warn":
                warnings.warn(message, stacklevel=2)
        g = grads.get(w)
        if g is None:
            g = E.zeros_like(w, dtype=w.dtype if is_float(w.dtype) else config.floatX)
        results.append(g)
    return results[0] if single else results


def _backpropagate(cost, blockers):
    """Map each variable that the cost depends on differentiably to its gradient."""
    contributions = {cost: [E.ones_like(cost)]}
    grads = {}

    def total(var):
        if var not in grads and var in contributions:
            parts = contributions.pop(var)
            grads[var] = parts[0] if len(parts) == 1 else E.add(*parts)
        return grads.get(var)

    for node in reversed(toposort([cost])):
        if any(out in blockers for out in node.outputs):
            continue
        output_grads = [total(out) for out in node.outputs]
        if all(g is None for g in output_grads):
            continue
        output_grads = [E.zeros_like(out) if g is None else g for out, g in zip(node.outputs, output_grads)]
        input_grads = node.op.grad(node.inputs, node.outputs, output_grads)
        if len(input_grads) != len(node.inputs):
            raise ValueError(f"{node.op}.grad returned {len(input_grads)} gradients for {len(node.inputs)} inputs")
        for var, g in zip(node.inputs, input_grads):
            if g is None or isinstance(var, Constant) or not is_float(var.dtype):
                continue
            contributions.setdefault(var, []).append(_sum_to(g, var))
    for var in list(contributions):
        total(var)
    return grads


def _sum_to(g, var):
    """``g`` summed over the axes where ``var`` is broadcastable, and cast to ``var``'s dtype."""
    g = as_tensor_variable(g)
    if g.ndim != var.ndim:
        raise ValueError(f"a gradient of rank {g.ndim} was computed for {var.describe()}: "
                         f"an op's grad method is wrong")
    axes = [d for d, (vb, gb) in enumerate(zip(var.broadcastable, g.broadcastable)) if vb and not gb]
    if axes:
        g = reduce_sum(g, axis=axes, keepdims=True)
    return E.cast(g, var.dtype)


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
    output_shape = np.shape(function(inputs, output, on_unused_input="ignore")(*pt))
    for _ in range(n_tests):
        projection = np.asarray(rng.random(output_shape) + 0.5, dtype=output.dtype)
        cost = reduce_sum(output * projection)
        cost_fn = function(inputs, cost, on_unused_input="ignore")
        gradients = grad(cost, inputs, disconnected_inputs="ignore")
        analytic = function(inputs, gradients, on_unused_input="ignore")(*pt)
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
