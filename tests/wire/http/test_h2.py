"""The HTTP/2 machine: settings, flow control at the application's pace, GOAWAY,
resets, trailers, extended CONNECT, denial-of-service limits, timers."""

from __future__ import annotations

import logging
import struct

import h2.connection
import pytest
from hpack import Decoder, Encoder
from hyperframe.frame import (
    ContinuationFrame,
    DataFrame,
    Frame,
    GoAwayFrame,
    HeadersFrame,
    PingFrame,
    RstStreamFrame,
    SettingsFrame,
    WindowUpdateFrame,
)

from wire.errors import LocalProtocolError
from wire.http._errors import H2ErrorCode, H2RemoteError, H2StreamError
from wire.http._events import (
    ConnectionClosed,
    Data,
    EndOfMessage,
    Event,
    GoAway,
    InformationalResponse,
    ProtocolSwitch,
    Request,
    Response,
    StreamReset,
    Trailers,
)
from wire.http._h2 import PREFACE, H2Config, H2Connection
from wire.http._state import ConnectionState, Role

E = H2ErrorCode
CLIENT, SERVER = Role.CLIENT, Role.SERVER
REQUEST = [
    (b":method", b"GET"),
    (b":scheme", b"https"),
    (b":path", b"/"),
    (b":authority", b"example.com"),
]


class Wire:
    """A hand-driven peer: writes frames to a machine and parses what it writes."""

    def __init__(self, machine: H2Connection) -> None:
        self.machine = machine
        self.encoder = Encoder()
        self.decoder = Decoder()
        self.frames: list[Frame] = []
        self.events: list[Event] = []
        self.closed = False
        # A client machine writes the connection preface before its frames.
        self._preface = machine.role is CLIENT
        self._buffer = b""
        self.read()

    def handshake(self) -> Wire:
        if self.machine.role is SERVER:
            self.send(PREFACE)
        self.send(SettingsFrame(0), SettingsFrame(0, flags=["ACK"]))
        self.frames.clear()
        return self

    def send(self, *items: Frame | bytes) -> None:
        for item in items:
            self.machine.receive_data(item if isinstance(item, bytes) else item.serialize())
        self.read()

    def read(self) -> None:
        self.events += self.machine.events()
        for chunk in self.machine.data_to_send():
            if not chunk:
                self.closed = True
            self._buffer += chunk
        if self._preface and len(self._buffer) >= len(PREFACE):
            assert self._buffer.startswith(PREFACE)
            self._buffer = self._buffer[len(PREFACE) :]
            self._preface = False
        while len(self._buffer) >= 9:
            frame, length = Frame.parse_frame_header(memoryview(self._buffer[:9]))
            if len(self._buffer) < 9 + length:
                break
            frame.parse_body(memoryview(self._buffer[9 : 9 + length]))
            self._buffer = self._buffer[9 + length :]
            self.frames.append(frame)

    def headers(
        self, stream_id: int, fields: list[tuple[bytes, bytes]], *, end_stream: bool = True
    ) -> HeadersFrame:
        flags = ["END_HEADERS", *(["END_STREAM"] if end_stream else [])]
        return HeadersFrame(stream_id, self.encoder.encode(fields), flags=flags)

    def of(self, kind: type[Frame]) -> list[Frame]:
        return [f for f in self.frames if isinstance(f, kind)]

    def goaway(self) -> GoAwayFrame:
        (frame,) = self.of(GoAwayFrame)
        assert isinstance(frame, GoAwayFrame)
        return frame

    def take(self) -> list[Event]:
        events, self.events = self.events, []
        return events


def pair(
    client_config: H2Config | None = None, server_config: H2Config | None = None
) -> tuple[H2Connection, H2Connection]:
    client = H2Connection(CLIENT, config=client_config)
    server = H2Connection(SERVER, config=server_config)
    settle(client, server)
    return client, server


def settle(client: H2Connection, server: H2Connection) -> None:
    for _ in range(4):
        for a, b in ((client, server), (server, client)):
            for chunk in a.data_to_send():
                if chunk:
                    b.receive_data(chunk)
                else:
                    b.receive_eof()


def get(client: H2Connection, path: bytes = b"/", *, end: bool = True) -> int:
    stream_id = client.next_stream_id
    assert stream_id is not None
    client.send(Request(b"GET", path, b"example.com", b"https", stream_id=stream_id))
    if end:
        client.send(EndOfMessage(stream_id))
    return stream_id


def respond(server: H2Connection, stream_id: int, body: bytes = b"ok") -> None:
    server.send(Response(200, ((b"content-length", b"%d" % len(body)),), stream_id))
    server.send(Data(stream_id, body))
    server.send(EndOfMessage(stream_id))


# ---------------------------------------------------------------------------
# Settings and the preface
# ---------------------------------------------------------------------------


def test_settings_are_the_configured_limits() -> None:
    config = H2Config(
        max_concurrent_streams=10,
        initial_window_size=100_000,
        max_frame_size=32768,
        max_header_list_size=8192,
    )
    wire = Wire(H2Connection(SERVER, config=config))
    (settings,) = wire.of(SettingsFrame)
    assert settings.settings[SettingsFrame.MAX_CONCURRENT_STREAMS] == 10
    assert settings.settings[SettingsFrame.INITIAL_WINDOW_SIZE] == 100_000
    assert settings.settings[SettingsFrame.MAX_FRAME_SIZE] == 32768
    assert settings.settings[SettingsFrame.MAX_HEADER_LIST_SIZE] == 8192
    assert settings.settings[SettingsFrame.ENABLE_CONNECT_PROTOCOL] == 1
    (window,) = wire.of(WindowUpdateFrame)
    assert window.stream_id == 0 and window.window_increment == 10 * 100_000 - 65535
    assert wire.machine.http_version == "2" and wire.machine.role is SERVER
    client = Wire(H2Connection(CLIENT, config=H2Config(enable_connect_protocol=False)))
    assert client._buffer == b"" and client.frames and not client._preface
    (settings,) = client.of(SettingsFrame)
    assert settings.settings[SettingsFrame.ENABLE_PUSH] == 0


