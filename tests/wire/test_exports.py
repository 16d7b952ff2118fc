"""The public surface: every name in __all__ exists, and nothing else leaks."""

from __future__ import annotations

import importlib

import pytest

import wire
from wire import errors, http, mqtt


@pytest.mark.parametrize("module", [wire, errors, mqtt, http, http.rest])
def test_all_names_exist(module: object) -> None:
    names = module.__all__  # type: ignore[attr-defined]
    assert len(names) == len(set(names))
    for name in names:
        assert hasattr(module, name), name


def test_mqtt_public_names_are_pinned() -> None:
    public = {name for name in dir(mqtt) if not name.startswith("_")}
    # Submodules are public only where documented (strategies).
    modules = {name for name in public if type(getattr(mqtt, name)).__name__ == "module"}
    assert public - modules == set(mqtt.__all__)


def test_errors_hierarchy() -> None:
    assert issubclass(mqtt.MalformedPacket, errors.RemoteProtocolError)
    assert issubclass(mqtt.MQTTRemoteError, errors.WireError)
    assert issubclass(errors.LocalProtocolError, errors.WireError)
    error = errors.RemoteProtocolError("bad", code=1002)
    assert (str(error), error.code) == ("bad", 1002)
    assert errors.RemoteProtocolError("bad").code is None
    assert mqtt.MalformedPacket("x", reason_code=mqtt.ReasonCode.PROTOCOL_ERROR).code == 0x82


def test_sans_io_modules_import_no_io() -> None:
    """Nothing under wire/ imports an event loop, sockets or the clock."""
    import pathlib

    root = pathlib.Path(wire.__file__).parent
    banned = ("trio", "asyncio", "socket", "ssl", "selectors", "time")
    for path in root.rglob("*.py"):
        text = path.read_text()
        for name in banned:
            assert f"\nimport {name}\n" not in text, (path, name)
            assert f"\nfrom {name} import" not in text, (path, name)
            assert f"\nimport {name}." not in text, (path, name)
    importlib.import_module("wire.mqtt.strategies")
