"""Test settings: the backend the suite runs on, hypothesis profiles, and the ``backend``
and ``floatX`` fixtures.

``python -m pytest`` runs every test on NumPy; ``python -m pytest --backend=cupy`` runs
every test under ``device=cuda``, on CuPy where it reaches a GPU and otherwise on the
strict CPU stand-in for CuPy in ``cupy_standin.py`` (as in CI). A test that is
NumPy-only by nature is marked ``@pytest.mark.numpy_only("why")`` and skips on CuPy,
saying why.

``ci`` (the default profile) is bounded and derandomised so a run is reproducible and
fits CI's time; ``fuzz`` (``MINITENSOR_FUZZ=1``) tries many more examples.

A test that takes ``backend`` runs once per backend, 'numpy' and 'cupy'; the CuPy
case runs on the stand-in where no GPU is present.
"""

import os
import sys

import pytest
from hypothesis import HealthCheck, settings

import minitensor


def pytest_addoption(parser):
    parser.addoption("--backend", choices=("numpy", "cupy"), default="numpy",
                     help="the backend every test runs on: numpy (device=cpu) or cupy (device=cuda; "
                          "the CPU stand-in for CuPy where no GPU is present)")


def pytest_configure(config):
    config.addinivalue_line("markers", "numpy_only(reason): a test that is NumPy-only by nature; "
                                       "it skips under --backend=cupy, giving the reason")
    # A rule that fails or makes an ill-typed replacement is skipped with a warning when a
    # user compiles; in the tests it is an error, so that no such rule goes unnoticed.
    config.addinivalue_line("filterwarnings", "error::minitensor.rewriting.engine.RewriteWarning")
    if config.getoption("--backend") == "cupy":
        if _real_gpu_reason() is not None:
            import cupy_standin
            sys.modules["cupy"] = cupy_standin
        minitensor.config.device = "cuda"


def pytest_report_header(config):
    if config.getoption("--backend") == "numpy":
        return "minitensor backend: numpy"
    import cupy
    kind = "the CPU stand-in for CuPy" if getattr(cupy, "STANDIN", False) else f"CuPy {cupy.__version__}"
    return f"minitensor backend: cupy (device=cuda), on {kind}"


def pytest_collection_modifyitems(config, items):
    if config.getoption("--backend") != "cupy":
        return
    for item in items:
        marker = item.get_closest_marker("numpy_only")
        if marker is not None:
            item.add_marker(pytest.mark.skip(reason=f"NumPy only: {marker.args[0]}"))


def _real_gpu_reason():
    """Why the real CuPy cannot run here (None when it reaches a GPU). Without an NVIDIA device
    file it does not import CuPy at all: CuPy's lazily loaded modules (cupyx) would import parts
    of CuPy that the stand-in, once it is ``cupy``, does not have."""
    if not any(os.path.exists(path) for path in ("/dev/nvidiactl", "/dev/nvidia0")):
        return "no NVIDIA device"
    try:
        import cupy
    except ImportError:
        return "CuPy is not installed"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # no driver: CuPy's CUDARuntimeError
        return f"CuPy finds no CUDA driver: {error}"
    return None if count > 0 else "CuPy finds no CUDA GPU"

settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("fuzz" if os.environ.get("MINITENSOR_FUZZ") else "ci")


@pytest.fixture(params=["numpy", "cupy"])
def backend(request, monkeypatch):
    """Each backend's name, for ``function(..., backend=backend)``. CuPy's case runs on
    CuPy where it reaches a GPU, and on the CPU stand-in elsewhere (as in CI)."""
    if request.param == "cupy" and _real_gpu_reason() is not None:
        import cupy_standin
        monkeypatch.setitem(sys.modules, "cupy", cupy_standin)
    return request.param


@pytest.fixture
def floatX():
    """``minitensor.config``, for a test that changes ``floatX``; restored afterwards."""
    saved = minitensor.config.floatX
    yield minitensor.config
    minitensor.config.floatX = saved
