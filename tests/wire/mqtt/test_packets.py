"""Packet constructors reject impossible packets with LocalProtocolError."""

from __future__ import annotations

from typing import Any

import pytest

from wire import mqtt
from wire.errors import LocalProtocolError
from wire.mqtt import Properties, PropertyId


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: mqtt.Publish(b"topic"), "topic_name must be a str"),  # type: ignore[arg-type]
        (lambda: mqtt.Publish("a/+"), "wildcards"),
        (lambda: mqtt.Publish("a/#"), "wildcards"),
        (lambda: mqtt.Publish("a\x00"), "U\\+0000"),
        (lambda: mqtt.Publish("a\ud800"), "surrogate"),
        (lambda: mqtt.Publish("é" * 40000), "65535"),
        (lambda: mqtt.Publish("t", "text"), "payload must be bytes"),  # type: ignore[arg-type]
        (lambda: mqtt.Publish("t", qos=0, packet_id=1), "no packet_id"),
        (lambda: mqtt.Publish("t", qos=0, dup=True), "DUP"),
        (lambda: mqtt.Publish("t", qos=3, packet_id=1), "qos must be in 0..2"),
        (lambda: mqtt.Publish("t", qos=1), "packet_id must be an int"),
        (lambda: mqtt.Publish("t", qos=1, packet_id=0), "packet_id must be in 1..65535"),
        (lambda: mqtt.Publish("t", qos=True, packet_id=1), "qos must be an int"),  # type: ignore[arg-type]
        (lambda: mqtt.Publish("t", retain=1), "retain must be a bool"),  # type: ignore[arg-type]
        (lambda: mqtt.Publish("t", properties={}), "properties must be"),  # type: ignore[arg-type]
        (lambda: mqtt.Connect(protocol_level=3), "protocol_level"),
        (lambda: mqtt.Connect(client_id=1), "client_id must be a str"),  # type: ignore[arg-type]
        (lambda: mqtt.Connect(keep_alive=70000), "keep_alive"),
        (lambda: mqtt.Connect(username="\x00"), "U\\+0000"),
        (lambda: mqtt.Connect(password="pw"), "password must be bytes"),  # type: ignore[arg-type]
        (lambda: mqtt.Connect(password=b"x" * 65536), "longer than 65535"),
        (lambda: mqtt.Connect(will="w"), "will must be a Will"),  # type: ignore[arg-type]
        (lambda: mqtt.Connect(clean_start=None), "clean_start"),  # type: ignore[arg-type]
        (lambda: mqtt.Will(""), "will topic must not be empty"),
        (lambda: mqtt.Will("a/#"), "wildcards"),
        (lambda: mqtt.Will("t", qos=3), "will qos"),
        (lambda: mqtt.Connack(session_present=True, reason_code=0x80), "session_present"),
        (lambda: mqtt.Connack(reason_code=256), "reason_code"),
        (lambda: mqtt.Puback(0), "packet_id"),
        (lambda: mqtt.Pubrec(1, reason_code=-1), "reason_code"),
        (lambda: mqtt.Subscribe(1, ()), "at least one"),
        (lambda: mqtt.Subscribe(1, ("a",)), "Subscription"),  # type: ignore[arg-type]
        (lambda: mqtt.Subscription(""), "must not be empty"),
        (lambda: mqtt.Subscription("a", qos=3), "qos"),
        (lambda: mqtt.Subscription("a", retain_handling=3), "retain_handling"),
        (lambda: mqtt.Subscription("a", no_local=0), "no_local"),  # type: ignore[arg-type]
        (lambda: mqtt.Suback(1, ()), "at least one"),
        (lambda: mqtt.Suback(1, (300,)), "reason_code"),
        (lambda: mqtt.Unsubscribe(1, ()), "at least one"),
        (lambda: mqtt.Unsubscribe(1, "a/b"), "sequence of str"),
        (lambda: mqtt.Unsubscribe(1, 5), "sequence of str"),  # type: ignore[arg-type]
        (lambda: mqtt.Unsubscribe(1, ("",)), "must not be empty"),
        (lambda: mqtt.Unsuback(1, (999,)), "reason_code"),
        (lambda: mqtt.Disconnect(reason_code="x"), "reason_code must be an int"),  # type: ignore[arg-type]
        (lambda: mqtt.Auth(reason_code=1000), "reason_code"),
    ],
)
def test_constructor_rejects(factory: Any, message: str) -> None:
    with pytest.raises(LocalProtocolError, match=message):
        factory()


def test_constructors_normalise_sequences_and_buffers() -> None:
    publish = mqtt.Publish("t", bytearray(b"abc"))
    assert publish.payload == b"abc" and type(publish.payload) is bytes
    assert mqtt.Publish("t", memoryview(b"xy")).payload == b"xy"
    assert mqtt.Connect(password=bytearray(b"pw")).password == b"pw"
    assert mqtt.Will("t", bytearray(b"w")).payload == b"w"
    subscribe = mqtt.Subscribe(1, [mqtt.Subscription("a")])  # type: ignore[arg-type]
    assert subscribe.subscriptions == (mqtt.Subscription("a"),)
    assert mqtt.Unsubscribe(1, ["a", "b"]).topic_filters == ("a", "b")  # type: ignore[arg-type]
    assert mqtt.Suback(1, [0, 1]).reason_codes == (0, 1)  # type: ignore[arg-type]
    assert mqtt.Publish("é" * 20000).topic_name == "é" * 20000  # 40000 bytes: fits


