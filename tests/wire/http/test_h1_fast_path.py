"""The HTTP/1.1 server's strict fast path against h11 (differential tests).

Two parsers that disagree are how requests get smuggled, so the fast path
(``wire.http._h1_fast``) must accept only what h11 accepts, and read it the
same. The evidence:

- parser against h11: for every input the fast parser accepts, an
  ``h11.Connection`` fed the same bytes yields the same request (method,
  target, version, fields, body framing, keep-alive, no upgrade or
  100-continue) and leaves the same bytes unread; every well-formed request of
  :func:`wire.http.strategies.request_bytes` takes the fast path; none of the
  RFC 9112 smuggling cases does;
- machine against machine: an :class:`H1Connection` with the fast path and
  one without (every request through h11) give the same events, the same
  bytes, the same errors for misuse and the same state after every call, for
  pipelined mixes of plain, unusual and broken requests split at any points,
  answered in every way a server answers;
- response writer against h11: the bytes the fast path writes for a response
  are the bytes an ``h11.Connection`` writes for it;
- split invariance: bytes fed whole or split give the same events.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from http import HTTPStatus
from itertools import pairwise

import h11
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wire.errors import LocalProtocolError
from wire.http import strategies as hs
from wire.http._events import (
    CONNECTION_FIELDS,
    ConnectionClosed,
    Data,
    EndOfMessage,
    Event,
    GoAway,
    Headers,
    InformationalResponse,
    Request,
    Response,
    Trailers,
)
from wire.http._h1 import H1Config, H1Connection
from wire.http._h1_fast import parse_request_head, request_event
from wire.http._state import ConnectionState, Role

SERVER = Role.SERVER
WIDE = {"max_request_line": 1 << 20, "max_head_size": 1 << 20, "max_header_count": 1 << 20}


def h11_fields(request: h11.Request) -> tuple[bytes, Headers, bool]:
    """What the machine keeps of an h11 request: Host, the event's fields, close."""
    hosts = [value for name, value in request.headers if name == b"host"]
    assert len(hosts) == 1
    fields = tuple(
        (name, value)
        for name, value in request.headers
        if name not in CONNECTION_FIELDS and (name != b"te" or value.lower() == b"trailers")
    )
    tokens = [
        token.strip()
        for name, value in request.headers
        if name == b"connection"
        for token in value.lower().split(b",")
    ]
    return hosts[0], fields, b"close" in tokens


def check_against_h11(data: bytes) -> bool:
    """If the fast parser accepts ``data``, h11 reads it the same. Returns whether it did."""
    head = parse_request_head(data, 0, **WIDE)
    if head is None:
        return False
    method, target, authority, fields, length, close, end = head
    # The event built without its checks is the one its constructor accepts.
    for scheme in (b"http", b"https"):
        assert request_event(head, scheme, 7) == Request(
            method, target, authority, scheme, fields, 7
        )
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(data)
    request = conn.next_event()
    assert type(request) is h11.Request
    assert (request.method, request.target, request.http_version) == (method, target, b"1.1")
    assert h11_fields(request) == (authority, fields, close)
    assert conn.trailing_data[0] == data[end:]
    # Framing: h11 reads the same body, to the same end, and nothing switches.
    assert not conn.they_are_waiting_for_100_continue
    body = b""
    while True:
        event = conn.next_event()
        if type(event) is h11.Data:
            body += event.data
            continue
        break
    assert body == data[end : end + length]
    if len(data) - end >= length:
        assert type(event) is h11.EndOfMessage
        assert conn.their_state is (h11.MUST_CLOSE if close else h11.DONE)
    else:
        assert event is h11.NEED_DATA
        assert conn.their_state is h11.SEND_BODY
    return True


# ---------------------------------------------------------------------------
# The parser against h11
# ---------------------------------------------------------------------------


