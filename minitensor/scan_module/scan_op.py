"""The ``Scan`` op: a loop whose body is a graph, run once per step.

A ``Scan`` node holds an *inner graph*, the body of the loop, built by
``theano.scan`` from the user's step function. Its outer inputs are::

    n_steps, sequences..., initial values of the recurrent outputs..., non-sequences...

and at step t (t = 0, 1, ..., n_steps - 1) the inner graph is given, in the order
of ``inner_inputs``:

* row t of each sequence (``theano.scan`` has already cut one sequence per tap
  and reversed them for ``go_backwards``, so the op only ever reads row t);
* for each recurrent output x, its values at the steps ``t + tap`` for each of
  its taps (-1 is the previous step, -2 the one before...); before step 0 these
  come from the output's initial rows: with depth d = max(-tap), the initial value
  holds d rows, x[-d], ..., x[-1];
* every non-sequence, unchanged from step to step.

The inner outputs are the recurrent outputs' new values x[t], then the *mapped*
outputs (values that are not fed back, ``outputs_info=None``), then, for a
while-loop, a scalar condition: the loop stops after the step where it is true.

The outer outputs are one per recurrent output, the stacked values x[0..n-1]
(the initial rows are not repeated), or where ``history`` is False only the last
one, x[n-1], as a stack of one row (the memory of one step instead of n: the
rewrite ``scan_last_step_only`` does this when ``x[-1]`` is all that is read, and
the row keeps the output's type, so that ``x[-1]`` reads it unchanged); then one
stacked output per mapped output.

The inner graph is compiled, with its own rewrites, when the function that
holds the node is compiled, for that function's array module. The gradient is
another ``Scan`` that runs backwards through time (see ``grad``).
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from minitensor.graph import Apply, Op, Variable
from minitensor.tensor.type import TensorType, is_float
from minitensor.tensor.variable import as_tensor_variable


@dataclass(frozen=True)
class Scan(Op):
    """A loop: ``inner_outputs`` computed from ``inner_inputs`` once per step (see the module docstring).

    ``taps[k]`` are the taps of recurrent output k (negative ints), ``history[k]``
    whether its every step is kept; ``n_mapped`` outputs follow the recurrent ones.
    ``sequence_labels`` name the sequences in error messages. Two Scans are equal
    when they hold the same inner graph (its variables compare by identity).
    """

    inner_inputs: tuple
    inner_outputs: tuple
    n_sequences: int
    taps: tuple
    history: tuple
    n_mapped: int
    as_while: bool = False
    truncate_gradient: int = -1
    mode: object = None
    name: str = None
    sequence_labels: tuple = ()
    holomorphic = False  # its gradient loop is built by the grad engine, in the complex convention

    # --- the layout of inputs and outputs --------------------------------------------------

    @property
    def n_recurrent(self):
        return len(self.taps)

    @cached_property
    def depths(self):
        """For each recurrent output, how many initial rows its taps reach back."""
        return tuple(max(-tap for tap in taps) for taps in self.taps)

    @cached_property
    def n_tap_inputs(self):
        return sum(len(taps) for taps in self.taps)

    @property
    def n_non_sequences(self):
        return len(self.inner_inputs) - self.n_sequences - self.n_tap_inputs

    def tap_inputs(self, k):
        """The inner inputs standing for recurrent output k at its taps, in the order of ``taps[k]``."""
        start = self.n_sequences + sum(len(taps) for taps in self.taps[:k])
        return self.inner_inputs[start:start + len(self.taps[k])]

    @property
    def non_sequence_inputs(self):
        return self.inner_inputs[self.n_sequences + self.n_tap_inputs:]

    @property
    def recurrent_outputs(self):
        return self.inner_outputs[:self.n_recurrent]

    @property
    def mapped_outputs(self):
        return self.inner_outputs[self.n_recurrent:self.n_recurrent + self.n_mapped]

    @property
    def condition(self):
        return self.inner_outputs[-1] if self.as_while else None

    # --- the node --------------------------------------------------------------------------

    def make_node(self, n_steps, *inputs):
        n_steps = as_tensor_variable(n_steps)
        if n_steps.ndim != 0 or np.dtype(n_steps.dtype).kind not in "iu":
            raise TypeError(f"{self}: n_steps must be an integer scalar, got {n_steps.describe()}")
        inputs = [as_tensor_variable(x) for x in inputs]
        expected = self.n_sequences + self.n_recurrent + self.n_non_sequences
        if len(inputs) != expected:
            raise TypeError(f"{self} takes n_steps and {expected} inputs, got {len(inputs)}")
        sequences = inputs[:self.n_sequences]
        initials = inputs[self.n_sequences:self.n_sequences + self.n_recurrent]
        others = inputs[self.n_sequences + self.n_recurrent:]
        for position, (outer, inner) in enumerate(zip(sequences, self.inner_inputs)):
            _check_fits(self, f"sequence {position}", outer, inner, 1)
        for k, initial in enumerate(initials):
            for inner in self.tap_inputs(k):
                _check_fits(self, f"the initial value of recurrent output {k}", initial, inner, 1)
        for position, (outer, inner) in enumerate(zip(others, self.non_sequence_inputs)):
            _check_fits(self, f"non-sequence {position}", outer, inner, 0)
        outputs = []
        for k, out in enumerate(self.recurrent_outputs):
            first_tap = self.tap_inputs(k)[0]
            broadcastable = tuple(a and b for a, b in zip(out.broadcastable, first_tap.broadcastable))
            outputs.append(TensorType(out.dtype, (False,) + broadcastable)())
        outputs += [TensorType(out.dtype, (False,) + out.broadcastable)() for out in self.mapped_outputs]
        return Apply(self, [n_steps, *inputs], outputs)

    # --- running ---------------------------------------------------------------------------

    def compiled(self, xp):
        """The inner graph compiled for the backend whose array module is ``xp`` (the outer
        function's): its ``FunctionMaker``, made once per backend."""
        from minitensor.backends import get_backend  # the compiler imports the ops
        from minitensor.compile.maker import FunctionMaker
        backend = get_backend("numpy" if xp is np else "cupy")
        if backend.name not in self._makers:
            self._makers[backend.name] = FunctionMaker(list(self.inner_inputs), list(self.inner_outputs),
                                                       self.mode, backend)
        return self._makers[backend.name]

    def host_inputs(self, node):
        return (0,)  # n_steps, which the loop's range reads

    @cached_property
    def _makers(self):
        return {}

    def body(self, xp):
        """The compiled inner graph as a function of one step's values (on the backend of ``xp``),
        returning its outputs there: on a GPU, the body keeps scalars on the host, so they cross."""
        program = self.compiled(xp).program
        if program.placement is None:
            return program.compute
        from minitensor.backends import to_host
        to_device = program.backend.to_device
        host_inputs = [program.lives_on_host(v) for v in program.inputs]
        host_outputs = [program.lives_on_host(v) for v in program.outputs]

        def compute(*args):
            results = program.compute(*[to_host(a) if h else a for a, h in zip(args, host_inputs)])
            return [to_device(r) if h else r for r, h in zip(results, host_outputs)]
        return compute

    def make_thunk(self, node, xp):
        compute = self.body(xp)  # compiled now, with the outer function
        return lambda *arrays: self.loop(xp, compute, *arrays)

    def impl(self, xp, *arrays):
        return self.loop(xp, self.body(xp), *arrays)

    def loop(self, xp, compute, n_steps, *arrays):
        """Run the loop: ``compute`` is the compiled inner graph, called once per step."""
        n = int(n_steps)
        if n < 0 and not self.sequence_labels:
            raise ValueError(f"{self}: n_steps is {n}; n_steps must not be negative")
        if n < 0:
            spans = "; ".join(dict.fromkeys(self.sequence_labels))
            raise ValueError(f"{self}: the number of steps is {n}: n_steps is negative, or a sequence is "
                             f"shorter than the span of its taps ({spans}), which a step needs whole")
        n_seq, n_rec = self.n_sequences, self.n_recurrent
        sequences, initials, others = arrays[:n_seq], arrays[n_seq:n_seq + n_rec], arrays[n_seq + n_rec:]
        for position, sequence in enumerate(sequences):
            if len(sequence) < n:
                label = self.sequence_labels[position] if self.sequence_labels else f"sequence {position}"
                raise ValueError(f"{self}: {label} has {len(sequence)} entries, fewer than the {n} steps")
        windows, histories, reads = [], [], []
        for k, initial in enumerate(initials):
            depth = self.depths[k]
            if len(initial) < depth:
                raise ValueError(f"{self}: recurrent output {k} uses taps {list(self.taps[k])}, so its initial "
                                 f"value needs {depth} rows, but it has {len(initial)}")
            windows.append([initial[len(initial) - depth + i] for i in range(depth)])
            reads.append([depth + tap for tap in self.taps[k]])
            histories.append(xp.empty((n,) + initial.shape[1:], dtype=initial.dtype) if self.history[k] else None)
        mapped = [None] * self.n_mapped
        steps = n
        for t in range(n):
            args = [sequence[t] for sequence in sequences]
            for window, positions in zip(windows, reads):
                args += [window[i] for i in positions]
            results = compute(*args, *others)
            for k, window in enumerate(windows):
                value = results[k]
                if value.shape != window[-1].shape:
                    raise ValueError(f"{self}: recurrent output {k} has shape {value.shape} at step {t}, but "
                                     f"{window[-1].shape} before it; its shape must stay the same")
                window.append(xp.asarray(value))
                del window[0]
                if histories[k] is not None:
                    histories[k][t] = value
            for m in range(self.n_mapped):
                value = results[n_rec + m]
                if mapped[m] is None:
                    mapped[m] = xp.empty((n,) + value.shape, dtype=self.mapped_outputs[m].dtype)
                mapped[m][t] = value
            if self.as_while and results[-1]:
                steps = t + 1
                break
        outputs = [history[:steps] if history is not None else window[-1][None]
                   for history, window in zip(histories, windows)]
        for m, out in enumerate(self.mapped_outputs):
            if mapped[m] is None:  # no step ran, so the shape of a step's value is unknown: zeros
                mapped[m] = xp.empty((0,) * (out.ndim + 1), dtype=out.dtype)
            outputs.append(mapped[m][:steps])
        return outputs[0] if len(outputs) == 1 else outputs

    def infer_shape(self, node, input_shapes):
        """A recurrent output is its initial value's shape with one row per step (one row in all
        where only the last is kept). A mapped output's rows have the shape of a step's value,
        and a while-loop runs a number of steps, that only running the loop tells (None)."""
        if self.as_while:
            raise NotImplementedError("a while-loop's number of steps is known only when it runs")
        n_steps, start = node.inputs[0], 1 + self.n_sequences
        initial_shapes = input_shapes[start:start + self.n_recurrent]
        recurrent = [(n_steps if kept else 1,) + tuple(shape[1:]) for shape, kept in zip(initial_shapes, self.history)]
        return recurrent + [None] * self.n_mapped

    # --- the gradient: backpropagation through time -----------------------------------------

    def grad(self, inputs, outputs, output_grads):
        from minitensor.scan_module.scan_grad import scan_grad  # the gradient builds Scans itself
        return scan_grad(self, inputs, outputs, output_grads)

    def __str__(self):
        return f"{'while' if self.as_while else 'for'}{{{self.name or 'scan_fn'}}}"


def _check_fits(op, what, outer, inner, extra_dims):
    """``outer`` (with ``extra_dims`` leading axes of steps or rows) has the inner input's dtype and rank."""
    if outer.dtype != inner.dtype or outer.ndim != inner.ndim + extra_dims:
        expected = TensorType(inner.dtype, (False,) * extra_dims + inner.broadcastable)
        raise TypeError(f"{op}: {what} has type {outer.type}, but the inner graph needs {expected}"
                        f"{outer.made_at()}")


def float_positions(variables):
    """The positions of the variables of float dtype: the ones with gradients."""
    return [k for k, v in enumerate(variables) if is_float(v.dtype)]
