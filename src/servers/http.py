"""The HTTP server on Trio: a thin driver around :class:`wire.http.HTTPConnection`.

Each connection is served by one reader task plus a timer task:

- the reader takes whatever the kernel has (one ``receive_some`` per wake-up),
  feeds it to the machine and acts on the events. A request's head and body
  (at most the application's ``limits.max_body_size``) are collected, turned
  into a :class:`wire.http.rest.Request` and given to ``app.handle``; the
  response goes back as ``Response``, ``Data``* and ``EndOfMessage`` events.
  HTTP/1.1 requests are answered in order, so the reader answers them itself,
  without a task per request, and writes the answers to every request of one
  read (pipelining) with one ``send_all`` (earlier once they hold more than
  :data:`SEND_HIGH_WATER` body octets). HTTP/2 streams are concurrent: one
  task per request, and a writer task that drains the machine once per batch.
  A request with ``Expect: 100-continue`` whose body has not come gets
  ``100 Continue`` at once (RFC 9110 section 10.1.1): the driver always reads
  the body;
- the timer sleeps until the earliest deadline (the machine's
  ``next_deadline()`` and the driver's own, below). Deadlines that move later
  cost nothing: the timer wakes at the old one, finds nothing due and sleeps
  again; only one that moves earlier resets it.

Timeouts (each an argument of :class:`HTTPServer` and :func:`serve_http`):

- ``idle_timeout``: HTTP/1.1 keep-alive idle time and the time a request head
  may take to arrive (the machine's ``H1Config.idle_timeout``; a head cut
  short gets 408, slowloris); an HTTP/2 connection without an open stream for
  that long is closed with GOAWAY (NO_ERROR);
- ``body_timeout``: a request body must arrive whole within this many seconds
  of its head, or the request gets 408 and then the HTTP/1.1 connection is
  closed (the rest of the body cannot be skipped) or the HTTP/2 stream reset
  with NO_ERROR (RFC 9113 section 8.1);
- ``send_timeout``: a peer that accepts none of a write of up to
  :data:`WRITE_SIZE` octets for this long (it stopped reading) is disconnected;
- ``handshake_timeout``: the TLS handshake;
- ``shutdown_timeout``: the grace period of a graceful shutdown.

The machine keeps its own clock, set by ``tick(now)``: the reader ticks it at
every wake-up, so what it arms (keep-alive, drain, abuse windows) starts from
the current time.

A streaming body waits while the machine holds more than
:data:`SEND_HIGH_WATER` octets for the stream (HTTP/2 flow control) and, over
HTTP/1.1, until each chunk has been written, so a slow reader never makes us
buffer without bound.

Shutdown (the server's task cancelled): stop accepting, send ``GoAway`` on
every connection (HTTP/2 GOAWAY, HTTP/1.1 ``Connection: close`` on the answer
in flight, or an immediate close when idle), let requests in flight finish for
``shutdown_timeout`` seconds, then close what is left.

WebSocket (``App.websocket`` routes): a request asking for ``websocket``
(HTTP/1.1 ``Upgrade``, or an HTTP/2 extended CONNECT, RFC 8441, which the
server announces with SETTINGS_ENABLE_CONNECT_PROTOCOL) is answered by the
handshake of :mod:`wire.ws`, and the route's handler runs with a
:class:`servers.ws.WebSocket`. Over HTTP/1.1 the connection then carries the
WebSocket alone, on the socket directly; over HTTP/2 the stream is a tunnel
(:class:`_H2Tunnel`) whose received octets are acknowledged (the stream's
flow-control window reopened) only as the WebSocket reads them, so a slow
handler slows its sender through HTTP/2 flow control, and whose sends wait
while the machine holds more than :data:`SEND_HIGH_WATER` for the stream.

With ``access_log``, one line per answered request goes to the
``wire.http.access`` logger at INFO: client, request line, status, body
octets sent, and milliseconds from the end of the request to the end of the
response.
"""

from __future__ import annotations

import contextlib
import logging
import math
import ssl
from collections import deque

import trio

from servers.net import GracefulServer
from servers.ws import (
    DEFAULT_CONFIG as WS_DEFAULT_CONFIG,
)
from servers.ws import (
    DEFAULT_DEFLATE as WS_DEFAULT_DEFLATE,
)
from servers.ws import (
    WebSocket,
    choose_subprotocol,
    run_websocket,
)
from wire import ws
from wire.errors import LocalProtocolError
from wire.http import (
    ConnectionClosed,
    Data,
    EndOfMessage,
    GoAway,
    H1Config,
    H2Config,
    HTTPConnection,
    InformationalResponse,
    Request,
    Response,
    Role,
    StreamReset,
    demo_app,
    rest,
)
from wire.http._events import CONNECTION_FIELDS
from wire.http._rest_messages import close_iterator

__all__ = ["ACCESS_LOG", "HTTPServer", "serve_http"]

log = logging.getLogger("wire.http.server")
#: Where ``access_log=True`` sends one INFO line per answered request.
ACCESS_LOG = logging.getLogger("wire.http.access")

