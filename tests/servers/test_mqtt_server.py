"""The Trio broker driver, end to end on loopback with our own codec as the client."""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from functools import partial

import pytest
import trio

from servers.mqtt import BrokerServer, serve_mqtt
from servers.serve import broker_config
from wire import mqtt


class Client:
    """A bare test client: encode, send, read whole packets with a timeout."""

    def __init__(self, stream: trio.SocketStream, version: int) -> None:
        self.stream = stream
        self.version = version
        self.reader = mqtt.PacketReader(version=version)
        self.pending: list[mqtt.Packet] = []

    async def send(self, *packets: mqtt.Packet) -> None:
        await self.stream.send_all(b"".join(mqtt.encode(p, version=self.version) for p in packets))

    async def receive(self, timeout: float = 5.0) -> mqtt.Packet:
        with trio.fail_after(timeout):
            while not self.pending:
                data = await self.stream.receive_some(65536)
                if not data:
                    raise EOFError
                self.pending += self.reader.feed(data)
        return self.pending.pop(0)

    async def closed(self, timeout: float = 5.0) -> bool:
        with trio.fail_after(timeout):
            while True:
                try:
                    data = await self.stream.receive_some(65536)
                except trio.BrokenResourceError:
                    return True
                if not data:
                    return True
                self.pending += self.reader.feed(data)


async def connect(
    address: tuple[str, int], client_id: str, version: int = 5, **kwargs: object
) -> Client:
    stream = await trio.open_tcp_stream(*address)
    client = Client(stream, version)
    await client.send(mqtt.Connect(client_id=client_id, protocol_level=version, **kwargs))  # type: ignore[arg-type]
    connack = await client.receive()
    assert isinstance(connack, mqtt.Connack)
    assert connack.reason_code == 0
    return client


@pytest.fixture
async def broker(nursery: trio.Nursery) -> AsyncIterator[tuple[str, int]]:
    address = await nursery.start(serve_mqtt, "127.0.0.1", 0)
    yield address
    nursery.cancel_scope.cancel()


@pytest.mark.parametrize("version", [4, 5])
async def test_publish_subscribe_qos_levels(broker: tuple[str, int], version: int) -> None:
    sub = await connect(broker, f"sub{version}", version)
    pub = await connect(broker, f"pub{version}", version)
    await sub.send(mqtt.Subscribe(1, (mqtt.Subscription("t/#", qos=2),)))
    suback = await sub.receive()
    assert isinstance(suback, mqtt.Suback) and suback.reason_codes == (2,)
    await pub.send(
        mqtt.Publish("t/0", b"zero"),
        mqtt.Publish("t/1", b"one", qos=1, packet_id=1),
        mqtt.Publish("t/2", b"two", qos=2, packet_id=2),
    )
    assert await pub.receive() == mqtt.Puback(1)
    assert await pub.receive() == mqtt.Pubrec(2)
    await pub.send(mqtt.Pubrel(2))
    assert await pub.receive() == mqtt.Pubcomp(2)
    got = [await sub.receive() for _ in range(3)]
    assert [(p.topic_name, p.payload, p.qos) for p in got] == [  # type: ignore[union-attr]
        ("t/0", b"zero", 0),
        ("t/1", b"one", 1),
        ("t/2", b"two", 2),
    ]
    await sub.send(mqtt.Puback(got[1].packet_id), mqtt.Pubrec(got[2].packet_id))  # type: ignore[union-attr,arg-type]
    assert await sub.receive() == mqtt.Pubrel(got[2].packet_id)  # type: ignore[union-attr,arg-type]
    await sub.send(mqtt.Pubcomp(got[2].packet_id), mqtt.Pingreq())  # type: ignore[union-attr,arg-type]
    assert await sub.receive() == mqtt.Pingresp()


async def test_bad_client_does_not_touch_others(broker: tuple[str, int]) -> None:
    good = await connect(broker, "good")
    await good.send(mqtt.Subscribe(1, (mqtt.Subscription("x"),)))
    await good.receive()
    bad = await connect(broker, "bad")
    await bad.stream.send_all(b"\x30\x03\x00\x01+")  # wildcard in a topic name
    disconnect = await bad.receive()
    assert disconnect == mqtt.Disconnect(mqtt.ReasonCode.TOPIC_NAME_INVALID)
    assert await bad.closed()
    other = await connect(broker, "other")
    await other.send(mqtt.Publish("x", b"still here"))
    message = await good.receive()
    assert isinstance(message, mqtt.Publish) and message.payload == b"still here"


async def test_garbage_before_connect_closes_only_that_connection(broker: tuple[str, int]) -> None:
    stream = await trio.open_tcp_stream(*broker)
    # "G" reads as PUBACK with reserved flags set, "E" as a length of 69.
    await stream.send_all(
        b"GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: a-browser/1.0\r\n\r\n" * 2
    )
    client = Client(stream, 5)
    assert await client.closed()
    assert client.pending == []
    await connect(broker, "after-garbage")


