"""Theano's ``theano.compile.nanguardmode``: ``NanGuardMode``, from ``minitensor.compile.mode``."""

from minitensor.compile.executor import NanGuardError  # noqa: F401
from minitensor.compile.mode import NanGuardMode  # noqa: F401
