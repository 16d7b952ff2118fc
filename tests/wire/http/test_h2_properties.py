"""Properties of the HTTP/2 machine (hypothesis).

- Round trip: any requests and responses on concurrent streams, with any body
  chunking (large enough to need the flow-control windows), trailers or not,
  and the bytes split at any points, arrive as they were sent; the receiving
  application acknowledges what it reads, and nothing more gets through.
- Any frames (valid, malformed, unknown) fed to a server after the preface
  give events, or a GOAWAY whose code is the one the ConnectionClosed event
  carries; feeding them whole or split at any points gives the same events.
"""

from __future__ import annotations

import struct
from itertools import pairwise

from hpack import Encoder
from hyperframe.frame import Frame, GoAwayFrame, SettingsFrame
from hypothesis import given
from hypothesis import strategies as st

from wire.http._errors import H2RemoteError
from wire.http._events import (
    ConnectionClosed,
    Data,
    EndOfMessage,
    Event,
    Headers,
    InformationalResponse,
    Request,
    Response,
    StreamReset,
    Trailers,
)
from wire.http._h2 import PREFACE, H2Config, H2Connection
from wire.http._state import Role

TOKEN = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz"
RESERVED = {
    b"connection",
    b"keep-alive",
    b"proxy-connection",
    b"transfer-encoding",
    b"upgrade",
    b"http2-settings",
    b"host",
    b"te",
    b"content-length",
    b"cookie",
}
names = st.text(TOKEN, min_size=1, max_size=10).map(str.encode).filter(lambda n: n not in RESERVED)
values = (
    st.lists(st.integers(0x21, 0x7E) | st.integers(0x80, 0xFF) | st.just(0x20), max_size=12)
    .map(bytes)
    .map(lambda b: b.strip(b" "))
)
header_lists = st.lists(st.tuples(names, values), max_size=5).map(tuple)
trailer_lists = st.lists(st.tuples(names, values), min_size=1, max_size=3).map(tuple)
chunks = st.lists(
    st.one_of(st.binary(max_size=40), st.sampled_from([16_384, 70_000]).map(lambda n: b"x" * n)),
    max_size=3,
)


@st.composite
def messages(
    draw: st.DrawFn, *, body_allowed: bool = True
) -> tuple[Headers, list[bytes], Headers | None]:
    headers = draw(header_lists)
    body = draw(chunks) if body_allowed else []
    trailers = None
    if draw(st.booleans()):
        headers = (*headers, (b"content-length", b"%d" % sum(map(len, body))))
    if body_allowed and draw(st.booleans()):
        trailers = draw(trailer_lists)
    return headers, body, trailers


class Link:
    """A client and a server machine, with bytes split at chosen points."""

    def __init__(self, cuts: list[int]) -> None:
        config = H2Config(max_body_size=None)
        self.client = H2Connection(Role.CLIENT, config=config)
        self.server = H2Connection(Role.SERVER, config=config)
        self.cuts = cuts
        self.received: dict[H2Connection, list[Event]] = {self.client: [], self.server: []}

    def settle(self) -> None:
        for _ in range(200):
            moved = False
            for a, b in ((self.client, self.server), (self.server, self.client)):
                data = b"".join(a.data_to_send())
                if data:
                    moved = True
                    points = sorted({min(c, len(data)) for c in self.cuts} | {0, len(data)})
                    for start, end in pairwise(points):
                        b.receive_data(data[start:end])
                for event in b.events():
                    self.received[b].append(event)
                    if isinstance(event, Data):
                        # The application reads everything at once.
                        b.acknowledge_data(event.stream_id, event.flow_controlled_length or 0)
            if not moved:
                return
        raise AssertionError("no quiet")


def send_message(
    conn: H2Connection, stream_id: int, body: list[bytes], trailers: Headers | None
) -> None:
    for chunk in body:
        conn.send(Data(stream_id, chunk))
    if trailers is not None:
        conn.send(Trailers(stream_id, trailers))
    conn.send(EndOfMessage(stream_id))


def check_message(events: list[Event], body: list[bytes], trailers: Headers | None) -> None:
    assert b"".join(e.data for e in events if isinstance(e, Data)) == b"".join(body)
    assert [e.headers for e in events if isinstance(e, Trailers)] == (
        [trailers] if trailers is not None else []
    )
    assert isinstance(events[-1], EndOfMessage)


