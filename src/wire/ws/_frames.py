"""WebSocket frames on the wire (RFC 6455 section 5): writing them, masking, Close payloads.

Reading frames is wsproto's ``FrameDecoder``, driven by the connection; this
module holds what wsproto cannot do for us: writing frames with a mask from an
injected source (wsproto draws masks from ``os.urandom`` inside its writer,
house style rule 1), and the small pieces both directions share. It knows
nothing of connection state.
"""

from __future__ import annotations

import enum
from typing import Final

from wire.ws._errors import InvalidPayload, ProtocolViolation
from wire.ws._events import CloseCode, is_valid_close_code

__all__ = [
    "Opcode",
    "apply_mask",
    "encode_close",
    "encode_frame",
    "parse_close",
]


class Opcode(enum.IntEnum):
    """Frame opcodes (RFC 6455 section 5.2); 0x3-0x7 and 0xB-0xF are reserved."""

    CONTINUATION = 0x0
    TEXT = 0x1
    BINARY = 0x2
    CLOSE = 0x8
    PING = 0x9
    PONG = 0xA


_FIN: Final = 0x80
_RSV1: Final = 0x40
_MASKED: Final = 0x80
# Up to this size XOR through one big integer is fastest; above it, four
# byte translations over strided slices (both are C loops; measured on CPython 3.11).
_INT_MASK_LIMIT: Final = 2048
_XOR_TABLES: Final = [bytes(a ^ b for a in range(256)) for b in range(256)]


def apply_mask(data: bytes, mask: bytes) -> bytes:
    """XOR ``data`` with the 4-octet ``mask`` repeated (RFC 6455 section 5.3); its own inverse."""
    size = len(data)
    if size <= _INT_MASK_LIMIT:
        key = (mask * ((size >> 2) + 1))[:size]
        return (int.from_bytes(data, "little") ^ int.from_bytes(key, "little")).to_bytes(
            size, "little"
        )
    out = bytearray(data)
    for offset in range(4):
        out[offset::4] = out[offset::4].translate(_XOR_TABLES[mask[offset]])
    return bytes(out)


def encode_frame(
    opcode: int, payload: bytes, *, fin: bool = True, rsv1: bool = False, mask: bytes | None = None
) -> bytes:
    """One frame: header (section 5.2, shortest length form), masking key, payload.

    Args:
        opcode: An :class:`Opcode`.
        payload: The application data (already compressed when ``rsv1``).
        fin: Whether this is the last frame of its message.
        rsv1: The permessage-deflate "compressed" bit (RFC 7692 section 6).
        mask: The 4-octet masking key of a client frame; ``None`` for a server.
    """
    first = opcode | (_FIN if fin else 0) | (_RSV1 if rsv1 else 0)
    size = len(payload)
    flag = 0 if mask is None else _MASKED
    if size < 126:
        head = bytes((first, flag | size))
    elif size < 65536:
        head = bytes((first, flag | 126)) + size.to_bytes(2, "big")
    else:
        head = bytes((first, flag | 127)) + size.to_bytes(8, "big")
    if mask is None:
        return head + payload
    return head + mask + apply_mask(payload, mask)


def encode_close(code: int, reason: str) -> bytes:
    """The payload of a Close frame (section 5.5.1); empty for 1005, "no status code"."""
    if code == CloseCode.NO_STATUS_RCVD:
        return b""
    return code.to_bytes(2, "big") + reason.encode("utf-8")


def parse_close(payload: bytes) -> tuple[int, str]:
    """The code and reason of a received Close frame (sections 5.5.1, 7.1.5, 7.4).

    Raises:
        ProtocolViolation: a 1-octet payload, or a code that may not be sent.
        InvalidPayload: the reason is not UTF-8 (section 8.1).
    """
    if not payload:
        return CloseCode.NO_STATUS_RCVD, ""
    if len(payload) == 1:
        raise ProtocolViolation("a Close frame with a 1-octet payload")
    code = int.from_bytes(payload[:2], "big")
    if not is_valid_close_code(code):
        raise ProtocolViolation(f"close code {code} may not be sent")
    try:
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidPayload("the close reason is not valid UTF-8") from None
    return code, reason
