"""The MQTT broker on Trio: a thin driver around :class:`wire.mqtt.Broker`.

Each connection has one reader task (receive a whole buffer, feed the core,
start writers for every connection that got output). A connection has a writer
task only while it has output: it is started on demand in the server's nursery,
drains the core's output for its connection (one ``send_all`` per batch) and
exits when there is nothing more, so an idle connection costs one task. A slow
client only ever blocks its own writer; what piles up for it is bounded by the
core's queue limits. One timer task drives keep-alive, Will Delay, session
expiry and ``$SYS`` through ``tick``.

MQTT over WebSocket (MQTT 5.0 section 6, 3.1.1 section 6): with ``ws_port``,
:func:`serve_mqtt` also listens for WebSocket clients (browsers: subprotocol
``mqtt``, binary messages carrying MQTT bytes split or joined anyhow). Each
such connection reaches the same per-connection handling through
:class:`servers.ws.WebSocketStream`, a Trio stream over the WebSocket.
"""

from __future__ import annotations

import contextlib
import logging
import math
import secrets
import ssl
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial

import trio

from servers.mqtt_store import SqliteStore
from servers.ws import WebSocket, WebSocketStream, WSRoute, serve_ws
from wire.mqtt import Broker, BrokerConfig, ClientDisconnected, MessagesDropped
from wire.mqtt._broker import DEFAULT_ASSIGNED_ID_PREFIX

__all__ = ["MQTT_SUBPROTOCOLS", "BrokerServer", "serve_mqtt"]

log = logging.getLogger("wire.mqtt.broker")

#: Bytes asked of the kernel per read: big enough to take a whole burst of
#: small packets in one wake-up.
READ_SIZE = 256 * 1024
#: WebSocket subprotocols of MQTT: ``mqtt`` (3.1.1 and 5.0), and ``mqttv3.1``
#: which some 3.1-era clients still offer.
MQTT_SUBPROTOCOLS = ("mqtt", "mqttv3.1")


class _Peer:
    """One connection: its stream, the reader's scope, its writer while it has one."""

    __slots__ = ("closing", "nursery", "reader_scope", "stream", "writer_done", "writer_scope")

    def __init__(self, stream: trio.abc.Stream, nursery: trio.Nursery) -> None:
        self.stream = stream
        #: Where this connection's writer runs (the server's nursery).
        self.nursery = nursery
        #: Cancelled to end the connection (closing packet sent, broken stream).
        self.reader_scope = trio.CancelScope()
        #: The handler is closing: no new writer may start.
        self.closing = False
        #: Set only while a writer task runs.
        self.writer_scope: trio.CancelScope | None = None
        self.writer_done: trio.Event | None = None


