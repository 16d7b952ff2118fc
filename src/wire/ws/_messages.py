"""Message assembly from data frames (RFC 6455 section 5.4), with limits and UTF-8.

The connection hands over data frames as wsproto's ``FrameDecoder`` yields
them: a frame header first (:meth:`MessageAssembler.begin_frame`, so limits and
the fragmentation rules are checked before any payload is buffered), then its
payload in pieces (:meth:`MessageAssembler.piece`). Control frames never come
here; they may sit between the frames of a message (section 5.4).

Text is validated as it arrives (section 8.1): Python's incremental UTF-8
decoder refuses an impossible octet at once, except the first two octets of a
UTF-16 surrogate (``ED A0..BF``), which it keeps pending until the third; the
assembler refuses those itself, so an invalid message fails on the frame that
makes it invalid, not on the last one.
"""

from __future__ import annotations

import codecs
from typing import Final

from wire.ws._errors import InvalidPayload, MessageTooBig, ProtocolViolation
from wire.ws._events import BytesMessage, MessageFragment, TextMessage
from wire.ws._frames import Opcode

__all__ = ["MessageAssembler"]

_utf8_decoder: Final = codecs.getincrementaldecoder("utf-8")
#: The pending prefixes Python's decoder accepts although no character starts so.
_SURROGATE_LOW: Final = b"\xed\xa0"
_SURROGATE_HIGH: Final = b"\xed\xbf"

ReceivedMessage = TextMessage | BytesMessage | MessageFragment


class MessageAssembler:
    """Turns the data frames of one connection into message events.

    Args:
        max_message_size: The largest message, in octets of (decompressed) payload.
        max_fragments: The most frames one message may take.
        stream: Report each frame as a :class:`MessageFragment` instead of
            whole messages.
    """

    __slots__ = (
        "_bytes",
        "_compressed",
        "_decoder",
        "_frames",
        "_max_fragments",
        "_max_message",
        "_size",
        "_stream",
        "_text",
        "_texts",
    )

    def __init__(self, *, max_message_size: int, max_fragments: int, stream: bool) -> None:
        self._max_message = max_message_size
        self._max_fragments = max_fragments
        self._stream = stream
        #: None while no message is in progress; else whether it is text.
        self._text: bool | None = None
        self._compressed = False
        self._decoder: codecs.IncrementalDecoder | None = None
        #: What the next event will carry (the message, or in streaming mode the frame).
        self._texts: list[str] = []
        self._bytes: list[bytes] = []
        self._size = 0
        self._frames = 0

    @property
    def idle(self) -> bool:
        """No message is in progress (a new one may start)."""
        return self._text is None

    def begin_frame(self, opcode: int, length: int, *, compressed: bool) -> None:
        """A data frame header arrived; check it before its payload is taken.

        Args:
            opcode: TEXT, BINARY or CONTINUATION.
            length: The payload length on the wire.
            compressed: RSV1 on a first frame (permessage-deflate).

        Raises:
            ProtocolViolation: a new message inside another, or a continuation
                of nothing (section 5.4).
            MessageTooBig: too many frames, or an uncompressed message that
                will not fit.
        """
        if opcode == Opcode.CONTINUATION:
            if self._text is None:
                raise ProtocolViolation("a continuation frame with no message to continue")
        elif self._text is not None:
            raise ProtocolViolation("a new message began before the last one ended")
        else:
            self._text = opcode == Opcode.TEXT
            self._decoder = _utf8_decoder() if self._text else None
            self._compressed = compressed
            self._size = 0
            self._frames = 0
        self._frames += 1
        if self._frames > self._max_fragments:
            raise MessageTooBig(f"a message in more than {self._max_fragments} frames")
        if not self._compressed:
            self._size += length
            if self._size > self._max_message:
                raise MessageTooBig(f"a message longer than {self._max_message} octets")

    def piece(self, data: bytes, *, frame_done: bool, message_done: bool) -> ReceivedMessage | None:
        """A piece of the current frame's (decompressed) payload.

        Returns:
            The message, or in streaming mode the frame, once it is complete.

        Raises:
            InvalidPayload: the text is not UTF-8 (fails as early as it shows).
        """
        # No size check here: begin_frame bounded an uncompressed message by its
        # frame lengths, and the inflater bounds a compressed one as it inflates.
        final = frame_done and message_done
        decoder = self._decoder
        if decoder is None:
            if data:
                self._bytes.append(data)
        else:
            try:
                text = decoder.decode(data, final)
            except UnicodeDecodeError:
                raise InvalidPayload("a text message that is not valid UTF-8") from None
            if _SURROGATE_LOW <= decoder.getstate()[0] <= _SURROGATE_HIGH:
                raise InvalidPayload("a text message that is not valid UTF-8")
            if text:
                self._texts.append(text)
        if not (final or (frame_done and self._stream)):
            return None
        event: ReceivedMessage
        if decoder is None:
            data, self._bytes = b"".join(self._bytes), []
            event = MessageFragment(data, final) if self._stream else BytesMessage(data)
        else:
            text, self._texts = "".join(self._texts), []
            event = MessageFragment(text, final) if self._stream else TextMessage(text)
        if final:
            self._text = None
            self._decoder = None
        return event
