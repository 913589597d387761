"""CuPy, imported only when a function is compiled for the GPU, and everything it needs.

NumPy-only installs never import CuPy: ``cupy_module()`` imports it on first use and
says exactly what is missing when it cannot (CuPy itself, a CUDA driver, a GPU), with
the command that installs it: ``pip install -e ".[cuda]"``. The first time, it
prints Theano's line ``Using gpu device 0: <name>`` (to stderr, once per process).

Where CuPy differs from NumPy, and how minitensor handles it (all of it here):

* CuPy never converts a GPU array to NumPy implicitly (``np.asarray(gpu_array)``
  raises): values cross between host and device only through ``to_device`` and
  ``to_host`` (which calls ``.get()``), where the compiler's placement plan says
  (``minitensor/backends/__init__.py`` states the rule).
* CuPy's functions refuse NumPy arrays as arguments (NumPy scalars and Python numbers
  are fine): a compiled function moves its arguments to the GPU once, checking them
  there (``device_convert``), and a graph's array constants are copied to the GPU
  when the function is compiled.
* A call's outputs come back as NumPy arrays (``host_results``) unless the function
  was compiled with ``device_outputs=True``.
* A fused ``Composite`` node runs as one ``cupy.ElementwiseKernel`` whose source
  ``kernels.py`` writes (``fused_thunk``), and a sum, max or min of a fused node's
  result as one ``cupy.ReductionKernel`` (``reduction_thunk``).

Which parts have run: on a machine with an NVIDIA GPU, see README.md (what has and has
not run on a GPU). In CI, with no GPU, the whole test suite runs under ``device=cuda``
on a strict CPU stand-in for CuPy (tests/cupy_standin.py), and every generated kernel
is compiled by NVIDIA's real NVRTC for sm_90 (tests/test_nvrtc.py).
"""

import functools
import sys

import numpy as np

from minitensor.backends import is_device_array, to_host
from minitensor.configuration import config

INSTALL = 'pip install -e ".[cuda]"'


class CudaUnavailableError(RuntimeError):
    """The GPU backend was asked for, but CuPy or a usable GPU is missing."""


_greeted = set()  # the device numbers whose "Using gpu device" line has been printed


def device_number():
    """The GPU that ``config.device`` names: 'cuda' and 'cpu' mean 0, 'cudaN' means N."""
    device = config.device
    return int(device[4:]) if device.startswith("cuda") and device[4:] else 0


def cupy_module():
    """CuPy, with the configured GPU made current; CudaUnavailableError saying what is missing."""
    try:
        import cupy
    except ImportError as error:
        raise CudaUnavailableError(
            f"device=cuda (or backend='cupy') needs CuPy, which could not be imported "
            f"({error}). Install it with: {INSTALL}  (that extra is CuPy for CUDA 12; for another "
            f"CUDA version install the matching cupy-cudaXXx package instead)") from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # CUDARuntimeError when there is no driver; its type lives in CuPy
        raise CudaUnavailableError(
            f"CuPy is installed but cannot reach a CUDA GPU ({type(error).__name__}: {error}). "
            f"Check `nvidia-smi`: minitensor needs an NVIDIA GPU and its driver; set device=cpu "
            f"to run on NumPy") from None
    number = device_number()
    if count == 0 or number >= count:
        found = "no CUDA GPU" if count == 0 else f"only {count} GPU{'s' if count > 1 else ''} (0 to {count - 1})"
        raise CudaUnavailableError(f"device={config.device} asks for GPU {number}, but CuPy finds {found}; "
                                   f"set device=cpu to run on NumPy")
    cupy.cuda.Device(number).use()
    if number not in _greeted:
        _greeted.add(number)
        name = cupy.cuda.runtime.getDeviceProperties(number)["name"]
        name = name.decode() if isinstance(name, bytes) else name
        print(f"Using gpu device {number}: {name}", file=sys.stderr)
    return cupy


