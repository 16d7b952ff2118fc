"""encode(): the rules that depend on the protocol version, and exact bytes."""

from __future__ import annotations

import pytest

from wire import mqtt
from wire.errors import LocalProtocolError
from wire.mqtt import Properties, PropertyId

P = Properties.build


@pytest.mark.parametrize(
    ("packet", "version", "message"),
    [
        (mqtt.Publish("t", properties=P(topic_alias=1)), 4, "no properties"),
        (mqtt.Publish(""), 4, "needs a topic name"),
        (mqtt.Publish(""), 5, "needs a Topic Alias"),
        (mqtt.Publish("t", properties=P(session_expiry_interval=1)), 5, "not allowed"),
        (mqtt.Connect(password=b"x", protocol_level=4), 4, "password without a user name"),
        (mqtt.Connect(properties=P(session_expiry_interval=1), protocol_level=4), 4, "properties"),
        (mqtt.Connect(properties=P(topic_alias=1)), 5, "not allowed"),
        (mqtt.Connect(will=mqtt.Will("w", properties=P(topic_alias=1))), 5, "not allowed"),
        (mqtt.Connack(reason_code=0x80), 4, "not a valid CONNACK reason code in version 4"),
        (mqtt.Connack(reason_code=0x06), 5, "not a valid CONNACK reason code in version 5"),
        (mqtt.Puback(1, reason_code=0x10), 4, "carries no reason code"),
        (mqtt.Puback(1, properties=P(reason_string="x")), 4, "no properties"),
        (mqtt.Puback(1, reason_code=0x92), 5, "not a valid PUBACK"),
        (mqtt.Pubrel(1, reason_code=0x10), 5, "not a valid PUBREL"),
        (mqtt.Subscribe(1, (mqtt.Subscription("a", no_local=True),)), 4, "only a QoS"),
        (mqtt.Subscribe(1, (mqtt.Subscription("a", retain_handling=1),)), 4, "only a QoS"),
        (mqtt.Subscribe(1, (mqtt.Subscription("a", retain_as_published=True),)), 4, "only a QoS"),
        (mqtt.Suback(1, (0x87,)), 4, "not a valid SUBACK"),
        (mqtt.Suback(1, (0x03,)), 5, "not a valid SUBACK"),
        (mqtt.Unsuback(1, (0,)), 4, "no reason codes"),
        (mqtt.Unsuback(1, properties=P(reason_string="x")), 4, "no properties"),
        (mqtt.Unsuback(1), 5, "one reason code per topic filter"),
        (mqtt.Unsuback(1, (0x01,)), 5, "not a valid UNSUBACK"),
        (mqtt.Disconnect(reason_code=0x8B), 4, "carries no reason code"),
        (mqtt.Disconnect(properties=P(reason_string="x")), 4, "no properties"),
        (mqtt.Disconnect(reason_code=0x18), 5, "not a valid DISCONNECT"),
        (mqtt.Auth(), 4, "AUTH does not exist"),
        (mqtt.Auth(reason_code=0x8B), 5, "not a valid AUTH"),
    ],
)
def test_encode_rejects(packet: mqtt.Packet, version: int, message: str) -> None:
    with pytest.raises(LocalProtocolError, match=message):
        mqtt.encode(packet, version=version)


def test_encode_rejects_bad_arguments() -> None:
    with pytest.raises(LocalProtocolError, match="version must be 4 or 5"):
        mqtt.encode(mqtt.Pingreq(), version=3)
    with pytest.raises(LocalProtocolError, match="not an MQTT packet"):
        mqtt.encode("PINGREQ", version=5)  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError, match="Variable Byte Integer"):
        mqtt.encode_vbi(268_435_456)


def test_publish_larger_than_mqtt_allows() -> None:
    # A bytes-like object that reports a huge length without allocating it.
    class Huge(bytes):
        def __len__(self) -> int:
            return 268_435_456

    huge = object.__new__(mqtt.Publish)
    for name, value in (
        ("topic_name", "t"),
        ("payload", Huge()),
        ("qos", 0),
        ("retain", False),
        ("dup", False),
        ("packet_id", None),
        ("properties", Properties()),
    ):
        object.__setattr__(huge, name, value)
    with pytest.raises(LocalProtocolError, match="larger than MQTT allows"):
        mqtt.encode(huge, version=5)


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (0, "00"),
        (127, "7f"),
        (128, "8001"),
        (16_383, "ff7f"),
        (16_384, "808001"),
        (2_097_151, "ffff7f"),
        (2_097_152, "80808001"),
        (268_435_455, "ffffff7f"),
    ],
)
def test_variable_byte_integer_boundaries(value: int, encoded: str) -> None:
    """The boundary values of MQTT 5.0 section 1.5.5, table 1-1."""
    assert mqtt.encode_vbi(value).hex() == encoded


