"""Theano's ``theano.compile.debugmode``: ``DebugMode``, from ``minitensor.compile.mode``."""

from minitensor.compile.maker import RewriteError  # noqa: F401
from minitensor.compile.mode import DebugMode  # noqa: F401
