"""Test-wide configuration: hypothesis profiles.

Profiles (select with HYPOTHESIS_PROFILE, default ``dev``):

- ``ci``: derandomized and bounded, so CI is repeatable and fast;
- ``dev``: hypothesis' defaults without deadlines;
- ``fuzz``: many examples, for a long local campaign.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=150,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.register_profile(
    "fuzz",
    max_examples=20_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
