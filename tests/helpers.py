"""Small helpers shared by the test files."""

import sys


def here():
    """The line number of the caller's line (to find it in error messages)."""
    return sys._getframe(1).f_lineno
