"""One event vocabulary for HTTP/1.1 and HTTP/2, for clients and servers.

Every event is a frozen, slotted dataclass that checks its fields in the
constructor and raises :class:`~wire.errors.LocalProtocolError` when they are
wrong, so the same classes are sent and received and an invalid event never
reaches a machine. Header names are lowercased by the constructor (both
versions compare them case-insensitively, and HTTP/2 sends them lowercase).

An exchange is identified by ``stream_id``: the HTTP/2 stream identifier, or in
HTTP/1.1 the exchange's sequence number on the connection (1, 2, 3, ...), so
application code never asks which version it runs on.

What a message is made of, in order (:mod:`wire.http._state` holds the table)::

    request:   Request  Data*  [Trailers]  EndOfMessage
    response:  InformationalResponse*  (Response Data* [Trailers] EndOfMessage
                                        | ProtocolSwitch Data* EndOfMessage)

Header fields that describe one hop rather than the message (``connection``,
``keep-alive``, ``proxy-connection``, ``transfer-encoding``, ``upgrade``,
``http2-settings``) never appear in events: the machines generate and consume
them. ``host`` is :attr:`Request.authority`, and an upgrade token or RFC 8441
``:protocol`` is :attr:`Request.protocol`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, TypeAlias

from wire.errors import LocalProtocolError, RemoteProtocolError

__all__ = [
    "ConnectionClosed",
    "Data",
    "EndOfMessage",
    "Event",
    "GoAway",
    "Header",
    "Headers",
    "InformationalResponse",
    "MAX_STREAM_ID",
    "ProtocolSwitch",
    "Request",
    "Response",
    "StreamReset",
    "Trailers",
]

Header: TypeAlias = tuple[bytes, bytes]
Headers: TypeAlias = tuple[Header, ...]

#: The largest stream identifier (RFC 9113 section 5.1.1: 31 bits).
MAX_STREAM_ID: Final = 2**31 - 1
_MAX_CODE: Final = 2**32 - 1
#: Padding adds at most 256 octets to a DATA frame's flow-controlled length.
_MAX_PADDING: Final = 256
#: RFC 9110 section 8.6: 1*DIGIT; 19 digits keep it below 2**63.
_MAX_LENGTH_DIGITS: Final = 19

# RFC 9110 section 5.1 (token) and 5.5 (field-value without surrounding whitespace).
_TOKEN: Final = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FIELD_VALUE: Final = re.compile(rb"(?:[\x21-\x7e\x80-\xff](?:[ \t]*[\x21-\x7e\x80-\xff])*)?")
# RFC 3986 section 3.2.2/3.2.3 (host and port; no userinfo, RFC 9110 section 4.2.4).
_AUTHORITY: Final = re.compile(rb"[A-Za-z0-9\-._~%!$&'()*+,;=:\[\]]*")
_SCHEME: Final = re.compile(rb"[a-z][a-z0-9+\-.]*")
# A request-target has no whitespace or control characters (RFC 9112 section 3.2).
_TARGET: Final = re.compile(rb"[\x21-\x7e\x80-\xff]+")
_DIGITS: Final = re.compile(rb"[0-9]+")

#: Hop-by-hop fields the machines own (RFC 9110 section 7.6.1, RFC 9113 section 8.2.2).
CONNECTION_FIELDS: Final = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"transfer-encoding",
        b"upgrade",
        b"http2-settings",
        b"host",
    }
)


def _check_stream_id(value: object) -> None:
    if type(value) is not int or not 1 <= value <= MAX_STREAM_ID:
        raise LocalProtocolError(f"stream_id must be an int in 1..{MAX_STREAM_ID}, got {value!r}")


def _check_bytes(name: str, value: object) -> bytes:
    if type(value) is not bytes:
        raise LocalProtocolError(f"{name} must be bytes, got {type(value).__name__}")
    return value


def _check_code(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= _MAX_CODE:
        raise LocalProtocolError(f"{name} must be an int in 0..{_MAX_CODE}, got {value!r}")


def _check_headers(obj: object, value: object, *, trailers: bool = False) -> None:
    """Validate ``value`` and store it as a tuple with lowercase names."""
    if isinstance(value, bytes | str) or not hasattr(value, "__iter__"):
        raise LocalProtocolError("headers must be a sequence of (name, value) pairs")
    out: list[Header] = []
    lengths: set[bytes] = set()
    for field in value:
        if type(field) is not tuple or len(field) != 2:
            raise LocalProtocolError("each header must be a (name, value) tuple of bytes")
        name = _check_bytes("header name", field[0]).lower()
        data = _check_bytes("header value", field[1])
        if _TOKEN.fullmatch(name) is None:
            raise LocalProtocolError(f"invalid header name {name[:64]!r}")
        if _FIELD_VALUE.fullmatch(data) is None:
            raise LocalProtocolError(f"invalid value for header {name[:64]!r}")
        if name in CONNECTION_FIELDS:
            raise LocalProtocolError(f"{name.decode()} is managed by the connection machine")
        if name == b"te" and data.lower() != b"trailers":
            # RFC 9113 section 8.2.2: the only TE value that crosses versions.
            raise LocalProtocolError('te may only be "trailers"')
        if name == b"content-length":
            if trailers:
                raise LocalProtocolError("content-length is not a trailer field")
            if _DIGITS.fullmatch(data) is None or len(data) > _MAX_LENGTH_DIGITS:
                raise LocalProtocolError(f"invalid content-length {data[:32]!r}")
            lengths.add(data.lstrip(b"0") or b"0")
        out.append((name, data))
    if len(lengths) > 1:
        raise LocalProtocolError("conflicting content-length headers")
    object.__setattr__(obj, "headers", tuple(out))


def content_length(headers: Headers) -> int | None:
    """The declared body length, or ``None`` (headers come from a valid event)."""
    for name, value in headers:
        if name == b"content-length":
            return int(value)
    return None


@dataclass(frozen=True, slots=True)
class Request:
    """A request head.

    Attributes:
        method: The method token, case-sensitive (``b"GET"``).
        target: ``:path``: origin-form (``b"/p?q"``), ``b"*"`` for a server-wide
            OPTIONS, or, for CONNECT without ``protocol``, the authority (which
            must equal ``authority``). An absolute-form HTTP/1.1 target is
            split into ``scheme``, ``authority`` and ``target`` on receipt.
        authority: ``:authority`` or ``Host`` (``b""`` when a peer sent none).
        scheme: ``:scheme`` (HTTP/1.1: the connection's, given to the machine).
        headers: The header fields, names lowercase.
        stream_id: The HTTP/2 stream, or the HTTP/1.1 exchange number.
        protocol: The protocol the client asks to switch to: RFC 8441
            ``:protocol`` (extended CONNECT) or the HTTP/1.1 ``Upgrade`` value.
    """

    method: bytes
    target: bytes
    authority: bytes
    scheme: bytes = b"http"
    headers: Headers = ()
    stream_id: int = 1
    protocol: bytes | None = None

    def __post_init__(self) -> None:
        if _TOKEN.fullmatch(_check_bytes("method", self.method)) is None:
            raise LocalProtocolError(f"invalid method {self.method[:32]!r}")
        target = _check_bytes("target", self.target)
        if _TARGET.fullmatch(target) is None:
            raise LocalProtocolError(f"invalid target {target[:64]!r}")
        if _AUTHORITY.fullmatch(_check_bytes("authority", self.authority)) is None:
            raise LocalProtocolError(f"invalid authority {self.authority[:64]!r}")
        if _SCHEME.fullmatch(_check_bytes("scheme", self.scheme)) is None:
            raise LocalProtocolError(f"invalid scheme {self.scheme[:32]!r}")
        _check_headers(self, self.headers)
        _check_stream_id(self.stream_id)
        if (
            self.protocol is not None
            and _TOKEN.fullmatch(_check_bytes("protocol", self.protocol)) is None
        ):
            raise LocalProtocolError(f"invalid protocol {self.protocol[:32]!r}")
        if self.method == b"CONNECT" and self.protocol is None:
            if not self.authority or target != self.authority:
                raise LocalProtocolError("a CONNECT target is its authority")
        elif target == b"*":
            if self.method != b"OPTIONS":
                raise LocalProtocolError('only OPTIONS may target "*"')
        elif not target.startswith(b"/"):
            raise LocalProtocolError("the target must be origin-form (start with /)")


@dataclass(frozen=True, slots=True)
class InformationalResponse:
    """An interim 1xx response head other than 101 (e.g. 100 Continue, 103)."""

    status: int
    headers: Headers = ()
    stream_id: int = 1

    def __post_init__(self) -> None:
        if type(self.status) is not int or not 100 <= self.status <= 199 or self.status == 101:
            raise LocalProtocolError(f"an informational status is 1xx but not 101: {self.status!r}")
        _check_headers(self, self.headers)
        _check_stream_id(self.stream_id)


@dataclass(frozen=True, slots=True)
class Response:
    """A final response head (status 200..599)."""

    status: int
    headers: Headers = ()
    stream_id: int = 1

    def __post_init__(self) -> None:
        if type(self.status) is not int or not 200 <= self.status <= 599:
            raise LocalProtocolError(f"a final status is in 200..599, got {self.status!r}")
        _check_headers(self, self.headers)
        _check_stream_id(self.stream_id)


@dataclass(frozen=True, slots=True)
class Data:
    """A piece of a message body, or of a tunnel after :class:`ProtocolSwitch`.

    ``flow_controlled_length`` is what the receiver gives back to the peer by
    calling ``acknowledge_data(stream_id, flow_controlled_length)`` once the
    data is consumed: ``len(data)`` plus any HTTP/2 padding. It defaults to
    ``len(data)``; when sending, padding is the machine's business.
    """

    stream_id: int
    data: bytes
    flow_controlled_length: int | None = None

    def __post_init__(self) -> None:
        _check_stream_id(self.stream_id)
        size = len(_check_bytes("data", self.data))
        length = self.flow_controlled_length
        if length is None:
            object.__setattr__(self, "flow_controlled_length", size)
        elif type(length) is not int or not size <= length <= size + _MAX_PADDING:
            raise LocalProtocolError("flow_controlled_length is len(data) plus 0..256 of padding")


@dataclass(frozen=True, slots=True)
class Trailers:
    """Trailer fields (at least one); always followed by :class:`EndOfMessage`."""

    stream_id: int
    headers: Headers

    def __post_init__(self) -> None:
        _check_stream_id(self.stream_id)
        _check_headers(self, self.headers, trailers=True)
        if not self.headers:
            # Neither version sends an empty trailer section: end the message.
            raise LocalProtocolError("trailers need at least one field")


@dataclass(frozen=True, slots=True)
class EndOfMessage:
    """The message is complete (after a switch: that side of the tunnel is closed)."""

    stream_id: int

    def __post_init__(self) -> None:
        _check_stream_id(self.stream_id)


@dataclass(frozen=True, slots=True)
class ProtocolSwitch:
    """The exchange stops being HTTP.

    A server sends it to accept a request that asked for a protocol (HTTP/1.1
    ``Upgrade``: 101; extended CONNECT or CONNECT: 200); a client receives it.
    From then on :class:`Data` carries the new protocol's bytes both ways and
    :class:`EndOfMessage` closes a direction.

    ``protocol == b"h2c"`` is different: the connection itself upgraded to
    HTTP/2 (RFC 7540 section 3.2) and the exchange goes on as HTTP on stream 1;
    applications may ignore it.
    """

    stream_id: int
    protocol: bytes | None
    headers: Headers = ()

    def __post_init__(self) -> None:
        _check_stream_id(self.stream_id)
        if (
            self.protocol is not None
            and _TOKEN.fullmatch(_check_bytes("protocol", self.protocol)) is None
        ):
            raise LocalProtocolError(f"invalid protocol {self.protocol[:32]!r}")
        _check_headers(self, self.headers)


@dataclass(frozen=True, slots=True)
class StreamReset:
    """The exchange was abandoned.

    Received: the peer reset the stream (``error`` is ``None``), the peer's
    GOAWAY left it unprocessed (``REFUSED_STREAM``: safe to retry), or the
    machine reset it because the peer broke a rule of the stream (``error``
    says which; the peer was told ``error_code``). Sent: abandon the exchange
    (HTTP/2 RST_STREAM; HTTP/1.1 has no such thing and closes the connection).
    """

    stream_id: int
    error_code: int = 0x8  # CANCEL
    error: RemoteProtocolError | None = None

    def __post_init__(self) -> None:
        _check_stream_id(self.stream_id)
        _check_code("error_code", self.error_code)
        if self.error is not None and not isinstance(self.error, RemoteProtocolError):
            raise LocalProtocolError("error must be a RemoteProtocolError")


@dataclass(frozen=True, slots=True)
class GoAway:
    """No new exchanges on this connection; those at or below ``last_stream_id`` go on.

    Received: the peer is shutting down (HTTP/2 GOAWAY with NO_ERROR, or an
    HTTP/1.1 ``Connection: close``). Sent: shut down gracefully; the machine
    picks ``last_stream_id``, lets the exchanges in flight finish (or the drain
    timeout pass), then closes and reports :class:`ConnectionClosed`.
    """

    error_code: int = 0
    last_stream_id: int | None = None
    message: str = ""

    def __post_init__(self) -> None:
        _check_code("error_code", self.error_code)
        if self.last_stream_id is not None and (
            type(self.last_stream_id) is not int or not 0 <= self.last_stream_id <= MAX_STREAM_ID
        ):
            raise LocalProtocolError("last_stream_id must be an int in 0..2**31-1")
        if type(self.message) is not str:
            raise LocalProtocolError("message must be a str")


@dataclass(frozen=True, slots=True)
class ConnectionClosed:
    """The connection is over; every exchange not finished is abandoned.

    Received (terminal, reported once): the peer closed, sent GOAWAY with an
    error, or broke a rule (``error`` says which and ``error_code`` is what it
    was told: an HTTP/2 error code, or the HTTP/1.1 status of the error
    response). Sent: close now; HTTP/2 sends GOAWAY with ``error_code``.
    """

    error_code: int | None = None
    last_stream_id: int | None = None
    message: str = ""
    error: RemoteProtocolError | None = None

    def __post_init__(self) -> None:
        if self.error_code is not None:
            _check_code("error_code", self.error_code)
        if self.last_stream_id is not None and (
            type(self.last_stream_id) is not int or not 0 <= self.last_stream_id <= MAX_STREAM_ID
        ):
            raise LocalProtocolError("last_stream_id must be an int in 0..2**31-1")
        if type(self.message) is not str:
            raise LocalProtocolError("message must be a str")
        if self.error is not None and not isinstance(self.error, RemoteProtocolError):
            raise LocalProtocolError("error must be a RemoteProtocolError")


Event: TypeAlias = (
    Request
    | InformationalResponse
    | Response
    | Data
    | Trailers
    | EndOfMessage
    | ProtocolSwitch
    | StreamReset
    | GoAway
    | ConnectionClosed
)