def test_tightened_settings_wait_for_the_acknowledgement() -> None:
    config = H2Config(initial_window_size=1000, header_table_size=0)
    wire = Wire(H2Connection(SERVER, config=config))
    first, second = wire.of(SettingsFrame)
    assert first.settings[SettingsFrame.INITIAL_WINDOW_SIZE] == 65535
    assert second.settings == {
        SettingsFrame.INITIAL_WINDOW_SIZE: 1000,
        SettingsFrame.HEADER_TABLE_SIZE: 0,
    }
    (window,) = wire.of(WindowUpdateFrame)
    assert window.window_increment == 100 * 1000 - 65535
    wire.send(PREFACE, SettingsFrame(0), SettingsFrame(0, flags=["ACK"]))
    assert wire.machine.next_deadline() == 10.0  # one SETTINGS still unacknowledged
    wire.send(SettingsFrame(0, flags=["ACK"]))
    assert wire.machine.next_deadline() is None


def test_settings_timeout() -> None:
    wire = Wire(H2Connection(SERVER, now=50.0))
    assert wire.machine.next_deadline() == 60.0
    wire.machine.tick(59.0)
    wire.machine.tick(60.0)
    wire.read()
    assert wire.goaway().error_code == E.SETTINGS_TIMEOUT
    assert wire.closed
    (closed,) = wire.take()
    assert isinstance(closed, ConnectionClosed) and closed.error_code == E.SETTINGS_TIMEOUT
    assert wire.machine.next_deadline() is None
    wire.machine.tick(100.0)
    wire.machine.receive_data(b"more")
    wire.machine.receive_eof()
    assert wire.machine.events() == []


# ---------------------------------------------------------------------------
# Exchanges
# ---------------------------------------------------------------------------


def test_request_response_with_trailers_both_ways() -> None:
    client, server = pair()
    sid = client.next_stream_id
    assert sid == 1 and server.next_stream_id is None
    client.send(Request(b"POST", b"/up", b"example.com", b"https", ((b"te", b"trailers"),), sid))
    client.send(Data(sid, b"abc"))
    client.send(Trailers(sid, ((b"x-checksum", b"1"),)))
    client.send(EndOfMessage(sid))
    settle(client, server)
    events = server.events()
    assert events == [
        Request(b"POST", b"/up", b"example.com", b"https", ((b"te", b"trailers"),), 1),
        Data(1, b"abc"),
        Trailers(1, ((b"x-checksum", b"1"),)),
        EndOfMessage(1),
    ]
    server.acknowledge_data(1, 3)
    server.send(InformationalResponse(103, ((b"link", b"</a>"),), 1))
    server.send(Response(200, (), 1))
    server.send(Data(1, b"xyz"))
    server.send(Trailers(1, ((b"grpc-status", b"0"),)))
    server.send(EndOfMessage(1))
    settle(client, server)
    assert client.events() == [
        InformationalResponse(103, ((b"link", b"</a>"),), 1),
        Response(200, (), 1),
        Data(1, b"xyz"),
        Trailers(1, ((b"grpc-status", b"0"),)),
        EndOfMessage(1),
    ]
    client.acknowledge_data(1, 3)
    assert client._streams == {} and server._streams == {}
    assert client.next_stream_id == 3
    assert not client.reading_paused


def test_authority_from_host_and_plain_connect() -> None:
    wire = Wire(H2Connection(SERVER, scheme=b"https")).handshake()
    wire.send(
        wire.headers(
            1,
            [
                (b":method", b"GET"),
                (b":scheme", b"HTTP"),
                (b":path", b"/"),
                (b"host", b"h.example"),
            ],
        )
    )
    wire.send(
        wire.headers(3, [(b":method", b"CONNECT"), (b":authority", b"db:5432")], end_stream=False)
    )
    request, _, connect = wire.take()
    assert request == Request(b"GET", b"/", b"h.example", b"http", (), 1)
    assert connect == Request(b"CONNECT", b"db:5432", b"db:5432", b"https", (), 3)
    wire.machine.send(ProtocolSwitch(3, None))
    wire.read()
    assert wire.of(HeadersFrame)[-1].stream_id == 3


def test_extended_connect() -> None:
    assert H2Connection(CLIENT).extended_connect is None  # no SETTINGS from the peer yet
    client, server = pair()
    assert client.extended_connect is True
    with pytest.raises(LocalProtocolError, match="extended CONNECT"):
        client.send(Request(b"GET", b"/chat", b"h", protocol=b"websocket"))
    client.send(Request(b"CONNECT", b"/chat", b"h", b"https", protocol=b"websocket"))
    with pytest.raises(LocalProtocolError, match="after the ProtocolSwitch"):
        client.send(Data(1, b"early"))
    settle(client, server)
    (request,) = server.events()
    assert request.protocol == b"websocket" and request.method == b"CONNECT"
    server.send(ProtocolSwitch(1, b"websocket", ((b"sec-websocket-protocol", b"chat"),)))
    server.send(Data(1, b"from server"))
    settle(client, server)
    assert client.events() == [
        ProtocolSwitch(1, b"websocket", ((b"sec-websocket-protocol", b"chat"),)),
        Data(1, b"from server"),
    ]
    client.send(Data(1, b"from client"))
    client.send(EndOfMessage(1))
    settle(client, server)
    assert server.events() == [Data(1, b"from client"), EndOfMessage(1)]
    no_connect = H2Connection(SERVER, config=H2Config(enable_connect_protocol=False))
    other = H2Connection(CLIENT)
    settle(other, no_connect)
    assert other.extended_connect is False
    with pytest.raises(LocalProtocolError, match="did not enable"):
        other.send(Request(b"CONNECT", b"/chat", b"h", protocol=b"websocket"))


