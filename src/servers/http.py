"""The HTTP server on Trio: a thin driver around :class:`wire.http.HTTPConnection`.

Each connection has a reader task (receive a whole buffer, feed the machine,
act on its events), a timer task (``next_deadline``/``tick``) and one task per
complete request, all in a per-connection nursery. A request's head and body
(at most the application's ``limits.max_body_size``) are collected, turned
into a :class:`wire.http.rest.Request` and given to ``app.handle``; the
response goes back as ``Response``, ``Data``* and ``EndOfMessage`` events.
HTTP/2 streams are handled concurrently; HTTP/1.1 requests in order, because
the machine parses a pipelined request only once the previous one is answered.

Writes are serialised by one lock: whoever changed the machine drains its
output. A streaming body waits while the machine holds more than
:data:`SEND_HIGH_WATER` octets for the stream (HTTP/2 flow control), so a slow
reader never makes us buffer without bound.

Shutdown (the server's task cancelled): stop accepting, send ``GoAway`` on
every connection (HTTP/2 GOAWAY, HTTP/1.1 ``Connection: close``), let requests
in flight finish for ``shutdown_timeout`` seconds, then close what is left.
"""

from __future__ import annotations

import contextlib
import logging
import math
import ssl
from dataclasses import dataclass, field
from functools import partial

import trio

from wire.errors import LocalProtocolError
from wire.http import (
    ConnectionClosed,
    Data,
    EndOfMessage,
    GoAway,
    H1Config,
    H2Config,
    HTTPConnection,
    Request,
    Response,
    Role,
    StreamReset,
    demo_app,
    rest,
)
from wire.http._events import CONNECTION_FIELDS
from wire.http._rest_messages import close_iterator

__all__ = ["HTTPServer", "serve_http"]

log = logging.getLogger("wire.http.server")

#: Bytes asked of the kernel per read.
READ_SIZE = 256 * 1024
#: A streaming body waits while the machine holds more than this for the stream.
SEND_HIGH_WATER = 64 * 1024
#: Seconds a TLS client gets to finish its handshake.
HANDSHAKE_TIMEOUT = 10.0
#: HTTP/2 INTERNAL_ERROR, for a stream whose response could not be produced.
_INTERNAL_ERROR = 0x2
_BROKEN = (trio.BrokenResourceError, trio.ClosedResourceError, ssl.SSLError)


@dataclass(slots=True)
class _Exchange:
    """A request being received or answered."""

    head: Request
    body: bytearray = field(default_factory=bytearray)
    scope: trio.CancelScope | None = None


