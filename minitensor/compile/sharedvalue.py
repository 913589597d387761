"""Shared variables: symbolic variables with a value that persists between calls.

A compiled function reads a shared variable's current value when it runs, and
its ``updates`` (and the variables' ``default_update``) assign new values after a
call succeeds.

Under ``device=cuda`` a shared variable is made with its value on the GPU (a CuPy
array), and keeps it there: ``set_value`` takes NumPy or CuPy arrays, and
``get_value()`` returns a NumPy copy (``get_value(borrow=True)`` the GPU array
itself). Only a CuPy-backend function can read or update it. Where a value lives
is decided by the array stored, nothing else.

A shared variable pickles with its value as a NumPy array, wherever the value
lives, so a model saved from a GPU run loads on a machine without CuPy (it loads
into host memory).
"""

import numpy as np

from minitensor.backends import get_backend, is_device_array, to_host
from minitensor.configuration import config
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
        """The current value; a copy unless ``borrow`` is True (a NumPy copy of a GPU value)."""
        if borrow:
            return self._value
        return self._value.copy() if isinstance(self._value, np.ndarray) else to_host(self._value)

    def set_value(self, value, borrow=False):
        """Store ``value``, converted to this variable's type; copied unless ``borrow`` is True.
        A variable on the GPU stays there, whether ``value`` is a NumPy or a CuPy array."""
        if isinstance(self._value, np.ndarray):
            self._value = self._filter(to_host(value) if is_device_array(value) else value, copy=not borrow)
            return
        if is_device_array(value) and value.dtype == self.type.dtype and value.ndim == self.type.ndim:
            self._value = value if borrow else value.copy()  # checked on the GPU, not copied to the host
        else:
            value = to_host(value) if is_device_array(value) else value
            self._value = get_backend("cupy").to_device(self._filter(value, copy=False))

    def __getstate__(self):
        state = super().__getstate__()
        state["_value"] = to_host(self._value)
        state["_on_gpu"] = is_device_array(self._value)
        return state

    def __setstate__(self, state):
        # A value saved from the GPU goes back there where device=cuda; elsewhere it loads
        # into host memory, so a model trained on a GPU loads without CuPy.
        on_gpu = state.pop("_on_gpu", False)
        self.__dict__.update(state)
        if on_gpu and config.device != "cpu":
            self._value = get_backend().to_device(self._value)

    def _filter(self, value, copy):
        try:
            filtered = self.type.filter(value, strict=self._strict, allow_downcast=self._allow_downcast)
        except TypeError as error:
            raise TypeError(f"bad value for shared variable {self.describe()}: {error}{self.made_at()}") from None
        return filtered.copy() if copy and filtered is value else filtered


def shared(value, name=None, borrow=False, strict=False, allow_downcast=None):
    """A shared variable holding ``value`` (copied unless ``borrow`` is True).

    Python ints and floats make 0-d int64 and float64 variables; arrays keep their
    dtype, and no dimension is broadcastable, because the value may be replaced
    by one of another shape. The value lives on the GPU under ``device=cuda``, or
    when it is a GPU array already; in host memory otherwise.
    """
    if isinstance(value, Variable):
        raise TypeError(f"shared takes a value, not the symbolic variable {value}")
    if is_device_array(value):  # it stays where it is
        value = value if borrow else value.copy()
        return SharedVariable(TensorType(value.dtype.name, (False,) * value.ndim), value,
                              name=name, strict=strict, allow_downcast=allow_downcast)
    array = value if borrow and isinstance(value, np.ndarray) else np.array(value)
    if array.dtype == object:
        raise TypeError(f"shared cannot hold a {type(value).__name__}: expected a number or an array")
    if config.device != "cpu":  # the value lives on the GPU (importing CuPy, or saying why it cannot)
        array = get_backend().to_device(array)
    return SharedVariable(TensorType(array.dtype, (False,) * array.ndim), array,
                          name=name, strict=strict, allow_downcast=allow_downcast)
