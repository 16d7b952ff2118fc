"""The public surface of wire.ws: pinned, and nothing else leaks."""

from __future__ import annotations

import importlib

import wire
from wire import errors, http, ws


def test_public_names_are_pinned() -> None:
    assert ws.__all__ == [
        "BytesMessage",
        "ClientHandshake",
        "Close",
        "CloseCode",
        "CloseTimeout",
        "ConnectionClosed",
        "ConnectionState",
        "DeflateConfig",
        "DeflateParams",
        "Event",
        "HandshakeError",
        "InternalError",
        "InvalidPayload",
        "KeepaliveTimeout",
        "MessageFragment",
        "MessageTooBig",
        "Negotiated",
        "Ping",
        "Pong",
        "PreparedMessage",
        "ProtocolViolation",
        "Role",
        "ServerHandshake",
        "TextMessage",
        "WSConfig",
        "WSConnection",
        "WSRemoteError",
        "accept_token",
        "reject",
        "state_diagram",
    ]
    public = {name for name in dir(ws) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(ws, name)).__name__ == "module"}
    assert public - modules == set(ws.__all__)
    for name in ws.__all__:
        assert hasattr(ws, name), name


def test_role_is_the_http_role() -> None:
    # One Role for a driver that goes from HTTP to WebSocket.
    assert ws.Role is http.Role


def test_error_hierarchy() -> None:
    for cls, code in [
        (ws.ProtocolViolation, 1002),
        (ws.InvalidPayload, 1007),
        (ws.MessageTooBig, 1009),
        (ws.KeepaliveTimeout, 1011),
        (ws.InternalError, 1011),
        (ws.CloseTimeout, None),
    ]:
        error = cls("why")
        assert isinstance(error, ws.WSRemoteError)
        assert isinstance(error, errors.RemoteProtocolError)
        assert (str(error), error.code) == ("why", code)
    refused = ws.HandshakeError("no", status=426, headers=((b"sec-websocket-version", b"13"),))
    assert (refused.code, refused.status, refused.headers) == (
        426,
        426,
        ((b"sec-websocket-version", b"13"),),
    )
    assert ws.HandshakeError("bad answer").code is None


def test_strategies_module_imports_and_sans_io() -> None:
    importlib.import_module("wire.ws.strategies")
    import pathlib

    root = pathlib.Path(ws.__file__).parent
    for path in root.glob("*.py"):
        text = path.read_text()
        for banned in (
            "trio",
            "asyncio",
            "socket",
            "ssl",
            "selectors",
            "time",
            "os",
            "random",
            "secrets",
        ):
            assert f"\nimport {banned}\n" not in text, (path, banned)
            assert f"\nfrom {banned} import" not in text, (path, banned)
    assert wire.__all__