@given(hs.request_bytes(max_body=32), st.binary(max_size=8))
def test_every_well_formed_request_takes_the_fast_path_as_h11_reads_it(
    data: bytes, after: bytes
) -> None:
    assert check_against_h11(data)
    assert check_against_h11(data + after)
    # A head that is not all here yet goes to h11, which waits for the rest.
    head_end = data.index(b"\r\n\r\n") + 4
    assert parse_request_head(data[: head_end - 1], 0, **WIDE) is None


@given(hs.mutated_request_bytes())
def test_near_misses_are_declined_or_read_as_h11_reads_them(data: bytes) -> None:
    check_against_h11(data)


#: RFC 9112 sections 2.2, 3, 5, 6 and 11: what the fast path never takes.
SMUGGLING = {
    "cl-and-te": b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "te-and-cl": b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
    b"Content-Length: 3\r\n\r\n0\r\n\r\n",
    "te-chunked": b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "te-uppercase": b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: CHUNKED\r\n\r\n0\r\n\r\n",
    "te-list": b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
    "te-identity": b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n",
    "te-twice": b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "te-xchunked": b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n",
    "te-space-before-colon": b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked\r\n\r\n",
    "te-folded": b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n chunked\r\n\r\n",
    "te-http10": b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "cl-twice-same": b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n"
    b"Content-Length: 1\r\n\r\nx",
    "cl-twice-different": b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n"
    b"Content-Length: 2\r\n\r\nxx",
    "cl-list": b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 1\r\n\r\nx",
    "cl-plus": b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +1\r\n\r\nx",
    "cl-minus": b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\nx",
    "cl-inner-space": b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1 1\r\n\r\nx",
    "cl-hex": b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x1\r\n\r\nx",
    "cl-empty": b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n",
    "cl-huge": b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n",
    "cl-space-before-colon": b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length : 1\r\n\r\nx",
    "cl-folded": b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n 1\r\n\r\nx",
    "cl-non-ascii-digit": b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \xd9\xa1\r\n\r\nx",
    "bare-lf": b"GET / HTTP/1.1\nHost: h\n\n",
    "bare-lf-one-line": b"GET / HTTP/1.1\r\nHost: h\nX: 1\r\n\r\n",
    "bare-lf-end": b"GET / HTTP/1.1\r\nHost: h\r\n\n",
    "bare-cr": b"GET / HTTP/1.1\r\nHost: h\rX: 1\r\n\r\n",
    "obs-fold": b"GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n  folded\r\n\r\n",
    "obs-fold-tab": b"GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n\tfolded\r\n\r\n",
    "leading-whitespace-line": b"GET / HTTP/1.1\r\n Host: h\r\n\r\n",
    "space-before-colon": b"GET / HTTP/1.1\r\nHost : h\r\n\r\n",
    "tab-before-colon": b"GET / HTTP/1.1\r\nHost\t: h\r\n\r\n",
    "nul-in-value": b"GET / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n",
    "ctl-in-value": b"GET / HTTP/1.1\r\nHost: h\r\nX: a\x01b\r\n\r\n",
    "del-in-value": b"GET / HTTP/1.1\r\nHost: h\r\nX: a\x7fb\r\n\r\n",
    "vt-in-value": b"GET / HTTP/1.1\r\nHost: h\r\nX: a\x0bb\r\n\r\n",
    "ctl-in-host": b"GET / HTTP/1.1\r\nHost: h\x01\r\n\r\n",
    "empty-name": b"GET / HTTP/1.1\r\nHost: h\r\n: x\r\n\r\n",
    "bad-name": b"GET / HTTP/1.1\r\nHost: h\r\nX@Y: x\r\n\r\n",
    "absolute-form": b"GET http://other.example/a HTTP/1.1\r\nHost: h\r\n\r\n",
    "authority-form": b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
    "connect-origin-form": b"CONNECT / HTTP/1.1\r\nHost: h\r\n\r\n",
    "asterisk-form": b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
    "relative-target": b"GET relative HTTP/1.1\r\nHost: h\r\n\r\n",
    "non-ascii-target": b"GET /\xff HTTP/1.1\r\nHost: h\r\n\r\n",
    "http10": b"GET / HTTP/1.0\r\n\r\n",
    "http10-keep-alive": b"GET / HTTP/1.0\r\nHost: h\r\nConnection: keep-alive\r\n\r\n",
    "http12": b"GET / HTTP/1.2\r\nHost: h\r\n\r\n",
    "http2": b"GET / HTTP/2.0\r\nHost: h\r\n\r\n",
    "lowercase-version": b"GET / http/1.1\r\nHost: h\r\n\r\n",
    "double-space": b"GET  / HTTP/1.1\r\nHost: h\r\n\r\n",
    "tab-separator": b"GET\t/\tHTTP/1.1\r\nHost: h\r\n\r\n",
    "leading-cr": b"\rGET / HTTP/1.1\r\nHost: h\r\n\r\n",
    "leading-lf": b"\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
    "no-host": b"GET / HTTP/1.1\r\n\r\n",
    "two-hosts": b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    "bad-host": b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
    "userinfo-host": b"GET / HTTP/1.1\r\nHost: user@h\r\n\r\n",
    "host-port-not-digits": b"GET / HTTP/1.1\r\nHost: h:x\r\n\r\n",
    "host-bad-ip-literal": b"GET / HTTP/1.1\r\nHost: [::1::]\r\n\r\n",
    "host-zone-index": b"GET / HTTP/1.1\r\nHost: [fe80::1%eth0]:80\r\n\r\n",
    "host-bad-percent": b"GET / HTTP/1.1\r\nHost: h%4\r\n\r\n",
    "upgrade": b"GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n",
    "upgrade-alone": b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n",
    "h2c": b"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\n"
    b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n",
    "http2-settings": b"GET / HTTP/1.1\r\nHost: h\r\nHTTP2-Settings: AAMAAABk\r\n\r\n",
    "expect": b"PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx",
    "connection-list": b"GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, close\r\n\r\n",
    "connection-other": b"GET / HTTP/1.1\r\nHost: h\r\nConnection: x-private\r\n\r\n",
    "connection-empty": b"GET / HTTP/1.1\r\nHost: h\r\nConnection:\r\n\r\n",
}


