"""The HTTP/1.1 machine: exchanges, limits, smuggling patterns, errors, timers."""

from __future__ import annotations

import logging

import h11
import pytest

from wire.errors import LocalProtocolError
from wire.http import _h1 as h1_module
from wire.http._errors import H1RemoteError
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
from wire.http._h1 import H1Config, H1Connection
from wire.http._state import ConnectionState, Role

CLIENT, SERVER = Role.CLIENT, Role.SERVER
GET = b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"


def feed(conn: H1Connection, data: bytes) -> tuple[list[Event], bytes]:
    conn.receive_data(data)
    return conn.events(), b"".join(conn.data_to_send())


def out(conn: H1Connection) -> list[bytes]:
    return conn.data_to_send()


def pump(a: H1Connection, b: H1Connection) -> list[Event]:
    for chunk in a.data_to_send():
        if chunk:
            b.receive_data(chunk)
        else:
            b.receive_eof()
    return b.events()


def refused(conn: H1Connection, data: bytes, status: int) -> ConnectionClosed:
    events, written = feed(conn, data)
    assert written.startswith(b"HTTP/1.1 %d " % status), written
    assert b"connection: close" in written.lower()
    assert conn.data_to_send() == []
    assert conn.state is ConnectionState.CLOSED
    final = events[-1]
    assert isinstance(final, ConnectionClosed)
    assert final.error_code == status
    assert isinstance(final.error, H1RemoteError)
    assert final.error.status == status
    return final


def respond(server: H1Connection, stream_id: int = 1, body: bytes = b"ok") -> None:
    server.send(Response(200, ((b"content-length", b"%d" % len(body)),), stream_id))
    server.send(Data(stream_id, body))
    server.send(EndOfMessage(stream_id))


# ---------------------------------------------------------------------------
# Exchanges
# ---------------------------------------------------------------------------


def test_get_round_trip_and_keep_alive() -> None:
    client, server = H1Connection(CLIENT), H1Connection(SERVER)
    assert client.http_version == "1.1" and client.role is CLIENT
    assert client.next_stream_id == 1 and server.next_stream_id is None
    client.send(Request(b"GET", b"/a?b", b"example.com", headers=((b"accept", b"*/*"),)))
    assert client.next_stream_id is None
    assert client.data_to_send() == []  # the head waits to learn about a body
    client.send(EndOfMessage(1))
    events = pump(client, server)
    assert events == [
        Request(b"GET", b"/a?b", b"example.com", b"http", ((b"accept", b"*/*"),), 1),
        EndOfMessage(1),
    ]
    assert server.reading_paused  # a pipelined request would wait
    respond(server)
    assert not server.reading_paused
    assert pump(server, client) == [
        Response(200, ((b"content-length", b"2"),), 1),
        Data(1, b"ok"),
        EndOfMessage(1),
    ]
    assert client.next_stream_id == 2
    client.send(Request(b"GET", b"/", b"example.com", stream_id=2))
    client.send(EndOfMessage(2))
    assert [type(e) for e in pump(client, server)] == [Request, EndOfMessage]
    assert client.pending_send(2) == 0


def test_chunked_request_with_trailers_and_chunked_response() -> None:
    client, server = H1Connection(CLIENT), H1Connection(SERVER, scheme=b"https")
    client.send(Request(b"POST", b"/up", b"h", b"https"))
    client.send(Data(1, b""))  # nothing to write yet, the head still waits
    assert client.data_to_send() == []
    client.send(Data(1, b"abc"))
    client.send(Trailers(1, ((b"x-sum", b"1"),)))
    client.send(EndOfMessage(1))
    raw = b"".join(client.data_to_send())
    assert b"transfer-encoding: chunked" in raw
    server.receive_data(raw)
    events = server.events()
    assert events == [
        Request(b"POST", b"/up", b"h", b"https", (), 1),
        Data(1, b"abc"),
        Trailers(1, ((b"x-sum", b"1"),)),
        EndOfMessage(1),
    ]
    server.acknowledge_data(1, 3)
    server.send(Response(200))
    server.send(Data(1, b"xyz"))
    server.send(Trailers(1, ((b"x-t", b"2"),)))
    server.send(EndOfMessage(1))
    assert pump(server, client) == [
        Response(200),
        Data(1, b"xyz"),
        Trailers(1, ((b"x-t", b"2"),)),
        EndOfMessage(1),
    ]


def test_trailers_alone_make_the_request_chunked() -> None:
    client, server = H1Connection(CLIENT), H1Connection(SERVER)
    client.send(Request(b"POST", b"/", b"h"))
    client.send(Trailers(1, ((b"x-a", b"1"),)))
    client.send(EndOfMessage(1))
    assert pump(client, server)[1] == Trailers(1, ((b"x-a", b"1"),))


def test_trailers_refused_where_http1_cannot_carry_them() -> None:
    client = H1Connection(CLIENT)
    client.send(Request(b"POST", b"/", b"h", headers=((b"content-length", b"1"),)))
    with pytest.raises(LocalProtocolError, match="content-length"):
        client.send(Trailers(1, ((b"x", b"1"),)))
    server = H1Connection(SERVER)
    feed(server, b"HEAD / HTTP/1.1\r\nHost: h\r\n\r\n")
    server.send(Response(200))
    with pytest.raises(LocalProtocolError, match="cannot carry trailers"):
        server.send(Trailers(1, ((b"x", b"1"),)))
    old = H1Connection(SERVER)
    feed(old, b"GET / HTTP/1.0\r\n\r\n")
    old.send(Response(200))
    with pytest.raises(LocalProtocolError, match="cannot carry trailers"):
        old.send(Trailers(1, ((b"x", b"1"),)))


