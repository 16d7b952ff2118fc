"""HTTP/1.1 and HTTP/2, Sans-IO, over h11 and h2.

One event vocabulary for both versions (:class:`Request`, :class:`Response`,
:class:`Data`, :class:`Trailers`, :class:`EndOfMessage`, :class:`StreamReset`,
:class:`ProtocolSwitch`, ...), client and server machines for each version, and
:class:`HTTPConnection`, which picks the version (HTTP/1.1, HTTP/2 by prior
knowledge or by ``Upgrade: h2c``) and forwards to it.

The REST toolkit lives in :mod:`wire.http.rest` (``App``, routes, problem
details, content negotiation, conditional requests, CORS, compression,
Server-Sent Events, OpenAPI); its main names are here too.
"""

from wire.http import rest
from wire.http._connection import HTTPConnection
from wire.http._errors import (
    H1RemoteError,
    H2ErrorCode,
    H2RemoteError,
    H2StreamError,
    HTTPRemoteError,
)
from wire.http._events import (
    MAX_STREAM_ID,
    ConnectionClosed,
    Data,
    EndOfMessage,
    Event,
    GoAway,
    InformationalResponse,
    ProtocolSwitch,
    Request,
    Response,
    StreamReset,
    Trailers,
)
from wire.http._h1 import H1Config, H1Connection
from wire.http._h2 import PREFACE as H2_PREFACE
from wire.http._h2 import H2Config, H2Connection
from wire.http._rest import CORS, App, Compression, HTTPProblem, Limits
from wire.http._rest_demo import demo_app
from wire.http._state import ConnectionState, Role, state_diagram

__all__ = [
    "CORS",
    "H2_PREFACE",
    "MAX_STREAM_ID",
    "App",
    "Compression",
    "ConnectionClosed",
    "ConnectionState",
    "Data",
    "EndOfMessage",
    "Event",
    "GoAway",
    "H1Config",
    "H1Connection",
    "H1RemoteError",
    "H2Config",
    "H2Connection",
    "H2ErrorCode",
    "H2RemoteError",
    "H2StreamError",
    "HTTPConnection",
    "HTTPProblem",
    "HTTPRemoteError",
    "InformationalResponse",
    "Limits",
    "ProtocolSwitch",
    "Request",
    "Response",
    "Role",
    "StreamReset",
    "Trailers",
    "demo_app",
    "rest",
    "state_diagram",
]
