"""Running an op written Theano's way: ``perform(node, inputs, output_storage)``.

Theano's ops compute in ``perform``: it receives the node, the input values and
one storage cell (a one-element list) per output, and writes each output into
its cell. An op here that has ``perform`` and no ``impl`` is run by the thunk
made below, which

* gives ``perform`` fresh cells on every call (so a value handed to the user is
  never overwritten by the next call);
* checks what ``perform`` wrote: a missing value, or an array of another dtype
  or rank than the output's type says, is an error naming the op and what it
  returned, since a wrong value would otherwise surface far away;
* passes ``get_params(node)`` as a fourth argument when the op has one
  (Theano's ``params_type``);
* runs on the host on every backend: such an op says ``runs_on_host`` (see
  ``Op.runs_on_host``), so on a GPU the compiler's placement plan
  (``plan_placement`` in ``minitensor/compile/executor.py``) copies its inputs to
  host memory and its outputs to the device where they are read there, as for any
  host op; the first time an op is placed so, ``warn_host_round_trip`` warns,
  naming it.
"""

import warnings

import numpy as np


class PerformError(TypeError):
    """An op's ``perform`` left an output unwritten, or wrote a value of the wrong type."""


_warned_ops = set()  # names of ops already reported as running on the host


def perform_thunk(node, xp):
    """A callable computing ``node``'s outputs (a value, or a tuple of them) through ``node.op.perform``,
    on host values (``xp`` is NumPy: the op runs on the host, see the module docstring)."""
    op = node.op
    perform = op.perform
    get_params = getattr(op, "get_params", None)
    checks = [_output_check(op, position, var) for position, var in enumerate(node.outputs)]
    several = len(node.outputs) > 1

    def thunk(*arrays):
        storage = [[None] for _ in node.outputs]
        if get_params is not None:
            perform(node, list(arrays), storage, get_params(node))
        else:
            perform(node, list(arrays), storage)
        results = [check(cell[0]) for check, cell in zip(checks, storage)]
        return tuple(results) if several else results[0]
    return thunk


def warn_host_round_trip(op):
    """Warn, once per op, that ``op`` (computing with ``perform``) runs on the host in a GPU function."""
    name = str(op)
    if name not in _warned_ops:
        _warned_ops.add(name)
        warnings.warn(f"{name} has perform() but no impl(xp, ...): in a GPU function it runs on the host, "
                      f"its inputs copied to host memory and its outputs back on every call", stacklevel=2)


def _output_check(op, position, var):
    """A function that returns ``value``, the op's output ``position``, in the form its type
    says, or raises PerformError naming the op."""
    ndim, dtype = getattr(var.type, "ndim", None), getattr(var.type, "dtype", None)

    def missing():
        return PerformError(f"{op}.perform did not write output {position} (of type {var.type}): "
                            f"it must set output_storage[{position}][0]")

    if ndim is None or dtype is None:  # a type of the user's own: its filter says what it takes
        def check(value):
            if value is None:
                raise missing()
            return value
        return check

    dtype = np.dtype(dtype)

    def check(value):
        if value is None:
            raise missing()
        if not hasattr(value, "dtype") or not hasattr(value, "ndim"):
            raise PerformError(f"{op}.perform wrote a {type(value).__name__} to output {position}, "
                               f"whose type is {var.type}: it must write an array")
        if value.dtype != dtype or value.ndim != ndim:
            raise PerformError(f"{op}.perform wrote an array of dtype {value.dtype} and {value.ndim} "
                               f"dimensions to output {position}, whose type is {var.type} "
                               f"(dtype {dtype}, {ndim} dimensions)")
        if not isinstance(value, np.ndarray):  # a NumPy scalar, as NumPy returns for 0-d results
            value = np.asarray(value)
        return value
    return check