@pytest.mark.parametrize("name", list(SMUGGLING))
def test_smuggling_cases_never_take_the_fast_path(name: str) -> None:
    data = SMUGGLING[name]
    assert parse_request_head(data, 0, **WIDE) is None
    # And the machine answers them exactly as without the fast path.
    assert transcript(data, [], Plan(), fast=True) == transcript(data, [], Plan(), fast=False)


def test_fields_the_fast_path_reads_itself() -> None:
    data = (
        b"GET /a HTTP/1.1\r\nhOsT:  h:1 \r\nConnection: Keep-Alive\r\nKeep-Alive: 5\r\n"
        b"Proxy-Connection: x\r\nTE: gzip\r\nte: Trailers\r\nContent-Length: 007\r\n"
        b"X-Obs: \x80\xff a\tb\r\nX-Empty:\r\n\r\n1234567"
    )
    assert parse_request_head(data, 0, **WIDE) == (
        b"GET",
        b"/a",
        b"h:1",
        (
            (b"te", b"Trailers"),
            (b"content-length", b"007"),
            (b"x-obs", b"\x80\xff a\tb"),
            (b"x-empty", b""),
        ),
        7,
        False,
        len(data) - 7,
    )
    assert check_against_h11(data)


def test_limits_send_the_request_to_h11() -> None:
    data = b"GET /abc HTTP/1.1\r\nHost: h\r\nX: 1\r\n\r\n"
    line = len(b"GET /abc HTTP/1.1\r")
    assert parse_request_head(data, 0, **{**WIDE, "max_request_line": line}) is not None
    assert parse_request_head(data, 0, **{**WIDE, "max_request_line": line - 1}) is None
    assert parse_request_head(data, 0, **{**WIDE, "max_head_size": len(data)}) is not None
    assert parse_request_head(data, 0, **{**WIDE, "max_head_size": len(data) - 1}) is None
    assert parse_request_head(data, 0, **{**WIDE, "max_header_count": 2}) is not None
    assert parse_request_head(data, 0, **{**WIDE, "max_header_count": 1}) is None


