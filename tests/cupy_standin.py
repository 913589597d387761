"""A strict CPU stand-in for CuPy: the suite's second backend on a machine without a GPU.

``python -m pytest --backend=cupy`` runs every test under ``device=cuda``. Where CuPy
cannot reach a GPU (CI), conftest.py installs this module as ``cupy``. It is not a
second NumPy: it is as strict as CuPy where minitensor could go wrong on a GPU, and
it counts what costs time there.

What it enforces, with CuPy's own errors:

* A device array (``ndarray``) wraps a NumPy array that nothing outside this module
  sees. ``numpy.asarray(device_array)`` raises "Implicit conversion to a NumPy array
  is not allowed"; ``.get()`` and ``cupy.asnumpy`` are the way back to the host.
* A ``numpy.ndarray`` given to a ufunc, an array function or a kernel raises
  ``TypeError: Unsupported type <class 'numpy.ndarray'>`` (NumPy and Python scalars
  are fine, as in CuPy). NumPy's functions called on device arrays dispatch here, as
  CuPy's ``__array_ufunc__``/``__array_function__`` make them; mixing the two raises.
* ``ElementwiseKernel`` and ``ReductionKernel`` check each array argument's dtype
  against the declared parameter ("Type is mismatched. x0 float64 float32") and run
  their C source: it is compiled with the host's g++ (cached on disk by its text), so
  a kernel computes what its C says, not what minitensor meant.
* ``add.at`` takes the dtypes CuPy's atomic scatter-add takes, and no others.
* A view can only change the dtype (``view(StreamState)`` raises, as in CuPy).

What it counts (``counters``): ``launches`` (every ufunc, array function, reduction
and kernel that computes on device memory; a view is not one), ``syncs`` (device-to-host copies:
``get``, ``bool(x)``, ``int(x)``, ``item``...) and ``uploads`` (host-to-device
copies). Tests read them to show that a training step makes no hidden transfer.
"""

import ctypes
import functools
import hashlib
import os
import subprocess
import tempfile
import types

import numpy as np

from minitensor.backends.c import host_prelude

__version__ = "14.2.0+cpu-standin"
STANDIN = True  # tells a test which CuPy it has

counters = {"launches": 0, "syncs": 0, "uploads": 0}

_IMPLICIT = ("Implicit conversion to a NumPy array is not allowed. "
             "Please use `.get()` to construct a NumPy array explicitly.")


def reset_counters():
    for key in counters:
        counters[key] = 0


# --- the device array ----------------------------------------------------------------------