def test_responses_without_content() -> None:
    server = H1Connection(SERVER)
    feed(server, b"HEAD / HTTP/1.1\r\nHost: h\r\n\r\n")
    server.send(Response(200, ((b"content-length", b"10"),)))
    with pytest.raises(LocalProtocolError, match="has no content"):
        server.send(Data(1, b"x"))
    server.send(Data(1, b""))
    server.send(EndOfMessage(1))  # the declared length is the would-be body's
    feed(server, GET)
    server.send(Response(204, stream_id=2))
    with pytest.raises(LocalProtocolError):
        server.send(Data(2, b"x"))


def test_content_length_is_enforced_on_send() -> None:
    server = H1Connection(SERVER)
    feed(server, GET)
    server.send(Response(200, ((b"content-length", b"3"),)))
    with pytest.raises(LocalProtocolError, match="more data"):
        server.send(Data(1, b"abcd"))
    server.send(Data(1, b"ab"))
    with pytest.raises(LocalProtocolError, match="2 octets sent"):
        server.send(EndOfMessage(1))
    server.send(Data(1, b"c"))
    server.send(EndOfMessage(1))
    assert server.state is ConnectionState.OPEN


def test_pipelined_requests_are_answered_in_order() -> None:
    server = H1Connection(SERVER)
    events, _ = feed(server, GET + b"GET /2 HTTP/1.1\r\nHost: h\r\n\r\n")
    assert [type(e) for e in events] == [Request, EndOfMessage]
    assert server.reading_paused
    respond(server)
    second = server.events()
    assert [type(e) for e in second] == [Request, EndOfMessage]
    assert second[0].stream_id == 2 and second[0].target == b"/2"
    with pytest.raises(LocalProtocolError, match="complete"):
        server.send(Data(1, b"late"))
    respond(server, 2)
    assert b"HTTP/1.1 200" in b"".join(server.data_to_send())


def test_expect_100_continue() -> None:
    client, server = H1Connection(CLIENT), H1Connection(SERVER)
    client.send(Request(b"PUT", b"/f", b"h", headers=((b"expect", b"100-continue"),)))
    assert [type(e) for e in pump(client, server)] == [Request]
    server.send(InformationalResponse(100))
    assert pump(server, client) == [InformationalResponse(100)]
    client.send(Data(1, b"body"))
    client.send(EndOfMessage(1))
    assert pump(client, server) == [Data(1, b"body"), EndOfMessage(1)]


def test_http10_client() -> None:
    server = H1Connection(SERVER)
    events, _ = feed(server, b"GET / HTTP/1.0\r\n\r\n")
    assert events[0] == Request(b"GET", b"/", b"", b"http", (), 1)
    server.send(InformationalResponse(103))  # dropped: no 1xx for HTTP/1.0
    assert server.data_to_send() == []
    server.send(Response(200))
    server.send(Data(1, b"body"))
    server.send(EndOfMessage(1))
    raw = server.data_to_send()
    assert raw[-1] == b""  # close-delimited
    assert server.events() == [ConnectionClosed(last_stream_id=1)]


