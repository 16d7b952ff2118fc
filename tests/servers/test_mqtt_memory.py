"""The broker driver keeps no writer task for an idle connection.

An idle connection should cost one reader task and nothing else: its writer is
started only while it has output and exits once that output is written.
"""

from __future__ import annotations

from collections import Counter

import trio
import trio.testing

from servers.mqtt import BrokerServer
from wire import mqtt

IDLE_CONNECTIONS = 500


def task_names() -> Counter[str]:
    """The running tasks, by coroutine name, from the root task down."""
    names: Counter[str] = Counter()
    root = trio.lowlevel.current_root_task()
    assert root is not None
    stack = [root]
    while stack:
        task = stack.pop()
        names[task.coro.cr_code.co_name] += 1
        for nursery in task.child_nurseries:
            stack.extend(nursery.child_tasks)
    return names


async def read_packet(stream: trio.SocketStream, reader: mqtt.PacketReader) -> mqtt.Packet:
    with trio.fail_after(10):
        while True:
            data = await stream.receive_some(65536)
            assert data, "connection closed"
            packets = reader.feed(data)
            if packets:
                (packet,) = packets
                return packet


async def test_idle_connections_have_no_writer_task(nursery: trio.Nursery) -> None:
    server = BrokerServer()
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    await nursery.start(server.serve, listeners)
    await trio.testing.wait_all_tasks_blocked()
    tasks_before = sum(task_names().values())

    streams: list[trio.SocketStream] = []
    try:
        for i in range(IDLE_CONNECTIONS):
            stream = await trio.open_tcp_stream("127.0.0.1", port)
            streams.append(stream)
            connect = mqtt.Connect(client_id=f"idle-{i}", protocol_level=5, keep_alive=0)
            await stream.send_all(mqtt.encode(connect, version=5))
            # The CONNACK went out through a writer started on demand.
            connack = await read_packet(stream, mqtt.PacketReader(version=5))
            assert isinstance(connack, mqtt.Connack)
        await trio.testing.wait_all_tasks_blocked()

        assert server.connection_count == IDLE_CONNECTIONS
        names = task_names()
        assert names["_write_loop"] == 0
        # Exactly one task (the reader) per idle connection.
        assert sum(names.values()) == tasks_before + IDLE_CONNECTIONS

        # Output for one connection starts one writer, which exits once it is written.
        subscriber, publisher = streams[0], streams[1]
        sub_reader = mqtt.PacketReader(version=5)
        subscribe = mqtt.Subscribe(packet_id=1, subscriptions=(mqtt.Subscription("t/#"),))
        await subscriber.send_all(mqtt.encode(subscribe, version=5))
        assert isinstance(await read_packet(subscriber, sub_reader), mqtt.Suback)
        publish = mqtt.Publish(topic_name="t/1", payload=b"hello")
        await publisher.send_all(mqtt.encode(publish, version=5))
        message = await read_packet(subscriber, sub_reader)
        assert isinstance(message, mqtt.Publish) and message.payload == b"hello"
        await trio.testing.wait_all_tasks_blocked()
        assert task_names()["_write_loop"] == 0
    finally:
        for stream in streams:
            await trio.aclose_forcefully(stream)


async def test_shutdown_says_goodbye_to_every_connection() -> None:
    # Shutdown queues DISCONNECT 0x8B for all 5.0 connections at once; a writer
    # started on demand during shutdown must not drain it without sending it.
    clients: list[tuple[trio.SocketStream, mqtt.PacketReader, int]] = []
    async with trio.open_nursery() as nursery:
        server = BrokerServer()
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        port = listeners[0].socket.getsockname()[1]
        await nursery.start(server.serve, listeners)
        for i in range(40):
            version = 5 if i % 2 else 4
            stream = await trio.open_tcp_stream("127.0.0.1", port)
            reader = mqtt.PacketReader(version=version)
            connect = mqtt.Connect(client_id=f"bye-{i}", protocol_level=version, keep_alive=0)
            await stream.send_all(mqtt.encode(connect, version=version))
            assert isinstance(await read_packet(stream, reader), mqtt.Connack)
            clients.append((stream, reader, version))
        nursery.cancel_scope.cancel()
    try:
        for stream, reader, version in clients:
            if version == 5:
                packet = await read_packet(stream, reader)
                assert packet == mqtt.Disconnect(mqtt.ReasonCode.SERVER_SHUTTING_DOWN)
    finally:
        for stream, _, _ in clients:
            await trio.aclose_forcefully(stream)
