"""An incremental reader: feed bytes as they arrive, take whole packets out."""

from __future__ import annotations

from wire.errors import LocalProtocolError
from wire.mqtt._codec import (
    DEFAULT_MAX_PACKET_SIZE,
    MAX_PACKET_SIZE_LIMIT,
    decode_at,
    packet_size_hint,
)
from wire.mqtt._errors import MQTTRemoteError
from wire.mqtt._packets import Connect, Packet

__all__ = ["PacketReader"]


class PacketReader:
    """Split a byte stream into MQTT packets.

    Feeding the stream in one chunk or split at any points gives the same
    packets. The reader never holds more than one partial packet plus the last
    chunk fed, and a packet over ``max_packet_size`` is refused as soon as its
    fixed header arrives.

    After a decoding error the reader is broken: it raises the same error again
    on every call, because the stream has lost its packet boundaries.

    Args:
        version: 4 or 5. Decoding a CONNECT switches the reader to the level the
            CONNECT carries, so a server reader can start with either.
        max_packet_size: Largest packet accepted, in bytes, fixed header included.
    """

    __slots__ = ("_buffer", "_error", "_need", "max_packet_size", "version")

    def __init__(self, *, version: int = 5, max_packet_size: int = DEFAULT_MAX_PACKET_SIZE) -> None:
        if version not in (4, 5):
            raise LocalProtocolError(f"version must be 4 or 5, got {version!r}")
        if not 2 <= max_packet_size <= MAX_PACKET_SIZE_LIMIT:
            raise LocalProtocolError(
                f"max_packet_size must be in 2..{MAX_PACKET_SIZE_LIMIT}, got {max_packet_size}"
            )
        self.version = version
        self.max_packet_size = max_packet_size
        self._buffer = bytearray()
        self._need = 0
        self._error: MQTTRemoteError | None = None

    @property
    def buffered(self) -> int:
        """Bytes received that do not yet form a whole packet."""
        return len(self._buffer)

    def feed(self, data: bytes | bytearray | memoryview) -> list[Packet]:
        """Add ``data`` to the stream and return every packet now complete.

        Raises:
            MQTTRemoteError: the stream is not valid MQTT; packets decoded before
                the bad one are lost with it, so feed smaller chunks or use
                :meth:`feed_until_error` when they matter.
        """
        packets, error = self.feed_until_error(data)
        if error is not None:
            raise error
        return packets

    def feed_until_error(
        self, data: bytes | bytearray | memoryview
    ) -> tuple[list[Packet], MQTTRemoteError | None]:
        """Like :meth:`feed`, but return the packets before an error with the error."""
        packets: list[Packet] = []
        error = self._scan(data, packets, None)
        return packets, error

    def feed_raw(
        self, data: bytes | bytearray | memoryview
    ) -> tuple[list[tuple[Packet, bytes]], MQTTRemoteError | None]:
        """Like :meth:`feed_until_error`, with each packet's exact bytes beside it.

        A broker uses the bytes to pass a PUBLISH through without re-encoding it.
        """
        packets: list[Packet] = []
        raws: list[bytes] = []
        error = self._scan(data, packets, raws)
        return list(zip(packets, raws, strict=True)), error

    def _scan(
        self,
        data: bytes | bytearray | memoryview,
        packets: list[Packet],
        raws: list[bytes] | None,
    ) -> MQTTRemoteError | None:
        if self._error is not None:
            return self._error
        buffer = self._buffer
        if buffer:
            buffer += data
            if len(buffer) < self._need:
                # Still short of the packet the fixed header announced: no re-parse,
                # so a packet trickled byte by byte costs linear time, not quadratic.
                return None
            view = bytes(buffer)
            buffer.clear()
        else:
            view = data if type(data) is bytes else bytes(data)
        pos = 0
        version = self.version
        limit = self.max_packet_size
        try:
            while True:
                result = decode_at(view, pos, version, limit)
                if result is None:
                    break
                packet, used = result
                packets.append(packet)
                if raws is not None:
                    raws.append(view[pos : pos + used])
                pos += used
                if type(packet) is Connect:
                    # The server learns the protocol level from CONNECT (section 3.1.2.2).
                    version = self.version = packet.protocol_level
        except MQTTRemoteError as exc:
            self._error = exc
            self._need = 0
            return exc
        if pos < len(view):
            buffer += memoryview(view)[pos:]
            self._need = packet_size_hint(view, pos)
        else:
            self._need = 0
        return None