class ndarray:
    """An array in (pretend) GPU memory: a NumPy array held privately."""

    __array_priority__ = 100
    __hash__ = None

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order="C"):
        self._data = np.empty(shape, dtype, order=order)

    @property
    def __cuda_array_interface__(self):
        return {"shape": self._data.shape, "typestr": self._data.dtype.str, "version": 3,
                "data": (self._data.ctypes.data, False), "strides": self._data.strides}

    # metadata lives on the host, as in CuPy
    shape = property(lambda self: self._data.shape)
    dtype = property(lambda self: self._data.dtype)
    ndim = property(lambda self: self._data.ndim)
    size = property(lambda self: self._data.size)
    strides = property(lambda self: self._data.strides)
    itemsize = property(lambda self: self._data.itemsize)
    nbytes = property(lambda self: self._data.nbytes)
    flags = property(lambda self: self._data.flags)
    T = property(lambda self: _wrap(self._data.T))
    real = property(lambda self: _wrap(self._data.real))
    imag = property(lambda self: _wrap(self._data.imag))

    @property
    def base(self):
        return None if self._data.base is None else _wrap(self._data.base)

    def get(self, stream=None, order="C", out=None, blocking=True):
        counters["syncs"] += 1
        if out is not None:
            out[...] = self._data
            return out
        return np.array(self._data, order=order)

    def set(self, array, stream=None):
        if not isinstance(array, np.ndarray):
            raise TypeError(f"Only numpy.ndarray can be set to cupy.ndarray, got {type(array)}")
        counters["uploads"] += 1
        self._data[...] = array

    def __array__(self, dtype=None, copy=None):
        raise TypeError(_IMPLICIT)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        ours = _ufunc(ufunc.__name__)
        return getattr(ours, method)(*inputs, **kwargs) if method != "__call__" else ours(*inputs, **kwargs)

    def __array_function__(self, func, types_, args, kwargs):
        ours = globals().get(func.__name__) or _function(func.__name__)
        if ours is None:
            return NotImplemented
        return ours(*args, **kwargs)

    # --- host conversions: each is a device-to-host sync ---
    def _scalar(self):
        counters["syncs"] += 1
        if self._data.size != 1:
            raise ValueError("The truth value of an array with more than one element is ambiguous.")
        return self._data.reshape(()).item()

    def __bool__(self):
        return bool(self._scalar())

    def __int__(self):
        return int(self._scalar())

    def __float__(self):
        return float(self._scalar())

    def __complex__(self):
        return complex(self._scalar())

    def item(self, *args):
        counters["syncs"] += 1
        return self._data.item(*args)

    def tolist(self):
        counters["syncs"] += 1
        return self._data.tolist()

    def __repr__(self):
        return repr(self._data)

    def __str__(self):
        return str(self._data)

    def __len__(self):
        return len(self._data)

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[k] for k in range(len(self)))

    # --- indexing ---
    def __getitem__(self, key):
        result = _as_array(self._data[_index(key)])
        if not np.shares_memory(result, self._data):  # a view is metadata; a gather is a kernel
            counters["launches"] += 1
        return _wrap(result)

    def __setitem__(self, key, value):
        counters["launches"] += 1
        if isinstance(value, np.ndarray):  # CuPy copies a host array in
            counters["uploads"] += 1
        else:
            value = _operand(value)
        self._data[_index(key)] = value

    # --- views and copies ---
    def view(self, dtype=None, type=None):
        if type is not None or (isinstance(dtype, builtins_type) and issubclass(dtype, np.ndarray)):
            raise TypeError("cupy.ndarray.view() accepts a dtype only; it cannot make a view of another class")
        return _wrap(self._data.view(dtype) if dtype is not None else self._data.view())

    def copy(self, order="C"):
        counters["launches"] += 1
        return _wrap(self._data.copy(order=order))

    def astype(self, dtype, order="K", casting=None, subok=None, copy=True):
        counters["launches"] += 1
        return _wrap(self._data.astype(dtype, order=order, copy=copy))

    def __getattr__(self, name):
        # Other methods (reshape, sum, transpose, ...) as NumPy's, on device arrays only.
        if name.startswith("__") or not hasattr(np.ndarray, name):
            raise AttributeError(f"'cupy.ndarray' object has no attribute '{name}'")
        method = getattr(self._data, name)
        if not callable(method):
            return _wrap_result(method)

        def device_method(*args, **kwargs):
            counters["launches"] += 1
            return _wrap_result(method(*_operands(args), **_operands(kwargs)))
        return device_method


builtins_type = type


def _wrap(array):
    out = ndarray.__new__(ndarray)
    out._data = array
    return out


def _as_array(value):
    return value if isinstance(value, np.ndarray) else np.asarray(value)


def _wrap_result(value):
    """A NumPy function's result as CuPy gives it: arrays (and NumPy scalars) as device arrays."""
    if isinstance(value, (np.ndarray, np.generic)):
        return _wrap(_as_array(value))
    if isinstance(value, tuple):
        return tuple(_wrap_result(v) for v in value)
    if isinstance(value, list):
        return [_wrap_result(v) for v in value]
    return value


def _unsupported(value):
    return TypeError(f"Unsupported type {type(value)}")


def _operand(value):
    """A device array's NumPy data; scalars as they are; a host array is refused, as CuPy refuses it."""
    if isinstance(value, ndarray):
        return value._data
    if isinstance(value, np.ndarray):
        raise _unsupported(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_operand(v) for v in value)
    return value


def _operands(args):
    if isinstance(args, dict):
        return {key: _operand(value) for key, value in args.items()}
    return [_operand(a) for a in args]


def _index(key):
    """An index for NumPy: device arrays unwrapped; host index arrays are allowed (CuPy copies them in)."""
    if isinstance(key, ndarray):
        return key._data
    if isinstance(key, tuple):
        return tuple(_index(k) for k in key)
    if isinstance(key, np.ndarray):
        counters["uploads"] += 1
    return key


def _operator(name, reflected=False):
    def method(self, other):
        ufunc = _ufunc(name)
        return ufunc(other, self) if reflected else ufunc(self, other)
    return method