def test_tunnel_data_is_not_a_body() -> None:
    client, server = pair(server_config=H2Config(max_body_size=4))
    client.send(Request(b"CONNECT", b"a:1", b"a:1"))
    settle(client, server)
    server.events()
    server.send(ProtocolSwitch(1, None))
    settle(client, server)
    client.send(Data(1, b"more than four"))
    settle(client, server)
    assert server.events() == [Data(1, b"more than four")]


def test_stream_ids_and_concurrency() -> None:
    client, server = pair(server_config=H2Config(max_concurrent_streams=2))
    get(client, end=False)
    get(client, end=False)
    assert client.next_stream_id is None
    with pytest.raises(LocalProtocolError, match="no new request"):
        client.send(Request(b"GET", b"/", b"h", stream_id=5))
    client.send(EndOfMessage(1))
    settle(client, server)
    respond(server, 1)
    settle(client, server)
    assert client.next_stream_id == 5
    with pytest.raises(LocalProtocolError, match="next request is stream 5"):
        client.send(Request(b"GET", b"/", b"h", stream_id=7))
    with pytest.raises(LocalProtocolError, match="a server does not send"):
        server.send(Request(b"GET", b"/", b"h"))
    with pytest.raises(LocalProtocolError, match="no stream 9"):
        server.send(Response(200, (), 9))


def test_misuse_changes_nothing() -> None:
    client, server = pair()
    sid = get(client, end=False)
    client.data_to_send()
    with pytest.raises(LocalProtocolError, match="a client does not send Response"):
        client.send(Response(200, (), sid))
    with pytest.raises(LocalProtocolError, match="does not send"):
        client.send(InformationalResponse(100, (), sid))
    client.send(Request(b"GET", b"/", b"h", stream_id=3))
    client.send(EndOfMessage(3))
    with pytest.raises(LocalProtocolError, match="not allowed"):
        client.send(Data(3, b"x"))
    settle(client, server)
    server.events()
    server.send(Response(204, (), 3))
    with pytest.raises(LocalProtocolError, match="no content"):
        server.send(Data(3, b"x"))


def test_late_sends_after_a_reset_are_ignored() -> None:
    client, server = pair()
    sid = get(client, end=False)
    settle(client, server)
    server.events()
    client.send(StreamReset(sid))
    settle(client, server)
    assert server.events() == [StreamReset(1, E.CANCEL)]
    server.send(Response(200, (), 1))  # gone: ignored
    server.send(StreamReset(1))
    assert client.pending_send(1) == 0
    server.acknowledge_data(1, 0)  # gone: ignored
    with pytest.raises(LocalProtocolError, match="no stream 3"):
        server.acknowledge_data(3, 1)
    with pytest.raises(LocalProtocolError, match="size"):
        server.acknowledge_data(1, -1)


# ---------------------------------------------------------------------------
# Flow control
# ---------------------------------------------------------------------------


def test_windows_open_only_as_the_application_reads() -> None:
    client, server = pair()
    sid = get(client, end=False)
    body = b"x" * 200_000
    client.send(Data(sid, body))
    client.send(EndOfMessage(sid))
    settle(client, server)
    received = [e for e in server.events() if isinstance(e, Data)]
    assert sum(len(e.data) for e in received) == 65535
    assert client.pending_send(sid) == 200_000 - 65535
    settle(client, server)
    assert server.events() == []  # nothing more until the application reads
    total = 65535
    while total < 200_000:
        for event in received:
            server.acknowledge_data(sid, event.flow_controlled_length or 0)
        settle(client, server)
        received = [e for e in server.events() if isinstance(e, Data)]
        total += sum(len(e.data) for e in received)
    assert total == 200_000
    with pytest.raises(LocalProtocolError, match="outstanding"):
        server.acknowledge_data(sid, 10**9)


def test_padding_is_flow_controlled() -> None:
    wire = Wire(H2Connection(SERVER)).handshake()
    wire.send(wire.headers(1, REQUEST, end_stream=False))
    padded = DataFrame(1, b"", flags=["PADDED"])
    padded.pad_length = 10
    wire.send(padded, DataFrame(1, b"", flags=["END_STREAM"]))
    assert wire.take()[1:] == [Data(1, b"", 11), EndOfMessage(1)]
    wire.machine.acknowledge_data(1, 11)


def test_stream_stall_resets_the_stream() -> None:
    wire = Wire(H2Connection(SERVER)).handshake()
    wire.send(SettingsFrame(0, {SettingsFrame.INITIAL_WINDOW_SIZE: 0}), wire.headers(1, REQUEST))
    wire.take()
    server = wire.machine
    respond(server, 1, b"waiting")
    assert server.pending_send(1) == 7
    assert server.next_deadline() == 30.0
    server.tick(29.0)
    server.tick(30.0)
    wire.read()
    (reset,) = wire.of(RstStreamFrame)
    assert reset.error_code == E.CANCEL
    (event,) = wire.take()
    assert isinstance(event, StreamReset) and isinstance(event.error, H2StreamError)
    assert server.next_deadline() is None


def test_client_stream_stall() -> None:
    client, server = pair()
    sid = get(client, end=False)
    client.send(Data(sid, b"x" * 70_000))
    settle(client, server)
    # The server's application never reads: the stream window stays shut.
    assert client.pending_send(sid) == 70_000 - 65535
    client.tick(30.0)
    (reset,) = client.events()
    assert reset.stream_id == sid and reset.error_code == E.CANCEL
    assert isinstance(reset.error, H2StreamError)
    assert client.state is ConnectionState.OPEN


