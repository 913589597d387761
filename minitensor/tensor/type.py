"""``TensorType``: a dtype and a broadcastable pattern; and the variable constructors.

A broadcastable dimension always has length 1, and only those dimensions
broadcast against others. ``T.matrix`` has pattern ``(False, False)``, ``T.row``
``(True, False)``. Knowing this statically lets the grad engine undo broadcasting
exactly, and lets a size mismatch be an error rather than a silent broadcast.
"""

import functools

import numpy as np

from minitensor.backends import is_device_array
from minitensor.configuration import config
from minitensor.graph import Type

SUPPORTED_DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                    "uint64", "float16", "float32", "float64", "complex64", "complex128")
_PATTERN_NAMES = {(): "scalar", (False,): "vector", (False, False): "matrix",
                  (True, False): "row", (False, True): "col"}


@functools.lru_cache(maxsize=None)
def dtype_name(dtype):
    """The canonical name of ``dtype`` ('float64' for np.float64, float, 'f8' ...)."""
    try:
        return np.dtype(dtype).name
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}; supported: {', '.join(SUPPORTED_DTYPES)}") from None


@functools.lru_cache(maxsize=None)
def dtype_kind(dtype):
    """NumPy's one-letter kind: 'b' bool, 'i' signed, 'u' unsigned, 'f' float, 'c' complex."""
    return np.dtype(dtype).kind


def is_float(dtype):
    return dtype_kind(dtype) == "f"


def is_complex(dtype):
    return dtype_kind(dtype) == "c"


def is_continuous(dtype):
    """Whether values of ``dtype`` have gradients: floats and complex numbers (Theano's word)."""
    return dtype_kind(dtype) in "fc"


def real_dtype(dtype):
    """The dtype of the real and imaginary parts of ``dtype`` (float32 for complex64); ``dtype``
    itself when it is not complex."""
    return {"complex64": "float32", "complex128": "float64"}.get(dtype_name(dtype), dtype_name(dtype))


class TensorType(Type):
    """The type of an n-dimensional array of one dtype.

    >>> TensorType('float64', (False, False))
    TensorType(float64, matrix)
    """

    def __init__(self, dtype, broadcastable):
        dtype = dtype_name(dtype)
        if dtype not in SUPPORTED_DTYPES:
            raise TypeError(f"unsupported dtype {dtype!r}; supported: {', '.join(SUPPORTED_DTYPES)}")
        self.dtype = dtype
        self.broadcastable = tuple(bool(b) for b in broadcastable)

    @property
    def ndim(self):
        return len(self.broadcastable)

    @property
    def variable_class(self):
        from minitensor.tensor.variable import TensorVariable
        return TensorVariable

    def __eq__(self, other):
        return (type(other) is type(self) and other.dtype == self.dtype
                and other.broadcastable == self.broadcastable)

    def __hash__(self):
        return hash((self.dtype, self.broadcastable))

    def __repr__(self):
        pattern = _PATTERN_NAMES.get(self.broadcastable, self.broadcastable)
        return f"TensorType({self.dtype}, {pattern})"

    def accepts(self, other):
        """Whether every value of type ``other`` is also a value of this type."""
        return (other.dtype == self.dtype and other.ndim == self.ndim
                and all(o or not s for s, o in zip(self.broadcastable, other.broadcastable)))

    def filter(self, value, strict=False, allow_downcast=None, downcast_option="allow_input_downcast=True"):
        """``value`` as an ndarray of this type, or TypeError saying why it is not one.

        As in Theano: with ``strict`` only an ndarray of the exact dtype passes;
        with ``allow_downcast`` anything is cast; by default an array converts only
        to a dtype that holds all its values (an upcast), a Python float converts
        to ``floatX``, and lists and numbers convert when no value changes.
        ``downcast_option`` is what a refusal advises passing to allow a downcast.
        """
        if type(value) is not np.ndarray and isinstance(value, np.ndarray):
            # np.matrix and masked arrays become plain arrays, as in Theano: a matrix would
            # keep two dimensions through a sum, and a mask is not part of the value.
            value = np.asarray(value)
        if is_device_array(value):  # checked on the GPU, by its metadata: nothing is copied
            value = self._convert_on_device(value, strict, allow_downcast, downcast_option)
        elif not (isinstance(value, np.ndarray) and value.dtype == self.dtype):
            value = self._convert(value, strict, allow_downcast, downcast_option)
        if value.ndim != self.ndim:
            raise TypeError(f"expected {self.ndim} dimensions, got {value.ndim} (shape {value.shape})")
        for axis, (size, broadcastable) in enumerate(zip(value.shape, self.broadcastable)):
            if broadcastable and size != 1:
                raise TypeError(f"dimension {axis} is broadcastable so must have length 1, "
                                f"got shape {value.shape}")
        return value

    def _convert_on_device(self, value, strict, allow_downcast, downcast_option):
        if value.dtype == self.dtype:
            return value
        if strict:
            raise TypeError(f"expected an ndarray of dtype {self.dtype} (strict), got {describe_value(value)}")
        if allow_downcast or np.can_cast(value.dtype, self.dtype, "safe"):
            return value.astype(self.dtype)
        raise TypeError(f"{self.dtype} cannot store a value of dtype {value.dtype} without "
                        f"risking loss of precision; cast it yourself or pass {downcast_option}")

    def _convert(self, value, strict, allow_downcast, downcast_option):
        if strict:
            raise TypeError(f"expected an ndarray of dtype {self.dtype} (strict), got {describe_value(value)}")
        if allow_downcast:
            try:
                with np.errstate(invalid="raise"):  # NaN or an infinity to an integer has no value
                    return np.asarray(value, dtype=self.dtype)
            except (ValueError, TypeError, OverflowError, FloatingPointError) as error:
                raise TypeError(f"cannot convert {describe_value(value)} to {self.dtype}: {error}") from None
        if isinstance(value, np.ndarray):
            if np.can_cast(value.dtype, self.dtype, "safe"):
                return value.astype(self.dtype)
            raise TypeError(f"{self.dtype} cannot store a value of dtype {value.dtype} without "
                            f"risking loss of precision; cast it yourself or pass "
                            f"{downcast_option}")
        if allow_downcast is None and type(value) is float and self.dtype == config.floatX:
            return np.asarray(value, dtype=self.dtype)
        try:
            converted = np.asarray(value, dtype=self.dtype)
            original = np.asarray(value)
        except (ValueError, TypeError, OverflowError) as error:
            raise TypeError(f"cannot convert {describe_value(value)} to {self.dtype}: {error}") from None
        if original.shape != converted.shape or not np.array_equal(original, converted, equal_nan=is_float(self.dtype) and original.dtype.kind == "f"):
            raise TypeError(f"{describe_value(value)} cannot be stored as {self.dtype} without changing "
                            f"its values; cast it yourself or pass {downcast_option}")
        return converted


