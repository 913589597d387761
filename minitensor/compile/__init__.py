"""Turning graphs into callable functions: ``shared``, ``function`` and the executor.

As in Theano, ``theano.compile.function`` is the function (the module of that name is
reached by importing from it: ``from minitensor.compile.function import Function``).
"""

from minitensor.compile.executor import MissingInputError  # noqa: F401
from minitensor.compile.function import UnusedInputError  # noqa: F401
from minitensor.compile.io import In  # noqa: F401
from minitensor.compile.io import Out  # noqa: F401
from minitensor.compile.mode import Mode, get_default_mode, get_mode, predefined_modes  # noqa: F401
from minitensor.compile.monitormode import MonitorMode  # noqa: F401
from minitensor.compile.ops import as_op, DeepCopyOp  # noqa: F401
from minitensor.rewriting.optdb import optdb  # noqa: F401
from minitensor.compile import debugmode, nanguardmode, ops  # noqa: F401
from minitensor.compile.sharedvalue import SharedVariable, shared  # noqa: F401
from minitensor.compile.function import function  # noqa: F401,E402 -- last: it rebinds the module's name