@given(
    requests=st.lists(
        st.tuples(st.sampled_from([b"GET", b"POST", b"HEAD", b"PUT"]), messages()),
        min_size=1,
        max_size=2,
    ),
    status=st.sampled_from([200, 204, 304, 404, 599]),
    informational=st.lists(st.sampled_from([100, 103]), max_size=2),
    replies=st.data(),
    cuts=st.lists(st.integers(0, 70_000), max_size=6),
)
def test_round_trip(
    requests: list[tuple[bytes, tuple[Headers, list[bytes], Headers | None]]],
    status: int,
    informational: list[int],
    replies: st.DataObject,
    cuts: list[int],
) -> None:
    link = Link(cuts)
    link.settle()
    client, server = link.client, link.server
    sent: dict[int, tuple[Request, list[bytes], Headers | None]] = {}
    for method, (headers, body, trailers) in requests:
        stream_id = client.next_stream_id
        assert stream_id is not None
        request = Request(method, b"/", b"example.com", b"https", headers, stream_id)
        client.send(request)
        send_message(client, stream_id, body, trailers)
        sent[stream_id] = (request, body, trailers)
    link.settle()
    for stream_id, (request, body, trailers) in sent.items():
        events = [e for e in link.received[server] if getattr(e, "stream_id", 0) == stream_id]
        assert events[0] == request
        check_message(events, body, trailers)
        no_body = request.method == b"HEAD" or status in (204, 304)
        reply = replies.draw(messages(body_allowed=not no_body))
        for code in informational:
            server.send(InformationalResponse(code, (), stream_id))
        server.send(Response(status, reply[0], stream_id))
        send_message(server, stream_id, reply[1], reply[2])
        sent[stream_id] = (request, *reply[1:])  # type: ignore[assignment]
        heads = (Response(status, reply[0], stream_id),)
        link.settle()
        events = [e for e in link.received[client] if getattr(e, "stream_id", 0) == stream_id]
        assert events[: len(informational)] == [
            InformationalResponse(code, (), stream_id) for code in informational
        ]
        assert events[len(informational)] == heads[0]
        check_message(events, reply[1], reply[2])
    assert not [e for e in link.received[client] if isinstance(e, StreamReset | ConnectionClosed)]
    assert client._streams == {} and server._streams == {}


# ---------------------------------------------------------------------------
# Any frames
# ---------------------------------------------------------------------------

ENCODER_BLOCKS = [
    Encoder().encode(
        [(b":method", b"GET"), (b":scheme", b"https"), (b":path", b"/"), (b":authority", b"a")]
    ),
    Encoder().encode(
        [
            (b":method", b"POST"),
            (b":scheme", b"http"),
            (b":path", b"/p"),
            (b":authority", b"a"),
            (b"content-length", b"3"),
        ]
    ),
    Encoder().encode([(b"x-trailer", b"1")]),
    b"\x82\x86\x84\x41\x01a",
    b"\xfe",
    b"",
]


@st.composite
def frames(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 10))
    flags = draw(st.sampled_from([0, 1, 4, 5, 8, 0x20, 0x25, 0xFF]))
    stream_id = draw(st.sampled_from([0, 1, 2, 3, 5, 7, 0x80000001]))
    payload = draw(
        st.one_of(
            st.sampled_from(ENCODER_BLOCKS),
            st.binary(max_size=24),
            st.sampled_from(
                [
                    b"\0" * 8,
                    b"\0\0\0\1",
                    b"\x7f\xff\xff\xff",
                    b"\0\x04\0\0\0\0",
                    b"\0\0\0\0\0\0\0\x08",
                    b"\0\0\0\0\xff",
                ]
            ),
        )
    )
    # Now and then a length that lies.
    lies = draw(st.integers(0, 9)) == 0
    length = draw(st.integers(0, 2**24 - 1)) if lies else len(payload)
    return (
        struct.pack(">I", length)[1:]
        + bytes((kind, flags))
        + struct.pack(">I", stream_id)
        + payload
    )


sessions = st.lists(st.one_of(frames(), st.binary(max_size=12)), max_size=12).map(b"".join)


def serve(data: bytes, cuts: list[int]) -> tuple[list[Event], list[Frame]]:
    server = H2Connection(
        Role.SERVER,
        config=H2Config(
            max_body_size=100, reset_budget=3, empty_frame_budget=3, max_queued_control_frames=5
        ),
    )
    seen: list[Event] = []
    written = b""
    data = PREFACE + SettingsFrame(0).serialize() + data
    points = sorted({min(c, len(data)) for c in cuts} | {0, len(data)})
    for start, end in pairwise(points):
        server.receive_data(data[start:end])
        for event in server.events():
            seen.append(event)
            if isinstance(event, Data):
                server.acknowledge_data(event.stream_id, event.flow_controlled_length or 0)
            elif isinstance(event, EndOfMessage):
                server.send(Response(200, (), event.stream_id))
                server.send(EndOfMessage(event.stream_id))
        written += b"".join(server.data_to_send())
    return seen, parse(written)


def parse(data: bytes) -> list[Frame]:
    out = []
    while len(data) >= 9:
        frame, length = Frame.parse_frame_header(memoryview(data[:9]))
        frame.parse_body(memoryview(data[9 : 9 + length]))
        data = data[9 + length :]
        out.append(frame)
    assert not data
    return out


@given(sessions, st.lists(st.integers(0, 300), max_size=8))
def test_any_frames_give_events_or_a_goaway_with_the_error_code(
    data: bytes, cuts: list[int]
) -> None:
    events, written = serve(data, [])
    split_events, _ = serve(data, cuts)
    assert [repr(e) for e in events] == [repr(e) for e in split_events]
    closes = [e for e in events if isinstance(e, ConnectionClosed)]
    assert len(closes) <= 1
    goaways = [f for f in written if isinstance(f, GoAwayFrame)]
    if closes:
        assert events[-1] is closes[0]
    if closes and closes[0].error is not None:
        # We ended it for a rule the peer broke: the peer was told the code.
        assert isinstance(closes[0].error, H2RemoteError)
        assert goaways and goaways[-1].error_code == closes[0].error_code
        assert closes[0].error.code == closes[0].error_code
    else:
        # The peer ended it (GOAWAY), or it is still open: we said nothing.
        assert not goaways
    for event in events:
        if isinstance(event, StreamReset) and event.error is not None:
            assert event.error.code == event.error_code
