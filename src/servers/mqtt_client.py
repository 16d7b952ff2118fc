"""The MQTT client on Trio: a thin driver around :class:`wire.mqtt.ClientConnection`.

::

    async with servers.mqtt_client.connect("127.0.0.1", 1883, client_id="c1") as client:
        async with client.subscription("sensors/+/temperature", qos=1) as messages:
            await client.publish("sensors/a/temperature", b"21.5", qos=1)
            async for message in messages:
                ...

``publish`` at QoS 1 and 2 returns once the broker acknowledged the message.
When the connection drops, the client reconnects with backoff and resumes its
session (Clean Start 0): messages in flight are resent by the machine, and
subscriptions are made again if the broker lost the session. Messages reach
each subscription's iterator through a bounded buffer; a full buffer stops
the client reading from the network, so a slow consumer slows the broker's
sending (TCP flow control) instead of growing memory. Messages that arrive for
no open subscription (a resumed session delivers before the application opens
its subscriptions again) wait in a backlog of the newest ``backlog`` messages,
handed to the next subscription that matches them; older ones are dropped and
counted in ``dropped_messages``.
"""

from __future__ import annotations

import contextlib
import math
import ssl
from collections import deque
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import trio

from wire.errors import LocalProtocolError
from wire.mqtt import (
    ClientConfig,
    ClientConnection,
    ClientEvent,
    ClientState,
    Connected,
    ConnectionRefused,
    Disconnected,
    MessageReceived,
    MessagesLost,
    Properties,
    Publish,
    PublishAcknowledged,
    RequestsAbandoned,
    Subscribed,
    Subscription,
    Unsubscribed,
    Will,
    parse_shared_subscription,
    topic_matches,
)
from wire.mqtt._properties import NO_PROPERTIES

__all__ = [
    "Client",
    "ConnectRefused",
    "ConnectionClosed",
    "MessageLost",
    "PublishFailed",
    "connect",
]


class ClientError(Exception):
    """Base of the errors this client raises."""


class ConnectRefused(ClientError):
    """The broker refused CONNECT; ``reason_code`` says why."""

    def __init__(self, reason_code: int) -> None:
        super().__init__(f"CONNECT refused with reason code 0x{reason_code:02x}")
        self.reason_code = reason_code


class PublishFailed(ClientError):
    """The broker answered a QoS 1/2 PUBLISH with a failure reason code."""

    def __init__(self, reason_code: int) -> None:
        super().__init__(f"PUBLISH refused with reason code 0x{reason_code:02x}")
        self.reason_code = reason_code


class MessageLost(ClientError):
    """A QoS 1/2 message in flight was lost because the broker lost our session."""


class ConnectionClosed(ClientError):
    """The client is closed, or a request was abandoned with its connection."""


@dataclass(slots=True)
class _Waiter:
    event: trio.Event = field(default_factory=trio.Event)
    result: ClientEvent | None = None
    error: ClientError | None = None

    def resolve(self, result: ClientEvent | None = None, error: ClientError | None = None) -> None:
        self.result = result
        self.error = error
        self.event.set()

    async def wait(self) -> ClientEvent:
        await self.event.wait()
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


@dataclass(slots=True)
class _Route:
    topic_filter: str
    channel: trio.MemorySendChannel[Publish]