def _inplace(name):
    def method(self, other):
        _ufunc(name)(self, other, out=self)
        return self
    return method


for _name, _ufunc_name in [("add", "add"), ("sub", "subtract"), ("mul", "multiply"), ("truediv", "true_divide"),
                           ("floordiv", "floor_divide"), ("mod", "remainder"), ("pow", "power"),
                           ("and", "bitwise_and"), ("or", "bitwise_or"), ("xor", "bitwise_xor"),
                           ("lshift", "left_shift"), ("rshift", "right_shift"), ("matmul", "matmul")]:
    setattr(ndarray, f"__{_name}__", _operator(_ufunc_name))
    setattr(ndarray, f"__r{_name}__", _operator(_ufunc_name, reflected=True))
    setattr(ndarray, f"__i{_name}__", _inplace(_ufunc_name))
for _name, _ufunc_name in [("lt", "less"), ("le", "less_equal"), ("gt", "greater"), ("ge", "greater_equal"),
                           ("eq", "equal"), ("ne", "not_equal")]:
    setattr(ndarray, f"__{_name}__", _operator(_ufunc_name))
for _name, _ufunc_name in [("neg", "negative"), ("pos", "positive"), ("abs", "absolute"), ("invert", "invert")]:
    setattr(ndarray, f"__{_name}__", (lambda u: lambda self: _ufunc(u)(self))(_ufunc_name))


# --- ufuncs and functions ------------------------------------------------------------------

# What CuPy's atomic scatter-add (``cupy.add.at``) takes.
_SCATTER_ADD_DTYPES = {"int32", "float16", "float32", "float64", "uint32", "uint64"}


class ufunc:
    """A NumPy ufunc on device arrays only."""

    def __init__(self, numpy_ufunc):
        self._ufunc = numpy_ufunc
        self.name = self.__name__ = numpy_ufunc.__name__
        self.nin, self.nout, self.nargs = numpy_ufunc.nin, numpy_ufunc.nout, numpy_ufunc.nargs

    def __repr__(self):
        return f"<ufunc '{self.name}'>"

    def __call__(self, *args, **kwargs):
        counters["launches"] += 1
        out = kwargs.get("out")
        if out is not None and not isinstance(out[0] if isinstance(out, tuple) else out, ndarray):
            raise TypeError("Output arguments type must be cupy.ndarray")
        return _wrap_result(self._ufunc(*_operands(args), **_operands(kwargs)))

    def reduce(self, array, axis=0, dtype=None, out=None, keepdims=False):
        counters["launches"] += 1
        if not isinstance(array, ndarray):
            raise _unsupported(array)
        return _wrap_result(self._ufunc.reduce(array._data, axis=axis, dtype=dtype,
                                               out=None if out is None else _operand(out), keepdims=keepdims))

    def accumulate(self, array, axis=0, dtype=None, out=None):
        counters["launches"] += 1
        return _wrap_result(self._ufunc.accumulate(_operand(array), axis=axis, dtype=dtype,
                                                   out=None if out is None else _operand(out)))

    def outer(self, a, b, **kwargs):
        counters["launches"] += 1
        return _wrap_result(self._ufunc.outer(_operand(a), _operand(b), **_operands(kwargs)))

    def at(self, a, indices, b=None):
        counters["launches"] += 1
        if not isinstance(a, ndarray):
            raise _unsupported(a)
        if self.name == "add" and a.dtype.name not in _SCATTER_ADD_DTYPES:
            raise TypeError("scatter_add only supports int32, float16, float32, float64, uint32, uint64, "
                            "as data type")
        self._ufunc.at(a._data, _index(indices), _operand(b))


@functools.lru_cache(maxsize=None)
def _ufunc(name):
    return ufunc(getattr(np, name))


# NumPy functions that CuPy does not have, or that are host-only by nature.
_NOT_IN_CUPY = {"frompyfunc", "vectorize", "fromfunction", "load", "save", "savez", "loadtxt", "genfromtxt"}


@functools.lru_cache(maxsize=None)
def _function(name):
    """NumPy's function ``name`` on device arrays, or None if CuPy has none."""
    target = getattr(np, name, None)
    if target is None or name in _NOT_IN_CUPY or not callable(target) or isinstance(target, builtins_type):
        return None

    @functools.wraps(target)
    def on_device(*args, **kwargs):
        counters["launches"] += 1
        return _wrap_result(target(*_operands(args), **_operands(kwargs)))
    return on_device


