"""The two axes of protocol errors shared by every family.

``LocalProtocolError`` means our caller misused the API: it is raised at once
and the state of the object it was raised from is unchanged.

``RemoteProtocolError`` means the peer broke the rules of the protocol. It
carries ``code``, the protocol's own code to tell the peer (an MQTT reason
code, a WebSocket close code, an HTTP status, an HTTP/2 error code).

Hierarchy::

    WireError
    ├── LocalProtocolError
    └── RemoteProtocolError
        └── (one subclass per family and failure, e.g. wire.mqtt.MalformedPacket)
"""

from __future__ import annotations

__all__ = ["LocalProtocolError", "RemoteProtocolError", "WireError"]


class WireError(Exception):
    """Base class of every error this package raises on purpose."""


class LocalProtocolError(WireError):
    """The caller asked for something the protocol does not allow."""


class RemoteProtocolError(WireError):
    """The peer sent something the protocol does not allow.

    Args:
        message: What was wrong, for logs; never echoes more than a short excerpt.
        code: The protocol's code to send to the peer, when it has one.
    """

    code: int | None

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code