def test_connection_window_stall_is_a_connection_error() -> None:
    wire = Wire(H2Connection(SERVER, config=H2Config(max_body_size=None))).handshake()
    server = wire.machine
    wire.send(wire.headers(1, REQUEST))
    wire.send(wire.headers(3, [*REQUEST[:2], (b":path", b"/2"), REQUEST[3]]))
    wire.take()
    body = b"y" * 70_000
    for sid in (1, 3):
        server.send(Response(200, (), sid))
        server.send(Data(sid, body))
    # Stream windows reopen, the connection window does not.
    wire.send(
        WindowUpdateFrame(1, window_increment=100_000),
        WindowUpdateFrame(3, window_increment=100_000),
    )
    assert server._h2.outbound_flow_control_window == 0
    server.tick(31.0)
    wire.read()
    assert wire.goaway().error_code == E.ENHANCE_YOUR_CALM


# ---------------------------------------------------------------------------
# GOAWAY
# ---------------------------------------------------------------------------


def test_graceful_shutdown_by_the_server() -> None:
    wire = Wire(H2Connection(SERVER, now=5.0)).handshake()
    server = wire.machine
    wire.send(wire.headers(1, REQUEST, end_stream=False))
    wire.take()
    server.send(GoAway(message="bye"))
    wire.read()
    first = wire.goaway()
    assert first.last_stream_id == 2**31 - 1 and first.error_code == 0
    assert first.additional_data == b"bye"
    (ping,) = wire.of(PingFrame)
    assert server.state is ConnectionState.DRAINING
    assert server.next_deadline() == 35.0
    server.send(GoAway())  # already draining
    # A stream the client opened before it saw the GOAWAY is still served.
    wire.send(wire.headers(3, REQUEST))
    assert [type(e) for e in wire.take()] == [Request, EndOfMessage]
    wire.frames.clear()
    wire.send(PingFrame(0, ping.opaque_data, flags=["ACK"]))
    final = wire.goaway()
    assert final.last_stream_id == 3
    # Streams above it are refused and never reach the application.
    wire.send(wire.headers(5, REQUEST, end_stream=False), DataFrame(5, b"z" * 100))
    assert wire.take() == []
    assert any(
        f.stream_id == 5 and f.error_code == E.REFUSED_STREAM for f in wire.of(RstStreamFrame)
    )
    respond(server, 3)
    wire.send(DataFrame(1, b"", flags=["END_STREAM"]))
    respond(server, 1)
    wire.read()
    assert wire.take() == [EndOfMessage(1), ConnectionClosed(0, 3, "")]
    assert wire.closed


def test_drain_timeout() -> None:
    wire = Wire(H2Connection(SERVER)).handshake()
    wire.send(wire.headers(1, REQUEST, end_stream=False))
    wire.machine.send(GoAway())
    wire.machine.tick(30.0)
    wire.read()
    assert wire.take()[-1] == ConnectionClosed(0, 1, "drain timeout")


def test_graceful_shutdown_by_the_client() -> None:
    client, server = pair()
    sid = get(client)
    client.send(GoAway())
    assert client.next_stream_id is None
    settle(client, server)
    assert server.events()[-1] == GoAway(0, 0, "")
    respond(server, sid)
    settle(client, server)
    events = client.events()
    assert events[-1] == ConnectionClosed(0, 1, "")
    assert [type(e) for e in events] == [Response, Data, EndOfMessage, ConnectionClosed]


def test_peer_goaway_refuses_streams_above_the_last() -> None:
    wire = Wire(H2Connection(CLIENT)).handshake()
    client = wire.machine
    for _ in range(3):
        get(client)
    wire.send(GoAwayFrame(0, last_stream_id=3, error_code=0, additional_data=b"maintenance"))
    assert wire.take() == [GoAway(0, 3, "maintenance"), StreamReset(5, E.REFUSED_STREAM)]
    assert client.state is ConnectionState.DRAINING and client.next_stream_id is None
    wire.send(GoAwayFrame(0, last_stream_id=1, error_code=0))
    assert wire.take() == [GoAway(0, 1, ""), StreamReset(3, E.REFUSED_STREAM)]
    wire.send(GoAwayFrame(0, last_stream_id=1, error_code=0))
    assert wire.take() == []
    wire.send(wire.headers(1, [(b":status", b"200")]))
    assert wire.take() == [Response(200, (), 1), EndOfMessage(1), ConnectionClosed(0, 1, "")]
    assert wire.closed


def test_peer_goaway_with_an_error_ends_the_connection() -> None:
    wire = Wire(H2Connection(CLIENT)).handshake()
    get(wire.machine)
    wire.send(
        GoAwayFrame(
            0, last_stream_id=0, error_code=E.ENHANCE_YOUR_CALM, additional_data=b"slow down"
        )
    )
    assert wire.take() == [ConnectionClosed(E.ENHANCE_YOUR_CALM, 0, "slow down")]
    assert wire.closed
    assert wire.machine.state is ConnectionState.CLOSED
    wire.machine.send(GoAway())
    wire.machine.send(ConnectionClosed())
    wire.machine.send(Data(1, b"late"))  # the stream is gone with the connection
    with pytest.raises(LocalProtocolError):
        wire.machine.send(Data(3, b"never"))


def test_goaway_frame_in_the_same_read_as_other_frames() -> None:
    wire = Wire(H2Connection(CLIENT)).handshake()
    get(wire.machine)
    wire.send(
        wire.headers(1, [(b":status", b"200")]).serialize()
        + GoAwayFrame(0, last_stream_id=1, error_code=0).serialize()
        + PingFrame(0, b"12345678").serialize()
    )
    assert wire.take() == [
        Response(200, (), 1),
        EndOfMessage(1),
        GoAway(0, 1, ""),
        ConnectionClosed(0, 1, ""),
    ]


