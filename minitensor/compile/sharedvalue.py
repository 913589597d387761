"""Shared variables: symbolic variables with a value that persists between calls.

A compiled function reads a shared variable's current value when it runs, and
its ``updates`` (and the variables' ``default_update``) assign new values after a
call succeeds.

A shared variable pickles with its value as a NumPy array, wherever the value
lives, so a model saved from a GPU run loads on a machine without CuPy.
"""

import numpy as np

from minitensor.graph import Variable
from minitensor.tensor.type import TensorType
from minitensor.tensor.variable import _TensorOperators


class SharedVariable(_TensorOperators, Variable):
    """A tensor variable whose value lives in the variable itself.

    ``default_update``, when set to an expression, is the update that every
    function reading this variable applies unless told otherwise (a random
    stream's state uses it to advance after each draw).
    """

    default_update = None

    def __init__(self, type, value, name=None, strict=False, allow_downcast=None):
        super().__init__(type, name=name)
        self._strict, self._allow_downcast = strict, allow_downcast
        self._value = value

    def get_value(self, borrow=False):
        """The current value; a copy unless ``borrow`` is True."""
        return self._value if borrow else self._value.copy()

    def set_value(self, value, borrow=False):
        """Store ``value``, converted to this variable's type; copied unless ``borrow`` is True."""
        self._value = self._filter(value, copy=not borrow)

    def __getstate__(self):
        state = super().__getstate__()
        state["_value"] = to_host(self._value)
        return state

    def _filter(self, value, copy):
        try:
            filtered = self.type.filter(value, strict=self._strict, allow_downcast=self._allow_downcast)
        except TypeError as error:
            raise TypeError(f"bad value for shared variable {self.describe()}: {error}{self.made_at()}") from None
        return filtered.copy() if copy and filtered is value else filtered


def to_host(value):
    """``value`` as a NumPy array: a GPU array (CuPy's, which has ``get()``) is copied to host memory."""
    if isinstance(value, np.ndarray):
        return value
    return np.asarray(value.get() if hasattr(value, "get") else value)


def shared(value, name=None, borrow=False, strict=False, allow_downcast=None):
    """A shared variable holding ``value`` (copied unless ``borrow`` is True).

    Python ints and floats make 0-d int64 and float64 variables; arrays keep their
    dtype, and no dimension is broadcastable, because the value may be replaced
    by one of another shape.
    """
    if isinstance(value, Variable):
        raise TypeError(f"shared takes a value, not the symbolic variable {value}")
    array = value if borrow and isinstance(value, np.ndarray) else np.array(value)
    if array.dtype == object:
        raise TypeError(f"shared cannot hold a {type(value).__name__}: expected a number or an array")
    return SharedVariable(TensorType(array.dtype, (False,) * array.ndim), array,
                          name=name, strict=strict, allow_downcast=allow_downcast)
