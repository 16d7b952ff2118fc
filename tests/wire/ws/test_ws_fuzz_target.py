"""The atheris target fuzz/ws_connection.py: its invariants hold on seeds, finds, random input."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[3]

#: Inputs campaigns found (see fuzz/README.md), kept as regressions.
FOUND = [
    # A compressed text frame: invalid UTF-8 and data after the final DEFLATE block.
    "874171637a686e636729398989" + "ff" * 32 + "0b000000" + "ff" * 8 + "013f3f",
]


@pytest.fixture(scope="module")
def target() -> ModuleType:
    saved = sys.modules.get("atheris", ...)
    sys.modules["atheris"] = None  # type: ignore[assignment]  # replay mode: no instrumentation
    try:
        spec = importlib.util.spec_from_file_location(
            "ws_fuzz_target", ROOT / "fuzz/ws_connection.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        if saved is ...:
            del sys.modules["atheris"]
        else:
            sys.modules["atheris"] = saved  # type: ignore[assignment]
    return module


def test_seeds_and_finds_pass(target: ModuleType, tmp_path: Path) -> None:
    count = target.make_seeds(tmp_path)
    assert count > 400
    for path in sorted(tmp_path.iterdir()):
        target.check(path.read_bytes())
    for found in FOUND:
        target.check(bytes.fromhex(found))


def test_split_patterns(target: ModuleType) -> None:
    assert target.split(b"abc", 0) == [b"a", b"b", b"c"]
    assert b"".join(target.split(bytes(range(200)), 5)) == bytes(range(200))


def test_the_check_catches_a_broken_machine(
    target: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wire import ws

    original = ws.WSConnection.receive_data

    def forgetful(self: ws.WSConnection, data: bytes) -> None:
        if len(data) > 1:  # loses chunks of one octet
            original(self, data)

    monkeypatch.setattr(ws.WSConnection, "receive_data", forgetful)
    with pytest.raises(AssertionError, match="differ"):
        target.check(b"\x00\x81\x85" + b"\0\0\0\0" + b"hello")


def test_replay_main(target: ModuleType, tmp_path: Path) -> None:
    path = tmp_path / "input"
    path.write_bytes(b"\x00\x81\x80\x00\x00\x00\x00")
    assert target.main(["ws_connection.py", str(path)]) == 0
    assert target.main(["ws_connection.py"]) == 2


@settings(max_examples=200)
@given(st.binary(max_size=300))
def test_random_inputs(target: ModuleType, data: bytes) -> None:
    target.check(data)