def test_peer_closing_the_stream() -> None:
    client, server = pair()
    get(client, end=False)
    settle(client, server)
    server.events()
    server.receive_eof()
    assert server.events() == [ConnectionClosed(None, 1, "the peer closed the connection")]
    assert server.data_to_send() == [b""]
    client2, server2 = pair()
    server2.send(GoAway())
    settle(client2, server2)
    assert client2.events()[-1] == ConnectionClosed(0, 0, "")
    assert server2.state is ConnectionState.CLOSED


def test_application_close() -> None:
    wire = Wire(H2Connection(SERVER)).handshake()
    wire.machine.send(ConnectionClosed(E.INTERNAL_ERROR, message="shutting down"))
    wire.read()
    assert wire.goaway().error_code == E.INTERNAL_ERROR
    assert wire.closed and wire.take() == []
    other = Wire(H2Connection(SERVER)).handshake()
    other.machine.send(ConnectionClosed())
    other.read()
    assert other.goaway().error_code == 0


# ---------------------------------------------------------------------------
# Resets and stream errors
# ---------------------------------------------------------------------------


def test_peer_reset_is_reported() -> None:
    client, server = pair()
    get(client, end=False)
    client.send(Data(1, b"unread"))
    settle(client, server)
    server.events()
    server.send(StreamReset(1, E.REFUSED_STREAM))
    settle(client, server)
    assert client.events() == [StreamReset(1, E.REFUSED_STREAM)]
    assert client.pending_send(1) == 0


def test_window_overflow_on_a_stream_is_a_stream_error() -> None:
    wire = Wire(H2Connection(SERVER)).handshake()
    wire.send(wire.headers(1, REQUEST, end_stream=False))
    wire.take()
    big = WindowUpdateFrame(1, window_increment=2**31 - 1)
    wire.send(big, big)
    (reset,) = wire.take()
    assert reset.error_code == E.FLOW_CONTROL_ERROR
    assert isinstance(reset.error, H2StreamError) and reset.error.stream_id == 1


def test_malformed_requests_are_stream_errors() -> None:
    wire = Wire(H2Connection(SERVER)).handshake()
    wire.send(wire.headers(1, [*REQUEST, (b"x-bad", b"a\x01b")]))
    wire.send(
        wire.headers(
            3,
            [
                (b":method", b"GET"),
                (b":scheme", b"https"),
                (b":path", b"relative"),
                (b":authority", b"h"),
            ],
        )
    )
    assert wire.take() == []
    assert [(f.stream_id, f.error_code) for f in wire.of(RstStreamFrame)] == [
        (1, E.PROTOCOL_ERROR),
        (3, E.PROTOCOL_ERROR),
    ]
    wire.send(wire.headers(5, REQUEST))
    assert [type(e) for e in wire.take()] == [Request, EndOfMessage]


@pytest.mark.parametrize(
    "fields",
    [
        [(b":status", b"101")],
        [(b":status", b"700")],
        [(b":status", b"200"), (b"x-bad", b"\x7f")],
    ],
)
def test_malformed_responses_are_stream_errors(fields: list[tuple[bytes, bytes]]) -> None:
    wire = Wire(H2Connection(CLIENT)).handshake()
    get(wire.machine)
    wire.send(wire.headers(1, fields, end_stream=False))
    (reset,) = wire.take()
    assert reset.stream_id == 1 and reset.error_code == E.PROTOCOL_ERROR
    assert isinstance(reset.error, H2StreamError)
    assert wire.of(RstStreamFrame)[0].error_code == E.PROTOCOL_ERROR
    # Frames still in flight on the stream are dropped.
    wire.send(DataFrame(1, b"late", flags=["END_STREAM"]))
    assert wire.take() == []


def test_malformed_trailers_are_stream_errors() -> None:
    wire = Wire(H2Connection(SERVER)).handshake()
    wire.send(wire.headers(1, REQUEST, end_stream=False), DataFrame(1, b"ab"))
    wire.take()
    wire.send(wire.headers(1, [(b"x-bad", b"\x01")]))
    (reset,) = wire.take()
    assert isinstance(reset, StreamReset) and reset.error_code == E.PROTOCOL_ERROR


def test_body_limits() -> None:
    config = H2Config(max_body_size=5)
    wire = Wire(H2Connection(SERVER, config=config)).handshake()
    wire.send(wire.headers(1, [*REQUEST, (b"content-length", b"6")], end_stream=False))
    assert wire.take() == []
    (head,) = wire.of(HeadersFrame)
    assert wire.decoder.decode(head.data)[0] == (":status", "413")
    assert wire.of(RstStreamFrame)[0].error_code == E.NO_ERROR
    wire.frames.clear()
    wire.send(wire.headers(3, REQUEST, end_stream=False), DataFrame(3, b"abc"))
    wire.send(DataFrame(3, b"abc"))
    _, data, reset = wire.take()
    assert data == Data(3, b"abc")
    assert reset.error_code == E.NO_ERROR and reset.error.code == 0
    wire.machine.acknowledge_data(3, 3)  # gone: ignored
    wire.frames.clear()
    wire.send(wire.headers(5, REQUEST, end_stream=False))
    wire.machine.send(Response(200, (), 5))
    wire.send(DataFrame(5, b"123456"))
    assert wire.take()[-1].error_code == E.CANCEL
    client = Wire(H2Connection(CLIENT, config=config)).handshake()
    get(client.machine)
    client.send(
        client.headers(1, [(b":status", b"200")], end_stream=False), DataFrame(1, b"123456")
    )
    reset = client.take()[-1]
    assert isinstance(reset, StreamReset) and reset.error_code == E.CANCEL
    assert client.of(RstStreamFrame)[-1].error_code == E.CANCEL


