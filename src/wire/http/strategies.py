"""Hypothesis strategies for HTTP, for property tests and fuzzing campaigns.

Two kinds:

- events: :func:`header_names`, :func:`header_values`, :func:`headers`,
  :func:`requests`, :func:`responses` generate valid
  :mod:`wire.http` events (each constructor accepts what they draw), to send
  through a machine and check what comes out the other end;
- HTTP/2: :func:`h2_frames` generates frames of every type with a
  well-formed layout, and :func:`h2_client_bytes` what a client sends: the
  preface, SETTINGS, then frames (requests with HPACK-encoded heads among
  them), for the frame and connection layers of a server;
- bytes: :func:`request_bytes` generates well-formed HTTP/1.1 requests as a
  client writes them (field-name case, optional whitespace, ``Connection``,
  a ``Content-Length`` body), and :func:`mutated_request_bytes` the same with
  one of :data:`MUTATIONS` applied: the near misses of RFC 9112 sections 2, 3,
  5, 6 and 11 (both Content-Length and Transfer-Encoding, duplicated or
  malformed lengths, bare LF, obs-fold, whitespace before the colon, controls
  in values, other target forms and versions...), which a server must refuse
  or read exactly as any other conforming parser would.

Requires ``hypothesis`` (a test dependency of wire, not a runtime one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import hpack
from hypothesis import strategies as st

from wire.http._events import CONNECTION_FIELDS, Headers, Request, Response
from wire.http._h2 import PREFACE

__all__ = [
    "MUTATIONS",
    "h2_client_bytes",
    "h2_frames",
    "header_names",
    "header_values",
    "headers",
    "mutated_request_bytes",
    "request_bytes",
    "requests",
    "responses",
]

# RFC 9110 section 5.6.2: tchar.
_TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz"
#: Fields an event may not carry, or that change framing or the exchange:
#: generated only where a strategy means them.
_SPECIAL = CONNECTION_FIELDS | {b"te", b"content-length", b"expect", b"cookie"}
_METHODS = (b"GET", b"POST", b"PUT", b"DELETE", b"HEAD", b"OPTIONS", b"PATCH")
# RFC 3986 section 3.3 (pchar) plus "/" and "?": what an origin-form target holds.
_PATH_CHARS = "abcxyzABC019-._~!$&'()*+,;=:@%/?"
_HOSTS = (b"example.com", b"a.example:8080", b"127.0.0.1", b"[::1]:8443", b"localhost")


# Strategies draw raw octets and map each onto the allowed set: one draw per
# name or value, which keeps generation fast and shrinking towards "!".
_NAME_OCTETS = bytes(_TCHARS[i % len(_TCHARS)].encode()[0] for i in range(256))
_VALUE_OCTETS = bytes(
    i if 0x21 <= i <= 0x7E or i >= 0x80 or i in (0x20, 0x09) else 0x21 + i % 0x5E
    for i in range(256)
)
_PATH_OCTETS = bytes(_PATH_CHARS[i % len(_PATH_CHARS)].encode()[0] for i in range(256))


def header_names(*, special: bool = False) -> st.SearchStrategy[bytes]:
    """Field names (tokens, lowercase, as events hold them).

    Args:
        special: Also draw the names machines treat specially
            (``content-length``, ``te``, ``expect``, hop-by-hop fields), which
            events refuse or constrain; off by default.
    """
    names = st.binary(min_size=1, max_size=12).map(lambda raw: raw.translate(_NAME_OCTETS))
    if special:
        return names | st.sampled_from(sorted(_SPECIAL))
    return names.filter(lambda name: name not in _SPECIAL)


def header_values(*, max_size: int = 16) -> st.SearchStrategy[bytes]:
    """Field values (RFC 9110 section 5.5): visible octets and obs-text, inner SP/HTAB."""
    return st.binary(max_size=max_size).map(lambda raw: raw.translate(_VALUE_OCTETS).strip(b" \t"))


def headers(*, max_size: int = 6) -> st.SearchStrategy[Headers]:
    """Ordinary header fields any event accepts (none of the special names)."""
    return st.lists(st.tuples(header_names(), header_values()), max_size=max_size).map(tuple)


def _paths() -> st.SearchStrategy[bytes]:
    return st.binary(max_size=16).map(lambda raw: b"/" + raw.translate(_PATH_OCTETS))


def requests(*, stream_id: int = 1, body: bool | None = None) -> st.SearchStrategy[Request]:
    """Valid :class:`~wire.http.Request` heads with an origin-form target.

    Args:
        stream_id: The ``stream_id`` of every request drawn.
        body: True adds a ``content-length`` field, False never does, ``None``
            draws either.
    """
    lengths: st.SearchStrategy[Headers] = st.integers(0, 1 << 20).map(
        lambda size: ((b"content-length", b"%d" % size),)
    )
    if body is None:
        lengths = lengths | st.just(())
    elif not body:
        lengths = st.just(())
    return st.builds(
        lambda method, target, authority, scheme, fields, length: Request(
            method, target, authority, scheme, fields + length, stream_id
        ),
        st.sampled_from(_METHODS),
        _paths(),
        st.sampled_from(_HOSTS),
        st.sampled_from([b"http", b"https"]),
        headers(),
        lengths,
    )


def responses(*, stream_id: int = 1) -> st.SearchStrategy[Response]:
    """Valid final :class:`~wire.http.Response` heads, with or without ``content-length``."""
    lengths = st.just(()) | st.integers(0, 1 << 20).map(
        lambda size: ((b"content-length", b"%d" % size),)
    )
    return st.builds(
        lambda status, fields, length: Response(status, fields + length, stream_id),
        st.integers(200, 599),
        headers(),
        lengths,
    )


# ---------------------------------------------------------------------------
# Request bytes
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _RawRequest:
    """A request as a client writes it, before serialisation."""

    method: bytes
    target: bytes
    version: bytes
    #: (name as written, text between the colon and the value, value, text after it)
    fields: tuple[tuple[bytes, bytes, bytes, bytes], ...]
    body: bytes

    def encode(self, eol: bytes = b"\r\n") -> bytes:
        lines = [b"%s %s %s" % (self.method, self.target, self.version)]
        lines += [
            name + b":" + before + value + after for name, before, value, after in self.fields
        ]
        return eol.join([*lines, b"", b""]) + self.body

    def with_field(self, name: bytes, value: bytes, at: int) -> _RawRequest:
        fields = list(self.fields)
        fields.insert(min(at, len(fields)), (name, b" ", value, b""))
        return replace(self, fields=tuple(fields))


def _cased(name: bytes) -> st.SearchStrategy[bytes]:
    """``name`` as clients write it: lowercase, Title-Case or UPPER (RFC 9110 section 5.1)."""
    return st.sampled_from([name, name.title(), name.upper()])


_OWS = st.sampled_from([b"", b" ", b"  ", b"\t", b" \t"])


@st.composite
def _raw_requests(draw: st.DrawFn, *, max_body: int = 64) -> _RawRequest:
    fields = [
        (draw(_cased(name)), draw(_OWS), value, draw(_OWS))
        for name, value in draw(headers(max_size=5))
    ]
    fields.insert(
        draw(st.integers(0, len(fields))),
        (draw(_cased(b"host")), b" ", draw(st.sampled_from(_HOSTS)), b""),
    )
    connection = draw(st.sampled_from([None, b"keep-alive", b"close", b"Keep-Alive"]))
    if connection is not None:
        fields.append((draw(_cased(b"connection")), b" ", connection, b""))
    body = draw(st.binary(max_size=max_body))
    if body or draw(st.booleans()):
        fields.insert(
            draw(st.integers(0, len(fields))),
            (draw(_cased(b"content-length")), b" ", b"%d" % len(body), b""),
        )
    return _RawRequest(
        draw(st.sampled_from(_METHODS)), draw(_paths()), b"HTTP/1.1", tuple(fields), body
    )


def request_bytes(*, max_body: int = 64) -> st.SearchStrategy[bytes]:
    """Well-formed HTTP/1.1 requests: head and ``Content-Length`` body, bytes as sent.

    The head has a ``Host`` field somewhere, field names in any case, optional
    whitespace around values, maybe ``Connection: keep-alive`` or ``close``,
    and a ``Content-Length`` whenever there is a body (sometimes ``0``).

    Args:
        max_body: The largest body drawn.
    """
    return _raw_requests(max_body=max_body).map(lambda raw: raw.encode())


# Each mutation takes a draw function and a well-formed request and returns
# the bytes of a near miss (RFC 9112 section 11.2: parsers that disagree on
# these are how requests get smuggled).
_Mutation = Callable[[st.DrawFn, _RawRequest], bytes]


def _spot(draw: st.DrawFn, raw: _RawRequest) -> int:
    return draw(st.integers(0, len(raw.fields)))


def _length_and_encoding(draw: st.DrawFn, raw: _RawRequest) -> bytes:
    value = draw(st.sampled_from([b"chunked", b"Chunked", b"gzip, chunked", b"identity"]))
    mutated = raw.with_field(b"Content-Length", b"%d" % len(raw.body), _spot(draw, raw))
    return mutated.with_field(b"Transfer-Encoding", value, _spot(draw, mutated)).encode()


def _transfer_encoding(draw: st.DrawFn, raw: _RawRequest) -> bytes:
    value = draw(
        st.sampled_from(
            [
                b"chunked",
                b" chunked",
                b"CHUNKED",
                b"chunked, identity",
                b"identity, chunked",
                b"xchunked",
                b"chunked;q=1",
                b"gzip",
                b"",
                b'"chunked"',
            ]
        )
    )
    return raw.with_field(b"Transfer-Encoding", value, _spot(draw, raw)).encode() + b"0\r\n\r\n"


def _duplicate_length(draw: st.DrawFn, raw: _RawRequest) -> bytes:
    first = b"%d" % len(raw.body)
    second = draw(st.sampled_from([first, first + b"0", b"0" + first, b"1" + first]))
    mutated = raw.with_field(b"Content-Length", first, _spot(draw, raw))
    return mutated.with_field(b"Content-Length", second, _spot(draw, mutated)).encode()


def _malformed_length(draw: st.DrawFn, raw: _RawRequest) -> bytes:
    size = len(raw.body)
    value = draw(
        st.sampled_from(
            [
                b"+%d" % size,
                b"-%d" % size,
                b"%d %d" % (size, size),
                b"%d, %d" % (size, size),
                b"0x%x" % size,
                b"%d.0" % size,
                b"",
                b"1" * 25,
                b"\xd9\xa5",  # ARABIC-INDIC DIGIT FIVE
            ]
        )
    )
    return raw.with_field(b"Content-Length", value, _spot(draw, raw)).encode()


def _bare_lf(draw: st.DrawFn, raw: _RawRequest) -> bytes:
    data = raw.encode()
    head = data.index(b"\r\n\r\n") + 4
    ends = [i for i in range(head) if data.startswith(b"\r\n", i)]
    cut = draw(st.sampled_from(ends))
    return data[:cut] + draw(st.sampled_from([b"", b"\r\r"])) + data[cut + 1 :]


def _bare_lines(draw: st.DrawFn, raw: _RawRequest) -> bytes:
    return raw.encode(draw(st.sampled_from([b"\n", b"\r"])))


def _obs_fold(draw: st.DrawFn, raw: _RawRequest) -> bytes:
    fold = draw(st.sampled_from([b"\r\n ", b"\r\n\t", b"\n "]))
    name = draw(st.sampled_from([b"X-Folded", b"Content-Length", b"Transfer-Encoding", b"Host"]))
    return raw.with_field(name, b"a" + fold + b"b", _spot(draw, raw)).encode()


def _space_before_colon(draw: st.DrawFn, raw: _RawRequest) -> bytes:
    name = draw(st.sampled_from([b"Content-Length", b"Transfer-Encoding", b"Host", b"X-A"]))
    gap = draw(st.sampled_from([b" ", b"\t", b"\x0b"]))
    value = b"chunked" if name == b"Transfer-Encoding" else b"%d" % len(raw.body)
    return raw.with_field(name + gap, value, _spot(draw, raw)).encode()


def _control_in_value(draw: st.DrawFn, raw: _RawRequest) -> bytes:
    control = bytes([draw(st.sampled_from([0x00, 0x01, 0x08, 0x0B, 0x0C, 0x1F, 0x7F]))])
    name = draw(st.sampled_from([b"X-A", b"Host", b"Content-Length"]))
    value = draw(st.sampled_from([b"a%sb", b"%sa", b"a%s"])) % control
    return raw.with_field(name, value, _spot(draw, raw)).encode()


def _bad_field_name(draw: st.DrawFn, raw: _RawRequest) -> bytes:
    name = draw(st.sampled_from([b"", b"X@Y", b"X Y", b"\x80X", b"X\x00", b"(X)", b'"X"']))
    return raw.with_field(name, b"v", _spot(draw, raw)).encode()


def _target_form(draw: st.DrawFn, raw: _RawRequest) -> bytes:
    target = draw(
        st.sampled_from(
            [
                b"http://example.com/a?b",
                b"HTTPS://Example.COM",
                b"example.com:443",
                b"*",
                b"a/b",
                b"//a/b",
                b"/a\x7fb",
                b"/\xff",
                b"/a#frag",
            ]
        )
    )
    return replace(raw, target=target).encode()


def _version(draw: st.DrawFn, raw: _RawRequest) -> bytes:
    version = draw(
        st.sampled_from(
            [
                b"HTTP/1.0",
                b"HTTP/1.2",
                b"HTTP/2.0",
                b"HTTP/0.9",
                b"http/1.1",
                b"HTTP/1.1 ",
                b"HTTP/11",
            ]
        )
    )
    return replace(raw, version=version).encode()


def _http10_keep_alive(draw: st.DrawFn, raw: _RawRequest) -> bytes:
    mutated = replace(raw, version=b"HTTP/1.0")
    return mutated.with_field(b"Connection", b"keep-alive", _spot(draw, raw)).encode() * 2


def _host(draw: st.DrawFn, raw: _RawRequest) -> bytes:
    mutated = replace(raw, fields=tuple(f for f in raw.fields if f[0].lower() != b"host"))
    hosts = draw(
        st.sampled_from(
            [(), (b"a b",), (b"user@host",), (b"h/x",), (b"example.com", b"other.example")]
        )
    )
    for value in hosts:
        mutated = mutated.with_field(b"Host", value, _spot(draw, mutated))
    return mutated.encode()


def _exchange_fields(draw: st.DrawFn, raw: _RawRequest) -> bytes:
    name, value = draw(
        st.sampled_from(
            [
                (b"Upgrade", b"websocket"),
                (b"Upgrade", b"h2c"),
                (b"Connection", b"upgrade"),
                (b"Connection", b"keep-alive, close"),
                (b"Connection", b"Upgrade, HTTP2-Settings"),
                (b"Expect", b"100-continue"),
                (b"Expect", b"x"),
                (b"HTTP2-Settings", b"AAMAAABkAAQAAP__"),
                (b"TE", b"trailers"),
                (b"TE", b"gzip"),
                (b"Keep-Alive", b"timeout=5"),
            ]
        )
    )
    return raw.with_field(name, value, _spot(draw, raw)).encode()


def _request_line(draw: st.DrawFn, raw: _RawRequest) -> bytes:
    line = b"%s %s %s" % (raw.method, raw.target, raw.version)
    spoiled = draw(
        st.sampled_from(
            [
                line.replace(b" ", b"  ", 1),
                line.replace(b" ", b"\t"),
                b" " + line,
                b"\r\n" + line,
                line.lower(),
                b"G@T" + line[line.index(b" ") :],
                b"CONNECT example.com:443 HTTP/1.1",
                line + b" extra",
            ]
        )
    )
    return raw.encode().replace(line, spoiled, 1)


def _truncated(draw: st.DrawFn, raw: _RawRequest) -> bytes:
    data = raw.encode()
    return data[: draw(st.integers(0, len(data)))]


def _byte_flip(draw: st.DrawFn, raw: _RawRequest) -> bytes:
    data = bytearray(raw.encode())
    data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


#: The near misses :func:`mutated_request_bytes` draws from, by name.
MUTATIONS: dict[str, _Mutation] = {
    "content-length and transfer-encoding": _length_and_encoding,
    "transfer-encoding": _transfer_encoding,
    "duplicate content-length": _duplicate_length,
    "malformed content-length": _malformed_length,
    "bare LF or CR in a line ending": _bare_lf,
    "bare LF or CR line endings": _bare_lines,
    "obs-fold": _obs_fold,
    "whitespace before the colon": _space_before_colon,
    "control in a value": _control_in_value,
    "bad field name": _bad_field_name,
    "other target form": _target_form,
    "other version": _version,
    "HTTP/1.0 keep-alive": _http10_keep_alive,
    "missing, duplicate or bad Host": _host,
    "upgrade, expect and other exchange fields": _exchange_fields,
    "malformed request line": _request_line,
    "truncated": _truncated,
    "byte changed": _byte_flip,
}


def mutated_request_bytes(
    mutations: Iterable[str] | None = None, *, max_body: int = 16
) -> st.SearchStrategy[bytes]:
    """Requests from :func:`request_bytes` with one near miss applied.

    Some results are still valid requests (a changed byte may land in a
    value, ``TE: trailers`` is fine); a parser is expected to refuse them or
    read them exactly as another conforming parser does.

    Args:
        mutations: Names from :data:`MUTATIONS` to draw from; all by default.
        max_body: The largest body of the request before it is mutated.

    Raises:
        KeyError: an unknown mutation name.
    """
    chosen = [MUTATIONS[name] for name in (MUTATIONS if mutations is None else mutations)]

    @st.composite
    def mutated(draw: st.DrawFn) -> bytes:
        raw = draw(_raw_requests(max_body=max_body))
        return draw(st.sampled_from(chosen))(draw, raw)

    return mutated()


# ---------------------------------------------------------------------------
# HTTP/2 frames
# ---------------------------------------------------------------------------

#: RFC 9113 section 6: frame type -> payloads of the size its layout allows,
#: for the frames a client may send (HEADERS apart: they carry HPACK).
_H2_PAYLOADS: dict[int, st.SearchStrategy[bytes]] = {
    0x0: st.binary(max_size=64),  # DATA
    0x2: st.binary(min_size=5, max_size=5),  # PRIORITY
    0x3: st.binary(min_size=4, max_size=4),  # RST_STREAM
    0x4: st.lists(st.binary(min_size=6, max_size=6), max_size=4).map(b"".join),  # SETTINGS
    0x6: st.binary(min_size=8, max_size=8),  # PING
    0x7: st.binary(min_size=8, max_size=24),  # GOAWAY
    0x8: st.binary(min_size=4, max_size=4),  # WINDOW_UPDATE
    0x9: st.binary(max_size=32),  # CONTINUATION
    0xFF: st.binary(max_size=16),  # an unknown type, to be ignored (section 5.5)
}


def _h2_frame(kind: int, flags: int, stream_id: int, payload: bytes) -> bytes:
    """A frame: 24-bit length, type, flags, 31-bit stream id, payload (section 4.1)."""
    return (
        len(payload).to_bytes(3, "big")
        + bytes((kind, flags))
        + stream_id.to_bytes(4, "big")
        + payload
    )


@st.composite
def _h2_headers(draw: st.DrawFn) -> bytes:
    """A HEADERS frame with a request head, HPACK-encoded (RFC 7541)."""
    request = draw(requests())
    fields = [
        (b":method", request.method),
        (b":scheme", request.scheme),
        (b":authority", request.authority),
        (b":path", request.target),
        *request.headers,
    ]
    block = hpack.Encoder().encode(fields)
    flags = draw(st.sampled_from([0x4, 0x5]))  # END_HEADERS, maybe END_STREAM
    return _h2_frame(0x1, flags, draw(st.integers(0, 15)) * 2 + 1, block)


def h2_frames() -> st.SearchStrategy[bytes]:
    """HTTP/2 frames a client may send, each with a well-formed layout.

    The length field matches the payload, fixed-size payloads have their size,
    SETTINGS a multiple of 6; flags and stream identifiers are drawn freely
    (stream 0, even streams, odd ones), so that a connection must check them.
    HEADERS frames carry an HPACK-encoded request from :func:`requests`.
    """
    framed = st.sampled_from(sorted(_H2_PAYLOADS)).flatmap(
        lambda kind: st.builds(
            _h2_frame,
            st.just(kind),
            st.integers(0, 255),
            st.integers(0, 7),
            _H2_PAYLOADS[kind],
        )
    )
    return framed | _h2_headers()


def h2_client_bytes(*, max_frames: int = 6) -> st.SearchStrategy[bytes]:
    """What an HTTP/2 client sends: the preface, SETTINGS, then :func:`h2_frames`."""
    return st.lists(h2_frames(), max_size=max_frames).map(
        lambda frames: PREFACE + _h2_frame(0x4, 0, 0, b"") + b"".join(frames)
    )
