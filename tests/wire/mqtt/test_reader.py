"""PacketReader: limits, errors, version switching."""

from __future__ import annotations

import pytest

from wire import mqtt
from wire.errors import LocalProtocolError


def test_reader_rejects_bad_arguments() -> None:
    with pytest.raises(LocalProtocolError, match="version"):
        mqtt.PacketReader(version=3)
    with pytest.raises(LocalProtocolError, match="max_packet_size"):
        mqtt.PacketReader(max_packet_size=1)
    with pytest.raises(LocalProtocolError, match="max_packet_size"):
        mqtt.PacketReader(max_packet_size=mqtt.MAX_PACKET_SIZE_LIMIT + 1)
    with pytest.raises(LocalProtocolError, match="version"):
        mqtt.decode(b"", version=6)


def test_too_large_is_refused_from_the_fixed_header() -> None:
    reader = mqtt.PacketReader(version=5, max_packet_size=100)
    # Only the fixed header of a 1,000,000-byte PUBLISH has arrived.
    with pytest.raises(mqtt.PacketTooLarge) as info:
        reader.feed(b"\x30" + mqtt.encode_vbi(999_996))
    assert info.value.reason_code == mqtt.ReasonCode.PACKET_TOO_LARGE
    assert info.value.code == 0x95
    assert reader.buffered == 0


def test_packet_exactly_at_the_limit_is_accepted() -> None:
    encoded = mqtt.encode(mqtt.Publish("t", b"x" * 90), version=5)
    reader = mqtt.PacketReader(version=5, max_packet_size=len(encoded))
    assert reader.feed(encoded) == [mqtt.Publish("t", b"x" * 90)]
    with pytest.raises(mqtt.PacketTooLarge):
        mqtt.decode(encoded, version=5, max_packet_size=len(encoded) - 1)


def test_reader_stays_broken_after_an_error() -> None:
    reader = mqtt.PacketReader(version=4)
    good = mqtt.encode(mqtt.Pingreq(), version=4)
    packets, error = reader.feed_until_error(good + b"\x00\x00" + good)
    assert packets == [mqtt.Pingreq()]
    assert isinstance(error, mqtt.MalformedPacket)
    assert reader.feed_until_error(good) == ([], error)
    with pytest.raises(mqtt.MalformedPacket):
        reader.feed(good)


def test_reader_learns_the_level_from_connect() -> None:
    connect = mqtt.encode(mqtt.Connect(client_id="c", protocol_level=4))
    publish = mqtt.encode(mqtt.Publish("t", b"x"), version=4)
    reader = mqtt.PacketReader(version=5)
    packets = reader.feed(connect + publish)
    assert reader.version == 4
    assert packets[1] == mqtt.Publish("t", b"x")


def test_reader_keeps_only_the_partial_packet() -> None:
    encoded = mqtt.encode(mqtt.Publish("t", b"x" * 50), version=5)
    reader = mqtt.PacketReader(version=5)
    assert reader.feed(encoded + encoded[:10]) == [mqtt.Publish("t", b"x" * 50)]
    assert reader.buffered == 10
    assert reader.feed(encoded[10:]) == [mqtt.Publish("t", b"x" * 50)]
    assert reader.buffered == 0


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"\x00", mqtt.MalformedPacket),  # reserved type known from the first byte
        (b"\x05\x05", mqtt.MalformedPacket),  # reserved type known before the body arrives
        (b"\x30\x80\x80\x80\x80\x01", mqtt.MalformedPacket),  # 5-byte remaining length
        (b"\x30\x80\x00", mqtt.MalformedPacket),  # remaining length not in shortest form
    ],
)
def test_errors_are_raised_as_early_as_possible(data: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        mqtt.PacketReader(version=5).feed(data)


def test_multi_byte_length_waits_for_its_bytes() -> None:
    reader = mqtt.PacketReader(version=5)
    assert reader.feed(b"\x30\x80") == []
    assert reader.feed(b"\x80") == []
    assert reader.buffered == 3


def test_unsupported_protocol_version_carries_the_level() -> None:
    connect = bytes.fromhex("100d00044d5154540302003c000163")
    with pytest.raises(mqtt.UnsupportedProtocolVersion) as info:
        mqtt.decode(connect, version=5)
    assert info.value.protocol_level == 3
    assert info.value.reason_code == mqtt.ReasonCode.UNSUPPORTED_PROTOCOL_VERSION
