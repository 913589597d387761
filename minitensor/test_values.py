"""Test values: computing a graph on example values while it is built, as Theano's debugging FAQ teaches.

With ``config.compute_test_value`` set to 'warn' or 'raise' (it is 'off' by
default), every variable given a value through ``x.tag.test_value = value`` makes
every node built from it compute its outputs' test values at once. A shape error
is then raised at the user's line that built the bad node, not later when a
compiled function runs. A node whose inputs lack test values is skipped with a
warning ('warn') or an error ('raise'); 'ignore' skips it silently. Shared
variables and constants always have their values.
"""

import warnings

import numpy as np

from minitensor.configuration import config


class Tag:
    """A variable's scratchpad (Theano's ``var.tag``): any attribute may be set on it.
    A ``test_value`` is converted to the variable's type when it is set."""

    def __init__(self, variable):
        object.__setattr__(self, "_variable", variable)

    def __setattr__(self, name, value):
        if name == "test_value":
            variable = self._variable
            try:
                value = variable.type.filter(value)
            except TypeError as error:
                raise TypeError(f"the test value of {variable.describe()} does not fit its type: {error}"
                                f"{variable.made_at()}") from None
        object.__setattr__(self, name, value)

    def __getstate__(self):
        return self.__dict__

    def __setstate__(self, state):
        self.__dict__.update(state)

    def __repr__(self):
        return f"Tag({', '.join(k for k in self.__dict__ if k != '_variable')})"


def get_test_value(var):
    """The test value of ``var``: its ``tag.test_value``, a constant's or shared variable's
    value; AttributeError if it has none."""
    from minitensor.graph import Constant
    if isinstance(var, Constant):
        return var.data
    if hasattr(var, "get_value"):
        return var.get_value(borrow=True)
    tag = var.__dict__.get("_tag")
    if tag is not None and "test_value" in tag.__dict__:
        return tag.test_value
    raise AttributeError(f"{var.describe()} has no test value; give it one with "
                         f"var.tag.test_value = value{var.made_at()}")


def compute_test_values(node):
    """Give ``node``'s outputs their test values, computed from its inputs' (see the module docstring)."""
    mode = config.compute_test_value
    if mode == "off":
        return
    values = []
    for position, var in enumerate(node.inputs):
        try:
            values.append(get_test_value(var))
        except AttributeError as error:
            if mode == "raise":
                raise ValueError(f"cannot compute the test value of {node.op}: input {position} has none. "
                                 f"{error}") from None
            if mode == "warn":
                warnings.warn(f"cannot compute the test value of {node.op}: input {position} has none",
                              stacklevel=3)
            return
    with np.errstate(all="ignore"):
        results = node.op.make_thunk(node, np)(*values)
    results = results if len(node.outputs) > 1 else (results,)
    for var, value in zip(node.outputs, results):
        var.tag.test_value = value