class _Connection:
    """One client connection: its stream, its machine, its tasks.

    Only the writer task writes, so cancelling a request (a reset stream)
    never cuts a write in half; the others change the machine, call
    :meth:`wake` and, when they must wait for the bytes to leave, :meth:`flush`.
    """

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
        #: Set (and replaced) whenever the machine may have changed.
        self.changed = trio.Event()
        #: Set (and replaced) whenever the writer found nothing more to write.
        self.sent = trio.Event()
        #: The machine reported the end of the connection.
        self.finished = False
        self.closed = False
        self.scope = trio.CancelScope()
        self.nursery: trio.Nursery | None = None

    def wake(self) -> None:
        self.changed.set()
        self.changed = trio.Event()

    async def flush(self) -> None:
        """Wait until the writer has written what the machine holds now."""
        sent = self.sent
        self.wake()
        await sent.wait()

    def close(self) -> None:
        self.closed = True
        self.scope.cancel()

    # -- tasks --------------------------------------------------------------------

    async def run(self) -> None:
        with self.scope:
            async with trio.open_nursery() as nursery:
                self.nursery = nursery
                nursery.start_soon(self.write_loop)
                nursery.start_soon(self.run_timer)
                await self.read_loop()
                # The peer closed its side: finish the answers in flight.
                while self.exchanges and not self.closed:
                    await self.changed.wait()
                await self.flush()
                nursery.cancel_scope.cancel()

    async def read_loop(self) -> None:
        conn = self.conn
        while not self.closed:
            while conn.reading_paused and not self.closed:
                await self.changed.wait()
            # Once closed, the connection's scope is cancelled: no read happens.
            try:
                data = await self.stream.receive_some(READ_SIZE)
            except _BROKEN:
                data = b""
            if data:
                conn.receive_data(data)
            else:
                conn.receive_eof()
            await self.flush()
            if not data:
                return

    async def write_loop(self) -> None:
        conn = self.conn
        while True:
            changed = self.changed
            self.handle_events()
            chunks = conn.data_to_send()
            if not chunks:
                if self.finished:
                    self.close()
                    return
                sent, self.sent = self.sent, trio.Event()
                sent.set()
                await changed.wait()
                continue
            data = b"".join(chunks)
            try:
                if data:
                    await self.stream.send_all(data)
            except _BROKEN:
                self.close()
                return
            if b"" in chunks:
                self.close()
                return

    async def run_timer(self) -> None:
        conn = self.conn
        while True:
            deadline = conn.next_deadline()
            changed = self.changed
            with trio.move_on_at(math.inf if deadline is None else deadline):
                await changed.wait()
            deadline = conn.next_deadline()
            now = trio.current_time()
            if deadline is not None and deadline <= now:
                conn.tick(now)
                self.wake()
            await trio.lowlevel.checkpoint()

    def handle_events(self) -> None:
        limit = self.server.app.limits.max_body_size
        for event in self.conn.events():
            if isinstance(event, Request):
                self.exchanges[event.stream_id] = _Exchange(event)
            elif isinstance(event, Data):
                exchange = self.exchanges.get(event.stream_id)
                if exchange is not None and exchange.scope is None:
                    # At most one octet over the limit: enough for the app's 413.
                    exchange.body += event.data[: limit + 1 - len(exchange.body)]
                length = event.flow_controlled_length
                assert length is not None
                with contextlib.suppress(LocalProtocolError):
                    self.conn.acknowledge_data(event.stream_id, length)
            elif isinstance(event, EndOfMessage):
                exchange = self.exchanges.get(event.stream_id)
                if exchange is not None and exchange.scope is None and self.nursery is not None:
                    exchange.scope = trio.CancelScope()
                    self.nursery.start_soon(self.respond, exchange)
            elif isinstance(event, StreamReset):
                exchange = self.exchanges.pop(event.stream_id, None)
                if exchange is not None and exchange.scope is not None:
                    exchange.scope.cancel()
            elif isinstance(event, ConnectionClosed):
                if event.error is not None:
                    log.info("connection from %s: %s", self.client, event.message)
                self.finished = True
            # Trailers, GoAway, ProtocolSwitch(h2c), 1xx: nothing to do.

    async def respond(self, exchange: _Exchange) -> None:
        head = exchange.head
        stream_id = head.stream_id
        scope = exchange.scope
        assert scope is not None
        try:
            with scope:
                headers: list[tuple[bytes, bytes]] = list(head.headers)
                if head.authority:
                    headers.append((b"host", head.authority))
                request = rest.Request(
                    head.method,
                    head.target,
                    headers=headers,
                    body=bytes(exchange.body),
                    client=self.client,
                    scheme=self.scheme,
                )
                exchange.body = bytearray()
                response = await self.server.app.handle(request)
                await self.send_response(stream_id, response)
        except LocalProtocolError:
            if stream_id in self.exchanges and not (self.closed or self.finished):
                raise
            # The stream was reset or the connection closed under us.
        finally:
            if self.exchanges.get(stream_id) is exchange:
                del self.exchanges[stream_id]
            self.wake()

    async def send_response(self, stream_id: int, response: rest.Response) -> None:
        conn = self.conn
        status = response.status if response.status >= 200 else 500
        fields = tuple(
            (name, value) for name, value in response.headers.raw() if name not in CONNECTION_FIELDS
        )
        if isinstance(response, rest.StreamingResponse):
            chunks = response.iter_body()
            try:
                conn.send(Response(status, fields, stream_id))
                await self.flush()
                async for chunk in chunks:
                    conn.send(Data(stream_id, chunk))
                    # Wait for the bytes to leave (HTTP/1.1) and, over HTTP/2,
                    # for the peer's window when the machine holds too much.
                    await self.flush()
                    while conn.pending_send(stream_id) > SEND_HIGH_WATER and not self.closed:
                        await self.changed.wait()
            finally:
                with trio.CancelScope(shield=True):
                    await close_iterator(chunks)
                    await response.aclose()
        else:
            conn.send(Response(status, fields, stream_id))
            if response.body:
                conn.send(Data(stream_id, response.body))
        conn.send(EndOfMessage(stream_id))
        self.wake()

    def shutdown(self) -> None:
        """Say goodbye: no new requests; the machine closes once those in flight end."""
        if self.closed:
            return
        with contextlib.suppress(LocalProtocolError):
            self.conn.send(GoAway())
        self.wake()