def _linalg_function(target):
    @functools.wraps(target)
    def on_device(*args, **kwargs):
        counters["launches"] += 1
        return _wrap_result(target(*_operands(args), **_operands(kwargs)))
    return on_device


# cupy.linalg: the functions of numpy.linalg that CuPy has, on device arrays.
linalg = types.SimpleNamespace(**{name: _linalg_function(getattr(np.linalg, name))
                                  for name in ("inv", "det", "solve", "eigh", "eigvalsh", "svd", "qr",
                                               "pinv", "norm", "slogdet", "cholesky", "lstsq")})


def __getattr__(name):
    """The rest of CuPy's namespace, from NumPy's: ufuncs and functions on device arrays,
    and dtypes and constants (``cupy.float32 is numpy.float32``, as in CuPy)."""
    value = getattr(np, name, None)
    if isinstance(value, np.ufunc):
        return _ufunc(name)
    if value is None or name in _NOT_IN_CUPY:
        raise AttributeError(f"module 'cupy' has no attribute '{name}'")
    if callable(value) and not isinstance(value, builtins_type):
        return _function(name)
    return value


def asarray(a, dtype=None, order=None):
    if isinstance(a, ndarray):
        return a if dtype is None or a.dtype == np.dtype(dtype) else a.astype(dtype)
    counters["uploads"] += 1
    return _wrap(np.array(_host_value(a), dtype=dtype, order=order or "K"))


def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0):
    if isinstance(obj, ndarray):
        counters["launches"] += 1
        return _wrap(np.array(obj._data, dtype=dtype, copy=copy, order=order, ndmin=ndmin))
    counters["uploads"] += 1
    return _wrap(np.array(_host_value(obj), dtype=dtype, order=order, ndmin=ndmin))


def _host_value(value):
    """A host value to copy in; a list of device arrays is read back, as CuPy would."""
    if isinstance(value, (list, tuple)) and any(isinstance(v, ndarray) for v in value):
        return [v.get() if isinstance(v, ndarray) else v for v in value]
    return value


def ascontiguousarray(a, dtype=None):
    if not isinstance(a, ndarray):
        raise _unsupported(a)
    return _wrap(np.ascontiguousarray(a._data, dtype=dtype))


def asnumpy(a, stream=None, order="C", out=None):
    if isinstance(a, ndarray):
        return a.get(order=order, out=out)
    return np.asarray(a, order=order)


def get_array_module(*args):
    return _module if any(isinstance(a, ndarray) for a in args) else np


# --- kernels: their C source, compiled for the host ----------------------------------------

_C_NAMES = {"bool": "bool", "int8": "signed char", "int16": "short", "int32": "int", "int64": "long long",
            "uint8": "unsigned char", "uint16": "unsigned short", "uint32": "unsigned int",
            "uint64": "unsigned long long", "float16": "float16", "float32": "float", "float64": "double"}

# What a CUDA kernel can call that the host's C++ spells otherwise: the C linker's
# declarations of the math functions (in ``namespace mt``, which the kernel's code is
# put in) and CuPy's float16 as the host's _Float16.
HOST_PRELUDE = host_prelude()


def _parse_params(text):
    params = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        words = part.split()
        dtype, name = words[-2], words[-1]
        if np.dtype(dtype).name != dtype:
            raise ValueError(f"Wrong type {dtype}")
        params.append((np.dtype(dtype), name, "raw" in words[:-2]))
    return params


def _cache_dir():
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(root, "minitensor-cupy-standin")
    os.makedirs(path, exist_ok=True)
    return path