#: Bytes asked of the kernel per read. At most 128 KiB, glibc's default mmap
#: threshold: ``recv(n)`` allocates n octets first, and above the threshold
#: every read maps and unmaps memory (measured here: 17.5 us per 256 KiB read
#: against 3 us per 64 KiB one, for a 50-octet request).
READ_SIZE = 64 * 1024
#: Largest single ``send_all``: ``send_timeout`` applies to each, so a peer
#: has to take at least this much per ``send_timeout`` (4.3 KiB/s at 60 s).
WRITE_SIZE = 256 * 1024
#: A streaming body waits while the machine holds more than this for the
#: stream, and answers to pipelined HTTP/1.1 requests are written once they
#: hold more than this: what one connection buffers stays bounded.
SEND_HIGH_WATER = 64 * 1024

#: Default seconds of keep-alive idle time and for a request head to arrive
#: (HTTP/1.1), or without an open stream (HTTP/2). 60 s: nginx's
#: ``client_header_timeout`` and near its 75 s keep-alive; long enough for a
#: browser to reuse a connection, short enough that idle peers do not pile up.
IDLE_TIMEOUT = 60.0
#: Default seconds for a request body to arrive whole after its head. At the
#: default 1 MiB body limit this asks for about 17 KiB/s; raise it together
#: with ``limits.max_body_size`` for large uploads over slow links.
BODY_TIMEOUT = 60.0
#: Default seconds a peer may leave a write pending without reading (nginx's
#: ``send_timeout``).
SEND_TIMEOUT = 60.0
#: Default seconds a TLS client gets to finish its handshake: a handshake is a
#: few round trips, so 10 s only cuts peers that stalled.
HANDSHAKE_TIMEOUT = 10.0
#: Default seconds requests in flight get to finish when the server stops.
SHUTDOWN_TIMEOUT = 10.0
#: Default most concurrent connections; more are closed as soon as accepted.
#: 10,000 keeps the server within a 16 KiB-per-connection budget of ~160 MiB
#: and under common file-descriptor limits once raised.
MAX_CONNECTIONS = 10_000

#: HTTP/2 NO_ERROR: the code of a stream reset after an early 408 (RFC 9113 §8.1).
_NO_ERROR = 0x0
_BROKEN = (trio.BrokenResourceError, trio.ClosedResourceError, ssl.SSLError)
_BODY_TIMEOUT_HEADERS = ((b"content-length", b"0"),)


class _Exchange:
    """A request being received or answered."""

    __slots__ = ("body", "body_deadline", "head", "scope", "size", "started", "t0")

    def __init__(self, head: Request, body_deadline: float) -> None:
        self.head = head
        #: The body received so far, and its length.
        self.body: list[bytes] = []
        self.size = 0
        #: When the whole body must be in (``inf`` once it is).
        self.body_deadline = body_deadline
        #: The answer's cancel scope (HTTP/2), or ``None``.
        self.scope: trio.CancelScope | None = None
        #: Whether the application has it.
        self.started = False
        #: When the request was complete (for the access log).
        self.t0 = 0.0


