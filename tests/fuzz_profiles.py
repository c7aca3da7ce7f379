"""Hypothesis profiles for the property tests at the hub's boundaries (imported by each).

The suite runs each property on a few hundred inputs (profile ``suite``); ``make fuzz``
runs the same properties far longer (``HYPOTHESIS_PROFILE=fuzz``, see the Makefile).
No deadline: a slow example on a busy 2-core machine is not a failure."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "suite",
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("CANOPY_FUZZ_EXAMPLES", "20000")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))


def examples(suite: int) -> int:
    """``suite`` examples in the suite (for a slow property), the profile's under make fuzz."""
    name = os.environ.get("HYPOTHESIS_PROFILE", "suite")
    return suite if name == "suite" else settings.get_profile(name).max_examples
