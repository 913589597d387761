"""``function``: compile inputs, outputs, updates and givens into a callable ``Function``.

Compilation checks everything that can be checked before any data is seen
(types of updates and givens, unused and missing inputs), so that a call only
checks its arguments, runs the program, and then assigns the updates. Updates
are assigned after every output and new value has been computed: a call that
raises leaves every shared variable as it was.
"""

import warnings

import numpy as np

from minitensor.compile.executor import Program
from minitensor.compile.sharedvalue import SharedVariable
from minitensor.configuration import config
from minitensor.graph import Constant, Variable, ancestors, clone_replace
from minitensor.rewriting import STABILIZE, rewrite_graph
from minitensor.tensor.type import describe_value
from minitensor.tensor.variable import as_tensor_variable, constant

MODES = (None, "FAST_RUN", "FAST_COMPILE")


class UnusedInputError(ValueError):
    """An input that no output or update depends on (see ``on_unused_input``)."""


def function(inputs, outputs=None, updates=None, givens=None, allow_input_downcast=None,
             on_unused_input="raise", name=None, mode=None):
    """Compile a callable computing ``outputs`` from ``inputs``, as ``theano.function`` does.

    ``outputs`` is a variable (the call returns one array) or a list (it returns a
    list). ``updates`` pairs shared variables with expressions of their new values;
    ``givens`` pairs variables with replacements of the same type.
    """
    return Function(inputs, outputs, updates, givens, allow_input_downcast, on_unused_input, name, mode)


class Function:
    """A compiled function; call it with one value per input, by position or by name."""

    def __init__(self, inputs, outputs, updates, givens, allow_input_downcast, on_unused_input, name, mode):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if on_unused_input not in ("raise", "warn", "ignore"):
            raise ValueError(f"on_unused_input must be 'raise', 'warn' or 'ignore', got {on_unused_input!r}")
        self.name = name
        self._title = f"function {name!r}" if name else "the function"  # for error messages
        self.allow_input_downcast = allow_input_downcast
        self.inputs = _check_inputs(inputs)
        self.returns_list = outputs is not None and not isinstance(outputs, Variable)
        output_vars = [] if outputs is None else [as_tensor_variable(o) for o in
                                                   (outputs if self.returns_list else [outputs])]
        update_pairs = _check_updates(updates)
        replacements = _check_givens(givens)
        computed = output_vars + [value for _, value in update_pairs]
        if replacements:
            computed = clone_replace(computed, replacements)
        _check_unused(self.inputs, computed, on_unused_input)
        if mode != "FAST_COMPILE":
            computed, self.rewrites = rewrite_graph(computed, STABILIZE)
        else:
            self.rewrites = []

        self.outputs = computed[:len(output_vars)]
        self.update_targets = [target for target, _ in update_pairs]
        self.program = Program(self.inputs, computed, _array_module())
        self._copy = _needs_copy(computed)
        self._checks = [(v.type.dtype, v.type.ndim, not any(v.type.broadcastable)) for v in self.inputs]
        self._names = {v.name: i for i, v in enumerate(self.inputs) if v.name is not None}

    def __call__(self, *args, **kwargs):
        if kwargs:
            args = self._bind_names(args, kwargs)
        if len(args) != len(self.inputs):
            names = ", ".join(str(v) for v in self.inputs)
            raise TypeError(f"{self._title} takes {len(self.inputs)} inputs ({names}), got {len(args)}")
        values = []
        for position, (value, (dtype, ndim, plain)) in enumerate(zip(args, self._checks)):
            # The common case, an ndarray of the right dtype and rank, costs these few tests.
            if not (type(value) is np.ndarray and value.dtype == dtype and value.ndim == ndim and plain):
                value = self._convert(position, value)
            values.append(value)
        results = self.program.run(values)
        for index in self._copy:
            results[index] = results[index].copy()
        count = len(self.outputs)
        for target, value in zip(self.update_targets, results[count:]):
            target._value = np.asarray(value)  # NumPy turns 0-d results into scalars
        outputs = [np.asarray(r) for r in results[:count]]
        return outputs if self.returns_list else outputs[0] if outputs else None

    def _convert(self, position, value):
        variable = self.inputs[position]
        try:
            return variable.type.filter(value, allow_downcast=self.allow_input_downcast)
        except TypeError as error:
            raise TypeError(f"bad input argument '{variable}' at position {position} (0-based) of "
                            f"{self._title}: expected {variable.type}, got {describe_value(value)}: "
                            f"{error}{variable.made_at()}") from None

    def _bind_names(self, args, kwargs):
        bound = list(args) + [_MISSING] * (len(self.inputs) - len(args))
        for key, value in kwargs.items():
            if key not in self._names:
                raise TypeError(f"{self._title} has no input named {key!r}; "
                                f"named inputs: {sorted(self._names)}")
            position = self._names[key]
            if position < len(args):
                raise TypeError(f"{self._title} got input {key!r} both by position and by name")
            bound[position] = value
        missing = [str(self.inputs[i]) for i, v in enumerate(bound) if v is _MISSING]
        if missing:
            raise TypeError(f"{self._title} is missing inputs: {', '.join(missing)}")
        return bound