class _Connection:
    """One client connection: its stream, its machine, its tasks.

    One task sends at a time (``sending``). Over HTTP/1.1 that is the reader,
    or the timer when it has something to say; over HTTP/2 the writer task,
    woken through ``wakeup``, so that answers finished in the same scheduler
    batch leave in one write.
    """

    __slots__ = (
        "client",
        "conn",
        "due_now",
        "exchanges",
        "finished",
        "h2",
        "idle_since",
        "now",
        "nursery",
        "progress",
        "receiving",
        "scheme",
        "scope",
        "send_deadline",
        "sending",
        "server",
        "stream",
        "timer",
        "tunnels",
        "unsent",
        "upgrade",
        "upgrade_leftover",
        "wakeup",
        "websockets",
    )

    def __init__(
        self,
        server: HTTPServer,
        stream: trio.abc.Stream,
        conn: HTTPConnection,
        client: tuple[str, int] | None,
        scheme: str,
    ) -> None:
        self.server = server
        self.stream = stream
        self.conn = conn
        self.client = client
        self.scheme = scheme
        self.exchanges: dict[int, _Exchange] = {}
        #: The time of the last wake-up (read or timer), for the deadlines it arms.
        self.now = trio.current_time()
        #: Exchanges whose body is still arriving (each has a body deadline).
        self.receiving = 0
        #: Since when no exchange is open (HTTP/2 idle timeout); ``inf`` when one is.
        self.idle_since = self.now
        #: When the write under way must be done (``inf``: none under way).
        self.send_deadline = math.inf
        self.sending = False
        #: Body octets queued in the machine since the last write (a bound on
        #: what pipelined HTTP/1.1 answers hold before they are written).
        self.unsent = 0
        #: Set (and dropped) when a write round ends; created only when a task
        #: waits for it.
        self.progress: trio.Event | None = None
        #: HTTP/2: a writer task drains the machine, woken by ``wakeup``.
        self.h2 = False
        self.wakeup = trio.Event()
        #: The machine reported the end of the connection.
        self.finished = False
        self.scope = trio.CancelScope()
        #: The timer's sleep; its deadline is the timer's next round.
        self.timer = trio.CancelScope()
        #: The timer has to run a round now (see :meth:`kick`).
        self.due_now = False
        self.nursery: trio.Nursery | None = None
        #: HTTP/1.1: the WebSocket the connection became (machine, request, handler).
        self.upgrade: tuple[ws.WSConnection, rest.Request, rest.WebSocketHandler] | None = None
        self.upgrade_leftover: list[bytes] = []
        #: HTTP/2: the extended CONNECT tunnels, by stream.
        self.tunnels: dict[int, _H2Tunnel] = {}
        self.websockets: set[WebSocket] = set()

    @property
    def closed(self) -> bool:
        return self.scope.cancel_called

    def close(self) -> None:
        self.scope.cancel()

    # -- waking and writing -------------------------------------------------------

    def _progressed(self) -> None:
        progress = self.progress
        if progress is not None:
            self.progress = None
            progress.set()

    async def _wait_progress(self) -> None:
        if self.progress is None:
            self.progress = trio.Event()
        await self.progress.wait()

    def kick(self) -> None:
        """Make the timer run a round now: output may wait, a deadline may have moved."""
        self.due_now = True
        self.timer.deadline = -math.inf

    async def write(self) -> None:
        """Write everything the machine holds; close the stream when it says so."""
        if self.sending:
            # The task sending takes our bytes too before it stops.
            await self._wait_sent()
            return
        self.sending = True
        self.unsent = 0
        conn = self.conn
        send_all = self.stream.send_all
        timeout = self.server.send_timeout
        try:
            while chunks := conn.data_to_send():
                data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
                # One send_all per WRITE_SIZE octets, each within send_timeout.
                for start in range(0, len(data), WRITE_SIZE):
                    deadline = trio.current_time() + timeout
                    self.send_deadline = deadline
                    self._bring_forward(deadline)
                    if len(data) <= WRITE_SIZE:
                        await send_all(data)
                    else:
                        await send_all(memoryview(data)[start : start + WRITE_SIZE])
                if b"" in chunks:
                    self.close()
                    return
            if self.finished:
                self.close()
        except _BROKEN:
            self.close()
            # Cancelled here (the connection's scope): no task goes on writing.
            await trio.lowlevel.checkpoint()
        finally:
            self.send_deadline = math.inf
            self.sending = False
            self._progressed()

    async def _wait_sent(self) -> None:
        while self.sending:
            await self._wait_progress()

    async def flush(self) -> None:
        """Wait until what the machine holds now has been written."""
        if self.h2:
            if self.progress is None:
                self.progress = trio.Event()
            progress = self.progress
            self.wakeup.set()
            await progress.wait()
        else:
            await self.write()

    # -- tasks --------------------------------------------------------------------

    async def run(self) -> None:
        with self.scope:
            async with trio.open_nursery() as nursery:
                self.nursery = nursery
                nursery.start_soon(self.run_timer)
                await self.read_loop()
                # What the machine said last (a GOAWAY, the answers before an
                # EOF) leaves before the tasks go; the send timeout bounds it.
                await self.flush()
                nursery.cancel_scope.cancel()
            if self.upgrade is not None:
                # HTTP/1.1 Upgrade: from here on the socket carries the WebSocket.
                machine, request, handler = self.upgrade
                initial = b"".join(self.upgrade_leftover)
                websocket = WebSocket(self.stream, machine, request=request, initial=initial)
                self.websockets.add(websocket)
                if self.server.stopping:
                    websocket.going_away()
                await run_websocket(websocket, handler)

    async def read_loop(self) -> None:
        # No wait on ``reading_paused``: body octets are acknowledged as they
        # are buffered, and a complete HTTP/1.1 request is answered before the
        # next read, so the machine never asks for a pause here.
        conn = self.conn
        stream = self.stream
        while not self.finished:
            try:
                data = await stream.receive_some(READ_SIZE)
            except _BROKEN:
                data = b""
            self.now = now = trio.current_time()
            conn.tick(now)
            if data:
                conn.receive_data(data)
            else:
                conn.receive_eof()
            if not self.h2 and conn.http_version == "2":
                # ALPN h2, the prior-knowledge preface or an h2c upgrade.
                self.h2 = True
                assert self.nursery is not None
                self.nursery.start_soon(self.write_loop)
            await self.process(inline=True)
            if self.h2:
                self.wakeup.set()
            else:
                await self.write()
            if not data or self.upgrade is not None:
                return
            # Over HTTP/1.1 only a body deadline can move earlier (the
            # keep-alive deadline moves later), unless the timer sleeps for good.
            if self.h2 or self.receiving or self.timer.deadline == math.inf:
                self.rearm()

    async def write_loop(self) -> None:
        while True:
            await self.wakeup.wait()
            self.wakeup = trio.Event()
            await self.write()

    async def run_timer(self) -> None:
        while True:
            deadline = -math.inf if self.due_now else self.deadline()
            with trio.CancelScope(deadline=deadline) as self.timer:
                await trio.sleep_forever()
            self.due_now = False
            await self.on_time(trio.current_time())

    def deadline(self) -> float:
        """The earliest deadline of the machine and of the driver (``inf``: none)."""
        deadline = self.conn.next_deadline()
        earliest = math.inf if deadline is None else deadline
        if self.receiving:
            for exchange in self.exchanges.values():
                earliest = min(earliest, exchange.body_deadline)
        if self.h2 and not self.exchanges:
            earliest = min(earliest, self.idle_since + self.server.idle_timeout)
        return min(earliest, self.send_deadline)

    def rearm(self) -> None:
        """Bring the timer forward if a deadline moved earlier than its own."""
        self._bring_forward(self.deadline())

    def _bring_forward(self, deadline: float) -> None:
        timer = self.timer
        # Not min(): setting a deadline files the scope again in Trio's
        # deadline heap, so it is done only when the deadline moves earlier.
        if deadline < timer.deadline:  # noqa: PLR1730
            timer.deadline = deadline

    async def on_time(self, now: float) -> None:
        """A deadline may have passed (or :meth:`kick`): act on what is due."""
        conn = self.conn
        server = self.server
        self.now = now
        if now >= self.send_deadline:
            log.info("connection from %s: send timeout", self.client)
            self.close()
            return
        conn.tick(now)
        if self.receiving:
            for exchange in list(self.exchanges.values()):
                if now >= exchange.body_deadline:
                    self.body_timed_out(exchange)
        if self.h2 and not self.exchanges and now >= self.idle_since + server.idle_timeout:
            log.debug("connection from %s: idle timeout", self.client)
            try:
                conn.send(ConnectionClosed(message="idle timeout"))
            except LocalProtocolError:
                self.close()
        await self.process(inline=False)
        if self.h2:
            self.wakeup.set()
            return
        # The timer has nobody to watch its own write: bound it here.
        with trio.move_on_after(server.send_timeout) as bound:
            await self.write()
        if bound.cancelled_caught:
            log.info("connection from %s: send timeout", self.client)
            self.close()

    def body_timed_out(self, exchange: _Exchange) -> None:
        """408, then the HTTP/1.1 connection closes or the HTTP/2 stream is reset."""
        conn = self.conn
        stream_id = exchange.head.stream_id
        log.info("connection from %s: request body not received in time", self.client)
        self._forget(exchange)
        try:
            if conn.http_version == "1.1":
                # The answer says Connection: close; the rest of the body is never read.
                conn.send(GoAway())
            conn.send(Response(408, _BODY_TIMEOUT_HEADERS, stream_id))
            conn.send(EndOfMessage(stream_id))
            conn.send(StreamReset(stream_id, _NO_ERROR))
        except LocalProtocolError:
            self.close()
            return
        if self.server.access_log:
            exchange.t0 = self.now
            self.log_access(exchange, 408, 0)

    def _forget(self, exchange: _Exchange) -> None:
        stream_id = exchange.head.stream_id
        if self.exchanges.get(stream_id) is exchange:
            del self.exchanges[stream_id]
            if exchange.body_deadline != math.inf:
                self.receiving -= 1
            if not self.exchanges and self.h2:
                self.idle_since = trio.current_time()

    async def process(self, *, inline: bool) -> None:
        """Act on the machine's events; over HTTP/1.1 the reader answers requests itself."""
        conn = self.conn
        server = self.server
        limit = server.app.limits.max_body_size
        exchanges = self.exchanges
        while True:
            events = conn.events()
            if not events:
                return
            waiting: list[_Exchange] = []
            for event in events:
                if (
                    isinstance(event, Request)
                    and event.protocol is not None
                    and event.protocol.lower() == b"websocket"
                ):
                    self.open_websocket(event)
                    continue
                if isinstance(event, Data) and self.tunnels:
                    tunnel = self.tunnels.get(event.stream_id)
                    if tunnel is not None:
                        tunnel.feed(event)
                        continue
                if isinstance(event, Data) and self.upgrade is not None:
                    # Bytes that came with the Upgrade request: the WebSocket's first.
                    self.upgrade_leftover.append(event.data)
                    continue
                if isinstance(event, EndOfMessage | StreamReset) and self.tunnels:
                    tunnel = self.tunnels.get(event.stream_id)
                    if tunnel is not None:
                        tunnel.end(reset=isinstance(event, StreamReset))
                        continue
                if isinstance(event, Request):
                    opened = _Exchange(event, self.now + server.body_timeout)
                    exchanges[event.stream_id] = opened
                    self.receiving += 1
                    self.idle_since = math.inf
                    for name, value in event.headers:
                        if name == b"expect" and value.lower() == b"100-continue":
                            waiting.append(opened)
                elif isinstance(event, Data):
                    exchange = exchanges.get(event.stream_id)
                    if exchange is not None and not exchange.started and exchange.size <= limit:
                        # At most one octet over the limit: enough for the app's 413.
                        chunk = event.data[: limit + 1 - exchange.size]
                        exchange.body.append(chunk)
                        exchange.size += len(chunk)
                    length = event.flow_controlled_length
                    assert length is not None
                    with contextlib.suppress(LocalProtocolError):
                        conn.acknowledge_data(event.stream_id, length)
                elif isinstance(event, EndOfMessage):
                    exchange = exchanges.get(event.stream_id)
                    if exchange is None or exchange.started:
                        continue
                    exchange.started = True
                    exchange.body_deadline = math.inf
                    self.receiving -= 1
                    if server.access_log:
                        exchange.t0 = trio.current_time()
                    if self.h2:
                        assert self.nursery is not None
                        exchange.scope = trio.CancelScope()
                        self.nursery.start_soon(self.respond_task, exchange)
                    elif inline:
                        await self.respond(exchange)
                        if self.unsent > SEND_HIGH_WATER:
                            # Pipelined answers leave in one write, up to a bound.
                            await self.write()
                    else:
                        assert self.nursery is not None
                        self.nursery.start_soon(self.respond, exchange)
                elif isinstance(event, StreamReset):
                    exchange = exchanges.get(event.stream_id)
                    if exchange is not None:
                        self._forget(exchange)
                        if exchange.scope is not None:
                            exchange.scope.cancel()
                elif isinstance(event, ConnectionClosed):
                    if event.error is not None:
                        log.info("connection from %s: %s", self.client, event.message)
                    self.finished = True
                    for tunnel in self.tunnels.values():
                        tunnel.end(reset=True)
                # Trailers, GoAway, ProtocolSwitch(h2c), 1xx: nothing to do.
            for pending in waiting:
                # RFC 9110 section 10.1.1: the client waits for 100 (Continue)
                # before it sends the body we are about to read. A body that
                # came with the head needs none; HTTP/1.0 gets none (the machine).
                stream_id = pending.head.stream_id
                if not pending.started and exchanges.get(stream_id) is pending:
                    with contextlib.suppress(LocalProtocolError):
                        conn.send(InformationalResponse(100, (), stream_id))

    # -- WebSocket ------------------------------------------------------------------

    def open_websocket(self, head: Request) -> None:
        """A WebSocket handshake (HTTP/1.1 Upgrade or extended CONNECT): accept or refuse it."""
        conn = self.conn
        server = self.server
        stream_id = head.stream_id
        found = server.app.match_websocket(head.target.partition(b"?")[0].decode("latin-1"))
        try:
            if found is None:
                self._refuse(head, 404, b"no WebSocket endpoint here\n")
                return
            route, params = found
            try:
                handshake = ws.ServerHandshake(head)
            except ws.HandshakeError as exc:
                conn.send(ws.reject(head, exc))
                conn.send(EndOfMessage(stream_id))
                return
            subprotocol = choose_subprotocol(handshake.subprotocols, route.subprotocols)
            if subprotocol is None and route.require_subprotocol:
                self._refuse(head, 400, b"no subprotocol this endpoint speaks was offered\n")
                return
            switch, negotiated = handshake.accept(
                subprotocol=subprotocol, deflate=server.ws_deflate
            )
            conn.send(switch)
        except LocalProtocolError:
            # The stream or the connection ended meanwhile.
            return
        headers = head.headers
        if head.authority:
            headers += ((b"host", head.authority),)
        request = rest.Request(
            "GET",
            head.target,
            headers=headers,
            client=self.client,
            scheme="wss" if self.scheme == "https" else "ws",
        )
        request.path_params = params
        machine = ws.WSConnection.from_handshake(negotiated, config=server.ws_config)
        if not self.h2:
            # The reader stops after this read: the rest of the socket is the WebSocket's.
            self.upgrade = (machine, request, route.handler)
            return
        # HTTP/2: the stream stays open as a tunnel; it counts as an exchange
        # (no idle timeout), with no body deadline.
        exchange = _Exchange(head, math.inf)
        exchange.started = True
        self.exchanges[stream_id] = exchange
        self.idle_since = math.inf
        tunnel = self.tunnels[stream_id] = _H2Tunnel(self, stream_id)
        websocket = WebSocket(tunnel, machine, request=request)
        assert self.nursery is not None
        self.nursery.start_soon(self.run_tunnel, exchange, tunnel, websocket, route.handler)

    def _refuse(self, head: Request, status: int, body: bytes) -> None:
        stream_id = head.stream_id
        fields = (
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
        )
        self.conn.send(Response(status, fields, stream_id))
        self.conn.send(Data(stream_id, body))
        self.conn.send(EndOfMessage(stream_id))

    async def run_tunnel(
        self,
        exchange: _Exchange,
        tunnel: _H2Tunnel,
        websocket: WebSocket,
        handler: rest.WebSocketHandler,
    ) -> None:
        self.websockets.add(websocket)
        try:
            await run_websocket(websocket, handler)
        finally:
            self.websockets.discard(websocket)
            self.tunnels.pop(tunnel.stream_id, None)
            tunnel.abandon()
            self._forget(exchange)
            self.wakeup.set()

    async def respond_task(self, exchange: _Exchange) -> None:
        scope = exchange.scope
        assert scope is not None
        with scope:
            await self.respond(exchange)
        self.wakeup.set()

    async def respond(self, exchange: _Exchange) -> None:
        head = exchange.head
        stream_id = head.stream_id
        try:
            headers = head.headers
            if head.authority:
                headers += ((b"host", head.authority),)
            request = rest.Request(
                head.method,
                head.target,
                headers=headers,
                body=b"".join(exchange.body),
                client=self.client,
                scheme=self.scheme,
            )
            exchange.body.clear()
            response = await self.server.app.handle(request)
            if isinstance(response, rest.StreamingResponse):
                await self.send_streaming(exchange, response)
            else:
                self.send_complete(exchange, response)
        except LocalProtocolError:
            if stream_id in self.exchanges and not (self.closed or self.finished):
                raise
            # The stream was reset or the connection closed under us.
        finally:
            self._forget(exchange)

    def _head(self, exchange: _Exchange, response: rest.Response) -> int:
        """Send the response head; its status."""
        status = response.status if response.status >= 200 else 500
        fields = tuple(
            [pair for pair in response.headers.raw() if pair[0] not in CONNECTION_FIELDS]
        )
        self.conn.send(Response(status, fields, exchange.head.stream_id))
        return status

    def send_complete(self, exchange: _Exchange, response: rest.Response) -> None:
        conn = self.conn
        stream_id = exchange.head.stream_id
        status = self._head(exchange, response)
        body = response.body
        if body:
            conn.send(Data(stream_id, body))
            self.unsent += len(body)
        conn.send(EndOfMessage(stream_id))
        if self.server.access_log:
            self.log_access(exchange, status, len(body))

    async def send_streaming(self, exchange: _Exchange, response: rest.StreamingResponse) -> None:
        conn = self.conn
        stream_id = exchange.head.stream_id
        sent = 0
        chunks = response.iter_body()
        try:
            status = self._head(exchange, response)
            await self.flush()
            async for chunk in chunks:
                conn.send(Data(stream_id, chunk))
                sent += len(chunk)
                # Wait for the bytes to leave (HTTP/1.1) and, over HTTP/2,
                # for the peer's window when the machine holds too much.
                await self.flush()
                while conn.pending_send(stream_id) > SEND_HIGH_WATER and not self.closed:
                    await self._wait_progress()
        finally:
            with trio.CancelScope(shield=True):
                await close_iterator(chunks)
                await response.aclose()
        conn.send(EndOfMessage(stream_id))
        if self.server.access_log:
            self.log_access(exchange, status, sent)

    def log_access(self, exchange: _Exchange, status: int, sent: int) -> None:
        head = exchange.head
        client = "-" if self.client is None else f"{self.client[0]}:{self.client[1]}"
        ACCESS_LOG.info(
            '%s "%s %s HTTP/%s" %d %d %.1fms',
            client,
            head.method.decode("ascii", "replace"),
            head.target.decode("ascii", "replace"),
            self.conn.http_version,
            status,
            sent,
            (trio.current_time() - exchange.t0) * 1000,
        )

    def shutdown(self) -> None:
        """Say goodbye: no new requests; the machine closes once those in flight end."""
        if self.closed:
            return
        for websocket in list(self.websockets):
            websocket.going_away()
        if self.upgrade is not None:
            return
        try:
            self.conn.send(GoAway())
        except LocalProtocolError:
            return
        # The goodbye may be due now (an idle HTTP/1.1 connection closes), and
        # the drain deadline is new: the timer writes one and arms the other.
        self.kick()


