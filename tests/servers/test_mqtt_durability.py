"""kill -9 the broker in the middle of QoS 1 and QoS 2 traffic, restart it, count.

Nothing the broker acknowledged may be lost (PUBACK for QoS 1, PUBREC for
QoS 2), and no QoS 2 message may reach the subscriber twice.
"""

from __future__ import annotations

import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from wire import mqtt

EXPIRY = mqtt.Properties.build(session_expiry_interval=3600)


class Broker:
    def __init__(self, data_dir: pathlib.Path) -> None:
        self.data_dir = data_dir
        self.process: subprocess.Popen[str] | None = None
        self.port = 0

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "servers.cli",
                "serve",
                "mqtt",
                "--port",
                str(self.port),
                "--data-dir",
                str(self.data_dir),
            ],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert "listening" in line, line
        self.port = int(line.rsplit(":", 1)[1])

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Client:
    """A blocking raw client: our codec over a socket, every read with a timeout."""

    def __init__(self, port: int, client_id: str, *, clean_start: bool) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.reader = mqtt.PacketReader(version=5)
        self.pending: list[mqtt.Packet] = []
        self.send(mqtt.Connect(client_id=client_id, clean_start=clean_start, properties=EXPIRY))
        connack = self.receive()
        assert isinstance(connack, mqtt.Connack) and connack.reason_code == 0, connack
        self.session_present = connack.session_present

    def send(self, *packets: mqtt.Packet) -> None:
        self.sock.sendall(b"".join(mqtt.encode(p) for p in packets))

    def receive(self, timeout: float = 10.0) -> mqtt.Packet | None:
        self.sock.settimeout(timeout)
        while not self.pending:
            try:
                data = self.sock.recv(65536)
            except (TimeoutError, ConnectionError):
                return None
            if not data:
                return None
            self.pending += self.reader.feed(data)
        return self.pending.pop(0)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def broker(tmp_path: pathlib.Path) -> Iterator[Broker]:
    instance = Broker(tmp_path / "data")
    instance.start()
    yield instance
    instance.stop()


def test_kill_9_loses_no_acknowledged_message(broker: Broker) -> None:
    count = 400
    subscriber = Client(broker.port, "durable-sub", clean_start=True)
    subscriber.send(mqtt.Subscribe(1, (mqtt.Subscription("d/#", qos=2),)))
    assert isinstance(subscriber.receive(), mqtt.Suback)
    subscriber.send(mqtt.Disconnect())  # offline: everything queues in its session
    subscriber.close()

    publisher = Client(broker.port, "durable-pub", clean_start=True)
    acknowledged: set[bytes] = set()
    sent = {
        index + 1: mqtt.Publish(
            f"d/{1 + index % 2}", b"m%d" % index, qos=1 + index % 2, packet_id=index + 1
        )
        for index in range(count)
    }
    half = count // 2
    publisher.send(*(sent[i] for i in range(1, half + 1)))
    # Let some acknowledgements come back...
    deadline = time.monotonic() + 5
    while len(acknowledged) < count // 8 and time.monotonic() < deadline:
        packet = publisher.receive(timeout=1)
        if isinstance(packet, mqtt.Puback | mqtt.Pubrec):
            acknowledged.add(sent[packet.packet_id].payload)
    # ...then trickle the second half, so the broker commits it in many small
    # batches, and kill it in their midst.
    for i in range(half + 1, count + 1):
        publisher.send(sent[i])
        time.sleep(0.002)
        if i == half + count // 4:
            broker.kill()
            break
    while (packet := publisher.receive(timeout=0.5)) is not None:
        if isinstance(packet, mqtt.Puback | mqtt.Pubrec):
            acknowledged.add(sent[packet.packet_id].payload)
    publisher.close()
    assert len(acknowledged) >= count // 8

    broker.start()
    # The publisher resumes: resends what was not acknowledged, releases the rest.
    publisher = Client(broker.port, "durable-pub", clean_start=False)
    assert publisher.session_present
    for packet_id, publish in sent.items():
        if publish.payload in acknowledged:
            if publish.qos == 2:
                publisher.send(mqtt.Pubrel(packet_id))
        else:
            publisher.send(
                mqtt.Publish(
                    publish.topic_name,
                    publish.payload,
                    qos=publish.qos,
                    dup=True,
                    packet_id=packet_id,
                )
            )
    while (packet := publisher.receive(timeout=1)) is not None:
        if isinstance(packet, mqtt.Pubrec):
            publisher.send(mqtt.Pubrel(packet.packet_id))
    publisher.close()

    subscriber = Client(broker.port, "durable-sub", clean_start=False)
    assert subscriber.session_present
    received: list[bytes] = []
    qos2_received: list[bytes] = []
    while (packet := subscriber.receive(timeout=2)) is not None:
        if isinstance(packet, mqtt.Publish):
            received.append(packet.payload)
            if packet.qos == 2:
                qos2_received.append(packet.payload)
                subscriber.send(mqtt.Pubrec(packet.packet_id or 0))
            else:
                subscriber.send(mqtt.Puback(packet.packet_id or 0))
        elif isinstance(packet, mqtt.Pubrel):
            subscriber.send(mqtt.Pubcomp(packet.packet_id))
    subscriber.close()

    missing = acknowledged - set(received)
    assert not missing, f"{len(missing)} acknowledged messages lost, e.g. {sorted(missing)[:5]}"
    assert len(qos2_received) == len(set(qos2_received)), "a QoS 2 message arrived twice"
    # Everything the publisher sent (resent after the restart) arrived.
    assert {p.payload for p in sent.values()} <= set(received)
