"""Properties of the HTTP/1.1 machine (hypothesis).

- Round trip: any request and response, with any body chunking, trailers or
  not, and the bytes split at any points, arrive as they were sent.
- Any bytes fed to a server give events, or the close after an error response
  whose status is the error's; and feeding them whole or split at any points
  gives the same events and the same bytes back, with the strict fast path or
  without it (``tests/wire/http/test_h1_fast_path.py`` has the rest of that
  evidence).
"""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from wire.http._errors import H1RemoteError
from wire.http._events import (
    ConnectionClosed,
    Data,
    EndOfMessage,
    Event,
    Headers,
    InformationalResponse,
    Request,
    Response,
    Trailers,
)
from wire.http._h1 import H1Config, H1Connection
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
    b"expect",
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
chunks = st.lists(st.binary(max_size=40), max_size=5)
paths = st.lists(st.text("abcxyz019-._~", max_size=6), max_size=3).map(
    lambda parts: ("/" + "/".join(parts)).encode()
)


@st.composite
def messages(
    draw: st.DrawFn, *, body_allowed: bool = True
) -> tuple[Headers, list[bytes], Headers | None]:
    """Headers (maybe with content-length), body chunks, and trailers or None."""
    headers = draw(header_lists)
    body = draw(chunks) if body_allowed else []
    trailers = None
    if draw(st.booleans()):
        size = sum(map(len, body))
        headers = (*headers, (b"content-length", b"%d" % size))
    elif body_allowed and draw(st.booleans()):
        trailers = draw(trailer_lists)
    return headers, body, trailers


def deliver(data: bytes, cuts: list[int], to: H1Connection) -> list[Event]:
    points = sorted({min(c, len(data)) for c in cuts} | {0, len(data)})
    for start, end in pairwise(points):
        to.receive_data(data[start:end])
    return to.events()


def send_message(
    conn: H1Connection, stream_id: int, body: list[bytes], trailers: Headers | None
) -> None:
    for chunk in body:
        conn.send(Data(stream_id, chunk))
    if trailers is not None:
        conn.send(Trailers(stream_id, trailers))
    conn.send(EndOfMessage(stream_id))


def check_message(events: list[Event], body: list[bytes], trailers: Headers | None) -> None:
    data = [e for e in events if isinstance(e, Data)]
    assert b"".join(e.data for e in data) == b"".join(body)
    assert all(e.data for e in data)
    got = [e for e in events if isinstance(e, Trailers)]
    assert got == ([] if trailers is None else [Trailers(events[0].stream_id, trailers)])
    assert isinstance(events[-1], EndOfMessage)


@given(
    method=st.sampled_from([b"GET", b"POST", b"PUT", b"DELETE", b"HEAD", b"OPTIONS"]),
    target=paths,
    authority=st.sampled_from([b"example.com", b"a.example:8080", b"[::1]"]),
    request=messages(),
    status=st.sampled_from([200, 201, 204, 304, 404, 500, 599]),
    informational=st.lists(st.sampled_from([100, 103]), max_size=2),
    response=st.data(),
    cuts=st.lists(st.integers(0, 2000), max_size=8),
    more_cuts=st.lists(st.integers(0, 2000), max_size=8),
    exchanges=st.integers(1, 2),
)
def test_round_trip(
    method: bytes,
    target: bytes,
    authority: bytes,
    request: tuple[Headers, list[bytes], Headers | None],
    status: int,
    informational: list[int],
    response: st.DataObject,
    cuts: list[int],
    more_cuts: list[int],
    exchanges: int,
) -> None:
    client, server = H1Connection(Role.CLIENT), H1Connection(Role.SERVER)
    headers, body, trailers = request
    for stream_id in range(1, exchanges + 1):
        sent = Request(method, target, authority, b"http", headers, stream_id)
        client.send(sent)
        send_message(client, stream_id, body, trailers)
        events = deliver(b"".join(client.data_to_send()), cuts, server)
        assert events[0] == sent
        check_message(events, body, trailers)

        no_body = method == b"HEAD" or status in (204, 304)
        reply_headers, reply_body, reply_trailers = response.draw(
            messages(body_allowed=not no_body)
        )
        for code in informational:
            server.send(InformationalResponse(code, (), stream_id))
        head = Response(status, reply_headers, stream_id)
        server.send(head)
        send_message(server, stream_id, reply_body, reply_trailers)
        events = deliver(b"".join(server.data_to_send()), more_cuts, client)
        assert events[: len(informational)] == [
            InformationalResponse(code, (), stream_id) for code in informational
        ]
        events = events[len(informational) :]
        assert events[0] == head
        check_message(events, reply_body, reply_trailers)
        assert client.next_stream_id == stream_id + 1