async def test_slow_subscriber_does_not_block_the_publisher(broker: tuple[str, int]) -> None:
    slow = await connect(broker, "slow")
    await slow.send(mqtt.Subscribe(1, (mqtt.Subscription("flood"),)))
    await slow.receive()
    fast = await connect(broker, "fast")
    await fast.send(mqtt.Subscribe(1, (mqtt.Subscription("flood"),)))
    await fast.receive()
    pub = await connect(broker, "flooder")
    payload = b"x" * 1000
    # The slow client never reads; the publisher and the fast reader keep going.
    count = 3000
    with trio.fail_after(20):
        for i in range(count):
            await pub.send(mqtt.Publish("flood", payload, qos=1, packet_id=i % 65535 + 1))
        for _ in range(count):
            assert isinstance(await pub.receive(), mqtt.Puback)
        for _ in range(count):
            assert isinstance(await fast.receive(), mqtt.Publish)


async def test_unsupported_level_gets_connack_0x01(broker: tuple[str, int]) -> None:
    stream = await trio.open_tcp_stream(*broker)
    await stream.send_all(bytes.fromhex("100d00044d5154540302003c000163"))
    client = Client(stream, 4)
    assert await client.receive() == mqtt.Connack(reason_code=1)
    assert await client.closed()


async def test_connection_limit(nursery: trio.Nursery) -> None:
    server = BrokerServer(max_connections=1)
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    await nursery.start(server.serve, listeners)
    address = listeners[0].socket.getsockname()
    first = await connect(address, "first")
    stream = await trio.open_tcp_stream(*address)
    assert await Client(stream, 5).closed()
    await first.send(mqtt.Pingreq())
    assert await first.receive() == mqtt.Pingresp()
    nursery.cancel_scope.cancel()


async def test_keep_alive_timeout_closes_with_0x8d(broker: tuple[str, int]) -> None:
    idle = await connect(broker, "idle", keep_alive=1)
    with trio.fail_after(5):
        disconnect = await idle.receive()
    assert disconnect == mqtt.Disconnect(mqtt.ReasonCode.KEEP_ALIVE_TIMEOUT)
    assert await idle.closed()


async def test_shutdown_says_goodbye() -> None:
    async with trio.open_nursery() as nursery:
        address = await nursery.start(serve_mqtt, "127.0.0.1", 0)
        v5 = await connect(address, "five")
        v4 = await connect(address, "four", 4)
        nursery.cancel_scope.cancel()
    assert await v5.receive() == mqtt.Disconnect(mqtt.ReasonCode.SERVER_SHUTTING_DOWN)
    assert await v5.closed()
    assert await v4.closed()
    assert v4.pending == []


def test_wire_serve_runs_until_sigterm(tmp_path: object) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "servers.cli", "serve", "mqtt", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "broker listening on mqtt://127.0.0.1:" in line
        port = int(line.rsplit(":", 1)[1])
        assert port > 0

        async def check() -> None:
            client = await connect(("127.0.0.1", port), "cli-check", 4)
            await client.send(mqtt.Pingreq())
            assert await client.receive() == mqtt.Pingresp()

        trio.run(check)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert "SIGTERM: shutting down" in process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


async def test_password_and_acl_files(nursery: trio.Nursery, tmp_path: pathlib.Path) -> None:
    passwords = mqtt.PasswordFile()
    passwords.set("alice", mqtt.hash_password("pw", salt=b"0123456789abcdef", n=16))
    (tmp_path / "passwd").write_text(passwords.dump())
    (tmp_path / "acl").write_text("user alice\ntopic readwrite alice/#\n")
    config = broker_config(str(tmp_path / "passwd"), str(tmp_path / "acl"))
    address = await nursery.start(partial(serve_mqtt, "127.0.0.1", 0, config=config))

    stream = await trio.open_tcp_stream(*address)
    refused = Client(stream, 5)
    await refused.send(mqtt.Connect(client_id="x", username="alice", password=b"bad"))
    assert await refused.receive() == mqtt.Connack(
        reason_code=mqtt.ReasonCode.BAD_USER_NAME_OR_PASSWORD
    )
    assert await refused.closed()

    alice = await connect(address, "a1", username="alice", password=b"pw")
    await alice.send(
        mqtt.Subscribe(1, (mqtt.Subscription("alice/in"), mqtt.Subscription("bob/in")))
    )
    assert await alice.receive() == mqtt.Suback(1, (0, mqtt.ReasonCode.NOT_AUTHORIZED))
    await alice.send(
        mqtt.Publish("bob/in", b"no", qos=1, packet_id=1),
        mqtt.Publish("alice/in", b"yes", qos=1, packet_id=2),
    )
    assert await alice.receive() == mqtt.Puback(1, mqtt.ReasonCode.NOT_AUTHORIZED)
    received = [await alice.receive(), await alice.receive()]
    assert mqtt.Puback(2) in received
    delivered = [p for p in received if isinstance(p, mqtt.Publish)]
    assert [(p.topic_name, p.payload) for p in delivered] == [("alice/in", b"yes")]
    nursery.cancel_scope.cancel()


async def test_tls_listener(nursery: trio.Nursery) -> None:
    import ssl

    import trustme

    authority = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    authority.configure_trust(client_context)
    address = await nursery.start(partial(serve_mqtt, "127.0.0.1", 0, ssl_context=server_context))
    raw = await trio.open_tcp_stream(*address)
    stream = trio.SSLStream(raw, client_context, server_hostname="127.0.0.1")
    client = Client(stream, 5)  # type: ignore[arg-type]
    await client.send(mqtt.Connect(client_id="tls"))
    connack = await client.receive()
    assert isinstance(connack, mqtt.Connack) and connack.reason_code == 0
    await client.send(mqtt.Pingreq())
    assert await client.receive() == mqtt.Pingresp()
    nursery.cancel_scope.cancel()
