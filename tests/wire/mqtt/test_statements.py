"""Normative statements best checked by a direct test rather than a vector.

Each test is named after the statement it checks (5.0 numbering where the two
specifications differ; the docstring gives the 3.1.1 number). ``spec/mqtt/checklist.tsv``
maps every packet-format statement to its test, here or in ``test_vectors.py``.
The packet bytes below are written by hand from the specifications.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import pytest

from wire import mqtt
from wire.errors import LocalProtocolError
from wire.mqtt import (
    Connack,
    Properties,
    Publish,
    is_valid_topic_filter,
    is_valid_topic_name,
    parse_shared_subscription,
    topic_matches,
)

VERSIONS = [pytest.param(4, id="v4"), pytest.param(5, id="v5")]


def decode_one(data: bytes, version: int, **kwargs: int) -> mqtt.Packet:
    result = mqtt.decode(data, version=version, **kwargs)
    assert result is not None
    packet, used = result
    assert used == len(data)
    return packet


def publish_bytes(topic: bytes, version: int, tail: bytes = b"") -> bytes:
    """A QoS 0 PUBLISH: topic, (5.0: empty properties), then ``tail`` as payload."""
    body = len(topic).to_bytes(2, "big") + topic + (b"\x00" if version == 5 else b"") + tail
    assert len(body) < 128
    return bytes((0x30, len(body))) + body


# ---------------------------------------------------------------------------
# Chapter 1: data representation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_mqtt_1_5_4_3_byte_order_mark_is_kept(version: int) -> None:
    """EF BB BF inside a string is U+FEFF and is not stripped (3.1.1: [MQTT-1.5.3-3])."""
    packet = decode_one(publish_bytes(b"\xef\xbb\xbfa/\xef\xbb\xbf", version), version)
    assert isinstance(packet, Publish)
    assert packet.topic_name == "\ufeffa/\ufeff"
    assert mqtt.encode(packet, version=version) == publish_bytes(
        b"\xef\xbb\xbfa/\xef\xbb\xbf", version
    )


def test_mqtt_1_5_7_1_user_property_strings_follow_string_rules() -> None:
    """Both strings of a UTF-8 String Pair obey the UTF-8 Encoded String rules."""
    for bad in ("k\x00", "\ud800"):
        with pytest.raises(LocalProtocolError):
            Properties.build(user_property=(bad, "v"))
        with pytest.raises(LocalProtocolError):
            Properties.build(user_property=("k", bad))
    # A pair with an encoded U+0000 in the value is refused on receipt.
    props = b"\x26" + b"\x00\x01k" + b"\x00\x02v\x00"
    data = b"\x30" + bytes((3 + 1 + len(props),)) + b"\x00\x01t" + bytes((len(props),)) + props
    with pytest.raises(mqtt.MalformedPacket):
        mqtt.decode(data, version=5)


# ---------------------------------------------------------------------------
# Chapter 2: packet identifiers, properties
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_mqtt_2_2_1_2_qos0_publish_has_no_packet_identifier(version: int) -> None:
    """A QoS 0 PUBLISH carries no Packet Identifier (3.1.1: [MQTT-2.3.1-5])."""
    # The two bytes after the topic are payload, not a packet identifier.
    packet = decode_one(publish_bytes(b"a", version, b"\x00\x07"), version)
    assert isinstance(packet, Publish)
    assert packet.packet_id is None
    assert packet.payload == b"\x00\x07"
    with pytest.raises(LocalProtocolError):
        Publish("a", qos=0, packet_id=7)


@pytest.mark.parametrize("version", VERSIONS)
def test_mqtt_2_2_1_3_packet_identifiers_are_non_zero(version: int) -> None:
    """Packet Identifiers are non-zero (3.1.1: [MQTT-2.3.1-1]); we cannot build a zero one."""
    for make in (
        lambda: Publish("a", qos=1, packet_id=0),
        lambda: mqtt.Subscribe(0, (mqtt.Subscription("a"),)),
        lambda: mqtt.Unsubscribe(0, ("a",)),
        lambda: mqtt.Puback(0),
    ):
        with pytest.raises(LocalProtocolError):
            make()
    # Every identifier from 1 to 65535 is accepted on receipt.
    for packet_id in (1, 255, 256, 65535):
        data = b"\x40\x02" + packet_id.to_bytes(2, "big")
        assert decode_one(data, version) == mqtt.Puback(packet_id)


@pytest.mark.parametrize(
    ("packet", "wire"),
    [
        (Publish("t"), "300400017400"),
        (mqtt.Subscribe(1, (mqtt.Subscription("t"),)), "820700010000017400"),
        (mqtt.Unsubscribe(1, ("t",)), "a206000100000174"),
        (mqtt.Suback(1, (0,)), "900400010000"),
        (mqtt.Unsuback(1, (0,)), "b00400010000"),
        (Connack(), "2003000000"),
    ],
    ids=["PUBLISH", "SUBSCRIBE", "UNSUBSCRIBE", "SUBACK", "UNSUBACK", "CONNACK"],
)
def test_mqtt_2_2_2_1_no_properties_is_a_zero_property_length(
    packet: mqtt.Packet, wire: str
) -> None:
    """Packets whose properties are not optional send a Property Length of 0 when empty."""
    assert mqtt.encode(packet, version=5).hex() == wire


# ---------------------------------------------------------------------------
# Chapter 3: packets
# ---------------------------------------------------------------------------

_ALNUM = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


@pytest.mark.parametrize("version", VERSIONS)
def test_mqtt_3_1_3_5_short_alphanumeric_client_ids_are_accepted(version: int) -> None:
    """ClientIds of 1-23 bytes from [0-9a-zA-Z] are always accepted (3.1.1: same number)."""
    for start in range(len(_ALNUM)):
        for size in (1, 23):
            client_id = (_ALNUM * 2)[start : start + size]
            raw = client_id.encode()
            body = (
                b"\x00\x04MQTT"
                + bytes((version, 0x02))
                + b"\x00\x3c"
                + (b"\x00" if version == 5 else b"")
                + len(raw).to_bytes(2, "big")
                + raw
            )
            packet = decode_one(bytes((0x10, len(body))) + body, version)
            assert isinstance(packet, mqtt.Connect)
            assert packet.client_id == client_id


def test_v4_mqtt_3_1_2_2_unsupported_level_gets_return_code_1() -> None:
    """3.1.1: a server refuses an unsupported level with CONNACK return code 0x01."""
    data = bytes.fromhex("100d00044d5154540302003c000163")
    with pytest.raises(mqtt.UnsupportedProtocolVersion) as info:
        mqtt.decode(data, version=4)
    assert info.value.protocol_level == 3
    answer = Connack(reason_code=mqtt.ConnectReturnCode.UNACCEPTABLE_PROTOCOL_VERSION)
    assert mqtt.encode(answer, version=4) == bytes.fromhex("20020001")


def test_v4_mqtt_3_1_2_22_no_password_without_user_name() -> None:
    """3.1.1: the encoder refuses a Password without a User Name; 5.0 allows it."""
    with pytest.raises(LocalProtocolError):
        mqtt.encode(mqtt.Connect("c", password=b"p", protocol_level=4), version=4)
    assert mqtt.encode(mqtt.Connect("c", password=b"p", protocol_level=5), version=5)


@pytest.mark.parametrize("version", VERSIONS)
def test_mqtt_3_2_2_6_refusal_never_has_session_present(version: int) -> None:
    """A refusing CONNACK has Session Present 0 (3.1.1: [MQTT-3.2.2-4])."""
    with pytest.raises(LocalProtocolError):
        Connack(session_present=True, reason_code=0x05 if version == 4 else 0x87)
    assert Connack(session_present=True, reason_code=0).session_present is True


@pytest.mark.parametrize("version", VERSIONS)
def test_mqtt_3_3_1_2_no_dup_on_qos0(version: int) -> None:
    """DUP is 0 on every QoS 0 PUBLISH: we cannot build one with DUP set."""
    with pytest.raises(LocalProtocolError):
        Publish("t", dup=True)
    assert mqtt.encode(Publish("t"), version=version)[0] == 0x30


def test_mqtt_3_3_2_8_no_topic_alias_zero() -> None:
    """A sender never sends Topic Alias 0: the property cannot even be built."""
    with pytest.raises(LocalProtocolError):
        Properties.build(topic_alias=0)
    assert Properties.build(topic_alias=1)


@pytest.mark.parametrize("version", [5])
def test_mqtt_3_1_2_24_and_3_2_2_15_maximum_packet_size(version: int) -> None:
    """A packet over the receiver's Maximum Packet Size is refused; one at the limit is not.

    The statements bind the sender; the receiver enforces them with ``max_packet_size``.
    """
    data = publish_bytes(b"t", version, b"x" * 10)
    size = len(data)
    assert isinstance(decode_one(data, version, max_packet_size=size), Publish)
    with pytest.raises(mqtt.PacketTooLarge) as info:
        mqtt.decode(data, version=version, max_packet_size=size - 1)
    assert info.value.reason_code == 0x95
    reader = mqtt.PacketReader(version=version, max_packet_size=size - 1)
    # The fixed header alone is enough to refuse the packet.
    with pytest.raises(mqtt.PacketTooLarge):
        reader.feed(data[:2])


_V5_REASON_STATEMENTS: list[tuple[str, Callable[[int], mqtt.Packet], int]] = [
    ("MQTT-3.2.2-8", lambda code: Connack(reason_code=code), 0x01),
    ("MQTT-3.4.2-1", lambda code: mqtt.Puback(1, code), 0x92),
    ("MQTT-3.5.2-1", lambda code: mqtt.Pubrec(1, code), 0x04),
    ("MQTT-3.6.2-1", lambda code: mqtt.Pubrel(1, code), 0x10),
    ("MQTT-3.7.2-1", lambda code: mqtt.Pubcomp(1, code), 0x80),
    ("MQTT-3.9.3-2", lambda code: mqtt.Suback(1, (code,)), 0x11),
    ("MQTT-3.11.3-2", lambda code: mqtt.Unsuback(1, (code,)), 0x02),
    ("MQTT-3.14.2-1", mqtt.Disconnect, 0x18),
    ("MQTT-3.15.2-1", mqtt.Auth, 0x01),
]


@pytest.mark.parametrize(
    ("make", "bad_code"),
    [pytest.param(make, code, id=statement) for statement, make, code in _V5_REASON_STATEMENTS],
)
def test_mqtt_3_x_2_sender_uses_listed_reason_codes(
    make: Callable[[int], mqtt.Packet], bad_code: int
) -> None:
    """The sender of each packet uses one of that packet's reason codes (5.0 table 2-6)."""
    with pytest.raises(LocalProtocolError):
        mqtt.encode(make(bad_code), version=5)
    # Code 0x00 is listed for every one of these packets.
    assert mqtt.encode(make(0), version=5)