# ---------------------------------------------------------------------------
# Denial-of-service limits
# ---------------------------------------------------------------------------


def test_rapid_reset_budget() -> None:
    config = H2Config(reset_budget=3, abuse_window=10.0)
    wire = Wire(H2Connection(SERVER, config=config)).handshake()
    frames = b""
    for i in range(4):
        sid = 1 + 2 * i
        frames += wire.headers(sid, REQUEST, end_stream=False).serialize()
        frames += RstStreamFrame(sid, error_code=E.CANCEL).serialize()
    wire.send(frames)
    assert wire.goaway().error_code == E.ENHANCE_YOUR_CALM
    closed = wire.take()[-1]
    assert isinstance(closed, ConnectionClosed) and isinstance(closed.error, H2RemoteError)


def test_rapid_reset_budget_refills() -> None:
    config = H2Config(reset_budget=2, abuse_window=10.0)
    wire = Wire(H2Connection(SERVER, config=config)).handshake()
    sid = 1
    for step in range(6):
        wire.machine.tick(5.0 * step)
        wire.send(wire.headers(sid, REQUEST, end_stream=False), RstStreamFrame(sid, error_code=8))
        sid += 2
    assert not wire.of(GoAwayFrame)
    # Resetting a stream that is already over costs nothing.
    wire.send(wire.headers(sid, REQUEST))
    respond(wire.machine, sid)
    wire.send(RstStreamFrame(sid, error_code=8))
    assert not wire.of(GoAwayFrame)


def test_continuation_flood() -> None:
    config = H2Config(max_header_block_size=1000)
    wire = Wire(H2Connection(SERVER, config=config)).handshake()
    block = wire.encoder.encode(REQUEST)
    wire.send(HeadersFrame(1, block, flags=[]))
    for _ in range(20):
        wire.send(ContinuationFrame(1, b"\x00" * 60))
    assert wire.goaway().error_code == E.ENHANCE_YOUR_CALM


def test_one_header_block_frame_above_the_limit() -> None:
    config = H2Config(max_header_block_size=100, max_frame_size=32768)
    wire = Wire(H2Connection(SERVER, config=config)).handshake()
    wire.send(wire.headers(1, [*REQUEST, (b"x-big", b"v" * 200)]))
    assert wire.goaway().error_code == E.ENHANCE_YOUR_CALM


@pytest.mark.parametrize("kind", ["continuation", "data"])
def test_empty_frame_flood(kind: str) -> None:
    config = H2Config(empty_frame_budget=5)
    wire = Wire(H2Connection(SERVER, config=config)).handshake()
    block = wire.encoder.encode(REQUEST)
    if kind == "data":
        wire.send(HeadersFrame(1, block, flags=["END_HEADERS"]))
        empty: Frame = DataFrame(1, b"")
    else:
        wire.send(HeadersFrame(1, block, flags=[]))
        empty = ContinuationFrame(1, b"")
    wire.send(*[empty] * 5)
    assert not wire.of(GoAwayFrame)
    wire.send(empty)
    assert wire.goaway().error_code == E.ENHANCE_YOUR_CALM


@pytest.mark.parametrize("frame", [PingFrame(0, b"flooding"), SettingsFrame(0)])
def test_control_frame_flood(frame: Frame) -> None:
    config = H2Config(max_queued_control_frames=10)
    wire = Wire(H2Connection(SERVER, config=config)).handshake()
    wire.machine.receive_data(frame.serialize() * 10)
    assert wire.machine.data_to_send()  # drained: the count starts again
    wire.machine.receive_data(frame.serialize() * 10)
    wire.read()
    assert not wire.of(GoAwayFrame)
    wire.machine.receive_data(frame.serialize() * 11)
    wire.read()
    assert wire.goaway().error_code == E.ENHANCE_YOUR_CALM


def test_hpack_bomb() -> None:
    config = H2Config(max_header_list_size=1000)
    wire = Wire(H2Connection(SERVER, config=config)).handshake()
    # One literal added to the table, then referenced many times: small on
    # the wire, large when decoded.
    block = wire.encoder.encode([*REQUEST, (b"x-bomb", b"b" * 100)])
    block += b"\xbe" * 50
    wire.send(HeadersFrame(1, block, flags=["END_HEADERS", "END_STREAM"]))
    assert wire.goaway().error_code == E.ENHANCE_YOUR_CALM


# ---------------------------------------------------------------------------
# h2c helpers, errors of ours, configuration
# ---------------------------------------------------------------------------


def test_h2c_constructors() -> None:
    request = Request(b"GET", b"/", b"h")
    client = H2Connection.upgrading_client(request)
    assert client.upgrade_settings and client.next_stream_id == 3
    server = H2Connection.upgraded_server(client.upgrade_settings, request)
    assert server.upgrade_settings is None
    for bad in (b"!!!", b"AAA", b"AAIAAAAC"):
        with pytest.raises(H2RemoteError, match="HTTP2-Settings"):
            H2Connection.upgraded_server(bad, request)