def describe_value(value):
    """A few words on what a user passed, for error messages."""
    if isinstance(value, np.ndarray):
        return f"an ndarray of dtype {value.dtype} and shape {value.shape}"
    if is_device_array(value):
        return f"a GPU array of dtype {value.dtype} and shape {value.shape}"
    if isinstance(value, (list, tuple)):  # np.ndim would fail on a ragged one
        return f"a {type(value).__name__} of length {len(value)}"
    return f"a {type(value).__name__} ({value!r})" if np.ndim(value) == 0 else f"a {type(value).__name__}"


# --- constructors, as in Theano ------------------------------------------------------------

def tensor(dtype=None, broadcastable=(), name=None):
    """A new symbolic variable of type ``TensorType(dtype or floatX, broadcastable)``."""
    return TensorType(dtype or config.floatX, broadcastable)(name)


def _constructor(pattern, kind):
    def make(name=None, dtype=None):
        return TensorType(dtype or config.floatX, pattern)(name)
    make.__name__ = kind
    make.__doc__ = f"A symbolic {kind} (broadcastable pattern {pattern}) of dtype ``dtype`` or floatX."
    return make


_PATTERNS = {"scalar": (), "vector": (False,), "matrix": (False, False), "row": (True, False),
             "col": (False, True), "tensor3": (False,) * 3, "tensor4": (False,) * 4}

scalar, vector, matrix, row, col, tensor3, tensor4 = (
    _constructor(pattern, kind) for kind, pattern in _PATTERNS.items())


def _plural(make_one):
    """``matrices('a', 'b')``, ``matrices(2)`` or ``matrices('ab')``: several variables at once, as in
    Theano, where one string names one variable per character."""
    def make_many(*names, **kwargs):
        if len(names) == 1 and isinstance(names[0], int):
            names = (None,) * names[0]
        elif len(names) == 1 and isinstance(names[0], str):
            names = tuple(names[0])
        made = [make_one(name, **kwargs) for name in names]
        return made[0] if len(made) == 1 else made
    return make_many


def _plural_name(kind):
    return "matrices" if kind == "matrix" else kind + "s"


scalars, vectors, matrices, rows, cols, tensor3s, tensor4s = (
    _plural(make) for make in (scalar, vector, matrix, row, col, tensor3, tensor4))

# Typed instances, as in Theano: ``T.dmatrix`` is a TensorType; calling it makes a variable.
_PREFIXES = {"b": "int8", "w": "int16", "i": "int32", "l": "int64", "f": "float32", "d": "float64",
             "c": "complex64", "z": "complex128"}
TYPED = {prefix + kind: TensorType(dtype, pattern)
         for prefix, dtype in _PREFIXES.items() for kind, pattern in _PATTERNS.items()}
TYPED_PLURALS = {prefix + _plural_name(kind): _plural(TYPED[prefix + kind])
                 for prefix in _PREFIXES for kind in _PATTERNS}
