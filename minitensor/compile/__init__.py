"""Turning graphs into callable functions: ``shared``, ``function`` and the executor."""

from minitensor.compile.executor import MissingInputError  # noqa: F401
from minitensor.compile.function import UnusedInputError  # noqa: F401
from minitensor.compile.io import In  # noqa: F401
from minitensor.compile.mode import Mode  # noqa: F401
from minitensor.compile.monitormode import MonitorMode  # noqa: F401
from minitensor.compile.ops import as_op, DeepCopyOp  # noqa: F401
from minitensor.rewriting.optdb import optdb  # noqa: F401
from minitensor.compile import debugmode, nanguardmode, ops  # noqa: F401
