"""WSConnection behaviour: what it answers by itself, timers, limits, misuse, the end."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.wire.ws.peer import frame_bytes

from wire import ws
from wire.errors import LocalProtocolError
from wire.ws import _connection
from wire.ws._messages import MessageAssembler

KEY = b"\x11\x22\x33\x44"
S = ws.ConnectionState


def fixed_mask(size: int) -> bytes:
    return KEY[:size]


def server(**config: Any) -> ws.WSConnection:
    return ws.WSConnection(ws.Role.SERVER, config=ws.WSConfig(**config))


def client(**config: Any) -> ws.WSConnection:
    return ws.WSConnection(ws.Role.CLIENT, config=ws.WSConfig(**config), mask_source=fixed_mask)


def masked(opcode: int, payload: bytes = b"", *, fin: bool = True, rsv: int = 0) -> bytes:
    return frame_bytes(opcode, payload, fin=fin, rsv=rsv, key=KEY)


def plain(opcode: int, payload: bytes = b"", *, fin: bool = True) -> bytes:
    assert len(payload) < 126
    return bytes(((0x80 if fin else 0) | opcode, len(payload))) + payload


def close_payload(code: int, reason: bytes = b"") -> bytes:
    return code.to_bytes(2, "big") + reason


def unmask(frame: bytes) -> tuple[int, bytes]:
    """Opcode and payload of one short client frame."""
    size = frame[1] & 0x7F
    key = frame[2:6]
    payload = bytes(b ^ key[i % 4] for i, b in enumerate(frame[6 : 6 + size]))
    return frame[0] & 0x0F, payload


# ---------------------------------------------------------------------------
# Construction
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: ws.WSConnection("server"),  # type: ignore[arg-type]
        lambda: ws.WSConnection(ws.Role.SERVER, subprotocol=b"chat"),  # type: ignore[arg-type]
        lambda: ws.WSConnection(ws.Role.SERVER, deflate=ws.DeflateConfig()),  # type: ignore[arg-type]
        lambda: ws.WSConnection(ws.Role.SERVER, config={}),  # type: ignore[arg-type]
        lambda: ws.WSConnection(ws.Role.CLIENT),
        lambda: ws.WSConnection(ws.Role.CLIENT, mask_source=b"1234"),  # type: ignore[arg-type]
        lambda: ws.WSConnection(ws.Role.CLIENT, mask_source=lambda n: b"123"),
        lambda: ws.WSConnection(ws.Role.CLIENT, mask_source=lambda n: "1234"),  # type: ignore[arg-type,return-value]
        lambda: ws.WSConnection.from_handshake(ws.Role.SERVER),  # type: ignore[arg-type]
    ],
)
def test_invalid_arguments(make: Callable[[], object]) -> None:
    with pytest.raises(LocalProtocolError):
        make()


def test_properties_and_from_handshake() -> None:
    params = ws.DeflateParams()
    negotiated = ws.Negotiated(ws.Role.CLIENT, "chat", params)
    config = ws.WSConfig(max_message_size=10)
    conn = ws.WSConnection.from_handshake(negotiated, config=config, mask_source=fixed_mask)
    assert (conn.role, conn.subprotocol, conn.deflate, conn.config) == (
        ws.Role.CLIENT,
        "chat",
        params,
        config,
    )
    assert conn.state is S.OPEN
    assert server().config == ws.WSConfig()


# ---------------------------------------------------------------------------
# Sending
# ---------------------------------------------------------------------------


def test_client_frames_are_masked_with_the_injected_key() -> None:
    conn = client()
    conn.send(ws.TextMessage("hi"))
    conn.send(ws.BytesMessage(b"\x00\x01"))
    conn.send(ws.Ping(b"p"))
    conn.send(ws.Pong(b"q"))
    frames = conn.data_to_send()
    assert frames[0] == masked(1, b"hi")
    assert [unmask(f) for f in frames] == [(1, b"hi"), (2, b"\x00\x01"), (9, b"p"), (10, b"q")]


def test_server_frames_are_not_masked() -> None:
    conn = server()
    conn.send(ws.TextMessage("hi"))
    conn.send(ws.Close(1001, "bye"))
    assert conn.data_to_send() == [b"\x81\x02hi", b"\x88\x05\x03\xe9bye"]
    assert conn.state is S.CLOSE_SENT


def test_sending_fragments() -> None:
    conn = server()
    conn.send(ws.MessageFragment("a"))
    conn.send(ws.Ping(b"between"))
    with pytest.raises(LocalProtocolError, match="finish it first"):
        conn.send(ws.TextMessage("no"))
    with pytest.raises(LocalProtocolError, match="same type"):
        conn.send(ws.MessageFragment(b"binary"))
    conn.send(ws.MessageFragment("b", final=True))
    conn.send(ws.MessageFragment(b"x", final=True))
    assert conn.data_to_send() == [
        b"\x01\x01a",
        b"\x89\x07between",
        b"\x80\x01b",
        b"\x82\x01x",
    ]


def test_a_close_abandons_a_fragmented_message() -> None:
    conn = server()
    conn.send(ws.MessageFragment(b"part"))
    conn.send(ws.Close())
    assert conn.state is S.CLOSE_SENT
    for event in (ws.TextMessage("x"), ws.MessageFragment("y"), ws.Ping(), ws.Pong(), ws.Close()):
        with pytest.raises(LocalProtocolError, match="close-sent"):
            conn.send(event)
    assert conn.state is S.CLOSE_SENT


def test_events_that_are_never_sent() -> None:
    with pytest.raises(LocalProtocolError, match="ConnectionClosed"):
        server().send(ws.ConnectionClosed())  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# What the machine answers by itself
# ---------------------------------------------------------------------------


def test_a_ping_is_answered_and_reported() -> None:
    conn = server()
    conn.receive_data(masked(9, b"are you there"))
    assert conn.events() == [ws.Ping(b"are you there")]
    assert conn.data_to_send() == [b"\x8a\x0dare you there"]


def test_no_pong_once_our_close_is_out() -> None:
    conn = server()
    conn.send(ws.Close())
    conn.data_to_send()
    conn.receive_data(masked(9, b"late") + masked(1, b"still read"))
    assert conn.events() == [ws.Ping(b"late"), ws.TextMessage("still read")]
    assert conn.data_to_send() == []


def test_server_answers_a_close_and_ends_the_stream() -> None:
    conn = server()
    conn.receive_data(masked(8, close_payload(1001, b"going")))
    assert conn.events() == [ws.Close(1001, "going"), ws.ConnectionClosed(1001, "going")]
    assert conn.data_to_send() == [b"\x88\x02\x03\xe9", b""]
    assert conn.state is S.CLOSED
    conn.receive_data(masked(1, b"ignored"))
    conn.receive_eof()
    assert conn.events() == []
    assert conn.next_deadline() is None


def test_client_answers_a_close_and_waits_for_the_server_to_end() -> None:
    conn = client(close_timeout=5)
    conn.tick(100.0)
    conn.receive_data(plain(8))
    assert conn.events() == [ws.Close(1005)]
    [answer] = conn.data_to_send()
    assert unmask(answer) == (8, b"")
    assert conn.state is S.FINISHING
    assert conn.next_deadline() == 105.0
    conn.receive_data(plain(1, b"after close: discarded"))
    assert conn.events() == []
    conn.receive_eof()
    assert conn.events() == [ws.ConnectionClosed(1005, "")]
    assert conn.data_to_send() == [b""]


def test_client_gives_up_waiting_for_the_server_to_end() -> None:
    conn = client(close_timeout=5)
    conn.receive_data(plain(8, close_payload(1000)))
    conn.data_to_send()
    assert conn.next_deadline() is None  # timers start at the first tick
    conn.tick(10.0)
    assert conn.next_deadline() == 15.0
    conn.tick(14.9)
    assert conn.state is S.FINISHING
    conn.tick(15.0)
    assert conn.events() == [ws.Close(1000), ws.ConnectionClosed(1000, "")]
    assert conn.data_to_send() == [b""]


def test_our_close_answered_in_time() -> None:
    conn = client()
    conn.tick(0.0)
    conn.send(ws.Close(4000, "done"))
    assert conn.next_deadline() == 10.0
    conn.receive_data(plain(8, close_payload(4000)))
    assert conn.events() == [ws.Close(4000)]
    assert conn.state is S.FINISHING
    conn.receive_eof()
    assert conn.events() == [ws.ConnectionClosed(4000, "")]


def test_our_close_never_answered() -> None:
    conn = server(close_timeout=2)
    conn.send(ws.Close())
    conn.tick(1.0)  # the first tick starts the timer
    assert conn.next_deadline() == 3.0
    conn.tick(3.0)
    [closed] = conn.events()
    assert isinstance(closed, ws.ConnectionClosed) and closed.code == 1006
    assert isinstance(closed.error, ws.CloseTimeout) and closed.error.code is None
    assert conn.data_to_send()[-1] == b""


def test_end_of_stream_without_close_is_abnormal() -> None:
    conn = server()
    conn.receive_eof()
    assert conn.events() == [ws.ConnectionClosed(1006, "")]
    assert conn.data_to_send() == [b""]


def test_a_violation_after_our_close_ends_without_a_second_close() -> None:
    conn = server()
    conn.send(ws.Close())
    conn.data_to_send()
    conn.receive_data(masked(3))
    [closed] = conn.events()
    assert isinstance(closed, ws.ConnectionClosed)
    assert isinstance(closed.error, ws.ProtocolViolation)
    assert conn.data_to_send() == [b""]


# ---------------------------------------------------------------------------
# Events before a fault or a Close come first, and may be answered
# ---------------------------------------------------------------------------


def test_messages_before_a_fault_are_delivered_and_answered() -> None:
    conn = server()
    conn.tick(7.0)
    assert not conn.close_pending
    conn.receive_data(masked(1, b"first") + masked(3) + masked(1, b"never"))
    assert conn.close_pending
    conn.tick(7.0)  # before the events are taken, nothing happens
    assert conn.data_to_send() == []
    assert conn.close_pending
    assert conn.events() == [ws.TextMessage("first")]
    assert conn.close_pending  # held behind the message just returned
    assert conn.next_deadline() == 7.0  # the driver is asked to come back at once
    conn.send(ws.TextMessage("first"))
    out = conn.data_to_send()
    assert out[0] == b"\x81\x05first"
    assert (out[1][0], out[1][2:4]) == (0x88, b"\x03\xea")  # Close 1002, after the answer
    assert out[2] == b""
    assert not conn.close_pending
    [closed] = conn.events()
    assert isinstance(closed, ws.ConnectionClosed) and isinstance(
        closed.error, ws.ProtocolViolation
    )


def test_a_close_behind_messages_is_pending_until_they_are_answered() -> None:
    conn = server()
    conn.receive_data(masked(1, b"one") + masked(8, close_payload(1000)))
    assert conn.events() == [ws.TextMessage("one"), ws.Close(1000, "")]
    assert conn.close_pending
    conn.send(ws.TextMessage("one"))
    out = conn.data_to_send()
    assert not conn.close_pending
    assert out == [b"\x81\x03one", b"\x88\x02\x03\xe8", b""]
    # A Close alone is answered at once: nothing is pending.
    alone = server()
    alone.receive_data(masked(8, close_payload(1000)))
    assert not alone.close_pending
    assert alone.data_to_send() == [b"\x88\x02\x03\xe8", b""]


@pytest.mark.parametrize("how", ["events", "tick", "eof"])
def test_a_waiting_fault_is_carried_out_at_the_next_call(how: str) -> None:
    conn = server()
    conn.receive_data(masked(2, b"x") + masked(1, b"\xff"))
    assert conn.events() == [ws.BytesMessage(b"x")]
    if how == "events":
        [closed] = conn.events()
    elif how == "tick":
        conn.tick(1.0)
        [closed] = conn.events()
    else:
        conn.receive_eof()
        [closed] = conn.events()
    assert isinstance(closed, ws.ConnectionClosed) and isinstance(closed.error, ws.InvalidPayload)
    assert conn.data_to_send()[-1] == b""


def test_an_untaken_fault_is_carried_out_at_end_of_stream() -> None:
    conn = server()
    conn.receive_data(masked(2, b"x") + masked(3))
    conn.receive_eof()
    events = conn.events()
    assert events[0] == ws.BytesMessage(b"x")
    assert isinstance(events[1], ws.ConnectionClosed) and events[1].error is not None
    assert len(events) == 2


def test_messages_before_a_close_are_answered_before_ours() -> None:
    conn = server()
    conn.receive_data(masked(1, b"one") + masked(8, close_payload(1000)) + masked(1, b"ignored"))
    assert conn.events() == [ws.TextMessage("one"), ws.Close(1000)]
    assert conn.state is S.OPEN
    conn.send(ws.TextMessage("one"))
    assert conn.data_to_send() == [b"\x81\x03one", b"\x88\x02\x03\xe8", b""]
    assert conn.events() == [ws.ConnectionClosed(1000, "")]


def test_our_own_close_while_theirs_waits() -> None:
    conn = server()
    conn.receive_data(masked(1, b"one") + masked(8, close_payload(1000)))
    conn.events()
    conn.send(ws.Close(1001))
    assert conn.data_to_send() == [b"\x88\x02\x03\xe9", b""]
    assert conn.events() == [ws.ConnectionClosed(1000, "")]


def test_a_timer_that_ends_the_connection_first_makes_the_waiting_fault_moot() -> None:
    conn = server(close_timeout=1)
    conn.tick(0.0)
    conn.receive_data(masked(1, b"hi") + masked(3))
    conn.send(ws.Close())
    conn.tick(0.5)
    conn.tick(2.0)  # our Close went unanswered: the connection ends here
    events = conn.events()
    assert events[0] == ws.TextMessage("hi")
    assert isinstance(events[1], ws.ConnectionClosed)
    assert isinstance(events[1].error, ws.CloseTimeout)
    assert conn.events() == []
    assert conn.data_to_send()[-1] == b""
    assert conn.next_deadline() is None


# ---------------------------------------------------------------------------
# Keep-alive
# ---------------------------------------------------------------------------


def test_keepalive_ping_then_timeout() -> None:
    conn = server(ping_interval=20, ping_timeout=5)
    assert conn.next_deadline() is None
    conn.tick(0.0)
    assert conn.next_deadline() == 20.0
    conn.tick(19.0)
    assert conn.data_to_send() == []
    conn.tick(20.0)
    assert conn.data_to_send() == [b"\x89\x0bkeepalive 1"]
    assert conn.next_deadline() == 25.0
    conn.tick(24.0)
    assert conn.events() == []
    conn.tick(25.0)
    [closed] = conn.events()
    assert isinstance(closed, ws.ConnectionClosed) and isinstance(closed.error, ws.KeepaliveTimeout)
    out = conn.data_to_send()
    assert out[0][2:4] == b"\x03\xf3" and out[1] == b""  # Close 1011


def test_anything_received_counts_as_alive() -> None:
    conn = server(ping_interval=20, ping_timeout=5)
    conn.tick(0.0)
    conn.tick(20.0)
    conn.data_to_send()
    conn.receive_data(masked(10, b"keepalive 1"))
    conn.tick(22.0)
    assert conn.events() == [ws.Pong(b"keepalive 1")]
    assert conn.next_deadline() == 42.0
    conn.receive_data(masked(1, b"x"))
    conn.tick(30.0)
    assert conn.next_deadline() == 50.0


def test_keepalive_off() -> None:
    conn = server(ping_interval=None)
    conn.tick(0.0)
    conn.tick(1e9)
    assert conn.next_deadline() is None
    assert conn.data_to_send() == []


# ---------------------------------------------------------------------------
# Limits and streaming
# ---------------------------------------------------------------------------


def test_limits_close_with_1009() -> None:
    conn = server(max_frame_size=10, max_message_size=100)
    conn.receive_data(masked(1, b"12345678901"))
    [closed] = conn.events()
    assert isinstance(closed, ws.ConnectionClosed) and isinstance(closed.error, ws.MessageTooBig)
    conn = server(max_fragments=2)
    conn.receive_data(masked(1, b"a", fin=False) + masked(0, b"b", fin=False) + masked(0, b"c"))
    [closed] = conn.events()
    assert isinstance(closed, ws.ConnectionClosed) and isinstance(closed.error, ws.MessageTooBig)


def test_streamed_fragments_carry_characters_across_frames() -> None:
    conn = server(stream_fragments=True)
    text = bytes.fromhex("cebae1bdb9cf83cebcceb5")  # κόσμε with U+1F79, 3 octets
    conn.receive_data(
        masked(1, text[:3], fin=False) + masked(0, text[3:6], fin=False) + masked(0, text[6:])
    )
    assert conn.events() == [
        ws.MessageFragment("κ", False),
        ws.MessageFragment("\u1f79", False),
        ws.MessageFragment("σμε", True),
    ]
    conn.receive_data(masked(2, b"whole") + masked(1, b"fast"))
    assert conn.events() == [ws.MessageFragment(b"whole", True), ws.MessageFragment("fast", True)]
    conn.receive_data(masked(2, b"a" * 300))
    assert conn.events() == [ws.MessageFragment(b"a" * 300, True)]


def test_a_frame_split_anywhere_arrives_once() -> None:
    conn = client()
    data = bytes((0x82, 126)) + (300).to_bytes(2, "big") + b"z" * 300
    conn.receive_data(data[:1])
    conn.receive_data(data[1:3])
    conn.receive_data(bytearray(data[3:100]))
    conn.receive_data(memoryview(data[100:]))
    conn.receive_data(b"")
    assert conn.events() == [ws.BytesMessage(b"z" * 300)]


# ---------------------------------------------------------------------------
# Our own bugs never reach the driver
# ---------------------------------------------------------------------------


def test_an_internal_error_closes_with_1011(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(self: MessageAssembler, *args: object, **kwargs: object) -> None:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(MessageAssembler, "piece", boom)
    conn = server()
    with caplog.at_level(logging.ERROR):
        conn.receive_data(masked(1, b"x", fin=False))
    [closed] = conn.events()
    assert isinstance(closed, ws.ConnectionClosed) and isinstance(closed.error, ws.InternalError)
    out = conn.data_to_send()
    assert out[0] == b"\x88\x10\x03\xf3internal error" and out[1] == b""
    assert "unexpected internal error" in caplog.text


def test_an_internal_error_after_the_end_is_only_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("broken event")

    monkeypatch.setattr(_connection, "ConnectionClosed", broken)
    conn = server()
    with caplog.at_level(logging.ERROR):
        conn.receive_data(masked(8, close_payload(1000)))
    assert conn.state is S.CLOSED
    assert conn.data_to_send() == [b"\x88\x02\x03\xe8", b""]
    assert "unexpected internal error" in caplog.text


# ---------------------------------------------------------------------------
# Prepared messages (a broadcast encoded once)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [ws.TextMessage("héllo"), ws.BytesMessage(b"\x00\xff" * 100), ws.BytesMessage(b"x" * 70000)],
)
@pytest.mark.parametrize("end", ["server", "client", "deflate"])
def test_a_prepared_message_sends_what_send_sends(
    message: ws.TextMessage | ws.BytesMessage, end: str
) -> None:
    def make() -> ws.WSConnection:
        if end == "deflate":
            return ws.WSConnection(ws.Role.SERVER, deflate=ws.DeflateParams())
        return server() if end == "server" else client()

    prepared = ws.PreparedMessage(message)
    assert prepared.text is (type(message) is ws.TextMessage)
    expected = message.data.encode() if isinstance(message.data, str) else message.data
    assert prepared.payload == expected
    direct, twin = make(), make()
    for _ in range(2):  # twice: with deflate, the second refers back to the first
        direct.send(message)
        twin.send_prepared(prepared)
    sent = twin.data_to_send()
    assert sent == direct.data_to_send()
    if end == "server":
        # The very frame, queued without a copy.
        assert all(chunk is prepared.frame for chunk in sent)


def test_a_prepared_message_is_refused_when_send_would_be() -> None:
    with pytest.raises(LocalProtocolError):
        ws.PreparedMessage(ws.Ping(b""))  # type: ignore[arg-type]
    conn = server()
    prepared = ws.PreparedMessage(ws.TextMessage("hi"))
    with pytest.raises(LocalProtocolError):
        conn.send_prepared(ws.TextMessage("hi"))  # type: ignore[arg-type]
    conn.send(ws.MessageFragment("part", False))
    with pytest.raises(LocalProtocolError, match="fragmented"):
        conn.send_prepared(prepared)
    conn.send(ws.MessageFragment("", True))
    conn.send(ws.Close())
    with pytest.raises(LocalProtocolError, match="cannot be sent"):
        conn.send_prepared(prepared)
    assert conn.data_to_send() == [b"\x01\x04part", b"\x80\x00", b"\x88\x02\x03\xe8"]


# ---------------------------------------------------------------------------
# send_message: send(TextMessage | BytesMessage) without the event
# ---------------------------------------------------------------------------


@given(
    data=st.one_of(st.text(max_size=300), st.binary(max_size=300)),
    end=st.sampled_from(["server", "client", "deflate"]),
)
def test_send_message_queues_what_send_queues(data: str | bytes, end: str) -> None:
    def make() -> ws.WSConnection:
        if end == "deflate":
            return ws.WSConnection(ws.Role.SERVER, deflate=ws.DeflateParams())
        return server() if end == "server" else client()

    event = ws.TextMessage(data) if isinstance(data, str) else ws.BytesMessage(data)
    direct, twin = make(), make()
    for _ in range(2):  # twice: with deflate, the second refers back to the first
        direct.send(event)
        twin.send_message(data)
    assert twin.data_to_send() == direct.data_to_send()


def test_send_message_refuses_what_send_refuses() -> None:
    conn = server()
    with pytest.raises(LocalProtocolError, match="UTF-8"):
        conn.send_message("\ud800")
    with pytest.raises(LocalProtocolError, match="str or bytes"):
        conn.send_message(bytearray(b"x"))  # type: ignore[arg-type]
    conn.send(ws.MessageFragment("part", False))
    with pytest.raises(LocalProtocolError, match="fragmented"):
        conn.send_message("x")
    conn.send(ws.MessageFragment("", True))
    conn.send(ws.Close())
    with pytest.raises(LocalProtocolError, match="cannot be sent"):
        conn.send_message(b"x")
    assert conn.data_to_send() == [b"\x01\x04part", b"\x80\x00", b"\x88\x02\x03\xe8"]


@given(st.one_of(st.text(max_size=50), st.binary(max_size=50)))
def test_the_fast_path_reports_the_events_the_constructors_make(data: str | bytes) -> None:
    conn = server()
    opcode, payload = (1, data.encode()) if isinstance(data, str) else (2, data)
    conn.receive_data(masked(opcode, payload))
    expected = ws.TextMessage(data) if isinstance(data, str) else ws.BytesMessage(data)
    (event,) = conn.events()
    assert event == expected and type(event) is type(expected)
    assert hash(event) == hash(expected)