@pytest.mark.parametrize(
    ("packet", "version", "hex_bytes"),
    [
        (mqtt.Pingreq(), 4, "c000"),
        (mqtt.Pingresp(), 5, "d000"),
        (mqtt.Disconnect(), 4, "e000"),
        (mqtt.Disconnect(), 5, "e000"),
        (mqtt.Disconnect(reason_code=0x8B), 5, "e0018b"),
        (mqtt.Auth(reason_code=0x18), 5, "f0021800"),
        (mqtt.Puback(7), 5, "40020007"),
        (mqtt.Puback(7, reason_code=0x10), 5, "4003000710"),
        (mqtt.Pubrel(7), 4, "62020007"),
        (mqtt.Unsuback(7), 4, "b0020007"),
        (mqtt.Connack(session_present=True), 4, "20020100"),
        (mqtt.Connack(reason_code=mqtt.ConnectReturnCode.NOT_AUTHORIZED), 4, "20020005"),
        (mqtt.Publish("a/b", b"hi"), 4, "30070003612f626869"),
        (
            mqtt.Publish("a", b"", qos=1, packet_id=1, retain=True, dup=True),
            5,
            "3b06000161000100",
        ),
        (
            mqtt.Connect(client_id="c", keep_alive=60, protocol_level=4),
            4,
            "100d00044d5154540402003c000163",
        ),
        (
            mqtt.Subscribe(2, (mqtt.Subscription("a/#", qos=1, no_local=True, retain_handling=2),)),
            5,
            "820900020000036" + "12f2325",
        ),
    ],
)
def test_exact_bytes(packet: mqtt.Packet, version: int, hex_bytes: str) -> None:
    encoded = mqtt.encode(packet, version=version)
    assert encoded.hex() == hex_bytes
    assert mqtt.decode(encoded, version=version) == (packet, len(encoded))


def test_long_remaining_length_uses_several_bytes() -> None:
    packet = mqtt.Publish("t", b"x" * 20_000)
    encoded = mqtt.encode(packet, version=4)
    # 2 (topic length) + 1 (topic) + 20000 payload = 20003 = 0xA3 0x9C 0x01
    assert encoded[:4] == b"\x30\xa3\x9c\x01"
    assert mqtt.decode(encoded, version=4) == (packet, len(encoded))


def test_connect_encodes_by_its_own_level() -> None:
    connect = mqtt.Connect(client_id="c", protocol_level=4)
    assert mqtt.encode(connect, version=5) == mqtt.encode(connect, version=4)
    decoded = mqtt.decode(mqtt.encode(connect), version=5)
    assert decoded is not None and decoded[0].protocol_level == 4  # type: ignore[union-attr]


def test_user_property_order_and_repeats_survive() -> None:
    props = Properties(
        (
            (PropertyId.USER_PROPERTY, ("k", "1")),
            (PropertyId.CONTENT_TYPE, "text/plain"),
            (PropertyId.USER_PROPERTY, ("k", "2")),
            (PropertyId.USER_PROPERTY, ("k", "1")),
        )
    )
    packet = mqtt.Publish("t", b"", properties=props)
    result = mqtt.decode(mqtt.encode(packet), version=5)
    assert result is not None
    assert result[0].properties.items == props.items  # type: ignore[union-attr]


def test_encode_rejects_rules_on_property_combinations() -> None:
    two_ids = Properties(
        ((PropertyId.SUBSCRIPTION_IDENTIFIER, 1), (PropertyId.SUBSCRIPTION_IDENTIFIER, 2))
    )
    with pytest.raises(LocalProtocolError, match="at most one Subscription Identifier"):
        mqtt.encode(mqtt.Subscribe(1, (mqtt.Subscription("a"),), two_ids))
    # PUBLISH may carry several (one per matching subscription).
    assert mqtt.encode(mqtt.Publish("a", properties=two_ids))
    with pytest.raises(LocalProtocolError, match="needs an Authentication Method"):
        mqtt.encode(mqtt.Auth(properties=P(authentication_data=b"x")))
    with pytest.raises(LocalProtocolError, match="wildcards"):
        P(response_topic="replies/+")
    with pytest.raises(LocalProtocolError, match="shared subscription"):
        mqtt.Subscription("$share/g/a", no_local=True)


def test_decode_accepts_any_buffer_type() -> None:
    encoded = mqtt.encode(mqtt.Puback(3))
    assert mqtt.decode(bytearray(encoded), version=5) == (mqtt.Puback(3), 4)
    assert mqtt.decode(memoryview(encoded), version=5) == (mqtt.Puback(3), 4)


def test_large_packets_other_than_publish_round_trip() -> None:
    connect = mqtt.Connect(client_id="big", will=mqtt.Will("w", b"x" * 20_000))
    encoded = mqtt.encode(connect)
    assert encoded[1] & 0x80 and encoded[2] & 0x80  # a 3-byte Remaining Length
    assert mqtt.decode(encoded, version=5) == (connect, len(encoded))


def test_empty_topic_needs_an_alias_on_both_sides() -> None:
    with pytest.raises(LocalProtocolError, match="Topic Alias"):
        mqtt.encode(mqtt.Publish("", properties=P(content_type="text/plain")))
    with pytest.raises(mqtt.MQTTProtocolError, match="Topic Alias"):
        mqtt.decode(bytes.fromhex("3003000000"), version=5)
    # With properties, but none of them a Topic Alias (Payload Format Indicator 1).
    with pytest.raises(mqtt.MQTTProtocolError, match="Topic Alias"):
        mqtt.decode(bytes.fromhex("300500000201" + "01"), version=5)
