"""minitensor: a small, readable, Theano-style symbolic autodiff framework.

Theano tutorial code runs with the imports changed::

    import minitensor as theano
    import minitensor.tensor as T
"""

from minitensor.configuration import change_flags, config
from minitensor.graph import Apply, Constant, Op, Type, Variable
from minitensor.fgraph import FunctionGraph
from minitensor import tensor
from minitensor import gradient, ifelse, printing
from minitensor.gradient import grad
from minitensor.compile.sharedvalue import SharedVariable, shared
from minitensor.compile.function import Function, function
from minitensor.compile.io import In, Out
from minitensor.compile.mode import Mode
from minitensor.graph import clone
from minitensor.tensor.linalg import dot
from minitensor.persistence import load_params, save_params
from minitensor.printing import pp
from minitensor import compile, gof, scalar  # noqa: E402  (Theano's theano.compile, theano.gof, theano.scalar)
from minitensor import scan_module  # noqa: E402
from minitensor.scan_module import foldl, foldr, map, reduce, scan  # noqa: E402

__version__ = "0.1.0"
__all__ = ["config", "change_flags", "Apply", "Constant", "Op", "Type", "Variable", "FunctionGraph", "compile", "gof", "scalar",
           "tensor", "gradient", "ifelse", "printing", "grad", "shared", "SharedVariable", "function",
           "Function", "In", "Out", "clone", "dot", "Mode", "pp", "save_params", "load_params", "scan",
           "scan_module", "map", "reduce", "foldl", "foldr"]
