"""Property tests of the MQTT codec: round trips, split invariance, any bytes."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from wire import mqtt
from wire.errors import RemoteProtocolError
from wire.mqtt.strategies import packets

VERSIONS = [4, 5]


@pytest.mark.parametrize("version", VERSIONS)
@given(data=st.data())
def test_decode_inverts_encode(version: int, data: st.DataObject) -> None:
    packet = data.draw(packets(version))
    encoded = mqtt.encode(packet, version=version)
    result = mqtt.decode(encoded, version=version, max_packet_size=mqtt.MAX_PACKET_SIZE_LIMIT)
    assert result is not None
    decoded, used = result
    assert used == len(encoded)
    assert decoded == packet
    # Decoded packets re-encode to the same bytes: the codec has one canonical form.
    assert mqtt.encode(decoded, version=version) == encoded


@pytest.mark.parametrize("version", VERSIONS)
@given(data=st.data())
def test_any_prefix_is_incomplete(version: int, data: st.DataObject) -> None:
    encoded = mqtt.encode(data.draw(packets(version)), version=version)
    for end in range(len(encoded)):
        assert mqtt.decode(encoded[:end], version=version) is None


@pytest.mark.parametrize("version", VERSIONS)
@given(data=st.data())
def test_stream_split_anywhere_gives_same_packets(version: int, data: st.DataObject) -> None:
    sent = data.draw(st.lists(packets(version), min_size=1, max_size=6))
    stream = b"".join(mqtt.encode(p, version=version) for p in sent)
    cuts = sorted(data.draw(st.sets(st.integers(0, len(stream)), max_size=8)))
    reader = mqtt.PacketReader(version=version)
    received: list[mqtt.Packet] = []
    start = 0
    for cut in [*cuts, len(stream)]:
        received += reader.feed(stream[start:cut])
        start = cut
    assert received == sent
    assert reader.buffered == 0
    assert reader.version == version


@pytest.mark.parametrize("version", VERSIONS)
@given(data=st.data())
def test_byte_by_byte_equals_whole(version: int, data: st.DataObject) -> None:
    sent = data.draw(st.lists(packets(version), min_size=1, max_size=3))
    stream = b"".join(mqtt.encode(p, version=version) for p in sent)
    reader = mqtt.PacketReader(version=version)
    received = [p for i in range(len(stream)) for p in reader.feed(memoryview(stream)[i : i + 1])]
    assert received == mqtt.PacketReader(version=version).feed(bytearray(stream)) == sent


@pytest.mark.parametrize("version", VERSIONS)
@given(blob=st.binary(max_size=64))
@example(blob=b"\x30\xff\xff\xff\xff\x01")
@example(blob=b"\x10\x0c\x00\x04MQTT\x05\x00\x00\x00\x00")
@example(blob=b"\x82\x04\x00\x01\x00\x00")
def test_any_bytes_give_packets_need_more_or_remote_error(version: int, blob: bytes) -> None:
    whole: list[mqtt.Packet] = []
    whole_error: type[Exception] | None = None
    try:
        result = mqtt.decode(blob, version=version)
    except RemoteProtocolError as exc:
        assert isinstance(exc, mqtt.MQTTRemoteError)
        assert exc.code == exc.reason_code
        whole_error = type(exc)
    else:
        if result is not None:
            packet, used = result
            assert 0 < used <= len(blob)
            whole.append(packet)
    # The reader gives the same first packet (or error) fed byte by byte.
    reader = mqtt.PacketReader(version=version)
    split: list[mqtt.Packet] = []
    split_error: type[Exception] | None = None
    for i in range(len(blob)):
        chunk, error = reader.feed_until_error(blob[i : i + 1])
        split += chunk
        if error is not None:
            split_error = type(error)
            break
    if whole_error is not None:
        assert not split
        assert split_error is whole_error
    elif whole:
        assert split[:1] == whole


@pytest.mark.parametrize("version", VERSIONS)
@given(data=st.data())
def test_mutated_packets_never_escape_documented_errors(version: int, data: st.DataObject) -> None:
    encoded = bytearray(mqtt.encode(data.draw(packets(version)), version=version))
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(encoded) - 1))
        encoded[index] = data.draw(st.integers(0, 255))
    with contextlib.suppress(mqtt.MQTTRemoteError):
        mqtt.PacketReader(version=version, max_packet_size=1 << 16).feed(encoded)