def test_internal_error_is_internal_error(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    wire = Wire(H2Connection(SERVER)).handshake()

    def boom(self: h2.connection.H2Connection, data: bytes) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(h2.connection.H2Connection, "receive_data", boom)
    with caplog.at_level(logging.ERROR):
        wire.send(PingFrame(0, b"12345678"))
    assert wire.goaway().error_code == E.INTERNAL_ERROR
    assert "unexpected internal error" in caplog.text


def test_config_validation() -> None:
    with pytest.raises(LocalProtocolError, match="max_frame_size"):
        H2Config(max_frame_size=100)
    with pytest.raises(LocalProtocolError, match="initial_window_size"):
        H2Config(initial_window_size=2**31)
    with pytest.raises(LocalProtocolError, match="max_body_size"):
        H2Config(max_body_size=-1)
    with pytest.raises(LocalProtocolError, match="settings_timeout"):
        H2Config(settings_timeout=0)
    with pytest.raises(LocalProtocolError, match="enable_connect_protocol"):
        H2Config(enable_connect_protocol=1)  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError, match="role"):
        H2Connection("client")  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError, match="H2Config"):
        H2Connection(CLIENT, config=object())  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError, match="scheme"):
        H2Connection(CLIENT, scheme=b"ws")
    assert H2Config(max_body_size=None).max_body_size is None


def test_goaway_frame_layout() -> None:
    wire = Wire(H2Connection(SERVER)).handshake()
    wire.machine.send(ConnectionClosed(2, message="x" * 1000))
    wire.read()
    assert len(wire.goaway().additional_data) == 256
    assert struct.calcsize(">HBBBL") == 9


# ---------------------------------------------------------------------------
# Corners of the frame scan and of event translation
# ---------------------------------------------------------------------------

BAD_PING = b"\x00\x00\x08\x06\x00\x00\x00\x00\x01" + b"\0" * 8  # on stream 1


@pytest.mark.parametrize(
    "after",
    [
        b"\x00\x00\x04\x02\x00\x00\x00\x00\x01" + b"\0" * 4,  # PRIORITY of wrong size
        WindowUpdateFrame(1, window_increment=0).serialize()
        if False
        else b"\x00\x00\x04\x08\x00\x00\x00\x00\x01" + b"\0" * 4,  # WINDOW_UPDATE of 0
        RstStreamFrame(1, error_code=8).serialize(),
        b"\x00\x00\x02\x06\x00\x00\x00\x00\x00" + b"\0" * 2,  # PING of wrong size
        GoAwayFrame(0, last_stream_id=0, error_code=0).serialize(),
        b"\x00\x40\x01\x00\x00\x00\x00\x00\x01",  # DATA above the frame size
    ],
    ids=["priority", "window-update-0", "rst-stream", "short-ping", "goaway", "oversized"],
)
def test_a_broken_frame_before_a_special_one_wins(after: bytes) -> None:
    wire = Wire(H2Connection(SERVER)).handshake()
    wire.send(wire.headers(1, REQUEST, end_stream=False))
    wire.take()
    wire.send(BAD_PING + after)
    assert wire.goaway().error_code == E.PROTOCOL_ERROR
    (closed,) = wire.take()
    assert closed.error_code == E.PROTOCOL_ERROR


def test_special_frames_on_streams_that_are_not_open() -> None:
    wire = Wire(H2Connection(SERVER)).handshake()
    wire.send(b"\x00\x00\x04\x02\x00\x00\x00\x00\x03" + b"\0" * 4)  # PRIORITY, size 4, idle
    assert wire.goaway().error_code == E.FRAME_SIZE_ERROR
    wire = Wire(H2Connection(SERVER)).handshake()
    wire.send(b"\x00\x00\x04\x08\x00\x00\x00\x00\x03" + b"\0" * 4)  # WINDOW_UPDATE 0, idle
    assert wire.goaway().error_code == E.PROTOCOL_ERROR


def test_smallest_connection_window_needs_no_update() -> None:
    wire = Wire(H2Connection(SERVER, config=H2Config(max_concurrent_streams=1)))
    assert not wire.of(WindowUpdateFrame)


def test_events_after_a_stream_error_in_the_same_frame() -> None:
    """A HEADERS frame with END_STREAM that breaks a rule: its end is not reported."""
    wire = Wire(H2Connection(CLIENT)).handshake()
    client = wire.machine
    for _ in range(2):
        get(client)
    wire.send(wire.headers(1, [(b":status", b"700")]))
    wire.send(wire.headers(3, [(b":status", b"200")], end_stream=False))
    wire.send(wire.headers(3, [(b"x-bad", b"\x01")]))
    assert [(e.stream_id, e.error_code) for e in wire.take() if isinstance(e, StreamReset)] == [
        (1, E.PROTOCOL_ERROR),
        (3, E.PROTOCOL_ERROR),
    ]


def test_data_for_refused_streams_gives_the_window_back() -> None:
    wire = Wire(H2Connection(SERVER)).handshake()
    server = wire.machine
    wire.send(wire.headers(1, REQUEST, end_stream=False))
    server.send(GoAway())
    wire.read()
    (ping,) = wire.of(PingFrame)
    wire.send(PingFrame(0, ping.opaque_data, flags=["ACK"]))
    wire.take()
    window = server._h2._inbound_flow_control_window_manager
    before = window.current_window_size + window._bytes_processed
    frames = b"".join(
        f.serialize()
        for f in (
            wire.headers(3, REQUEST, end_stream=False),
            DataFrame(3, b"d" * 1000),
            DataFrame(3, b"", flags=["END_STREAM"]),
        )
    )
    wire.send(frames)
    assert wire.take() == []
    assert window.current_window_size + window._bytes_processed == before


def test_a_reset_in_the_same_read_as_a_stream_error() -> None:
    wire = Wire(H2Connection(CLIENT)).handshake()
    get(wire.machine)
    frames = wire.headers(1, [(b":status", b"700")], end_stream=False).serialize()
    wire.send(frames + RstStreamFrame(1, error_code=E.CANCEL).serialize())
    (reset,) = wire.take()
    assert reset.error_code == E.PROTOCOL_ERROR


def test_a_response_after_our_reset_is_dropped() -> None:
    wire = Wire(H2Connection(CLIENT)).handshake()
    get(wire.machine, end=False)
    wire.machine.send(StreamReset(1))
    wire.read()
    wire.send(wire.headers(1, [(b":status", b"200")]))
    assert wire.take() == []


