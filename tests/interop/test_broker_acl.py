"""ACL denials seen by a real client (paho-mqtt), 3.1.1 and 5.0, against `wire serve mqtt`."""

from __future__ import annotations

import pathlib
import queue
from collections.abc import Iterator
from typing import Any

import pytest
from tests.interop.broker_fixture import running_broker
from tests.peers import require_module

from wire import mqtt


@pytest.fixture
def acl_broker(tmp_path: pathlib.Path) -> Iterator[tuple[str, int]]:
    passwords = mqtt.PasswordFile()
    passwords.set("alice", mqtt.hash_password("secret", salt=b"0123456789abcdef", n=16))
    (tmp_path / "passwd").write_text(passwords.dump())
    (tmp_path / "acl").write_text("user alice\ntopic readwrite alice/#\ntopic read news/#\n")
    with running_broker(
        "127.0.0.1",
        "--password-file",
        str(tmp_path / "passwd"),
        "--acl-file",
        str(tmp_path / "acl"),
    ) as broker:
        yield broker.address


def _client(address: tuple[str, int], version: int, password: str) -> tuple[Any, queue.Queue[Any]]:
    require_module("paho")
    import paho.mqtt.client as paho_mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    protocol = paho_mqtt.MQTTv5 if version == 5 else paho_mqtt.MQTTv311
    client = paho_mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=f"acl-{version}", protocol=protocol
    )
    client.username_pw_set("alice", password)
    events: queue.Queue[Any] = queue.Queue()
    client.on_connect = lambda c, u, flags, reason, props: events.put(("connect", reason))
    client.on_subscribe = lambda c, u, mid, reasons, props: events.put(("suback", reasons))
    client.on_publish = lambda c, u, mid, reason, props: events.put(("puback", reason))
    client.on_message = lambda c, u, message: events.put(("message", message.topic))
    client.connect(*address, keepalive=30)
    client.loop_start()
    return client, events


def _next(events: queue.Queue[Any], kind: str) -> Any:
    while True:
        got, value = events.get(timeout=5)
        if got == kind:
            return value


@pytest.mark.parametrize("version", [4, 5])
def test_bad_password_is_refused(acl_broker: tuple[str, int], version: int) -> None:
    client, events = _client(acl_broker, version, "wrong")
    try:
        reason = _next(events, "connect")
        assert reason.is_failure
        # paho reports 3.1.1 return code 0x04 as the 5.0 code 0x86 (Bad user name or password).
        assert int(reason.value) == 0x86
    finally:
        client.loop_stop()


@pytest.mark.parametrize("version", [4, 5])
def test_denied_subscribe_and_publish(acl_broker: tuple[str, int], version: int) -> None:
    client, events = _client(acl_broker, version, "secret")
    try:
        assert not _next(events, "connect").is_failure
        client.subscribe([("alice/in", 1), ("bob/in", 1), ("news/today", 1)])
        codes = [int(code.value) for code in _next(events, "suback")]
        denied = 0x87 if version == 5 else 0x80
        assert codes == [1, denied, 1]
        client.publish("news/today", b"no write access", qos=1)
        reason = _next(events, "puback")
        if version == 5:
            assert int(reason.value) == 0x87  # PUBACK Not authorized
        client.publish("alice/in", b"allowed", qos=1)
        assert _next(events, "message") == "alice/in"  # the denied one never arrived
    finally:
        client.disconnect()
        client.loop_stop()
