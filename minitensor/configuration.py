"""``config``: the settings a Theano user expects, with Theano's names.

They are read once, at import, from (later ones win):

1. the files ``~/.theanorc`` and ``~/.minitensorrc`` (or the files that ``THEANORC`` and
   ``MINITENSORRC`` name), in Theano's format: ``[global]`` holds ``floatX = float32``,
   and a section such as ``[warn]`` holds ``warn.*`` settings;
2. ``THEANO_FLAGS``, then ``MINITENSOR_FLAGS``: ``name=value`` pairs separated by commas,
   ``MINITENSOR_FLAGS="floatX=float32,device=cpu" python script.py``.

An unknown name there is warned about, naming the close matches, and skipped, so a
script written for Theano still starts. In a program, ``theano.config.floatX = 'float32'``
sets a setting (an unknown name or a bad value is an error), and ``change_flags`` sets
some for the duration of a ``with`` block or of a decorated function.

The settings in ``SETTINGS`` that change what minitensor does: ``floatX``, ``device``,
``mode``, ``linker``, ``cxx``, ``compiledir``, ``optimizer``, ``optimizer_excluding``, ``on_unused_input``, ``compute_test_value``,
``print_test_value`` and ``profile``. The others are Theano's, kept so that code that sets
or reads them runs; docs/differences.md says what each means here.
"""

import configparser
import difflib
import functools
import os
import shutil
import warnings
from typing import Callable, NamedTuple


def _choice(*choices):
    def check(value):
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(map(repr, choices))}, got {value!r}")
        return value
    return check


def _boolean(value):
    if isinstance(value, str) and value.lower() in ("true", "1", "false", "0"):
        return value.lower() in ("true", "1")
    if not isinstance(value, (bool, int)) or value not in (0, 1):
        raise ValueError(f"must be True or False, got {value!r}")
    return bool(value)


def _device(value):
    if value != "cpu" and not (isinstance(value, str) and value.startswith("cuda")
                               and value[4:] in ("", *map(str, range(16)))):
        raise ValueError(f"must be 'cpu', 'cuda' or 'cudaN', got {value!r}")
    return value


def _text(value):
    if not isinstance(value, str):
        raise ValueError(f"must be a string, got {value!r}")
    return value


def _names(value):
    """A colon-separated list of names, as Theano's optimizer_excluding takes them."""
    if not isinstance(value, str):
        raise ValueError(f"must be a string of names separated by ':', got {value!r}")
    return value


class Setting(NamedTuple):
    default: object
    check: Callable  # the value, converted, or ValueError saying what is allowed
    doc: str


LINKERS = ("cvm", "c", "c|py", "cvm_nogc", "c|py_nogc", "py", "vm", "vm_nogc")
"""``config.linker``'s values (Theano's names): the first five compile fused nodes to C where a
compiler is found (``backends.C_LINKERS``), the others run the NumPy program."""

SETTINGS = {
    "floatX": Setting("float64", _choice("float64", "float32", "float16"),
                      "the dtype of T.matrix() and the other constructors when none is given"),
    "device": Setting("cpu", _device, "where compiled functions run: 'cpu' (NumPy) or 'cuda' (CuPy)"),
    "mode": Setting("FAST_RUN", _choice("FAST_RUN", "FAST_COMPILE", "DebugMode", "DEBUG_MODE", "NanGuardMode",
                                        "Mode", "ProfileMode"),
                    "the mode of function(...) when none is given"),
    "optimizer": Setting("fast_run", _choice("fast_run", "fast_compile", "merge", "o1", "o2", "o3", "o4",
                                             "unsafe", "stabilize", "None"),
                         "'None' compiles graphs as written; every other value rewrites them"),
    "linker": Setting("cvm", _choice(*LINKERS),
                      "how a function runs its fused elementwise nodes on the CPU: compiled C loops "
                      "('cvm', 'c': the C linker, minitensor/backends/c.py, where a compiler is found) "
                      "or NumPy calls ('py', 'vm')"),
    "cxx": Setting(shutil.which("g++") or "", _text, "the C++ compiler of the C linker ('' turns it off)"),
    "compiledir": Setting(os.path.join(os.environ.get("XDG_CACHE_HOME") or "~/.cache", "minitensor", "c"), _text,
                          "where the C linker caches the modules it compiles"),
    "optimizer_excluding": Setting("", _names, "phases or rules (names separated by ':') to switch off"),
    "optimizer_including": Setting("", _names, "accepted; every phase and rule is on unless excluded"),
    "on_unused_input": Setting("raise", _choice("raise", "warn", "ignore"),
                               "what function(...) does with an input no output needs, by default"),
    "exception_verbosity": Setting("low", _choice("low", "high"), "accepted; errors always name the node"),
    "compute_test_value": Setting("off", _choice("off", "ignore", "warn", "raise"),
                                  "'off', or what to do when building a node whose inputs lack test "
                                  "values: 'ignore', 'warn' or 'raise' (see minitensor.test_values)"),
    "print_test_value": Setting(False, _boolean, "whether a variable's repr shows its test value too"),
    "profile": Setting(False, _boolean, "whether every compiled function is profiled, as with "
                                        "function(..., profile=True)"),
    "warn_float64": Setting("ignore", _choice("ignore", "warn", "raise", "pdb"), "accepted"),
    "cast_policy": Setting("custom", _choice("custom", "numpy+floatX"),
                           "accepted; dtypes always follow NumPy 2 (docs/differences.md)"),
    "print_active_device": Setting(True, _boolean, "accepted"),
    "allow_gc": Setting(True, _boolean, "accepted; the executor frees each value after its last use"),
}

