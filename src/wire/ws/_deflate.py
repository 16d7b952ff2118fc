"""permessage-deflate (RFC 7692): negotiation, and bounded compression per message.

Negotiation (section 7.1) works on parsed ``Sec-WebSocket-Extensions`` entries
(:mod:`wire.ws._handshake` parses the header): a client :func:`offer` s what a
:class:`DeflateConfig` asks for, a server :func:`accept_offer` s the first
acceptable offer, and the client checks the answer with :func:`accept_response`.
Both ends then hold the same :class:`DeflateParams`.

Compression (section 7.2) uses zlib directly:

- :class:`Inflater` plugs into wsproto's ``FrameDecoder`` through its three
  inbound extension hooks. Every ``decompress`` call is bounded
  (``decompressobj().decompress(data, max_length)``) by what is left of the
  message and frame limits, so a small compressed frame cannot expand past
  them: the bomb is refused with 1009 after at most one byte too many.
- :class:`Deflater` compresses outgoing messages with a sync flush and drops
  the trailing ``00 00 ff ff`` (section 7.2.1); a whole message that would
  not get shorter goes out uncompressed (section 6.1: RSV1 is per message).

zlib cannot compress with a 256-octet window (``wbits=8`` is refused for raw
deflate since zlib 1.2.9). When the peer limits our direction to 8 bits, this
end accepts and sends its messages uncompressed, which RFC 7692 allows for any
message (section 6: RSV1 is per message); it still decompresses the peer's.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, TypeAlias

from wsproto.frame_protocol import CloseReason, Opcode, RsvBits

from wire.errors import LocalProtocolError
from wire.ws._errors import (
    HandshakeError,
    InvalidPayload,
    MessageTooBig,
    ProtocolViolation,
    WSRemoteError,
)

__all__ = [
    "DeflateConfig",
    "DeflateParams",
    "Deflater",
    "EXTENSION_NAME",
    "ExtensionParams",
    "Inflater",
    "accept_offer",
    "accept_response",
    "offer",
]

EXTENSION_NAME: Final = "permessage-deflate"
#: Parameters of one extension in a ``Sec-WebSocket-Extensions`` entry, in order.
ExtensionParams: TypeAlias = Sequence[tuple[str, str | None]]

_SERVER_NCT: Final = "server_no_context_takeover"
_CLIENT_NCT: Final = "client_no_context_takeover"
_SERVER_BITS: Final = "server_max_window_bits"
_CLIENT_BITS: Final = "client_max_window_bits"
_MAX_BITS: Final = 15
#: RFC 7692 section 7.1.2: a decimal integer 8..15 without leading zeroes.
_BITS_VALUE: Final = re.compile(r"[89]|1[0-5]")
#: Section 7.2.2: appended to a message's payload before inflating it.
_TAIL: Final = b"\x00\x00\xff\xff"
#: zlib's raw deflate refuses a 256-octet window: with it we send uncompressed.
_UNUSABLE_BITS: Final = 8


def _check_bits(name: str, value: int | None) -> None:
    if value is not None and (type(value) is not int or not 8 <= value <= _MAX_BITS):
        raise LocalProtocolError(f"{name} must be None or an int in 8..15")


@dataclass(frozen=True, slots=True)
class DeflateConfig:
    """What this end asks for and accepts, and how it compresses.

    The four RFC 7692 parameters mean, on a client, what to ask the server for
    and, on a server, what to impose (or, for ``client_max_window_bits``,
    to impose when the client says it can take it):

    Attributes:
        server_no_context_takeover: The server resets its compressor after
            each message (less memory on the server between messages, a
            worse ratio).
        client_no_context_takeover: The same for the client.
        server_max_window_bits: The largest LZ77 window the server compresses
            with, 8..15 (``None``: no limit asked, 15). A client's inflater
            and a server's deflater then need less memory.
        client_max_window_bits: The same for the client's compressor.
        level: zlib compression level of our compressor, 1..9 (6 is zlib's
            trade-off of speed and ratio).
        memory_level: zlib ``memLevel`` of our compressor, 1..9. A compressor
            holds ``2**(window_bits + 2) + 2**(memory_level + 9)`` octets: 256
            KiB at 15 and 8 (zlib's defaults), 32 KiB at 12 and 5; the
            inflater holds ``2**window_bits``.
        min_size: Messages shorter than this go out uncompressed (RSV1 is per
            message); 0 compresses everything.
    """

    server_no_context_takeover: bool = False
    client_no_context_takeover: bool = False
    server_max_window_bits: int | None = None
    client_max_window_bits: int | None = None
    level: int = 6
    memory_level: int = 8
    min_size: int = 0

    def __post_init__(self) -> None:
        for name in (_SERVER_NCT, _CLIENT_NCT):
            if type(getattr(self, name)) is not bool:
                raise LocalProtocolError(f"{name} must be a bool")
        _check_bits(_SERVER_BITS, self.server_max_window_bits)
        _check_bits(_CLIENT_BITS, self.client_max_window_bits)
        for name in ("level", "memory_level"):
            value = getattr(self, name)
            if type(value) is not int or not 1 <= value <= 9:
                raise LocalProtocolError(f"{name} must be an int in 1..9")
        if type(self.min_size) is not int or self.min_size < 0:
            raise LocalProtocolError("min_size must be an int >= 0")


@dataclass(frozen=True, slots=True)
class DeflateParams:
    """permessage-deflate as agreed in the handshake, plus this end's compressor settings.

    Both ends of a connection hold the same four agreed values; ``level``,
    ``memory_level`` and ``min_size`` are local (see :class:`DeflateConfig`).
    """

    server_no_context_takeover: bool = False
    client_no_context_takeover: bool = False
    server_max_window_bits: int = _MAX_BITS
    client_max_window_bits: int = _MAX_BITS
    level: int = 6
    memory_level: int = 8
    min_size: int = 0

    def __post_init__(self) -> None:
        for name in (_SERVER_BITS, _CLIENT_BITS):
            if getattr(self, name) is None:
                raise LocalProtocolError(f"{name} must be an int in 8..15")
        # The same checks as a configuration's.
        DeflateConfig(
            self.server_no_context_takeover,
            self.client_no_context_takeover,
            self.server_max_window_bits,
            self.client_max_window_bits,
            self.level,
            self.memory_level,
            self.min_size,
        )

    def response(self) -> str:
        """This agreement as a server's ``Sec-WebSocket-Extensions`` entry (section 7.1)."""
        parts = [EXTENSION_NAME]
        if self.server_no_context_takeover:
            parts.append(_SERVER_NCT)
        if self.client_no_context_takeover:
            parts.append(_CLIENT_NCT)
        if self.server_max_window_bits != _MAX_BITS:
            parts.append(f"{_SERVER_BITS}={self.server_max_window_bits}")
        if self.client_max_window_bits != _MAX_BITS:
            parts.append(f"{_CLIENT_BITS}={self.client_max_window_bits}")
        return "; ".join(parts)


def _read_params(params: ExtensionParams, *, response: bool) -> dict[str, int | None] | str:
    """The four parameters of one entry, or what is wrong with it (section 7.1)."""
    out: dict[str, int | None] = {}
    for name, value in params:
        if name in out:
            return f"{name} appears twice"
        if name in (_SERVER_NCT, _CLIENT_NCT):
            if value is not None:
                return f"{name} takes no value"
            out[name] = None
        elif name in (_SERVER_BITS, _CLIENT_BITS):
            if value is None:
                # Only a client's offer may leave client_max_window_bits without a value.
                if name == _SERVER_BITS or response:
                    return f"{name} needs a value"
                out[name] = None
            elif _BITS_VALUE.fullmatch(value) is None:
                return f"{name}={value!r} is not in 8..15"
            else:
                out[name] = int(value)
        else:
            return f"unknown parameter {name!r}"
    return out


def offer(config: DeflateConfig) -> str:
    """A client's ``Sec-WebSocket-Extensions`` entry asking for ``config`` (section 7.1).

    ``client_max_window_bits`` always goes out, so the server may limit our
    window (section 7.1.2.2); with a value when ``config`` sets one.
    """
    parts = [EXTENSION_NAME]
    if config.server_no_context_takeover:
        parts.append(_SERVER_NCT)
    if config.client_no_context_takeover:
        parts.append(_CLIENT_NCT)
    if config.server_max_window_bits is not None:
        parts.append(f"{_SERVER_BITS}={config.server_max_window_bits}")
    if config.client_max_window_bits is None:
        parts.append(_CLIENT_BITS)
    else:
        parts.append(f"{_CLIENT_BITS}={config.client_max_window_bits}")
    return "; ".join(parts)


def accept_offer(params: ExtensionParams, config: DeflateConfig) -> DeflateParams | None:
    """A server's answer to one permessage-deflate offer, or ``None`` to decline it.

    Follows section 7.1: a parameter the client asked for is granted (a
    smaller server window than asked is allowed); ``config`` adds what the
    server imposes. An offer with an unknown, repeated or invalid parameter
    is declined (section 7.1: "the server MUST decline").
    """
    read = _read_params(params, response=False)
    if isinstance(read, str):
        return None
    server_bits = _MAX_BITS
    asked = read.get(_SERVER_BITS)
    if asked is not None:
        server_bits = min(asked, config.server_max_window_bits or _MAX_BITS)
    elif config.server_max_window_bits is not None:
        server_bits = config.server_max_window_bits
    client_bits = _MAX_BITS
    if _CLIENT_BITS in read and config.client_max_window_bits is not None:
        # Section 7.1.2.2: only when the client said it can take a limit.
        client_bits = min(read[_CLIENT_BITS] or _MAX_BITS, config.client_max_window_bits)
    return DeflateParams(
        server_no_context_takeover=_SERVER_NCT in read or config.server_no_context_takeover,
        client_no_context_takeover=config.client_no_context_takeover,
        server_max_window_bits=server_bits,
        client_max_window_bits=client_bits,
        level=config.level,
        memory_level=config.memory_level,
        min_size=config.min_size,
    )


def accept_response(params: ExtensionParams, config: DeflateConfig) -> DeflateParams:
    """A client's check of the server's permessage-deflate answer to :func:`offer`.

    Raises:
        HandshakeError: the answer breaks section 7.1 or does not grant what
            ``config`` asked for; the client must drop the connection.
    """
    read = _read_params(params, response=True)
    if isinstance(read, str):
        raise HandshakeError(f"permessage-deflate response: {read}")
    if config.server_no_context_takeover and _SERVER_NCT not in read:
        raise HandshakeError("the server did not accept server_no_context_takeover")
    server_bits = read.get(_SERVER_BITS) or _MAX_BITS
    if config.server_max_window_bits is not None and (
        _SERVER_BITS not in read or server_bits > config.server_max_window_bits
    ):
        raise HandshakeError("the server did not accept our server_max_window_bits")
    limit = config.client_max_window_bits or _MAX_BITS
    client_bits = read.get(_CLIENT_BITS) or limit
    if client_bits > limit:
        raise HandshakeError("the server's client_max_window_bits is larger than ours")
    return DeflateParams(
        server_no_context_takeover=_SERVER_NCT in read,
        client_no_context_takeover=_CLIENT_NCT in read,
        server_max_window_bits=server_bits,
        client_max_window_bits=client_bits,
        level=config.level,
        memory_level=config.memory_level,
        min_size=config.min_size,
    )


class Deflater:
    """Compresses this end's messages (RFC 7692 section 7.2.1)."""

    __slots__ = ("_compressor", "_level", "_memory_level", "_reset", "_wbits", "min_size")

    def __init__(self, params: DeflateParams, *, client: bool) -> None:
        bits = params.client_max_window_bits if client else params.server_max_window_bits
        self._wbits = -bits
        self._reset = (
            params.client_no_context_takeover if client else params.server_no_context_takeover
        )
        self._level = params.level
        self._memory_level = params.memory_level
        self._compressor: zlib._Compress | None = None
        self.min_size = params.min_size

    @staticmethod
    def usable(params: DeflateParams, *, client: bool) -> bool:
        """Whether zlib can compress within the window the peer allows us."""
        bits = params.client_max_window_bits if client else params.server_max_window_bits
        return bits != _UNUSABLE_BITS

    def _get(self) -> zlib._Compress:
        compressor = self._compressor
        if compressor is None:
            compressor = self._compressor = zlib.compressobj(
                self._level, zlib.DEFLATED, self._wbits, self._memory_level
            )
        return compressor

    def compress_message(self, data: bytes) -> bytes | None:
        """The compressed payload of a whole message, or ``None`` to send it as it is.

        RFC 7692 section 6.1 lets the sender choose per message (RSV1 says
        which): a message that would come out no shorter (random or already
        compressed data, an empty message) goes uncompressed, so a message of
        the peer's exact size limit never needs a longer frame.

        With context takeover the peer's inflater must hold what our
        compressor may refer back to. An uncompressed message reaches the
        peer's application but never its inflater, while our compressor has
        already taken it into its window; so the compressor starts afresh
        (zlib's ``copy()`` of the state before, the other way, costs tens of
        microseconds per message). A fresh compressor refers back to nothing
        before it, and the peer's older window is simply never used: taking
        over context is the sender's option, which the
        ``*_no_context_takeover`` parameters take away (section 7.1.1).
        """
        compressor = self._get()
        out = compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
        if len(out) - 4 >= len(data):
            self._compressor = None
            return None
        if self._reset:
            self._compressor = None
        return out[:-4]

    def compress(self, data: bytes, *, fin: bool) -> bytes:
        """The compressed payload of one frame of a message; ``fin`` on its last frame."""
        compressor = self._get()
        # A sync flush per frame lets a streamed message's fragments go out at
        # once; it always ends with the empty stored block 00 00 ff ff.
        out = compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
        if not fin:
            return out
        if self._reset:
            self._compressor = None
        return out[:-4]


class Inflater:
    """Decompresses the peer's messages, inside wsproto's ``FrameDecoder``.

    ``FrameDecoder`` calls the three inbound hooks of its extensions; the
    negotiation side of wsproto's ``Extension`` is not used (ours is above).
    Decompressed octets are counted per message and per frame against the
    connection's limits; every call to zlib is bounded by what is left.
    ``failure`` holds the error behind a ``CloseReason`` returned to wsproto,
    or a fault found after some output, which the connection raises once it
    has handled that output.
    """

    __slots__ = (
        "_decompressor",
        "_frame_compressed",
        "_frame_out",
        "_max_frame",
        "_max_message",
        "_message_compressed",
        "_message_out",
        "_reset",
        "_wbits",
        "failure",
    )

    name = EXTENSION_NAME

    def __init__(
        self, params: DeflateParams, *, client: bool, max_message_size: int, max_frame_size: int
    ) -> None:
        # We inflate what the *peer* compressed: its window and its reset rule.
        # A larger window inflates anything a smaller one made; zlib releases
        # before 1.2.9 refuse 8 bits for raw inflate, so 8 inflates with 9.
        bits = params.server_max_window_bits if client else params.client_max_window_bits
        self._wbits = -max(bits, _UNUSABLE_BITS + 1)
        self._reset = (
            params.server_no_context_takeover if client else params.client_no_context_takeover
        )
        self._max_message = max_message_size
        self._max_frame = max_frame_size
        self._decompressor: zlib._Decompress | None = None
        self._message_compressed = False
        self._frame_compressed = False
        self._message_out = 0
        self._frame_out = 0
        self.failure: WSRemoteError | None = None

    def _fail(self, error: WSRemoteError, reason: CloseReason) -> CloseReason:
        self.failure = error
        return reason

    def frame_inbound_header(
        self, proto: object, opcode: Opcode, rsv: RsvBits, payload_length: int
    ) -> CloseReason | RsvBits:
        """RFC 7692 section 6.1: RSV1 marks the first frame of a compressed message."""
        if opcode.iscontrol():
            self._frame_compressed = False
            return RsvBits(False, False, False)
        if opcode is Opcode.CONTINUATION:
            if rsv.rsv1:
                return self._fail(
                    ProtocolViolation("RSV1 set on a continuation frame"),
                    CloseReason.PROTOCOL_ERROR,
                )
            self._frame_compressed = self._message_compressed
        else:
            self._message_compressed = self._frame_compressed = rsv.rsv1
            self._message_out = 0
        self._frame_out = 0
        return RsvBits(True, False, False)

    def _inflate(self, data: bytes) -> bytes | CloseReason:
        decompressor = self._decompressor
        if decompressor is None:
            decompressor = self._decompressor = zlib.decompressobj(self._wbits)
        budget = min(self._max_message - self._message_out, self._max_frame - self._frame_out)
        try:
            # max_length bounds the output: one octet more than allowed proves the excess.
            out = decompressor.decompress(data, budget + 1)
        except zlib.error:
            return self._fail(
                InvalidPayload("the compressed data is not valid DEFLATE"),
                CloseReason.INVALID_FRAME_PAYLOAD_DATA,
            )
        # What inflated before a fault goes on first, and the connection raises
        # ``failure`` after passing it on: the application's own checks (UTF-8)
        # see it as they would have in smaller pieces, so the first fault in
        # stream order wins however the bytes were chunked.
        if len(out) > budget:
            self.failure = MessageTooBig("the message inflates beyond the size limits")
            out = out[:budget]
        elif decompressor.unused_data:
            # Section 7.2.3.4: a block with BFINAL set ends the data of the message.
            self.failure = InvalidPayload("data after the final DEFLATE block")
        self._message_out += len(out)
        self._frame_out += len(out)
        return out

    def frame_inbound_payload_data(self, proto: object, data: bytes) -> bytes | CloseReason:
        """Inflate a piece of a compressed frame, bounded by the limits left."""
        if not self._frame_compressed:
            return data
        return self._inflate(data)

    def frame_inbound_complete(self, proto: object, fin: bool) -> bytes | CloseReason | None:
        """At the end of a compressed message, inflate the 4 octets section 7.2.2 appends."""
        if self.failure is not None or not (self._frame_compressed and fin):
            return None
        self._message_compressed = self._frame_compressed = False
        decompressor = self._decompressor
        assert decompressor is not None
        out: bytes | CloseReason = b""
        if not decompressor.eof:
            out = self._inflate(_TAIL)
        if self._reset or decompressor.eof:
            self._decompressor = None
        return out
