"""Errors of the WebSocket machines.

Both axes come from :mod:`wire.errors`: a caller's mistake raises
:class:`~wire.errors.LocalProtocolError` at once and changes nothing; a peer
that breaks the rules never makes ``receive_data`` raise. The machine queues
the Close frame itself (RFC 6455 section 7.1.7, "Fail the WebSocket
Connection") and reports the cause, a :class:`WSRemoteError`, in the terminal
:class:`~wire.ws.ConnectionClosed` event.

Hierarchy (``code`` is the close code the machine sent, or the HTTP status
for a handshake)::

    RemoteProtocolError
    └── WSRemoteError
        ├── ProtocolViolation   1002: framing, opcodes, reserved bits, close frames
        ├── InvalidPayload      1007: invalid UTF-8, undecodable compressed data
        ├── MessageTooBig       1009: a size or fragment-count limit
        ├── KeepaliveTimeout    1011: nothing came back after a keep-alive ping
        ├── InternalError       1011: a bug of ours, logged, never the peer's details
        ├── CloseTimeout        None: the peer never answered our Close frame
        └── HandshakeError      the HTTP status a server answers (400, 426), None on a client
"""

from __future__ import annotations

from wire.errors import RemoteProtocolError

__all__ = [
    "CloseTimeout",
    "HandshakeError",
    "InternalError",
    "InvalidPayload",
    "KeepaliveTimeout",
    "MessageTooBig",
    "ProtocolViolation",
    "WSRemoteError",
]


class WSRemoteError(RemoteProtocolError):
    """The WebSocket peer broke the rules, or stopped answering.

    ``code`` is the close code the machine sent in its Close frame (RFC 6455
    section 7.4.1), or ``None`` when it sent none.
    """

    #: The close code sent for this failure; subclasses set it.
    CLOSE_CODE: int | None = None
    #: The reason sent with it: fixed per class, the details stay local.
    CLOSE_REASON = ""

    def __init__(self, message: str) -> None:
        super().__init__(message, code=self.CLOSE_CODE)


class ProtocolViolation(WSRemoteError):
    """A frame or a sequence of frames RFC 6455 forbids (1002)."""

    CLOSE_CODE = 1002
    CLOSE_REASON = "protocol error"


class InvalidPayload(WSRemoteError):
    """A text message or close reason that is not UTF-8, or undecodable deflate data (1007)."""

    CLOSE_CODE = 1007
    CLOSE_REASON = "invalid payload data"


class MessageTooBig(WSRemoteError):
    """A frame, message or fragment count beyond the configured limits (1009)."""

    CLOSE_CODE = 1009
    CLOSE_REASON = "message too big"


class KeepaliveTimeout(WSRemoteError):
    """Nothing arrived within ``ping_timeout`` of a keep-alive ping (1011)."""

    CLOSE_CODE = 1011
    CLOSE_REASON = "keepalive timeout"


class InternalError(WSRemoteError):
    """An unexpected error inside the machine (1011); the details went to the log only."""

    CLOSE_CODE = 1011
    CLOSE_REASON = "internal error"


class CloseTimeout(WSRemoteError):
    """The peer did not answer our Close frame within ``close_timeout``; nothing more was sent."""


class HandshakeError(WSRemoteError):
    """The opening handshake is not acceptable.

    On a server, ``code`` (also ``status``) is the HTTP status to answer with
    and ``headers`` the header fields that answer must carry (426 lists the
    supported ``Sec-WebSocket-Version``, RFC 6455 section 4.4). On a client the
    server's answer is wrong: ``code`` is ``None`` and the connection must be
    dropped (RFC 6455 section 4.1).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        headers: tuple[tuple[bytes, bytes], ...] = (),
    ) -> None:
        super().__init__(message)
        self.code = status
        self.status = status
        self.headers = headers
