"""The HTTP client on Trio: a thin driver around :class:`wire.http.HTTPConnection`.

::

    async with Client() as client:
        response = await client.get("https://example.test/items")
        response.status, response.headers.get("content-type"), response.content

        async with client.stream("POST", url, content=chunks(), trailers={"x-sum": "1"}) as r:
            async for chunk in r.iter_bytes():
                ...
            r.trailers

        # Full duplex (HTTP/2): what gRPC streaming calls are built on.
        async with client.open_stream("POST", url, headers=...) as exchange:
            await exchange.send_data(b"...")
            head = await exchange.receive_response()
            async for chunk in exchange.iter_data():
                await exchange.send_data(b"more")
            await exchange.end()

Connections are pooled per origin (scheme, host, port). HTTP/1.1 connections
carry one exchange at a time and are kept alive for the next one, up to
``max_connections_per_origin`` of them; an HTTP/2 connection carries every
exchange of its origin at once, up to the server's
SETTINGS_MAX_CONCURRENT_STREAMS (more requests wait for a stream to end).
Which version is spoken is the client's ``http_version``:

- ``"auto"``: over TLS, ALPN offers ``h2`` then ``http/1.1``; cleartext is
  HTTP/1.1;
- ``"1.1"``: HTTP/1.1 only;
- ``"2"``: HTTP/2 only: prior knowledge on cleartext (RFC 9113 section 3.3),
  ALPN ``h2`` required over TLS;
- ``"h2c-upgrade"``: on cleartext, the first request of a connection offers
  ``Upgrade: h2c`` (RFC 7540 section 3.2); a request with a body would hold
  the connection until it is all sent, so such a connection upgrades with
  ``OPTIONS *`` first, as that section suggests. Over TLS it is ``"auto"``.

Each connection has one reader task (receive, feed the machine, dispatch its
events to the exchanges), one writer task (the only one that writes, so a
cancelled request never cuts a write in half) and one timer task, all in a
nursery the client owns. Flow control follows the caller: received body
octets are acknowledged to the machine only as the caller consumes them, so
HTTP/2 window updates and HTTP/1.1 reads stop while a consumer is slow
(buffered octets stay below the stream window, or the HTTP/1.1 read window
plus one read). Request bodies wait for the peer's window the same way.

Cancelling a request (or its timeout) abandons that exchange only: on HTTP/2
the stream is reset with CANCEL; on HTTP/1.1, which cannot abandon an
exchange, the connection is closed. A request whose connection turns out to
be gone is retried on a fresh one when that is safe (see :meth:`Client.stream`).
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import enum
import itertools
import json as jsonlib
import logging
import math
import ssl
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Final, Literal, NamedTuple, TypeAlias
from urllib.parse import quote, urlsplit

import trio

from wire.errors import LocalProtocolError, RemoteProtocolError
from wire.http import ConnectionClosed as _ClosedEvent
from wire.http import (
    ConnectionState,
    Data,
    EndOfMessage,
    Event,
    GoAway,
    H1Config,
    H2Config,
    H2ErrorCode,
    HTTPConnection,
    InformationalResponse,
    ProtocolSwitch,
    Request,
    Role,
    Trailers,
)
from wire.http import Response as _ResponseEvent
from wire.http import StreamReset as _ResetEvent

__all__ = [
    "DEFAULT",
    "Client",
    "ClientClosed",
    "ClientError",
    "ConnectError",
    "ConnectTimeout",
    "ConnectionLost",
    "Exchange",
    "Fields",
    "HTTPVersion",
    "InvalidURL",
    "PoolTimeout",
    "ProtocolError",
    "ReadTimeout",
    "Response",
    "ResponseHead",
    "ResponseTooLarge",
    "StreamReset",
    "StreamingResponse",
    "Timeout",
    "WriteTimeout",
]

log = logging.getLogger("wire.http.client")

HTTPVersion: TypeAlias = Literal["auto", "1.1", "2", "h2c-upgrade"]
HeaderInput: TypeAlias = (
    "Mapping[str, str | bytes] | Mapping[bytes, str | bytes]"
    " | Iterable[tuple[str | bytes, str | bytes]] | None"
)
Content: TypeAlias = "bytes | bytearray | memoryview | str | AsyncIterable[bytes] | None"

#: Octets asked of the kernel per read. What HTTP/1.1 buffers for a slow
#: consumer is the machine's read window plus at most one read.
READ_SIZE: Final = 64 * 1024
#: A request body waits while the machine holds more than this for its stream
#: (HTTP/2: octets waiting for the peer's window), as the server does.
SEND_HIGH_WATER: Final = 64 * 1024
#: Default cap on a response body read into memory (:meth:`Client.request`):
#: a bound on memory per call; :meth:`Client.stream` reads larger bodies.
DEFAULT_MAX_RESPONSE_SIZE: Final = 16 * 1024 * 1024
#: Default cap on connections per origin: HTTP/1.1 parallelism (browsers
#: use 6) with room for bursts, while bounding sockets per server.
DEFAULT_MAX_CONNECTIONS: Final = 10
#: Default seconds to open a connection (TCP and TLS handshake).
DEFAULT_CONNECT_TIMEOUT: Final = 10.0
#: Default seconds any single wait for the peer may last (a response head, a
#: body chunk, window to send): a dead peer is noticed, a slow stream is not cut.
DEFAULT_READ_TIMEOUT: Final = 30.0
#: Default seconds an idle pooled connection is kept: below common server
#: idle timeouts (ours 60, nginx 75), so we close first and rarely race them.
DEFAULT_KEEPALIVE_EXPIRY: Final = 30.0
#: Default number of transparent retries of a request the server provably did
#: not process (or an idempotent one whose kept-alive connection was gone).
DEFAULT_MAX_RETRIES: Final = 2
#: Seconds :meth:`Client.aclose` lets connections say goodbye before closing them.
CLOSE_TIMEOUT: Final = 1.0

_NO_ERROR: Final = int(H2ErrorCode.NO_ERROR)
_REFUSED_STREAM: Final = int(H2ErrorCode.REFUSED_STREAM)
_CANCEL: Final = int(H2ErrorCode.CANCEL)
#: RFC 9110 section 9.2.2: methods a client may retry on its own.
_IDEMPOTENT: Final = frozenset({b"GET", b"HEAD", b"OPTIONS", b"TRACE", b"PUT", b"DELETE"})
#: Methods that define a meaning for content: they get Content-Length even
#: when empty (RFC 9110 section 8.6).
_CONTENT_METHODS: Final = frozenset({b"POST", b"PUT", b"PATCH"})
_BROKEN: Final = (trio.BrokenResourceError, trio.ClosedResourceError)
_VERSIONS: Final = ("auto", "1.1", "2", "h2c-upgrade")
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


class _Default(enum.Enum):
    DEFAULT = "default"


#: The client's own setting, for per-request ``timeout``.
DEFAULT: Final = _Default.DEFAULT


# ----------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------


class ClientError(Exception):
    """Base of the errors this client raises.

    Hierarchy::

        ClientError
        ├── InvalidURL (also ValueError)
        ├── ClientClosed
        ├── ConnectError
        │   └── ConnectTimeout (also Timeout)
        ├── Timeout (also TimeoutError)
        │   ├── ConnectTimeout, PoolTimeout, ReadTimeout, WriteTimeout
        ├── ProtocolError       the server broke HTTP (``error`` is the wire-level cause)
        ├── StreamReset         the exchange was reset (``error_code``, ``retry_safe``)
        ├── ConnectionLost      the connection ended first (``retry_safe``)
        └── ResponseTooLarge
    """


class InvalidURL(ClientError, ValueError):
    """The URL is not an absolute ``http`` or ``https`` URL."""


class ClientClosed(ClientError):
    """The client is not open: never entered, or closed."""


class ConnectError(ClientError):
    """No connection could be made: refused, unreachable, TLS or ALPN failed."""


class Timeout(ClientError, TimeoutError):
    """A time limit passed; the exchange was abandoned."""


class ConnectTimeout(Timeout, ConnectError):
    """Opening the connection took longer than ``connect_timeout``."""


class PoolTimeout(Timeout):
    """The deadline passed while waiting for a connection or a stream to free up."""


class ReadTimeout(Timeout):
    """The peer sent nothing for the exchange within ``read_timeout``."""


class WriteTimeout(Timeout):
    """The peer took none of the request body within ``read_timeout``."""


class ProtocolError(ClientError):
    """The server broke the rules of HTTP.

    Attributes:
        error: The wire-level cause (:class:`wire.http.HTTPRemoteError`).
        code: What the machine told the server: an HTTP/2 error code, or for
            HTTP/1.1 the status of the problem (the connection was closed).
    """

    def __init__(self, message: str, error: RemoteProtocolError | None = None) -> None:
        super().__init__(message)
        self.error = error
        self.code = None if error is None else error.code


class StreamReset(ClientError):
    """The exchange was reset (HTTP/2 RST_STREAM, or unprocessed after GOAWAY).

    Attributes:
        error_code: The HTTP/2 error code (:class:`wire.http.H2ErrorCode`).
        retry_safe: The server did not process the request (REFUSED_STREAM,
            RFC 9113 section 8.7): sending it again is safe.
    """

    def __init__(self, message: str, error_code: int, *, retry_safe: bool = False) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.retry_safe = retry_safe


class ConnectionLost(ClientError):
    """The connection ended before the exchange did.

    Attributes:
        retry_safe: Sending the request again is safe: HTTP/2 said it was not
            processed (above GOAWAY's last stream id), or an idempotent
            HTTP/1.1 request got no answer on a kept-alive connection the
            server closed (RFC 9110 section 9.2.2).
    """

    def __init__(self, message: str, *, retry_safe: bool = False) -> None:
        super().__init__(message)
        self.retry_safe = retry_safe


class ResponseTooLarge(ClientError):
    """The response body is larger than ``max_response_size``."""


# ----------------------------------------------------------------------------
# What the caller gets
# ----------------------------------------------------------------------------


class Fields(tuple[tuple[bytes, bytes], ...]):
    """Header or trailer fields as received: ``(name, value)`` pairs of bytes.

    Names are lowercase. It is a tuple of the raw pairs, in order, with
    case-insensitive lookups on top.
    """

    __slots__ = ()

    def get(self, name: str | bytes, default: bytes | None = None) -> bytes | None:
        """The value of the first field called ``name``, or ``default``."""
        key = _field_name(name)
        for field, value in self:
            if field == key:
                return value
        return default

    def get_all(self, name: str | bytes) -> list[bytes]:
        """The values of every field called ``name``, in order."""
        key = _field_name(name)
        return [value for field, value in self if field == key]


@dataclass(frozen=True, slots=True)
class ResponseHead:
    """A response head (final, or informational 1xx).

    Attributes:
        status: The status code.
        headers: The header fields.
        http_version: ``"1.1"`` or ``"2"``: the version it came over.
    """

    status: int
    headers: Fields
    http_version: str


@dataclass(frozen=True, slots=True)
class Response:
    """A complete response, as :meth:`Client.request` returns it.

    Attributes:
        status: The status code.
        headers: The header fields.
        content: The body (at most the client's ``max_response_size``).
        trailers: The trailer fields (empty when there were none).
        http_version: ``"1.1"`` or ``"2"``.
    """

    status: int
    headers: Fields
    content: bytes
    trailers: Fields
    http_version: str

    @property
    def text(self) -> str:
        """The body decoded with the ``charset`` of ``Content-Type`` (UTF-8 by default)."""
        return self.content.decode(_charset(self.headers), "replace")

    def json(self) -> Any:
        """The body parsed as JSON."""
        return jsonlib.loads(self.content)


class Exchange:
    """One request and its response: an HTTP/2 stream, or an HTTP/1.1 exchange.

    Made by :meth:`Client.open_stream` (and used under :meth:`Client.stream`).
    On HTTP/2 both directions are independent: the request body may still be
    going out while the response comes in. Every wait is bounded by the
    client's ``read_timeout`` and the request's deadline.

    Attributes:
        stream_id: The HTTP/2 stream id, or the exchange's number on its
            HTTP/1.1 connection.
        http_version: ``"1.1"`` or ``"2"``, of the connection when it started.
        informational: The 1xx heads received before the response.
    """

    def __init__(
        self, connection: _Connection, stream_id: int, method: bytes, deadline: float
    ) -> None:
        self._connection = connection
        self.stream_id = stream_id
        self.http_version = connection.http_version
        self._method = method
        self._deadline = deadline
        self._reused = connection.requests > 0
        self.informational: list[ResponseHead] = []
        self._response: ResponseHead | None = None
        self._chunks: deque[Data] = deque()
        self._buffered = 0
        self._trailers = Fields()
        self._request_ended = False
        self._response_ended = False
        #: The server answered in full, then asked us to stop sending
        #: (RST_STREAM NO_ERROR, RFC 9113 section 8.1).
        self._aborted = False
        self._error: BaseException | None = None
        self._changed = trio.Event()
        self._sender: trio.CancelScope | None = None
        self._released = False

    # -- state --------------------------------------------------------------------

    @property
    def response(self) -> ResponseHead | None:
        """The final response head, once received."""
        return self._response

    @property
    def trailers(self) -> Fields:
        """The response trailers (empty until the body has ended, or if none came)."""
        return self._trailers

    @property
    def request_ended(self) -> bool:
        """The request is complete on our side (or the server no longer wants it)."""
        return self._request_ended or self._aborted

    @property
    def response_ended(self) -> bool:
        """The whole response has been received (it may not all be read yet)."""
        return self._response_ended

    @property
    def buffered(self) -> int:
        """Body octets received and not yet read by the caller."""
        return self._buffered

    # -- sending ------------------------------------------------------------------

    async def send_data(self, data: bytes | bytearray | memoryview) -> None:
        """Send a piece of the request body.

        Returns once the connection has taken it: written (HTTP/1.1), or
        within what the peer's window and :data:`SEND_HIGH_WATER` allow
        (HTTP/2). If the server has already answered and asked us to stop
        (RST_STREAM NO_ERROR), the data is dropped.

        Raises:
            LocalProtocolError: the request has ended, or the data breaks its
                framing (more than a declared content-length).
            ClientError: the exchange failed (reset, connection lost, timeout).
        """
        self._check_sending()
        if data and not self._aborted:
            self._connection.send(Data(self.stream_id, bytes(data)))
            await self._drain()

    async def send_trailers(self, trailers: HeaderInput) -> None:
        """End the request with trailer fields (HTTP/2, or a chunked HTTP/1.1 body).

        Raises:
            LocalProtocolError: as :meth:`send_data`; also HTTP/1.1 with a
                Content-Length, which has no room for trailers.
        """
        self._check_sending()
        fields = tuple(_encode_fields(trailers))
        if fields and not self._aborted:
            self._connection.send(Trailers(self.stream_id, fields))
        await self.end()

    async def end(self) -> None:
        """End the request (its body, if any, is complete).

        Raises:
            LocalProtocolError: the request has already ended, or is shorter
                than its declared content-length.
        """
        self._check_sending()
        if not self._aborted:
            self._connection.send(EndOfMessage(self.stream_id))
        self._request_ended = True
        if not self._aborted:
            await self._drain()

    def reset(self, error_code: int = _CANCEL) -> None:
        """Abandon the exchange: RST_STREAM on HTTP/2; HTTP/1.1 closes the connection.

        Later calls raise :class:`StreamReset` with ``error_code``.
        """
        self._fail(StreamReset("reset by the client", error_code))
        self._abandon(error_code)

    # -- receiving ----------------------------------------------------------------

    async def receive_response(self) -> ResponseHead:
        """Wait for the final response head (1xx heads go to :attr:`informational`).

        Raises:
            ClientError: the exchange failed first (:class:`StreamReset`,
                :class:`ConnectionLost`, :class:`ProtocolError`, a timeout).
        """
        self._check_held()
        while self._response is None:
            self._raise_error()
            await self._wait(self._changed, ReadTimeout)
        return self._response

    async def receive_data(self) -> bytes:
        """The next piece of the response body, or ``b""`` once it has ended.

        Reading is what lets the server send more: the octets are given back
        to flow control only now.

        Raises:
            ClientError: the exchange failed before the body ended.
        """
        self._check_held()
        if self._response is None:
            await self.receive_response()
        while not self._chunks:
            if self._response_ended:
                return b""
            self._raise_error()
            await self._wait(self._changed, ReadTimeout)
        chunk = self._chunks.popleft()
        self._buffered -= len(chunk.data)
        length = chunk.flow_controlled_length
        assert length is not None
        self._connection.acknowledge(self.stream_id, length)
        return chunk.data

    async def iter_data(self) -> AsyncIterator[bytes]:
        """The response body, piece by piece, as the server sends it."""
        while chunk := await self.receive_data():
            yield chunk

    # -- internals ------------------------------------------------------------------

    def _check_held(self) -> None:
        if self._released:
            raise LocalProtocolError("the exchange is over: its block was left")

    def _check_sending(self) -> None:
        self._check_held()
        if self._request_ended:
            raise LocalProtocolError("the request has already ended")
        if not self._aborted:
            self._raise_error()

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    async def _drain(self) -> None:
        """Wait until the connection has taken what we sent (flow control)."""
        connection = self._connection
        await self._wait(connection.flushed(), WriteTimeout)
        while (
            not connection.closed
            and connection.machine.pending_send(self.stream_id) > SEND_HIGH_WATER
        ):
            if not self._aborted:
                self._raise_error()
            await self._wait(connection.changed, WriteTimeout)
        if not self._aborted:
            self._raise_error()

    async def _wait(self, event: trio.Event, late: type[Timeout]) -> None:
        limit = self._deadline
        kind: type[Timeout] = Timeout
        per_wait = self._connection.client.read_timeout
        if per_wait is not None and trio.current_time() + per_wait < limit:
            limit, kind = trio.current_time() + per_wait, late
        with trio.move_on_at(limit) as scope:
            await event.wait()
        if scope.cancelled_caught:
            if kind is Timeout:
                raise Timeout("the request's deadline passed")
            raise kind(f"no progress from the server in {per_wait} s")

    def _wake(self) -> None:
        self._changed.set()
        self._changed = trio.Event()

    def _fail(self, error: BaseException) -> None:
        if self._error is None:
            self._error = error
        self._wake()

    def _abandon(self, error_code: int = _CANCEL) -> None:
        with contextlib.suppress(LocalProtocolError):
            self._connection.send(_ResetEvent(self.stream_id, error_code))

    def _release(self) -> None:
        """The caller is done with the exchange: tidy up, free the connection."""
        if self._released:
            return
        self._released = True
        if self._sender is not None:
            self._sender.cancel()
        connection = self._connection
        connection.exchanges.pop(self.stream_id, None)
        if not (self.request_ended and self._response_ended):
            # Unfinished: HTTP/2 resets the stream, HTTP/1.1 drops the connection.
            self._abandon()
        for chunk in self._chunks:
            assert chunk.flow_controlled_length is not None
            connection.acknowledge(self.stream_id, chunk.flow_controlled_length, pump=False)
        self._chunks.clear()
        self._buffered = 0
        if not connection.exchanges:
            connection.idle_since = trio.current_time()
        connection.pump()


class StreamingResponse:
    """A response whose body is read as it comes (:meth:`Client.stream`).

    Attributes:
        status: The status code.
        headers: The header fields.
        http_version: ``"1.1"`` or ``"2"``.
        exchange: The underlying :class:`Exchange`.
    """

    def __init__(self, exchange: Exchange, head: ResponseHead, max_size: int | None) -> None:
        self.exchange = exchange
        self.status = head.status
        self.headers = head.headers
        self.http_version = head.http_version
        self._max_size = max_size

    @property
    def trailers(self) -> Fields:
        """The trailer fields, once the body has been read to its end."""
        return self.exchange.trailers

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        """The body, piece by piece; the server sends more only as this is read."""
        async for chunk in self.exchange.iter_data():
            yield chunk

    async def aread(self) -> bytes:
        """The whole body, at most the client's ``max_response_size``.

        Raises:
            ResponseTooLarge: the body (or its declared length) is larger.
        """
        limit = self._max_size
        declared = self.headers.get(b"content-length")
        if (
            limit is not None
            and declared is not None
            and declared.isdigit()
            and int(declared) > limit
        ):
            raise ResponseTooLarge(f"the response declares {int(declared)} octets")
        body = bytearray()
        while chunk := await self.exchange.receive_data():
            if limit is not None and len(body) + len(chunk) > limit:
                raise ResponseTooLarge(f"the response is larger than {limit} octets")
            body += chunk
        return bytes(body)


# ----------------------------------------------------------------------------
# Connections and the pool
# ----------------------------------------------------------------------------


class _OriginKey(NamedTuple):
    scheme: str
    host: str
    port: int


class _Origin:
    """The connections to one origin, and who waits for one."""

    def __init__(self, key: _OriginKey) -> None:
        self.key = key
        self.connections: list[_Connection] = []
        self.connecting = 0
        self.changed = trio.Event()
        #: The server answered an ``Upgrade: h2c`` offer over HTTP/1.1.
        self.h2c_declined = False

    def wake(self) -> None:
        self.changed.set()
        self.changed = trio.Event()

    def discard(self, connection: _Connection) -> None:
        if connection in self.connections:
            self.connections.remove(connection)
            self.wake()

    def available(self) -> _Connection | None:
        """A connection that can start an exchange now (HTTP/2 preferred)."""
        found = None
        for connection in self.connections:
            if connection.can_start():
                if connection.multiplexed:
                    return connection
                found = connection
        return found

    def may_open(self, limit: int, may_be_h2: bool) -> bool:
        """Whether a new connection is worth opening rather than waiting."""
        usable = [c for c in self.connections if c.usable]
        if any(c.multiplexed or c.upgrading for c in usable):
            # One HTTP/2 connection per origin: wait for one of its streams.
            return False
        if self.connecting and may_be_h2:
            # The connection on its way may well be HTTP/2.
            return False
        return len(usable) + self.connecting < limit


class _Connection:
    """One connection: its stream, its machine, its tasks, its exchanges."""

    def __init__(
        self,
        client: Client,
        origin: _Origin,
        stream: trio.abc.Stream,
        machine: HTTPConnection,
        *,
        offers_h2c: bool,
    ) -> None:
        self.client = client
        self.origin = origin
        self.stream = stream
        self.machine = machine
        self.exchanges: dict[int, Exchange] = {}
        #: Set (and replaced) whenever the machine may have changed.
        self.changed = trio.Event()
        #: Set (and replaced) whenever the writer found nothing more to write.
        self.sent = trio.Event()
        self.closed = False
        self.scope = trio.CancelScope()
        self.done = trio.Event()
        self.requests = 0
        self.idle_since: float | None = trio.current_time()
        #: The first request will offer h2c; until it is answered, which
        #: version the connection speaks is unknown.
        self._offers_h2c = offers_h2c
        self.upgrading = False

    # -- what the pool looks at -------------------------------------------------------

    @property
    def http_version(self) -> str:
        return self.machine.http_version

    @property
    def multiplexed(self) -> bool:
        return self.machine.http_version == "2"

    @property
    def usable(self) -> bool:
        """Open, and not going away."""
        return not self.closed and self.machine.state is ConnectionState.OPEN

    def can_start(self) -> bool:
        return (
            self.usable
            and not self.upgrading
            and self.machine.next_stream_id is not None
            and (self.multiplexed or not self.exchanges)
        )

    # -- what exchanges call ------------------------------------------------------------

    def start(self, head: Request, deadline: float) -> Exchange:
        """Send a request head on the next stream; the caller checked :meth:`can_start`."""
        stream_id = self.machine.next_stream_id
        assert stream_id is not None
        head = dataclasses.replace(head, stream_id=stream_id)
        exchange = Exchange(self, stream_id, head.method, deadline)
        self.machine.send(head)
        if self._offers_h2c:
            self._offers_h2c = False
            self.upgrading = head.method != b"CONNECT"
        self.requests += 1
        self.idle_since = None
        self.exchanges[stream_id] = exchange
        self.pump()
        return exchange

    def send(self, event: Event) -> None:
        self.machine.send(event)
        self.pump()

    def acknowledge(self, stream_id: int, size: int, *, pump: bool = True) -> None:
        with contextlib.suppress(LocalProtocolError):
            self.machine.acknowledge_data(stream_id, size)
        if pump:
            self.pump()

    def flushed(self) -> trio.Event:
        """An event set once the writer has written what the machine holds now."""
        sent = self.sent
        if not self.closed:
            self.wake()
        return sent

    def wake(self) -> None:
        self.changed.set()
        self.changed = trio.Event()

    def pump(self) -> None:
        """Dispatch the machine's events, then wake the tasks and the pool's waiters."""
        for event in self.machine.events():
            self._dispatch(event)
        self.wake()
        self.origin.wake()

    # -- events -------------------------------------------------------------------------

    def _dispatch(self, event: Event) -> None:
        if isinstance(event, _ClosedEvent):
            self._ended(event)
            return
        if isinstance(event, GoAway | Request):
            # GoAway: the machine is draining; the pool no longer starts
            # exchanges here. Requests never come to a client.
            return
        if isinstance(event, ProtocolSwitch):
            if event.protocol == b"h2c":
                self.upgrading = False
            return
        if isinstance(event, _ResponseEvent) and self.upgrading:
            self.upgrading = False
            self.origin.h2c_declined = True
        exchange = self.exchanges.get(event.stream_id)
        if exchange is None:
            if isinstance(event, Data):
                # The caller let the exchange go: give the window back.
                assert event.flow_controlled_length is not None
                self.acknowledge(event.stream_id, event.flow_controlled_length, pump=False)
            return
        version = self.machine.http_version
        if isinstance(event, InformationalResponse):
            exchange.informational.append(
                ResponseHead(event.status, Fields(event.headers), version)
            )
        elif isinstance(event, _ResponseEvent):
            exchange._response = ResponseHead(event.status, Fields(event.headers), version)
        elif isinstance(event, Data):
            exchange._chunks.append(event)
            exchange._buffered += len(event.data)
        elif isinstance(event, Trailers):
            exchange._trailers = Fields(event.headers)
        elif isinstance(event, EndOfMessage):
            exchange._response_ended = True
        else:
            self._reset(exchange, event)
        exchange._wake()

    def _reset(self, exchange: Exchange, event: _ResetEvent) -> None:
        code = event.error_code
        if event.error is not None:
            exchange._fail(ProtocolError(f"stream {event.stream_id}: {event.error}", event.error))
        elif code == _NO_ERROR and exchange._response_ended:
            exchange._aborted = True
        else:
            refused = code == _REFUSED_STREAM and exchange._response is None
            name = _code_name(code)
            exchange._fail(
                StreamReset(f"stream {event.stream_id} reset: {name}", code, retry_safe=refused)
            )

    def _ended(self, event: _ClosedEvent) -> None:
        """The machine reported the end of the connection."""
        self.origin.discard(self)
        for exchange in self.exchanges.values():
            if exchange._response_ended:
                exchange._aborted = not exchange._request_ended
                continue
            if event.error is not None:
                error: ClientError = ProtocolError(
                    f"the server broke the protocol: {event.message}", event.error
                )
            else:
                reason = event.message or "the server closed the connection"
                if event.error_code:
                    reason = f"{reason} (GOAWAY {_code_name(event.error_code)})"
                error = ConnectionLost(
                    reason, retry_safe=self._unprocessed(exchange, event.last_stream_id)
                )
            exchange._fail(error)

    def _unprocessed(self, exchange: Exchange, last_stream_id: int | None) -> bool:
        if exchange._response is not None:
            return False
        if self.multiplexed:
            return last_stream_id is not None and exchange.stream_id > last_stream_id
        # RFC 9110 section 9.2.2: an idempotent request may be sent again; a
        # kept-alive connection that the server closed as we reused it is the
        # usual case.
        return exchange._reused and exchange._method in _IDEMPOTENT

    def close(self) -> None:
        """The connection is over: fail what is left, leave the pool, stop the tasks."""
        if self.closed:
            return
        self.closed = True
        self.origin.discard(self)
        for exchange in self.exchanges.values():
            if not exchange._response_ended:
                retry = self._unprocessed(exchange, None)
                exchange._fail(ConnectionLost("the connection was closed", retry_safe=retry))
        self.sent.set()
        self.wake()
        self.scope.cancel()

    def shutdown(self) -> None:
        """Say goodbye (HTTP/2 GOAWAY), then close."""
        if not self.closed and self.machine.state is not ConnectionState.CLOSED:
            self.machine.send(_ClosedEvent())
            self.pump()

    # -- tasks ----------------------------------------------------------------------------

    async def run(self) -> None:
        try:
            with self.scope:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(self._write_loop)
                    nursery.start_soon(self._timer)
                    await self._read_loop()
        except Exception:
            # A bug of ours costs this connection only, never the client.
            log.exception("internal error on a connection to %s; closed", self.origin.key)
        finally:
            self.close()
            self.client._connections.discard(self)
            self.done.set()
            with trio.CancelScope(shield=True):
                await trio.aclose_forcefully(self.stream)

    async def _read_loop(self) -> None:
        machine = self.machine
        while True:
            while machine.reading_paused and not self.closed:
                await self.changed.wait()
            try:
                data = await self.stream.receive_some(READ_SIZE)
            except (*_BROKEN, ssl.SSLError):
                data = b""
            if data:
                machine.receive_data(data)
            else:
                machine.receive_eof()
            self.pump()
            if not data:
                return

    async def _write_loop(self) -> None:
        while True:
            changed = self.changed
            chunks = self.machine.data_to_send()
            if not chunks:
                sent, self.sent = self.sent, trio.Event()
                sent.set()
                await changed.wait()
                continue
            data = b"".join(chunks)
            try:
                if data:
                    await self.stream.send_all(data)
            except (*_BROKEN, ssl.SSLError):
                self.close()
                return
            if b"" in chunks:
                self.close()
                return

    async def _timer(self) -> None:
        machine = self.machine
        expiry = self.client.keepalive_expiry
        while True:
            changed = self.changed
            if machine.state is ConnectionState.CLOSED:
                # The writer closes the stream once it has written the last
                # bytes: an HTTP/2 GOAWAY, which a peer that reads nothing gets
                # this long to take. HTTP/1.1 has nothing worth the wait.
                await trio.sleep(CLOSE_TIMEOUT if self.multiplexed else 0)
                self.close()
                return
            deadline = machine.next_deadline()
            wake_at = math.inf if deadline is None else deadline
            if self.idle_since is not None and expiry is not None:
                wake_at = min(wake_at, self.idle_since + expiry)
            with trio.move_on_at(wake_at):
                await changed.wait()
            now = trio.current_time()
            deadline = machine.next_deadline()
            if deadline is not None and deadline <= now:
                machine.tick(now)
                self.pump()
            if (
                self.idle_since is not None
                and expiry is not None
                and self.idle_since + expiry <= now
            ):
                self.shutdown()
            await trio.lowlevel.checkpoint()


# ----------------------------------------------------------------------------
# The client
# ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Target:
    origin: _OriginKey
    head: Request


class Client:
    """An HTTP/1.1 and HTTP/2 client with a connection pool; an async context manager.

    Args:
        http_version: ``"auto"``, ``"1.1"``, ``"2"`` or ``"h2c-upgrade"`` (see
            the module documentation).
        ssl_context: For ``https``; ``ssl.create_default_context()`` by
            default. The client sets its ALPN protocols.
        headers: Fields sent with every request (a request's own fields of
            the same name replace them).
        max_connections_per_origin: Connections kept or opened per origin.
        max_response_size: Largest body :meth:`request` reads into memory,
            or ``None`` for no limit.
        timeout: Default overall deadline of a request, in seconds (``None``:
            none); for :meth:`stream` and :meth:`open_stream` it runs until
            the exchange is left.
        connect_timeout: Seconds to open a connection, TLS included.
        read_timeout: Seconds any single wait for the server may last
            (``None`` for long-lived streams that may stay quiet, whose
            deadline is ``timeout``).
        keepalive_expiry: Seconds an idle connection is kept in the pool.
        max_retries: Transparent retries of a request that is safe to send
            again (see :meth:`stream`).
        h1_config: HTTP/1.1 limits (no body limit by default: the client
            applies ``max_response_size`` itself).
        h2_config: HTTP/2 limits (likewise).

    Raises:
        ValueError: an unknown ``http_version``, or no connection allowed.
    """

    def __init__(
        self,
        *,
        http_version: HTTPVersion = "auto",
        ssl_context: ssl.SSLContext | None = None,
        headers: HeaderInput = None,
        max_connections_per_origin: int = DEFAULT_MAX_CONNECTIONS,
        max_response_size: int | None = DEFAULT_MAX_RESPONSE_SIZE,
        timeout: float | None = None,
        connect_timeout: float | None = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float | None = DEFAULT_READ_TIMEOUT,
        keepalive_expiry: float | None = DEFAULT_KEEPALIVE_EXPIRY,
        max_retries: int = DEFAULT_MAX_RETRIES,
        h1_config: H1Config | None = None,
        h2_config: H2Config | None = None,
    ) -> None:
        if http_version not in _VERSIONS:
            raise ValueError(f"http_version must be one of {', '.join(_VERSIONS)}")
        if max_connections_per_origin < 1:
            raise ValueError("max_connections_per_origin must be at least 1")
        self.http_version: HTTPVersion = http_version
        self.headers = tuple(_encode_fields(headers))
        self.max_connections_per_origin = max_connections_per_origin
        self.max_response_size = max_response_size
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.keepalive_expiry = keepalive_expiry
        self.max_retries = max_retries
        self.h1_config = h1_config or H1Config(max_body_size=None)
        self.h2_config = h2_config or H2Config(max_body_size=None)
        self._ssl_context = ssl_context
        self._origins: dict[_OriginKey, _Origin] = {}
        self._nursery: trio.Nursery | None = None
        self._stack: contextlib.AsyncExitStack | None = None
        self._senders: set[trio.CancelScope] = set()
        #: Every connection whose tasks run, in the pool or on its way out.
        self._connections: set[_Connection] = set()
        self._closed = False

    # -- lifetime -----------------------------------------------------------------

    async def __aenter__(self) -> Client:
        if self._stack is not None or self._closed:
            raise ClientClosed("a client is entered once")
        stack = contextlib.AsyncExitStack()
        self._nursery = await stack.enter_async_context(trio.open_nursery())
        self._stack = stack
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
        stack, self._stack = self._stack, None
        if stack is not None:
            # Every task of the nursery was cancelled: this returns at once.
            await stack.aclose()
        self._nursery = None

    async def aclose(self) -> None:
        """Close every connection (HTTP/2 says GOAWAY first); exchanges in flight fail.

        The client cannot be used afterwards. Leaving ``async with`` calls it.
        """
        if self._closed:
            return
        self._closed = True
        connections = list(self._connections)
        for scope in self._senders:
            scope.cancel()
        for connection in connections:
            connection.shutdown()
        with trio.CancelScope(shield=True):
            with trio.move_on_after(CLOSE_TIMEOUT):
                for connection in connections:
                    await connection.done.wait()
        for connection in connections:
            connection.scope.cancel()

    @property
    def connection_count(self) -> int:
        """Connections open now, across origins."""
        return sum(len(origin.connections) for origin in self._origins.values())

    # -- requests -----------------------------------------------------------------

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: HeaderInput = None,
        content: Content = None,
        json: Any = None,
        trailers: HeaderInput = None,
        timeout: float | _Default | None = DEFAULT,
    ) -> Response:
        """Send a request and read the whole response.

        Args:
            method: The method, such as ``"GET"``.
            url: An absolute ``http`` or ``https`` URL.
            headers: Header fields (str or bytes).
            content: The body: bytes, str (UTF-8), or an async iterable of
                bytes (sent as it comes).
            json: A value sent as ``application/json`` (instead of content).
            trailers: Request trailer fields (HTTP/2, or chunked HTTP/1.1).
            timeout: The overall deadline in seconds; the client's by default.

        Returns:
            The response, its body at most ``max_response_size`` octets.

        Raises:
            ClientError: see the hierarchy; :class:`ResponseTooLarge` when the
                body is larger than allowed.
        """
        if json is not None:
            if content is not None:
                raise LocalProtocolError("give content or json, not both")
            content = jsonlib.dumps(json, separators=(",", ":")).encode()
            fields = _encode_fields(headers)
            if not any(name == b"content-type" for name, _ in fields):
                fields.append((b"content-type", b"application/json"))
            headers = fields
        async with self.stream(
            method, url, headers=headers, content=content, trailers=trailers, timeout=timeout
        ) as response:
            body = await response.aread()
        return Response(
            response.status, response.headers, body, response.trailers, response.http_version
        )

    async def get(self, url: str, **options: Any) -> Response:
        """``request("GET", url, ...)``."""
        return await self.request("GET", url, **options)

    async def post(self, url: str, **options: Any) -> Response:
        """``request("POST", url, ...)``."""
        return await self.request("POST", url, **options)

    async def put(self, url: str, **options: Any) -> Response:
        """``request("PUT", url, ...)``."""
        return await self.request("PUT", url, **options)

    async def delete(self, url: str, **options: Any) -> Response:
        """``request("DELETE", url, ...)``."""
        return await self.request("DELETE", url, **options)

    @asynccontextmanager
    async def stream(
        self,
        method: str,
        url: str,
        *,
        headers: HeaderInput = None,
        content: Content = None,
        trailers: HeaderInput = None,
        timeout: float | _Default | None = DEFAULT,
    ) -> AsyncIterator[StreamingResponse]:
        """Send a request; yield the response once its head is in, body unread.

        An async iterable ``content`` is sent by a task of the client while
        the caller reads the response. Leaving the block before the exchange
        is complete abandons it (HTTP/2 RST_STREAM CANCEL; HTTP/1.1 closes
        the connection).

        A request with no content or bytes content is sent again on a fresh
        connection, up to ``max_retries`` times, when the server provably did
        not process it (REFUSED_STREAM, or above a GOAWAY's last stream id)
        or when an idempotent request found its kept-alive HTTP/1.1
        connection closed (RFC 9110 section 9.2.2).
        """
        target = self._target(method, url, headers)
        deadline = self._deadline(timeout)
        body: bytes | None = None
        source: AsyncIterable[bytes] | None = None
        if isinstance(content, str):
            body = content.encode()
        elif isinstance(content, bytes | bytearray | memoryview):
            body = bytes(content)
        elif content is not None:
            source = content
        fields = tuple(_encode_fields(trailers))
        for attempt in itertools.count():
            exchange = await self._start(
                target, deadline, body=body, trailers=fields, streamed=source is not None
            )
            if source is not None:
                self._start_sender(exchange, source, fields)
            try:
                head = await exchange.receive_response()
            except (ConnectionLost, StreamReset) as exc:
                exchange._release()
                if source is None and exc.retry_safe and attempt < self.max_retries:
                    log.debug("retrying %s %s: %s", method, url, exc)
                    continue
                raise
            except BaseException:
                exchange._release()
                raise
            break
        try:
            yield StreamingResponse(exchange, head, self.max_response_size)
        finally:
            exchange._release()

    @asynccontextmanager
    async def open_stream(
        self,
        method: str,
        url: str,
        *,
        headers: HeaderInput = None,
        timeout: float | _Default | None = DEFAULT,
    ) -> AsyncIterator[Exchange]:
        """Start a request whose body the caller sends; yield the :class:`Exchange`.

        The request head is sent at once on HTTP/2 (on HTTP/1.1 with the
        first :meth:`Exchange.send_data` or :meth:`Exchange.end`, which
        decide its framing). Leaving the block before both directions are
        complete abandons the exchange. No transparent retry.
        """
        target = self._target(method, url, headers)
        exchange = await self._start(
            target, self._deadline(timeout), body=None, trailers=(), streamed=True
        )
        try:
            yield exchange
        finally:
            exchange._release()

    # -- internals --------------------------------------------------------------------

    def _target(self, method: str, url: str, headers: HeaderInput) -> _Target:
        origin, target, authority = _parse_url(url)
        given = _encode_fields(headers)
        names = {name for name, _ in given}
        fields = [(n, v) for n, v in self.headers if n not in names] + given
        for name, value in fields:
            if name == b"host":
                authority = value
        fields = [(n, v) for n, v in fields if n != b"host"]
        scheme = origin.scheme.encode()
        # The head is checked here, before any connection: stream 1 stands in.
        head = Request(method.encode(), target, authority, scheme, tuple(fields))
        return _Target(origin, head)

    def _deadline(self, timeout: float | _Default | None) -> float:
        if timeout is DEFAULT:
            timeout = self.timeout
        return math.inf if timeout is None else trio.current_time() + timeout

    def _check_open(self) -> trio.Nursery:
        if self._closed or self._nursery is None:
            raise ClientClosed("the client is not open (use it as `async with Client()`)")
        return self._nursery

    async def _start(
        self,
        target: _Target,
        deadline: float,
        *,
        body: bytes | None,
        trailers: tuple[tuple[bytes, bytes], ...],
        streamed: bool,
    ) -> Exchange:
        """Get a connection, send the head, and (unless streamed) the whole request."""
        has_body = streamed or bool(body)
        connection = await self._acquire(target.origin, deadline, has_body=has_body)
        # From here to the head's sending, no checkpoint: the capacity is ours.
        head = target.head
        fields = list(head.headers)
        if (
            body is not None
            and (body or head.method in _CONTENT_METHODS)
            # HTTP/1.1 carries trailers only in a chunked body.
            and not (trailers and not connection.multiplexed)
            and not any(name == b"content-length" for name, _ in fields)
        ):
            fields.append((b"content-length", str(len(body)).encode()))
        exchange = connection.start(dataclasses.replace(head, headers=tuple(fields)), deadline)
        if streamed:
            return exchange
        try:
            stream_id = exchange.stream_id
            if body:
                connection.send(Data(stream_id, body))
            if trailers:
                connection.send(Trailers(stream_id, trailers))
            connection.send(EndOfMessage(stream_id))
            exchange._request_ended = True
        except BaseException:
            exchange._release()
            raise
        return exchange

    async def _acquire(self, key: _OriginKey, deadline: float, *, has_body: bool) -> _Connection:
        origin = self._origins.get(key)
        if origin is None:
            origin = self._origins[key] = _Origin(key)
        while True:
            self._check_open()
            connection = origin.available()
            if connection is not None:
                return connection
            if origin.may_open(self.max_connections_per_origin, self._may_be_h2(origin)):
                connection = await self._connect(origin, deadline, has_body=has_body)
                if connection is not None and connection.can_start():
                    return connection
                continue
            changed = origin.changed
            with trio.move_on_at(deadline):
                await changed.wait()
            if trio.current_time() >= deadline:
                raise PoolTimeout("the deadline passed while waiting for a connection")

    def _may_be_h2(self, origin: _Origin) -> bool:
        version = self.http_version
        if origin.key.scheme == "https":
            return version != "1.1"
        return version == "2" or (version == "h2c-upgrade" and not origin.h2c_declined)

    async def _connect(
        self, origin: _Origin, deadline: float, *, has_body: bool
    ) -> _Connection | None:
        """Open a connection and add it to the pool.

        Returns ``None`` when the new connection was used to upgrade to h2c
        (it is in the pool, speaking whatever the server chose).
        """
        nursery = self._check_open()
        key = origin.key
        origin.connecting += 1
        try:
            stream, alpn = await self._open_socket(key, deadline)
        finally:
            origin.connecting -= 1
            origin.wake()
        offers_h2c = (
            key.scheme == "http" and self.http_version == "h2c-upgrade" and not origin.h2c_declined
        )
        machine = HTTPConnection(
            Role.CLIENT,
            alpn=alpn,
            prior_knowledge=key.scheme == "http" and self.http_version == "2",
            h2c=offers_h2c,
            h1_config=self.h1_config,
            h2_config=self.h2_config,
            scheme=key.scheme.encode(),
            now=trio.current_time(),
        )
        connection = _Connection(self, origin, stream, machine, offers_h2c=offers_h2c)
        origin.connections.append(connection)
        self._connections.add(connection)
        nursery.start_soon(connection.run)
        if offers_h2c and has_body:
            await self._upgrade_with_options(connection, deadline)
            if not connection.multiplexed:
                # Declined, or the connection did not survive it: plain
                # HTTP/1.1 from now on, rather than trying again and again.
                origin.h2c_declined = True
            return None
        return connection

    async def _upgrade_with_options(self, connection: _Connection, deadline: float) -> None:
        """Upgrade to h2c with ``OPTIONS *`` (RFC 7540 section 3.2), whatever the answer."""
        head = Request(b"OPTIONS", b"*", _authority(connection.origin.key))
        exchange = connection.start(head, deadline)
        try:
            connection.send(EndOfMessage(exchange.stream_id))
            exchange._request_ended = True
            with contextlib.suppress(ClientError):
                await exchange.receive_response()
                while await exchange.receive_data():
                    pass
        finally:
            exchange._release()

    async def _open_socket(
        self, key: _OriginKey, deadline: float
    ) -> tuple[trio.abc.Stream, str | None]:
        limit = deadline
        if self.connect_timeout is not None:
            limit = min(limit, trio.current_time() + self.connect_timeout)
        with trio.move_on_at(limit):
            try:
                tcp = await trio.open_tcp_stream(key.host, key.port)
            except OSError as exc:
                raise ConnectError(f"cannot connect to {key.host}:{key.port}: {exc}") from exc
            if key.scheme == "http":
                return tcp, None
            tls = trio.SSLStream(
                tcp, self._tls_context(), server_hostname=key.host, https_compatible=True
            )
            try:
                await tls.do_handshake()
            except BaseException as exc:
                await trio.aclose_forcefully(tls)
                if isinstance(exc, trio.BrokenResourceError):
                    cause = exc.__cause__ or exc
                    raise ConnectError(f"TLS with {key.host}:{key.port}: {cause}") from exc
                raise
            selected = tls.selected_alpn_protocol()
            if self.http_version == "2" and selected != "h2":
                await trio.aclose_forcefully(tls)
                raise ConnectError(f"{key.host}:{key.port} did not agree to HTTP/2 (ALPN)")
            return tls, "h2" if selected == "h2" else "http/1.1"
        raise ConnectTimeout(f"connecting to {key.host}:{key.port} took too long")

    def _tls_context(self) -> ssl.SSLContext:
        context = self._ssl_context
        if context is None:
            context = self._ssl_context = ssl.create_default_context()
        if self.http_version == "1.1":
            context.set_alpn_protocols(["http/1.1"])
        elif self.http_version == "2":
            context.set_alpn_protocols(["h2"])
        else:
            context.set_alpn_protocols(["h2", "http/1.1"])
        return context

    def _start_sender(
        self,
        exchange: Exchange,
        source: AsyncIterable[bytes],
        trailers: tuple[tuple[bytes, bytes], ...],
    ) -> None:
        scope = trio.CancelScope()
        exchange._sender = scope
        self._senders.add(scope)
        self._check_open().start_soon(self._send_body, exchange, source, trailers, scope)

    async def _send_body(
        self,
        exchange: Exchange,
        source: AsyncIterable[bytes],
        trailers: tuple[tuple[bytes, bytes], ...],
        scope: trio.CancelScope,
    ) -> None:
        try:
            with scope:
                try:
                    async for chunk in source:
                        await exchange.send_data(chunk)
                    if trailers:
                        await exchange.send_trailers(trailers)
                    else:
                        await exchange.end()
                except Exception as exc:
                    # The body could not be sent (or produced): the exchange is
                    # abandoned, and its reader learns why.
                    exchange._fail(exc)
                    exchange._abandon()
        finally:
            self._senders.discard(scope)
            aclose = getattr(source, "aclose", None)
            if aclose is not None:
                with trio.CancelScope(shield=True), contextlib.suppress(Exception):
                    await aclose()


# ----------------------------------------------------------------------------
# URLs and fields
# ----------------------------------------------------------------------------

#: RFC 3986 section 3.3 pchar (and "%" to keep escapes): what stays as is.
_PATH_SAFE: Final = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE: Final = _PATH_SAFE + "?"


def _parse_url(url: str) -> tuple[_OriginKey, bytes, bytes]:
    """The origin, request target and authority of an absolute URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidURL(f"invalid URL {url[:100]!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise InvalidURL(f"not an http or https URL: {url[:100]!r}")
    host = parts.hostname
    if not host:
        raise InvalidURL(f"no host in {url[:100]!r}")
    if parts.username is not None or parts.password is not None:
        # RFC 9110 section 4.2.4: userinfo is not sent; refuse rather than drop it.
        raise InvalidURL("credentials in a URL are not supported; send an Authorization field")
    try:
        ascii_host = host if host.isascii() else host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise InvalidURL(f"invalid host {host[:100]!r}: {exc}") from None
    key = _OriginKey(scheme, ascii_host, _DEFAULT_PORTS[scheme] if port is None else port)
    target = quote(parts.path or "/", safe=_PATH_SAFE)
    if parts.query:
        target += "?" + quote(parts.query, safe=_QUERY_SAFE)
    return key, target.encode(), _authority(key)


def _authority(key: _OriginKey) -> bytes:
    """``host[:port]``, the port left out when it is the scheme's default."""
    shown = f"[{key.host}]" if ":" in key.host else key.host
    if key.port != _DEFAULT_PORTS[key.scheme]:
        shown = f"{shown}:{key.port}"
    return shown.encode()


def _field_name(name: str | bytes) -> bytes:
    return (name.encode("latin-1") if isinstance(name, str) else name).lower()


def _encode_fields(fields: HeaderInput) -> list[tuple[bytes, bytes]]:
    """``(name, value)`` bytes pairs, names lowercase.

    Raises:
        LocalProtocolError: a name or value that is not Latin-1 text or bytes.
    """
    if fields is None:
        return []
    items = fields.items() if isinstance(fields, Mapping) else fields
    out: list[tuple[bytes, bytes]] = []
    try:
        for name, value in items:
            encoded = value.encode("latin-1") if isinstance(value, str) else bytes(value)
            out.append((_field_name(name), encoded))
    except (UnicodeEncodeError, TypeError, ValueError) as exc:
        raise LocalProtocolError(f"invalid header field: {exc}") from None
    return out


def _charset(headers: Fields) -> str:
    content_type = (headers.get(b"content-type") or b"").decode("latin-1")
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            try:
                return codecs.lookup(value.strip().strip('"')).name
            except LookupError:
                break
    return "utf-8"


def _code_name(code: int) -> str:
    try:
        return H2ErrorCode(code).name
    except ValueError:
        return f"0x{code:x}"