class _H2Tunnel(trio.abc.HalfCloseableStream):
    """An HTTP/2 stream after an extended CONNECT, as a Trio stream (RFC 8441 section 5).

    Received DATA waits here and is acknowledged (its flow-control credit
    given back to the peer) only when read, so what waits is bounded by the
    stream's window. Sends wait while the machine holds more than
    :data:`SEND_HIGH_WATER` octets for the stream (the peer's window is
    closed). ``send_eof`` ends our side of the stream (END_STREAM).
    """

    def __init__(self, connection: _Connection, stream_id: int) -> None:
        self.connection = connection
        self.stream_id = stream_id
        #: Received octets not read yet, each with the flow-control credit it gives back.
        self._pending: deque[tuple[bytes, int]] = deque()
        self._readable: trio.Event | None = None
        self._ended = False
        self._reset = False
        self._eof_sent = False

    def feed(self, event: Data) -> None:
        length = event.flow_controlled_length or 0
        if not event.data:
            # Padding alone (RFC 9113 section 6.1): nothing to read, and b""
            # queued would read as the end of the stream; its credit goes back now.
            if length:
                with contextlib.suppress(LocalProtocolError):
                    self.connection.conn.acknowledge_data(self.stream_id, length)
                self.connection.wakeup.set()
            return
        self._pending.append((event.data, length))
        self._wake()

    def end(self, *, reset: bool) -> None:
        """The peer ended the stream (END_STREAM), or it was reset."""
        self._ended = True
        self._reset = self._reset or reset
        self._wake()

    def abandon(self) -> None:
        """The WebSocket is over: reset the stream if it is still open."""
        if not (self._ended and self._eof_sent) and not self._reset:
            self._reset = True
            with contextlib.suppress(LocalProtocolError):
                self.connection.conn.send(StreamReset(self.stream_id, _NO_ERROR))

    def _wake(self) -> None:
        readable = self._readable
        if readable is not None:
            self._readable = None
            readable.set()

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        while not self._pending:
            if self._reset:
                raise trio.BrokenResourceError("the HTTP/2 stream was reset")
            if self._ended:
                await trio.lowlevel.checkpoint()
                return b""
            if self._readable is None:
                self._readable = trio.Event()
            await self._readable.wait()
        data, length = self._pending.popleft()
        if max_bytes is not None and len(data) > max_bytes:
            # The rest waits; its credit was given back with the first part.
            self._pending.appendleft((data[max_bytes:], 0))
            data = data[:max_bytes]
        if length:
            with contextlib.suppress(LocalProtocolError):
                self.connection.conn.acknowledge_data(self.stream_id, length)
            self.connection.wakeup.set()
        return data

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        connection = self.connection
        if self._reset or self._eof_sent:
            raise trio.ClosedResourceError("the HTTP/2 stream is closed for sending")
        try:
            connection.conn.send(Data(self.stream_id, bytes(data)))
        except LocalProtocolError as exc:
            raise trio.BrokenResourceError(str(exc)) from None
        connection.wakeup.set()
        await self.wait_send_all_might_not_block()

    async def wait_send_all_might_not_block(self) -> None:
        connection = self.connection
        while (
            connection.conn.pending_send(self.stream_id) > SEND_HIGH_WATER
            and not self._reset
            and not connection.closed
        ):
            await connection._wait_progress()
        await trio.lowlevel.checkpoint()

    async def send_eof(self) -> None:
        if self._eof_sent or self._reset:
            await trio.lowlevel.checkpoint()
            return
        self._eof_sent = True
        with contextlib.suppress(LocalProtocolError):
            self.connection.conn.send(EndOfMessage(self.stream_id))
        self.connection.wakeup.set()
        await trio.lowlevel.checkpoint()

    async def aclose(self) -> None:
        self.abandon()
        self.connection.wakeup.set()
        await trio.lowlevel.checkpoint()