# Theano's warn.* settings: switches for warnings about bugs of old Theano versions, which
# minitensor never had; accepted so that code setting them runs.
WARNINGS = ("ignore_bug_before", "argmax_pushdown_bug", "gpusum_01_011_0111_bug", "sum_sum_bug",
            "sum_div_dimshuffle_bug", "subtensor_merge_bug", "gpu_set_subtensor1", "vm_gc_bug",
            "signal_conv2d_interface", "reduce_join", "inc_set_subtensor1", "round", "identify_1pexp_bug")


def _close(name, names):
    matches = difflib.get_close_matches(name, names, n=3)
    return f"; did you mean {' or '.join(map(repr, matches))}?" if matches else ""


class _WarnSection:
    """``config.warn``: Theano's switches for warnings about its old bugs (all accepted, none used)."""

    def __init__(self):
        for name in WARNINGS:
            object.__setattr__(self, name, True)
        object.__setattr__(self, "ignore_bug_before", "0.9")

    def __setattr__(self, name, value):
        if name not in WARNINGS:
            raise AttributeError(f"config.warn has no setting {name!r}{_close(name, WARNINGS)}")
        object.__setattr__(self, name, value)


class Config:
    """Validated settings: an unknown name or a bad value is an error when set in a program."""

    def __init__(self):
        object.__setattr__(self, "_values", {name: s.default for name, s in SETTINGS.items()})
        object.__setattr__(self, "warn", _WarnSection())

    def __getattr__(self, name):
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        raise AttributeError(f"config has no setting {name!r}{_close(name, SETTINGS)}")

    def __setattr__(self, name, value):
        if name not in SETTINGS:
            raise AttributeError(f"config has no setting {name!r}{_close(name, SETTINGS)}; "
                                 f"settings: {', '.join(SETTINGS)}")
        try:
            self._values[name] = SETTINGS[name].check(value)
        except ValueError as error:
            raise ValueError(f"config.{name} {error}") from None

    def set(self, name, value):
        """Set ``name``, which may be dotted as in ``warn.round``."""
        section, dot, key = name.partition(".")
        if dot and section == "warn":
            setattr(self.warn, key, _boolean(value) if key != "ignore_bug_before" else value)
        elif dot:
            raise AttributeError(f"config has no setting {name!r}")
        else:
            setattr(self, name, value)

    def get(self, name):
        section, dot, key = name.partition(".")
        return getattr(self.warn, key) if dot and section == "warn" else getattr(self, name)

    def update_from_flags(self, flags, source="MINITENSOR_FLAGS"):
        """Apply a comma-separated ``name=value`` list, as in ``MINITENSOR_FLAGS``.

        A name that is not a setting is warned about (with the close matches) and
        skipped, as Theano does with its flags; a bad value is an error.
        """
        for item in filter(None, (part.strip() for part in flags.split(","))):
            name, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"{source}: expected name=value, got {item!r}")
            self._apply(name.strip(), value.strip(), source)

    def update_from_file(self, path):
        """Apply the settings of a ``.theanorc``-style file: ``[global]`` and ``[section]`` blocks."""
        parser = configparser.ConfigParser()
        parser.optionxform = str  # floatX, not floatx
        parser.read(path)
        for section in parser.sections():
            for key, value in parser.items(section):
                self._apply(key if section == "global" else f"{section}.{key}", value, path)

    def _apply(self, name, value, source):
        try:
            self.set(name, value)
        except AttributeError:
            known = list(SETTINGS) + [f"warn.{w}" for w in WARNINGS]
            warnings.warn(f"{source}: minitensor has no setting {name!r}{_close(name, known)}; "
                          f"it is ignored", stacklevel=3)
        except ValueError as error:
            raise ValueError(f"{source}: {error}") from None

    def __repr__(self):
        shown = ", ".join(f"{name}={value!r}" for name, value in self._values.items())
        return f"Config({shown})"


class change_flags:
    """Settings changed for the duration of a ``with`` block or of every call of a decorated
    function, then restored, as Theano's ``config.change_flags``.

    >>> with change_flags(floatX='float32'):
    ...     print(config.floatX)
    float32
    >>> config.floatX
    'float64'
    """

    def __init__(self, changes=None, **kwargs):
        self.changes = dict(changes or {}, **kwargs)

    def __enter__(self):
        self.saved = {name: config.get(name) for name in self.changes}
        try:
            for name, value in self.changes.items():
                config.set(name, value)
        except Exception:
            self.__exit__(None, None, None)
            raise

    def __exit__(self, *exception):
        for name, value in self.saved.items():
            config.set(name, value)

    def __call__(self, function):
        @functools.wraps(function)
        def with_flags(*args, **kwargs):
            with change_flags(self.changes):
                return function(*args, **kwargs)
        return with_flags


config = Config()
Config.change_flags = staticmethod(change_flags)  # theano.config.change_flags, as in Theano
for _variable, _default in (("THEANORC", "~/.theanorc"), ("MINITENSORRC", "~/.minitensorrc")):
    for _path in os.environ.get(_variable, _default).split(os.pathsep):
        if os.path.isfile(os.path.expanduser(_path)):
            config.update_from_file(os.path.expanduser(_path))
config.update_from_flags(os.environ.get("THEANO_FLAGS", ""), "THEANO_FLAGS")
config.update_from_flags(os.environ.get("MINITENSOR_FLAGS", ""))
