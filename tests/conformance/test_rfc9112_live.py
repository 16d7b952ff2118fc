"""HTTP/1.1 edge cases from RFC 9112 (and the RFC 9110 rules they lean on),
sent over raw sockets to the live server (:func:`servers.http.serve_http`).

Each case writes bytes exactly as given (no client library smooths them), then
reads what comes back until the server closes or the expected answers are in.
A rejected request must get its status, and then the connection must close
with nothing else answered: every rejection case carries a second, smuggled
request after it, which must never be answered.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import partial

import pytest
import trio

from servers.http import serve_http
from wire.http import rest

Address = tuple[str, int]

#: Seconds to wait for an answer (loopback answers in milliseconds).
ANSWER_TIMEOUT = 5.0
#: The timeouts of the server used by the timing cases: short, so the cases are fast.
SHORT_TIMEOUT = 0.5
#: The body limit of the echo server (413 beyond).
ECHO_BODY_LIMIT = 1000
#: A request appended after each rejected one: it must never be answered.
SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"


# ---------------------------------------------------------------------------
# Reading responses off the wire
# ---------------------------------------------------------------------------


@dataclass
class Parsed:
    """One response: status, fields (lowercased names) and body."""

    version: bytes
    status: int
    fields: list[tuple[bytes, bytes]]
    body: bytes = b""

    def get(self, name: bytes) -> bytes | None:
        values = [value for key, value in self.fields if key == name]
        return b", ".join(values) if values else None


@dataclass
class Reply:
    """What the server wrote, and whether it closed the connection."""

    data: bytes = b""
    closed: bool = False
    responses: list[Parsed] = field(default_factory=list)


def parse_responses(data: bytes, methods: list[bytes], *, closed: bool) -> list[Parsed]:
    """Split ``data`` into complete responses (``methods`` says which were HEAD)."""
    out: list[Parsed] = []
    rest_ = data
    methods = list(methods)
    while rest_:
        head_end = rest_.find(b"\r\n\r\n")
        if head_end < 0:
            break
        lines = rest_[:head_end].split(b"\r\n")
        version, status, *_ = lines[0].split(b" ", 2)
        fields = []
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            fields.append((name.strip().lower(), value.strip()))
        response = Parsed(version, int(status), fields)
        body_start = head_end + 4
        informational = 100 <= response.status < 200
        method = b"GET" if informational or not methods else methods[0]
        length = response.get(b"content-length")
        if informational or method == b"HEAD" or response.status in (204, 304):
            end = body_start
        elif length is not None:
            end = body_start + int(length)
            if end > len(rest_):
                break
        elif response.get(b"transfer-encoding") == b"chunked":
            end, body = _dechunk(rest_, body_start)
            if end < 0:
                break
            response.body = body
        elif closed:
            end = len(rest_)
        else:
            break
        if length is not None or end == len(rest_):
            response.body = response.body or rest_[body_start:end]
        if not informational and methods:
            methods.pop(0)
        out.append(response)
        rest_ = rest_[end:]
    return out


def _dechunk(data: bytes, start: int) -> tuple[int, bytes]:
    body = b""
    position = start
    while True:
        line_end = data.find(b"\r\n", position)
        if line_end < 0:
            return -1, b""
        size = int(data[position:line_end].split(b";")[0], 16)
        position = line_end + 2
        if size == 0:
            trailer_end = data.find(b"\r\n", position)
            while trailer_end > position:  # skip trailer fields
                position = trailer_end + 2
                trailer_end = data.find(b"\r\n", position)
            if trailer_end < 0:
                return -1, b""
            return trailer_end + 2, body
        if len(data) < position + size + 2:
            return -1, b""
        body += data[position : position + size]
        position += size + 2


async def exchange(
    address: Address,
    data: bytes,
    *,
    methods: list[bytes] | None = None,
    answers: int | None = None,
    half_close: bool = False,
    timeout: float = ANSWER_TIMEOUT,
) -> Reply:
    """Write ``data`` and read until the server closes (or ``answers`` final responses)."""
    methods = methods or []
    reply = Reply()
    with trio.move_on_after(timeout):
        stream = await trio.open_tcp_stream(*address)
        async with stream:
            try:
                await stream.send_all(data)
                if half_close:
                    await stream.send_eof()
            except trio.BrokenResourceError:
                pass  # the server closed first; read what it said
            while True:
                try:
                    chunk = await stream.receive_some(65536)
                except trio.BrokenResourceError:
                    chunk = b""
                if not chunk:
                    reply.closed = True
                    break
                reply.data += chunk
                final = [
                    r for r in parse_responses(reply.data, methods, closed=False) if r.status >= 200
                ]
                if answers is not None and len(final) >= answers:
                    break
    reply.responses = parse_responses(reply.data, methods, closed=reply.closed)
    return reply


def statuses(reply: Reply) -> list[int]:
    return [r.status for r in reply.responses]


# ---------------------------------------------------------------------------
# Servers
# ---------------------------------------------------------------------------


def echo_app() -> rest.App:
    """Echoes what the application saw of the request, with a small body limit."""
    app = rest.App(limits=rest.Limits(max_body_size=ECHO_BODY_LIMIT), compression=None)

    @app.route("/echo", ["GET", "POST", "PUT"])
    def echo(request: rest.Request) -> dict[str, object]:
        return {
            "method": request.method,
            "path": request.path,
            "query": request.query_string,
            "host": request.headers.get_all("host"),
            "body": request.body.decode("latin-1"),
        }

    return app


@pytest.fixture
async def server(nursery: trio.Nursery) -> Address:
    """The demo application with the default limits and timeouts."""
    address: Address = await nursery.start(serve_http, "127.0.0.1", 0)
    return address


@pytest.fixture
async def echo(nursery: trio.Nursery) -> Address:
    address: Address = await nursery.start(partial(serve_http, "127.0.0.1", 0, app=echo_app()))
    return address


@pytest.fixture
async def impatient(nursery: trio.Nursery) -> Address:
    """The demo application with idle and body timeouts of SHORT_TIMEOUT."""
    address: Address = await nursery.start(
        partial(
            serve_http,
            "127.0.0.1",
            0,
            idle_timeout=SHORT_TIMEOUT,
            body_timeout=SHORT_TIMEOUT,
        )
    )
    return address


# ---------------------------------------------------------------------------
# Rejected requests: status, close, nothing smuggled through
# ---------------------------------------------------------------------------

_POST = b"POST /items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
_GET = b"GET /hello HTTP/1.1\r\n"


@dataclass(frozen=True)
class Rejected:
    id: str
    rule: str
    request: bytes
    status: int
    bug: str | None = None


REJECTED = [
    # -- Message body length and smuggling: RFC 9112 section 6, RFC 9110 section 8.6
    Rejected(
        "content-length-and-transfer-encoding",
        "RFC 9112 6.1: both fields; 400 and close (the server MAY reject, MUST close)",
        _POST + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
    ),
    Rejected(
        "transfer-encoding-and-content-length",
        "RFC 9112 6.1: both fields, in the other order",
        _POST + b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
        400,
    ),
    Rejected(
        "duplicate-content-length",
        "RFC 9110 8.6 / RFC 9112 6.3: differing Content-Length lines are unrecoverable",
        _POST + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}x",
        400,
    ),
    Rejected(
        "content-length-list",
        "RFC 9112 6.3: a list of differing lengths",
        _POST + b"Content-Length: 2, 3\r\n\r\n{}x",
        400,
    ),
    Rejected(
        "content-length-plus-sign",
        "RFC 9110 8.6: Content-Length = 1*DIGIT",
        _POST + b"Content-Length: +2\r\n\r\n{}",
        400,
    ),
    Rejected(
        "content-length-negative",
        "RFC 9110 8.6: Content-Length = 1*DIGIT",
        _POST + b"Content-Length: -1\r\n\r\n",
        400,
    ),
    Rejected(
        "content-length-hex",
        "RFC 9110 8.6: Content-Length = 1*DIGIT",
        _POST + b"Content-Length: 0x2\r\n\r\n{}",
        400,
    ),
    Rejected(
        "content-length-inner-space",
        "RFC 9110 8.6: Content-Length = 1*DIGIT",
        _POST + b"Content-Length: 1 2\r\n\r\n{}",
        400,
    ),
    Rejected(
        "content-length-overflow",
        "RFC 9112 6.3: a length that overflows is invalid",
        _POST + b"Content-Length: 99999999999999999999999999999\r\n\r\n",
        400,
    ),
    Rejected(
        "transfer-encoding-in-http-1.0",
        "RFC 9112 6.1: Transfer-Encoding in an HTTP/1.0 request is faulty",
        b"POST /items HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
    ),
    Rejected(
        "chunked-not-last",
        "RFC 9112 6.3: chunked not the final coding of a request: MUST 400 and close",
        _POST + b"Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
        400,
    ),
    Rejected(
        "unknown-transfer-coding",
        "RFC 9112 6.1: a transfer coding the server does not understand: 501",
        _POST + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        501,
    ),
    Rejected(
        "obfuscated-transfer-encoding",
        # 'xchunked' is not chunked, so chunked is not the final coding: the
        # MUST of 6.3 rule 4 (400) prevails over the SHOULD of 6.1 (501).
        "RFC 9112 6.3: 'xchunked' is not chunked, so chunked is not final: 400",
        _POST + b"Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
        400,
    ),
    Rejected(
        "chunked-twice",
        "RFC 9112 7: a sender MUST NOT apply chunked more than once; malformed: 400",
        _POST + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
    ),
    Rejected(
        "transfer-encoding-space-before-colon",
        "RFC 9112 5.1: whitespace between field name and colon: MUST 400",
        _POST + b"Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
        400,
    ),
    Rejected(
        "chunk-size-not-hex",
        "RFC 9112 7.1: chunk-size = 1*HEXDIG",
        _POST + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
        400,
    ),
    Rejected(
        "chunk-size-negative",
        "RFC 9112 7.1: chunk-size = 1*HEXDIG",
        _POST + b"Transfer-Encoding: chunked\r\n\r\n-1\r\nabc\r\n0\r\n\r\n",
        400,
    ),
    Rejected(
        "chunk-size-0x-prefix",
        "RFC 9112 7.1: chunk-size = 1*HEXDIG",
        _POST + b"Transfer-Encoding: chunked\r\n\r\n0x3\r\nabc\r\n0\r\n\r\n",
        400,
    ),
    Rejected(
        "chunk-size-overflow",
        "RFC 9112 7.1: a recipient MUST anticipate and handle overflow",
        _POST + b"Transfer-Encoding: chunked\r\n\r\nfffffffffffffffffffff\r\nabc\r\n0\r\n\r\n",
        400,
    ),
    Rejected(
        "chunk-data-longer-than-size",
        "RFC 9112 7.1: chunk-data is followed by CRLF",
        _POST + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n",
        400,
    ),
    # -- Message format: RFC 9112 sections 2, 3 and 5
    Rejected(
        "bare-lf-line-ending",
        "RFC 9112 2.2: we do not take a bare LF as a line ending",
        b"GET /hello HTTP/1.1\nHost: x\n\n",
        400,
    ),
    Rejected(
        "bare-cr",
        "RFC 9112 2.2: a bare CR MUST be refused or replaced by SP",
        _GET + b"Host: x\rX-A: b\r\n\r\n",
        400,
    ),
    Rejected(
        "obs-fold",
        "RFC 9112 5.2: obsolete line folding in a request: 400",
        _GET + b"Host: x\r\nX-A: b\r\n c\r\n\r\n",
        400,
    ),
    Rejected(
        "space-before-colon",
        "RFC 9112 5.1: whitespace between field name and colon: MUST 400",
        b"GET /hello HTTP/1.1\r\nHost : x\r\n\r\n",
        400,
    ),
    Rejected(
        "nul-in-field-value",
        "RFC 9110 5.5: NUL in a field value MUST be refused or replaced",
        _GET + b"Host: x\r\nX-A: a\x00b\r\n\r\n",
        400,
    ),
    Rejected(
        "invalid-field-name",
        "RFC 9110 5.1: a field name is a token",
        _GET + b"Host: x\r\nX{A}: a\r\n\r\n",
        400,
    ),
    Rejected(
        "invalid-method",
        "RFC 9110 9.1: a method is a token",
        b"G(T /hello HTTP/1.1\r\nHost: x\r\n\r\n",
        400,
    ),
    Rejected(
        "double-space-in-request-line",
        "RFC 9112 3: request-line = method SP request-target SP HTTP-version",
        b"GET  /hello HTTP/1.1\r\nHost: x\r\n\r\n",
        400,
    ),
    Rejected(
        "http-0.9-request-line",
        "RFC 9112 3: a request line without a version",
        b"GET /hello\r\n\r\n",
        400,
    ),
    Rejected(
        "lowercase-http-version",
        "RFC 9112 2.3: HTTP-name is case-sensitive",
        b"GET /hello http/1.1\r\nHost: x\r\n\r\n",
        400,
    ),
    Rejected(
        "too-many-empty-lines-before-the-request-line",
        "RFC 9112 2.2: a few empty lines are ignored (4 here), not a stream of them",
        b"\r\n" * 5 + _GET + b"Host: x\r\n\r\n",
        400,
    ),
    Rejected(
        "invalid-http-2-preface-in-clear-text",
        "h2spec 3.5/2 in clear text: not a preface, so an HTTP/1.1 request, and a bad one",
        b"INVALID CONNECTION PREFACE\r\n\r\n",
        400,
    ),
    Rejected(
        "http-2.0-request-line",
        "RFC 9110 15.6.6: a major version we do not support: 505",
        b"GET /hello HTTP/2.0\r\nHost: x\r\n\r\n",
        505,
    ),
    Rejected(
        "http-3.0-request-line",
        "RFC 9110 15.6.6: 505",
        b"GET /hello HTTP/3.0\r\nHost: x\r\n\r\n",
        505,
    ),
    # -- Host and request-target forms: RFC 9112 section 3.2
    Rejected("missing-host", "RFC 9112 3.2: an HTTP/1.1 request without Host", _GET + b"\r\n", 400),
    Rejected(
        "two-hosts",
        "RFC 9112 3.2: more than one Host line",
        _GET + b"Host: a\r\nHost: b\r\n\r\n",
        400,
    ),
    Rejected(
        "host-with-space",
        "RFC 9112 3.2: a Host with an invalid value",
        _GET + b"Host: exa mple\r\n\r\n",
        400,
    ),
    Rejected(
        "host-with-userinfo",
        "RFC 9112 3.2: Host = uri-host [ ':' port ], no userinfo",
        _GET + b"Host: a@b\r\n\r\n",
        400,
    ),
    Rejected(
        "host-with-invalid-port",
        "RFC 9112 3.2: port = *DIGIT; an invalid Host value MUST get 400",
        _GET + b"Host: a:b\r\n\r\n",
        400,
    ),
    Rejected(
        "host-with-invalid-ip-literal",
        "RFC 9112 3.2 / RFC 3986 3.2.2: an IP-literal is an IPv6 address or IPvFuture",
        _GET + b"Host: [::1::2]:80\r\n\r\n",
        400,
    ),
    Rejected(
        "authority-form-for-get",
        "RFC 9112 3.2.3: authority-form is only for CONNECT",
        b"GET 127.0.0.1:80 HTTP/1.1\r\nHost: x\r\n\r\n",
        400,
    ),
    Rejected(
        "asterisk-form-for-get",
        "RFC 9112 3.2.4: asterisk-form is only for OPTIONS",
        b"GET * HTTP/1.1\r\nHost: x\r\n\r\n",
        400,
    ),
    # -- Limits (H1Config): 414, 431, 413
    Rejected(
        "request-line-too-long",
        "RFC 9112 3: a request line longer than we accept: 414",
        b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        414,
    ),
    Rejected(
        "header-section-too-large",
        "RFC 6585 5: 431 for a head over 16 KiB",
        _GET + b"Host: x\r\nX-A: " + b"a" * 17000 + b"\r\n\r\n",
        431,
    ),
    Rejected(
        "too-many-header-fields",
        "RFC 6585 5: 431 for more than 100 field lines",
        _GET + b"Host: x\r\n" + b"".join(b"X-%d: a\r\n" % i for i in range(101)) + b"\r\n",
        431,
    ),
    Rejected(
        "content-length-over-the-limit",
        "RFC 9110 15.5.14: 413 from the Content-Length alone, before any body",
        _POST + b"Content-Length: 999999999\r\n\r\n",
        413,
    ),
]


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            case,
            id=case.id,
            marks=[pytest.mark.xfail(strict=True, reason=f"bug: {case.bug}")] if case.bug else [],
        )
        for case in REJECTED
    ],
)
async def test_rejected(server: Address, case: Rejected) -> None:
    # Two answers are enough to fail: the second would be the smuggled request's.
    reply = await exchange(server, case.request + SMUGGLED, answers=2)
    assert statuses(reply) == [case.status], (case.rule, reply.data[:300])
    assert reply.closed, "the server closes after rejecting a request"
    assert reply.responses[0].get(b"connection") in (b"close", b"Close")
    assert b"/smuggled" not in reply.data


# ---------------------------------------------------------------------------
# Accepted edge cases
# ---------------------------------------------------------------------------


def _echoed(reply: Reply, index: int = 0) -> dict[str, object]:
    response = reply.responses[index]
    assert response.status == 200, reply.data[:300]
    echoed: dict[str, object] = json.loads(response.body)
    return echoed


async def test_absolute_form_uses_the_target_authority(echo: Address) -> None:
    """RFC 9112 3.2.2: absolute-form MUST be accepted; the Host field is then ignored."""
    reply = await exchange(
        echo,
        b"GET http://example.org:8080/echo?a=1 HTTP/1.1\r\n"
        b"Host: other\r\nConnection: close\r\n\r\n",
    )
    echoed = _echoed(reply)
    assert echoed["path"] == "/echo" and echoed["query"] == "a=1"
    assert echoed["host"] == ["example.org:8080"]


async def test_asterisk_form_options(server: Address) -> None:
    """RFC 9112 3.2.4: OPTIONS * asks about the server as a whole."""
    reply = await exchange(server, b"OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    [response] = reply.responses
    assert response.status == 204
    assert b"GET" in (response.get(b"allow") or b"")


@pytest.mark.parametrize(
    ("name", "body_framing", "expected_body"),
    [
        ("chunk extensions", b'2;ext=1;q="a b"\r\nab\r\n0\r\n\r\n', "ab"),
        ("trailer fields", b"2\r\nab\r\n1\r\nc\r\n0\r\nX-Trailer: 1\r\n\r\n", "abc"),
        ("upper-case hex", b"A\r\n0123456789\r\n0\r\n\r\n", "0123456789"),
    ],
    ids=["chunk-extensions", "trailer-fields", "upper-case-hex"],
)
async def test_chunked_bodies_accepted(
    echo: Address, name: str, body_framing: bytes, expected_body: str
) -> None:
    """RFC 9112 7.1: chunk extensions and trailers are ignored, the body reassembled."""
    request = (
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        b"Connection: close\r\n\r\n" + body_framing
    )
    assert _echoed(await exchange(echo, request))["body"] == expected_body


async def test_transfer_encoding_with_tab_is_chunked(echo: Address) -> None:
    """RFC 9110 5.5: OWS around a field value may be HTAB."""
    request = (
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\tchunked\t\r\n"
        b"Connection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    )
    assert _echoed(await exchange(echo, request))["body"] == "abc"


async def test_chunked_body_over_the_limit_gets_413(echo: Address) -> None:
    """The limit counts a chunked body as it arrives (no Content-Length to check first)."""
    chunk = b"x" * 600
    framing = b"258\r\n" + chunk + b"\r\n258\r\n" + chunk + b"\r\n0\r\n\r\n"
    request = b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + framing
    reply = await exchange(echo, request + SMUGGLED)
    assert statuses(reply) == [413]
    assert reply.closed


async def test_get_with_a_body_is_not_a_second_request(echo: Address) -> None:
    """RFC 9112 6.3: Content-Length frames the body, whatever the method."""
    inner = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
    request = b"GET /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(inner)
    reply = await exchange(echo, request + inner, answers=1)
    assert statuses(reply) == [200]
    assert _echoed(reply)["body"] == inner.decode()


async def test_equal_duplicate_content_lengths(echo: Address) -> None:
    """RFC 9110 8.6: identical repeated lengths MAY be taken as one (or refused)."""
    request = (
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n"
        b"Connection: close\r\n\r\nab"
    )
    reply = await exchange(echo, request + SMUGGLED)
    assert statuses(reply) in ([200], [400])
    if reply.responses[0].status == 200:
        assert _echoed(reply)["body"] == "ab"


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        ("empty Host", b"Host:\r\n"),
        ("HTAB inside a value", b"Host: x\r\nX-A: a\tb\r\n"),
        ("obs-text in a value", b"Host: x\r\nX-A: caf\xe9\r\n"),
    ],
    ids=["empty-host", "htab-in-value", "obs-text-in-value"],
)
async def test_unusual_but_valid_fields(server: Address, name: str, fields: bytes) -> None:
    """RFC 9112 3.2 (empty Host is valid), RFC 9110 5.5 (HTAB and obs-text in values)."""
    reply = await exchange(server, _GET + fields + b"Connection: close\r\n\r\n")
    assert statuses(reply) == [200]


async def test_http_1_x_minor_version_is_served_as_1_1(server: Address) -> None:
    """RFC 9110 2.5: a higher minor version is answered with the highest we support."""
    reply = await exchange(server, b"GET /hello HTTP/1.2\r\nHost: x\r\nConnection: close\r\n\r\n")
    [response] = reply.responses
    assert (response.version, response.status) == (b"HTTP/1.1", 200)


async def test_leading_empty_line_is_ignored(server: Address) -> None:
    """RFC 9112 2.2: a server SHOULD ignore at least one CRLF before the request line."""
    reply = await exchange(server, b"\r\n" + _GET + b"Host: x\r\nConnection: close\r\n\r\n")
    assert statuses(reply) == [200]
    assert reply.responses[0].body == b"Hello, world!"


async def test_empty_lines_between_pipelined_requests_are_ignored(server: Address) -> None:
    """RFC 9112 2.2: the CRLF an old client adds after a body, before the next request."""
    item = b'{"name":"crlf","price":1}'
    data = (
        _POST + b"Content-Length: %d\r\n\r\n" % len(item) + item + b"\r\n"
        b"\r\n\r\n" + _GET + b"Host: x\r\nConnection: close\r\n\r\n"
    )
    reply = await exchange(server, data, methods=[b"POST", b"GET"])
    assert statuses(reply) == [201, 200]
    assert reply.closed


# ---------------------------------------------------------------------------
# HTTP/1.0
# ---------------------------------------------------------------------------


async def test_http_1_0_request(server: Address) -> None:
    """RFC 9112 2.3/9.3: an HTTP/1.0 request (no Host needed) is answered, then closed."""
    reply = await exchange(server, b"GET /hello HTTP/1.0\r\n\r\n")
    [response] = reply.responses
    assert (response.version, response.status, response.body) == (
        b"HTTP/1.1",
        200,
        b"Hello, world!",
    )
    assert response.get(b"content-length") == b"13"
    assert reply.closed


async def test_http_1_0_pipelined_requests_answer_the_first(server: Address) -> None:
    """RFC 9112 9.3/9.6: without keep-alive the first request is answered, then the close."""
    reply = await exchange(server, b"GET /hello HTTP/1.0\r\n\r\nGET /hello HTTP/1.0\r\n\r\n")
    assert statuses(reply) == [200]
    assert reply.closed


async def test_http_1_0_keep_alive(server: Address) -> None:
    """RFC 9112 9.3 / Appendix C.2.2: a keep-alive HTTP/1.0 request is answered and framed,
    and the answer says whether the connection persists (it must, for an HTTP/1.0 client)."""
    reply = await exchange(
        server, b"GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", timeout=2.0
    )
    [response] = reply.responses
    assert response.status == 200 and response.body == b"Hello, world!"
    persistence = (response.get(b"connection") or b"").lower()
    assert persistence == (b"close" if reply.closed else b"keep-alive")


# ---------------------------------------------------------------------------
# Pipelining and persistence: RFC 9112 section 9
# ---------------------------------------------------------------------------


async def test_pipelined_requests_answered_in_order(server: Address) -> None:
    """RFC 9112 9.3.2: several requests in one write, answered in order on one connection."""
    item = b'{"name":"pipe","price":1}'
    requests = [
        (b"GET", _GET + b"Host: x\r\n\r\n"),
        (b"HEAD", b"HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n"),
        (b"POST", _POST + b"Content-Length: %d\r\n\r\n" % len(item) + item),
        (b"GET", b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"),
        (b"GET", b"GET /items?limit=1 HTTP/1.1\r\nHost: x\r\n\r\n"),
        (b"GET", _GET + b"Host: x\r\nConnection: close\r\n\r\n"),
    ]
    reply = await exchange(
        server, b"".join(data for _, data in requests), methods=[m for m, _ in requests]
    )
    assert statuses(reply) == [200, 200, 201, 404, 200, 200]
    get, head, post, missing, page, last = reply.responses
    assert get.body == last.body == b"Hello, world!"
    assert head.body == b"" and head.get(b"content-length") == b"13"
    assert json.loads(post.body)["name"] == "pipe"
    assert missing.get(b"content-type") == b"application/problem+json"
    assert json.loads(page.body)["total"] == 1
    assert reply.closed  # after the last, which asked for it


async def test_nothing_after_connection_close_is_answered(server: Address) -> None:
    """RFC 9112 9.6: after a request with close, the server MUST NOT process further requests."""
    reply = await exchange(
        server, _GET + b"Host: x\r\nConnection: close\r\n\r\n" + _GET + b"Host: x\r\n\r\n"
    )
    assert statuses(reply) == [200]
    assert reply.responses[0].get(b"connection") in (b"close", b"Close")
    assert reply.closed


async def test_error_in_a_pipeline_stops_it(server: Address) -> None:
    """The requests before a bad one are answered, the bad one gets 400, the rest nothing."""
    data = _GET + b"Host: x\r\n\r\n" + _GET + b"bad line\r\n\r\n" + _GET + b"Host: x\r\n\r\n"
    reply = await exchange(server, data)
    assert statuses(reply) == [200, 400]
    assert reply.closed


async def test_keep_alive_across_writes(server: Address) -> None:
    """RFC 9112 9.3: HTTP/1.1 connections persist by default."""
    with trio.fail_after(ANSWER_TIMEOUT):
        stream = await trio.open_tcp_stream(*server)
        async with stream:
            for _ in range(3):
                await stream.send_all(_GET + b"Host: x\r\n\r\n")
                data = b""
                while not parse_responses(data, [b"GET"], closed=False):
                    chunk = await stream.receive_some(65536)
                    assert chunk, "the server closed a persistent connection"
                    data += chunk
                [response] = parse_responses(data, [b"GET"], closed=False)
                assert response.status == 200 and response.get(b"connection") is None


async def test_half_close_after_request_still_answered(server: Address) -> None:
    """RFC 9112 9.6: a client may half-close after its request; the answer still comes."""
    reply = await exchange(server, _GET + b"Host: x\r\n\r\n", half_close=True)
    assert statuses(reply) == [200]
    assert reply.closed


async def test_eof_in_the_middle_of_a_head(server: Address) -> None:
    """An incomplete request cut by EOF: no answer to a request never made, and the close."""
    reply = await exchange(server, b"GET /hello HTTP/1.1\r\nHost:", half_close=True)
    assert reply.closed
    assert all(status >= 400 for status in statuses(reply))


# ---------------------------------------------------------------------------
# Expect: 100-continue (RFC 9110 section 10.1.1)
# ---------------------------------------------------------------------------


async def test_100_continue_before_the_body(server: Address) -> None:
    """RFC 9110 10.1.1: the server MUST send 100 (or a final status) without waiting for it."""
    item = b'{"name":"slow","price":2}'
    head = _POST + b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(item)
    with trio.fail_after(ANSWER_TIMEOUT):
        stream = await trio.open_tcp_stream(*server)
        async with stream:
            await stream.send_all(head)
            data = b""
            with trio.move_on_after(1.0):
                while b"\r\n\r\n" not in data:
                    chunk = await stream.receive_some(65536)
                    if not chunk:
                        break
                    data += chunk
            assert data.startswith(b"HTTP/1.1 100 "), data
            await stream.send_all(item)
            while not any(r.status >= 200 for r in parse_responses(data, [b"POST"], closed=False)):
                chunk = await stream.receive_some(65536)
                assert chunk
                data += chunk
    final = [r for r in parse_responses(data, [b"POST"], closed=False) if r.status >= 200]
    assert final[0].status == 201


async def test_100_continue_refused_by_a_final_status(server: Address) -> None:
    """RFC 9110 10.1.1: a final status decidable from the head goes at once (413 here)."""
    request = _POST + b"Expect: 100-continue\r\nContent-Length: 999999999\r\n\r\n"
    reply = await exchange(server, request, timeout=2.0)
    assert statuses(reply) == [413]
    assert reply.closed


async def test_100_continue_body_sent_anyway(server: Address) -> None:
    """RFC 9110 10.1.1: a client need not wait for 100; the request is served as usual."""
    item = b'{"name":"eager","price":3}'
    request = (
        _POST
        + b"Expect: 100-continue\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(item)
        + item
    )
    reply = await exchange(server, request)
    final = [r for r in reply.responses if r.status >= 200]
    assert [r.status for r in final] == [201]


async def test_100_continue_ignored_for_http_1_0(echo: Address) -> None:
    """RFC 9110 10.1.1: a server MUST ignore 100-continue in an HTTP/1.0 request."""
    request = b"POST /echo HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nab"
    reply = await exchange(echo, request)
    assert statuses(reply) == [200]  # no 100 before it
    assert _echoed(reply)["body"] == "ab"


# ---------------------------------------------------------------------------
# Timeouts: idle connections, slowloris heads, stalled bodies
# ---------------------------------------------------------------------------


async def test_idle_connection_is_closed(impatient: Address) -> None:
    """A connection that never sends a request is closed after the idle timeout."""
    started = trio.current_time()
    reply = await exchange(impatient, b"")
    elapsed = trio.current_time() - started
    assert reply.closed and reply.data == b""
    assert SHORT_TIMEOUT * 0.8 <= elapsed < SHORT_TIMEOUT * 6


async def test_keep_alive_connection_closed_when_idle(impatient: Address) -> None:
    reply = await exchange(impatient, _GET + b"Host: x\r\n\r\n")
    assert statuses(reply) == [200]
    assert reply.closed


async def test_slowloris_head_gets_408(impatient: Address) -> None:
    """A head dripped one octet at a time is cut at the head timeout (408), not served."""
    head = _GET + b"Host: x\r\nX-Slow: " + b"a" * 100 + b"\r\n\r\n"
    data = b""
    closed = False
    started = trio.current_time()
    with trio.fail_after(ANSWER_TIMEOUT):
        stream = await trio.open_tcp_stream(*impatient)
        async with stream:
            for octet in head:
                try:
                    await stream.send_all(bytes((octet,)))
                except trio.BrokenResourceError:
                    break
                with trio.move_on_after(SHORT_TIMEOUT / 5):
                    try:
                        chunk = await stream.receive_some(65536)
                    except trio.BrokenResourceError:
                        chunk = b""
                    data += chunk
                    if not chunk:
                        closed = True
                        break
            while not closed:
                try:
                    chunk = await stream.receive_some(65536)
                except trio.BrokenResourceError:
                    chunk = b""
                data += chunk
                closed = not chunk
    elapsed = trio.current_time() - started
    assert data.startswith(b"HTTP/1.1 408 "), data
    # Cut well before the whole head (about 20 s at this pace) went out.
    assert elapsed < SHORT_TIMEOUT * 6


async def test_stalled_body_gets_408(impatient: Address) -> None:
    """A request whose body stops arriving gets 408 and the close after the body timeout."""
    reply = await exchange(impatient, _POST + b'Content-Length: 100\r\n\r\n{"na')
    assert statuses(reply) == [408]
    assert reply.closed


async def test_bare_lf_in_chunked_framing_is_never_accepted(impatient: Address) -> None:
    """RFC 9112 7.1: chunk lines end in CRLF; bare LF framing is not taken as a body."""
    request = b"POST /items HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n"
    reply = await exchange(impatient, request + SMUGGLED)
    assert reply.closed
    assert all(status >= 400 for status in statuses(reply)), reply.data
    assert b"/smuggled" not in reply.data
