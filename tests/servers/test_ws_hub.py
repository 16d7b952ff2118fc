"""The broadcast hub: policies, presence, fan-out, the demo routes and the MQTT bridge."""

from __future__ import annotations

import json
import os
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import trio
import trio.testing

from servers.mqtt import serve_mqtt
from servers.mqtt_client import connect as mqtt_connect
from servers.ws import WebSocket, WebSocketClosed, connect, serve_ws
from servers.ws_hub import (
    Hub,
    HubMessage,
    InProcessBackend,
    Member,
    MQTTBridge,
    demo_routes,
    run_ticker,
)
from wire import ws
from wire.http import Role


def _member(**options: Any) -> tuple[Member, list[tuple[int, str]]]:
    closed: list[tuple[int, str]] = []
    defaults: dict[str, Any] = {
        "info": {},
        "queue_size": 3,
        "queue_bytes": 1000,
        "policy": "drop-oldest",
        "close_code": 1013,
        "on_close": lambda code, reason: closed.append((code, reason)),
    }
    defaults.update(options)
    return Member("m", **defaults), closed


def _texts(member: Member) -> list[str | bytes]:
    return [message.data for message in member.take()]


def test_drop_oldest_keeps_the_newest_and_counts_what_it_dropped() -> None:
    member, closed = _member()
    for index in range(5):
        member.offer(HubMessage("r", f"m{index}"))
    assert _texts(member) == ["m2", "m3", "m4"]
    assert member.dropped == 2 and not closed and not member.closed


def test_drop_oldest_respects_the_octet_bound() -> None:
    member, _ = _member(queue_size=100, queue_bytes=10)
    for text in ("aaaa", "bbbb", "cccc"):
        member.offer(HubMessage("r", text))
    assert _texts(member) == ["bbbb", "cccc"]
    assert member.dropped == 1


def test_a_superseding_message_replaces_the_queued_one_in_place() -> None:
    member, _ = _member(queue_size=3)
    member.offer(HubMessage("prices", "A=1", supersede_key="A"))
    member.offer(HubMessage("prices", "B=1", supersede_key="B"))
    member.offer(HubMessage("news", "hello"))
    for price in range(2, 50):
        member.offer(HubMessage("prices", f"A={price}", supersede_key="A"))
    assert member.superseded == 48 and member.dropped == 0
    assert _texts(member) == ["A=49", "B=1", "hello"]
    # Same key in another room is another value: it takes a place of its own.
    for message in ("A=1", "B=1", "hello"):
        member.offer(
            HubMessage(
                "prices" if "=" in message else "news",
                message,
                supersede_key=message[0] if "=" in message else None,
            )
        )
    member.offer(HubMessage("other", "A=x", supersede_key="A"))
    assert _texts(member) == ["B=1", "hello", "A=x"]
    assert member.dropped == 1


def test_close_policy_closes_with_its_code() -> None:
    member, closed = _member(policy="close", close_code=1008)
    for index in range(4):
        member.offer(HubMessage("r", f"m{index}"))
    assert member.closed and closed == [(1008, "slow consumer: the queue is full")]
    member.offer(HubMessage("r", "after"))
    assert member.queued == 0


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError):
        _member(policy="drop-newest")
    with pytest.raises(ValueError):
        _member(close_code=1000)
    with pytest.raises(ValueError):
        _member(queue_size=0)
    with pytest.raises(ValueError):
        HubMessage("", "x")
    with pytest.raises(TypeError):
        HubMessage("r", 42)  # type: ignore[arg-type]
    hub = Hub()
    hub.member("alice")
    with pytest.raises(ValueError, match="already"):
        hub.member("alice")
    with pytest.raises(ValueError):
        MQTTBridge(hub, prefix="hub/#")


def test_rooms_presence_and_echo() -> None:
    hub = Hub()
    alice = hub.member("alice", info={"name": "Alice"})
    bob = hub.member("bob", info={"name": "Bob"})
    hub.join(alice, "lobby")
    hub.join(bob, "lobby")
    hub.join(bob, "lobby")  # twice is once
    assert hub.presence("lobby") == {"alice": {"name": "Alice"}, "bob": {"name": "Bob"}}
    assert hub.rooms() == {"lobby": 2}
    joined = [json.loads(m) for m in _texts(alice)]
    assert joined == [
        {
            "type": "presence",
            "event": "join",
            "room": "lobby",
            "member": "bob",
            "info": {"name": "Bob"},
        }
    ]
    assert _texts(bob) == []  # one's own presence is not news
    hub.publish("lobby", "hi all", sender="alice", echo=False)
    hub.publish("lobby", b"\x00binary")
    hub.publish("elsewhere", "nobody hears this")
    assert _texts(alice) == [b"\x00binary"]
    assert _texts(bob) == ["hi all", b"\x00binary"]
    hub.remove(bob)
    assert [json.loads(m)["event"] for m in _texts(alice)] == ["leave"]
    assert hub.presence("lobby") == {"alice": {"name": "Alice"}}
    hub.leave(alice, "lobby")
    assert hub.rooms() == {} and hub.presence("lobby") == {}
    assert set(hub.members) == {"alice"}