# ---------------------------------------------------------------------------
# Machine against machine
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Answer:
    """How the application answers one request."""

    status: int = 200
    headers: Headers = ((b"content-length", b"2"),)
    body: tuple[bytes, ...] = (b"ok",)
    trailers: Headers | None = None
    informational: tuple[int, ...] = ()
    early: bool = False  # answer at the request head, before its body
    misuse: bool = False  # try a few wrong sends first


DEFAULT = H1Config()


@dataclasses.dataclass(frozen=True)
class Plan:
    answers: tuple[Answer, ...] = (Answer(),)
    goaway_at: int | None = None
    eof: bool = True
    tick: float | None = None
    config: H1Config = DEFAULT


def norm(event: Event) -> object:
    """An event comparable across machines (errors compare by type, text and code)."""
    if isinstance(event, ConnectionClosed) and event.error is not None:
        error = event.error
        return (dataclasses.replace(event, error=None), type(error), str(error), error.code)
    return event


def attempt(conn: H1Connection, event: Event, log: list[object]) -> None:
    try:
        conn.send(event)
    except LocalProtocolError as exc:
        log.append(("refused", type(event).__name__, str(exc)))


def observe(conn: H1Connection, log: list[object]) -> list[Event]:
    events = conn.events()
    log.append([norm(e) for e in events])
    log.append(conn.data_to_send())
    log.append((conn.state, conn.next_deadline(), conn.reading_paused))
    return events


def answer(conn: H1Connection, stream_id: int, how: Answer, log: list[object]) -> None:
    if how.misuse:
        attempt(conn, Data(stream_id, b"too soon"), log)
        attempt(conn, EndOfMessage(stream_id + 1), log)
        attempt(conn, Trailers(stream_id, ((b"x", b"1"),)), log)
    for status in how.informational:
        attempt(conn, InformationalResponse(status, (), stream_id), log)
    attempt(conn, Response(how.status, how.headers, stream_id), log)
    if how.misuse:
        attempt(conn, Response(how.status, how.headers, stream_id), log)
        attempt(conn, Data(stream_id, b"x" * 100), log)
    for piece in how.body:
        attempt(conn, Data(stream_id, piece), log)
    if how.trailers is not None:
        attempt(conn, Trailers(stream_id, how.trailers), log)
    attempt(conn, EndOfMessage(stream_id), log)


def transcript(data: bytes, cuts: list[int], plan: Plan, *, fast: bool) -> list[object]:
    """Everything a server machine does with ``data`` fed at ``cuts`` and answered per ``plan``."""
    config = dataclasses.replace(plan.config, fast_path=fast)
    conn = H1Connection(SERVER, config=config)
    log: list[object] = []
    answered: set[int] = set()
    points = sorted({min(c, len(data)) for c in cuts} | {0, len(data)})
    steps: list[Callable[[], None]] = [
        functools.partial(conn.receive_data, data[a:b]) for a, b in pairwise(points)
    ]
    if plan.eof:
        steps.append(conn.receive_eof)
    if plan.tick is not None:
        steps.append(lambda: conn.tick(plan.tick or 0.0))
    for step in steps:
        step()
        pending = observe(conn, log)
        while pending:
            for event in pending:
                stream_id = getattr(event, "stream_id", 0)
                how = plan.answers[(stream_id - 1) % len(plan.answers)]
                if isinstance(event, Data):
                    conn.acknowledge_data(stream_id, len(event.data))
                due = isinstance(event, EndOfMessage) or (how.early and isinstance(event, Request))
                if due and stream_id not in answered and conn.state is not ConnectionState.CLOSED:
                    answered.add(stream_id)
                    if stream_id == plan.goaway_at:
                        attempt(conn, GoAway(), log)
                    answer(conn, stream_id, how, log)
            pending = observe(conn, log)
    return log


