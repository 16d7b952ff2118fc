"""Sections 12 and 13 of the corpus: permessage-deflate, Autobahn's cases and ours.

Each case negotiates through our ServerHandshake with the offer of the case;
the test peer parses the answer itself, compresses with zlib and checks the
server's messages with exactly the agreed window and context rules.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.wire.ws.peer import run_case, verdict
from tests.wire.ws.test_conformance import _params


@pytest.mark.parametrize(("case", "mode"), _params(("12-deflate", "13-deflate-parameters")))
def test_case(case: dict[str, Any], mode: str) -> None:
    outcome = run_case(case, mode)
    assert verdict(case, outcome) == []
