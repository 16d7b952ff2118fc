"""Errors of the HTTP connection machines.

Both axes come from :mod:`wire.errors`: a caller's mistake raises
:class:`~wire.errors.LocalProtocolError` at once and changes nothing; a peer
that breaks the rules never makes ``receive_data`` raise. The machine answers
it in the protocol's own way and reports the cause, an :class:`HTTPRemoteError`,
in a :class:`~wire.http.StreamReset` or :class:`~wire.http.ConnectionClosed` event.

Hierarchy::

    RemoteProtocolError
    └── HTTPRemoteError
        ├── H1RemoteError      code = the HTTP status answered (400, 413, 414, 431, 501, 505)
        └── H2RemoteError      code = the HTTP/2 error code sent in GOAWAY
            └── H2StreamError  code = the HTTP/2 error code sent in RST_STREAM
"""

from __future__ import annotations

import enum

from wire.errors import RemoteProtocolError

__all__ = [
    "H1RemoteError",
    "H2ErrorCode",
    "H2RemoteError",
    "H2StreamError",
    "HTTPRemoteError",
]


class H2ErrorCode(enum.IntEnum):
    """HTTP/2 error codes (RFC 9113 section 7)."""

    NO_ERROR = 0x0
    PROTOCOL_ERROR = 0x1
    INTERNAL_ERROR = 0x2
    FLOW_CONTROL_ERROR = 0x3
    SETTINGS_TIMEOUT = 0x4
    STREAM_CLOSED = 0x5
    FRAME_SIZE_ERROR = 0x6
    REFUSED_STREAM = 0x7
    CANCEL = 0x8
    COMPRESSION_ERROR = 0x9
    CONNECT_ERROR = 0xA
    ENHANCE_YOUR_CALM = 0xB
    INADEQUATE_SECURITY = 0xC
    HTTP_1_1_REQUIRED = 0xD


class HTTPRemoteError(RemoteProtocolError):
    """The HTTP peer broke the rules; ``code`` is what the machine told it."""

    code: int

    def __init__(self, message: str, *, code: int) -> None:
        super().__init__(message, code=code)


class H1RemoteError(HTTPRemoteError):
    """An HTTP/1.1 peer broke the rules.

    ``status`` (also ``code``) is the HTTP status of the error response the
    server machine queued before closing (a client machine just closes).
    """

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message, code=status)
        self.status = status


class H2RemoteError(HTTPRemoteError):
    """An HTTP/2 peer broke the rules: a connection error (RFC 9113 section 5.4.1).

    ``error_code`` (also ``code``) went out in the GOAWAY frame.
    """

    def __init__(self, message: str, *, error_code: int = H2ErrorCode.PROTOCOL_ERROR) -> None:
        super().__init__(message, code=int(error_code))
        self.error_code = _named(error_code)


class H2StreamError(H2RemoteError):
    """An HTTP/2 peer broke the rules of one stream (RFC 9113 section 5.4.2).

    ``error_code`` went out in the RST_STREAM frame for ``stream_id``; the
    connection goes on.
    """

    def __init__(
        self, message: str, *, stream_id: int, error_code: int = H2ErrorCode.PROTOCOL_ERROR
    ) -> None:
        super().__init__(message, error_code=error_code)
        self.stream_id = stream_id


def _named(code: int) -> int:
    """The :class:`H2ErrorCode` member for ``code`` when there is one."""
    try:
        return H2ErrorCode(code)
    except ValueError:
        return int(code)