def test_tap_sees_every_delivery_and_can_be_removed() -> None:
    hub = Hub(InProcessBackend(), presence=False)
    seen: list[HubMessage] = []
    undo = hub.tap(seen.append)
    hub.publish("a", "1")
    undo()
    hub.publish("a", "2")
    assert [m.data for m in seen] == ["1"]


async def test_websocket_members_share_one_prepared_frame() -> None:
    hub = Hub(presence=False)
    got: dict[str, list[Any]] = {"a": [], "b": [], "plain": []}
    accept = {"a": True, "b": False, "plain": True}

    def direct(name: str) -> Any:
        def take(outgoing: Any) -> bool:
            if accept[name]:
                got[name].append(outgoing)
            return accept[name]

        return take

    members = [
        hub.member("a", direct=direct("a"), takes_prepared=True),
        hub.member("b", direct=direct("b"), takes_prepared=True),  # queues instead
        hub.member("plain", direct=direct("plain")),
    ]
    for member in members:
        hub.join(member, "r")
    hub.publish("r", "héllo")
    hub.publish("r", b"\x00\x01")
    assert got["plain"] == ["héllo", b"\x00\x01"]
    first, second = got["a"]
    assert isinstance(first, ws.PreparedMessage) and first.text
    assert first.payload == "héllo".encode() and first.frame[0] == 0x81
    assert not second.text and second.frame == b"\x82\x02\x00\x01"

    batches: list[list[Any]] = []

    async def send_many(batch: list[Any]) -> None:
        batches.append(batch)
        members[1].close()

    await members[1].pump(send_many)
    # The member that queued gets the very objects the direct one got.
    assert len(batches) == 1 and [x is y for x, y in zip(batches[0], got["a"], strict=True)] == [
        True,
        True,
    ]


def test_a_closing_member_leaves_its_rooms() -> None:
    hub = Hub(queue_size=1, policy="close")
    slow = hub.member("slow")
    other = hub.member("other", policy="drop-oldest")
    hub.join(slow, "r")
    hub.join(other, "r")
    hub.publish("r", "1")
    hub.publish("r", "2")
    assert slow.closed and "slow" not in hub.members
    assert hub.presence("r") == {"other": {}}


# ----------------------------------------------------------------------
# Over WebSocket connections (memory streams)
# ----------------------------------------------------------------------


@asynccontextmanager
async def _connections(
    count: int, nursery: trio.Nursery, *, client_queue: int = 64, high_water: int = 64 * 1024
) -> AsyncIterator[list[tuple[WebSocket, WebSocket]]]:
    quiet = ws.WSConfig(ping_interval=None, close_timeout=1.0)
    pairs = []
    for _ in range(count):
        left, right = trio.testing.lockstep_stream_pair()
        server = WebSocket(
            left, ws.WSConnection(Role.SERVER, config=quiet), send_high_water=high_water
        )
        client = WebSocket(
            right,
            ws.WSConnection(Role.CLIENT, config=quiet, mask_source=os.urandom),
            max_queue=client_queue,
        )
        await nursery.start(server.run)
        await nursery.start(client.run)
        pairs.append((server, client))
    yield pairs


async def test_fan_out_to_many_connections(nursery: trio.Nursery) -> None:
    hub = Hub(presence=False)
    async with _connections(100, nursery) as pairs:
        ready = trio.Event()
        joined = 0

        async def subscriber(server: WebSocket) -> None:
            nonlocal joined
            async with hub.connect(server) as member:
                hub.join(member, "all")
                joined += 1
                if joined == len(pairs):
                    ready.set()
                await server.wait_closed()

        for server, _ in pairs:
            nursery.start_soon(subscriber, server)
        with trio.fail_after(10):
            await ready.wait()
            for index in range(5):
                hub.publish("all", f"broadcast {index}")
            for _, client in pairs:
                assert [await client.receive() for _ in range(5)] == [
                    f"broadcast {i}" for i in range(5)
                ]
        for server, _ in pairs:
            server.going_away(1000)


