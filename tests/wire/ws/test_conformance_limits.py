"""Section 9 of the corpus: Autobahn's large and many messages, and our limits.

Kept apart from test_conformance.py because it moves tens of megabytes. Each
case runs with Autobahn's writes and with whole steps; the small cases (our
limits, the 1000-message round trips of small sizes) also one octet per call.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.wire.ws.peer import run_case, verdict
from tests.wire.ws.test_conformance import _params


@pytest.mark.parametrize(("case", "mode"), _params(("9-limits",)))
def test_case(case: dict[str, Any], mode: str) -> None:
    outcome = run_case(case, mode)
    assert verdict(case, outcome) == []