class HTTPServer:
    """Serves an application over HTTP/1.1 and HTTP/2 on Trio streams.

    Args:
        app: The REST application; the demo app by default.
        max_connections: Connections beyond this are closed on accept.
        shutdown_timeout: Seconds requests in flight get when the server stops.
    """

    def __init__(
        self,
        app: rest.App | None = None,
        *,
        max_connections: int = 10_000,
        shutdown_timeout: float = 10.0,
    ) -> None:
        self.app = app if app is not None else demo_app()
        self.max_connections = max_connections
        self.shutdown_timeout = shutdown_timeout
        limit = self.app.limits.max_body_size
        self.h1_config = H1Config(max_body_size=limit)
        self.h2_config = H2Config(max_body_size=limit)
        self._open: set[_Connection] = set()
        self._accepting = 0
        self._stopping = False
        self._nursery: trio.Nursery | None = None

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
            await trio.aclose_forcefully(stream)
            return
        self._accepting += 1
        try:
            client = _peer_address(stream)
            alpn: str | None = None
            if isinstance(stream, trio.SSLStream):
                try:
                    with trio.fail_after(HANDSHAKE_TIMEOUT):
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

    async def serve(
        self,
        listeners: list[trio.abc.Listener[trio.abc.Stream]],
        *,
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Accept clients on ``listeners`` until cancelled, then shut down gracefully."""
        ready = trio.Event()
        stop = trio.Event()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._hold_connections, ready, stop)
            try:
                await ready.wait()
                await nursery.start(
                    partial(trio.serve_listeners, handler_nursery=self.connections),
                    self.handle,
                    listeners,
                )
                task_status.started()
                await trio.sleep_forever()
            finally:
                self._stopping = True
                stop.set()

    async def _hold_connections(self, ready: trio.Event, stop: trio.Event) -> None:
        # Shielded: the connections outlive the server's cancellation by the
        # grace period, then are cancelled here.
        with trio.CancelScope(shield=True):
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                ready.set()
                await stop.wait()
                for peer in list(self._open):
                    peer.shutdown()
                with trio.move_on_after(self.shutdown_timeout):
                    while self._open or self._accepting:
                        await trio.sleep(0.01)
                nursery.cancel_scope.cancel()
        self._nursery = None


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
    max_connections: int = 10_000,
    shutdown_timeout: float = 10.0,
    task_status: trio.TaskStatus[tuple[str, int]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run an HTTP server for ``app`` on ``host:port`` until cancelled.

    With ``ssl_context``, TLS with ALPN ``h2``/``http/1.1`` (set on the context);
    without, HTTP/1.1, HTTP/2 by prior knowledge and ``h2c``.
    ``task_status.started`` gets the bound (host, port), so tests can use port 0.
    """
    server = HTTPServer(
        app,
        max_connections=max_connections,
        shutdown_timeout=shutdown_timeout,
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
