"""MQTT over WebSocket on the broker: paho-mqtt's websocket transport (3.1.1 and 5.0),
our own WebSocket client carrying MQTT bytes split and joined anyhow, and a TCP
client on the same broker."""

from __future__ import annotations

import queue
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import pytest
import trio
from tests.peers import require_module

from servers.mqtt import serve_mqtt
from servers.mqtt_client import connect as mqtt_connect
from servers.ws import WebSocketClosed, WebSocketStream, connect
from wire import mqtt

Address = tuple[str, int]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
async def broker(nursery: trio.Nursery) -> tuple[Address, int]:
    """A broker with MQTT over TCP (port 0) and over WebSocket (a free port)."""
    for _ in range(3):
        ws_port = _free_port()
        try:
            address: Address = await nursery.start(
                partial(serve_mqtt, "127.0.0.1", 0, ws_port=ws_port)
            )
        except OSError:
            continue
        return address, ws_port
    raise AssertionError("no free port for the WebSocket listener")


@contextmanager
def _paho(port: int, version: int, client_id: str) -> Iterator[tuple[Any, queue.Queue[Any]]]:
    import paho.mqtt.client as paho

    protocol = paho.MQTTv5 if version == 5 else paho.MQTTv311
    client = paho.Client(
        paho.CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=protocol,
        transport="websockets",
    )
    client.ws_set_options(path="/mqtt")
    events: queue.Queue[Any] = queue.Queue()
    client.on_connect = lambda c, u, flags, reason, props: events.put(("connect", reason))
    client.on_subscribe = lambda c, u, mid, reasons, props: events.put(("subscribe", reasons))
    client.on_message = lambda c, u, message: events.put(
        ("message", message.topic, message.payload)
    )
    client.connect("127.0.0.1", port, keepalive=30)
    client.loop_start()
    try:
        yield client, events
    finally:
        client.disconnect()
        client.loop_stop()


def _next(events: queue.Queue[Any], kind: str) -> Any:
    while True:
        event = events.get(timeout=10)
        if event[0] == kind:
            return event


@pytest.mark.parametrize("version", [4, 5])
async def test_paho_over_websocket(broker: tuple[Address, int], version: int) -> None:
    require_module("paho.mqtt")
    tcp, ws_port = broker

    subscribed = trio.Event()

    def paho_session() -> list[Any]:
        with _paho(ws_port, version, f"paho-ws-{version}") as (client, events):
            connack = _next(events, "connect")
            client.subscribe("ws/#", qos=1)
            suback = _next(events, "subscribe")
            trio.from_thread.run_sync(subscribed.set)
            client.publish("ws/from-paho", b"over websocket", qos=1)
            own = _next(events, "message")
            relayed = _next(events, "message")
            return [connack, suback, own, relayed]

    async def tcp_publisher() -> None:
        async with mqtt_connect(*tcp, client_id=f"tcp-{version}", version=version) as client:
            await subscribed.wait()
            await client.publish("ws/from-tcp", b"over tcp", qos=1)

    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(tcp_publisher)
            connack, suback, own, relayed = await trio.to_thread.run_sync(paho_session)
    assert not connack[1].is_failure
    assert [int(code.value) if hasattr(code, "value") else int(code) for code in suback[1]] == [1]
    assert {own[1:], relayed[1:]} == {
        ("ws/from-paho", b"over websocket"),
        ("ws/from-tcp", b"over tcp"),
    }


async def test_mqtt_bytes_split_and_joined_across_websocket_messages(
    broker: tuple[Address, int],
) -> None:
    _, ws_port = broker
    packets = [
        mqtt.Connect(client_id="byte-by-byte", protocol_level=5),
        mqtt.Subscribe(1, (mqtt.Subscription("t", qos=0),)),
        mqtt.Publish("t", b"x" * 300),
    ]
    data = b"".join(mqtt.encode(p, version=5) for p in packets)
    with trio.fail_after(10):
        async with connect(f"ws://127.0.0.1:{ws_port}/mqtt", subprotocols=["mqtt"]) as websocket:
            assert websocket.subprotocol == "mqtt"
            # The CONNECT one octet per message, the rest joined in one message.
            connect_size = len(mqtt.encode(packets[0], version=5))
            for index in range(connect_size):
                await websocket.send(data[index : index + 1])
            await websocket.send(data[connect_size:])
            stream = WebSocketStream(websocket)
            reader = mqtt.PacketReader(version=5)
            seen: list[mqtt.Packet] = []
            while not any(isinstance(p, mqtt.Publish) for p in seen):
                seen += reader.feed(await stream.receive_some(7))  # small reads too
            assert [type(p).__name__ for p in seen] == ["Connack", "Suback", "Publish"]
            await stream.send_all(mqtt.encode(mqtt.Disconnect(), version=5))
            with pytest.raises(WebSocketClosed):
                while True:
                    await websocket.receive()
            await stream.aclose()
            with pytest.raises(trio.ClosedResourceError):
                await stream.receive_some()


async def test_a_text_message_ends_the_mqtt_connection(broker: tuple[Address, int]) -> None:
    _, ws_port = broker
    with trio.fail_after(10):
        async with connect(f"ws://127.0.0.1:{ws_port}/mqtt", subprotocols=["mqtt"]) as websocket:
            await websocket.send("CONNECT as text")
            with pytest.raises(WebSocketClosed) as info:
                await websocket.receive()
        assert info.value.code == 1003


async def test_the_websocket_listener_answers_plain_http_with_426(
    broker: tuple[Address, int],
) -> None:
    _, ws_port = broker
    with trio.fail_after(10):
        stream = await trio.open_tcp_stream("127.0.0.1", ws_port)
        await stream.send_all(b"GET /mqtt HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = b""
        while chunk := await stream.receive_some(4096):
            answer += chunk
        await stream.aclose()
    assert answer.startswith(b"HTTP/1.1 426 ")
