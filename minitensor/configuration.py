"""``config``: the settings a Theano user expects, read once from ``MINITENSOR_FLAGS``.

``MINITENSOR_FLAGS="floatX=float32,device=cpu" python script.py`` sets them for one
run; assigning ``minitensor.config.floatX = 'float32'`` sets them in a program.
"""

import os

FLOATX_CHOICES = ("float64", "float32", "float16")
COMPUTE_TEST_VALUE_CHOICES = ("off", "ignore", "warn", "raise")


def _as_bool(name, value):
    """A flag's value as a bool: True, False, or their spellings in MINITENSOR_FLAGS."""
    if isinstance(value, str) and value.lower() in ("true", "1", "false", "0"):
        return value.lower() in ("true", "1")
    if isinstance(value, (bool, int)) and value in (0, 1):
        return bool(value)
    raise ValueError(f"config.{name} must be True or False, got {value!r}")


class Config:
    """Validated settings: an unknown name or value is an error, never ignored."""

    def __init__(self):
        self._floatX = "float64"
        self._device = "cpu"
        self._compute_test_value = "off"
        self._print_test_value = False
        self._profile = False

    @property
    def floatX(self):
        """The dtype of ``T.matrix()`` and the other constructors when none is given."""
        return self._floatX

    @floatX.setter
    def floatX(self, value):
        if value not in FLOATX_CHOICES:
            raise ValueError(f"config.floatX must be one of {FLOATX_CHOICES}, got {value!r}")
        self._floatX = value

    @property
    def device(self):
        """Where compiled functions run: 'cpu' (NumPy) or 'cuda' (CuPy)."""
        return self._device

    @device.setter
    def device(self, value):
        if value != "cpu" and not (isinstance(value, str) and value.startswith("cuda")
                                   and value[4:] in ("", *map(str, range(16)))):
            raise ValueError(f"config.device must be 'cpu', 'cuda' or 'cudaN', got {value!r}")
        self._device = value

    @property
    def compute_test_value(self):
        """'off', or what to do when building a node whose inputs lack test values: 'ignore',
        'warn' or 'raise' (see ``minitensor.test_values``)."""
        return self._compute_test_value

    @compute_test_value.setter
    def compute_test_value(self, value):
        if value not in COMPUTE_TEST_VALUE_CHOICES:
            raise ValueError(f"config.compute_test_value must be one of {COMPUTE_TEST_VALUE_CHOICES}, "
                             f"got {value!r}")
        self._compute_test_value = value

    @property
    def print_test_value(self):
        """Whether a variable's repr shows its test value too."""
        return self._print_test_value

    @print_test_value.setter
    def print_test_value(self, value):
        self._print_test_value = _as_bool("print_test_value", value)

    @property
    def profile(self):
        """Whether every compiled function is profiled, as with ``function(..., profile=True)``."""
        return self._profile

    @profile.setter
    def profile(self, value):
        self._profile = _as_bool("profile", value)

    def __setattr__(self, name, value):
        if not name.startswith("_") and not isinstance(getattr(type(self), name, None), property):
            settings = ", ".join(n for n, v in vars(type(self)).items() if isinstance(v, property))
            raise AttributeError(f"config has no setting {name!r}; settings: {settings}")
        super().__setattr__(name, value)

    def update_from_flags(self, flags):
        """Apply a comma-separated ``name=value`` list, as in ``MINITENSOR_FLAGS``."""
        for item in filter(None, (part.strip() for part in flags.split(","))):
            name, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"MINITENSOR_FLAGS: expected name=value, got {item!r}")
            setattr(self, name.strip(), value.strip())

    def __repr__(self):
        return f"Config(floatX={self.floatX!r}, device={self.device!r})"


config = Config()
config.update_from_flags(os.environ.get("MINITENSOR_FLAGS", ""))