async def test_a_slow_websocket_is_closed_with_1013_and_others_are_not_held_up(
    nursery: trio.Nursery,
) -> None:
    hub = Hub(presence=False, queue_size=8, policy="close")
    async with _connections(2, nursery, client_queue=2, high_water=0) as pairs:
        (slow_server, slow_client), (fast_server, fast_client) = pairs
        members: dict[str, Member] = {}

        async def subscriber(name: str, server: WebSocket) -> None:
            async with hub.connect(server, name) as member:
                members[name] = member
                hub.join(member, "chat")
                await server.wait_closed()

        nursery.start_soon(subscriber, "slow", slow_server)
        nursery.start_soon(subscriber, "fast", fast_server)
        with trio.fail_after(10):
            while len(members) < 2:
                await trio.sleep(0.01)
            received = []
            for index in range(200):
                hub.publish("chat", f"line {index}".ljust(500))
                received.append(await fast_client.receive())  # the fast one keeps up
            assert received[-1].startswith("line 199")
            assert members["slow"].closed
            # The slow client reads what it had, then the policy's close.
            with pytest.raises(WebSocketClosed) as info:
                while True:
                    await slow_client.receive()
            assert info.value.code == 1013
        assert not members["fast"].closed


async def test_drop_oldest_over_a_websocket_delivers_the_latest_prices(
    nursery: trio.Nursery,
) -> None:
    hub = Hub(presence=False, queue_size=4)
    async with _connections(1, nursery, client_queue=1, high_water=0) as pairs:
        server, client = pairs[0]
        member_ready = trio.Event()
        member_box: list[Member] = []

        async def subscriber() -> None:
            async with hub.connect(server, policy="drop-oldest") as member:
                member_box.append(member)
                hub.join(member, "prices")
                member_ready.set()
                await server.wait_closed()

        nursery.start_soon(subscriber)
        with trio.fail_after(10):
            await member_ready.wait()
            rng = random.Random(3)
            for tick in range(300):
                for symbol in ("A", "B"):
                    hub.publish("prices", f"{symbol}={tick}:{rng.random()}", supersede_key=symbol)
                await trio.sleep(0)
            hub.publish("prices", "done")
            seen = []
            while True:
                message = await client.receive()
                seen.append(message)
                if message == "done":
                    break
        assert not member_box[0].closed
        assert member_box[0].superseded > 0
        # The last price of each symbol arrived; most old ones never did.
        assert any(str(m).startswith("A=299:") for m in seen)
        assert any(str(m).startswith("B=299:") for m in seen)
        assert len(seen) < 600
        server.going_away(1000)


# ----------------------------------------------------------------------
# The demo over a real server
# ----------------------------------------------------------------------


async def test_demo_chat_with_presence_and_ticker(nursery: trio.Nursery) -> None:
    hub = Hub()
    address = await nursery.start(serve_ws, "127.0.0.1", 0, demo_routes(hub))
    nursery.start_soon(run_ticker, hub)
    base = f"ws://127.0.0.1:{address[1]}"
    with trio.fail_after(10):
        async with connect(f"{base}/chat/room1?name=ann", subprotocols=["chat"]) as ann:
            welcome = json.loads(await ann.receive())
            assert welcome["type"] == "welcome" and welcome["present"] == {}
            async with connect(f"{base}/chat/room1?name=bob") as bob:
                bob_welcome = json.loads(await bob.receive())
                assert list(bob_welcome["present"].values()) == [{"name": "ann"}]
                joined = json.loads(await ann.receive())
                assert joined["event"] == "join" and joined["info"] == {"name": "bob"}
                await bob.send("hello ann")
                said = json.loads(await ann.receive())
                assert (said["from"], said["text"]) == (bob_welcome["member"], "hello ann")
                assert json.loads(await bob.receive())["text"] == "hello ann"
            left = json.loads(await ann.receive())
            assert left["event"] == "leave"
        async with connect(f"{base}/ticker") as ticker:
            prices = [json.loads(await ticker.receive()) for _ in range(8)]
            assert {p["symbol"] for p in prices} == {"WIRE", "TRIO", "SANS", "IO"}
        async with connect(f"{base}/echo") as echo:
            await echo.send("e")
            assert await echo.receive() == "e"


async def test_mqtt_bridge_both_ways(nursery: trio.Nursery) -> None:
    hub = Hub(presence=False)
    broker = await nursery.start(serve_mqtt, "127.0.0.1", 0)
    bridge = MQTTBridge(hub, *broker)
    await nursery.start(bridge.run)
    member = hub.member("browser")
    hub.join(member, "sensors")
    with trio.fail_after(10):
        async with (
            mqtt_connect(*broker, client_id="device") as device,
            mqtt_connect(*broker, client_id="dashboard") as dashboard,
            dashboard.subscription("hub/sensors") as incoming,
        ):
            await device.publish("hub/sensors", b'{"t": 21.5}')
            await member.wait()
            assert [m.data for m in member.take()] == ['{"t": 21.5}']
            assert (await incoming.receive()).payload == b'{"t": 21.5}'  # MQTT as usual
            hub.publish("sensors", "from the browser", sender="browser", echo=False)
            message = await incoming.receive()
            assert (message.topic_name, message.payload) == ("hub/sensors", b"from the browser")
    assert bridge.forwarded_to_hub == 1 and bridge.forwarded_to_mqtt == 1