def test_v4_mqtt_3_9_3_2_suback_return_codes() -> None:
    """3.1.1: SUBACK return codes other than 0x00, 0x01, 0x02 and 0x80 are not sent."""
    for code in (0x00, 0x01, 0x02, 0x80):
        assert mqtt.encode(mqtt.Suback(1, (code,)), version=4)[-1] == code
    for code in (0x03, 0x11, 0x87, 0xFF):
        with pytest.raises(LocalProtocolError):
            mqtt.encode(mqtt.Suback(1, (code,)), version=4)


# ---------------------------------------------------------------------------
# Section 4.7: topic names and topic filters (4.8.2: shared subscriptions)
# ---------------------------------------------------------------------------


def test_mqtt_4_7_0_1_wildcards_only_in_filters() -> None:
    """Wildcards may appear in topic filters but never in topic names (3.1.1: [MQTT-4.7.1-1])."""
    for text in ("+", "#", "a/+", "a/#", "+/b/#"):
        assert is_valid_topic_filter(text)
        assert not is_valid_topic_name(text)
    with pytest.raises(LocalProtocolError):
        Publish("a/+")


@pytest.mark.parametrize(
    ("topic_filter", "valid"),
    [("#", True), ("a/#", True), ("/#", True), ("a/b/#", True), ("a#", False),
     ("a/#/b", False), ("#/", False), ("a/b#", False), ("##", False)],
)  # fmt: skip
def test_mqtt_4_7_1_1_multi_level_wildcard_is_last_and_whole(
    topic_filter: str, valid: bool
) -> None:
    """'#' stands alone or after '/', and is the last character (3.1.1: [MQTT-4.7.1-2])."""
    assert is_valid_topic_filter(topic_filter) is valid


