"""The WebSocket event vocabulary, the same classes for sending and receiving.

Every event is a frozen, slotted dataclass that checks its fields in the
constructor and raises :class:`~wire.errors.LocalProtocolError` when they are
wrong, so an invalid event never reaches a machine.

What flows, once the opening handshake is done::

    messages:  TextMessage | BytesMessage                   (whole messages, the default)
               MessageFragment* MessageFragment(final=True)  (frame by frame, when streaming)
    control:   Ping, Pong, Close                             (interleaved anywhere)
    the end:   ConnectionClosed                              (received only, reported once)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, TypeAlias, cast

from wire.errors import LocalProtocolError, RemoteProtocolError

__all__ = [
    "BytesMessage",
    "Close",
    "CloseCode",
    "ConnectionClosed",
    "Event",
    "MAX_CONTROL_PAYLOAD",
    "MAX_CLOSE_REASON",
    "MessageFragment",
    "Ping",
    "Pong",
    "TextMessage",
    "is_valid_close_code",
]

#: RFC 6455 section 5.5: "All control frames MUST have a payload length of 125 bytes or less".
MAX_CONTROL_PAYLOAD: Final = 125
#: A close payload is a 2-octet code and a reason: 123 octets of UTF-8 at most.
MAX_CLOSE_REASON: Final = MAX_CONTROL_PAYLOAD - 2


class CloseCode:
    """Close codes with a meaning (RFC 6455 section 7.4.1 and the IANA registry)."""

    NORMAL_CLOSURE: Final = 1000
    GOING_AWAY: Final = 1001
    PROTOCOL_ERROR: Final = 1002
    UNSUPPORTED_DATA: Final = 1003
    #: No status code in the Close frame; never on the wire.
    NO_STATUS_RCVD: Final = 1005
    #: The connection ended without a Close frame; never on the wire.
    ABNORMAL_CLOSURE: Final = 1006
    INVALID_PAYLOAD: Final = 1007
    POLICY_VIOLATION: Final = 1008
    MESSAGE_TOO_BIG: Final = 1009
    MANDATORY_EXTENSION: Final = 1010
    INTERNAL_ERROR: Final = 1011
    SERVICE_RESTART: Final = 1012
    TRY_AGAIN_LATER: Final = 1013
    BAD_GATEWAY: Final = 1014


def is_valid_close_code(code: int) -> bool:
    """Whether ``code`` may appear in a Close frame (RFC 6455 section 7.4).

    1000-1003 and 1007-1014 are registered for the protocol; 1004 is reserved,
    1005, 1006 and 1015 must never be sent, 1016-2999 are unassigned; 3000-3999
    are for libraries and frameworks, 4000-4999 for applications.
    """
    return 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999


def _check_bytes(name: str, value: object, limit: int | None = None) -> bytes:
    if isinstance(value, bytearray | memoryview):
        value = bytes(value)
    if type(value) is not bytes:
        raise LocalProtocolError(f"{name} must be bytes, got {type(value).__name__}")
    if limit is not None and len(value) > limit:
        raise LocalProtocolError(f"{name} is {len(value)} octets, more than {limit}")
    return value


def _check_text(name: str, value: object) -> str:
    if type(value) is not str:
        raise LocalProtocolError(f"{name} must be a str, got {type(value).__name__}")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            # Lone surrogates have no UTF-8 form (RFC 3629 section 3).
            raise LocalProtocolError(f"{name} has no UTF-8 encoding (lone surrogate)") from None
    return value


@dataclass(frozen=True, slots=True)
class TextMessage:
    """A whole text message (opcode 0x1); ``data`` is any str with a UTF-8 form."""

    data: str

    def __post_init__(self) -> None:
        _check_text("data", self.data)


@dataclass(frozen=True, slots=True)
class BytesMessage:
    """A whole binary message (opcode 0x2); a bytearray or memoryview is copied to bytes."""

    data: bytes

    def __post_init__(self) -> None:
        if type(self.data) is not bytes:
            object.__setattr__(self, "data", _check_bytes("data", self.data))


# The machine's fast path builds a received message from a payload it has
# just checked itself (decoded from UTF-8, or bytes): the constructor's checks
# again cost about 0.2 us, a tenth of the machine's time for a small echo.
_new_event = object.__new__
_set_text = cast(Any, TextMessage).data.__set__
_set_bytes = cast(Any, BytesMessage).data.__set__


def checked_text_message(data: str) -> TextMessage:
    """``TextMessage(data)`` for a ``str`` known to have a UTF-8 form (it was decoded from it)."""
    message = _new_event(TextMessage)
    _set_text(message, data)
    return message


def checked_bytes_message(data: bytes) -> BytesMessage:
    """``BytesMessage(data)`` for ``data`` known to be ``bytes``."""
    message = _new_event(BytesMessage)
    _set_bytes(message, data)
    return message


@dataclass(frozen=True, slots=True)
class MessageFragment:
    """One frame of a message: ``str`` data for text, ``bytes`` for binary.

    Received only when the connection streams (``WSConfig(stream_fragments=True)``):
    one event per frame, ``final`` on the last. Sent to stream a message out:
    every fragment of a message has the same type, and nothing but control
    frames may go out until the fragment with ``final=True``. A text fragment
    may end in the middle of a character only on the receiving side (the
    decoder carries the rest over); a sent one is always whole characters.
    """

    data: str | bytes
    final: bool = False

    def __post_init__(self) -> None:
        if type(self.data) is str:
            _check_text("data", self.data)
        else:
            object.__setattr__(self, "data", _check_bytes("data", self.data))
        if type(self.final) is not bool:
            raise LocalProtocolError("final must be a bool")

    @property
    def is_text(self) -> bool:
        """Whether this fragment belongs to a text message."""
        return type(self.data) is str


@dataclass(frozen=True, slots=True)
class Ping:
    """A Ping (opcode 0x9); the machine answers a received one itself (RFC 6455 section 5.5.2)."""

    payload: bytes = b""

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "payload", _check_bytes("payload", self.payload, MAX_CONTROL_PAYLOAD)
        )


@dataclass(frozen=True, slots=True)
class Pong:
    """A Pong (opcode 0xA): the answer to a Ping, or an unsolicited heartbeat (section 5.5.3)."""

    payload: bytes = b""

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "payload", _check_bytes("payload", self.payload, MAX_CONTROL_PAYLOAD)
        )


@dataclass(frozen=True, slots=True)
class Close:
    """A Close frame: the closing handshake (RFC 6455 section 5.5.1).

    Sent: start the closing handshake. Received: the peer started it, or
    answered ours; the machine echoes the code itself (section 7.1.2), so no
    answer is needed. ``code`` 1005 stands for a Close frame without a status
    code (section 7.1.5): sending it sends an empty payload.
    """

    code: int = CloseCode.NORMAL_CLOSURE
    reason: str = ""

    def __post_init__(self) -> None:
        code = self.code
        if type(code) is not int or not (
            is_valid_close_code(code) or code == CloseCode.NO_STATUS_RCVD
        ):
            raise LocalProtocolError(f"{code!r} is not a close code that may be sent")
        _check_text("reason", self.reason)
        if code == CloseCode.NO_STATUS_RCVD and self.reason:
            raise LocalProtocolError("a reason needs a status code")
        if len(self.reason.encode("utf-8")) > MAX_CLOSE_REASON:
            raise LocalProtocolError(f"the reason is longer than {MAX_CLOSE_REASON} octets")


@dataclass(frozen=True, slots=True)
class ConnectionClosed:
    """The connection is over (terminal, reported once); the driver closes the stream.

    ``code`` and ``reason`` are *The WebSocket Connection Close Code* and
    *Reason* (RFC 6455 sections 7.1.5 and 7.1.6): what the peer's Close frame
    said, 1005 when it had no code, and 1006 when no Close frame came (the
    stream ended, a timer expired, or the machine failed the connection).

    ``error`` says why, when the peer broke a rule or stopped answering; its
    ``code`` is what the machine told the peer.
    """

    code: int = CloseCode.ABNORMAL_CLOSURE
    reason: str = ""
    error: RemoteProtocolError | None = None

    def __post_init__(self) -> None:
        if type(self.code) is not int or not 1000 <= self.code <= 4999:
            raise LocalProtocolError(f"code must be an int in 1000..4999, got {self.code!r}")
        if type(self.reason) is not str:
            raise LocalProtocolError("reason must be a str")
        if self.error is not None and not isinstance(self.error, RemoteProtocolError):
            raise LocalProtocolError("error must be a RemoteProtocolError")


Event: TypeAlias = (
    TextMessage | BytesMessage | MessageFragment | Ping | Pong | Close | ConnectionClosed
)
