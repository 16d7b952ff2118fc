"""The Autobahn-modelled corpus (spec/ws) against the Sans-IO server machine.

Every case runs with Autobahn's writes (a frame per write, or its chop size),
with each step's octets in one call, and the same with the connection's fast
path off (``WSConfig(fast_path=False)``: every frame through wsproto's
decoder); cases up to 16 KiB also run one octet per call. Whole steps take the
fast path wherever it applies, so each case checks both readers. Sections 9,
12 and 13 (large and many messages) live in test_conformance_bulk.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from spec.ws import corpus
from tests.wire.ws.peer import BYTEWISE_LIMIT, run_case, total_input, verdict

_BULK = ("9-limits", "12-deflate", "13-deflate-parameters")


def _params(sections: tuple[str, ...] | None, exclude: tuple[str, ...] = ()) -> list[Any]:
    out = []
    for section, cases in corpus.load().items():
        if section in exclude or (sections is not None and section not in sections):
            continue
        for case in cases:
            out += [pytest.param(case, mode, id=f"{case['id']}-{mode}") for mode in modes(case)]
    return out


def modes(case: dict[str, Any]) -> list[str]:
    """The feeding modes worth running: whole steps differ only where a step has several frames.

    ``wsproto`` (whole steps, fast path off) runs wherever the fast path could
    have taken a frame, so every such case is checked against wsproto's decoder.
    """
    out = ["autobahn"]
    if any("send" in step or step["messages"].get("fragment_size") for step in case["steps"]):
        out.append("whole")
    out.append("wsproto")
    if total_input(case) <= BYTEWISE_LIMIT:
        out.append("bytewise")
    return out


def test_corpus_files_match_their_definitions() -> None:
    built = corpus.build()
    assert corpus.load() == {name: [dict(c) for c in cases] for name, cases in built.items()}
    for name, cases in built.items():
        text = (corpus.CASES_DIR / f"{name}.json").read_text(encoding="utf-8")
        assert text == corpus.render(cases), f"run python spec/ws/corpus.py ({name})"


def test_corpus_identifiers_are_unique_and_sections_counted() -> None:
    ids = [case["id"] for cases in corpus.load().values() for case in cases]
    assert len(ids) == len(set(ids))
    counts = {name: len(cases) for name, cases in corpus.load().items()}
    # Autobahn's counts, plus our own N.W.k cases (see spec/ws/README.md).
    assert counts == {
        "1-framing": 16 + 4,
        "2-pings": 11,
        "3-reserved-bits": 7,
        "4-opcodes": 10,
        "5-fragmentation": 20,
        "6-utf8": 145,
        "7-close": 37,
        "9-limits": 54 + 7,
        "10-misc": 1,
        "12-deflate": 90 + 11,
        "13-deflate-parameters": 126,
    }


@pytest.mark.parametrize(("case", "mode"), _params(None, exclude=_BULK))
def test_case(case: dict[str, Any], mode: str) -> None:
    outcome = run_case(case, mode)
    assert verdict(case, outcome) == []
