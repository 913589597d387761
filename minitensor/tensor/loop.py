"""Loops over rows: ``Map``, which runs a graph once per row of its inputs, and ``Eye``.

``map_rows(fn, sequences)`` is Theano's ``map`` (a ``scan`` that carries nothing
from one step to the next): ``fn`` builds a graph for one row, and the ``Map``
op evaluates that *inner graph* for row 0, 1, ... of each sequence and stacks
the results along a new first axis. The inner graph is compiled once, with the
function that contains the op.

The gradient of a loop is a loop: row i of the output depends on row i of each
sequence and on all of every other input, so the gradient is another ``Map``,
whose inner graph is the inner graph's gradient; its rows are the sequences'
gradients, and their sum over rows is the other inputs' gradient.

``minitensor.gradient.jacobian`` is a ``Map`` over the rows of an ``Eye``:
row i of a Jacobian is the vector-Jacobian product with the i-th unit vector.
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from minitensor.graph import Apply, Constant, Op, Variable, clone_replace, graph_inputs
from minitensor.tensor.type import TensorType, is_float
from minitensor.tensor.variable import as_tensor_variable


@dataclass(frozen=True)
class Map(Op):
    """out_k[i] = f_k(s_0[i], ..., s_{n-1}[i], c_0, c_1, ...) for every row i, stacked.

    ``inner_inputs`` are the inner graph's leaves: one row variable per sequence
    (the first ``n_sequences`` outer inputs), then one variable per other outer
    input ``c_j``; ``inner_outputs`` are the ``f_k``. The fields hold variables,
    which compare by identity, so two Maps are equal when they share an inner graph.
    """

    inner_inputs: tuple
    inner_outputs: tuple
    n_sequences: int

    def make_node(self, *inputs):
        inputs = [as_tensor_variable(x) for x in inputs]
        if len(inputs) != len(self.inner_inputs):
            raise TypeError(f"{self} takes {len(self.inner_inputs)} inputs, got {len(inputs)}")
        for position, (outer, inner) in enumerate(zip(inputs, self.inner_inputs)):
            if position < self.n_sequences:
                if outer.ndim == 0:
                    raise TypeError(f"{self}: sequence {position} must have rows, got {outer.type}")
                outer_type = TensorType(outer.dtype, outer.broadcastable[1:])
            else:
                outer_type = outer.type
            if not inner.type.accepts(outer_type):
                raise TypeError(f"{self}: input {position} has type {outer.type}, which does not fit "
                                f"the inner graph's {inner.type}")
        outputs = [TensorType(out.dtype, (False,) + out.broadcastable)() for out in self.inner_outputs]
        return Apply(self, inputs, outputs)

    def body(self, xp):
        """The inner graph as a function of ``inner_inputs``, compiled for the backend of
        ``xp`` (the outer function's), its results left there."""
        from minitensor.compile.function import function  # the compiler imports this module
        backend = "numpy" if xp is np else "cupy"
        if backend not in self._bodies:
            self._bodies[backend] = function(list(self.inner_inputs), list(self.inner_outputs),
                                             on_unused_input="ignore", backend=backend, device_outputs=True)
        return self._bodies[backend]

    @cached_property
    def _bodies(self):
        return {}

    def make_thunk(self, node, xp):
        self.body(xp)  # compile the inner graph now, with the outer function, not on its first call
        return super().make_thunk(node, xp)

    def impl(self, xp, *arrays):
        sequences, others = arrays[:self.n_sequences], arrays[self.n_sequences:]
        length = len(sequences[0])
        if any(len(s) != length for s in sequences):
            raise ValueError(f"{self}: the sequences have different lengths {[len(s) for s in sequences]}")
        if length == 0:
            raise ValueError(f"{self}: the sequences are empty, so the shape of a row's result is unknown")
        body = self.body(xp)
        rows = [body(*[s[i] for s in sequences], *others) for i in range(length)]
        stacked = [xp.stack([row[k] for row in rows]) for k in range(len(self.inner_outputs))]
        return stacked[0] if len(stacked) == 1 else stacked

    def grad(self, inputs, outputs, output_grads):
        from minitensor.gradient import grad  # the grad engine builds jacobians from this module
        from minitensor.tensor.reduction import sum as reduce_sum

        n = self.n_sequences
        # One inner variable per output, standing for row i of that output's gradient.
        row_grads = [out.type() for out in self.inner_outputs]
        known = {out: g for out, g in zip(self.inner_outputs, row_grads) if is_float(out.dtype)}
        wrt = [(position, v) for position, v in enumerate(self.inner_inputs) if is_float(v.dtype)]
        if not known or not wrt:
            return [None] * len(inputs)
        inner = grad(None, [v for _, v in wrt], known_grads=known, disconnected_inputs="ignore")
        backward = Map(self.inner_inputs[:n] + tuple(row_grads) + self.inner_inputs[n:], tuple(inner),
                       n + len(row_grads))
        stacked = backward(*inputs[:n], *output_grads, *inputs[n:])
        stacked = [stacked] if isinstance(stacked, Variable) else stacked
        results = [None] * len(inputs)
        for (position, _), g in zip(wrt, stacked):
            results[position] = g if position < n else reduce_sum(g, axis=0)
        return results

    def __str__(self):
        return f"Map{{{len(self.inner_outputs)} outputs, {self.n_sequences} sequences}}"


def map_rows(fn, sequences):
    """``fn(row_0, row_1, ...)`` for every row of the ``sequences``, stacked: Theano's ``map``.

    ``fn`` takes one row of each sequence and returns a variable or a list; it
    may use any other variable of the graph, which becomes an input of the loop.
    Returns a variable or a list, as ``fn`` does.

    >>> import minitensor.tensor as T
    >>> m, v = T.dmatrix('m'), T.dvector('v')
    >>> rows_dot_v = map_rows(lambda row: T.dot(row, v), [m])
    >>> rows_dot_v.eval({m: [[1, 2], [3, 4]], v: [1, 10]})
    array([21., 43.])
    """
    sequences = [as_tensor_variable(s) for s in sequences]
    rows = [TensorType(s.dtype, s.broadcastable[1:])(f"{s}[i]") for s in sequences]
    results = fn(*rows)
    single = isinstance(results, Variable)
    results = [as_tensor_variable(r) for r in ([results] if single else results)]
    # The variables fn closed over become inputs of the loop, and fresh leaves of its inner graph.
    others = [v for v in graph_inputs(results) if not isinstance(v, Constant) and v not in rows]
    stand_ins = [v.type(v.name) for v in others]
    inner_outputs = clone_replace(results, dict(zip(others, stand_ins)))
    stacked = Map(tuple(rows + stand_ins), tuple(inner_outputs), len(rows))(*sequences, *others)
    return stacked if single or isinstance(stacked, list) else [stacked]


@dataclass(frozen=True)
class Eye(Op):
    """The n-by-n identity matrix of ``dtype``: ones on the diagonal, zeros elsewhere."""

    dtype: str
    allocates = True

    def host_inputs(self, node):
        return (0,)

    def make_node(self, n):
        n = as_tensor_variable(n)
        if n.ndim != 0 or np.dtype(n.dtype).kind not in "iu":
            raise TypeError(f"eye needs an integer scalar size, got {n.type}")
        return Apply(self, [n], [TensorType(self.dtype, (False, False))()])

    def impl(self, xp, n):
        return xp.eye(int(n), dtype=self.dtype)

    def grad(self, inputs, outputs, grads):
        return [None]

    def __str__(self):
        return f"Eye{{{self.dtype}}}"
