"""WebSocket on Trio: a connection for handlers, a standalone server, a client.

A thin driver around :class:`wire.ws.WSConnection`::

    async def echo(ws: WebSocket) -> None:
        async for message in ws:            # str (text) or bytes (binary)
            await ws.send(message)

    await nursery.start(serve_ws, "127.0.0.1", 8081, {"/echo": echo})

    async with connect("ws://127.0.0.1:8081/echo") as ws:
        await ws.send("hello")
        assert await ws.receive() == "hello"

    # Over HTTP/2 (RFC 8441 extended CONNECT), e.g. to servers.http.serve_http:
    async with connect("wss://example.test/chat", http2=True) as ws:
        ...

Every connection has a reader task, a writer task and a timer task
(keep-alive pings, the closing handshake's timeout), plus the handler on a
server. What the driver promises:

- Backpressure, both ways. Received messages wait in a queue bounded by
  ``max_queue`` messages and ``max_queue_bytes`` octets; while it is full the
  reader stops reading the socket, so TCP (or HTTP/2 flow control, over an
  extended CONNECT tunnel) slows the sender down. :meth:`WebSocket.send`
  encodes the message at once and hands it to the writer; it waits only while
  more than ``send_high_water`` octets wait to be written, so what a slow
  peer makes us hold is bounded.
- One writer at a time takes everything waiting and writes it at once:
  messages sent together, and the Pongs and Close frames the machine answers
  with, leave in one write. A send is never cut in the middle
  of a frame: cancelling :meth:`WebSocket.send` only cancels its wait, the
  message is queued whole or not at all. A peer that accepts nothing for
  ``send_timeout`` seconds is disconnected.
- The reader never blocks on a write; it waits only when what it read made
  answers (Pongs) while more than ``send_high_water`` octets already wait for
  a peer that does not read (a Ping flood then slows its sender down). What
  the application sends never stops the reading, so two ends that both send
  and receive a lot cannot wait on each other.
- Messages that arrive right before the peer's Close (or right before it
  breaks a rule) reach the application, and its answers leave before our
  Close frame, if it takes them within :data:`ANSWER_GRACE` seconds
  (RFC 6455 section 5.5.1 lets the Close answer wait for them).
- The server closes the TCP connection first (section 7.1.1): it half-closes
  and reads until the client's end of stream (bounded by :data:`LINGER`), so
  a peer's late bytes cannot make the kernel reset the connection before the
  client read our Close frame.
- A bad peer costs its own connection only: every failure ends in a close
  code, a log line at most, and the stream closed.

The keep-alive counts what arrives: while the receive queue is full and the
application does not read, nothing is read either, and after ``ping_interval
+ ping_timeout`` seconds the connection fails with 1011, as in websockets.

The socket fast path. On a plain :class:`trio.SocketStream` (not TLS, not an
HTTP/2 tunnel) the driver reads and writes the socket's descriptor itself: a
send first tries one non-blocking write (the writer task only runs when the
socket is full), and while the application waits in :meth:`WebSocket.receive`
(and the connection does not compress) the reader task parks and receive()
reads the socket itself, so an echo costs one task wake-up instead of three.
The reader takes the reading back when the application has not called
receive() for :data:`HANDBACK` seconds. A profile of 32-octet echoes showed
Trio's stream wrappers and the task switches costing more than the protocol;
``benchmarks/ws_server_README.md`` has the figures.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import os
import select
import ssl
from collections import deque
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Iterable,
    Mapping,
    Sequence,
)
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Final, TypeAlias, cast
from urllib.parse import urlsplit

import outcome
import trio

from servers.net import GracefulServer
from wire import ws
from wire.errors import LocalProtocolError, RemoteProtocolError
from wire.http import (
    ConnectionClosed as HTTPConnectionClosed,
)
from wire.http import (
    ConnectionState,
    Data,
    EndOfMessage,
    Event,
    GoAway,
    H1Config,
    HTTPConnection,
    ProtocolSwitch,
    Request,
    Response,
    Role,
    StreamReset,
    rest,
)
from wire.http._rest_routing import MethodNotAllowed, PathPattern, Router

__all__ = [
    "ANSWER_GRACE",
    "DEFAULT_CONFIG",
    "DEFAULT_DEFLATE",
    "HandshakeFailed",
    "Handler",
    "LINGER",
    "READINESS_THRESHOLD",
    "WSRoute",
    "WSServer",
    "WebSocket",
    "WebSocketClosed",
    "WebSocketError",
    "WebSocketStream",
    "choose_subprotocol",
    "connect",
    "echo",
    "limits_config",
    "run_websocket",
    "serve_ws",
]

log = logging.getLogger("wire.ws.server")

#: Octets asked of the kernel per read. 64 KiB takes a burst of small frames
#: in one wake-up and bounds how far one read can overshoot the receive queue.
READ_SIZE: Final = 64 * 1024
#: With permessage-deflate a read is fed to the machine in slices of this
#: size, the queue checked between them: a compressed octet can stand for
#: about a thousand, so a whole read could otherwise overshoot by megabytes.
DEFLATE_FEED: Final = 4096
#: Default most messages waiting for the application (websockets uses 16
#: frames; 64 whole messages absorb a burst without a pause).
MAX_QUEUE: Final = 64
#: Default most octets of messages waiting for the application: one message at
#: the default size limit, or many small ones.
MAX_QUEUE_BYTES: Final = 1 << 20
#: Default octets of output that may wait behind a write in progress before
#: senders wait too: enough for a batch of messages, small per connection.
SEND_HIGH_WATER: Final = 64 * 1024
#: Default seconds a peer may leave one write unaccepted before it is
#: disconnected (nginx's send_timeout).
SEND_TIMEOUT: Final = 60.0
#: Default seconds for the TLS handshake, the opening handshake's request and
#: our answer: a few round trips, so 10 s only cuts peers that stalled.
HANDSHAKE_TIMEOUT: Final = 10.0
#: Default seconds connections get to finish their closing handshake when the
#: server stops.
SHUTDOWN_TIMEOUT: Final = 5.0
#: Default most concurrent connections; more are closed as soon as accepted.
MAX_CONNECTIONS: Final = 10_000
#: Seconds the application gets to take the messages that arrived just
#: before the peer's Close, so that its answers precede our Close.
ANSWER_GRACE: Final = 1.0
#: Seconds an application may spend between two receive() calls before the
#: reader task takes the reading back from it (see ``_park``): Pings and the
#: peer's Close wait at most this long while the application is busy.
HANDBACK: Final = 0.25
#: Seconds a server, having half-closed, reads what the client still sends
#: until its end of stream, before it closes the socket.
LINGER: Final = 2.0
#: The default compression of a server: permessage-deflate with a 4 KiB
#: window each way and zlib memLevel 5, about 40 KiB per connection instead
#: of zlib's 290 KiB, and small messages (under 64 octets, where deflate
#: rarely wins) sent as they are.
DEFAULT_DEFLATE: Final = ws.DeflateConfig(
    server_max_window_bits=12, client_max_window_bits=12, memory_level=5, min_size=64
)


def limits_config(max_message_size: int = 1 << 20, **timers: float | None) -> ws.WSConfig:
    """A :class:`~wire.ws.WSConfig` whose frame limit leaves room for deflate's overhead.

    A message that does not compress comes out of zlib larger: measured on
    random data, 0.03% with a 32 KiB window and about 0.25% with the smaller
    windows a server may impose (zlib's own ``deflateBound`` allows more for
    those). A peer sending a message of exactly the limit, compressed, needs
    a frame that much longer: the frame limit gets 1/64 more, and the message
    limit still bounds the inflated size. ``wire.ws`` itself sends such a
    message uncompressed, but the ``websockets`` library and browsers
    compress every message, so the headroom stays for them.
    """
    return ws.WSConfig(
        max_message_size=max_message_size,
        max_frame_size=max_message_size + max_message_size // 64 + 64,
        **timers,  # type: ignore[arg-type]
    )


#: The default limits and timers of a connection (see :func:`limits_config`).
DEFAULT_CONFIG: Final = limits_config()

_BROKEN = (trio.BrokenResourceError, trio.ClosedResourceError, ssl.SSLError)
_CLEAN_CODES = frozenset(
    {ws.CloseCode.NORMAL_CLOSURE, ws.CloseCode.GOING_AWAY, ws.CloseCode.NO_STATUS_RCVD}
)
#: The most octets of a refusal's body a client keeps (for the exception).
_MAX_REFUSAL_BODY = 4096
_OPEN = ws.ConnectionState.OPEN


class _Readiness:
    """One edge-triggered epoll set for the plain sockets of the WebSockets of a Trio run.

    ``trio.lowlevel.wait_readable`` arms a one-shot registration per call:
    an ``epoll_ctl`` system call and some bookkeeping for every message a
    connection waits for, which a profile of 50 echoing connections put
    among the largest costs of the server. Here each socket is registered
    once (``EPOLLET``: reported when new data arrives), and one system task
    waits (through Trio) on the set itself: a wake-up reports every socket
    that became readable since the last, and wakes the task waiting on it or
    remembers it for the next :meth:`wait`. A wait may then return although
    the data was read meanwhile (the reader gets ``EAGAIN`` and waits again),
    never the other way round: a report comes for every arrival after a read.
    The end of the stream (or an error) is the exception: it may come with
    the last data in one report, and a read that takes the data leaves it
    there; so once reported it stays reported, and every wait returns at once.

    The system task is one more task step per wake-up, which pays only when
    a wake-up serves several connections: a connection joins the set once
    :data:`READINESS_THRESHOLD` plain-socket connections are open in the run
    (and stays), and waits with Trio until then.
    """

    def __init__(self) -> None:
        self._epoll = select.epoll()
        self._waiters: dict[int, trio.lowlevel.Task] = {}
        self._ready: set[int] = set()
        #: Descriptors whose end of stream (or error) was reported: always readable.
        self._ended: set[int] = set()
        self._task_started = False
        #: Plain-socket connections running, and whether they should join the set.
        self.connections = 0
        self.active = False

    def opened(self) -> None:
        """A plain-socket connection started."""
        self.connections += 1
        self.active = self.connections >= READINESS_THRESHOLD

    def closed(self) -> None:
        """A plain-socket connection ended (members stay in the set until they close)."""
        self.connections -= 1

    def register(self, fd: int) -> None:
        """Watch ``fd``; its first :meth:`wait` returns at once (it may hold data)."""
        mask = select.EPOLLIN | select.EPOLLRDHUP | select.EPOLLET
        try:
            self._epoll.register(fd, mask)
        except FileExistsError:
            self._epoll.modify(fd, mask)
        self._ready.add(fd)
        if not self._task_started:
            self._task_started = True
            trio.lowlevel.spawn_system_task(self._run, name="websocket readiness")

    def unregister(self, fd: int) -> None:
        """Stop watching ``fd`` (before it is closed); a waiting task gets ClosedResourceError."""
        with contextlib.suppress(OSError):
            self._epoll.unregister(fd)
        self._ready.discard(fd)
        self._ended.discard(fd)
        task = self._waiters.pop(fd, None)
        if task is not None:
            trio.lowlevel.reschedule(task, outcome.Error(trio.ClosedResourceError()))

    async def wait(self, fd: int) -> None:
        """Until ``fd`` may be readable (a checkpoint for cancellation either way)."""
        if not self.enlist(fd):
            await trio.lowlevel.checkpoint_if_cancelled()
            return
        waiters = self._waiters

        def abort(_: object) -> trio.lowlevel.Abort:
            waiters.pop(fd, None)
            return trio.lowlevel.Abort.SUCCEEDED

        await trio.lowlevel.wait_task_rescheduled(abort)

    def enlist(self, fd: int) -> bool:
        """:meth:`wait` without the wait: False if ``fd`` may be readable now; else
        the current task is filed as its waiter (True), to be rescheduled when it
        may be, and must then wait with ``trio.lowlevel.wait_task_rescheduled``
        (its abort function calling :meth:`withdraw`).
        """
        ready = self._ready
        if fd in ready or fd in self._ended:
            ready.discard(fd)
            return False
        waiters = self._waiters
        if fd in waiters:
            raise trio.BusyResourceError("another task is already reading this socket")
        waiters[fd] = trio.lowlevel.current_task()
        return True

    def withdraw(self, fd: int) -> None:
        """The task :meth:`enlist` filed for ``fd`` stops waiting (it was cancelled)."""
        self._waiters.pop(fd, None)

    async def _run(self) -> None:
        epoll = self._epoll
        waiters = self._waiters
        ready = self._ready
        ended = self._ended
        reschedule = trio.lowlevel.reschedule
        hangup = select.EPOLLRDHUP | select.EPOLLHUP | select.EPOLLERR
        while True:
            await trio.lowlevel.wait_readable(epoll.fileno())
            for fd, flags in epoll.poll(0, max(64, len(waiters))):
                if flags & hangup:
                    ended.add(fd)
                task = waiters.pop(fd, None)
                if task is None:
                    ready.add(fd)
                else:
                    reschedule(task)


#: Plain-socket connections open in a Trio run from which they wait through
#: one epoll set (:class:`_Readiness`). Measured with benchmarks/ws_server.py
#: (32-octet echoes, server CPU per message): with the set, one connection
#: spent about a fifth more than with Trio's own waits, fifty connections
#: about a quarter less; a few connections already share wake-ups.
READINESS_THRESHOLD: Final = 4

_READINESS: trio.lowlevel.RunVar[_Readiness | None] = trio.lowlevel.RunVar("ws_readiness")


def _readiness() -> _Readiness | None:
    """This run's :class:`_Readiness` (``None`` where there is no epoll)."""
    try:
        return _READINESS.get()
    except LookupError:
        readiness = _Readiness() if hasattr(select, "epoll") else None
        _READINESS.set(readiness)
        return readiness