class Client:
    """An MQTT 3.1.1/5.0 client; make one with :func:`connect`."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        version: int,
        client_id: str,
        clean_start: bool,
        keep_alive: int,
        username: str | None,
        password: bytes | None,
        will: Will | None,
        properties: Properties,
        ssl_context: ssl.SSLContext | None,
        reconnect: bool,
        max_reconnect_delay: float,
        config: ClientConfig | None,
        backlog: int = 1000,
    ) -> None:
        self.host = host
        self.port = port
        self._machine = ClientConnection(version=version, config=config)
        self._connect_args = {
            "client_id": client_id,
            "keep_alive": keep_alive,
            "username": username,
            "password": password,
            "will": will,
            "properties": properties,
        }
        self._clean_start = clean_start
        self._ssl_context = ssl_context
        self._reconnect = reconnect
        self._max_reconnect_delay = max_reconnect_delay
        self._stream: trio.abc.Stream | None = None
        self._send_lock = trio.Lock()
        self._connected = trio.Event()
        self._kick = trio.Event()
        self._closing = False
        self._acks: dict[int, _Waiter] = {}
        self._requests: dict[int, _Waiter] = {}
        self._routes: list[_Route] = []
        self._subscriptions: dict[str, tuple[Subscription, Properties]] = {}
        self.session_present = False
        self.connections = 0
        self._refused: ConnectRefused | None = None
        self._backlog: deque[Publish] = deque(maxlen=backlog)
        #: Messages dropped from the backlog of messages no subscription took.
        self.dropped_messages = 0

    @property
    def client_id(self) -> str:
        """Our client identifier (the broker's assigned one, if it assigned it)."""
        return self._machine.client_id

    @property
    def connected(self) -> bool:
        return self._machine.state is ClientState.CONNECTED

    # -- the connection loop ----------------------------------------------------

    async def _open_stream(self) -> trio.abc.Stream:
        stream: trio.abc.Stream = await trio.open_tcp_stream(self.host, self.port)
        if self._ssl_context is not None:
            tls = trio.SSLStream(stream, self._ssl_context, server_hostname=self.host)
            await tls.do_handshake()
            stream = tls
        return stream

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Keep a connection to the broker until :meth:`aclose`; reconnect on loss."""
        first = True
        delay = 0.1
        while not self._closing:
            try:
                stream = await self._open_stream()
            except OSError:
                if first or not self._reconnect:
                    raise
                await trio.sleep(delay)
                delay = min(delay * 2, self._max_reconnect_delay)
                continue
            self._stream = stream
            self._machine.connect(
                trio.current_time(),
                clean_start=self._clean_start if first else False,
                **self._connect_args,  # type: ignore[arg-type]
            )
            self._take_refusal()
            try:
                ended = trio.Event()
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(self._read_loop, stream, ended)
                    nursery.start_soon(self._timer_loop)
                    await self._flush()
                    await _either(self._connected, ended)
                    if first and self._connected.is_set():
                        task_status.started()
                        first = False
                    await ended.wait()
                    nursery.cancel_scope.cancel()
            finally:
                self._connected = trio.Event()
                if self._machine.state is not ClientState.DISCONNECTED:
                    self._machine.connection_lost()
                    self._dispatch(self._machine.events())
                self._stream = None
                await trio.aclose_forcefully(stream)
            refused = self._take_refusal()
            if refused is not None and (first or not self._reconnect):
                raise refused
            if first:
                raise ConnectionClosed("the broker closed the connection before CONNACK")
            if not self._reconnect:
                break
            delay = 0.1 if self.connections else min(delay * 2, self._max_reconnect_delay)
            await trio.sleep(delay)
        self._fail_all(ConnectionClosed("the client is closed"))

    async def _read_loop(self, stream: trio.abc.Stream, ended: trio.Event) -> None:
        machine = self._machine
        while True:
            try:
                data = await stream.receive_some(65536)
            except (trio.BrokenResourceError, trio.ClosedResourceError, ssl.SSLError):
                data = b""
            if data:
                machine.receive_data(data)
            else:
                machine.receive_eof()
            await self._deliver(machine.events())
            await self._flush()
            if machine.state is ClientState.DISCONNECTED:
                ended.set()
                return

    async def _timer_loop(self) -> None:
        machine = self._machine
        while True:
            deadline = machine.next_deadline()
            self._kick = trio.Event()
            with trio.move_on_at(math.inf if deadline is None else deadline):
                await self._kick.wait()
            now = trio.current_time()
            deadline = machine.next_deadline()
            if deadline is not None and deadline <= now:
                machine.tick(now)
                await self._deliver(machine.events())
                await self._flush()

    async def _flush(self) -> None:
        """Write what the machine queued; ``b""`` closes the stream."""
        async with self._send_lock:
            chunks = self._machine.data_to_send()
            stream = self._stream
            if not chunks or stream is None:
                return
            data = b"".join(chunks)
            try:
                if data:
                    await stream.send_all(data)
                if not chunks[-1]:
                    await trio.aclose_forcefully(stream)
            except (trio.BrokenResourceError, trio.ClosedResourceError, ssl.SSLError):
                pass
        self._kick.set()

    # -- events -------------------------------------------------------------------

    async def _deliver(self, events: list[ClientEvent]) -> None:
        for event in events:
            if isinstance(event, MessageReceived):
                await self._route(event.publish)
            else:
                self._dispatch([event])

    async def _route(self, publish: Publish) -> None:
        topic = publish.topic_name
        routed = False
        for route in list(self._routes):
            if topic_matches(route.topic_filter, topic):
                routed = True
                # A full buffer waits here: we stop reading until the consumer catches up.
                with contextlib.suppress(trio.BrokenResourceError, trio.ClosedResourceError):
                    await route.channel.send(publish)
        if not routed:
            # A resumed session delivers before the application has opened its
            # subscription again: keep the newest messages for the next one.
            if len(self._backlog) == self._backlog.maxlen:
                self.dropped_messages += 1
            self._backlog.append(publish)

    def _claim_backlog(self, route: _Route) -> None:
        """Hand a new subscription the waiting messages it matches, in order."""
        kept: deque[Publish] = deque(maxlen=self._backlog.maxlen)
        for publish in self._backlog:
            if topic_matches(route.topic_filter, publish.topic_name):
                try:
                    route.channel.send_nowait(publish)
                    continue
                except trio.WouldBlock:
                    self.dropped_messages += 1
                    continue
            kept.append(publish)
        self._backlog = kept

    def _dispatch(self, events: list[ClientEvent]) -> None:
        for event in events:
            if isinstance(event, Connected):
                self.connections += 1
                self.session_present = event.session_present
                if not event.session_present and self.connections > 1:
                    self._resubscribe()
                self._connected.set()
            elif isinstance(event, PublishAcknowledged):
                waiter = self._acks.pop(event.packet_id, None)
                if waiter is not None:
                    waiter.resolve(event)
            elif isinstance(event, Subscribed | Unsubscribed):
                waiter = self._requests.pop(event.packet_id, None)
                if waiter is not None:
                    waiter.resolve(event)
            elif isinstance(event, MessagesLost):
                for publish in event.publishes:
                    waiter = self._acks.pop(publish.packet_id or 0, None)
                    if waiter is not None:
                        waiter.resolve(error=MessageLost(event.reason))
            elif isinstance(event, RequestsAbandoned):
                for request in event.requests:
                    waiter = self._requests.pop(request.packet_id, None)
                    if waiter is not None:
                        waiter.resolve(error=ConnectionClosed("the connection dropped"))
            elif isinstance(event, ConnectionRefused):
                # The machine queued b"": the read loop ends this connection.
                self._refused = ConnectRefused(event.reason_code)
            elif isinstance(event, Disconnected):
                pass  # the machine queued b"": the read loop ends the connection

    def _take_refusal(self) -> ConnectRefused | None:
        refused, self._refused = self._refused, None
        return refused

    def _resubscribe(self) -> None:
        """The broker lost our session: make our subscriptions again."""
        for subscription, properties in self._subscriptions.values():
            packet_id = self._machine.subscribe(subscription, properties)
            self._requests[packet_id] = _Waiter()

    def _fail_all(self, error: ClientError) -> None:
        for waiters in (self._acks, self._requests):
            for waiter in waiters.values():
                waiter.resolve(error=error)
            waiters.clear()

    async def _ready(self) -> None:
        if self._closing:
            raise ConnectionClosed("the client is closed")
        await self._connected.wait()

    # -- the API ------------------------------------------------------------------

    async def publish(
        self,
        topic: str,
        payload: bytes = b"",
        *,
        qos: int = 0,
        retain: bool = False,
        properties: Properties = NO_PROPERTIES,
    ) -> int:
        """Publish; at QoS 1/2 wait for the broker's acknowledgement.

        Returns:
            The reason code of the acknowledgement (0 for QoS 0).

        Raises:
            PublishFailed: the broker answered with a failure reason code.
            MessageLost: the broker lost our session while the message was in flight.
            LocalProtocolError: the message is invalid or not allowed by the broker.
        """
        await self._ready()
        packet_id = self._machine.publish(
            topic, payload, qos=qos, retain=retain, properties=properties
        )
        if packet_id is None:
            await self._flush()
            return 0
        waiter = self._acks[packet_id] = _Waiter()
        await self._flush()
        event = await waiter.wait()
        assert isinstance(event, PublishAcknowledged)
        if event.reason_code >= 0x80:
            raise PublishFailed(event.reason_code)
        return event.reason_code

    async def subscribe(
        self,
        subscriptions: str | Subscription | Iterable[Subscription],
        *,
        qos: int = 0,
        properties: Properties = NO_PROPERTIES,
    ) -> tuple[int, ...]:
        """Subscribe and wait for SUBACK; returns its reason codes (granted QoS)."""
        if isinstance(subscriptions, str):
            subscriptions = (Subscription(subscriptions, qos),)
        elif isinstance(subscriptions, Subscription):
            subscriptions = (subscriptions,)
        subscriptions = tuple(subscriptions)
        await self._ready()
        packet_id = self._machine.subscribe(subscriptions, properties)
        waiter = self._requests[packet_id] = _Waiter()
        await self._flush()
        event = await waiter.wait()
        assert isinstance(event, Subscribed)
        for subscription, code in zip(subscriptions, event.reason_codes, strict=False):
            if code < 0x80:
                self._subscriptions[subscription.topic_filter] = (subscription, properties)
        return event.reason_codes

    async def unsubscribe(
        self, topic_filters: str | Iterable[str], *, properties: Properties = NO_PROPERTIES
    ) -> tuple[int, ...]:
        """Unsubscribe and wait for UNSUBACK; returns its reason codes (5.0)."""
        filters = (topic_filters,) if isinstance(topic_filters, str) else tuple(topic_filters)
        for topic_filter in filters:
            self._subscriptions.pop(topic_filter, None)
        await self._ready()
        packet_id = self._machine.unsubscribe(filters, properties)
        waiter = self._requests[packet_id] = _Waiter()
        await self._flush()
        event = await waiter.wait()
        assert isinstance(event, Unsubscribed)
        return event.reason_codes

    @asynccontextmanager
    async def subscription(
        self,
        topic_filter: str | Subscription,
        *,
        qos: int = 0,
        buffer: int = 100,
        properties: Properties = NO_PROPERTIES,
    ) -> AsyncIterator[trio.MemoryReceiveChannel[Publish]]:
        """Subscribe and iterate over the matching messages, ``buffer`` at most waiting.

        Leaving the block unsubscribes.
        """
        subscription = (
            topic_filter
            if isinstance(topic_filter, Subscription)
            else Subscription(topic_filter, qos)
        )
        shared = parse_shared_subscription(subscription.topic_filter)
        match_filter = shared.topic_filter if shared is not None else subscription.topic_filter
        send, receive = trio.open_memory_channel[Publish](buffer)
        route = _Route(match_filter, send)
        self._routes.append(route)
        self._claim_backlog(route)
        try:
            codes = await self.subscribe(subscription, properties=properties)
            if codes[0] >= 0x80:
                raise ClientError(f"SUBSCRIBE refused with reason code 0x{codes[0]:02x}")
            async with receive:
                yield receive
        finally:
            self._routes.remove(route)
            send.close()
            if self.connected and not self._closing:
                with trio.CancelScope(shield=True), trio.move_on_after(5):
                    await self.unsubscribe(subscription.topic_filter)

    async def disconnect(self) -> None:
        """Send DISCONNECT and stop; the session stays with the broker if it has expiry."""
        self._closing = True
        if self.connected:
            self._machine.disconnect()
            await self._flush()


async def _either(first: trio.Event, second: trio.Event) -> None:
    """Return as soon as one of the two events is set."""

    async def wait(event: trio.Event, scope: trio.CancelScope) -> None:
        await event.wait()
        scope.cancel()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(wait, first, nursery.cancel_scope)
        nursery.start_soon(wait, second, nursery.cancel_scope)


@asynccontextmanager
async def connect(
    host: str = "127.0.0.1",
    port: int = 1883,
    *,
    version: int = 5,
    client_id: str = "",
    clean_start: bool = True,
    keep_alive: int = 60,
    username: str | None = None,
    password: bytes | None = None,
    will: Will | None = None,
    properties: Properties = NO_PROPERTIES,
    ssl_context: ssl.SSLContext | None = None,
    reconnect: bool = True,
    max_reconnect_delay: float = 10.0,
    config: ClientConfig | None = None,
    backlog: int = 1000,
) -> AsyncIterator[Client]:
    """Connect to a broker; the block's end sends DISCONNECT and closes.

    Raises:
        ConnectRefused: the broker refused the first CONNECT.
        OSError: the first connection could not be opened.
    """
    if version not in (4, 5):
        raise LocalProtocolError("version must be 4 or 5")
    client = Client(
        host,
        port,
        version=version,
        client_id=client_id,
        clean_start=clean_start,
        keep_alive=keep_alive,
        username=username,
        password=password,
        will=will,
        properties=properties,
        ssl_context=ssl_context,
        reconnect=reconnect,
        max_reconnect_delay=max_reconnect_delay,
        config=config,
        backlog=backlog,
    )
    try:
        async with trio.open_nursery() as nursery:
            await nursery.start(client.run)
            try:
                yield client
            finally:
                with trio.CancelScope(shield=True), trio.move_on_after(5):
                    await client.disconnect()
                nursery.cancel_scope.cancel()
    except BaseExceptionGroup as group:
        # One failure (a refused CONNECT, or the caller's own exception) is raised
        # as itself rather than wrapped by the client's internal nursery.
        if len(group.exceptions) == 1:
            raise group.exceptions[0] from None
        raise