@functools.lru_cache(maxsize=None)
def _compiled(source):
    """The host function compiled from ``source`` (C++), cached on disk by the text."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:24]
    library = os.path.join(_cache_dir(), f"k{digest}.so")
    if not os.path.exists(library):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "kernel.cpp")
            with open(path, "w") as file:
                file.write(source)
            built = os.path.join(folder, "kernel.so")
            result = subprocess.run(["g++", "-O1", "-pipe", "-shared", "-fPIC", "-o", built, path],
                                    capture_output=True, text=True)
            if result.returncode != 0:
                raise CompileException(result.stderr, source)
            os.replace(built, library)  # atomic: a parallel run never loads half a file
    function = ctypes.CDLL(library).kernel
    function.argtypes = [ctypes.c_long, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_void_p)]
    return function


class CompileException(Exception):
    def __init__(self, log, source):
        super().__init__(f"{log}\n--- source ---\n{source}")


def _pointers(arrays):
    """The addresses of ``arrays``, which the caller keeps alive until the kernel returns."""
    return (ctypes.c_void_p * max(len(arrays), 1))(*[a.ctypes.data for a in arrays])


def _check_arguments(kernel, in_params, args):
    """Each argument a device array of the declared dtype, or a scalar (cast to it), as CuPy checks."""
    values = []
    for (dtype, name, _), arg in zip(in_params, args):
        if isinstance(arg, ndarray):
            if arg.dtype != dtype:
                raise TypeError(f"Type is mismatched. {name} {arg.dtype.type} {dtype.type}")
            values.append(arg._data)
        elif isinstance(arg, np.ndarray) or not np.isscalar(arg):
            raise _unsupported(arg)
        else:
            values.append(np.asarray(arg, dtype=dtype))
    if len(args) < len(in_params):
        raise TypeError(f"Wrong number of arguments for {kernel!r}")
    return values


class ElementwiseKernel:
    """CuPy's user-defined elementwise kernel: ``operation`` (C) at each broadcast position."""

    def __init__(self, in_params, out_params, operation, name="kernel", reduce_dims=True, preamble="",
                 no_return=False, return_tuple=False, **kwargs):
        self.in_params, self.out_params = _parse_params(in_params), _parse_params(out_params)
        self.operation, self.name, self.preamble = operation, name, preamble
        self.nin, self.nout = len(self.in_params), len(self.out_params)
        self.return_tuple = return_tuple

    def source(self):
        reads = "\n".join(f"    const {_C_NAMES[d.name]} {n} = ((const {_C_NAMES[d.name]}*) in[{k}])[i];"
                          for k, (d, n, _) in enumerate(self.in_params))
        declares = "\n".join(f"    {_C_NAMES[d.name]} {n};" for d, n, _ in self.out_params)
        writes = "\n".join(f"    (({_C_NAMES[d.name]}*) out[{k}])[i] = {n};"
                           for k, (d, n, _) in enumerate(self.out_params))
        return (f"{HOST_PRELUDE}\nnamespace mt {{\n{self.preamble}\n"
                f"extern \"C\" void kernel(long n, void** in, void** out) {{\n"
                f"  for (long i = 0; i < n; i++) {{\n{reads}\n{declares}\n    {{\n{self.operation};\n    }}\n"
                f"{writes}\n  }}\n}}\n}}  // namespace mt\n")

    def __call__(self, *args, size=None, block_size=None, stream=None):
        counters["launches"] += 1
        if len(args) not in (self.nin, self.nin + self.nout):
            raise TypeError(f"Wrong number of arguments for {self.name!r}. It must be either {self.nin} or "
                            f"{self.nin + self.nout} (with outputs), but given {len(args)}.")
        for arg in args:
            if isinstance(arg, np.ndarray):
                raise _unsupported(arg)
        inputs = _check_arguments(self.name, self.in_params, args[:self.nin])
        shape = np.broadcast_shapes(*[a.shape for a in inputs])
        outputs = list(args[self.nin:])
        for (dtype, name, _), out in zip(self.out_params, outputs):
            if not isinstance(out, ndarray):
                raise TypeError("Output arguments type must be cupy.ndarray")
            if out.dtype != dtype:
                raise TypeError(f"Type is mismatched. {name} {out.dtype.type} {dtype.type}")
            if out.shape != shape:
                raise ValueError("Out shape is mismatched")
        if not outputs:
            outputs = [_wrap(np.empty(shape, dtype)) for dtype, _, _ in self.out_params]
        flat_in = [np.ascontiguousarray(np.broadcast_to(a, shape)).reshape(-1) for a in inputs]
        flat_out = [np.empty(int(np.prod(shape)), o.dtype) for o in outputs]
        if flat_out and flat_out[0].size:
            _compiled(self.source())(flat_out[0].size, _pointers(flat_in), _pointers(flat_out))
        for out, flat in zip(outputs, flat_out):
            out._data[...] = flat.reshape(shape)
        return tuple(outputs) if self.return_tuple or self.nout > 1 else outputs[0]


