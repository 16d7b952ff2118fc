"""A broadcast hub for WebSocket (and MQTT) fan-out: rooms, presence, bounded queues.

::

    hub = Hub()

    async def chat(ws: WebSocket) -> None:
        async with hub.connect(ws, info={"name": ws.request.query.get("name")}) as member:
            hub.join(member, "lobby")                  # presence: the room hears of it
            async for text in ws:
                hub.publish("lobby", text, sender=member.id)

    hub.publish("scores", '{"home": 2, "away": 1}')    # from an HTTP handler, a timer...
    hub.publish("prices", '{"EURUSD": 1.0842}', supersede_key="EURUSD")

Publishing never blocks and never waits for a slow connection: each member
has its own bounded queue (``queue_size`` messages, ``queue_bytes`` octets)
drained by its own task into its WebSocket, one write per batch. What happens
when a member's queue is full is its **slow-consumer policy**:

- ``"drop-oldest"``: the oldest queued message is dropped and counted in
  :attr:`Member.dropped`. For streams where a newer message supersedes the
  older ones: prices, scores, positions, dashboards, progress. Messages
  published with a ``supersede_key`` go further: a newer message replaces the
  queued one with the same key (in the same room) where it stands, so a
  member holds at most one pending update per key and a slow reader gets
  the latest value, not a backlog.
- ``"close"``: the member is closed with ``close_code``, 1013 (Try Again
  Later) by default or 1008 (Policy Violation). For streams where every
  message counts: chat, auctions, collaborative editing, notifications. A
  client that cannot keep up reconnects and re-synchronises instead of
  silently missing a message.

Presence: joining and leaving a room publish a presence event to it (a JSON
text message ``{"type": "presence", "event": "join"|"leave", "room": ...,
"member": ..., "info": ...}``), and :meth:`Hub.presence` lists who is there.

Where the state lives is a :class:`HubBackend`: :class:`InProcessBackend`
(the default) delivers within this process. A backend for several processes
(Redis pub/sub for messages and a hash per room for presence) implements the
same five methods; the hub's members, queues and policies stay local to the
process that holds their connections.

:class:`MQTTBridge` connects rooms to MQTT topics (``hub/<room>`` by
default) through the broker, both ways, so devices publishing over MQTT
reach browsers in a room and the other way round.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import logging
import math
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal, Protocol, TypeAlias

import trio

from servers.ws import Handler, WebSocket, WebSocketClosed, WSRoute, echo, limits_config
from wire import ws

__all__ = [
    "DEFAULT_QUEUE_BYTES",
    "DEFAULT_QUEUE_SIZE",
    "Hub",
    "HubBackend",
    "HubMessage",
    "InProcessBackend",
    "MQTTBridge",
    "Member",
    "Policy",
    "demo_routes",
    "run_ticker",
]

log = logging.getLogger("wire.ws.hub")

#: Default most messages waiting per member: a second of a 100 Hz stream,
#: a burst of chat; beyond it the policy applies.
DEFAULT_QUEUE_SIZE: Final = 256
#: Default most octets waiting per member: 1,000 members then hold at most
#: 256 MiB in the worst case, typically a small fraction of it.
DEFAULT_QUEUE_BYTES: Final = 256 * 1024
#: The close codes a "close" policy may use (RFC 6455 section 7.4.1).
_POLICY_CODES: Final = frozenset({1008, 1013})

Policy: TypeAlias = Literal["drop-oldest", "close"]
Data: TypeAlias = str | bytes
#: What a member hands its connection: the data, or (WebSocket members) its
#: frame encoded once for everyone (:class:`wire.ws.PreparedMessage`).
Outgoing: TypeAlias = str | bytes | ws.PreparedMessage


@dataclass(frozen=True, slots=True)
class HubMessage:
    """One publication.

    Attributes:
        room: Where it was published.
        data: Text (a WebSocket text message) or bytes (binary).
        supersede_key: Messages with the same key in the same room supersede
            each other: a queued older one is replaced by the newer.
        sender: The member (or bridge) that published it, if any.
        echo: Whether the sender gets it too.
        presence: A presence event of the hub's (join, leave), not an
            application's message.
        prepared: ``data`` encoded once for every WebSocket member; the hub
            sets it when it delivers.
    """

    room: str
    data: Data
    supersede_key: str | None = None
    sender: str | None = None
    echo: bool = True
    presence: bool = False
    prepared: ws.PreparedMessage | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if type(self.room) is not str or not self.room:
            raise ValueError("room must be a non-empty str")
        if not isinstance(self.data, str | bytes):
            raise TypeError("data must be str or bytes")


class HubBackend(Protocol):
    """Where publications travel and presence is kept: this process, or a shared service."""

    def attach(self, deliver: Callable[[HubMessage], None]) -> None:
        """Give the backend the function that hands a message to this process's members."""

    def publish(self, message: HubMessage) -> None:
        """Publish to every process with members in the room; never blocks."""

    def subscribe(self, room: str) -> None:
        """This process has members in ``room`` (deliver its messages here)."""

    def unsubscribe(self, room: str) -> None:
        """This process has no member left in ``room``."""

    def set_presence(self, room: str, member_id: str, info: Mapping[str, Any] | None) -> None:
        """Record ``member_id`` in ``room`` (``info``), or remove it (``None``)."""

    def presence(self, room: str) -> dict[str, Mapping[str, Any]]:
        """Who is in ``room``, with their info."""