#: Requests h11 handles and the fast path does not, that a server still answers.
UNUSUAL = [
    b"POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n",
    b"PUT /e HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nab",
    b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
    b"GET http://a.example/x HTTP/1.1\r\nHost: h\r\n\r\n",
    b"GET /u HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n",
    b"GET /k HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, x\r\n\r\n",
    b"GET /p HTTP/1.1\r\nHost: h\r\nCoNNection: close\r\n\r\n",
    b"GET /v HTTP/1.0\r\n\r\n",
]

requests_mix = st.lists(
    st.one_of(
        hs.request_bytes(max_body=24),
        hs.request_bytes(max_body=24),
        st.sampled_from(UNUSUAL),
        hs.mutated_request_bytes(max_body=8),
        st.sampled_from([b"\r\n", b"\r", b"\r\n" * 4]),
    ),
    min_size=1,
    max_size=5,
).map(b"".join)

statuses = st.sampled_from([200, 201, 204, 304, 404, 500, 599])
answers = st.builds(
    Answer,
    status=statuses,
    headers=st.one_of(
        hs.headers(max_size=3),
        st.just(((b"content-length", b"2"),)),
        st.just(((b"content-length", b"2"), (b"x-a", b"1"), (b"content-length", b"02"))),
    ),
    body=st.lists(st.sampled_from([b"ok", b"", b"o", b"k"]), max_size=3).map(tuple),
    trailers=st.none() | st.just(((b"x-sum", b"1"),)),
    informational=st.lists(st.sampled_from([100, 103]), max_size=2).map(tuple),
    early=st.booleans(),
    misuse=st.booleans(),
)
configs = st.sampled_from(
    [
        H1Config(),
        H1Config(max_head_size=200, max_body_size=10, max_header_count=4, max_request_line=40),
        H1Config(max_body_size=None, read_window=8, idle_timeout=None),
    ]
)
plans = st.builds(
    Plan,
    answers=st.lists(answers, min_size=1, max_size=3).map(tuple),
    goaway_at=st.none() | st.integers(1, 4),
    eof=st.booleans(),
    tick=st.none() | st.sampled_from([30.0, 61.0]),
    config=configs,
)
cut_lists = st.lists(st.integers(0, 600), max_size=12)


@settings(max_examples=300)
@given(requests_mix, cut_lists, plans)
def test_the_fast_path_changes_nothing_but_the_speed(
    data: bytes, cuts: list[int], plan: Plan
) -> None:
    assert transcript(data, cuts, plan, fast=True) == transcript(data, cuts, plan, fast=False)


#: Empty lines a server ignores before a request line (RFC 9112 section 2.2).
empty_lines = st.sampled_from([b"", b"", b"\r\n", b"\r\n" * 4])

# Requests after one that closes the connection (its own "close", or ours
# after a GoAway) are discarded whenever they arrive (RFC 9112 section 9.6),
# so a mix may have them anywhere.
valid_mix = st.lists(
    st.tuples(empty_lines, hs.request_bytes(max_body=24) | st.sampled_from(UNUSUAL)).map(b"".join),
    min_size=1,
    max_size=5,
).map(b"".join)


@given(valid_mix, cut_lists, plans)
def test_split_invariance(data: bytes, cuts: list[int], plan: Plan) -> None:
    whole = transcript(data, [], plan, fast=True)
    split = transcript(data, cuts, plan, fast=True)

    def merged(log: list[object]) -> tuple[list[object], bytes]:
        events: list[object] = []
        written = b""
        for entry in log:
            if isinstance(entry, list) and all(isinstance(e, bytes) for e in entry):
                written += b"".join(entry)
            elif isinstance(entry, list):
                for event in entry:
                    last = events[-1] if events else None
                    if isinstance(event, Data) and isinstance(last, Data):
                        events[-1] = Data(last.stream_id, last.data + event.data)
                    else:
                        events.append(event)
        return events, written

    assert merged(whole) == merged(split)