def test_unsolicited_settings_ack_and_zero_acknowledgement() -> None:
    wire = Wire(H2Connection(SERVER)).handshake()
    wire.send(SettingsFrame(0, flags=["ACK"]))
    wire.send(wire.headers(1, REQUEST, end_stream=False), DataFrame(1, b"abc"))
    wire.machine.acknowledge_data(1, 0)
    wire.machine.acknowledge_data(1, 3)
    assert not wire.of(GoAwayFrame)


def test_request_without_authority_and_empty_data() -> None:
    client, server = pair()
    with pytest.raises(LocalProtocolError, match="authority"):
        client.send(Request(b"GET", b"/", b"", b"https"))
    client.send(Request(b"GET", b"/", b"h", b"https"))
    client.send(Data(1, b""))
    client.send(EndOfMessage(1))
    settle(client, server)
    assert server.events() == [Request(b"GET", b"/", b"h", b"https"), EndOfMessage(1)]


def test_resetting_a_finished_stream_with_unread_data() -> None:
    client, server = pair()
    client.send(Request(b"POST", b"/", b"h"))
    client.send(Data(1, b"unread"))
    client.send(EndOfMessage(1))
    settle(client, server)
    server.events()
    respond(server, 1)
    settle(client, server)
    assert 1 in server._streams  # kept until the application reads its data
    server.send(StreamReset(1))
    assert server._streams == {}
    server.data_to_send()
    assert server.pending_send(1) == 0


def test_an_empty_trailer_section_is_just_the_end() -> None:
    wire = Wire(H2Connection(SERVER)).handshake()
    wire.send(wire.headers(1, REQUEST, end_stream=False), DataFrame(1, b"ab"))
    wire.send(HeadersFrame(1, b"", flags=["END_HEADERS", "END_STREAM"]))
    assert [type(e) for e in wire.take()] == [Request, Data, EndOfMessage]


def test_frames_on_a_stream_we_reset_are_answered_by_h2_alone() -> None:
    wire = Wire(H2Connection(SERVER)).handshake()
    wire.send(wire.headers(1, REQUEST, end_stream=False))
    wire.machine.send(StreamReset(1, E.CANCEL))
    wire.read()
    wire.take()
    wire.send(DataFrame(1, b"still coming"))
    assert wire.take() == []
    assert [f.error_code for f in wire.of(RstStreamFrame)] == [E.CANCEL, E.STREAM_CLOSED]


def reset_by_client() -> Wire:
    wire = Wire(
        H2Connection(CLIENT, config=H2Config(max_header_list_size=200, max_header_block_size=300))
    ).handshake()
    get(wire.machine)
    wire.machine.send(StreamReset(1))
    wire.read()
    wire.take()
    return wire


def test_a_1xx_after_our_reset_is_ignored() -> None:
    """h2 would make this race a connection error (RFC 9113 section 5.1: ignore it)."""
    wire = reset_by_client()
    wire.send(wire.headers(1, [(b":status", b"103"), (b"link", b"</a>")], end_stream=False))
    wire.send(wire.headers(1, [(b":status", b"200")], end_stream=False))
    block = wire.encoder.encode([(b"x-t", b"1")])
    wire.send(
        HeadersFrame(1, block[:1], flags=["END_STREAM"]),
        ContinuationFrame(1, block[1:], flags=["END_HEADERS"]),
    )
    assert wire.take() == [] and not wire.of(GoAwayFrame)
    # The HPACK state stayed in step: a later response decodes.
    get(wire.machine)
    wire.send(wire.headers(3, [(b":status", b"204"), (b"link", b"</a>")]))
    assert wire.take() == [Response(204, ((b"link", b"</a>"),), 3), EndOfMessage(3)]


def test_a_frame_inside_an_ignored_header_block() -> None:
    wire = reset_by_client()
    wire.send(
        HeadersFrame(1, wire.encoder.encode([(b":status", b"200")])), PingFrame(0, b"12345678")
    )
    assert wire.goaway().error_code == E.PROTOCOL_ERROR


@pytest.mark.parametrize(
    ("block", "code"),
    [(b"\xfe", E.COMPRESSION_ERROR), (b"\x40\x01a\x7f\x35" + b"b" * 180, E.ENHANCE_YOUR_CALM)],
)
def test_an_ignored_header_block_must_still_decode(block: bytes, code: int) -> None:
    wire = reset_by_client()
    wire.send(HeadersFrame(1, block[:100], flags=["END_STREAM"]))
    wire.send(ContinuationFrame(1, block[100:], flags=["END_HEADERS"]))
    assert wire.goaway().error_code == code


def test_an_ignored_header_block_is_still_limited() -> None:
    wire = reset_by_client()
    wire.send(HeadersFrame(1, b"\x88"))
    wire.send(*[ContinuationFrame(1, b"\x88" * 100)] * 3)
    assert wire.goaway().error_code == E.ENHANCE_YOUR_CALM


def test_a_malformed_header_frame_on_a_reset_stream() -> None:
    wire = reset_by_client()
    wire.send(b"\x00\x00\x02\x01\x0c\x00\x00\x00\x01\x05\x88")  # padding longer than the frame
    assert wire.goaway().error_code == E.PROTOCOL_ERROR


def test_stream_ids_run_out() -> None:
    client, _ = pair()
    client._h2.highest_outbound_stream_id = 2**31 - 1
    assert client.next_stream_id is None


def test_an_upgrading_client_starts_its_clock_when_the_preface_goes() -> None:
    client = H2Connection.upgrading_client(Request(b"GET", b"/", b"h"), now=0.0)
    assert client.next_deadline() == 10.0
    client.started(100.0)
    assert client.next_deadline() == 110.0
