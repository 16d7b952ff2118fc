"""Writing frames, masking, Close payloads (RFC 6455 sections 5.2, 5.3, 5.5.1)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wire import ws
from wire.ws._frames import Opcode, apply_mask, encode_close, encode_frame, parse_close


def naive_mask(data: bytes, key: bytes) -> bytes:
    return bytes(b ^ key[i % 4] for i, b in enumerate(data))


@given(st.binary(max_size=5000), st.binary(min_size=4, max_size=4))
def test_apply_mask_is_xor_with_the_repeated_key(data: bytes, key: bytes) -> None:
    assert apply_mask(data, key) == naive_mask(data, key)
    assert apply_mask(apply_mask(data, key), key) == data


def test_apply_mask_both_ways_agree_on_large_payloads() -> None:
    data = bytes(range(256)) * 40  # 10240 octets: the translate path
    key = b"\x01\x80\xff\x10"
    assert apply_mask(data, key) == naive_mask(data, key)
    assert apply_mask(b"", key) == b""


@pytest.mark.parametrize(
    ("size", "head"),
    [
        (0, b"\x81\x00"),
        (125, b"\x81\x7d"),
        (126, b"\x81\x7e\x00\x7e"),
        (65535, b"\x81\x7e\xff\xff"),
    ],
)
def test_encode_frame_uses_the_shortest_length(size: int, head: bytes) -> None:
    assert encode_frame(Opcode.TEXT, b"a" * size) == head + b"a" * size


def test_encode_frame_64_bit_length_flags_and_mask() -> None:
    big = encode_frame(Opcode.BINARY, b"\0" * 65536, fin=False, rsv1=True)
    assert big[:10] == b"\x42\x7f" + (65536).to_bytes(8, "big")
    key = b"\x10\x20\x30\x40"
    masked = encode_frame(Opcode.PING, b"hi", mask=key)
    assert masked == b"\x89\x82" + key + naive_mask(b"hi", key)


def test_close_payloads() -> None:
    assert encode_close(1005, "") == b""
    assert encode_close(1000, "bye") == b"\x03\xe8bye"
    assert parse_close(b"") == (1005, "")
    assert parse_close(b"\x03\xe8bye") == (1000, "bye")
    assert parse_close(b"\x0f\xa0") == (4000, "")


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (b"\x03", ws.ProtocolViolation),
        (b"\x03\xec", ws.ProtocolViolation),  # 1004
        (b"\x03\xed", ws.ProtocolViolation),  # 1005 is never sent
        (b"\x13\x88", ws.ProtocolViolation),  # 5000
        (b"\x03\xe8\xff", ws.InvalidPayload),
    ],
)
def test_invalid_close_payloads(payload: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_close(payload)