# ---------------------------------------------------------------------------
# Each way in and out of the fast path, step by step
# ---------------------------------------------------------------------------

GET = b"GET / HTTP/1.1\r\nHost: h\r\n\r\n"
CHUNKED = b"POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
Step = Callable[[H1Connection, list[object]], None]


def run_both(steps: list[Step]) -> list[object]:
    """Run ``steps`` on a machine with the fast path and one without; same log, returned."""
    logs = []
    for fast in (True, False):
        conn = H1Connection(SERVER, config=H1Config(fast_path=fast))
        log: list[object] = []
        for step in steps:
            step(conn, log)
            observe(conn, log)
        logs.append(log)
    assert logs[0] == logs[1]
    return logs[0]


def feed(data: bytes | bytearray | memoryview) -> Step:
    return lambda conn, log: conn.receive_data(data)


def eof(conn: H1Connection, log: list[object]) -> None:
    conn.receive_eof()


def reply(stream_id: int, *, complete: bool = True) -> Step:
    def step(conn: H1Connection, log: list[object]) -> None:
        attempt(conn, Response(200, ((b"content-length", b"2"),), stream_id), log)
        if complete:
            attempt(conn, Data(stream_id, b"ok"), log)
            attempt(conn, EndOfMessage(stream_id), log)

    return step


def events_of(log: list[object]) -> list[object]:
    return [
        e for entry in log if isinstance(entry, list) for e in entry if not isinstance(e, bytes)
    ]


def written(log: list[object]) -> bytes:
    return b"".join(
        b for entry in log if isinstance(entry, list) for b in entry if isinstance(b, bytes)
    )


def test_pipelined_requests_wait_and_the_end_comes_after_them() -> None:
    log = run_both(
        [feed(GET + GET), feed(GET), eof, reply(1), reply(2), reply(3)],
    )
    kinds = [type(e).__name__ for e in events_of(log) if not isinstance(e, tuple)]
    assert kinds == ["Request", "EndOfMessage"] * 3 + ["ConnectionClosed"]
    # As h11 does: the end of the stream right behind the last request closes
    # the connection when that request is read (its response is not written).
    assert written(log).count(b"HTTP/1.1 200 OK") == 2


def finish(stream_id: int) -> Step:
    def step(conn: H1Connection, log: list[object]) -> None:
        attempt(conn, Data(stream_id, b"ok"), log)
        attempt(conn, EndOfMessage(stream_id), log)

    return step


CLOSE = b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
ANSWER_AND_CLOSE = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nConnection: close\r\n\r\nok"


def test_nothing_that_follows_a_request_that_asked_to_close_is_read() -> None:
    # RFC 9112 section 9.6: a server that receives "close" MUST NOT process
    # further requests and closes after its response. What follows is
    # discarded on both paths, and the request is answered as usual (h11 alone
    # refuses the extra bytes with 400 "Got data when expecting EOF", which
    # turned the answer to a valid request into an error).
    for steps in (
        [feed(CLOSE + GET), feed(b"GET /"), reply(1)],
        [feed(CLOSE), feed(b"GET /"), reply(1), feed(GET)],
        [feed(CLOSE[:-1]), feed(b"\n" + GET + CHUNKED), reply(1)],
        [feed(CLOSE), reply(1, complete=False), feed(GET), finish(1)],
    ):
        log = run_both(steps)
        assert written(log) == ANSWER_AND_CLOSE
        # No error: the closing is the one the request asked for.
        kinds = [type(e).__name__ for e in events_of(log)]
        assert kinds == ["Request", "EndOfMessage", "ConnectionClosed"]
        assert events_of(log)[-1] == ConnectionClosed(last_stream_id=1)
        assert log[-1] == (ConnectionState.CLOSED, None, False)
    # The end of the stream after discarded bytes is the end as usual: the
    # connection is reported closed at once (as with nothing after the request).
    log = run_both([feed(CLOSE + GET), eof])
    assert events_of(log)[-1] == ConnectionClosed(last_stream_id=1)
    assert written(log) == b""
    log = run_both([feed(CLOSE), feed(GET), eof])
    assert events_of(log)[-1] == ConnectionClosed(last_stream_id=1)
    # After a GoAway our own "connection: close" ends keep-alive the same way
    # (RFC 9112 section 9.6: the server that sends close MUST NOT process
    # further requests either): a pipelined request is never read.
    goaway: Step = lambda conn, log: attempt(conn, GoAway(), log)  # noqa: E731
    log = run_both([feed(GET), goaway, reply(1, complete=False), feed(GET), finish(1)])
    assert written(log) == ANSWER_AND_CLOSE.replace(b"Connection", b"connection")
    assert [e for e in events_of(log) if isinstance(e, Request)] == [Request(b"GET", b"/", b"h")]
    assert events_of(log)[-1] == ConnectionClosed(last_stream_id=1)