@pytest.mark.parametrize(
    ("topic_filter", "valid"),
    [("+", True), ("+/a", True), ("a/+/b", True), ("a/+", True), ("+/+", True),
     ("/+", True), ("a+", False), ("+a/b", False), ("a/b+", False), ("a/++", False)],
)  # fmt: skip
def test_mqtt_4_7_1_2_single_level_wildcard_is_a_whole_level(
    topic_filter: str, valid: bool
) -> None:
    """'+' occupies a whole level wherever it is used (3.1.1: [MQTT-4.7.1-3])."""
    assert is_valid_topic_filter(topic_filter) is valid


def test_mqtt_4_7_2_1_wildcards_do_not_match_dollar_topics() -> None:
    """Filters starting with a wildcard never match topic names starting with '$'."""
    assert not topic_matches("#", "$SYS/uptime")
    assert not topic_matches("+/uptime", "$SYS/uptime")
    assert not topic_matches("+", "$x")
    assert topic_matches("$SYS/#", "$SYS/uptime")
    assert topic_matches("$SYS/+", "$SYS/uptime")
    assert topic_matches("#", "SYS/uptime")


def test_mqtt_4_7_3_1_topics_are_not_empty() -> None:
    """Topic names and topic filters are at least one character long."""
    assert not is_valid_topic_name("")
    assert not is_valid_topic_filter("")
    with pytest.raises(LocalProtocolError):
        mqtt.Subscription("")
    with pytest.raises(LocalProtocolError):
        mqtt.Unsubscribe(1, ("",))
    with pytest.raises(LocalProtocolError):
        mqtt.encode(Publish(""), version=4)


