"""minitensor: a small, readable, Theano-style symbolic autodiff framework.

Theano tutorial code runs with the imports changed::

    import minitensor as theano
    import minitensor.tensor as T
"""

from minitensor.configuration import config
from minitensor import tensor
from minitensor import gradient, ifelse, printing
from minitensor.gradient import grad
from minitensor.compile.sharedvalue import SharedVariable, shared
from minitensor.compile.function import Function, function
from minitensor.compile.io import In
from minitensor.compile.mode import Mode
from minitensor.persistence import load_params, save_params
from minitensor.printing import pp
from minitensor.tensor.linalg import dot
from minitensor import scan_module
from minitensor.scan_module import foldl, foldr, map, reduce, scan

__version__ = "0.1.0"
__all__ = ["config", "tensor", "gradient", "ifelse", "printing", "grad", "shared", "SharedVariable",
           "function", "Function", "In", "Mode", "pp", "save_params", "load_params", "scan", "scan_module",
           "map", "reduce", "foldl", "foldr", "dot"]