def test_absolute_form_target_overrides_host() -> None:
    server = H1Connection(SERVER)
    events, _ = feed(server, b"GET HTTPS://other.example:8443?q=1 HTTP/1.1\r\nHost: h\r\n\r\n")
    assert events[0] == Request(b"GET", b"/?q=1", b"other.example:8443", b"https", (), 1)
    server2 = H1Connection(SERVER)
    events, _ = feed(server2, b"OPTIONS http://a.example/x/y HTTP/1.1\r\nHost: h\r\n\r\n")
    assert events[0].target == b"/x/y"
    server3 = H1Connection(SERVER)
    events, _ = feed(server3, b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n")
    assert events[0].target == b"*"


def test_hop_by_hop_fields_are_not_events() -> None:
    server = H1Connection(SERVER)
    events, _ = feed(
        server,
        b"GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\nKeep-Alive: 5\r\n"
        b"TE: gzip\r\nX-A: 1\r\nTE: trailers\r\n\r\n",
    )
    assert events[0].headers == ((b"x-a", b"1"), (b"te", b"trailers"))


# ---------------------------------------------------------------------------
# Protocol switches
# ---------------------------------------------------------------------------


def test_upgrade_to_a_tunnel_both_ways() -> None:
    client, server = H1Connection(CLIENT), H1Connection(SERVER)
    client.send(Request(b"GET", b"/ws", b"h", protocol=b"websocket"))
    with pytest.raises(LocalProtocolError, match="after the ProtocolSwitch"):
        client.send(Data(1, b"early"))
    assert pump(client, server) == [
        Request(b"GET", b"/ws", b"h", protocol=b"websocket"),
        EndOfMessage(1),
    ]
    with pytest.raises(LocalProtocolError, match="asked for"):
        server.send(ProtocolSwitch(1, b"other"))
    server.send(ProtocolSwitch(1, b"websocket", ((b"sec-websocket-accept", b"x"),)))
    raw = b"".join(server.data_to_send())
    assert raw.startswith(b"HTTP/1.1 101 ")
    client.receive_data(raw + b"server bytes")
    assert client.events() == [
        ProtocolSwitch(1, b"websocket", ((b"sec-websocket-accept", b"x"),)),
        Data(1, b"server bytes"),
    ]
    client.send(Data(1, b"client bytes"))
    client.send(Data(1, b""))
    assert pump(client, server) == [Data(1, b"client bytes")]
    assert not server.reading_paused
    server.send(EndOfMessage(1))
    assert server.data_to_send() == [b""]
    client.receive_eof()
    assert client.events() == [EndOfMessage(1)]
    client.send(EndOfMessage(1))
    assert client.data_to_send() == [b""]
    assert client.events() == [ConnectionClosed(last_stream_id=1)]
    server.receive_eof()
    assert server.events() == [EndOfMessage(1), ConnectionClosed(last_stream_id=1)]
    server.receive_eof()
    assert server.events() == []


def test_bytes_behind_an_upgrade_request_become_tunnel_data() -> None:
    server = H1Connection(SERVER)
    feed(server, b"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\nearly")
    server.send(ProtocolSwitch(1, b"foo"))
    assert server.events() == [Data(1, b"early")]
    server.receive_eof()
    assert server.events() == [EndOfMessage(1)]
    server.send(StreamReset(1))
    assert server.events() == [ConnectionClosed(last_stream_id=1, message="exchange reset")]


def test_upgrade_needs_the_whole_request_first() -> None:
    server = H1Connection(SERVER)
    feed(
        server,
        b"POST / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: foo\r\n"
        b"Content-Length: 5\r\n\r\nab",
    )
    with pytest.raises(LocalProtocolError, match="whole request"):
        server.send(ProtocolSwitch(1, b"foo"))


def test_upgrade_declined_and_upgrade_without_connection_header() -> None:
    client, server = H1Connection(CLIENT), H1Connection(SERVER)
    client.send(Request(b"GET", b"/", b"h", protocol=b"websocket"))
    pump(client, server)
    server.send(Response(426, ((b"content-length", b"0"),)))
    server.send(EndOfMessage(1))
    assert [type(e) for e in pump(server, client)] == [Response, EndOfMessage]
    client.send(EndOfMessage(1))  # the request was complete on the wire already
    assert client.data_to_send() == []
    assert client.next_stream_id == 2
    plain = H1Connection(SERVER)
    events, _ = feed(plain, b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n")
    assert events[0].protocol is None
    with pytest.raises(LocalProtocolError, match="no protocol switch"):
        plain.send(ProtocolSwitch(1, None))


def test_connect_tunnel() -> None:
    client, server = H1Connection(CLIENT), H1Connection(SERVER)
    client.send(Request(b"CONNECT", b"db.example:5432", b"db.example:5432"))
    events = pump(client, server)
    assert events[0] == Request(b"CONNECT", b"db.example:5432", b"db.example:5432")
    with pytest.raises(LocalProtocolError, match="ProtocolSwitch"):
        server.send(Response(200))
    server.send(ProtocolSwitch(1, None))
    assert pump(server, client) == [ProtocolSwitch(1, None)]
    client.send(Data(1, b"\x00\x01"))
    assert pump(client, server) == [Data(1, b"\x00\x01")]


def test_connect_refused() -> None:
    client, server = H1Connection(CLIENT), H1Connection(SERVER)
    client.send(Request(b"CONNECT", b"a:1", b"a:1"))
    pump(client, server)
    server.send(Response(403, ((b"content-length", b"0"),)))
    server.send(EndOfMessage(1))
    assert [type(e) for e in pump(server, client)] == [Response, EndOfMessage]


def test_h2c_settings_are_kept_for_the_factory() -> None:
    server = H1Connection(SERVER)
    feed(
        server,
        b"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\n"
        b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n",
    )
    assert server.h2c_settings == b"AAMAAABkAAQAAP__"
    client = H1Connection(CLIENT)
    with pytest.raises(LocalProtocolError, match="plain request"):
        client.send_h2c_upgrade(Request(b"GET", b"/", b"h", protocol=b"x"), b"AA")
    client.send_h2c_upgrade(Request(b"POST", b"/", b"h"), b"AAAA")
    client.send(Data(1, b"x"))
    raw = b"".join(client.data_to_send())
    assert b"upgrade: h2c" in raw and b"http2-settings: AAAA" in raw
    assert b"transfer-encoding: chunked" in raw


# ---------------------------------------------------------------------------
# Limits (RFC 9112 section 3, 431, 414, 413)
# ---------------------------------------------------------------------------


def test_request_line_too_long() -> None:
    server = H1Connection(SERVER, config=H1Config(max_request_line=64))
    refused(server, b"GET /" + b"a" * 100, 414)


def test_head_too_large_incomplete_and_complete() -> None:
    config = H1Config(max_head_size=128)
    refused(H1Connection(SERVER, config=config), b"GET / HTTP/1.1\r\nX: " + b"a" * 200, 431)
    big = b"GET / HTTP/1.1\r\nHost: h\r\nX: " + b"a" * 150 + b"\r\n\r\n"
    refused(H1Connection(SERVER, config=config), big, 431)


def test_too_many_header_fields() -> None:
    config = H1Config(max_header_count=3)
    head = b"GET / HTTP/1.1\r\nHost: h\r\nX-1: v\r\nX-2: v\r\n"
    events, _ = feed(H1Connection(SERVER, config=config), head + b"\r\n")
    assert isinstance(events[0], Request)
    refused(H1Connection(SERVER, config=config), head + b"X-3: v\r\n\r\n", 431)


def test_too_many_trailer_fields() -> None:
    server = H1Connection(SERVER, config=H1Config(max_header_count=2))
    head = b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
    refused(server, head + b"0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 431)


def test_body_too_large_declared_and_streamed() -> None:
    config = H1Config(max_body_size=4)
    refused(
        H1Connection(SERVER, config=config),
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n",
        413,
    )
    server = H1Connection(SERVER, config=config)
    events, _ = feed(
        server, b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"
    )
    assert events[1] == Data(1, b"abc")
    refused(server, b"2\r\nde\r\n", 413)
    unlimited = H1Connection(SERVER, config=H1Config(max_body_size=None))
    events, _ = feed(unlimited, b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9\r\n\r\n123456789")
    assert events[1] == Data(1, b"123456789")


def test_client_refuses_a_response_body_over_the_limit() -> None:
    client = H1Connection(CLIENT, config=H1Config(max_body_size=2))
    client.send(Request(b"GET", b"/", b"h"))
    client.send(EndOfMessage(1))
    client.data_to_send()
    events, written = feed(client, b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc")
    assert written == b""
    assert client.data_to_send() == []
    assert isinstance(events[-1], ConnectionClosed)
    assert events[-1].error_code is None and events[-1].error.status == 502


def test_reading_pace() -> None:
    server = H1Connection(SERVER, config=H1Config(read_window=4))
    feed(server, b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\nabc")
    assert not server.reading_paused
    feed(server, b"def")
    assert server.reading_paused
    with pytest.raises(LocalProtocolError, match="7 octets acknowledged"):
        server.acknowledge_data(1, 7)
    with pytest.raises(LocalProtocolError, match="size"):
        server.acknowledge_data(1, -1)
    server.acknowledge_data(1, 2)
    assert server.reading_paused
    server.acknowledge_data(1, 4)
    server.acknowledge_data(1, 0)
    assert server.reading_paused  # the whole request is in: the response is due
    respond(server)
    assert not server.reading_paused


# ---------------------------------------------------------------------------
# Smuggling patterns (RFC 9112 sections 2.2, 5.2, 6.1, 6.3) and other errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n",
            400,
        ),
        (b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n  folded\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: h\r\n X-A: 1\r\n\r\n", 400),
        (b"GET / HTTP/1.1\nHost: h\n\n", 400),
        (b"GET / HTTP/1.1\r\nHost: h\nX: 1\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: h\rX: 1\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 2\r\n\r\n", 400),
        # RFC 9112 section 6.1: a coding we do not implement before a final
        # chunked is "not understood": 501 (SHOULD).
        (b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n",
            501,
        ),
        # RFC 9112 section 6.3 rule 4: chunked not the final coding of a request
        # MUST get 400 (the length cannot be determined), whatever the codings.
        (b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nHost: h\r\ntransfer-encoding: CHUNKED;x=1, Gzip\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: ,\r\n\r\n", 400),
        (b"POST / HTTP/1.0\r\nTransfer-Encoding: gzip\r\nContent-Length: 1\r\n\r\n", 400),
        # RFC 9112 section 7: chunked applied more than once (one field or two)
        # is a malformed message, not an unknown coding: 400.
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n",
            400,
        ),
        (b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, Chunked\r\n\r\n", 400),
        (b"GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505),
        (b"GET / HTTP/0.9\r\nHost: h\r\n\r\n", 505),
        (b"GET / HTTP/1.1\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        (b"GET relative HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: h h\r\n\r\n", 400),
        # RFC 9112 section 3.2: an invalid Host value MUST get 400 (RFC 3986
        # section 3.2.3: port = *DIGIT), even beside an absolute-form target.
        (b"GET / HTTP/1.1\r\nHost: a:b\r\n\r\n", 400),
        (b"GET http://a.example/ HTTP/1.1\r\nHost: a:b\r\n\r\n", 400),
        (b"GET http://a.example:x/ HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        (b"CONNECT a.example:443:1 HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: h\r\nX: \x01\r\n\r\n", 400),
        (
            b"\r\n" * (h1_module._MAX_LEADING_EMPTY_LINES + 1)
            + b"GET / HTTP/1.1\r\nHost: h\r\n\r\n",
            400,
        ),
        (b"\r\n\r\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        (b"GARBAGE\r\n\r\n", 400),
    ],
    ids=[
        "cl-and-te",
        "te-in-http10",
        "obs-fold",
        "leading-whitespace-line",
        "bare-lf",
        "bare-lf-in-one-line",
        "bare-cr",
        "two-content-lengths",
        "content-length-list",
        "gzip-then-chunked",
        "gzip-then-chunked-in-two-fields",
        "chunked-then-gzip",
        "xchunked",
        "identity",
        "chunked-with-parameter-then-gzip",
        "te-empty",
        "te-empty-elements",
        "te-gzip-and-content-length-in-http10",
        "te-twice",
        "chunked-twice-in-one-field",
        "http2-version",
        "http09-version",
        "no-host",
        "two-hosts",
        "relative-target",
        "bad-authority",
        "host-port-not-digits",
        "host-invalid-beside-absolute-form",
        "absolute-form-port-not-digits",
        "connect-authority-invalid",
        "control-char",
        "too-many-leading-empty-lines",
        "leading-cr-without-lf",
        "garbage",
    ],
)
def test_refused_requests(raw: bytes, status: int) -> None:
    refused(H1Connection(SERVER), raw, status)


def test_chunked_body_errors_refused() -> None:
    server = H1Connection(SERVER)
    head = b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
    refused(server, head + b"5\r\nhelloXX0\r\n\r\n", 400)


def test_error_after_the_response_started_just_closes() -> None:
    server = H1Connection(SERVER)
    feed(server, b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")
    server.send(Response(200))
    server.data_to_send()
    events, written = feed(server, b"zz\r\n")
    assert written == b""
    assert server.data_to_send() == []
    assert events[-1].error_code is None and isinstance(events[-1].error, H1RemoteError)


def test_peer_closing_mid_request() -> None:
    server = H1Connection(SERVER)
    feed(server, b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nab")
    server.receive_eof()
    final = server.events()[-1]
    assert isinstance(final, ConnectionClosed) and isinstance(final.error, H1RemoteError)


def test_peer_closing_between_requests() -> None:
    server = H1Connection(SERVER)
    server.receive_eof()
    assert server.events() == [ConnectionClosed(last_stream_id=0)]
    assert server.data_to_send() == [b""]
    server.receive_data(GET)
    assert server.events() == []


def test_client_errors() -> None:
    client = H1Connection(CLIENT)
    client.send(Request(b"GET", b"/", b"h"))
    client.send(EndOfMessage(1))
    client.data_to_send()
    events, _ = feed(client, b"HTTP/1.1 999 Odd\r\nContent-Length: 0\r\n\r\n")
    assert events[-1].error.status == 502
    client = H1Connection(CLIENT)
    client.send(Request(b"GET", b"/", b"h"))
    client.send(EndOfMessage(1))
    client.data_to_send()
    events, _ = feed(client, b"HTTP/1.1 101 Switching\r\nUpgrade: x\r\n\r\n")
    assert isinstance(events[-1].error, H1RemoteError)
    client = H1Connection(CLIENT)
    client.send(Request(b"GET", b"/", b"h"))
    client.send(EndOfMessage(1))
    client.data_to_send()
    events, _ = feed(client, b"HTTP/1.1 100 Continue\r\nX: \x01\r\n\r\n")
    assert isinstance(events[-1].error, H1RemoteError)


def test_client_informational_and_bad_trailers() -> None:
    client = H1Connection(CLIENT)
    client.send(Request(b"GET", b"/", b"h"))
    client.send(EndOfMessage(1))
    client.data_to_send()
    events, _ = feed(client, b"HTTP/1.1 103 Early Hints\r\nLink: </s>\r\n\r\n")
    assert events == [InformationalResponse(103, ((b"link", b"</s>"),))]
    events, _ = feed(
        client,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nContent-Length: 1\r\n\r\n",
    )
    assert isinstance(events[-1], ConnectionClosed)
    assert "trailers" in events[-1].message


def test_server_announcing_close_is_a_goaway() -> None:
    client = H1Connection(CLIENT)
    client.send(Request(b"GET", b"/", b"h"))
    client.send(EndOfMessage(1))
    client.data_to_send()
    client.receive_data(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx")
    assert client.events() == [
        Response(200, ((b"content-length", b"1"),)),
        GoAway(last_stream_id=1),
        Data(1, b"x"),
        EndOfMessage(1),
        ConnectionClosed(last_stream_id=1),
    ]
    assert client.data_to_send() == [b""]
    assert client.next_stream_id is None


def test_internal_error_becomes_500(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    slow = H1Config(fast_path=False)
    server = H1Connection(SERVER, config=slow)

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(h11.Connection, "next_event", boom)
    with caplog.at_level(logging.ERROR):
        refused(server, GET, 500)
        other = H1Connection(SERVER, config=slow)
        other.receive_eof()
        assert other.events()[-1].error_code == 500
    assert "unexpected internal error" in caplog.text


def test_internal_error_on_the_fast_path_becomes_500(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(h1_module, "parse_request_head", boom)
    with caplog.at_level(logging.ERROR):
        refused(H1Connection(SERVER), GET, 500)
    assert "unexpected internal error" in caplog.text


# ---------------------------------------------------------------------------
# Closing, GoAway, timers
# ---------------------------------------------------------------------------


def test_goaway_when_idle_closes_now() -> None:
    server = H1Connection(SERVER)
    server.send(GoAway())
    assert server.data_to_send() == [b""]
    assert server.events() == [ConnectionClosed(last_stream_id=0)]
    server.send(GoAway())
    server.send(ConnectionClosed())
    assert server.data_to_send() == []


def test_goaway_mid_exchange_closes_after_the_response() -> None:
    server = H1Connection(SERVER, now=100.0)
    feed(server, GET)
    server.send(GoAway())
    assert server.state is ConnectionState.DRAINING
    assert server.next_deadline() == 130.0
    respond(server)
    raw = server.data_to_send()
    assert b"connection: close" in raw[0]
    assert raw[-1] == b""
    assert server.events() == [ConnectionClosed(last_stream_id=1)]


def test_drain_timeout() -> None:
    server = H1Connection(SERVER)
    feed(server, GET)
    server.send(GoAway())
    server.tick(10.0)
    assert server.events() == []
    server.tick(30.0)
    assert server.events() == [ConnectionClosed(last_stream_id=1, message="drain timeout")]
    assert server.data_to_send() == [b""]
    assert server.next_deadline() is None
    server.tick(99.0)


def test_idle_timeout_and_slow_head() -> None:
    server = H1Connection(SERVER, config=H1Config(idle_timeout=5.0))
    assert server.next_deadline() == 5.0
    server.tick(4.0)
    server.tick(5.0)
    assert server.events() == [ConnectionClosed(last_stream_id=0, message="idle timeout")]
    slow = H1Connection(SERVER, config=H1Config(idle_timeout=5.0))
    feed(slow, b"GET / HT")
    slow.tick(5.0)
    assert slow.events()[-1].error_code == 408
    assert b"408" in slow.data_to_send()[0]
    active = H1Connection(SERVER, config=H1Config(idle_timeout=5.0))
    feed(active, GET)
    assert active.next_deadline() is None
    active.tick(1.0)
    respond(active)
    assert active.next_deadline() == 6.0
    assert H1Connection(CLIENT).next_deadline() is None
    assert H1Connection(SERVER, config=H1Config(idle_timeout=None)).next_deadline() is None


def test_client_goaway_and_close() -> None:
    client = H1Connection(CLIENT)
    client.send(Request(b"GET", b"/", b"h"))
    client.send(EndOfMessage(1))
    client.send(GoAway())
    client.data_to_send()
    client.receive_data(b"HTTP/1.1 204 No Content\r\n\r\n")
    assert client.data_to_send() == [b""]
    assert client.state is ConnectionState.CLOSED
    with pytest.raises(LocalProtocolError, match="no new request"):
        client.send(Request(b"GET", b"/", b"h", stream_id=2))


def test_stream_reset_closes_the_connection_and_late_sends_are_ignored() -> None:
    server = H1Connection(SERVER)
    feed(server, GET)
    server.send(StreamReset(1))
    assert server.data_to_send() == [b""]
    assert server.events() == [ConnectionClosed(last_stream_id=1, message="exchange reset")]
    server.send(Response(200))  # the exchange is gone: ignored
    server.send(StreamReset(1))
    assert server.data_to_send() == []
    with pytest.raises(LocalProtocolError, match="no exchange 2"):
        server.send(Data(2, b"x"))


def test_application_close() -> None:
    client = H1Connection(CLIENT)
    client.send(ConnectionClosed())
    assert client.data_to_send() == [b""]
    assert client.events() == []


def test_misuse_changes_nothing() -> None:
    server = H1Connection(SERVER)
    with pytest.raises(LocalProtocolError, match="does not send Request"):
        server.send(Request(b"GET", b"/", b"h"))
    with pytest.raises(LocalProtocolError, match="no exchange 1"):
        server.send(Response(200))
    feed(server, GET)
    with pytest.raises(LocalProtocolError, match="not allowed"):
        server.send(Data(1, b"x"))
    assert server.data_to_send() == []
    respond(server)
    client = H1Connection(CLIENT)
    with pytest.raises(LocalProtocolError, match="next request is stream 1"):
        client.send(Request(b"GET", b"/", b"h", stream_id=3))
    client.send(Request(b"GET", b"/", b"h"))
    with pytest.raises(LocalProtocolError, match="a client does not send"):
        client.send(Response(200))
    assert client.data_to_send() == []


def test_state_after_a_stream_reset_on_a_complete_exchange() -> None:
    client, server = H1Connection(CLIENT), H1Connection(SERVER)
    client.send(Request(b"GET", b"/", b"h"))
    client.send(EndOfMessage(1))
    pump(client, server)
    respond(server)
    pump(server, client)
    client.send(StreamReset(1))  # complete: nothing to reset
    assert client.data_to_send() == []
    with pytest.raises(LocalProtocolError, match="complete"):
        client.send(Data(1, b"x"))


def test_config_and_constructor_validation() -> None:
    with pytest.raises(LocalProtocolError, match="role"):
        H1Connection("server")  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError, match="H1Config"):
        H1Connection(SERVER, config=object())  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError, match="scheme"):
        H1Connection(SERVER, scheme=b"ftp")
    with pytest.raises(LocalProtocolError, match="max_head_size"):
        H1Config(max_head_size=0)
    with pytest.raises(LocalProtocolError, match="max_body_size"):
        H1Config(max_body_size=-1)
    with pytest.raises(LocalProtocolError, match="idle_timeout"):
        H1Config(idle_timeout=0)
    with pytest.raises(LocalProtocolError, match="drain_timeout"):
        H1Config(drain_timeout="1")  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError, match="fast_path"):
        H1Config(fast_path=1)  # type: ignore[arg-type]


def test_tunnel_after_the_peer_ended_its_side() -> None:
    server = H1Connection(SERVER)
    feed(server, b"GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: foo\r\n\r\n")
    server.send(ProtocolSwitch(1, b"foo"))
    server.data_to_send()
    server.receive_eof()
    server.receive_eof()  # the peer's side is already over
    server.receive_data(b"after the end")  # nothing can come after the end: ignored
    assert server.events() == [EndOfMessage(1)]
    server.send(Data(1, b"still ours"))
    assert server.data_to_send() == [b"still ours"]


def test_goaway_twice_mid_exchange() -> None:
    server = H1Connection(SERVER)
    feed(server, GET)
    server.send(GoAway())
    server.tick(5.0)
    server.send(GoAway())
    assert server.next_deadline() == 35.0
    assert server.state is ConnectionState.DRAINING


def test_body_limit_reached_exactly_then_crossed() -> None:
    server = H1Connection(SERVER, config=H1Config(max_body_size=4))
    events, _ = feed(
        server, b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n"
    )
    assert events[-1] == Data(1, b"abcd")
    final = refused(server, b"1\r\ne\r\n", 413)
    assert final.message == "body too large"


def test_body_limit_crossed_within_one_read_delivers_up_to_it() -> None:
    server = H1Connection(SERVER, config=H1Config(max_body_size=4))
    server.receive_data(
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n"
    )
    _, data, closed = server.events()
    assert data == Data(1, b"abcd")
    assert isinstance(closed, ConnectionClosed) and closed.error_code == 413


def test_unregistered_statuses_have_no_reason_phrase() -> None:
    server = H1Connection(SERVER)
    feed(server, GET)
    server.send(Response(599, ((b"content-length", b"0"),)))
    server.send(EndOfMessage(1))
    assert server.data_to_send()[0].startswith(b"HTTP/1.1 599 \r\n")


# ---------------------------------------------------------------------------
# RFC 9112 rules h11 leaves to us: closing requests, empty lines, Host, 101
# ---------------------------------------------------------------------------

BOTH = [pytest.param(True, id="fast-path"), pytest.param(False, id="h11-path")]


@pytest.mark.parametrize("fast", BOTH)
@pytest.mark.parametrize(
    "first",
    [
        b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Close\r\n\r\n",
        b"GET /hello HTTP/1.0\r\n\r\n",
        b"POST /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n",
    ],
    ids=["close", "close-in-a-list", "http10", "chunked-close"],
)
def test_a_request_that_closes_is_answered_and_what_follows_discarded(
    fast: bool, first: bytes
) -> None:
    """RFC 9112 section 9.6: after "close" the server MUST NOT process further
    requests, and closes after its response; the request itself is answered."""
    server = H1Connection(SERVER, config=H1Config(fast_path=fast))
    events, written = feed(server, first + b"GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
    assert [type(e) for e in events if not isinstance(e, Data)] == [Request, EndOfMessage]
    assert events[0].target == b"/hello" and written == b""
    # More bytes, even a flood, are dropped unread: nothing grows, nothing answers.
    for _ in range(3):
        assert feed(server, b"GET /y HTTP/1.1\r\nHost: x\r\n\r\n" * 1000) == ([], b"")
    respond(server)
    answer = server.data_to_send()
    assert answer[0].startswith(b"HTTP/1.1 200 OK\r\n") and answer[-1] == b""
    assert b"/x" not in b"".join(answer) and b"Connection: close" in answer[0]
    assert server.events() == [ConnectionClosed(last_stream_id=1)]


def test_the_reported_case_through_the_connection_factory() -> None:
    from wire.http._connection import HTTPConnection

    conn = HTTPConnection(SERVER)
    conn.receive_data(
        b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        b"GET /x HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    assert conn.events() == [Request(b"GET", b"/hello", b"x"), EndOfMessage(1)]
    assert conn.data_to_send() == []


@pytest.mark.parametrize("fast", BOTH)
def test_empty_lines_before_a_request_line_are_ignored(fast: bool) -> None:
    """RFC 9112 section 2.2: a server SHOULD ignore at least one CRLF before a
    request line. Up to the bound before each request; whole or byte by byte."""
    bound = h1_module._MAX_LEADING_EMPTY_LINES
    post = b"POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nab"
    data = b"\r\n" + GET + b"\r\n" * bound + post + b"\r\n" + b"GET /3 HTTP/1.1\r\nHost: h\r\n\r\n"
    for pieces in ([data], [data[i : i + 1] for i in range(len(data))]):
        server = H1Connection(SERVER, config=H1Config(fast_path=fast))
        for piece in pieces:
            server.receive_data(piece)
        targets = []
        for stream_id in (1, 2, 3):
            events = server.events()
            targets += [e.target for e in events if isinstance(e, Request)]
            assert isinstance(events[-1], EndOfMessage)
            respond(server, stream_id)
        assert targets == [b"/", b"/p", b"/3"]
        assert server.data_to_send()[0].startswith(b"HTTP/1.1 200 ")


@pytest.mark.parametrize("fast", BOTH)
def test_a_cr_that_may_start_an_empty_line_waits(fast: bool) -> None:
    config = H1Config(fast_path=fast, idle_timeout=5.0)
    server = H1Connection(SERVER, config=config)
    assert feed(server, b"\r") == ([], b"")
    events, _ = feed(server, b"\n\r\n\r")
    assert events == []
    events, _ = feed(server, b"\n" + GET)
    assert events == [Request(b"GET", b"/", b"example.com"), EndOfMessage(1)]
    # Not followed by its LF: the end of the stream, or the head timer, refuse it.
    server = H1Connection(SERVER, config=config)
    feed(server, b"\r\n\r")
    server.receive_eof()
    assert server.events()[-1].error_code == 400
    assert server.data_to_send()[0].startswith(b"HTTP/1.1 400 ")
    server = H1Connection(SERVER, config=config)
    feed(server, b"\r")
    server.tick(5.0)
    assert server.events()[-1].error_code == 408
    # Empty lines and then the end: a connection that sent no request.
    server = H1Connection(SERVER, config=config)
    feed(server, b"\r\n\r\n")
    server.receive_eof()
    assert server.events() == [ConnectionClosed(last_stream_id=0)]
    assert server.data_to_send() == [b""]


def test_empty_lines_behind_a_pipelined_request_after_the_end_of_the_stream() -> None:
    # h11 alone holds the next request's bytes, and the end, until the response;
    # then the request is read, and the end right behind it closes (as h11 does).
    server = H1Connection(SERVER, config=H1Config(fast_path=False))
    feed(server, GET + b"\r\n\r\n" + GET)
    server.receive_eof()
    respond(server)
    assert server.events() == [
        Request(b"GET", b"/", b"example.com", stream_id=2),
        EndOfMessage(2),
        ConnectionClosed(last_stream_id=2),
    ]


#: RFC 9112 section 3.2 and RFC 3986 section 3.2.2/3.2.3: host [":" port].
VALID_HOSTS = [
    b"",  # RFC 9112 section 3.2: sent when the target URI has no authority
    b"example.com",
    b"a.example:8080",
    b"h:",  # port = *DIGIT
    b":80",  # reg-name = *( ... )
    b"127.0.0.1",
    b"999.1.1.1",  # not an IPv4address, but a reg-name
    b"[::1]",
    b"[::1]:8443",
    b"[2001:DB8::1]:80",
    b"[::ffff:192.0.2.1]",
    b"[v1.fe80::a+en1]",
    b"%41%2fb",
    b"_-.~!$&'()*+,;=",
    b"xn--bcher-kva.example",
]
INVALID_HOSTS = [
    b"a:b",
    b"a:1:2",
    b"a:-1",
    b"a b",
    b"user@h",
    b"h/x",
    b"h?x",
    b"h#x",
    b"caf\xe9",
    b"a%2",
    b"a%zz",
    b"::1",
    b"[::1",
    b"::1]",
    b"[::1]x",
    b"[::1]:8a",
    b"[]",
    b"[zz]",
    b"[1.2.3.4]",
    b"[1::2::3]",
    b"[::ffff:01.2.3.4]",
    b"[fe80::1%eth0]",
    b"[fe80::1%25eth0]",
    b"[v1]",
    b"[v.x]",
    b"[vz.x]",
    b"[v1.x/y]",
]


@pytest.mark.parametrize("host", VALID_HOSTS)
def test_valid_hosts_are_taken_on_both_paths(host: bytes) -> None:
    assert h1_module.host_is_valid(host)
    for fast in (True, False):
        server = H1Connection(SERVER, config=H1Config(fast_path=fast))
        events, _ = feed(server, b"GET / HTTP/1.1\r\nHost: %s\r\n\r\n" % host)
        assert events == [Request(b"GET", b"/", host), EndOfMessage(1)]


@pytest.mark.parametrize("host", INVALID_HOSTS)
def test_invalid_hosts_get_400_on_both_paths(host: bytes) -> None:
    """RFC 9112 section 3.2: a Host with an invalid field value MUST get 400."""
    assert not h1_module.host_is_valid(host)
    for fast in (True, False):
        server = H1Connection(SERVER, config=H1Config(fast_path=fast))
        final = refused(server, b"GET / HTTP/1.1\r\nHost: %s\r\n\r\n" % host, 400)
        assert final.message == "invalid Host"


def test_authorities_in_the_target_have_the_grammar_of_host() -> None:
    server = H1Connection(SERVER)
    events, _ = feed(server, b"CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n")
    assert events[0] == Request(b"CONNECT", b"[::1]:443", b"[::1]:443")
    final = refused(
        H1Connection(SERVER), b"GET http://u@a.example/ HTTP/1.1\r\nHost: h\r\n\r\n", 400
    )
    assert final.message == "invalid authority in the request target"


def upgrading(protocol: bytes = b"websocket") -> H1Connection:
    client = H1Connection(CLIENT)
    client.send(Request(b"GET", b"/chat", b"h", protocol=protocol))
    assert b"connection: upgrade\r\nupgrade: %s\r\n" % protocol in b"".join(client.data_to_send())
    return client


@pytest.mark.parametrize(
    "fields",
    [
        b"Connection: Upgrade\r\nUpgrade: WebSocket\r\n",
        b"Upgrade: websocket\r\nConnection: keep-alive, upgrade\r\n",
        b"Connection: x-other\r\nConnection: UPGRADE\r\nUpgrade: websocket, other/2\r\n",
    ],
    ids=["case-insensitive", "listed", "split-and-layered"],
)
def test_a_101_that_names_our_protocol_switches(fields: bytes) -> None:
    client = upgrading()
    events, _ = feed(client, b"HTTP/1.1 101 Switching Protocols\r\n%s\r\nframes" % fields)
    assert [type(e) for e in events] == [ProtocolSwitch, Data]
    assert events[0].protocol == b"websocket" and events[1].data == b"frames"


@pytest.mark.parametrize(
    "fields",
    [
        b"Upgrade: websocket\r\n",
        b"Connection: close\r\nUpgrade: websocket\r\n",
        b"Connection: upgrades\r\nUpgrade: websocket\r\n",
        b"Connection: upgrade\r\n",
        b"Connection: upgrade\r\nUpgrade: \r\n",
        b"Connection: upgrade\r\nUpgrade: h2c\r\n",
        b"Connection: upgrade\r\nUpgrade: other, websocket\r\n",
        b"Connection: upgrade\r\nUpgrade: websocket/13\r\n",
    ],
    ids=[
        "no-connection",
        "connection-close",
        "connection-other-token",
        "no-upgrade",
        "empty-upgrade",
        "other-protocol",
        "ours-not-first",
        "ours-with-a-version",
    ],
)
def test_a_101_that_does_not_name_our_protocol_fails(fields: bytes) -> None:
    """RFC 9110 section 7.8 and RFC 6455 section 4.1: Upgrade names the protocol,
    Connection has "upgrade"; otherwise the client MUST fail the connection."""
    client = upgrading()
    events, written = feed(client, b"HTTP/1.1 101 Switching Protocols\r\n%s\r\nframes" % fields)
    [closed] = events
    assert isinstance(closed, ConnectionClosed) and closed.error_code is None
    assert isinstance(closed.error, H1RemoteError)
    assert (closed.message, closed.error.status) == ("invalid 101 response", 502)
    assert written == b"" and client.state is ConnectionState.CLOSED


def test_h2c_switch_checks_the_101_too() -> None:
    from wire.http._connection import HTTPConnection

    for fields, switched in (
        (b"Connection: Upgrade\r\nUpgrade: h2c\r\n", True),
        (b"Upgrade: h2c\r\n", False),
        (b"Connection: Upgrade\r\nUpgrade: websocket\r\n", False),
    ):
        client = HTTPConnection(CLIENT, h2c=True)
        client.send(Request(b"GET", b"/", b"h"))
        client.send(EndOfMessage(1))
        client.data_to_send()
        client.receive_data(b"HTTP/1.1 101 Switching Protocols\r\n%s\r\n" % fields)
        events = client.events()
        assert client.http_version == ("2" if switched else "1.1")
        if switched:
            assert events == [ProtocolSwitch(1, b"h2c")]
        else:
            [closed] = events
            assert isinstance(closed, ConnectionClosed)
            assert closed.message == "invalid 101 response"