class HTTPServer(GracefulServer):
    """Serves an application over HTTP/1.1 and HTTP/2 on Trio streams.

    Args:
        app: The REST application; the demo app by default.
        max_connections: Connections beyond this are closed on accept.
        idle_timeout: Seconds of keep-alive idle time, and for a request head
            to arrive (HTTP/1.1: 408 otherwise); an HTTP/2 connection without
            an open stream for this long is closed with GOAWAY.
        body_timeout: Seconds a request body may take to arrive whole after
            its head; later gets 408 and the connection (HTTP/1.1) or the
            stream (HTTP/2) ends.
        send_timeout: Seconds a peer may leave a write pending without reading
            before it is disconnected.
        handshake_timeout: Seconds a TLS client gets to finish its handshake.
        shutdown_timeout: Seconds requests in flight get when the server stops.
        access_log: Log one line per answered request to :data:`ACCESS_LOG`.
        ws_config: Limits and timers of the WebSocket connections of the
            app's ``websocket`` routes.
        ws_deflate: Their permessage-deflate terms (``None``: declined).
    """

    def __init__(
        self,
        app: rest.App | None = None,
        *,
        max_connections: int = MAX_CONNECTIONS,
        idle_timeout: float = IDLE_TIMEOUT,
        body_timeout: float = BODY_TIMEOUT,
        send_timeout: float = SEND_TIMEOUT,
        handshake_timeout: float = HANDSHAKE_TIMEOUT,
        shutdown_timeout: float = SHUTDOWN_TIMEOUT,
        access_log: bool = False,
        ws_config: ws.WSConfig = WS_DEFAULT_CONFIG,
        ws_deflate: ws.DeflateConfig | None = WS_DEFAULT_DEFLATE,
    ) -> None:
        for name, value in (
            ("idle_timeout", idle_timeout),
            ("body_timeout", body_timeout),
            ("send_timeout", send_timeout),
            ("handshake_timeout", handshake_timeout),
        ):
            if not value > 0:
                raise ValueError(f"{name} must be a positive number of seconds")
        if shutdown_timeout < 0:
            raise ValueError("shutdown_timeout must be >= 0")
        if max_connections < 1:
            raise ValueError("max_connections must be >= 1")
        self.app = app if app is not None else demo_app()
        self.max_connections = max_connections
        self.idle_timeout = idle_timeout
        self.body_timeout = body_timeout
        self.send_timeout = send_timeout
        self.handshake_timeout = handshake_timeout
        self.shutdown_timeout = shutdown_timeout
        self.access_log = access_log
        self.ws_config = ws_config
        self.ws_deflate = ws_deflate
        limit = self.app.limits.max_body_size
        self.h1_config = H1Config(max_body_size=limit, idle_timeout=idle_timeout)
        self.h2_config = H2Config(max_body_size=limit)
        self._open: set[_Connection] = set()
        self._accepting = 0
        super().__init__()

    @property
    def connection_count(self) -> int:
        return len(self._open)

    @property
    def stopping(self) -> bool:
        """Whether the server is shutting down."""
        return self._stopping

    @property
    def connections(self) -> trio.Nursery:
        assert self._nursery is not None
        return self._nursery

    async def handle(self, stream: trio.abc.Stream) -> None:
        """Serve one client connection until it ends."""
        if self._stopping or len(self._open) + self._accepting >= self.max_connections:
            log.debug("connection refused: %d open (max_connections)", len(self._open))
            await trio.aclose_forcefully(stream)
            return
        self._accepting += 1
        try:
            client = _peer_address(stream)
            alpn: str | None = None
            if isinstance(stream, trio.SSLStream):
                try:
                    with trio.fail_after(self.handshake_timeout):
                        await stream.do_handshake()
                except (*_BROKEN, trio.TooSlowError):
                    await trio.aclose_forcefully(stream)
                    return
                selected = stream.selected_alpn_protocol()
                alpn = selected if selected in ("h2", "http/1.1") else "http/1.1"
            conn = HTTPConnection(
                Role.SERVER,
                alpn=alpn,
                h1_config=self.h1_config,
                h2_config=self.h2_config,
                scheme=b"https" if alpn is not None else b"http",
                now=trio.current_time(),
            )
            peer = _Connection(self, stream, conn, client, "https" if alpn else "http")
        finally:
            self._accepting -= 1
        self._open.add(peer)
        if self.stopping:
            # Its handshake ended after the goodbyes went out: it gets one too.
            peer.shutdown()
        try:
            await peer.run()
        except Exception:
            # A bug of ours costs this connection only, never the server.
            log.exception("internal error on the connection from %s; closed", client)
        finally:
            self._open.discard(peer)
            with trio.CancelScope(shield=True):
                await trio.aclose_forcefully(stream)

    def say_goodbye(self) -> None:
        for peer in list(self._open):
            peer.shutdown()

    def busy(self) -> bool:
        return bool(self._open or self._accepting)

    def after_grace(self) -> None:
        if self._open:
            log.info("shutdown: %d connection(s) cut after the grace period", len(self._open))