class InProcessBackend:
    """The embedded backend: one process, delivery by a direct call."""

    def __init__(self) -> None:
        self._deliver: Callable[[HubMessage], None] | None = None
        self._presence: dict[str, dict[str, Mapping[str, Any]]] = {}

    def attach(self, deliver: Callable[[HubMessage], None]) -> None:
        self._deliver = deliver

    def publish(self, message: HubMessage) -> None:
        if self._deliver is not None:
            self._deliver(message)

    def subscribe(self, room: str) -> None:
        pass  # every room of this process is delivered here

    def unsubscribe(self, room: str) -> None:
        pass

    def set_presence(self, room: str, member_id: str, info: Mapping[str, Any] | None) -> None:
        members = self._presence.setdefault(room, {})
        if info is None:
            members.pop(member_id, None)
            if not members:
                del self._presence[room]
        else:
            members[member_id] = info

    def presence(self, room: str) -> dict[str, Mapping[str, Any]]:
        return dict(self._presence.get(room, {}))


class Member:
    """One subscriber of the hub: a bounded queue, a policy, and the rooms it is in.

    Made by :meth:`Hub.member` (or :meth:`Hub.connect` for a WebSocket).
    """

    def __init__(
        self,
        member_id: str,
        *,
        info: Mapping[str, Any],
        queue_size: int,
        queue_bytes: int,
        policy: Policy,
        close_code: int,
        on_close: Callable[[int, str], None] | None,
        direct: Callable[[Outgoing], bool] | None = None,
        takes_prepared: bool = False,
    ) -> None:
        if queue_size < 1 or queue_bytes < 1:
            raise ValueError("queue_size and queue_bytes must be >= 1")
        if policy not in ("drop-oldest", "close"):
            raise ValueError(f"unknown slow-consumer policy {policy!r}")
        if close_code not in _POLICY_CODES:
            raise ValueError("close_code must be 1008 or 1013")
        self.id = member_id
        self.info = dict(info)
        self.rooms: set[str] = set()
        self.queue_size = queue_size
        self.queue_bytes = queue_bytes
        self.policy = policy
        self.close_code = close_code
        self._on_close = on_close
        #: Delivers at once when nothing is queued (``False``: it cannot now).
        self._direct = direct
        #: ``direct`` and ``pump``'s ``send_many`` take a message's ``prepared`` frame.
        self.takes_prepared = takes_prepared
        #: Pending messages in order: keyed ones under (room, key), others under a number.
        self._queue: dict[object, HubMessage] = {}
        self._bytes = 0
        self._counter = itertools.count()
        self._ready: trio.Event | None = None
        #: Messages dropped by the "drop-oldest" policy, and replaced by a newer one.
        self.dropped = 0
        self.superseded = 0
        self.delivered = 0
        self.closed = False
        #: The pump is handing a batch over (direct delivery would overtake it).
        self._sending = False

    @property
    def queued(self) -> int:
        """Messages waiting to be sent."""
        return len(self._queue)

    def offer(self, message: HubMessage) -> None:
        """Queue ``message`` for this member, applying its policy; never blocks."""
        if self.closed:
            return
        queue = self._queue
        direct = self._direct
        if direct is not None and not queue and not self._sending:
            # Nothing waits before it: straight to the connection, no task switch.
            try:
                sent = direct(self._outgoing(message))
            except Exception:
                self.close()
                return
            if sent:
                self.delivered += 1
                return
        size = len(message.data)
        key: object
        if message.supersede_key is not None:
            key = (message.room, message.supersede_key)
            old = queue.get(key)
            if old is not None:
                # Replaced where it stands: the update keeps its place in line.
                queue[key] = message
                self._bytes += size - len(old.data)
                self.superseded += 1
                self._wake()
                return
        else:
            key = next(self._counter)
        if len(queue) >= self.queue_size or self._bytes + size > self.queue_bytes:
            if self.policy == "close":
                self.close(self.close_code, "slow consumer: the queue is full")
                return
            while queue and (
                len(queue) >= self.queue_size or self._bytes + size > self.queue_bytes
            ):
                oldest = next(iter(queue))
                self._bytes -= len(queue.pop(oldest).data)
                self.dropped += 1
        queue[key] = message
        self._bytes += size
        self._wake()

    def _outgoing(self, message: HubMessage) -> Outgoing:
        prepared = message.prepared
        if prepared is not None and self.takes_prepared:
            return prepared
        return message.data

    def _wake(self) -> None:
        ready = self._ready
        if ready is not None:
            self._ready = None
            ready.set()

    def take(self) -> list[HubMessage]:
        """Everything queued, oldest first (the queue is then empty)."""
        batch = list(self._queue.values())
        self._queue.clear()
        self._bytes = 0
        return batch

    async def wait(self) -> None:
        """Wait until something is queued (or the member is closed)."""
        while not self._queue and not self.closed:
            if self._ready is None:
                self._ready = trio.Event()
            await self._ready.wait()

    async def pump(self, send_many: Callable[[list[Outgoing]], Awaitable[None]]) -> None:
        """Send what is queued, one batch per ``send_many`` call, until closed."""
        while True:
            await self.wait()
            if self.closed:
                return
            batch = self.take()
            self.delivered += len(batch)
            self._sending = True
            try:
                await send_many([self._outgoing(message) for message in batch])
            finally:
                self._sending = False

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Stop this member: nothing more is queued; ``on_close`` tells its connection."""
        if self.closed:
            return
        self.closed = True
        self._queue.clear()
        self._bytes = 0
        self._wake()
        if self._on_close is not None:
            self._on_close(code, reason)


class Hub:
    """Rooms of members, presence, and publication with per-member bounded queues.

    Args:
        backend: Where messages travel and presence is kept (in process by default).
        queue_size: Default per-member queue bound, in messages.
        queue_bytes: Default per-member queue bound, in octets.
        policy: Default slow-consumer policy (see the module's docstring).
        close_code: The close code of the ``"close"`` policy: 1013 or 1008.
        presence: Publish join/leave events to rooms.
    """

    def __init__(
        self,
        backend: HubBackend | None = None,
        *,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        queue_bytes: int = DEFAULT_QUEUE_BYTES,
        policy: Policy = "drop-oldest",
        close_code: int = 1013,
        presence: bool = True,
    ) -> None:
        self.backend: HubBackend = backend or InProcessBackend()
        self.backend.attach(self._deliver)
        self.queue_size = queue_size
        self.queue_bytes = queue_bytes
        self.policy = policy
        self.close_code = close_code
        self.announce_presence = presence
        self._rooms: dict[str, dict[str, Member]] = {}
        self._members: dict[str, Member] = {}
        self._ids = itertools.count(1)
        self._taps: list[Callable[[HubMessage], None]] = []

    # -- members and rooms -------------------------------------------------------

    def member(
        self,
        member_id: str | None = None,
        *,
        info: Mapping[str, Any] | None = None,
        queue_size: int | None = None,
        queue_bytes: int | None = None,
        policy: Policy | None = None,
        close_code: int | None = None,
        on_close: Callable[[int, str], None] | None = None,
        direct: Callable[[Outgoing], bool] | None = None,
        takes_prepared: bool = False,
    ) -> Member:
        """Register a member (``member_id`` unique; one is made up when ``None``).

        ``direct`` (and the ``send_many`` given to :meth:`Member.pump`) get a
        message's data, or with ``takes_prepared`` its
        :class:`wire.ws.PreparedMessage`, encoded once for all members.

        Raises:
            ValueError: the id is taken, or an invalid limit or policy.
        """
        if member_id is None:
            member_id = f"m{next(self._ids)}"
            while member_id in self._members:
                member_id = f"m{next(self._ids)}"
        elif member_id in self._members:
            raise ValueError(f"member {member_id!r} is already connected")
        member = Member(
            member_id,
            info=info or {},
            queue_size=queue_size or self.queue_size,
            queue_bytes=queue_bytes or self.queue_bytes,
            policy=policy or self.policy,
            close_code=close_code or self.close_code,
            on_close=on_close,
            direct=direct,
            takes_prepared=takes_prepared,
        )
        self._members[member_id] = member
        return member

    def join(self, member: Member, room: str) -> None:
        """Put ``member`` in ``room`` (and announce it)."""
        if member.closed or room in member.rooms:
            return
        members = self._rooms.get(room)
        if members is None:
            members = self._rooms[room] = {}
            self.backend.subscribe(room)
        members[member.id] = member
        member.rooms.add(room)
        self.backend.set_presence(room, member.id, member.info)
        self._announce(room, "join", member)

    def leave(self, member: Member, room: str) -> None:
        """Take ``member`` out of ``room`` (and announce it)."""
        members = self._rooms.get(room)
        if members is None or members.pop(member.id, None) is None:
            return
        member.rooms.discard(room)
        if not members:
            del self._rooms[room]
            self.backend.unsubscribe(room)
        self.backend.set_presence(room, member.id, None)
        self._announce(room, "leave", member)

    def remove(self, member: Member) -> None:
        """The member is gone: out of every room, closed."""
        for room in list(member.rooms):
            self.leave(member, room)
        if self._members.get(member.id) is member:
            del self._members[member.id]
        member.close()

    def presence(self, room: str) -> dict[str, Mapping[str, Any]]:
        """Who is in ``room`` (every process, through the backend), with their info."""
        return self.backend.presence(room)

    def rooms(self) -> dict[str, int]:
        """The rooms with members in this process, and how many."""
        return {room: len(members) for room, members in self._rooms.items()}

    @property
    def members(self) -> Mapping[str, Member]:
        """The members of this process, by id."""
        return self._members

    def _announce(self, room: str, event: str, member: Member) -> None:
        if self.announce_presence:
            text = json.dumps(
                {
                    "type": "presence",
                    "event": event,
                    "room": room,
                    "member": member.id,
                    "info": member.info,
                },
                separators=(",", ":"),
            )
            self.backend.publish(
                HubMessage(room, text, sender=member.id, echo=False, presence=True)
            )

    # -- publishing -------------------------------------------------------------

    def publish(
        self,
        room: str,
        data: Data,
        *,
        supersede_key: str | None = None,
        sender: str | None = None,
        echo: bool = True,
    ) -> None:
        """Publish ``data`` to everyone in ``room``; never blocks.

        Args:
            room: The room.
            data: Text or bytes.
            supersede_key: Newer messages with this key replace older queued ones.
            sender: Who publishes (a member id), to leave it out with ``echo=False``.
            echo: Whether the sender gets its own message.
        """
        self.backend.publish(HubMessage(room, data, supersede_key, sender, echo))

    def tap(self, listener: Callable[[HubMessage], None]) -> Callable[[], None]:
        """Call ``listener`` with every message delivered here; returns the undo."""
        self._taps.append(listener)
        return lambda: self._taps.remove(listener)

    def _deliver(self, message: HubMessage) -> None:
        for listener in self._taps:
            listener(message)
        members = self._rooms.get(message.room)
        if not members:
            return
        skip = None if message.echo else message.sender
        if message.prepared is None:
            # Encoded once here, the frame is queued as it is on every
            # WebSocket member without compression (no copy per connection).
            data = message.data
            prepared = ws.PreparedMessage(
                ws.TextMessage(data) if isinstance(data, str) else ws.BytesMessage(bytes(data))
            )
            message = replace(message, prepared=prepared)
        # list(): a "close" policy may take members out of the room meanwhile.
        for member in list(members.values()):
            if member.id != skip:
                member.offer(message)
                if member.closed:
                    self.remove(member)

    # -- WebSocket members --------------------------------------------------------

    @asynccontextmanager
    async def connect(
        self,
        websocket: WebSocket,
        member_id: str | None = None,
        *,
        info: Mapping[str, Any] | None = None,
        queue_size: int | None = None,
        queue_bytes: int | None = None,
        policy: Policy | None = None,
        close_code: int | None = None,
    ) -> AsyncIterator[Member]:
        """A member whose messages go to ``websocket``, for the block's duration.

        A task sends the member's queue to the connection, a batch per write;
        the policy's close closes the connection. Leaving the block takes the
        member out of its rooms.
        """
        member = self.member(
            member_id,
            info=info,
            queue_size=queue_size,
            queue_bytes=queue_bytes,
            policy=policy,
            close_code=close_code,
            on_close=lambda code, reason: websocket.going_away(code, reason[:100]),
            direct=websocket.send_nowait,
            takes_prepared=True,
        )

        async def pump() -> None:
            with contextlib.suppress(WebSocketClosed):
                await member.pump(websocket.send_many)
            self.remove(member)

        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(pump)
                try:
                    yield member
                finally:
                    nursery.cancel_scope.cancel()
        except BaseExceptionGroup as group:
            if len(group.exceptions) == 1:
                raise group.exceptions[0] from None
            raise
        finally:
            self.remove(member)


# ----------------------------------------------------------------------
# MQTT
# ----------------------------------------------------------------------


class MQTTBridge:
    """Rooms to MQTT topics and back, through the broker, as an MQTT 5 client.

    A message published to topic ``<prefix><room>`` by an MQTT client reaches
    the room's members; a message published to a room (not by the bridge)
    goes to that topic at QoS 0. The bridge subscribes with No Local, so its
    own publications do not come back to it (MQTT 5.0 section 3.8.3.1).

    Args:
        hub: The hub.
        host: The broker.
        port: Its MQTT port.
        prefix: The topic prefix of rooms.
        max_pending: Messages waiting for the broker; beyond it new ones are
            dropped (counted in ``dropped``), so a stalled broker never
            holds the hub up.
    """

    def __init__(
        self,
        hub: Hub,
        host: str = "127.0.0.1",
        port: int = 1883,
        *,
        prefix: str = "hub/",
        max_pending: int = 1024,
    ) -> None:
        if not prefix or any(c in prefix for c in "#+"):
            raise ValueError("prefix must be a non-empty topic name prefix without wildcards")
        self.hub = hub
        self.host = host
        self.port = port
        self.prefix = prefix
        self.sender = "mqtt-bridge"
        self._send, self._receive = trio.open_memory_channel[HubMessage](max_pending)
        self.dropped = 0
        self.forwarded_to_mqtt = 0
        self.forwarded_to_hub = 0

    def _on_hub_message(self, message: HubMessage) -> None:
        if message.sender == self.sender or message.presence:
            return
        try:
            self._send.send_nowait(message)
        except trio.WouldBlock:
            self.dropped += 1

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Bridge until cancelled (reconnecting to the broker as its client does)."""
        from servers.mqtt_client import connect
        from wire.mqtt import Subscription

        undo = self.hub.tap(self._on_hub_message)
        client_id = f"wire-hub-{random.getrandbits(32):08x}"
        try:
            async with (
                connect(self.host, self.port, version=5, client_id=client_id) as client,
                client.subscription(
                    Subscription(f"{self.prefix}#", qos=0, no_local=True)
                ) as messages,
                trio.open_nursery() as nursery,
            ):

                async def to_mqtt() -> None:
                    async for message in self._receive:
                        payload = message.data
                        if isinstance(payload, str):
                            payload = payload.encode("utf-8")
                        await client.publish(self.prefix + message.room, payload, qos=0)
                        self.forwarded_to_mqtt += 1

                nursery.start_soon(to_mqtt)
                task_status.started()
                async for publish in messages:
                    room = publish.topic_name[len(self.prefix) :]
                    if not room:
                        continue
                    data: Data = publish.payload
                    with contextlib.suppress(UnicodeDecodeError):
                        data = publish.payload.decode("utf-8")
                    self.hub.publish(room, data, sender=self.sender)
                    self.forwarded_to_hub += 1
        finally:
            undo()


# ----------------------------------------------------------------------
# The demo: a chat room with presence, and a ticker
# ----------------------------------------------------------------------

#: Symbols of the demo ticker and their starting prices.
TICKER_SYMBOLS: Final = {"WIRE": 100.0, "TRIO": 42.0, "SANS": 7.5, "IO": 12.25}


#: The largest message ``/echo`` of the demo takes, and the most fragments of one:
#: Autobahn's (its section 9 sends up to 16 MiB, and 4 MiB in 64-octet frames),
#: so ``wire conform ws-server --all`` passes whole against ``wire serve ws``.
ECHO_MAX_MESSAGE: Final = 16 << 20
ECHO_MAX_FRAGMENTS: Final = 1 << 17


_ECHO_CONFIG: Final = dataclasses.replace(
    limits_config(ECHO_MAX_MESSAGE), max_fragments=ECHO_MAX_FRAGMENTS
)


def demo_routes(hub: Hub) -> dict[str, Handler | WSRoute]:
    """``/echo`` (messages up to :data:`ECHO_MAX_MESSAGE`, for conformance runs),
    ``/chat/{room}`` (presence; slow readers closed with 1013) and ``/ticker``
    (prices superseding each other; slow readers miss old prices)."""

    async def chat(websocket: WebSocket) -> None:
        assert websocket.request is not None
        room = str(websocket.request.path_params.get("room", "lobby"))
        name = websocket.request.query.get("name") or None
        async with hub.connect(websocket, info={"name": name}, policy="close") as member:
            await websocket.send(
                json.dumps(
                    {
                        "type": "welcome",
                        "room": room,
                        "member": member.id,
                        "present": hub.presence(room),
                    }
                )
            )
            hub.join(member, room)
            async for message in websocket:
                if isinstance(message, str):
                    text = message[:4096]
                    payload = {"type": "message", "room": room, "from": member.id, "text": text}
                    hub.publish(room, json.dumps(payload), sender=member.id)

    async def ticker(websocket: WebSocket) -> None:
        async with hub.connect(websocket, policy="drop-oldest") as member:
            hub.join(member, "ticker")
            async for _ in websocket:
                pass  # the ticker only talks

    return {
        "/echo": WSRoute(echo, config=_ECHO_CONFIG),
        "/chat/{room}": WSRoute(chat, subprotocols=("chat",)),
        "/ticker": ticker,
    }


async def run_ticker(
    hub: Hub, *, interval: float = 0.1, rng: random.Random | None = None, count: float = math.inf
) -> None:
    """Publish a random walk of :data:`TICKER_SYMBOLS` to room ``ticker`` (one per symbol)."""
    rng = rng or random.Random()
    prices = dict(TICKER_SYMBOLS)
    for tick in itertools.count():
        if tick >= count:
            return
        for symbol, price in prices.items():
            price = max(0.01, round(price * (1 + rng.gauss(0, 0.002)), 2))
            prices[symbol] = price
            hub.publish(
                "ticker",
                json.dumps({"type": "price", "symbol": symbol, "price": price, "tick": tick}),
                supersede_key=symbol,
            )
        await trio.sleep(interval)
