"""The Trio MQTT client against our broker and against mosquitto, and wire mqtt pub/sub."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from functools import partial

import pytest
import trio
from tests.peers import require

from servers import mqtt_client
from servers.cli import main
from servers.mqtt import BrokerServer, serve_mqtt
from wire import mqtt


@pytest.fixture
async def broker(nursery: trio.Nursery) -> tuple[str, int]:
    address: tuple[str, int] = await nursery.start(serve_mqtt, "127.0.0.1", 0)
    return address


@pytest.mark.parametrize("version", [4, 5])
async def test_publish_and_subscribe(broker: tuple[str, int], version: int) -> None:
    async with (
        mqtt_client.connect(*broker, client_id="sub", version=version) as sub,
        mqtt_client.connect(*broker, client_id="pub", version=version) as pub,
        sub.subscription("room/+/temp", qos=2) as messages,
    ):
        assert await pub.publish("room/1/temp", b"20", qos=0) == 0
        assert await pub.publish("room/2/temp", b"21", qos=1) == 0
        assert await pub.publish("room/3/temp", b"22", qos=2) == 0
        await pub.publish("room/3/humidity", b"40", qos=1)
        with trio.fail_after(5):
            got = [await messages.receive() for _ in range(3)]
        assert [(m.topic_name, m.payload, m.qos) for m in got] == [
            ("room/1/temp", b"20", 0),
            ("room/2/temp", b"21", 1),
            ("room/3/temp", b"22", 2),
        ]


async def served(nursery: trio.Nursery, **kwargs: object) -> tuple[tuple[str, int], BrokerServer]:
    server = BrokerServer(mqtt.BrokerConfig(**kwargs))  # type: ignore[arg-type]
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    await nursery.start(server.serve, listeners)
    address: tuple[str, int] = listeners[0].socket.getsockname()[:2]
    return address, server


async def test_subscription_ends_with_unsubscribe(nursery: trio.Nursery) -> None:
    address, server = await served(nursery)
    async with mqtt_client.connect(*address, client_id="c") as client:
        async with client.subscription("a") as messages:
            await client.publish("a", b"1")
            with trio.fail_after(5):
                assert (await messages.receive()).payload == b"1"
            session = server.broker._sessions.get("c")
            assert session is not None and list(session.subscriptions) == ["a"]
        assert not session.subscriptions


async def test_refused_connect_raises(nursery: trio.Nursery) -> None:
    address, _ = await served(nursery, authenticate=lambda user, password, client_id: False)
    with pytest.raises(mqtt_client.ConnectRefused) as info:
        async with mqtt_client.connect(*address, username="x", password=b"y"):
            pass  # pragma: no cover
    assert info.value.reason_code == mqtt.ReasonCode.BAD_USER_NAME_OR_PASSWORD


async def test_denied_publish_raises(nursery: trio.Nursery) -> None:
    address, _ = await served(
        nursery, authorize_publish=lambda user, client_id, topic: topic != "no"
    )
    async with mqtt_client.connect(*address) as client:
        with pytest.raises(mqtt_client.PublishFailed) as info:
            await client.publish("no", b"x", qos=1)
        assert info.value.reason_code == mqtt.ReasonCode.NOT_AUTHORIZED
        assert await client.publish("yes", b"x", qos=1) == 0


async def test_reconnect_resumes_session(nursery: trio.Nursery) -> None:
    address, server = await served(nursery)
    expiry = mqtt.Properties.build(session_expiry_interval=60)
    async with (
        mqtt_client.connect(*address, client_id="keeper", properties=expiry) as client,
        client.subscription("news", qos=1) as messages,
        mqtt_client.connect(*address, client_id="writer") as writer,
    ):
        assert client.connections == 1
        # Cut the keeper's TCP connection from the broker's side.
        session = server.broker._sessions.get("keeper")
        assert session is not None and session.connection is not None
        await trio.aclose_forcefully(server._peers[session.connection].stream)
        await writer.publish("news", b"while reconnecting", qos=1)
        with trio.fail_after(10):
            message = await messages.receive()
        assert message.payload == b"while reconnecting"
        assert client.connections == 2
        assert client.session_present


async def test_first_connection_failure_raises() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(OSError):
        async with mqtt_client.connect("127.0.0.1", port):
            pass  # pragma: no cover


def test_wire_mqtt_pub_and_sub(tmp_path: object) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "servers.cli", "serve", "mqtt", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        port = process.stdout.readline().rsplit(":", 1)[1].strip()
        subscriber = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "servers.cli",
                "mqtt",
                "sub",
                "-p",
                port,
                "-t",
                "cli/#",
                "-v",
                "-C",
                "2",
                "-W",
                "20",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        time.sleep(1.0)
        out = io.StringIO()
        assert (
            main(["mqtt", "pub", "-p", port, "-t", "cli/a", "-m", "one", "-q", "1"], stdout=out)
            == 0
        )
        assert (
            main(
                ["mqtt", "pub", "-p", port, "-t", "cli/b", "-q", "2", "-V", "4"],
                stdin=io.StringIO("two"),
                stdout=out,
            )
            == 0
        )
        text, _ = subscriber.communicate(timeout=20)
        assert text.splitlines() == ["cli/a one", "cli/b two"]
        assert subscriber.returncode == 0
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def mosquitto(tmp_path: object) -> Iterator[tuple[str, int]]:
    import pathlib

    executable = require("mosquitto")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = pathlib.Path(str(tmp_path)) / "mosquitto.conf"
    config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    process = subprocess.Popen(
        [executable, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield ("127.0.0.1", port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.parametrize("version", [4, 5])
async def test_our_client_against_mosquitto(mosquitto: tuple[str, int], version: int) -> None:
    props = mqtt.Properties.build(session_expiry_interval=30) if version == 5 else mqtt.Properties()
    async with (
        mqtt_client.connect(*mosquitto, client_id=f"ours-{version}", version=version) as client,
        client.subscription("ours/#", qos=2) as messages,
    ):
        for qos in (0, 1, 2):
            await client.publish(f"ours/{qos}", f"q{qos}".encode(), qos=qos, retain=qos == 1)
        with trio.fail_after(5):
            got = sorted(
                [
                    (m.topic_name, m.payload, m.qos)
                    for m in [await messages.receive() for _ in range(3)]
                ]
            )
        assert got == [("ours/0", b"q0", 0), ("ours/1", b"q1", 1), ("ours/2", b"q2", 2)]
        await client.publish("ours/1", b"", retain=True)
    async with mqtt_client.connect(
        *mosquitto,
        client_id=f"persist-{version}",
        clean_start=False,
        version=version,
        properties=props,
    ) as client:
        await client.subscribe("persist/t", qos=1)
    async with mqtt_client.connect(*mosquitto, version=version) as other:
        await other.publish("persist/t", b"queued", qos=1)
    async with mqtt_client.connect(
        *mosquitto,
        client_id=f"persist-{version}",
        clean_start=False,
        version=version,
        properties=props,
    ) as client:
        assert client.session_present
        async with client.subscription("persist/t", qos=1) as messages:
            with trio.fail_after(5):
                assert (await messages.receive()).payload == b"queued"


async def test_backlog_hands_resumed_messages_to_the_next_subscription(
    nursery: trio.Nursery,
) -> None:
    address, _ = await served(nursery)
    expiry = mqtt.Properties.build(session_expiry_interval=60)
    async with mqtt_client.connect(*address, client_id="late", properties=expiry) as client:
        await client.subscribe("q/#", qos=1)
    async with mqtt_client.connect(*address) as writer:
        for index in range(3):
            await writer.publish(f"q/{index}", str(index).encode(), qos=1)
    async with mqtt_client.connect(
        *address, client_id="late", clean_start=False, properties=expiry, backlog=2
    ) as client:
        assert client.session_present
        with trio.fail_after(5):
            while client.dropped_messages < 1:
                await trio.sleep(0.01)
        async with client.subscription("q/#", qos=1) as messages:
            with trio.fail_after(5):
                got = [(await messages.receive()).payload for _ in range(2)]
        assert got == [b"1", b"2"]
        assert client.dropped_messages == 1


async def test_client_over_tls(nursery: trio.Nursery) -> None:
    import ssl

    import trustme

    authority = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    authority.configure_trust(client_context)
    address = await nursery.start(partial(serve_mqtt, "127.0.0.1", 0, ssl_context=server_context))
    async with (
        mqtt_client.connect(*address, client_id="tls", ssl_context=client_context) as client,
        client.subscription("secure/#", qos=1) as messages,
    ):
        await client.publish("secure/a", b"over tls", qos=1)
        with trio.fail_after(5):
            assert (await messages.receive()).payload == b"over tls"
