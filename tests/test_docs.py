"""Generated documentation stays in step with the code it is generated from."""

from __future__ import annotations

import importlib.util
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_state_diagrams_are_current() -> None:
    spec = importlib.util.spec_from_file_location("make", ROOT / "docs" / "make_state_diagrams.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = module.render()
    assert "stateDiagram-v2" in expected
    assert (ROOT / "docs" / "state-diagrams.md").read_text() == expected, (
        "run: python docs/make_state_diagrams.py"
    )
