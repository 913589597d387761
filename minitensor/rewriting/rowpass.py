"""One pass over a matrix: the gradient of a generalized linear model reads X once.

The gradient of every generalized linear model, the tutorial's logistic regression
included, is three nodes after fusion::

    z = dot(X, w)                  # reads X
    g, ... = Composite(z, y, ...)  # elementwise work on z and other per-row values
    gw = dot(X.T, g)               # reads X again

At large N, X does not fit in the cache, and the step's time is twice the time of
reading X from memory. ``RowPass`` computes the three in one loop over X's rows: for
row i, ``z_i = X_i . w``, the fused node at i, and ``gw += g_i X_i`` while ``X_i`` is
still in the cache. The fusion phase makes it (``row_passes``) where the backend runs
it as one loop (the C linker: ``backends/c.py``); below ``SWITCH_BYTES`` of X, which
fits in the cache, BLAS's two products are faster and the node runs as the three it
replaced. It shows in the rewrite log and in pictures as one node.
"""

from dataclasses import dataclass

from minitensor.graph import Apply, Op, toposort
from minitensor.rewriting.engine import Rewrite
from minitensor.rewriting.fusion import Composite
from minitensor.tensor.linalg import Dot
from minitensor.tensor.shape_ops import DimShuffle
from minitensor.tensor.type import TensorType

SWITCH_BYTES = 16 << 20
"""Below this size of X, the node runs as two BLAS products around the fused loop, which
are faster while X fits in the cache. ``python -m benchmarks.row_pass`` measures where one
pass starts to win (float32, 784 features) and writes docs/row_pass.md: on this project's
2-core machine, between 12.5 MB (4,000 rows: one pass 1.32x hand-written NumPy, BLAS 1.10x)
and 31 MB (10,000 rows: 0.55x and 1.03x); at 100,000 rows one pass is 0.45x."""


@dataclass(frozen=True, eq=False)
class RowPass(Op):
    """``dot(X, w)``, the fused node ``composite`` reading it as input ``z_position``, and
    ``dot(X.T, g)`` of its output ``g_position``, as one node. Inputs: X, w, then the
    composite's other inputs in order; outputs: the composite's, then ``X.T . g``.

    Equality is identity, as for Composite."""

    composite: Composite
    z_position: int
    g_position: int

    def make_node(self, x, w, *others):
        if len(others) != len(self.composite.inputs) - 1:
            raise TypeError(f"{self} takes X, w and {len(self.composite.inputs) - 1} more inputs, got "
                            f"{2 + len(others)}")
        outputs = [o.type() for o in self.composite.outputs] + [TensorType(x.dtype, w.broadcastable)()]
        return Apply(self, [x, w, *others], outputs)

    def arguments(self, z, others):
        """The composite's inputs: ``others`` with ``z`` in its place."""
        return (*others[:self.z_position], z, *others[self.z_position:])

    def impl(self, xp, x, w, *others):
        results = self.composite.impl(xp, *self.arguments(xp.dot(x, w), others))
        results = results if isinstance(results, tuple) else (results,)
        return (*results, xp.dot(x.T, results[self.g_position]))

    def grad(self, inputs, outputs, output_grads):
        """The gradient of the three nodes it stands for (it is made after ``grad`` runs)."""
        from minitensor.gradient import grad  # gradient imports the ops; this runs later
        from minitensor.graph import clone_replace
        from minitensor.tensor.elemwise import add
        from minitensor.tensor.linalg import dot
        from minitensor.tensor.reduction import sum as reduce_sum
        x, w, *others = inputs
        placeholders = dict(zip(self.composite.inputs, self.arguments(dot(x, w), others)))
        results = clone_replace(list(self.composite.outputs), placeholders)
        results.append(dot(x.T, results[self.g_position]))
        cost = add(*[reduce_sum(r * g) for r, g in zip(results, output_grads)])
        return grad(cost, list(inputs), consider_constant=output_grads, disconnected_inputs="ignore")

    def __str__(self):
        return f"RowPass{{z=dot(X, w); {self.composite}; dot(X.T, out{self.g_position})}}"


def row_passes(outputs):
    """``outputs`` with each (dot(X, w), fused node, dot(X.T, g)) made one ``RowPass``, and
    the log of the rewrites made. Only for float32 and float64, a vector w, a fused node
    whose every input and output is a vector, and a z that nothing else reads."""
    order = toposort(outputs)
    readers = {}
    for node in order:
        for var in node.inputs:
            readers.setdefault(var, []).append(node)
    for var in outputs:
        readers.setdefault(var, []).append(None)
    plans = {}  # the fused node -> (the first dot, the second dot, z's position, g's position)
    for node in order:
        plan = _match(node, readers)
        if plan is not None and plan[0] not in plans:
            plans[plan[0]] = plan[1:]
    if not plans:
        return outputs, []
    new, log, skipped = {}, [], set()
    for node in order:
        if node in skipped:
            continue
        if node in plans:
            first, second, z_position, g_position = plans[node]
            x, w = (new.get(v, v) for v in first.inputs)
            others = [new.get(v, v) for k, v in enumerate(node.inputs) if k != z_position]
            row_pass = RowPass(node.op, z_position, g_position).make_node(x, w, *others)
            row_pass.creation_site = second.creation_site
            new.update(zip(node.outputs + second.outputs, row_pass.outputs))
            # One entry per row pass: the fused node's outputs are the same values, renamed.
            log.append(Rewrite("fusion", "row_pass", second.outputs[0], row_pass.outputs[-1]))
            skipped.add(second)
            continue
        rebuilt = node.with_inputs([new.get(i, i) for i in node.inputs])
        new.update((old, out) for old, out in zip(node.outputs, rebuilt.outputs) if old is not out)
    return [new.get(o, o) for o in outputs], log


def _match(node, readers):
    """(fused node, dot(X, w), this dot(X.T, g), z's position, g's position) if ``node`` is
    the second product of a row pass, else None."""
    if not isinstance(node.op, Dot) or node.outputs[0].ndim != 1:
        return None
    transposed, g = node.inputs
    if (transposed.owner is None or not isinstance(transposed.owner.op, DimShuffle)
            or transposed.owner.op.new_order != (1, 0) or g.owner is None
            or not isinstance(g.owner.op, Composite)):
        return None
    x, fused = transposed.owner.inputs[0], g.owner
    if x.dtype not in ("float32", "float64") or any(v.ndim != 1 or v.broadcastable != (False,)
                                                    for v in fused.outputs):
        return None
    for z_position, z in enumerate(fused.inputs):
        first = z.owner
        if (first is not None and isinstance(first.op, Dot) and first.inputs[0] is x
                and first.inputs[1].ndim == 1 and first.inputs[1].dtype == x.dtype == z.dtype == g.dtype
                and readers[z] == [fused] and fused.inputs.count(z) == 1
                and all(v.ndim == 1 for v in fused.inputs)):
            return fused, first, node, z_position, fused.outputs.index(g)
    return None
