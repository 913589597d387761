"""Turning graphs into callable functions: ``shared``, ``function`` and the executor."""

from minitensor.compile.executor import MissingInputError  # noqa: F401
from minitensor.compile.function import UnusedInputError  # noqa: F401
from minitensor.compile.io import In  # noqa: F401