def test_a_body_in_pieces() -> None:
    head = b"POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n"
    log = run_both([feed(head), feed(b"ab"), feed(b"cde" + GET), reply(1), reply(2)])
    assert [e for e in events_of(log) if isinstance(e, Data)] == [Data(1, b"ab"), Data(1, b"cde")]
    # Answered before the body is in: the body's end starts the next exchange.
    log = run_both([feed(head), reply(1), feed(b"abcde" + GET), reply(2)])
    assert [e.stream_id for e in events_of(log) if isinstance(e, Request)] == [1, 2]


def test_any_buffer_type() -> None:
    log = run_both(
        [
            feed(memoryview(GET + GET[:9])),
            feed(bytearray(GET[9:])),
            reply(1),
            feed(memoryview(GET)),
            reply(2),
            reply(3),
        ]
    )
    assert [e.stream_id for e in events_of(log) if isinstance(e, Request)] == [1, 2, 3]


def test_the_peer_closing_mid_body() -> None:
    head = b"POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nab"
    log = run_both([feed(head), eof])
    closed = events_of(log)[-1]
    assert closed[2] == (  # type: ignore[index]
        "peer closed connection without sending complete message body "
        "(received 2 bytes, expected 5)"
    )
    assert written(log).startswith(b"HTTP/1.1 400 ")
    log = run_both([feed(head), reply(1, complete=False), eof])
    assert written(log).startswith(b"HTTP/1.1 200 ")


def test_handing_over_to_h11_and_back() -> None:
    # An unusual request goes to h11 after a plain one, even past the end of
    # the stream; the next plain one is the fast path's again.
    log = run_both([feed(GET + CHUNKED), eof, reply(1), reply(2)])
    assert [type(e).__name__ for e in events_of(log) if not isinstance(e, tuple)] == [
        "Request",
        "EndOfMessage",
        "Request",
        "Data",
        "EndOfMessage",
        "ConnectionClosed",
    ]
    log = run_both([feed(CHUNKED + GET), reply(1), reply(2), feed(CHUNKED + GET), eof])
    assert written(log).count(b"HTTP/1.1 200 OK") == 2


def test_the_fast_path_reads_plain_requests_after_an_unusual_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from wire.http import _h1

    accepted: list[bool] = []

    def spy(*args: object, **kwargs: object) -> object:
        head = parse_request_head(*args, **kwargs)  # type: ignore[arg-type]
        accepted.append(head is not None)
        return head

    monkeypatch.setattr(_h1, "parse_request_head", spy)
    conn = H1Connection(SERVER)
    conn.receive_data(CHUNKED + GET + b"GET /x HTTP/1.1\r\nHost: h\r\n\r\n")
    for stream_id in (1, 2, 3):
        reply(stream_id)(conn, [])
    assert accepted == [False, True, True]
    assert [e.stream_id for e in conn.events() if isinstance(e, Request)] == [1, 2, 3]