_MISSING = object()


def _array_module():
    if config.device != "cpu":
        raise NotImplementedError(f"config.device={config.device!r}: this version of minitensor runs on "
                                  f"the CPU with NumPy only; set device=cpu")
    return np


def _check_inputs(inputs):
    if isinstance(inputs, Variable) or not isinstance(inputs, (list, tuple)):
        raise TypeError(f"function inputs must be a list of variables, got {inputs!r}")
    for position, var in enumerate(inputs):
        if isinstance(var, SharedVariable):
            raise TypeError(f"input {position}, shared variable {var.describe()}, cannot be an explicit "
                            f"input: its value lives in the variable; use givens to replace it{var.made_at()}")
        if isinstance(var, Constant) or not isinstance(var, Variable):
            raise TypeError(f"input {position} must be a symbolic variable such as T.matrix('x'), got {var!r}")
        if var.owner is not None:
            raise TypeError(f"input {position}, {var.describe()}, is computed by {var.owner.op}; inputs "
                            f"must be leaves of the graph (use givens to replace an intermediate value){var.made_at()}")
        if inputs.index(var) != position:
            raise ValueError(f"input {var.describe()} appears twice, at positions {inputs.index(var)} and {position}")
    return list(inputs)


def _pairs(mapping, what):
    if mapping is None:
        return []
    pairs = list(mapping.items()) if isinstance(mapping, dict) else list(mapping)
    for pair in pairs:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise TypeError(f"{what} must be a dict or a list of (variable, value) pairs, got the item {pair!r}")
    return pairs


def _check_updates(updates):
    checked, seen = [], set()
    for target, value in _pairs(updates, "updates"):
        if not isinstance(target, SharedVariable):
            raise TypeError(f"updates: {target!r} is not a shared variable; only shared variables can be updated")
        if target in seen:
            raise ValueError(f"updates: shared variable {target.describe()} is updated twice{target.made_at()}")
        seen.add(target)
        if not isinstance(value, Variable):
            # A plain value takes the shared variable's type, as in Theano: updates=[(acc, 0)].
            try:
                value = constant(target.type.filter(value))
            except TypeError as error:
                raise TypeError(f"updates: bad new value for shared variable {target.describe()}: "
                                f"{error}{target.made_at()}") from None
        value = as_tensor_variable(value)
        if not target.type.accepts(value.type):
            raise TypeError(f"updates: the new value of shared variable {target.describe()} has type "
                            f"{value.type}, but the update must have its type {target.type} "
                            f"(cast it with T.cast or .astype){target.made_at()}")
        checked.append((target, value))
    return checked


def _check_givens(givens):
    replacements = {}
    for old, new in _pairs(givens, "givens"):
        if not isinstance(old, Variable):
            raise TypeError(f"givens: {old!r} is not a variable to replace")
        new = as_tensor_variable(new)
        if not old.type.accepts(new.type):
            raise TypeError(f"givens: the replacement for {old.describe()} has type {new.type}, "
                            f"expected {old.type}{old.made_at()}")
        replacements[old] = new
    return replacements


def _check_unused(inputs, computed, on_unused_input):
    used = ancestors(computed)
    for position, var in enumerate(inputs):
        if var not in used and on_unused_input != "ignore":
            message = (f"input {position}, {var.describe()}, is not needed to compute the outputs or "
                       f"updates; pass on_unused_input='warn' or 'ignore' to allow it{var.made_at()}")
            if on_unused_input == "raise":
                raise UnusedInputError(message)
            warnings.warn(message, stacklevel=4)


def _view_root(var):
    """The variable whose memory ``var``'s value may be a view of (``var`` itself if no view op)."""
    while var.owner is not None and var.owner.op.returns_view:
        var = var.owner.inputs[0]
    return var


def _needs_copy(computed):
    """Indices of results to copy, so that no output or new shared value shares memory with
    an input, a shared value, a constant, or another result."""
    copies, roots = [], set()
    for index, var in enumerate(computed):
        root = _view_root(var)
        if root.owner is None or root in roots:
            copies.append(index)
        roots.add(root)
    return copies
