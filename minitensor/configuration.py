"""``config``: the settings a Theano user expects, read once from ``MINITENSOR_FLAGS``.

``MINITENSOR_FLAGS="floatX=float32,device=cpu" python script.py`` sets them for one
run; assigning ``minitensor.config.floatX = 'float32'`` sets them in a program.
"""

import os

FLOATX_CHOICES = ("float64", "float32", "float16")


class WarnFlags:
    """Theano's ``config.warn.*``: switches for warnings about bugs of old Theano versions.

    minitensor never had those bugs, so it has no such warnings: the flags are
    accepted (Theano's tutorial sets ``config.warn.subtensor_merge_bug = False``)
    and change nothing. A name Theano did not have is an error, as in ``Config``.
    """

    NAMES = ("ignore_bug_before", "argmax_pushdown_bug", "gpusum_01_011_0111_bug", "sum_sum_bug",
             "sum_div_dimshuffle_bug", "subtensor_merge_bug", "gpu_set_subtensor1", "vm_gc_bug",
             "signal_conv2d_interface", "reduce_join", "inc_set_subtensor1", "round")

    def __setattr__(self, name, value):
        if name not in self.NAMES:
            raise AttributeError(f"config.warn has no flag {name!r}; Theano's flags: {', '.join(self.NAMES)}")
        super().__setattr__(name, value)

    def __getattr__(self, name):
        if name in self.NAMES:
            return False
        raise AttributeError(f"config.warn has no flag {name!r}; Theano's flags: {', '.join(self.NAMES)}")


class Config:
    """Validated settings: an unknown name or value is an error, never ignored."""

    def __init__(self):
        self._floatX = "float64"
        self._device = "cpu"
        self._warn = WarnFlags()

    @property
    def warn(self):
        """Theano's warning flags, accepted and without effect (see ``WarnFlags``)."""
        return self._warn

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

    def __setattr__(self, name, value):
        if not name.startswith("_") and not isinstance(getattr(type(self), name, None), property):
            raise AttributeError(f"config has no setting {name!r}; settings: floatX, device")
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