# ---------------------------------------------------------------------------
# Any bytes
# ---------------------------------------------------------------------------

LINES = [
    b"GET / HTTP/1.1",
    b"POST /p?q HTTP/1.1",
    b"GET / HTTP/1.0",
    b"PUT * HTTP/2.0",
    b"Host: example.com",
    b"Content-Length: 5",
    b"Content-Length: 1000000000",
    b"Transfer-Encoding: chunked",
    b"Transfer-Encoding: gzip",
    b"Connection: close",
    b"Connection: upgrade",
    b"Upgrade: websocket",
    b"Expect: 100-continue",
    b" folded",
    b"X-A: b",
    b"5",
    b"hello",
    b"0",
    b"",
    b"\x00\xff",
    b"X: " + b"a" * 300,
]
fragments = st.lists(
    st.one_of(
        st.sampled_from(LINES).map(lambda line: line + b"\r\n"),
        st.sampled_from(LINES).map(lambda line: line + b"\n"),
        st.binary(max_size=20),
    ),
    max_size=25,
).map(b"".join)

STATUSES = {400, 408, 413, 414, 431, 501, 505}


def feed_all(data: bytes, cuts: list[int], *, fast: bool = True) -> tuple[list[Event], bytes]:
    config = H1Config(max_head_size=256, max_body_size=100, fast_path=fast)
    server = H1Connection(Role.SERVER, config=config)
    seen: list[Event] = []
    written = b""
    points = sorted({min(c, len(data)) for c in cuts} | {0, len(data)})
    for start, end in pairwise(points):
        server.receive_data(data[start:end])
        written += answer(server, seen)
    server.receive_eof()
    written += answer(server, seen)
    return seen, written


def readable(event: Event) -> str:
    """An event as text, its error (compared by identity otherwise) as its type and text."""
    error = getattr(event, "error", None)
    return repr(event) if error is None else f"{event!r} {type(error).__name__}: {error}"


def merged(events: list[Event]) -> list[str]:
    """The events with adjacent Data of one stream joined (reads split bodies)."""
    out: list[Event] = []
    for event in events:
        last = out[-1] if out else None
        if isinstance(event, Data) and isinstance(last, Data):
            out[-1] = Data(last.stream_id, last.data + event.data)
        else:
            out.append(event)
    return [repr(e) for e in out]


def answer(server: H1Connection, seen: list[Event]) -> bytes:
    """Take the events; answer each complete request; return the bytes written."""
    written = b""
    while True:
        events = server.events()
        if not events:
            return written + b"".join(server.data_to_send())
        seen.extend(events)
        for event in events:
            if isinstance(event, EndOfMessage):
                server.send(Response(200, ((b"content-length", b"0"),), event.stream_id))
                server.send(EndOfMessage(event.stream_id))
            elif isinstance(event, Data):
                server.acknowledge_data(event.stream_id, len(event.data))
        written += b"".join(server.data_to_send())


@given(fragments, st.lists(st.integers(0, 400), max_size=10))
def test_any_bytes_give_events_or_the_right_error_response(data: bytes, cuts: list[int]) -> None:
    events, written = feed_all(data, [])
    split_events, split_written = feed_all(data, cuts)
    assert merged(events) == merged(split_events)
    assert written == split_written
    # The strict fast path changes nothing: h11 alone gives the same.
    slow_events, slow_written = feed_all(data, cuts, fast=False)
    assert [readable(e) for e in split_events] == [readable(e) for e in slow_events]
    assert split_written == slow_written
    closes = [e for e in events if isinstance(e, ConnectionClosed)]
    assert len(closes) == 1 and events[-1] is closes[0]
    error = closes[0].error
    if error is not None:
        assert isinstance(error, H1RemoteError)
        assert error.status in STATUSES
        if closes[0].error_code is not None:
            assert closes[0].error_code == error.status
            assert (b"HTTP/1.1 %d " % error.status) in written