def test_packets_are_frozen_and_slotted() -> None:
    publish = mqtt.Publish("t")
    with pytest.raises(AttributeError):
        publish.qos = 1  # type: ignore[misc]
    assert not hasattr(publish, "__dict__")
    assert mqtt.Pingreq() == mqtt.Pingreq()
    assert mqtt.Puback(1) != mqtt.Pubrec(1)


def test_packet_types() -> None:
    assert mqtt.Publish.packet_type is mqtt.PacketType.PUBLISH
    assert mqtt.Auth.packet_type == 15


def test_properties_build_and_access() -> None:
    props = Properties.build(
        message_expiry_interval=30,
        user_property=[("a", "1"), ("b", "2")],
        subscription_identifier=[5, 6],
        correlation_data=b"\x01",
    )
    assert props.get(PropertyId.MESSAGE_EXPIRY_INTERVAL) == 30
    assert props.get(PropertyId.TOPIC_ALIAS) is None
    assert props.get(PropertyId.TOPIC_ALIAS, 9) == 9
    assert props.get_all(PropertyId.SUBSCRIPTION_IDENTIFIER) == [5, 6]
    assert props.user_properties == [("a", "1"), ("b", "2")]
    assert props.as_mapping() == {
        PropertyId.MESSAGE_EXPIRY_INTERVAL: 30,
        PropertyId.USER_PROPERTY: [("a", "1"), ("b", "2")],
        PropertyId.SUBSCRIPTION_IDENTIFIER: [5, 6],
        PropertyId.CORRELATION_DATA: b"\x01",
    }
    assert len(props) == 6 and bool(props) and not Properties()
    assert next(iter(props)) == (PropertyId.MESSAGE_EXPIRY_INTERVAL, 30)
    assert repr(Properties.build(topic_alias=3)) == "Properties(topic_alias=3)"
    # A single user property pair may be given without a list.
    assert Properties.build(user_property=("k", "v")).user_properties == [("k", "v")]
    # Plain ints are accepted as identifiers and normalised to PropertyId.
    assert Properties(((0x23, 1),)).items[0][0] is PropertyId.TOPIC_ALIAS  # type: ignore[arg-type]
    assert Properties([(PropertyId.TOPIC_ALIAS, 1)]).items == ((PropertyId.TOPIC_ALIAS, 1),)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"no_such_property": 1}, "unknown MQTT property"),
        ({"topic_alias": 0}, "must be in 1..65535"),
        ({"receive_maximum": 0}, "must be in 1..65535"),
        ({"maximum_packet_size": 0}, "must be in 1..4294967295"),
        ({"payload_format_indicator": 2}, "must be in 0..1"),
        ({"subscription_identifier": 0}, "must be in 1..268435455"),
        ({"message_expiry_interval": "5"}, "must be an integer"),
        ({"maximum_qos": True}, "must be an integer"),
        ({"content_type": b"x"}, "must be a str"),
        ({"content_type": "a\x00"}, "U\\+0000"),
        ({"content_type": "\udc00"}, "surrogates"),
        ({"content_type": "x" * 65536}, "longer than 65535"),
        ({"correlation_data": "x"}, "must be bytes"),
        ({"correlation_data": b"x" * 65536}, "longer than 65535"),
        ({"user_property": [("a",)]}, "pair"),
        ({"user_property": [("a", 1)]}, "must be a str"),
    ],
)
def test_properties_build_rejects(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(LocalProtocolError, match=message):
        Properties.build(**kwargs)


def test_properties_constructor_rejects() -> None:
    with pytest.raises(LocalProtocolError, match="not an \\(id, value\\) pair"):
        Properties((1,))  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError, match="unknown MQTT property identifier"):
        Properties(((0x7F, 1),))  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError, match="may appear only once"):
        Properties(((PropertyId.TOPIC_ALIAS, 1), (PropertyId.TOPIC_ALIAS, 2)))


def test_property_metadata() -> None:
    spec = mqtt.property_spec(PropertyId.USER_PROPERTY)
    assert spec is not None and spec.repeatable
    assert spec.type is mqtt.PropertyType.UTF8_STRING_PAIR
    assert mqtt.property_spec(0x7F) is None
    assert PropertyId.MAXIMUM_QOS.spec_name == "Maximum QoS"
    assert PropertyId.WILL_DELAY_INTERVAL.spec_name == "Will Delay Interval"
    will_delay = mqtt.property_spec(PropertyId.WILL_DELAY_INTERVAL)
    assert will_delay is not None and will_delay.packets == {mqtt.WILL_PROPERTIES}


def test_reason_code_tables() -> None:
    assert mqtt.ReasonCode.NORMAL_DISCONNECTION is mqtt.ReasonCode.SUCCESS
    assert mqtt.ReasonCode.GRANTED_QOS_0 is mqtt.ReasonCode.SUCCESS
    assert 0x8B in mqtt.reason_codes_for(mqtt.PacketType.DISCONNECT, 5)
    assert 0x8B not in mqtt.reason_codes_for(mqtt.PacketType.CONNACK, 5)
    assert mqtt.reason_codes_for(mqtt.PacketType.CONNACK, 4) == set(range(6))
    assert mqtt.reason_codes_for(mqtt.PacketType.SUBACK, 4) == {0, 1, 2, 0x80}
    assert mqtt.reason_codes_for(mqtt.PacketType.PUBACK, 4) == set()
    assert mqtt.reason_codes_for(mqtt.PacketType.PINGREQ, 5) == set()
