"""The MQTT test vectors in ``spec/mqtt/vectors`` (format: ``spec/mqtt/README.md``).

Valid vectors decode to the JSON view they give, re-encode to their bytes (or to
their ``canonical_hex``), and decode the same when the bytes arrive one at a
time. Invalid vectors raise exactly the error class and reason code they name,
whole and byte by byte. The bytes were written by hand from the specifications;
two independent peers check them: the ``mqtt5`` codec reads every 5.0 vector,
and paho-mqtt builds the 3.1.1 packets a client sends.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from tests.peers import require_module

from wire import mqtt

SPEC = Path(__file__).resolve().parents[3] / "spec" / "mqtt" / "vectors"
_RUN = re.compile(r"<([0-9a-f]{2})\*(\d+)>")


def expand(text: str) -> str:
    """Expand the ``<XX*N>`` shorthand (byte XX repeated N times) of the vector files."""
    return _RUN.sub(lambda m: m.group(1) * int(m.group(2)), text)


def load(name: str) -> list[dict[str, Any]]:
    vectors: list[dict[str, Any]] = json.loads((SPEC / name).read_text(encoding="utf-8"))
    return vectors


VALID = load("valid.json")
INVALID = load("invalid.json")
PACKET_TYPES = {t.name for t in mqtt.PacketType}
ERRORS: dict[str, type[mqtt.MQTTRemoteError]] = {
    cls.__name__: cls
    for cls in (
        mqtt.MalformedPacket,
        mqtt.MQTTProtocolError,
        mqtt.PacketTooLarge,
        mqtt.TopicNameInvalid,
        mqtt.UnsupportedProtocolVersion,
    )
}
STATEMENT = re.compile(r"MQTT-\d+\.\d+\.\d+-\d+|MQTT-3-8\.3-4")


def data_of(vector: dict[str, Any], key: str = "hex") -> bytes:
    return bytes.fromhex(expand(vector[key]))


def expected_view(vector: dict[str, Any]) -> dict[str, Any]:
    view = dict(vector["packet"])
    if isinstance(view.get("payload"), str):
        view["payload"] = expand(view["payload"])
    return view


def valid_params(vectors: list[dict[str, Any]]) -> list[Any]:
    return [pytest.param(v, id=v["id"]) for v in vectors]


def invalid_params() -> list[Any]:
    return [
        pytest.param(
            v,
            id=v["id"],
            marks=[pytest.mark.xfail(strict=True, reason=v["xfail"])] if "xfail" in v else [],
        )
        for v in INVALID
    ]


def decode_whole(vector: dict[str, Any]) -> mqtt.Packet:
    data = data_of(vector)
    result = mqtt.decode(data, version=vector["version"])
    assert result is not None, "the vector holds no whole packet"
    packet, used = result
    assert used == len(data)
    return packet


# ---------------------------------------------------------------------------
# The files themselves
# ---------------------------------------------------------------------------


def test_vector_files_are_well_formed() -> None:
    ids = [v["id"] for v in VALID + INVALID]
    assert len(ids) == len(set(ids)), "vector ids must be unique across both files"
    for vector in VALID:
        assert set(vector) <= {
            "id",
            "version",
            "hex",
            "packet",
            "note",
            "canonical",
            "canonical_hex",
        }, vector["id"]
        assert vector["id"].startswith(f"v{vector['version']}-")
        assert vector["packet"]["type"] in PACKET_TYPES
        assert vector["note"]
        assert ("canonical" in vector) == ("canonical_hex" in vector)
        if "canonical" in vector:
            assert vector["canonical"] is False
            assert vector["canonical_hex"] != vector["hex"]
    for vector in INVALID:
        assert set(vector) <= {
            "id",
            "version",
            "hex",
            "error",
            "reason_code",
            "statement",
            "note",
            "max_packet_size",
            "xfail",
        }, vector["id"]
        assert vector["id"].startswith(f"v{vector['version']}-")
        cls = ERRORS[vector["error"]]
        assert vector["reason_code"] == cls.default_reason
        assert vector["statement"] is None or STATEMENT.fullmatch(vector["statement"])
        assert vector["note"]


@pytest.mark.parametrize("version", [4, 5])
def test_valid_vectors_cover_every_packet_type(version: int) -> None:
    covered = {v["packet"]["type"] for v in VALID if v["version"] == version}
    expected = PACKET_TYPES - ({"AUTH"} if version == 4 else set())
    assert covered == expected


def test_vector_counts() -> None:
    assert len(VALID) >= 60
    assert len(INVALID) >= 60


# ---------------------------------------------------------------------------
# Valid vectors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("vector", valid_params(VALID))
def test_valid_vector(vector: dict[str, Any]) -> None:
    version = vector["version"]
    packet = decode_whole(vector)
    assert mqtt.packet_to_json(packet, version=version) == expected_view(vector)
    # The JSON view describes the packet completely: it builds an equal packet.
    assert mqtt.packet_from_json(expected_view(vector)) == packet
    key = "canonical_hex" if "canonical_hex" in vector else "hex"
    assert mqtt.encode(packet, version=version) == data_of(vector, key)


@pytest.mark.parametrize("vector", valid_params(VALID))
def test_valid_vector_byte_by_byte(vector: dict[str, Any]) -> None:
    data = data_of(vector)
    reader = mqtt.PacketReader(version=vector["version"])
    for index in range(len(data) - 1):
        assert reader.feed(data[index : index + 1]) == [], f"packet done early at byte {index}"
        assert mqtt.decode(data[: index + 1], version=vector["version"]) is None
    assert reader.feed(data[-1:]) == [decode_whole(vector)]
    assert reader.buffered == 0


# ---------------------------------------------------------------------------
# Invalid vectors
# ---------------------------------------------------------------------------


def _limit(vector: dict[str, Any]) -> int:
    limit: int = vector.get("max_packet_size", mqtt.DEFAULT_MAX_PACKET_SIZE)
    return limit


def _check_error(vector: dict[str, Any], error: BaseException) -> None:
    assert type(error) is ERRORS[vector["error"]], f"{type(error).__name__}: {error}"
    assert isinstance(error, mqtt.MQTTRemoteError)
    assert error.reason_code == vector["reason_code"]
    assert error.code == vector["reason_code"]


@pytest.mark.parametrize("vector", invalid_params())
def test_invalid_vector(vector: dict[str, Any]) -> None:
    with pytest.raises(mqtt.MQTTRemoteError) as info:
        mqtt.decode(data_of(vector), version=vector["version"], max_packet_size=_limit(vector))
    _check_error(vector, info.value)


@pytest.mark.parametrize("vector", invalid_params())
def test_invalid_vector_byte_by_byte(vector: dict[str, Any]) -> None:
    data = data_of(vector)
    reader = mqtt.PacketReader(version=vector["version"], max_packet_size=_limit(vector))
    error: mqtt.MQTTRemoteError | None = None
    for index in range(len(data)):
        packets, error = reader.feed_until_error(data[index : index + 1])
        assert packets == [], "an invalid vector must not yield a packet"
        if error is not None:
            break
    assert error is not None, "the byte stream was accepted"
    _check_error(vector, error)
    # The reader stays broken: the stream has lost its packet boundaries.
    with pytest.raises(type(error)):
        reader.feed(b"\xc0\x00")


# ---------------------------------------------------------------------------
# Independent peers
# ---------------------------------------------------------------------------

#: 5.0 vectors the mqtt5 codec (0.8) cannot read, and why.
MQTT5_CANNOT_READ = {
    "v5-auth-short": "mqtt5 requires a property length in AUTH; 5.0 section 3.15.2.1 allows "
    "a Remaining Length of 0",
}


def _props(view: list[list[Any]]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for name, value in view:
        out.setdefault(name, []).append(value)
    return out


def _one(props: dict[str, list[Any]], name: str, default: Any = None) -> Any:
    return props[name][0] if name in props else default


def _bin(props: dict[str, list[Any]], name: str) -> bytes | None:
    return bytes.fromhex(props[name][0]) if name in props else None


def _pairs(props: dict[str, list[Any]]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in props.get("User Property", [])]


def _reasons(props: dict[str, list[Any]]) -> dict[str, Any]:
    return {"reason_str": _one(props, "Reason String"), "user_properties": _pairs(props)}


def mqtt5_expectation(view: dict[str, Any]) -> dict[str, Any]:
    """What the mqtt5 packet decoded from a vector's bytes should hold, attribute by attribute.

    Absent properties take the defaults the 5.0 specification gives them.
    """
    kind = view["type"]
    p = _props(view.get("properties", []))
    if kind == "CONNECT":
        will = view["will"]
        will_attrs = None
        if will is not None:
            wp = _props(will["properties"])
            will_attrs = {
                "topic": will["topic"],
                "payload": bytes.fromhex(will["payload"]),
                "qos": will["qos"],
                "retain": will["retain"],
                "payload_format_indicator": _one(wp, "Payload Format Indicator", 0),
                "message_expiry_interval": _one(wp, "Message Expiry Interval"),
                "content_type": _one(wp, "Content Type"),
                "response_topic": _one(wp, "Response Topic"),
                "correlation_data": _bin(wp, "Correlation Data"),
                "will_delay_interval": _one(wp, "Will Delay Interval", 0),
                "user_properties": _pairs(wp),
            }
        return {
            "client_id": view["client_id"],
            "username": view["username"],
            "password": None if view["password"] is None else bytes.fromhex(view["password"]),
            "clean_start": view["clean_start"],
            "will": will_attrs,
            "keep_alive": view["keep_alive"],
            "session_expiry_interval": _one(p, "Session Expiry Interval", 0),
            "authentication_method": _one(p, "Authentication Method"),
            "authentication_data": _bin(p, "Authentication Data"),
            "request_problem_info": bool(_one(p, "Request Problem Information", 1)),
            "request_response_info": bool(_one(p, "Request Response Information", 0)),
            "receive_max": _one(p, "Receive Maximum", 65535),
            "topic_alias_max": _one(p, "Topic Alias Maximum", 0),
            "max_packet_size": _one(p, "Maximum Packet Size"),
            "user_properties": _pairs(p),
        }
    if kind == "CONNACK":
        return {
            "session_present": view["session_present"],
            "reason_code": view["reason_code"],
            "session_expiry_interval": _one(p, "Session Expiry Interval"),
            "assigned_client_id": _one(p, "Assigned Client Identifier"),
            "server_keep_alive": _one(p, "Server Keep Alive"),
            "authentication_method": _one(p, "Authentication Method"),
            "authentication_data": _bin(p, "Authentication Data"),
            "response_info": _one(p, "Response Information"),
            "server_reference": _one(p, "Server Reference"),
            "receive_max": _one(p, "Receive Maximum", 65535),
            "topic_alias_max": _one(p, "Topic Alias Maximum", 0),
            "max_qos": _one(p, "Maximum QoS", 2),
            "retain_available": bool(_one(p, "Retain Available", 1)),
            "max_packet_size": _one(p, "Maximum Packet Size"),
            "wildcard_subscription_available": bool(_one(p, "Wildcard Subscription Available", 1)),
            "subscription_id_available": bool(_one(p, "Subscription Identifier Available", 1)),
            "shared_subscription_available": bool(_one(p, "Shared Subscription Available", 1)),
            **_reasons(p),
        }
    if kind == "PUBLISH":
        return {
            "topic": view["topic_name"],
            "payload": bytes.fromhex(expand(view["payload"])),
            "qos": view["qos"],
            "retain": view["retain"],
            "packet_id": view["packet_id"],
            "duplicate": view["dup"],
            "payload_format_indicator": _one(p, "Payload Format Indicator", 0),
            "message_expiry_interval": _one(p, "Message Expiry Interval"),
            "content_type": _one(p, "Content Type"),
            "response_topic": _one(p, "Response Topic"),
            "correlation_data": _bin(p, "Correlation Data"),
            "subscription_ids": p.get("Subscription Identifier", []),
            "topic_alias": _one(p, "Topic Alias"),
            "user_properties": _pairs(p),
        }
    if kind in ("PUBACK", "PUBREC", "PUBREL", "PUBCOMP"):
        return {"packet_id": view["packet_id"], "reason_code": view["reason_code"], **_reasons(p)}
    if kind == "SUBSCRIBE":
        filters = [
            {
                "pattern": sub["topic_filter"],
                "max_qos": sub["qos"],
                "no_local": sub["no_local"],
                "retain_as_published": sub["retain_as_published"],
                "retain_handling": sub["retain_handling"],
            }
            for sub in view["subscriptions"]
        ]
        return {
            "packet_id": view["packet_id"],
            "topic_filters": filters,
            "subscription_id": _one(p, "Subscription Identifier"),
            "user_properties": _pairs(p),
        }
    if kind in ("SUBACK", "UNSUBACK"):
        return {"packet_id": view["packet_id"], "reason_codes": view["reason_codes"], **_reasons(p)}
    if kind == "UNSUBSCRIBE":
        return {
            "packet_id": view["packet_id"],
            "patterns": view["topic_filters"],
            "user_properties": _pairs(p),
        }
    if kind == "DISCONNECT":
        return {
            "reason_code": view["reason_code"],
            "session_expiry_interval": _one(p, "Session Expiry Interval"),
            "server_reference": _one(p, "Server Reference"),
            **_reasons(p),
        }
    if kind == "AUTH":
        return {
            "reason_code": view["reason_code"],
            "authentication_method": _one(p, "Authentication Method"),
            "authentication_data": _bin(p, "Authentication Data"),
            **_reasons(p),
        }
    assert kind in ("PINGREQ", "PINGRESP")
    return {}


def _plain(value: Any) -> Any:
    """An mqtt5 attribute as plain Python data comparable with :func:`mqtt5_expectation`."""
    if isinstance(value, bool | str | bytes | None):
        return value
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_plain(item) for item in value)
    names = _MQTT5_NESTED.get(type(value).__name__)
    if names is not None:
        return {name: _plain(getattr(value, name)) for name in names}
    # Integers and mqtt5's enums (QoS, reason codes), which are not Python IntEnums.
    return int(value)


#: Attributes of the mqtt5 objects nested inside packets.
_MQTT5_NESTED = {
    "TopicFilter": ("pattern", "max_qos", "no_local", "retain_as_published", "retain_handling"),
    "Will": (
        "topic", "payload", "qos", "retain", "payload_format_indicator",
        "message_expiry_interval", "content_type", "response_topic", "correlation_data",
        "will_delay_interval", "user_properties",
    ),
}  # fmt: skip


V5_FOR_MQTT5 = [v for v in VALID if v["version"] == 5 and v["id"] not in MQTT5_CANNOT_READ]


@pytest.mark.parametrize("vector", valid_params(V5_FOR_MQTT5))
def test_valid_vector_agrees_with_mqtt5(vector: dict[str, Any]) -> None:
    require_module("mqtt5")
    import mqtt5

    data = data_of(vector)
    packet, used = mqtt5.read(memoryview(data))
    assert used == len(data)
    expected = mqtt5_expectation(expected_view(vector))
    actual = {name: _plain(getattr(packet, name)) for name in expected}
    assert actual == expected
    assert type(packet).__name__.upper().removesuffix("PACKET") == vector["packet"]["type"]


@pytest.mark.parametrize("vector_id", sorted(MQTT5_CANNOT_READ))
def test_mqtt5_limitations_still_hold(vector_id: str) -> None:
    """If mqtt5 learns to read these, move them back into the comparison above."""
    require_module("mqtt5")
    import mqtt5

    (vector,) = [v for v in VALID if v["id"] == vector_id]
    with pytest.raises(ValueError):
        mqtt5.read(memoryview(data_of(vector)))


class _FakeSocket:
    def close(self) -> None:
        pass


def paho_build(view: dict[str, Any]) -> bytes:
    """The bytes paho-mqtt's 3.1.1 client builds for the packet ``view`` describes."""
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion

    client = paho.Client(
        CallbackAPIVersion.VERSION2,
        client_id=view.get("client_id", ""),
        protocol=paho.MQTTv311,
        clean_session=view.get("clean_start", True),
    )
    built: list[bytes] = []

    def capture(command: int, packet: bytes, mid: int, qos: int, info: Any = None) -> int:
        built.append(bytes(packet))
        return 0

    client._packet_queue = capture  # type: ignore[method-assign, assignment]
    client._sock = _FakeSocket()  # type: ignore[assignment]
    kind = view["type"]
    if kind == "CONNECT":
        if view["username"] is not None:
            password = None if view["password"] is None else bytes.fromhex(view["password"])
            client.username_pw_set(view["username"], password)  # type: ignore[arg-type]
        if view["will"] is not None:
            will = view["will"]
            client.will_set(
                will["topic"], bytes.fromhex(will["payload"]), will["qos"], will["retain"]
            )
        client._send_connect(view["keep_alive"])
    elif kind == "PUBLISH":
        client._send_publish(
            view["packet_id"] or 0,
            view["topic_name"].encode(),
            bytes.fromhex(expand(view["payload"])),
            view["qos"],
            view["retain"],
            view["dup"],
        )
    elif kind in ("PUBACK", "PUBREC", "PUBREL", "PUBCOMP"):
        getattr(client, f"_send_{kind.lower()}")(view["packet_id"])
    elif kind == "SUBSCRIBE":
        client._last_mid = view["packet_id"] - 1
        topics = [(sub["topic_filter"].encode(), sub["qos"]) for sub in view["subscriptions"]]
        client._send_subscribe(0, topics)
    elif kind == "UNSUBSCRIBE":
        client._last_mid = view["packet_id"] - 1
        client._send_unsubscribe(0, [f.encode() for f in view["topic_filters"]])
    else:
        getattr(client, f"_send_{kind.lower()}")()
    client._sock = None
    (packet,) = built
    return packet


#: What a client sends (paho builds these) plus the PINGRESP paho also answers with.
PAHO_TYPES = {
    "CONNECT", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP", "SUBSCRIBE",
    "UNSUBSCRIBE", "PINGREQ", "PINGRESP", "DISCONNECT",
}  # fmt: skip
V4_FOR_PAHO = [v for v in VALID if v["version"] == 4 and v["packet"]["type"] in PAHO_TYPES]


@pytest.mark.parametrize("vector", valid_params(V4_FOR_PAHO))
def test_valid_vector_agrees_with_paho(vector: dict[str, Any]) -> None:
    require_module("paho.mqtt")
    assert paho_build(expected_view(vector)) == data_of(vector)