def test_the_fast_path_reads_requests_after_empty_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    # RFC 9112 section 2.2: the empty lines are skipped before the strict parser looks.
    from wire.http import _h1

    accepted: list[bool] = []

    def spy(*args: object, **kwargs: object) -> object:
        head = parse_request_head(*args, **kwargs)  # type: ignore[arg-type]
        accepted.append(head is not None)
        return head

    monkeypatch.setattr(_h1, "parse_request_head", spy)
    conn = H1Connection(SERVER)
    conn.receive_data(b"\r\n" + GET + b"\r\n\r\n" + GET)
    for stream_id in (1, 2):
        reply(stream_id)(conn, [])
    assert accepted == [True, True]
    assert [e.stream_id for e in conn.events() if isinstance(e, Request)] == [1, 2]


#: The characters of authorities and their near misses (RFC 3986 section 3.2).
host_values = st.binary(max_size=10) | st.text("aZ09:.[]%vVfF-_~!$&'()*+,;=@/ ", max_size=14).map(
    str.encode
)


@given(host_values)
def test_the_fast_path_takes_only_hosts_the_h11_path_takes(host: bytes) -> None:
    # RFC 9112 section 3.2: both paths refuse an invalid Host with 400, alike.
    data = b"GET / HTTP/1.1\r\nHost: " + host + b"\r\n\r\n"
    assert transcript(data, [], Plan(), fast=True) == transcript(data, [], Plan(), fast=False)
    slow = H1Connection(SERVER, config=H1Config(fast_path=False))
    slow.receive_data(data)
    taken = isinstance(slow.events()[0], Request)
    if parse_request_head(data, 0, **WIDE) is not None:
        assert taken


# ---------------------------------------------------------------------------
# The response writer against h11 itself
# ---------------------------------------------------------------------------


def phrase(status: int) -> bytes:
    try:
        return HTTPStatus(status).phrase.encode()
    except ValueError:
        return b""


@st.composite
def valid_answers(draw: st.DrawFn, method: bytes) -> Answer:
    """A correct answer to ``method``: no content where there is none, trailers if chunked."""
    status = draw(statuses)
    no_content = method == b"HEAD" or status in (204, 304)
    body: tuple[bytes, ...] = ()
    if not no_content:
        body = tuple(draw(st.lists(st.binary(max_size=5), max_size=3)))
    fields = draw(hs.headers(max_size=3))
    trailers = None
    if draw(st.booleans()):
        fields += ((b"content-length", b"%d" % sum(map(len, body))),)
    elif not no_content:
        trailers = draw(st.none() | st.just(((b"x-sum", b"1"), (b"x-n", b"2"))))
    informational = tuple(draw(st.lists(st.sampled_from([100, 102, 103]), max_size=2)))
    return Answer(status, fields, body, trailers, informational)


@given(st.sampled_from([b"GET", b"HEAD", b"POST"]), st.booleans(), st.data())
def test_responses_are_written_as_h11_writes_them(
    method: bytes, close: bool, data: st.DataObject
) -> None:
    how = data.draw(valid_answers(method))
    request = b"%s /r HTTP/1.1\r\nHost: h\r\n%s\r\n" % (
        method,
        b"Connection: close\r\n" if close else b"",
    )
    ours = H1Connection(SERVER)
    ours.receive_data(request)
    ours.events()
    log: list[object] = []
    answer(ours, 1, how, log)
    assert log == []
    written = ours.data_to_send()
    if close:
        assert written.pop() == b""

    oracle = h11.Connection(h11.SERVER)
    oracle.receive_data(request)
    assert type(oracle.next_event()) is h11.Request
    expected = [
        oracle.send(h11.InformationalResponse(status_code=s, headers=[], reason=phrase(s)))
        for s in how.informational
    ]
    fields = list(how.headers)
    expected.append(
        oracle.send(h11.Response(status_code=how.status, headers=fields, reason=phrase(how.status)))
    )
    expected += [oracle.send(h11.Data(data=piece)) for piece in how.body]
    expected.append(oracle.send(h11.EndOfMessage(headers=list(how.trailers or ()))))
    assert written == [piece for piece in expected if piece]
