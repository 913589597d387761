"""CuPy, imported only when a function is compiled for the GPU, and everything it needs.

NumPy-only installs never import CuPy: ``cupy_module()`` imports it on first use and
says exactly what is missing when it cannot (CuPy itself, a CUDA driver, a GPU), with
the command that installs it: ``pip install "minitensor[cuda]"``. The first time, it
prints Theano's line ``Using gpu device 0: <name>`` (to stderr, once per process).

Where CuPy differs from NumPy, and how minitensor handles it (all of it here):

* CuPy never converts a GPU array to NumPy implicitly (``np.asarray(gpu_array)``
  raises): values cross between host and device only through ``to_device`` and
  ``sharedvalue.to_host`` (which calls ``.get()``).
* CuPy's functions refuse NumPy arrays as arguments (NumPy scalars and Python numbers
  are fine): a compiled function converts its arguments with ``device_convert``, and
  a graph's array constants must be on the device too.
* A call's outputs come back as NumPy arrays (``host_results``) unless the function
  was compiled with ``device_outputs=True``.
* A fused ``Composite`` node runs as one ``cupy.ElementwiseKernel`` whose source
  ``kernels.py`` writes (``fused_kernel``); NumPy runs its inner ops one by one.

Which parts have run: none of this has run with CuPy or on a GPU (it was written on a
machine with neither). The error paths (no CuPy, no driver, no GPU, a bad device
number) and the greeting were tested with a stand-in module in place of CuPy
(tests/test_backends.py); the kernel source was compiled with g++ and ``nvcc -c``
(tests/test_kernels.py). Never run: ``to_device``, ``device_convert``,
``host_results``, ``fused_kernel`` (CuPy's NVRTC compile of the source),
``composite_thunk``, ``constants_to_device``, and shared variables holding CuPy
arrays; the tests that run them take the ``backend`` fixture and skip without a GPU.

Known gaps, for whoever verifies this on a GPU: ops whose thunks hold NumPy arrays of
their own, NanGuardMode's and DebugMode's checks (they call NumPy on the values), and
random streams (their draws are made by NumPy) are unlikely to work on CuPy yet.
"""

import functools
import sys

from minitensor.configuration import config

INSTALL = 'pip install "minitensor[cuda]"'


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
            f"device={config.device} (or backend='cupy') needs CuPy, which could not be imported "
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


def is_device_array(value):
    """Whether ``value`` lives in GPU memory (it has the CUDA array interface, as CuPy's arrays do)."""
    return hasattr(type(value), "__cuda_array_interface__")


def to_device(array):
    """``array`` (NumPy, or already on the GPU) as a CuPy array on the current GPU."""
    return cupy_module().asarray(array)


def device_convert(convert):
    """``convert(position, value)`` (a function's argument check, on NumPy arrays) for a
    CuPy function: a GPU argument is checked on the host, then the result goes to the GPU.

    A CuPy array of the exact dtype and rank skips this (the call's fast check passes it),
    so the round trip happens only for values that need converting anyway."""
    from minitensor.compile.sharedvalue import to_host

    def convert_to_device(position, value):
        return to_device(convert(position, to_host(value) if is_device_array(value) else value))
    return convert_to_device


def host_results(call):
    """``call`` returning NumPy arrays: each GPU array it returns (alone, in a list or in a
    dict) is copied to host memory."""
    from minitensor.compile.sharedvalue import to_host

    def call_on_host(*args):
        result = call(*args)
        if isinstance(result, list):
            return [to_host(value) for value in result]
        if isinstance(result, dict):
            return {key: to_host(value) for key, value in result.items()}
        return None if result is None else to_host(result)
    return call_on_host


@functools.lru_cache(maxsize=None)
def fused_kernel(source):
    """The compiled ``cupy.ElementwiseKernel`` of a ``kernels.KernelSource``.

    Cached by the source, which is the Composite's structure and dtypes: structurally
    equal fused nodes, in one function or many, share one kernel (CuPy also caches the
    compiled binary on disk)."""
    cupy = cupy_module()
    return cupy.ElementwiseKernel(source.in_params, source.out_params, source.operation, source.name)


def composite_thunk(node):
    """A callable running the fused ``node`` as one kernel launch. CuPy broadcasts the
    inputs; the lengths of non-broadcastable axes are tested first, as on NumPy."""
    from minitensor.backends.kernels import kernel_source
    from minitensor.tensor.elemwise import with_size_checks
    return with_size_checks(fused_kernel(kernel_source(node.op)), node)


def constants_to_device(program):
    """Bind the constants of ``program``'s generated code as GPU arrays (CuPy's functions
    take no NumPy arrays). Constants held inside an op's own thunk are not reached."""
    cupy = cupy_module()
    writer = program._writer
    for value in writer.constants:
        program.namespace[writer.global_names[id(value)]] = cupy.asarray(value)
