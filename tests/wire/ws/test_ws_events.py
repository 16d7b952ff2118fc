"""Events and configurations validate in their constructors."""

from __future__ import annotations

import pytest

from wire import ws
from wire.errors import LocalProtocolError, RemoteProtocolError


def test_messages_accept_their_types_and_copy_buffers() -> None:
    assert ws.TextMessage("héllo").data == "héllo"
    assert ws.BytesMessage(bytearray(b"ab")).data == b"ab"
    assert type(ws.BytesMessage(memoryview(b"ab")).data) is bytes
    assert ws.MessageFragment(bytearray(b"x")).data == b"x"
    assert ws.MessageFragment("x", True).is_text
    assert not ws.MessageFragment(b"x").is_text


@pytest.mark.parametrize(
    "make",
    [
        lambda: ws.TextMessage(b"bytes"),  # type: ignore[arg-type]
        lambda: ws.TextMessage("\ud800 lone surrogate"),
        lambda: ws.BytesMessage("text"),  # type: ignore[arg-type]
        lambda: ws.MessageFragment(3),  # type: ignore[arg-type]
        lambda: ws.MessageFragment("x", final=1),  # type: ignore[arg-type]
        lambda: ws.MessageFragment("\udfff"),
        lambda: ws.Ping(b"x" * 126),
        lambda: ws.Pong("text"),  # type: ignore[arg-type]
        lambda: ws.Close(1004),
        lambda: ws.Close(1006),
        lambda: ws.Close(1015),
        lambda: ws.Close(2000),
        lambda: ws.Close(5000),
        lambda: ws.Close(True),
        lambda: ws.Close(1000, b"bytes"),  # type: ignore[arg-type]
        lambda: ws.Close(1005, "a reason without a code"),
        lambda: ws.Close(1000, "é" * 62),
        lambda: ws.ConnectionClosed(999),
        lambda: ws.ConnectionClosed(1000, b"r"),  # type: ignore[arg-type]
        lambda: ws.ConnectionClosed(1000, "", ValueError("x")),  # type: ignore[arg-type]
    ],
)
def test_invalid_events_are_refused(make: object) -> None:
    with pytest.raises(LocalProtocolError):
        make()  # type: ignore[operator]


def test_valid_close_events() -> None:
    assert ws.Close().code == 1000
    assert ws.Close(1005).reason == ""
    assert ws.Close(1014, "x" * 123).reason == "x" * 123
    assert ws.Close(4999).code == 4999
    closed = ws.ConnectionClosed(1006, "", RemoteProtocolError("x"))
    assert closed.error is not None
    assert ws.ConnectionClosed().code == ws.CloseCode.ABNORMAL_CLOSURE


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_message_size": 0},
        {"max_frame_size": 1.5},
        {"max_fragments": True},
        {"stream_fragments": 1},
        {"fast_path": "yes"},
        {"close_timeout": 0},
        {"ping_interval": -1.0},
        {"ping_timeout": "1"},
    ],
)
def test_invalid_configs_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(LocalProtocolError):
        ws.WSConfig(**kwargs)  # type: ignore[arg-type]


def test_config_defaults_and_disabling_keepalive() -> None:
    config = ws.WSConfig()
    assert (config.max_message_size, config.max_frame_size, config.max_fragments) == (
        1 << 20,
        1 << 20,
        4096,
    )
    assert (config.close_timeout, config.ping_interval, config.ping_timeout) == (10.0, 20.0, 20.0)
    assert ws.WSConfig(ping_interval=None, close_timeout=1).ping_interval is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"server_no_context_takeover": 1},
        {"client_no_context_takeover": None},
        {"server_max_window_bits": 7},
        {"client_max_window_bits": 16},
        {"server_max_window_bits": 9.0},
        {"level": 0},
        {"memory_level": 10},
        {"min_size": -1},
    ],
)
def test_invalid_deflate_configs_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(LocalProtocolError):
        ws.DeflateConfig(**kwargs)  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError):
        ws.DeflateParams(**kwargs)  # type: ignore[arg-type]


def test_deflate_params_need_window_sizes() -> None:
    with pytest.raises(LocalProtocolError):
        ws.DeflateParams(server_max_window_bits=None)  # type: ignore[arg-type]
    assert ws.DeflateParams().response() == "permessage-deflate"
    assert (
        ws.DeflateParams(True, True, 10, 9).response()
        == "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
        "server_max_window_bits=10; client_max_window_bits=9"
    )
