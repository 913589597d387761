"""Backends: the array module ``xp`` a compiled function computes with, chosen once.

Every op computes through ``xp`` (``impl(xp, ...)``, ``make_thunk(node, xp)``), so
choosing a backend is choosing a module: NumPy for ``device=cpu``, CuPy for
``device=cuda``. ``function(..., backend='numpy' | 'cupy')`` overrides
``config.device`` for one function.

* ``cuda.py``: importing CuPy lazily (NumPy-only installs never import it), the clear
  errors when CuPy or a GPU is missing, the "Using gpu device 0: ..." line, moving
  values between host and device, and where CuPy differs from NumPy;
* ``kernels.py``: the CUDA source of a fused ``Composite`` node, as the arguments of a
  ``cupy.ElementwiseKernel``; pure text, testable without a GPU.

>>> array_module('numpy').__name__
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


def array_module(backend=None):
    """The array module of ``backend`` (see ``backend_name``); for CuPy, on the configured GPU."""
    if backend_name(backend) == "numpy":
        return np
    from minitensor.backends import cuda  # only now: importing it imports nothing of CuPy yet
    return cuda.cupy_module()
