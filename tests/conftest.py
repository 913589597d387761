"""Test settings: hypothesis profiles.

``ci`` (the default) is bounded and derandomised so a run is reproducible and
fits CI's time; ``fuzz`` (``MINITENSOR_FUZZ=1``) tries many more examples.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("fuzz" if os.environ.get("MINITENSOR_FUZZ") else "ci")