class BrokerServer:
    """Runs a :class:`Broker` core over Trio streams.

    Args:
        config: The core's limits; ``assigned_id_prefix`` is made unique per start.
        store: Where sessions, subscriptions, retained and in-flight messages are
            kept across restarts; ``None`` keeps them in memory only.
        max_connections: Connections beyond this are closed on accept.
        shutdown_timeout: Seconds to flush DISCONNECTs on shutdown.
        clock: Seconds for the core's timers. With a store they must survive a
            restart, so the default is then wall-clock time, else Trio's clock.
    """

    def __init__(
        self,
        config: BrokerConfig | None = None,
        *,
        store: SqliteStore | None = None,
        max_connections: int = 50_000,
        shutdown_timeout: float = 5.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        config = config or BrokerConfig()
        if config.assigned_id_prefix == DEFAULT_ASSIGNED_ID_PREFIX:
            config = replace(config, assigned_id_prefix=f"wire-{secrets.token_hex(4)}-")
        if store is not None:
            config = replace(config, journal=True)
        self._clock = clock or (time.time if store is not None else trio.current_time)
        self.broker = Broker(config)
        self.store = store
        if store is not None:
            self.broker.restore(store.load(), self._clock())
        self.max_connections = max_connections
        self.shutdown_timeout = shutdown_timeout
        self._peers: dict[int, _Peer] = {}
        self._nursery: trio.Nursery | None = None
        self._timer_changed = trio.Event()
        self._timer_at = math.inf
        self._journal_waiting = trio.Event()

    @property
    def connection_count(self) -> int:
        return len(self._peers)

    def _flush(self) -> None:
        """Start a writer for every connection with output that has none, log events.

        A running writer reads the core's output again after each write, so it
        needs no wake-up; and it only exits once that output is empty, with no
        checkpoint in between, so no output is ever left without a writer.
        """
        if self.store is not None and self.broker.journal_pending:
            self._journal_waiting.set()
        peers = self._peers
        for conn_id in self.broker.writable():
            peer = peers.get(conn_id)
            if peer is not None and peer.writer_scope is None and not peer.closing:
                peer.writer_scope = trio.CancelScope()
                peer.writer_done = trio.Event()
                peer.nursery.start_soon(self._write_loop, conn_id, peer)
        for event in self.broker.events():
            if isinstance(event, MessagesDropped):
                log.warning(
                    "dropped %d QoS %d message(s) for %r: %s",
                    event.count,
                    event.qos,
                    event.client_id,
                    event.reason,
                )
            elif isinstance(event, ClientDisconnected) and event.error is not None:
                log.info("client %r: protocol error: %s", event.client_id, event.error)
        deadline = self.broker.next_deadline()
        if deadline is not None and deadline < self._timer_at:
            self._timer_changed.set()

    async def handle(self, stream: trio.abc.Stream) -> None:
        """Serve one client connection until it ends."""
        if len(self._peers) >= self.max_connections:
            log.warning("connection refused: %d connections open", len(self._peers))
            await trio.aclose_forcefully(stream)
            return
        if self._nursery is None:
            # Called outside :meth:`serve`: the writer needs a nursery of its own.
            async with trio.open_nursery() as nursery:
                await self._handle(stream, nursery)
            return
        await self._handle(stream, self._nursery)

    async def handle_websocket(self, websocket: WebSocket) -> None:
        """Serve one client connected over WebSocket until it ends."""
        await self.handle(WebSocketStream(websocket))

    def websocket_routes(self) -> dict[str, WSRoute]:
        """WebSocket routes serving MQTT on every path (``/mqtt`` is the usual one)."""
        route = WSRoute(self.handle_websocket, subprotocols=MQTT_SUBPROTOCOLS)
        return {"/{path:path}": route}

    async def _handle(self, stream: trio.abc.Stream, nursery: trio.Nursery) -> None:
        broker = self.broker
        conn_id = broker.open_connection(self._clock())
        peer = self._peers[conn_id] = _Peer(stream, nursery)
        try:
            with peer.reader_scope:
                await self._read_loop(conn_id, peer)
        except Exception:
            log.exception("internal error on connection %d; closed", conn_id)
        finally:
            # Only the server's own shutdown cancels a handler from outside.
            stopping = trio.current_effective_deadline() == -math.inf
            peer.closing = True
            with trio.CancelScope(shield=True):
                # The writer goes first: the stream has one writer at a time.
                if peer.writer_scope is not None and peer.writer_done is not None:
                    peer.writer_scope.cancel()
                    await peer.writer_done.wait()
                if stopping:
                    await self._say_goodbye(conn_id, stream)
                try:
                    broker.receive_eof(conn_id, self._clock())
                except Exception:
                    log.exception("internal error closing connection %d", conn_id)
                del self._peers[conn_id]
                self._flush()
                await trio.aclose_forcefully(stream)

    async def _say_goodbye(self, conn_id: int, stream: trio.abc.Stream) -> None:
        """DISCONNECT 0x8B to a 5.0 client, sessions kept, bounded in time."""
        broker = self.broker
        broker.shutdown(self._clock())
        chunks = [c for c in broker.output(conn_id) if c]
        if not chunks:
            return
        with (
            trio.move_on_after(self.shutdown_timeout),
            contextlib.suppress(trio.BrokenResourceError, trio.ClosedResourceError, ssl.SSLError),
        ):
            await stream.send_all(b"".join(chunks))

    async def _read_loop(self, conn_id: int, peer: _Peer) -> None:
        broker = self.broker
        stream = peer.stream
        while True:
            try:
                data = await stream.receive_some(READ_SIZE)
            except (trio.BrokenResourceError, trio.ClosedResourceError, ssl.SSLError):
                return
            if not data:
                return
            try:
                broker.receive_data(conn_id, data, self._clock())
            except Exception:
                # A bug of ours must cost this connection only, never the server.
                log.exception("internal error on connection %d; closing it", conn_id)
                return
            self._flush()

    async def _write_loop(self, conn_id: int, peer: _Peer) -> None:
        """Write the connection's output until the core has no more, then exit."""
        broker = self.broker
        stream = peer.stream
        scope = peer.writer_scope
        done = peer.writer_done
        assert scope is not None and done is not None
        try:
            with scope:
                while True:
                    # Stopping: leave the output to the handler's goodbye (it
                    # holds the DISCONNECT 0x8B), never drain it unsent.
                    await trio.lowlevel.checkpoint_if_cancelled()
                    chunks = broker.output(conn_id)
                    if not chunks:
                        return
                    closing = not chunks[-1]
                    try:
                        await stream.send_all(b"".join(chunks))
                    except (trio.BrokenResourceError, trio.ClosedResourceError, ssl.SSLError):
                        peer.reader_scope.cancel()
                        return
                    if closing:
                        peer.reader_scope.cancel()
                        return
        except Exception:
            # A bug of ours must cost this connection only, never the server.
            log.exception("internal error on connection %d; closing it", conn_id)
            peer.reader_scope.cancel()
        finally:
            peer.writer_scope = None
            peer.writer_done = None
            done.set()

    async def run_store(self) -> None:
        """Make the core's changes durable, one transaction per batch.

        Changes that arrive while a transaction runs wait for the next one, so
        under load many PUBLISH packets share one commit (group commit).
        """
        store = self.store
        assert store is not None
        broker = self.broker
        while True:
            await self._journal_waiting.wait()
            self._journal_waiting = trio.Event()
            changes, token = broker.take_journal()
            if changes:
                await trio.to_thread.run_sync(store.apply, changes)
            broker.journal_committed(token)
            self._flush()

    async def run_timers(self) -> None:
        """Tick the core whenever it has a deadline."""
        broker = self.broker
        while True:
            deadline = broker.next_deadline()
            self._timer_at = math.inf if deadline is None else deadline
            self._timer_changed = trio.Event()
            with trio.move_on_after(max(0.0, self._timer_at - self._clock())):
                await self._timer_changed.wait()
            now = self._clock()
            deadline = broker.next_deadline()
            if deadline is not None and deadline <= now:
                try:
                    broker.tick(now)
                except Exception:
                    log.exception("internal error in the broker's timers")
                self._flush()

    async def serve(
        self,
        listeners: list[trio.abc.Listener[trio.abc.Stream]],
        *,
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Accept clients on ``listeners`` until cancelled."""
        try:
            async with trio.open_nursery() as nursery:
                # Writers run here, started on demand by :meth:`_flush`.
                self._nursery = nursery
                nursery.start_soon(self.run_timers)
                if self.store is not None:
                    nursery.start_soon(self.run_store)
                await nursery.start(trio.serve_listeners, self.handle, listeners)
                task_status.started()
        finally:
            self._nursery = None


async def serve_mqtt(
    host: str = "127.0.0.1",
    port: int = 1883,
    *,
    config: BrokerConfig | None = None,
    data_dir: str | None = None,
    ssl_context: ssl.SSLContext | None = None,
    backlog: int = 4096,
    max_connections: int = 50_000,
    ws_port: int | None = None,
    ws_ssl_context: ssl.SSLContext | None = None,
    task_status: trio.TaskStatus[tuple[str, int]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run an MQTT broker on ``host:port`` until cancelled.

    With ``ws_port``, MQTT over WebSocket too (``ws://host:ws_port/mqtt``, or
    ``wss://`` with ``ws_ssl_context``), sharing the broker.
    ``task_status.started`` gets the bound (host, port) of the TCP listener,
    so tests can use port 0.
    """
    store = SqliteStore(data_dir) if data_dir is not None else None
    server = BrokerServer(config, store=store, max_connections=max_connections)
    listeners = await trio.open_tcp_listeners(port, host=host, backlog=backlog)
    address = listeners[0].socket.getsockname()
    bound: list[trio.abc.Listener[trio.abc.Stream]] = list(listeners)
    if ssl_context is not None:
        bound = [trio.SSLListener(listener, ssl_context) for listener in listeners]
    try:
        async with trio.open_nursery() as nursery:
            await nursery.start(server.serve, bound)
            if ws_port is not None:
                ws_address = await nursery.start(
                    partial(
                        serve_ws,
                        host,
                        ws_port,
                        server.websocket_routes(),
                        ssl_context=ws_ssl_context,
                        max_connections=max_connections,
                    )
                )
                log.info("MQTT over WebSocket on %s:%d", *ws_address)
            task_status.started((address[0], address[1]))
    finally:
        if store is not None:
            # Shutting down: what the last moments changed is saved before closing.
            changes, _ = server.broker.take_journal()
            store.apply(changes)
            store.close()
