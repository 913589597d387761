"""``config``: the settings a Theano user expects, read once from ``MINITENSOR_FLAGS``.

``MINITENSOR_FLAGS="floatX=float32,device=cpu" python script.py`` sets them for one
run; assigning ``minitensor.config.floatX = 'float32'`` sets them in a program.
"""

import os

_CHOICES = {
    "floatX": ("float64", "float32", "float16"),
    "device": ("cpu", "cuda"),
}


class Config:
    """Validated settings: an unknown name or value is an error, never ignored."""

    def __init__(self):
        object.__setattr__(self, "_values", {"floatX": "float64", "device": "cpu"})

    def __getattr__(self, name):
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"config has no setting {name!r}; settings: {sorted(_CHOICES)}") from None

    def __setattr__(self, name, value):
        if name not in _CHOICES:
            raise AttributeError(f"config has no setting {name!r}; settings: {sorted(_CHOICES)}")
        allowed = _CHOICES[name]
        # 'cuda0', 'cuda1', ... name one GPU, as in Theano.
        canonical = "cuda" if name == "device" and str(value).startswith("cuda") else value
        if canonical not in allowed:
            raise ValueError(f"config.{name} must be one of {allowed}, got {value!r}")
        self._values[name] = value

    def update_from_flags(self, flags):
        """Apply a comma-separated ``name=value`` list, as in ``MINITENSOR_FLAGS``."""
        for item in filter(None, (part.strip() for part in flags.split(","))):
            name, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"MINITENSOR_FLAGS: expected name=value, got {item!r}")
            setattr(self, name.strip(), value.strip())

    def __repr__(self):
        return "Config(" + ", ".join(f"{k}={v!r}" for k, v in self._values.items()) + ")"


config = Config()
config.update_from_flags(os.environ.get("MINITENSOR_FLAGS", ""))
