"""Test settings: hypothesis profiles, and the ``backend`` and ``floatX`` fixtures.

``ci`` (the default) is bounded and derandomised so a run is reproducible and
fits CI's time; ``fuzz`` (``MINITENSOR_FUZZ=1``) tries many more examples.

A test that takes ``backend`` runs once per backend, 'numpy' and 'cupy'; the CuPy
case skips, saying why, where CuPy or a GPU is missing (as in CI).
"""

import os

import pytest
from hypothesis import HealthCheck, settings

import minitensor

settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("fuzz" if os.environ.get("MINITENSOR_FUZZ") else "ci")


def pytest_configure(config):
    # A rule that fails or makes an ill-typed replacement is skipped with a warning when a
    # user compiles; in the tests it is an error, so that no such rule goes unnoticed.
    config.addinivalue_line("filterwarnings", "error::minitensor.rewriting.engine.RewriteWarning")


def _cupy_skip_reason():
    """Why CuPy cases cannot run here, or None when CuPy and a GPU are present."""
    try:
        import cupy
    except ImportError:
        return "CuPy is not installed (pip install \"minitensor[cuda]\")"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # no driver: CuPy's CUDARuntimeError
        return f"CuPy finds no CUDA driver: {error}"
    return None if count > 0 else "CuPy finds no CUDA GPU"


@pytest.fixture(params=["numpy", "cupy"])
def backend(request):
    """Each available backend's name, for ``function(..., backend=backend)``; CuPy skips
    with the reason where CUDA is absent (as in CI)."""
    if request.param == "cupy":
        reason = _cupy_skip_reason()
        if reason is not None:
            pytest.skip(reason)
    return request.param


@pytest.fixture
def floatX():
    """``minitensor.config``, for a test that changes ``floatX``; restored afterwards."""
    saved = minitensor.config.floatX
    yield minitensor.config
    minitensor.config.floatX = saved
