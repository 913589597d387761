"""Small helpers shared by the test files."""

import sys


def here():
    """The line number of the caller's line (to find it in error messages)."""
    return sys._getframe(1).f_lineno


def lines_of_minitensor_run(action):
    """How many lines of minitensor's own source ``action()`` runs: a measure of work that,
    unlike a time, does not depend on the machine or its load."""
    import minitensor
    root = minitensor.__file__.rsplit("__init__.py", 1)[0]
    count = 0

    def count_lines(frame, event, arg):
        nonlocal count
        count += event == "line"
        return count_lines

    previous = sys.gettrace()
    sys.settrace(lambda frame, event, arg: count_lines if frame.f_code.co_filename.startswith(root) else None)
    try:
        action()
    finally:
        sys.settrace(previous)
    return count
