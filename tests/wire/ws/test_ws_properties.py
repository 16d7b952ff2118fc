"""Property tests: round trips through a client and a server, any bytes, any splits.

- Messages sent by either end, whole or in any fragments, with or without
  permessage-deflate (any parameters), arrive as sent whatever the chunking
  of the byte stream; control frames arrive in order and Pings are answered.
- Any bytes fed to either end give events or a ConnectionClosed whose code is
  the one in the Close frame the machine sent, and the same events whether the
  bytes come at once or one by one (the second never takes the fast path).
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from wire import ws
from wire.errors import LocalProtocolError
from wire.ws import strategies as wst
from wire.ws._state import TRANSITIONS, Input


def pair(
    deflate: ws.DeflateParams | None = None, *, stream: bool = False
) -> tuple[ws.WSConnection, ws.WSConnection]:
    config = ws.WSConfig(stream_fragments=stream, ping_interval=None)
    client = ws.WSConnection(ws.Role.CLIENT, deflate=deflate, config=config, mask_source=os.urandom)
    server = ws.WSConnection(ws.Role.SERVER, deflate=deflate, config=config)
    return client, server


def deliver(
    sender: ws.WSConnection, receiver: ws.WSConnection, data: st.DataObject
) -> list[ws.Event]:
    stream = b"".join(sender.data_to_send())
    for chunk in data.draw(wst.chunked(stream)):
        receiver.receive_data(chunk)
    return receiver.events()


def normal(events: list[Any]) -> list[Any]:
    """Events with their errors made comparable (exceptions compare by identity)."""
    out = []
    for event in events:
        if isinstance(event, ws.ConnectionClosed) and event.error is not None:
            error = event.error
            out.append(("closed", event.code, type(error), error.code))
        else:
            out.append(event)
    return out


Action = tuple[str, Any]


@st.composite
def actions(draw: st.DrawFn) -> list[Action]:
    out: list[Action] = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["message", "fragments", "control"]))
        if kind == "control":
            out.append((kind, draw(wst.control_events())))
        else:
            message = draw(wst.messages(max_size=300))
            out.append((kind, draw(wst.fragmented(message)) if kind == "fragments" else message))
    return out


@settings(max_examples=60)
@given(
    actions(),
    st.none() | wst.deflate_params(),
    st.booleans(),
    st.booleans(),
    st.data(),
)
def test_messages_round_trip(
    plan: list[Action],
    deflate: ws.DeflateParams | None,
    from_client: bool,
    stream: bool,
    data: st.DataObject,
) -> None:
    client, server = pair(deflate, stream=stream)
    sender, receiver = (client, server) if from_client else (server, client)
    expected: list[Any] = []
    for kind, value in plan:
        if kind == "control":
            sender.send(value)
            expected.append(value)
        elif kind == "fragments":
            for fragment in value:
                sender.send(fragment)
            if stream:
                expected += value
            else:
                joined = ("" if value[0].is_text else b"").join(f.data for f in value)
                expected.append(
                    ws.TextMessage(joined) if value[0].is_text else ws.BytesMessage(joined)
                )
        else:
            sender.send(value)
            expected.append(ws.MessageFragment(value.data, True) if stream else value)
    assert deliver(sender, receiver, data) == expected
    pings = [e for e in expected if isinstance(e, ws.Ping)]
    answers = deliver(receiver, sender, data)
    assert answers == [ws.Pong(p.payload) for p in pings]


@settings(max_examples=40)
@given(wst.closes(), st.booleans(), st.data())
def test_closing_handshake_round_trip(
    close: ws.Close, from_client: bool, data: st.DataObject
) -> None:
    client, server = pair()
    sender, receiver = (client, server) if from_client else (server, client)
    sender.send(close)
    received = deliver(sender, receiver, data)
    assert received[0] == ws.Close(close.code, close.reason)
    echoed = deliver(receiver, sender, data)
    assert echoed[0] == ws.Close(close.code, "")
    # The server closes the stream at once; the client when the server has.
    assert server.state is ws.ConnectionState.CLOSED
    if client.state is ws.ConnectionState.FINISHING:
        client.receive_eof()
    assert client.state is ws.ConnectionState.CLOSED
    ends = [e for e in [*received, *echoed, *client.events()] if isinstance(e, ws.ConnectionClosed)]
    assert ends and all(e.error is None for e in ends)


def _feed_all(role: ws.Role, stream: bytes, chunks: list[bytes]) -> tuple[list[Any], list[bytes]]:
    kwargs: dict[str, Any] = {"mask_source": lambda n: b"\x01\x02\x03\x04"}
    if role is ws.Role.SERVER:
        kwargs = {}
    config = ws.WSConfig(max_message_size=256, max_frame_size=128, max_fragments=4)
    conn = ws.WSConnection(role, config=config, **kwargs)
    events: list[Any] = []
    out: list[bytes] = []
    for chunk in chunks:
        conn.receive_data(chunk)
        events += conn.events()
        out += conn.data_to_send()
    events += conn.events()
    out += conn.data_to_send()
    return normal(events), out


_frame_like = st.builds(
    lambda first, masked, size, body: bytes((first, (0x80 if masked else 0) | size)) + body,
    st.sampled_from([0x81, 0x82, 0x01, 0x80, 0x89, 0x8A, 0x88, 0xC1, 0x83, 0x09])
    | st.integers(0, 255),
    st.booleans(),
    st.integers(0, 127),
    st.binary(max_size=40),
)


@settings(max_examples=150)
@given(
    st.lists(_frame_like | st.binary(max_size=30), max_size=6),
    st.sampled_from(list(ws.Role)),
    st.data(),
)
def test_any_bytes_give_events_or_the_right_close(
    pieces: list[bytes], role: ws.Role, data: st.DataObject
) -> None:
    stream = b"".join(pieces)
    whole_events, whole_out = _feed_all(role, stream, [stream])
    split_events, split_out = _feed_all(role, stream, data.draw(wst.chunked(stream)))
    byte_events, byte_out = _feed_all(role, stream, [stream[i : i + 1] for i in range(len(stream))])
    # Split invariance: the same events however the bytes come.
    assert whole_events == split_events == byte_events
    ends = [e for e in whole_events if isinstance(e, tuple | ws.ConnectionClosed)]
    assert len(ends) <= 1
    if ends:
        assert whole_events[-1] is ends[0]
        assert whole_out[-1] == b""
        if isinstance(ends[0], tuple):
            _, _, kind, code = ends[0]
            assert issubclass(kind, ws.WSRemoteError)
            assert code in (1002, 1007, 1009)
            close = [frame for frame in whole_out if frame[:1] == b"\x88"]
            assert close, "the machine sends its Close itself"
            payload = close[-1][2:] if role is ws.Role.SERVER else close[-1][6:]
            if role is ws.Role.CLIENT:
                mask = close[-1][2:6]
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            assert int.from_bytes(payload[:2], "big") == code
    assert whole_out == split_out == byte_out


class ConnectionPair(RuleBasedStateMachine):
    """Both ends driven at random: sends allowed by the table work, others change nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.client, self.server = pair()
        self.now = 0.0
        for conn in (self.client, self.server):
            conn.tick(self.now)
        self.events: dict[ws.Role, list[Any]] = {ws.Role.CLIENT: [], ws.Role.SERVER: []}

    def _end(self, role: ws.Role) -> ws.WSConnection:
        return self.client if role is ws.Role.CLIENT else self.server

    @rule(
        role=st.sampled_from(list(ws.Role)),
        event=wst.messages() | wst.control_events() | wst.closes(),
    )
    def send(self, role: ws.Role, event: Any) -> None:
        conn = self._end(role)
        before = conn.state
        if isinstance(event, ws.Close):
            inp = Input.SEND_CLOSE
        elif isinstance(event, ws.Ping | ws.Pong):
            inp = Input.SEND_CONTROL
        else:
            inp = Input.SEND_MESSAGE
        try:
            conn.send(event)
        except LocalProtocolError:
            # Refused exactly when the table has no such move, and nothing changed.
            assert (before, inp) not in TRANSITIONS
            assert conn.state is before
        else:
            assert (before, inp) in TRANSITIONS

    @rule(role=st.sampled_from(list(ws.Role)), data=st.data())
    def deliver(self, role: ws.Role, data: st.DataObject) -> None:
        sender = self._end(role)
        receiver = self._end(ws.Role.SERVER if role is ws.Role.CLIENT else ws.Role.CLIENT)
        out = sender.data_to_send()
        for chunk in out:
            if chunk == b"":
                receiver.receive_eof()
            else:
                for piece in data.draw(wst.chunked(chunk)):
                    receiver.receive_data(piece)
        self.events[role] += sender.events()

    @rule(role=st.sampled_from(list(ws.Role)), junk=st.binary(min_size=1, max_size=12))
    def garbage(self, role: ws.Role, junk: bytes) -> None:
        # Bytes no peer sent well: the machine fails (now, or after the events before).
        self._end(role).receive_data(junk)

    @rule(role=st.sampled_from(list(ws.Role)))
    def take_events(self, role: ws.Role) -> None:
        self.events[role] += self._end(role).events()

    @rule(seconds=st.floats(0, 30))
    def wait(self, seconds: float) -> None:
        self.now += seconds
        for conn in (self.client, self.server):
            conn.tick(self.now)

    @precondition(lambda self: self.client.state is not ws.ConnectionState.CLOSED)
    @rule()
    def client_sees_eof(self) -> None:
        self.client.receive_eof()
        assert self.client.state is ws.ConnectionState.CLOSED

    @invariant()
    def consistent(self) -> None:
        for role, events in self.events.items():
            ends = [e for e in events if isinstance(e, ws.ConnectionClosed)]
            assert len(ends) <= 1
            assert not ends or events[-1] is ends[0]
            assert (self._end(role).state is ws.ConnectionState.CLOSED) or not ends
            assert any(state is self._end(role).state for (state, _) in TRANSITIONS)


ConnectionPair.TestCase.settings = settings(max_examples=40, stateful_step_count=25)
test_connection_pair = ConnectionPair.TestCase