class CupyBackend:
    """The GPU, through CuPy: values are CuPy arrays in the memory of the current GPU."""

    name = "cupy"
    on_host = False
    fuses_siblings = True  # fused groups reading a common node merge: one call computes them all

    def __init__(self, cupy):
        self.xp = cupy

    def __repr__(self):
        return f"<backend cupy, GPU {device_number()}>"

    def owns(self, value):
        return is_device_array(value)

    def to_device(self, value):
        """``value`` (NumPy, a number, or already on the GPU) as a CuPy array on the current GPU."""
        return self.xp.asarray(value)

    def fused_thunk(self, node):
        """A callable running the fused ``node`` as one kernel launch. CuPy broadcasts the
        inputs; the lengths of non-broadcastable axes are tested first, as on NumPy."""
        from minitensor.backends.kernels import kernel_source, supports
        from minitensor.tensor.elemwise import with_size_checks
        if not supports(node.op):
            return None  # a dtype no kernel is written for (complex): its inner ops run one by one
        source = kernel_source(node.op)
        kernel = elementwise_kernel(source)
        constants = self._arguments(source.constants)
        checked = with_size_checks(lambda *arrays: kernel(*arrays, *constants), node)
        composite, xp = node.op, self.xp

        def run(*arrays):
            try:
                return checked(*arrays)
            except ValueError:  # name the inner op whose inputs disagree, and its line
                composite._raise_from_inner_node(xp, arrays)
                raise
        return run

    def _arguments(self, constants):
        """A kernel's constant arguments: scalars passed by value, arrays copied to the GPU once, now."""
        return [c if c.ndim == 0 else self.to_device(c) for c in constants]

    def reduction_thunk(self, reduce_node, fused_node):
        """A callable computing ``reduce_node`` (a Sum, Max or Min) of the fused node's only
        output as one ``ReductionKernel``: the elementwise work is its map expression."""
        from minitensor.backends.kernels import reduction_source
        from minitensor.tensor.elemwise import with_size_checks
        source = reduction_source(reduce_node, fused_node.op)
        if source is None:
            return None
        kernel = reduction_kernel(source)
        constants = self._arguments(source.constants)
        axes, has_identity = source.axes, source.identity == "0"

        def run(*arrays):
            if not has_identity:  # a max or min of nothing is an error, as in NumPy, not -inf
                shape = np.broadcast_shapes(*[a.shape for a in arrays])
                if any(shape[axis] == 0 for axis in axes):
                    raise ValueError(f"zero-size array to reduction operation {reduce_node.op}, which has "
                                     f"no identity")
            return kernel(*arrays, *constants, axis=axes)
        return with_size_checks(run, fused_node)


_backends = {}  # id(the cupy module) -> its CupyBackend


def cupy_backend():
    """The CuPy backend, importing CuPy now or saying what is missing (one per CuPy module:
    the tests swap CuPy for a stand-in)."""
    cupy = cupy_module()
    if id(cupy) not in _backends:
        _backends[id(cupy)] = CupyBackend(cupy)
    return _backends[id(cupy)]


def device_convert(convert, backend):
    """``convert(position, value)`` (a function's argument check, on NumPy arrays) for a
    GPU input: a host value is checked on the host, then copied to the GPU; a GPU value
    is checked where it is, by its dtype and shape alone (no copy)."""
    def convert_to_device(position, value):
        if is_device_array(value):
            return convert(position, value)  # TensorType.filter checks a device array's metadata
        return backend.to_device(convert(position, value))
    return convert_to_device


def host_results(call):
    """``call`` returning NumPy arrays: each GPU array it returns (alone, in a list or in a
    dict) is copied to host memory."""
    def call_on_host(*args):
        result = call(*args)
        if isinstance(result, list):
            return [to_host(value) for value in result]
        if isinstance(result, dict):
            return {key: to_host(value) for key, value in result.items()}
        return None if result is None else to_host(result)
    return call_on_host


@functools.lru_cache(maxsize=None)
def elementwise_kernel(source):
    """The ``cupy.ElementwiseKernel`` of a ``kernels.KernelSource``.

    Cached by the source, which is the Composite's structure and dtypes: structurally
    equal fused nodes, in one function or many, share one kernel (CuPy also caches the
    compiled binary on disk)."""
    cupy = cupy_module()
    return cupy.ElementwiseKernel(source.in_params, source.out_params, source.operation, source.name,
                                  preamble=source.preamble)


@functools.lru_cache(maxsize=None)
def reduction_kernel(source):
    """The ``cupy.ReductionKernel`` of a ``kernels.ReductionSource``, cached likewise."""
    cupy = cupy_module()
    return cupy.ReductionKernel(source.in_params, source.out_params, source.map_expr, source.reduce_expr,
                                source.post_map_expr, source.identity, source.name,
                                reduce_type=source.reduce_type, preamble=source.preamble)