def test_mqtt_4_7_3_2_topics_hold_no_nul() -> None:
    """Topic names and topic filters never hold U+0000."""
    assert not is_valid_topic_name("a\x00b")
    assert not is_valid_topic_filter("a/\x00")
    with pytest.raises(LocalProtocolError):
        Publish("a\x00")
    with pytest.raises(LocalProtocolError):
        mqtt.Subscription("\x00")


def test_mqtt_4_7_3_3_topics_fit_in_65535_bytes() -> None:
    """Topic names and filters encode to at most 65,535 bytes of UTF-8."""
    assert is_valid_topic_name("x" * 65535)
    assert not is_valid_topic_name("x" * 65536)
    # Bytes, not characters, count: 32,768 two-byte characters are 65,536 bytes.
    assert is_valid_topic_name("\u00e9" * 32767 + "x")
    assert not is_valid_topic_name("\u00e9" * 32768)
    assert not is_valid_topic_filter("a/" + "\u6e29" * 21845)
    with pytest.raises(LocalProtocolError):
        Publish("\u00e9" * 32768)


@pytest.mark.parametrize("version", VERSIONS)
def test_mqtt_4_7_3_4_topics_are_not_normalised(version: int) -> None:
    """Matching compares topics exactly: no Unicode normalisation, no case folding."""
    composed = "caf\u00e9"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert not topic_matches(composed, decomposed)
    assert not topic_matches("Sport", "sport")
    packet = decode_one(publish_bytes(decomposed.encode(), version), version)
    assert isinstance(packet, Publish)
    assert packet.topic_name == decomposed


def test_mqtt_4_8_2_1_and_4_8_2_2_shared_subscription_syntax() -> None:
    """``$share/{ShareName}/{filter}``: a non-empty ShareName without '/', '+', '#'."""
    assert parse_shared_subscription("$share/g/a/+") == ("g", "a/+")
    assert parse_shared_subscription("$share/group-1/#") == ("group-1", "#")
    for bad in ("$share//a", "$share/g", "$share/g/", "$share/g+/a", "$share/g#/a",
                "$share/g/a#"):  # fmt: skip
        assert parse_shared_subscription(bad) is None
        assert not is_valid_topic_filter(bad)