class WebSocketError(Exception):
    """Base class of the errors this module raises."""


class WebSocketClosed(WebSocketError):
    """The connection is closed (or closing): nothing more can be received or sent.

    Attributes:
        code: The close code: the peer's Close frame's (1005 without a code),
            or 1006 when none came.
        reason: The peer's close reason.
        error: Why, when the peer broke a rule or stopped answering.
    """

    def __init__(self, code: int, reason: str = "", error: RemoteProtocolError | None = None):
        detail = f" ({reason})" if reason else ""
        super().__init__(f"WebSocket closed with code {code}{detail}")
        self.code = code
        self.reason = reason
        self.error = error

    @property
    def clean(self) -> bool:
        """Whether the connection ended normally (1000, 1001 or 1005, no error)."""
        return self.error is None and self.code in _CLEAN_CODES


class HandshakeFailed(WebSocketError):
    """The opening handshake failed (client side).

    Attributes:
        status: The HTTP status when the server refused, else ``None``.
        headers: The refusal's header fields.
        body: The first octets of the refusal's body.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        headers: tuple[tuple[bytes, bytes], ...] = (),
        body: bytes = b"",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers
        self.body = body


Message: TypeAlias = str | bytes


class WebSocket:
    """One WebSocket connection, as a handler or a client uses it.

    Made by :func:`serve_ws` (given to the handler), by the HTTP server for an
    ``App.websocket`` route, and by :func:`connect`.

    Attributes:
        request: The opening handshake's request (path, query, headers,
            ``path_params``), as REST handlers see one; ``None`` on a client.
        subprotocol: The subprotocol agreed, or ``None``.
        deflate: permessage-deflate as agreed, or ``None``.
    """

    def __init__(
        self,
        stream: trio.abc.Stream,
        conn: ws.WSConnection,
        *,
        request: rest.Request | None = None,
        initial: bytes = b"",
        max_queue: int = MAX_QUEUE,
        max_queue_bytes: int = MAX_QUEUE_BYTES,
        send_high_water: int = SEND_HIGH_WATER,
        send_timeout: float = SEND_TIMEOUT,
        read_size: int = READ_SIZE,
    ) -> None:
        if max_queue < 1 or max_queue_bytes < 1 or send_high_water < 0 or read_size < 1:
            raise ValueError("queue limits and read_size must be >= 1, send_high_water >= 0")
        if not send_timeout > 0:
            raise ValueError("send_timeout must be a positive number of seconds")
        self._stream = stream
        self._conn = conn
        self.request = request
        self.subprotocol = conn.subprotocol
        self.deflate = conn.deflate
        self._initial = initial
        self._max_queue = max_queue
        self._max_queue_bytes = max_queue_bytes
        self._high_water = send_high_water
        self._send_timeout = send_timeout
        self._read_size = read_size
        self._feed = DEFLATE_FEED if conn.deflate is not None else 0
        #: A plain socket's descriptor, for the fast path (-1: any other stream).
        self._fd = stream.socket.fileno() if type(stream) is trio.SocketStream else -1
        self._input_drained = False
        #: Where the fast path waits for input: the run's epoll set once ``run``
        #: registered the descriptor (see :class:`_Readiness`), else Trio's.
        self._readiness: _Readiness | None = None
        #: The run's :class:`_Readiness` this connection counts in (``run`` sets it).
        self._shared: _Readiness | None = None
        #: The stream is being closed: the fast path must not touch the descriptor.
        self._stream_closing = False
        #: A task reads the stream (or waits to): the reader, or receive() itself.
        self._io_busy = False
        self._reader_parked = False
        self._park_scope: trio.CancelScope | None = None
        #: receive() read a Close after messages: the reader holds the answer.
        self._hold_requested = False
        #: The application has been calling receive(): it may read itself.
        self._app_receives = False
        # Received messages waiting for the application.
        # (Messages; ws.MessageFragment items when the machine streams fragments.)
        self._queue: deque[Any] = deque()
        #: The machine reports frames (``WSConfig(stream_fragments=True)``):
        #: the application takes them with receive_fragment().
        self._streaming = conn.config.stream_fragments
        self._queued_bytes = 0
        self._readable: trio.Event | None = None
        self._room: trio.Event | None = None
        #: The application closed: what arrives now is dropped.
        self._discard = False
        #: A peer's Close waits until the application took what came before.
        self._holding = False
        #: The time of the machine's last tick.
        self._now = -math.inf
        self._clock: Callable[[], float] | None = None
        # Output taken from the machine, not yet written.
        self._out: list[bytes] = []
        self._out_size = 0
        self._writing = False
        #: Set to wake the writer when output is waiting (``None``: it is awake).
        self._wake: trio.Event | None = None
        self._write_closed = False
        self._half_closed = False
        self._drained: trio.Event | None = None
        # The end.
        self._closed_event: ws.ConnectionClosed | None = None
        self._finished = trio.Event()
        self._stream_closed = trio.Event()
        self._pings: dict[bytes, trio.Event] = {}
        self._ping_count = 0
        self._timer = trio.CancelScope()
        self._io: trio.Nursery | None = None

    # ------------------------------------------------------------------
    # What the application sees
    # ------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """Whether the connection is over (the terminal event arrived)."""
        return self._closed_event is not None

    @property
    def close_code(self) -> int | None:
        """The close code once :attr:`closed`, else ``None`` (see :class:`WebSocketClosed`)."""
        return None if self._closed_event is None else self._closed_event.code

    @property
    def close_reason(self) -> str | None:
        """The peer's close reason once :attr:`closed`, else ``None``."""
        return None if self._closed_event is None else self._closed_event.reason

    @property
    def close_error(self) -> RemoteProtocolError | None:
        """Why the connection ended, when the peer broke a rule or stopped answering."""
        return None if self._closed_event is None else self._closed_event.error

    @property
    def state(self) -> ws.ConnectionState:
        """The machine's state."""
        return self._conn.state

    @property
    def remote_address(self) -> tuple[str, int] | None:
        """The peer's address, when the stream is a socket."""
        if self.request is not None and self.request.client is not None:
            return self.request.client
        return _peer_address(self._stream)

    async def receive(self) -> Message:
        """The next message: ``str`` for text, ``bytes`` for binary.

        Messages that arrived before the end are delivered first.

        Raises:
            WebSocketClosed: the connection is over and nothing is left.
        """
        return await self._receive(False)

    def __aiter__(self) -> WebSocket:
        return self

    def __anext__(self) -> Coroutine[Any, Any, Message]:
        """The next message; the iteration ends when the connection closes cleanly.

        Raises:
            WebSocketClosed: the connection ended with an error or an abnormal code.
        """
        # Not ``await self.receive()``: one coroutine level less per message.
        return self._receive(True)

    async def receive_fragment(self) -> ws.MessageFragment:
        """The next frame of a message, on a connection that streams fragments.

        With ``WSConfig(stream_fragments=True)`` (``connect(...,
        stream_fragments=True)``, or a route's config) messages arrive frame
        by frame, each bounded by ``max_frame_size`` and none held whole:
        ``data`` is ``str`` for a text message (whole characters; the decoder
        carries a character cut by a frame over), ``bytes`` for binary;
        ``final`` marks a message's last frame.

        Raises:
            WebSocketClosed: the connection is over and nothing is left.
            LocalProtocolError: the connection does not stream fragments.
        """
        return cast(ws.MessageFragment, await self._receive(False, True))

    def fragments(self) -> AsyncIterator[ws.MessageFragment]:
        """``async for fragment in ws.fragments()``: :meth:`receive_fragment` until a clean close.

        Raises:
            WebSocketClosed: the connection ended with an error or an abnormal code.
        """
        return _Fragments(self)

    async def _receive(self, iterating: bool, fragments: bool = False) -> Message:
        if self._streaming is not fragments:
            raise LocalProtocolError(
                "this connection streams fragments: use receive_fragment()"
                if self._streaming
                else "this connection does not stream fragments (WSConfig.stream_fragments)"
            )
        await trio.lowlevel.checkpoint_if_cancelled()
        queue = self._queue
        while not queue:
            if self._discard:
                # We are closing: what the peer answers is the news.
                await self._finished.wait()
            if self._closed_event is not None:
                error = self._closed_error()
                if iterating and error.clean:
                    raise StopAsyncIteration
                raise error
            if self._reader_parked and not self._io_busy:
                readiness = self._readiness
                if readiness is None:
                    await self._read_as_application()
                    continue
                # _read_as_application() written out for the shared epoll set:
                # the wait in this very coroutine, since every coroutine level
                # costs on each suspend and resume, once per message of an echo.
                self._io_busy = True
                try:
                    if self._input_drained and readiness.enlist(self._fd):
                        await trio.lowlevel.wait_task_rescheduled(self._abort_input_wait)
                    data = self._read_nowait()
                except _BROKEN:
                    data = b""
                except BaseException:
                    self._give_reading_back()
                    raise
                self._io_busy = False
                if data is None:
                    self._input_drained = True
                    continue
                self._took_input(data)
                if not self._input_drained:
                    # A flood must not starve the others (the input is in the machine).
                    await trio.lowlevel.cancel_shielded_checkpoint()
                continue
            self._app_receives = True
            if self._readable is None:
                self._readable = trio.Event()
            await self._readable.wait()
        message: Message = queue.popleft()  # (a MessageFragment when fragments)
        self._queued_bytes -= len(message.data) if fragments else len(message)  # type: ignore[union-attr]
        room = self._room
        if room is not None and not self._full():
            self._room = None
            room.set()
        return message

    async def send(self, message: Message | bytearray | memoryview | ws.PreparedMessage) -> None:
        """Send one message: text for ``str``, binary for bytes-like.

        A :class:`wire.ws.PreparedMessage` (a broadcast encoded once) goes
        out as the message it holds; every ``send`` method takes one.

        Raises:
            WebSocketClosed: the connection is closing or closed.
        """
        if type(message) is str or type(message) is bytes:
            self._send_data(message)
        else:
            self._queue_message(message)
        # _flush(), inline: this is the hot path of every handler.
        self._kick_writer()
        if self._out_size > self._high_water:
            await self._wait_below_high_water()
        else:
            await trio.lowlevel.checkpoint_if_cancelled()

    def send_nowait(self, message: Message | bytearray | memoryview | ws.PreparedMessage) -> bool:
        """Send one message if it can go without waiting; ``False`` (nothing sent) if not.

        It can while no more than ``send_high_water`` octets wait to be
        written: the message is queued whole and written as far as the socket
        takes it. A hub uses this to deliver without a task switch.

        Raises:
            WebSocketClosed: the connection is closing or closed.
        """
        if self._out_size > self._high_water:
            if self._conn.state is not _OPEN or self._write_closed or self._discard:
                raise self._closed_error()
            return False
        if type(message) is ws.PreparedMessage:
            self._send_event(message)  # a hub's broadcast: the hot path here
        else:
            self._queue_message(message)
        self._kick_writer()
        return True

    async def send_many(
        self, messages: Iterable[Message | bytearray | memoryview | ws.PreparedMessage]
    ) -> None:
        """Send several messages with one write (a batch from a hub, for instance).

        Raises:
            WebSocketClosed: the connection is closing or closed.
        """
        for message in messages:
            self._queue_message(message)
        await self._flush()

    async def send_fragment(
        self, data: str | bytes | bytearray | memoryview, *, final: bool
    ) -> None:
        """Send one frame of a message: a message too large to hold, streamed out.

        ``str`` data makes (or continues) a text message, bytes-like a binary
        one; every frame of a message has the same type, and ``final=True``
        ends it. Until then only Pings and the Close may go out between its
        frames: another message raises. With permessage-deflate the message
        is compressed as one stream across its frames (RFC 7692 section 6.1).

        Raises:
            WebSocketClosed: the connection is closing or closed.
            LocalProtocolError: a frame of the other type, or a whole message
                while a fragmented one is being sent; nothing was sent.
        """
        if not isinstance(data, str):
            data = bytes(data)
        self._send_event(ws.MessageFragment(data, final))
        await self._flush()

    async def ping(self, payload: bytes | None = None) -> float:
        """Send a Ping and wait for its Pong; returns the round trip in seconds.

        Raises:
            WebSocketClosed: the connection closed before the Pong came.
        """
        if payload is None:
            self._ping_count += 1
            payload = b"wire %d" % self._ping_count
        waiter = self._pings.get(payload)
        if waiter is None:
            waiter = self._pings[payload] = trio.Event()
        self._send_event(ws.Ping(payload))
        started = trio.current_time()
        await self._flush()
        await waiter.wait()
        if payload in self._pings and self._closed_event is not None:
            raise self._closed_error()
        return trio.current_time() - started

    async def close(self, code: int = ws.CloseCode.NORMAL_CLOSURE, reason: str = "") -> None:
        """Start the closing handshake (if not started) and wait for the end.

        Messages not received yet are dropped. The wait is bounded by the
        machine's ``close_timeout``.
        """
        self._start_close(code, reason)
        await self._finished.wait()

    async def wait_closed(self) -> None:
        """Wait until the connection is over."""
        await self._finished.wait()

    async def wait_stream_closed(self) -> None:
        """Wait until the connection is over and its stream closed."""
        await self._stream_closed.wait()

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------

    def _closed_error(self) -> WebSocketClosed:
        event = self._closed_event
        if event is None:
            # Closing on our side; the end has not come yet.
            return WebSocketClosed(ws.CloseCode.ABNORMAL_CLOSURE, "closing")
        return WebSocketClosed(event.code, event.reason, event.error)

    def _queue_message(
        self, message: Message | bytearray | memoryview | ws.PreparedMessage
    ) -> None:
        if type(message) is str or type(message) is bytes:
            self._send_data(message)
        elif isinstance(message, str):
            self._send_data(str.__str__(message))  # a subclass (a str enum): its plain value
        elif isinstance(message, bytes | bytearray | memoryview):
            self._send_data(bytes(message))
        elif type(message) is ws.PreparedMessage:
            self._send_event(message)
        else:
            raise TypeError(f"a message is str or bytes, not {type(message).__name__}")

    def _send_data(self, data: str | bytes) -> None:
        conn = self._conn
        if conn.state is not _OPEN or self._write_closed or self._discard:
            raise self._closed_error()
        # Open: the machine refuses nothing but text without a UTF-8 form.
        conn.send_message(data)
        if not self._holding:
            self._take_output()

    def _send_event(self, event: ws.Event | ws.PreparedMessage) -> None:
        conn = self._conn
        if conn.state is not _OPEN or self._write_closed or self._discard:
            raise self._closed_error()
        # Open: what the machine refuses now is a misuse (a message in the
        # middle of a fragmented one), the application's to hear about.
        if isinstance(event, ws.PreparedMessage):
            conn.send_prepared(event)
        else:
            conn.send(event)
        if not self._holding:
            self._take_output()

    def _take_output(self) -> None:
        chunks = self._conn.data_to_send()
        if chunks:
            self._out += chunks
            for chunk in chunks:
                self._out_size += len(chunk)

    async def _flush(self) -> None:
        """Hand the output to the writer; wait while more than the high-water mark waits."""
        self._kick_writer()
        if self._out_size > self._high_water:
            await self._wait_below_high_water()
        else:
            await trio.lowlevel.checkpoint_if_cancelled()

    def _kick_writer(self) -> None:
        """Get what waits written: at once what the kernel takes, the rest by the writer task."""
        out = self._out
        if not out or self._writing:
            return
        if self._fd >= 0 and out[-1] and not self._write_closed:
            self._write_now(out)
            if not self._out:
                return
        wake = self._wake
        if wake is not None:
            self._wake = None
            wake.set()

    def _write_now(self, out: list[bytes]) -> None:
        """The socket fast path: one non-blocking write; what it did not take stays queued.

        Used only when no write is under way, and never with ``b""`` (the
        writer task closes our side), so it cannot reorder or interleave bytes.
        """
        if b"" in out:
            return
        data = out[0] if len(out) == 1 else b"".join(out)
        try:
            sent = os.write(self._fd, data)
        except BlockingIOError:
            sent = 0
        except OSError:
            self._lost()
            return
        if sent == len(data):
            self._out = []
            self._out_size = 0
            if self._drained is not None:
                self._signal_drained()
        else:
            rest = data[sent:]
            self._out = [rest]
            self._out_size = len(rest)

    async def _wait_below_high_water(self) -> None:
        while self._out_size > self._high_water and not self._write_closed:
            if self._drained is None:
                self._drained = trio.Event()
            await self._drained.wait()
        await trio.lowlevel.checkpoint_if_cancelled()

    def _signal_drained(self) -> None:
        drained = self._drained
        if drained is not None:
            self._drained = None
            drained.set()

    async def _write_loop(self) -> None:
        """The connection's one writer: everything waiting, one ``send_all`` per batch.

        ``b""`` in the output closes our side of the stream.
        """
        stream = self._stream
        while not self._write_closed:
            if not self._out:
                self._signal_drained()
                self._wake = wake = trio.Event()
                await wake.wait()
                continue
            self._writing = True
            out = self._out
            self._out = []
            self._out_size = 0
            self._signal_drained()
            eof = b"" in out
            if eof:
                out = out[: out.index(b"")]
            data = out[0] if len(out) == 1 else b"".join(out)
            with trio.move_on_after(self._send_timeout) as scope:
                try:
                    if data:
                        await stream.send_all(data)
                    if eof:
                        self._write_closed = True
                        await self._close_our_side()
                except _BROKEN:
                    self._lost()
            self._writing = False
            if scope.cancelled_caught:
                log.info("WebSocket peer %s: send timeout", self.remote_address)
                self._lost()
        self._signal_drained()

    async def _close_our_side(self) -> None:
        stream = self._stream
        if isinstance(stream, trio.abc.HalfCloseableStream):
            await stream.send_eof()
            self._half_closed = True
        else:
            # No half-close (TLS): the supervisor closes the whole stream.
            self._half_closed = False

    def _lost(self) -> None:
        """The stream broke (or a write timed out): the connection is over."""
        self._write_closed = True
        self._out = []
        self._out_size = 0
        if self._closed_event is None:
            self._conn.receive_eof()
            self._pump()

    def _start_close(self, code: int, reason: str) -> None:
        close = ws.Close(code, reason)  # LocalProtocolError for a code that may not be sent
        self._discard = True
        self._queue.clear()
        self._queued_bytes = 0
        self._wake_room()
        readable = self._readable
        if readable is not None:
            self._readable = None
            readable.set()
        if self._conn.state is _OPEN and not self._write_closed:
            self._conn.send(close)
            self._take_output()
            self._rearm()
            self._kick_writer()

    # ------------------------------------------------------------------
    # Receiving
    # ------------------------------------------------------------------

    def _ended(self) -> bool:
        return self._closed_event is not None

    def _full(self) -> bool:
        return len(self._queue) >= self._max_queue or self._queued_bytes >= self._max_queue_bytes

    def _wake_room(self) -> None:
        room = self._room
        if room is not None:
            self._room = None
            room.set()

    async def _wait_room(self) -> None:
        while self._full() and not self._discard:
            if self._room is None:
                self._room = trio.Event()
            await self._room.wait()

    def _dispatch(self, events: list[ws.Event]) -> bool:
        """Act on the machine's events; True when messages were queued."""
        queue = self._queue
        queued = len(queue)
        discard = self._discard
        for event in events:
            if isinstance(event, ws.TextMessage | ws.BytesMessage):
                if not discard:
                    data: Message = event.data
                    queue.append(data)
                    self._queued_bytes += len(data)
            elif isinstance(event, ws.MessageFragment):
                if not discard:
                    queue.append(event)
                    self._queued_bytes += len(event.data)
            elif isinstance(event, ws.Pong):
                self._pong(event.payload)
            elif isinstance(event, ws.ConnectionClosed):
                self._on_end(event)
        if len(queue) > queued:
            readable = self._readable
            if readable is not None:
                self._readable = None
                readable.set()
            return True
        return False

    def _pong(self, payload: bytes) -> None:
        # A Pong answers its Ping and every one sent before it (RFC 6455 section 5.5.3).
        if payload not in self._pings:
            return
        for key in list(self._pings):
            self._pings.pop(key).set()
            if key == payload:
                break

    def _on_end(self, event: ws.ConnectionClosed) -> None:
        self._closed_event = event
        if event.error is not None and event.error.code is not None:
            log.info("WebSocket peer %s: %s", self.remote_address, event.error)
        for waiter in self._pings.values():
            waiter.set()
        readable = self._readable
        if readable is not None:
            self._readable = None
            readable.set()
        self._wake_room()
        self._wake_reader()
        self._finished.set()

    def _pump(self) -> bool:
        """Drain the machine: events to the queue, bytes to the output.

        Returns True when messages just queued are followed by something the
        machine holds back until its next call (the peer's Close, or its
        fault: ``close_pending``): the caller lets the application take them
        first, so its answers precede our Close frame.
        """
        conn = self._conn
        while True:
            events = conn.events()
            pending = conn.close_pending
            if events and self._dispatch(events) and pending and not self._discard:
                return True
            self._take_output()
            # Without a Close (or fault) pending, taking the output made no events.
            if not events or not pending:
                return False

    def _tick(self) -> None:
        clock = self._clock
        if clock is None:
            # The run's clock, once: trio.current_time() costs two calls more per message.
            clock = self._clock = trio.lowlevel.current_clock().current_time
        self._now = now = clock()
        self._conn.tick(now)

    async def _process(self) -> None:
        """After input or time: events out, output to the writer, the timer rearmed.

        When this input made answers (Pongs) while more than the high-water
        mark waits to be written, reading waits for the writer: a peer that
        floods Pings and reads nothing is pushed back. Output the application
        sent does not stop the reading: both ends of a full-duplex exchange
        would then wait for the other to read (a deadlock).
        """
        before = self._out_size
        if self._pump():
            await self._hold()
        answered = self._out_size > before
        self._rearm()
        self._kick_writer()
        if answered and self._out_size > self._high_water:
            await self._wait_below_high_water()

    async def _hold(self) -> None:
        """Section 5.5.1: the Close answer waits (a little) for the messages before it."""
        self._holding = True
        with trio.move_on_after(ANSWER_GRACE):
            while self._queue and not self._discard:
                if self._room is None:
                    self._room = trio.Event()
                await self._room.wait()
        self._holding = False
        self._pump()

    def _rearm(self) -> None:
        deadline = self._conn.next_deadline()
        timer = self._timer
        # Setting a deadline refiles the scope in Trio's heap: only when earlier.
        if deadline is not None and deadline < timer.deadline:
            timer.deadline = deadline

    async def _receive_some(self) -> bytes | bytearray:
        """The next bytes from the peer; ``b""`` at its end (or when the stream broke)."""
        fd = self._fd
        if fd < 0:
            try:
                return await self._stream.receive_some(self._read_size)
            except _BROKEN:
                return b""
        # The socket fast path: a read the kernel can answer costs one system
        # call, without trio's per-call wrappers; after a short read the
        # buffer is known to be empty, so the next read waits first.
        readiness = self._readiness
        if readiness is None:
            shared = self._shared
            if shared is not None and shared.active and not self._stream_closing:
                # Enough connections now: join the run's epoll set.
                shared.register(fd)
                self._readiness = readiness = shared
        wait = trio.lowlevel.wait_readable if readiness is None else readiness.wait
        try:
            if self._input_drained:
                await wait(fd)
            while True:
                data = self._read_nowait()
                if data is None:
                    await wait(fd)
                    continue
                if not self._input_drained:
                    # A flood must not starve the others; shielded, since a
                    # Cancelled here would lose what was just read.
                    await trio.lowlevel.cancel_shielded_checkpoint()
                return data
        except _BROKEN:
            return b""

    def _read_nowait(self) -> bytes | None:
        """One non-blocking read of the socket: ``None`` when nothing waits, ``b""`` at the end."""
        if self._stream_closing:
            return b""
        try:
            data = os.read(self._fd, self._read_size)
        except BlockingIOError:
            return None
        except OSError:
            return b""
        self._input_drained = len(data) < self._read_size
        return data

    async def _read_loop(self) -> None:
        conn = self._conn
        data: bytes | bytearray = self._initial
        self._initial = b""
        while not self._ended():
            if not data:
                if self._hold_requested:
                    self._hold_requested = False
                    await self._hold()
                    self._rearm()
                    self._kick_writer()
                    continue
                if self._full():
                    await self._wait_room()
                    continue
                if (self._can_hand_over() and self._app_receives) or self._io_busy:
                    # The application receives (or is reading right now): it
                    # reads itself while it does; never two readers at once.
                    readable = self._readable
                    if readable is not None:
                        # It waits for us: wake it to read.
                        self._readable = None
                        readable.set()
                    await self._park(math.inf if self._io_busy else self._now + HANDBACK)
                    if not self._io_busy:
                        # Not in receive() now (busy, or gone): read for it.
                        self._app_receives = False
                    continue
                self._io_busy = True
                try:
                    data = await self._receive_some()
                finally:
                    self._io_busy = False
                if not data:
                    conn.receive_eof()
                    self._tick()
                    await self._process()
                    return
            feed = self._feed
            if feed and len(data) > feed:
                for start in range(0, len(data), feed):
                    if self._ended():
                        return
                    if self._full():
                        await self._wait_room()
                    conn.receive_data(data[start : start + feed])
                    self._tick()
                    await self._process()
            else:
                conn.receive_data(data)
                self._tick()
                await self._process()
            data = b""

    # -- Handing the reading over to the application -----------------------------
    #
    # In a request-response loop (``async for m in ws: await ws.send(...)``) a
    # reader task costs a task switch and a wake-up per message: the reader
    # reads, queues, wakes the application. On a plain socket without
    # compression the reader instead parks while the application waits in
    # receive(), and receive() reads the socket itself. When the application
    # stops receiving for HANDBACK seconds (busy elsewhere), the reader takes
    # the reading back, so Pings and the peer's Close are still answered.

    def _can_hand_over(self) -> bool:
        return self._fd >= 0 and not self._feed

    async def _park(self, deadline: float) -> None:
        self._reader_parked = True
        try:
            with trio.CancelScope(deadline=deadline) as scope:
                self._park_scope = scope
                await trio.sleep_forever()
        finally:
            self._reader_parked = False
            self._park_scope = None

    def _wake_reader(self) -> None:
        scope = self._park_scope
        if scope is not None:
            scope.cancel()
            # At once, not when the reader runs: a receive() before then must
            # not take the reading (the reader is about to read).
            self._reader_parked = False

    async def _read_as_application(self) -> None:
        """receive() with an empty queue while the reader is parked: read here."""
        self._io_busy = True
        try:
            data = await self._receive_some()
        except BaseException:
            self._give_reading_back()
            raise
        self._io_busy = False
        self._took_input(data)

    def _give_reading_back(self) -> None:
        """receive() was cancelled while it waited for input: the reader reads again now."""
        self._io_busy = False
        self._app_receives = False
        self._wake_reader()

    def _abort_input_wait(self, _: object) -> trio.lowlevel.Abort:
        readiness = self._readiness
        if readiness is not None:
            readiness.withdraw(self._fd)
        return trio.lowlevel.Abort.SUCCEEDED

    def _took_input(self, data: bytes | bytearray) -> None:
        """What receive() read itself: into the machine, its events and output out."""
        conn = self._conn
        if data:
            conn.receive_data(data)
        else:
            conn.receive_eof()
        self._tick()
        if self._pump():
            # The hold waits for this very task: the reader does it, and from
            # now on this task's answers stay in the machine (before the Close).
            self._holding = True
            self._hold_requested = True
            self._wake_reader()
        self._rearm()
        self._kick_writer()
        scope = self._park_scope
        # The reader looks again HANDBACK seconds on (one timer per period, not per message).
        if scope is not None and scope.deadline == math.inf:
            scope.deadline = self._now + HANDBACK

    async def _timer_loop(self) -> None:
        conn = self._conn
        while True:
            deadline = conn.next_deadline()
            if self._holding:
                deadline = None
            with trio.CancelScope(deadline=math.inf if deadline is None else deadline) as scope:
                self._timer = scope
                await trio.sleep_forever()
            if self._holding:
                await trio.sleep(0.01)
                continue
            self._tick()
            self._pump()
            self._kick_writer()

    async def _supervise(self) -> None:
        """When the connection is over: let the last bytes out, close the stream."""
        await self._finished.wait()
        with trio.move_on_after(self._conn.config.close_timeout):
            while self._writing or (self._out and not self._write_closed):
                self._kick_writer()
                if self._drained is None:
                    self._drained = trio.Event()
                await self._drained.wait()
                await trio.lowlevel.checkpoint()
        await self._close_stream()
        assert self._io is not None
        self._io.cancel_scope.cancel()

    async def _close_stream(self) -> None:
        stream = self._stream
        self._write_closed = True
        if self._half_closed:
            # Lingering close: read (and drop) until the client's end of stream.
            # Not shielded: a server shutting down cuts it short.
            with (
                trio.move_on_after(LINGER),
                contextlib.suppress(*_BROKEN, trio.BusyResourceError),
            ):
                while await stream.receive_some(self._read_size):
                    pass
        self._stream_closing = True
        self._forget_fd()
        with trio.CancelScope(shield=True):
            with trio.move_on_after(1.0) as scope:
                with contextlib.suppress(*_BROKEN, trio.BusyResourceError):
                    await stream.aclose()
            if scope.cancelled_caught:
                await trio.aclose_forcefully(stream)
        self._stream_closed.set()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Run the connection's reader, timer and writer until the stream is closed.

        The server and :func:`connect` call it; ``task_status`` is reported
        once the tasks are in place.
        """
        self._tick()
        self._watch_fd()
        try:
            async with trio.open_nursery() as nursery:
                self._io = nursery
                nursery.start_soon(self._read_loop)
                nursery.start_soon(self._write_loop)
                nursery.start_soon(self._timer_loop)
                nursery.start_soon(self._supervise)
                self._rearm()
                task_status.started()
        finally:
            self._io = None
            self._write_closed = True
            if self._closed_event is None:
                # Cancelled from outside: the stream is gone without a goodbye.
                with contextlib.suppress(LocalProtocolError):
                    self._conn.receive_eof()
                self._pump()
            if not self._stream_closed.is_set():
                self._stream_closing = True
                self._forget_fd()
                await trio.aclose_forcefully(self._stream)
                self._stream_closed.set()

    def _watch_fd(self) -> None:
        if self._fd >= 0 and not self._stream_closing:
            shared = _readiness()
            if shared is not None:
                shared.opened()
                self._shared = shared

    def _forget_fd(self) -> None:
        """Before the descriptor is closed (its number may be reused at once)."""
        shared = self._shared
        if shared is not None:
            self._shared = None
            shared.closed()
        readiness = self._readiness
        if readiness is not None:
            self._readiness = None
            readiness.unregister(self._fd)

    def going_away(self, code: int = ws.CloseCode.GOING_AWAY, reason: str = "") -> None:
        """Start the closing handshake without waiting (a server shutting down)."""
        if self._closed_event is None and self._conn.state is _OPEN:
            self._start_close(code, reason)


class _Fragments:
    """The iterator of :meth:`WebSocket.fragments`."""

    def __init__(self, websocket: WebSocket) -> None:
        self._websocket = websocket

    def __aiter__(self) -> _Fragments:
        return self

    def __anext__(self) -> Coroutine[Any, Any, ws.MessageFragment]:
        return cast("Coroutine[Any, Any, ws.MessageFragment]", self._websocket._receive(True, True))


class WebSocketStream(trio.abc.Stream):
    """A :class:`trio.abc.Stream` over a WebSocket: binary messages carry the bytes.

    For protocols that run over WebSocket as over TCP (MQTT, RFC 6455 section
    1.5's "layering"): :meth:`send_all` sends one binary message, and
    :meth:`receive_some` returns the bytes of binary messages in order, however
    the peer split or joined them. A text message breaks the stream (the peer
    is told 1003, Unsupported Data), as MQTT asks (MQTT 5.0 section 6.0).
    The end of the WebSocket connection is the end of the stream. On a
    connection that streams fragments, each frame's bytes come as they arrive.
    """

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self._buffer = b""
        self._closed = False

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        if self._closed:
            raise trio.ClosedResourceError("the stream was closed")
        try:
            await self.websocket.send(bytes(data))
        except WebSocketClosed as exc:
            raise trio.BrokenResourceError(str(exc)) from exc

    async def wait_send_all_might_not_block(self) -> None:
        await self.websocket._wait_below_high_water()

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        if self._closed:
            raise trio.ClosedResourceError("the stream was closed")
        if not self._buffer:
            websocket = self.websocket
            while True:
                try:
                    if websocket._streaming:
                        message: Message = (await websocket.receive_fragment()).data
                    else:
                        message = await websocket.receive()
                except WebSocketClosed:
                    return b""
                if isinstance(message, str):
                    self.websocket.going_away(ws.CloseCode.UNSUPPORTED_DATA, "binary messages only")
                    raise trio.BrokenResourceError("a text message where binary was expected")
                if message:
                    self._buffer = message
                    break
        if max_bytes is None or max_bytes >= len(self._buffer):
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:max_bytes], self._buffer[max_bytes:]
        return data

    async def aclose(self) -> None:
        self._closed = True
        self.websocket.going_away(ws.CloseCode.NORMAL_CLOSURE)
        await self.websocket.wait_closed()


# ----------------------------------------------------------------------
# Server
# ----------------------------------------------------------------------

Handler: TypeAlias = Callable[[WebSocket], Awaitable[None]]


class _Default:
    """Marks "the server's setting"."""

    __slots__ = ()


_DEFAULT: Final = _Default()


@dataclass(frozen=True, slots=True)
class WSRoute:
    """A WebSocket endpoint: its handler and what it negotiates.

    Attributes:
        handler: ``await handler(ws)``; when it returns the connection is
            closed with 1000 (1011 if it raised).
        subprotocols: Subprotocols this endpoint speaks, preferred first: the
            first one the client offers is chosen.
        require_subprotocol: Refuse (400) a client that offers none of them.
        config: Limits and timers; the server's when ``None``.
        deflate: permessage-deflate terms; the server's when not given,
            ``None`` to decline compression.
    """

    handler: Handler
    subprotocols: tuple[str, ...] = ()
    require_subprotocol: bool = False
    config: ws.WSConfig | None = None
    deflate: ws.DeflateConfig | _Default | None = _DEFAULT


Routes: TypeAlias = Mapping[str, Handler | WSRoute]


def choose_subprotocol(offered: Sequence[str], supported: Sequence[str]) -> str | None:
    """The first of ``supported`` the client offered (the server's preference)."""
    for name in supported:
        if name in offered:
            return name
    return None


class WSServer(GracefulServer):
    """Serves WebSocket endpoints over HTTP/1.1 Upgrade on Trio streams.

    Args:
        routes: One handler for every path, or a mapping of path patterns
            (``/rooms/{room}``, as REST routes; parameters land in
            ``ws.request.path_params``) to handlers or :class:`WSRoute`.
        config: Default limits and timers of a connection.
        deflate: Default permessage-deflate terms (``None``: decline).
        allowed_origins: Origins accepted (RFC 6455 section 10.2; 403
            otherwise); ``None`` accepts any, including none.
        max_connections: Connections beyond this are closed on accept.
        handshake_timeout: Seconds for TLS and the opening handshake.
        shutdown_timeout: Seconds connections get to close when the server stops.
        max_queue: Messages waiting for a handler before reading pauses.
        max_queue_bytes: Octets waiting for a handler before reading pauses.
        send_high_water: Output octets after which senders wait.
        send_timeout: Seconds a peer may leave a write unaccepted.
    """

    def __init__(
        self,
        routes: Handler | Routes,
        *,
        config: ws.WSConfig | None = None,
        deflate: ws.DeflateConfig | None = DEFAULT_DEFLATE,
        allowed_origins: Iterable[str] | None = None,
        max_connections: int = MAX_CONNECTIONS,
        handshake_timeout: float = HANDSHAKE_TIMEOUT,
        shutdown_timeout: float = SHUTDOWN_TIMEOUT,
        max_queue: int = MAX_QUEUE,
        max_queue_bytes: int = MAX_QUEUE_BYTES,
        send_high_water: int = SEND_HIGH_WATER,
        send_timeout: float = SEND_TIMEOUT,
    ) -> None:
        if max_connections < 1:
            raise ValueError("max_connections must be >= 1")
        if not handshake_timeout > 0 or shutdown_timeout < 0:
            raise ValueError("handshake_timeout must be > 0 and shutdown_timeout >= 0")
        self._router: Router[WSRoute] = Router()
        if callable(routes):
            self._router.add(PathPattern.parse("/{path:path}"), ["GET"], WSRoute(routes))
        else:
            for path, target in routes.items():
                route = target if isinstance(target, WSRoute) else WSRoute(target)
                self._router.add(PathPattern.parse(path), ["GET"], route)
        self.config = config or DEFAULT_CONFIG
        self.deflate = deflate
        self.allowed_origins = None if allowed_origins is None else frozenset(allowed_origins)
        self.max_connections = max_connections
        self.handshake_timeout = handshake_timeout
        self.shutdown_timeout = shutdown_timeout
        self.max_queue = max_queue
        self.max_queue_bytes = max_queue_bytes
        self.send_high_water = send_high_water
        self.send_timeout = send_timeout
        self._h1_config = H1Config(max_body_size=0, idle_timeout=handshake_timeout)
        self._open: set[WebSocket] = set()
        self._accepting = 0
        super().__init__()

    @property
    def connection_count(self) -> int:
        """Open WebSocket connections."""
        return len(self._open)

    @property
    def connections(self) -> frozenset[WebSocket]:
        """The open connections."""
        return frozenset(self._open)

    async def handle(self, stream: trio.abc.Stream) -> None:
        """Serve one client connection until it ends."""
        if self._stopping or len(self._open) + self._accepting >= self.max_connections:
            await trio.aclose_forcefully(stream)
            return
        self._accepting += 1
        try:
            with trio.move_on_after(self.handshake_timeout):
                accepted = await self._handshake(stream)
            if not accepted:
                await trio.aclose_forcefully(stream)
                return
        except Exception:
            log.exception("internal error in a WebSocket handshake; connection closed")
            await trio.aclose_forcefully(stream)
            return
        finally:
            self._accepting -= 1
        websocket, route = accepted
        await self.run_connection(websocket, route.handler)

    async def run_connection(self, websocket: WebSocket, handler: Handler) -> None:
        """Run an accepted connection: its tasks and ``handler``, until both end."""
        self._open.add(websocket)
        if self._stopping:
            websocket.going_away()
        try:
            await run_websocket(websocket, handler)
        finally:
            self._open.discard(websocket)

    async def _handshake(self, stream: trio.abc.Stream) -> tuple[WebSocket, WSRoute] | None:
        client = _peer_address(stream)
        tls = isinstance(stream, trio.SSLStream)
        if isinstance(stream, trio.SSLStream):
            try:
                await stream.do_handshake()
            except _BROKEN:
                return None
        http = HTTPConnection(
            Role.SERVER,
            alpn="http/1.1",
            h1_config=self._h1_config,
            scheme=b"https" if tls else b"http",
            now=trio.current_time(),
        )
        while True:
            try:
                data = await stream.receive_some(READ_SIZE)
            except _BROKEN:
                return None
            http.tick(trio.current_time())
            if data:
                http.receive_data(data)
            else:
                http.receive_eof()
            for event in http.events():
                if isinstance(event, Request):
                    result = self._answer(http, event, client, tls)
                    if not await _write_http(stream, http):
                        return None
                    if result is None:
                        return None
                    negotiated, route, request = result
                    leftover = b"".join(e.data for e in http.events() if isinstance(e, Data))
                    conn = ws.WSConnection.from_handshake(
                        negotiated, config=route.config or self.config
                    )
                    websocket = WebSocket(
                        stream,
                        conn,
                        request=request,
                        initial=leftover,
                        max_queue=self.max_queue,
                        max_queue_bytes=self.max_queue_bytes,
                        send_high_water=self.send_high_water,
                        send_timeout=self.send_timeout,
                    )
                    return websocket, route
                if isinstance(event, HTTPConnectionClosed):
                    await _write_http(stream, http)
                    return None
            if not await _write_http(stream, http) or not data:
                return None

    def _answer(
        self, http: HTTPConnection, head: Request, client: tuple[str, int] | None, tls: bool
    ) -> tuple[ws.Negotiated, WSRoute, rest.Request] | None:
        """Accept a handshake (queue the 101) or queue the refusal."""
        target = head.target.decode("latin-1")
        path = target.partition("?")[0]
        match = self._router.match("GET", path)
        if match is None or isinstance(match, MethodNotAllowed) or match.value is None:
            _refuse(http, head, 404, b"no WebSocket endpoint here\n")
            return None
        route = match.value
        if head.protocol is None or head.protocol.lower() != b"websocket":
            _refuse(
                http,
                head,
                426,
                b"a WebSocket endpoint: connect with a WebSocket client\n",
                ((b"sec-websocket-version", b"13"),),
            )
            return None
        try:
            handshake = ws.ServerHandshake(head)
        except ws.HandshakeError as exc:
            http.send(GoAway())
            http.send(ws.reject(head, exc))
            http.send(EndOfMessage(head.stream_id))
            return None
        if self.allowed_origins is not None and (
            handshake.origin is None
            or handshake.origin.decode("latin-1") not in self.allowed_origins
        ):
            _refuse(http, head, 403, b"origin not allowed\n")
            return None
        subprotocol = choose_subprotocol(handshake.subprotocols, route.subprotocols)
        if subprotocol is None and route.require_subprotocol:
            offered = ", ".join(route.subprotocols).encode()
            _refuse(http, head, 400, b"this endpoint speaks the subprotocols: " + offered + b"\n")
            return None
        deflate = self.deflate if isinstance(route.deflate, _Default) else route.deflate
        switch, negotiated = handshake.accept(subprotocol=subprotocol, deflate=deflate)
        http.send(switch)
        request = _rest_request(head, client, "wss" if tls else "ws")
        request.path_params = match.params
        return negotiated, route, request

    def say_goodbye(self) -> None:
        for websocket in list(self._open):
            websocket.going_away()

    def busy(self) -> bool:
        # Connections whose closing handshake is done only linger.
        return self._accepting > 0 or any(not w.closed for w in self._open)


async def run_websocket(websocket: WebSocket, handler: Handler) -> None:
    """Run an accepted connection's tasks and ``handler`` until both are done.

    When the handler returns the connection is closed with 1000 (1011 if it
    raised; a :class:`WebSocketClosed` escaping it is not an error). A bug of
    ours costs this connection only.
    """
    try:
        async with trio.open_nursery() as nursery:
            await nursery.start(websocket.run)
            await _run_handler(websocket, handler)
    except Exception:
        log.exception("internal error on a WebSocket connection; closed")


async def _run_handler(websocket: WebSocket, handler: Handler) -> None:
    code = ws.CloseCode.NORMAL_CLOSURE
    try:
        await handler(websocket)
    except WebSocketClosed:
        pass
    except Exception:
        log.exception("WebSocket handler failed; closing with 1011")
        code = ws.CloseCode.INTERNAL_ERROR
    if not websocket.closed:
        websocket.going_away(code)
    await websocket.wait_closed()


def _refuse(
    http: HTTPConnection,
    head: Request,
    status: int,
    body: bytes,
    headers: tuple[tuple[bytes, bytes], ...] = (),
) -> None:
    http.send(GoAway())
    fields = (
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        *headers,
    )
    http.send(Response(status, fields, head.stream_id))
    http.send(Data(head.stream_id, body))
    http.send(EndOfMessage(head.stream_id))


async def _write_http(stream: trio.abc.Stream, http: HTTPConnection) -> bool:
    """Write what the HTTP machine holds; False once it closed (or the stream broke)."""
    chunks = http.data_to_send()
    data = b"".join(chunks)
    try:
        if data:
            await stream.send_all(data)
    except _BROKEN:
        return False
    return b"" not in chunks


def _rest_request(head: Request, client: tuple[str, int] | None, scheme: str) -> rest.Request:
    headers = head.headers
    if head.authority:
        headers = (*headers, (b"host", head.authority))
    return rest.Request("GET", head.target, headers=headers, client=client, scheme=scheme)


def _peer_address(stream: trio.abc.Stream) -> tuple[str, int] | None:
    inner = stream.transport_stream if isinstance(stream, trio.SSLStream) else stream
    if isinstance(inner, trio.SocketStream):
        try:
            address = inner.socket.getpeername()
        except OSError:
            return None
        return (str(address[0]), int(address[1]))
    return None


async def serve_ws(
    host: str = "127.0.0.1",
    port: int = 8081,
    handler_or_routes: Handler | Routes | None = None,
    *,
    ssl_context: ssl.SSLContext | None = None,
    config: ws.WSConfig | None = None,
    deflate: ws.DeflateConfig | None = DEFAULT_DEFLATE,
    allowed_origins: Iterable[str] | None = None,
    backlog: int = 4096,
    max_connections: int = MAX_CONNECTIONS,
    handshake_timeout: float = HANDSHAKE_TIMEOUT,
    shutdown_timeout: float = SHUTDOWN_TIMEOUT,
    max_queue: int = MAX_QUEUE,
    max_queue_bytes: int = MAX_QUEUE_BYTES,
    send_high_water: int = SEND_HIGH_WATER,
    send_timeout: float = SEND_TIMEOUT,
    task_status: trio.TaskStatus[tuple[str, int]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run a WebSocket server on ``host:port`` until cancelled.

    ``handler_or_routes`` is one handler for every path or a mapping of paths
    to handlers (see :class:`WSServer`); ``None`` serves the echo endpoint.
    With ``ssl_context`` it serves ``wss://`` (ALPN ``http/1.1``).
    ``task_status.started`` gets the bound (host, port), so tests can use port 0.
    """
    server = WSServer(
        handler_or_routes if handler_or_routes is not None else {"/echo": echo},
        config=config,
        deflate=deflate,
        allowed_origins=allowed_origins,
        max_connections=max_connections,
        handshake_timeout=handshake_timeout,
        shutdown_timeout=shutdown_timeout,
        max_queue=max_queue,
        max_queue_bytes=max_queue_bytes,
        send_high_water=send_high_water,
        send_timeout=send_timeout,
    )
    listeners = await trio.open_tcp_listeners(port, host=host, backlog=backlog)
    address = listeners[0].socket.getsockname()
    bound: list[trio.abc.Listener[trio.abc.Stream]] = list(listeners)
    if ssl_context is not None:
        ssl_context.set_alpn_protocols(["http/1.1"])
        bound = [
            trio.SSLListener(listener, ssl_context, https_compatible=True) for listener in listeners
        ]
    async with trio.open_nursery() as nursery:
        await nursery.start(server.serve, bound)
        task_status.started((address[0], address[1]))


async def echo(websocket: WebSocket) -> None:
    """Send every message back as it came (the conformance endpoint)."""
    async for message in websocket:
        await websocket.send(message)


# ----------------------------------------------------------------------
# Client
# ----------------------------------------------------------------------


def _split_url(url: str) -> tuple[bool, str, int, bytes, bytes]:
    """``(tls, host, port, authority, target)`` of a ``ws://`` or ``wss://`` URL."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("ws", "wss"):
        raise ValueError(f"not a WebSocket URL (ws:// or wss://): {url!r}")
    if parts.hostname is None:
        raise ValueError(f"no host in {url!r}")
    if parts.username is not None or parts.password is not None:
        raise ValueError("credentials in the URL are not supported: pass an authorization header")
    tls = scheme == "wss"
    default = 443 if tls else 80
    port = parts.port or default
    host = parts.hostname
    shown = f"[{host}]" if ":" in host else host
    authority = shown if port == default else f"{shown}:{port}"
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return tls, host, port, authority.encode("idna"), target.encode("ascii")


def _header_fields(
    headers: Mapping[str, str] | Iterable[tuple[str | bytes, str | bytes]],
) -> tuple[tuple[bytes, bytes], ...]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    out = []
    for name, value in items:
        raw_name = name.encode("latin-1") if isinstance(name, str) else name
        raw_value = value.encode("latin-1") if isinstance(value, str) else value
        out.append((raw_name.lower(), raw_value))
    return tuple(out)


async def _read_handshake(stream: trio.abc.Stream, http: HTTPConnection) -> bytes | bytearray:
    """The next bytes of an opening handshake, fed to ``http`` (``b""``: the end)."""
    try:
        data = await stream.receive_some(READ_SIZE)
    except _BROKEN as exc:
        raise HandshakeFailed(f"the connection broke during the handshake: {exc}") from exc
    http.tick(trio.current_time())
    if data:
        http.receive_data(data)
    else:
        http.receive_eof()
    return data


async def _client_handshake(
    stream: trio.abc.Stream,
    handshake: ws.ClientHandshake,
    authority: bytes,
    target: bytes,
    tls: bool,
) -> tuple[ws.Negotiated, bytes]:
    http = HTTPConnection(
        Role.CLIENT,
        alpn="http/1.1" if tls else None,
        scheme=b"https" if tls else b"http",
        now=trio.current_time(),
    )
    http.send(handshake.request(target, authority, scheme=b"https" if tls else b"http"))
    await _write_http(stream, http)
    refusal: Response | None = None
    body = b""
    while True:
        data = await _read_handshake(stream, http)
        events = http.events()
        for index, event in enumerate(events):
            if isinstance(event, ProtocolSwitch):
                try:
                    negotiated = handshake.accept(event)
                except ws.HandshakeError as exc:
                    raise HandshakeFailed(str(exc)) from None
                later = events[index + 1 :] + http.events()
                leftover = b"".join(e.data for e in later if isinstance(e, Data))
                return negotiated, leftover
            if isinstance(event, Response):
                refusal = event
            elif isinstance(event, Data) and len(body) < _MAX_REFUSAL_BODY:
                body += event.data[: _MAX_REFUSAL_BODY - len(body)]
            elif isinstance(event, EndOfMessage | HTTPConnectionClosed) and refusal is not None:
                raise HandshakeFailed(
                    f"the server refused the WebSocket handshake with {refusal.status}",
                    status=refusal.status,
                    headers=refusal.headers,
                    body=body,
                )
            elif isinstance(event, HTTPConnectionClosed):
                raise HandshakeFailed(f"the handshake failed: {event.message or 'closed'}")
        if not data:
            raise HandshakeFailed("the server closed the connection during the handshake")
        await _write_http(stream, http)


#: Seconds the goodbye of a tunnel's HTTP/2 connection (RST_STREAM, GOAWAY)
#: may take to leave when the tunnel closes, before the socket is cut.
_H2_GOODBYE: Final = 1.0
_OFFERS_NO_H2_WEBSOCKET = (
    "the server does not offer WebSocket over HTTP/2 "
    "(no SETTINGS_ENABLE_CONNECT_PROTOCOL, RFC 8441 section 3)"
)


class _H2ClientTunnel(trio.abc.HalfCloseableStream):
    """A client's RFC 8441 tunnel: one HTTP/2 stream, on a connection of its own.

    The mirror image of the server's tunnel (``servers.http._H2Tunnel``).
    :meth:`run` drives the connection: a reader feeds the machine, a writer
    writes what it says (our DATA, and its own answers: SETTINGS and PING
    acknowledgements, WINDOW_UPDATE), a timer ticks it. Received DATA is
    acknowledged only as it is read, so a WebSocket that stops reading closes
    the stream's window (RFC 9113 section 5.2) and the server's sends wait.
    Our sends go out as the server's window allows; :meth:`send_all` waits
    while more than :data:`SEND_HIGH_WATER` octets wait for it. The
    server's END_STREAM is the end of the stream; a reset stream or a lost
    connection breaks it.
    """

    def __init__(
        self,
        transport: trio.abc.Stream,
        http: HTTPConnection,
        stream_id: int,
        events: Iterable[Event] = (),
    ) -> None:
        self._transport = transport
        self._http = http
        self.stream_id = stream_id
        #: Received octets not read yet, each with the flow-control credit it gives back.
        self._pending: deque[tuple[bytes, int]] = deque()
        self._readable: trio.Event | None = None
        self._progress: trio.Event | None = None
        self._wakeup = trio.Event()
        self._timer = trio.CancelScope()
        self._scope = trio.CancelScope()
        #: The server ended its side (END_STREAM).
        self._ended = False
        #: Why the stream broke (reset, connection lost), or ``None``.
        self._broken: str | None = None
        self._eof_sent = False
        self._closed = False
        self._running = False
        #: The transport is closed.
        self._gone = trio.Event()
        self._dispatch(events)

    # -- the connection's tasks ------------------------------------------------

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Drive the HTTP/2 connection until it is closed (or cancelled)."""
        try:
            with self._scope:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(self._read_loop)
                    nursery.start_soon(self._write_loop)
                    nursery.start_soon(self._timer_loop)
                    self._running = True
                    self._kick()
                    task_status.started()
        finally:
            self._running = False

    async def _read_loop(self) -> None:
        http = self._http
        try:
            while True:
                try:
                    data = await self._transport.receive_some(READ_SIZE)
                except _BROKEN:
                    data = b""
                http.tick(trio.current_time())
                if data:
                    http.receive_data(data)
                else:
                    http.receive_eof()
                self._dispatch(http.events())
                self._kick()
                if not data:
                    return
        finally:
            self._lost("the HTTP/2 connection was closed")

    async def _write_loop(self) -> None:
        http = self._http
        while True:
            await self._wakeup.wait()
            self._wakeup = trio.Event()
            chunks = http.data_to_send()
            data = b"".join(chunks)
            try:
                if data:
                    await self._transport.send_all(data)
            except _BROKEN:
                self._lost("the HTTP/2 connection broke")
                await self._close_transport()
                return
            self._progressed()
            if b"" in chunks:
                await self._close_transport()
                return

    async def _timer_loop(self) -> None:
        http = self._http
        while True:
            deadline = http.next_deadline()
            with trio.CancelScope(deadline=math.inf if deadline is None else deadline) as timer:
                self._timer = timer
                await trio.sleep_forever()
            http.tick(trio.current_time())
            self._dispatch(http.events())
            self._kick()

    async def _close_transport(self) -> None:
        if not self._gone.is_set():
            # TLS says close_notify if it can in time (RFC 8446 section 6.1).
            with trio.move_on_after(_H2_GOODBYE):
                with contextlib.suppress(*_BROKEN, trio.BusyResourceError):
                    await self._transport.aclose()
            await trio.aclose_forcefully(self._transport)
            self._gone.set()
        self._lost("the HTTP/2 connection was closed")
        self._scope.cancel()

    # -- events and wake-ups ---------------------------------------------------

    def _dispatch(self, events: Iterable[Event]) -> None:
        stream_id = self.stream_id
        for event in events:
            if isinstance(event, Data):
                if event.stream_id != stream_id:
                    continue
                length = event.flow_controlled_length or 0
                if event.data:
                    self._pending.append((event.data, length))
                elif length:
                    # Padding alone (RFC 9113 section 6.1): nothing to read, and
                    # b"" queued would read as the end of the stream; its credit
                    # goes back at once.
                    with contextlib.suppress(LocalProtocolError):
                        self._http.acknowledge_data(stream_id, length)
            elif isinstance(event, EndOfMessage):
                if event.stream_id == stream_id:
                    self._ended = True
            elif isinstance(event, StreamReset):
                if event.stream_id == stream_id:
                    self._lost(f"the HTTP/2 stream was reset (error code {event.error_code})")
            elif isinstance(event, HTTPConnectionClosed):
                self._lost(f"the HTTP/2 connection closed: {event.message or 'GOAWAY'}")
            # A graceful GOAWAY lets the streams it covers go on (RFC 9113
            # section 6.8); the machine resets the others (StreamReset).
        self._wake_reader()

    def _lost(self, reason: str) -> None:
        if self._broken is None:
            self._broken = reason
        self._wake_reader()
        self._progressed()

    def _wake_reader(self) -> None:
        readable = self._readable
        if readable is not None:
            self._readable = None
            readable.set()

    def _progressed(self) -> None:
        progress = self._progress
        if progress is not None:
            self._progress = None
            progress.set()

    def _kick(self) -> None:
        """The machine may have output, or a new deadline."""
        self._wakeup.set()
        deadline = self._http.next_deadline()
        self._timer.deadline = math.inf if deadline is None else deadline

    # -- the stream ------------------------------------------------------------

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        await trio.lowlevel.checkpoint()
        while not self._pending:
            if self._closed:
                raise trio.ClosedResourceError("the tunnel was closed")
            if self._ended:
                return b""
            if self._broken is not None:
                raise trio.BrokenResourceError(self._broken)
            if self._readable is None:
                self._readable = trio.Event()
            await self._readable.wait()
        if self._closed:
            raise trio.ClosedResourceError("the tunnel was closed")
        data, length = self._pending.popleft()
        if max_bytes is not None and len(data) > max_bytes:
            # The rest waits; its credit goes back with the first part.
            self._pending.appendleft((data[max_bytes:], 0))
            data = data[:max_bytes]
        if length:
            with contextlib.suppress(LocalProtocolError):
                self._http.acknowledge_data(self.stream_id, length)
            self._kick()
        return data

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        if self._closed or self._eof_sent:
            raise trio.ClosedResourceError("the tunnel is closed for sending")
        if self._broken is not None:
            raise trio.BrokenResourceError(self._broken)
        if data:
            try:
                self._http.send(Data(self.stream_id, bytes(data)))
            except LocalProtocolError as exc:
                raise trio.BrokenResourceError(str(exc)) from None
            self._kick()
        await self.wait_send_all_might_not_block()

    async def wait_send_all_might_not_block(self) -> None:
        http = self._http
        while (
            http.pending_send(self.stream_id) > SEND_HIGH_WATER
            and self._broken is None
            and not self._closed
        ):
            if self._progress is None:
                self._progress = trio.Event()
            await self._progress.wait()
        await trio.lowlevel.checkpoint()

    async def send_eof(self) -> None:
        if self._closed:
            raise trio.ClosedResourceError("the tunnel was closed")
        if not (self._eof_sent or self._broken is not None):
            self._eof_sent = True
            with contextlib.suppress(LocalProtocolError):
                self._http.send(EndOfMessage(self.stream_id))
            self._kick()
        await trio.lowlevel.checkpoint()

    async def aclose(self) -> None:
        if self._closed:
            await trio.lowlevel.checkpoint()
            return
        self._closed = True
        http = self._http
        if self._broken is None and not (self._ended and self._eof_sent):
            # RFC 8441 section 6: an abrupt end of the tunnel is RST_STREAM
            # (CANCEL), as a TCP reset would be.
            with contextlib.suppress(LocalProtocolError):
                http.send(StreamReset(self.stream_id))
        # The connection was this tunnel's alone: GOAWAY, then close.
        with contextlib.suppress(LocalProtocolError):
            http.send(HTTPConnectionClosed(error_code=0))
        self._wake_reader()
        self._progressed()
        try:
            if self._running and not self._gone.is_set():
                self._kick()
                with trio.move_on_after(_H2_GOODBYE):
                    await self._gone.wait()
        finally:
            self._scope.cancel()
            if not self._gone.is_set():
                await trio.aclose_forcefully(self._transport)
                self._gone.set()


async def _h2_handshake(
    transport: trio.abc.Stream,
    handshake: ws.ClientHandshake,
    authority: bytes,
    target: bytes,
    tls: bool,
) -> tuple[_H2ClientTunnel, ws.Negotiated]:
    """The RFC 8441 opening handshake on a new HTTP/2 connection; the tunnel it opens."""
    scheme = b"https" if tls else b"http"
    # Cleartext: prior knowledge (RFC 9113 section 3.3); TLS: ALPN chose h2.
    http = HTTPConnection(
        Role.CLIENT,
        alpn="h2" if tls else None,
        prior_knowledge=True,
        scheme=scheme,
        now=trio.current_time(),
    )
    stream_id = http.next_stream_id
    assert stream_id is not None
    # RFC 8441 section 4: :scheme is that of the WebSocket URL (ws -> http).
    request = handshake.request(target, authority, scheme=scheme, stream_id=stream_id)
    sent = False
    refusal: Response | None = None
    body = b""
    await _write_http(transport, http)
    while True:
        data = await _read_handshake(transport, http)
        if not sent and http.state is ConnectionState.OPEN:
            # The CONNECT waits for the server's SETTINGS (RFC 8441 section 3).
            offered = http.extended_connect
            if offered is False:
                raise HandshakeFailed(_OFFERS_NO_H2_WEBSOCKET)
            if offered:
                http.send(request)
                sent = True
        events = http.events()
        for index, event in enumerate(events):
            if isinstance(event, HTTPConnectionClosed):
                raise HandshakeFailed(
                    f"the handshake failed: {event.message or 'the server closed the connection'}",
                    status=refusal.status if refusal is not None else None,
                    headers=refusal.headers if refusal is not None else (),
                    body=body,
                )
            if getattr(event, "stream_id", None) != stream_id:
                continue
            if isinstance(event, ProtocolSwitch):
                try:
                    negotiated = handshake.accept(event)
                except ws.HandshakeError as exc:
                    raise HandshakeFailed(str(exc)) from None
                return _H2ClientTunnel(transport, http, stream_id, events[index + 1 :]), negotiated
            if isinstance(event, Response):
                refusal = event
            elif isinstance(event, Data):
                if len(body) < _MAX_REFUSAL_BODY:
                    body += event.data[: _MAX_REFUSAL_BODY - len(body)]
                with contextlib.suppress(LocalProtocolError):
                    http.acknowledge_data(stream_id, event.flow_controlled_length or 0)
            elif isinstance(event, EndOfMessage | StreamReset):
                if refusal is None:
                    raise HandshakeFailed("the server reset the stream of the handshake")
                raise HandshakeFailed(
                    f"the server refused the WebSocket handshake with {refusal.status}",
                    status=refusal.status,
                    headers=refusal.headers,
                    body=body,
                )
        if not data:
            raise HandshakeFailed("the server closed the connection during the handshake")
        await _write_http(transport, http)


@asynccontextmanager
async def connect(
    url: str,
    *,
    subprotocols: Sequence[str] = (),
    headers: Mapping[str, str] | Iterable[tuple[str | bytes, str | bytes]] = (),
    compression: bool | ws.DeflateConfig = True,
    ssl_context: ssl.SSLContext | None = None,
    ping_interval: float | None = 20.0,
    ping_timeout: float = 20.0,
    close_timeout: float = 10.0,
    open_timeout: float = 10.0,
    max_message_size: int = 1 << 20,
    max_queue: int = MAX_QUEUE,
    max_queue_bytes: int = MAX_QUEUE_BYTES,
    send_high_water: int = SEND_HIGH_WATER,
    send_timeout: float = SEND_TIMEOUT,
    http2: bool = False,
    stream_fragments: bool = False,
) -> AsyncIterator[WebSocket]:
    """Open a WebSocket connection to ``url`` (``ws://`` or ``wss://``).

    The block's end closes the connection (1000) and waits, at most
    ``close_timeout``, for the closing handshake.

    With ``http2`` the WebSocket runs over an HTTP/2 stream (RFC 8441
    extended CONNECT) on an HTTP/2 connection of its own: prior knowledge on
    ``ws://``, ALPN ``h2`` on ``wss://`` (a given ``ssl_context`` must offer
    it, ``set_alpn_protocols(["h2"])``: the caller's context is not changed). The server
    must announce SETTINGS_ENABLE_CONNECT_PROTOCOL. HTTP/2 flow control then
    carries the backpressure both ways; the block's end closes the
    connection too.

    Args:
        url: Where to connect; the path and query are the request target.
        subprotocols: Subprotocols to offer, preferred first
            (``ws.subprotocol`` says which the server chose).
        headers: More request fields (``origin``, ``authorization``...).
        compression: Offer permessage-deflate (``True``: zlib's defaults; a
            :class:`~wire.ws.DeflateConfig` for other terms).
        ssl_context: For ``wss://``; the system's default verification when ``None``.
        ping_interval: Seconds of silence before a keep-alive Ping; ``None``: off.
        ping_timeout: Seconds within which something must arrive after it.
        close_timeout: Seconds the closing handshake may take.
        open_timeout: Seconds for TCP, TLS and the opening handshake.
        max_message_size: The largest message received (1009 beyond).
        max_queue: Messages waiting for the application before reading pauses.
        max_queue_bytes: Octets waiting for the application before reading pauses.
        send_high_water: Output octets after which senders wait.
        send_timeout: Seconds the server may leave a write unaccepted.
        http2: Use HTTP/2 (RFC 8441) instead of an HTTP/1.1 Upgrade.
        stream_fragments: Receive messages frame by frame
            (:meth:`WebSocket.receive_fragment`), never holding one whole:
            each frame is bounded by the default frame limit (1 MiB), and
            ``max_message_size`` still bounds a whole message (raise it to
            stream larger ones).

    Raises:
        HandshakeFailed: the server refused, or answered wrongly; with
            ``http2``, also when it does not speak HTTP/2 or does not offer
            WebSocket over it.
        OSError: the connection could not be made.
        trio.TooSlowError: ``open_timeout`` passed.
    """
    tls, host, port, authority, target = _split_url(url)
    deflate: ws.DeflateConfig | None
    if compression is True:
        deflate = ws.DeflateConfig()
    elif compression is False:
        deflate = None
    else:
        deflate = compression
    handshake = ws.ClientHandshake(
        nonce=None if http2 else os.urandom(16),
        subprotocols=subprotocols,
        deflate=deflate,
        headers=_header_fields(headers),
        http2=http2,
    )
    config = limits_config(
        max_message_size,
        ping_interval=ping_interval,
        ping_timeout=ping_timeout,
        close_timeout=close_timeout,
    )
    if stream_fragments:
        frame_limit = min(config.max_frame_size, DEFAULT_CONFIG.max_frame_size)
        config = dataclasses.replace(config, stream_fragments=True, max_frame_size=frame_limit)
    tunnel: _H2ClientTunnel | None = None
    with trio.fail_after(open_timeout):
        stream: trio.abc.Stream = await trio.open_tcp_stream(host, port)
        try:
            if tls:
                context = ssl_context
                if context is None:
                    context = ssl.create_default_context()
                    if http2:
                        context.set_alpn_protocols(["h2"])
                # A given context is the caller's, shared perhaps: never changed here.
                stream = trio.SSLStream(stream, context, server_hostname=host)
                await stream.do_handshake()
                if http2 and stream.selected_alpn_protocol() != "h2":
                    raise HandshakeFailed(
                        "the server did not select HTTP/2 (ALPN h2; a given ssl_context "
                        "must offer it: set_alpn_protocols(['h2']))"
                    )
            if http2:
                tunnel, negotiated = await _h2_handshake(stream, handshake, authority, target, tls)
                leftover = b""
            else:
                negotiated, leftover = await _client_handshake(
                    stream, handshake, authority, target, tls
                )
        except BaseException:
            await trio.aclose_forcefully(stream)
            raise
    conn = ws.WSConnection.from_handshake(negotiated, config=config, mask_source=os.urandom)
    websocket = WebSocket(
        stream if tunnel is None else tunnel,
        conn,
        initial=leftover,
        max_queue=max_queue,
        max_queue_bytes=max_queue_bytes,
        send_high_water=send_high_water,
        send_timeout=send_timeout,
    )
    # The connection's tasks are shielded from a cancellation of the block:
    # they carry the closing handshake, and are cancelled once it is over.
    guards: list[trio.CancelScope] = []

    async def guarded(
        run: Callable[..., Awaitable[None]],
        *,
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        with trio.CancelScope(shield=True) as guard:
            guards.append(guard)
            await run(task_status=task_status)

    try:
        async with trio.open_nursery() as nursery:
            running = False
            try:
                if tunnel is not None:
                    await nursery.start(guarded, tunnel.run)
                await nursery.start(guarded, websocket.run)
                running = True
                yield websocket
            finally:
                with trio.CancelScope(shield=True):
                    if running:
                        with trio.move_on_after(close_timeout + LINGER):
                            await websocket.close()
                            await websocket.wait_stream_closed()
                    for guard in guards:
                        guard.cancel()
                    nursery.cancel_scope.cancel()
    except BaseExceptionGroup as group:
        # The caller's own exception is raised as itself, not wrapped by our nursery.
        if len(group.exceptions) == 1:
            raise group.exceptions[0] from None
        raise
    finally:
        if tunnel is not None:
            # Its connection ends with it, whatever ended the block.
            await trio.aclose_forcefully(tunnel)