class ReductionKernel:
    """CuPy's user-defined reduction: ``map_expr`` at each element, combined by ``reduce_expr``
    (over ``a`` and ``b``) from ``identity``, then ``post_map_expr`` with the result ``a``."""

    def __init__(self, in_params, out_params, map_expr, reduce_expr, post_map_expr, identity, name="reduce_kernel",
                 reduce_type=None, reduce_dims=True, preamble="", options=()):
        self.in_params, self.out_params = _parse_params(in_params), _parse_params(out_params)
        if len(self.out_params) != 1:
            raise ValueError("a ReductionKernel here has one output")
        self.map_expr, self.reduce_expr, self.post_map_expr = map_expr, reduce_expr, post_map_expr
        self.identity, self.name, self.preamble = identity, name, preamble
        self.reduce_type = reduce_type or _C_NAMES[self.out_params[0][0].name]

    def source(self):
        reads = "\n".join(f"      const {_C_NAMES[d.name]} {n} = ((const {_C_NAMES[d.name]}*) in[{k}])[o * m + j];"
                          for k, (d, n, _) in enumerate(self.in_params))
        dtype, name, _ = self.out_params[0]
        out_type = _C_NAMES[dtype.name]
        return (f"{HOST_PRELUDE}\nnamespace mt {{\n{self.preamble}\ntypedef {self.reduce_type} _type_reduce;\n"
                f"extern \"C\" void kernel(long n, void** in, void** out) {{\n"
                f"  long m = (long) ((long*) in[{len(self.in_params)}])[0];\n"
                f"  for (long o = 0; o < n; o++) {{\n    _type_reduce a = ({self.reduce_type}) ({self.identity});\n"
                f"    for (long j = 0; j < m; j++) {{\n{reads}\n"
                f"      _type_reduce b = ({self.reduce_type}) ({self.map_expr});\n      a = ({self.reduce_expr});\n"
                f"    }}\n    {out_type} {name};\n    {{ {self.post_map_expr}; }}\n"
                f"    (({out_type}*) out[0])[o] = {name};\n  }}\n}}\n}}  // namespace mt\n")

    def __call__(self, *args, axis=None, keepdims=False, stream=None):
        counters["launches"] += 1
        for arg in args:
            if isinstance(arg, np.ndarray):
                raise _unsupported(arg)
        inputs = _check_arguments(self.name, self.in_params, args[:len(self.in_params)])
        shape = np.broadcast_shapes(*[a.shape for a in inputs])
        ndim = len(shape)
        axes = tuple(range(ndim)) if axis is None else tuple(a % ndim for a in np.atleast_1d(axis).tolist())
        kept = [d for d in range(ndim) if d not in axes]
        order = kept + list(axes)
        out_shape = tuple(shape[d] for d in kept)
        count = int(np.prod([shape[d] for d in axes], dtype=np.int64))
        flat_in = [np.ascontiguousarray(np.broadcast_to(a, shape).transpose(order)).reshape(-1) for a in inputs]
        result = np.empty(out_shape, self.out_params[0][0])
        arrays = flat_in + [np.array([count], np.int64)]  # held here: the kernel reads them all
        if result.size:
            _compiled(self.source())(result.size, _pointers(arrays), _pointers([result]))
        if keepdims:
            result = result.reshape(tuple(1 if d in axes else shape[d] for d in range(ndim)))
        return _wrap(result)


# --- the rest of CuPy that minitensor touches ------------------------------------------------

class _Device:
    def __init__(self, number=0):
        self.id = number

    def use(self):
        return None

    def synchronize(self):
        return None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class _Stream:
    def synchronize(self):
        return None


_runtime = types.SimpleNamespace(getDeviceCount=lambda: 1,
                                 getDeviceProperties=lambda n: {"name": b"CPU stand-in for CuPy"},
                                 deviceSynchronize=lambda: None)
cuda = types.SimpleNamespace(runtime=_runtime, Device=_Device, Stream=types.SimpleNamespace(null=_Stream()),
                             get_current_stream=lambda: _Stream())
newaxis = None
_module = None  # this module, set below (get_array_module returns it)


def _bind_self():
    global _module
    import sys
    _module = sys.modules[__name__]


_bind_self()
