"""Backends: where a compiled function's values live, and what computes on them.

**The one rule for where values live.** Shapes, sizes, axes and index arithmetic are
host values (Python and NumPy integers); tensor values live on the function's
backend; a value crosses between host and device only where the graph needs it on
the other side, and a device-to-host copy only where the user asked for host outputs
or the graph asks for a device value as a size or an index. The compiler decides,
once per function, where each variable of the graph lives (``compile/executor.py``,
``plan_placement``) from two facts an op declares about itself:

* ``op.host_inputs(node)``: the positions of the inputs it reads as host values (the
  shape of a reshape, the bounds of a slice, the condition of an ``ifelse``);
* ``op.runs_on_host``: it computes on the host whatever the backend (``Shape`` and
  ``ElementCount`` read only metadata; random draws use NumPy's generators).

A node whose inputs all live on the host and whose results are small (a scalar, or
an integer vector: the arithmetic of shapes) also runs there. No op tests which
backend it runs on: it computes through the array module ``xp`` it is given.

A backend is chosen once, when a function is compiled (``config.device``, or
``function(..., backend=)``). ``compile/`` asks it for its array module ``xp``, for
transfers (``to_device``, ``to_host``) and for the kernels of fused nodes; nothing
here imports ``compile/``.

* this module: ``get_backend``, the NumPy backend, and the transfers every backend shares;
* ``cuda.py``: the CuPy backend, imported lazily (NumPy-only installs never import CuPy);
* ``kernels.py``: the CUDA source of fused nodes, as text, testable without a GPU;
* ``c.py``: the C linker, the CPU's backend compiling fused nodes to C loops (the default
  where a C++ compiler is found; ``linker='py'`` runs the NumPy program).

>>> get_backend('numpy').xp.__name__
'numpy'
"""

import numpy as np

from minitensor.configuration import config

BACKENDS = ("numpy", "cupy")


def backend_name(backend=None):
    """``backend`` checked, or the one ``config.device`` implies: 'numpy' for cpu, 'cupy' for cuda."""
    if backend is None:
        return "numpy" if config.device == "cpu" else "cupy"
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS} or None (from config.device), got {backend!r}")
    return backend


#: Theano's linkers that compile C (the others, 'py' and 'vm', run one NumPy call per op).
C_LINKERS = ("c", "cvm", "c|py", "cvm_nogc", "c|py_nogc")


def get_backend(backend=None, linker=None):
    """The ``Backend`` named ``backend`` (see ``backend_name``); CuPy's on the configured GPU.
    On the CPU, ``linker`` (default ``config.linker``) picks the C linker (``c.py``) where a
    compiler is found, or the NumPy program."""
    if backend_name(backend) == "numpy":
        if (linker or config.linker) in C_LINKERS:
            from minitensor.backends.c import c_backend
            return c_backend() or NUMPY
        return NUMPY
    from minitensor.backends import cuda  # only now: importing it imports nothing of CuPy yet
    return cuda.cupy_backend()


def array_module(backend=None):
    """The array module ``xp`` of ``backend`` (see ``backend_name``)."""
    return get_backend(backend).xp


def is_device_array(value):
    """Whether ``value`` lives in GPU memory (it has the CUDA array interface, as CuPy's arrays do)."""
    return hasattr(type(value), "__cuda_array_interface__")


def to_host(value):
    """``value`` as a NumPy array: a GPU array is copied to host memory (CuPy's ``get()``)."""
    if isinstance(value, np.ndarray):
        return value
    return np.asarray(value.get() if is_device_array(value) else value)


class NumpyBackend:
    """The host: NumPy computes, and host and device are the same memory."""

    name = "numpy"
    xp = np
    on_host = True  # no value ever crosses; the compiler plans no placement
    linker = "py"  # one NumPy call per op (c.py's CBackend compiles fused nodes)

    def __repr__(self):
        return "<backend numpy>"

    def owns(self, value):
        """Whether ``value`` lives in this backend's memory."""
        return not is_device_array(value)

    def to_device(self, value):
        return np.asarray(value)

    def fused_thunk(self, node):
        """A callable running a fused node as one kernel, or None to run its inner ops one by one."""
        return None

    def reduction_thunk(self, reduce_node, fused_node):
        """A callable computing ``reduce_node`` of the fused node's output in one kernel, or None."""
        return None


NUMPY = NumpyBackend()