def _peer_address(stream: trio.abc.Stream) -> tuple[str, int] | None:
    inner = stream.transport_stream if isinstance(stream, trio.SSLStream) else stream
    if isinstance(inner, trio.SocketStream):
        try:
            address = inner.socket.getpeername()
        except OSError:
            return None
        return (str(address[0]), int(address[1]))
    return None


async def serve_http(
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    app: rest.App | None = None,
    ssl_context: ssl.SSLContext | None = None,
    backlog: int = 4096,
    max_connections: int = MAX_CONNECTIONS,
    idle_timeout: float = IDLE_TIMEOUT,
    body_timeout: float = BODY_TIMEOUT,
    send_timeout: float = SEND_TIMEOUT,
    handshake_timeout: float = HANDSHAKE_TIMEOUT,
    shutdown_timeout: float = SHUTDOWN_TIMEOUT,
    access_log: bool = False,
    task_status: trio.TaskStatus[tuple[str, int]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run an HTTP server for ``app`` on ``host:port`` until cancelled.

    With ``ssl_context``, TLS with ALPN ``h2``/``http/1.1`` (set on the context);
    without, HTTP/1.1, HTTP/2 by prior knowledge and ``h2c``. The limits and
    timeouts are those of :class:`HTTPServer`.
    ``task_status.started`` gets the bound (host, port), so tests can use port 0.
    """
    server = HTTPServer(
        app,
        max_connections=max_connections,
        idle_timeout=idle_timeout,
        body_timeout=body_timeout,
        send_timeout=send_timeout,
        handshake_timeout=handshake_timeout,
        shutdown_timeout=shutdown_timeout,
        access_log=access_log,
    )
    listeners = await trio.open_tcp_listeners(port, host=host, backlog=backlog)
    address = listeners[0].socket.getsockname()
    bound: list[trio.abc.Listener[trio.abc.Stream]] = list(listeners)
    if ssl_context is not None:
        ssl_context.set_alpn_protocols(["h2", "http/1.1"])
        bound = [
            trio.SSLListener(listener, ssl_context, https_compatible=True) for listener in listeners
        ]
    async with trio.open_nursery() as nursery:
        await nursery.start(server.serve, bound)
        task_status.started((address[0], address[1]))
