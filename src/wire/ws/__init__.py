"""WebSocket (RFC 6455), Sans-IO, over wsproto's frame decoder; permessage-deflate (RFC 7692).

Three pieces:

- the opening handshake as :mod:`wire.http` events, over HTTP/1.1 (Upgrade,
  101) or HTTP/2 (RFC 8441 extended CONNECT, 200): :class:`ClientHandshake`,
  :class:`ServerHandshake`, :func:`reject`; each settles a :class:`Negotiated`
  (role, subprotocol, permessage-deflate parameters);
- :class:`WSConnection`, the connection after the handshake, with the
  contract every family shares;
- the events: :class:`TextMessage`, :class:`BytesMessage`,
  :class:`MessageFragment`, :class:`Ping`, :class:`Pong`, :class:`Close`,
  :class:`ConnectionClosed`.

A server driver, HTTP/1.1 or HTTP/2 alike (``http`` is a
:class:`wire.http.HTTPConnection` or one of its version machines)::

    # a Request with protocol == b"websocket" arrived on stream `sid`
    try:
        hs = ws.ServerHandshake(request)
    except ws.HandshakeError as exc:              # 400, or 426 with the version we speak
        http.send(ws.reject(request, exc)); http.send(EndOfMessage(sid))
        return
    switch, negotiated = hs.accept(
        subprotocol="chat" if "chat" in hs.subprotocols else None,
        deflate=ws.DeflateConfig(),               # or None: no compression
    )
    http.send(switch)                             # 101, or 200 to an extended CONNECT
    conn = ws.WSConnection.from_handshake(negotiated, config=ws.WSConfig())
    conn.tick(trio.current_time())                # timers start here

    # then, per wake-up (bytes are the tunnel's Data, or the raw stream after a 101):
    conn.receive_data(chunk)                      # or conn.receive_eof()
    conn.tick(trio.current_time())
    for event in conn.events():
        match event:
            case ws.TextMessage(text): ...        # a whole message; or MessageFragment
            case ws.BytesMessage(data): ...       #   frames with WSConfig(stream_fragments=True)
            case ws.Ping() | ws.Pong() | ws.Close(): ...   # already answered by the machine
            case ws.ConnectionClosed(code, reason, error): ...  # terminal, once
    for data in conn.data_to_send():              # Pongs, answers, a Close; b"" = close our side
        ...                                       # write (Data / EndOfMessage on HTTP/2)
    # sleep until conn.next_deadline() (None: no timer) or more bytes

    conn.send(ws.TextMessage("hi"))               # LocalProtocolError if not allowed now
    conn.send_message("hi")                       # the same bytes, no event built (hot paths)
    conn.send(ws.Close(1001, "going away"))       # start the closing handshake

    prepared = ws.PreparedMessage(ws.TextMessage("to all"))   # a broadcast: encoded once,
    for conn in everyone: conn.send_prepared(prepared)        # the same bytes as send()

Take the events, then the bytes: when a read holds messages and then a fault
or the peer's Close, the messages come first and may be answered; the Close
the machine owes goes out with the next ``data_to_send()`` (or at the tick
``next_deadline()`` then asks for at once).

A client builds ``ws.ClientHandshake(nonce=os.urandom(16), subprotocols=[...],
deflate=ws.DeflateConfig())``, sends ``.request(b"/path", b"host:port")``
(``http2=True`` for RFC 8441), passes the :class:`~wire.http.ProtocolSwitch`
it gets back to ``.accept(switch)`` (a :class:`HandshakeError` means: drop the
connection), and creates its connection with ``mask_source=os.urandom``.

What the machine does on its own: Pong for every Ping received while open;
the echo of the peer's Close and, on a server, ``b""`` right after it (the
server closes the TCP connection first, RFC 6455 section 7.1.1; a client
waits for that up to ``close_timeout``); Close 1002/1007/1009/1011 and ``b""``
when the peer breaks a rule or exceeds a limit, with the cause in
:attr:`ConnectionClosed.error`; keep-alive pings after ``ping_interval`` of
silence and failing the connection when ``ping_timeout`` passes without a byte.

Backpressure: the machine never buffers more than one message (or, streaming,
one frame) of input, bounded by :class:`WSConfig`; output is whatever was
sent, drained by :meth:`WSConnection.data_to_send`, so a driver applies its
own policy (stop reading while its send buffer is full).

Errors (:mod:`wire.ws._errors`): :class:`WSRemoteError` and its subclasses,
whose ``code`` is the close code sent.
"""

from wire.http import Role
from wire.ws._connection import PreparedMessage, WSConfig, WSConnection
from wire.ws._deflate import DeflateConfig, DeflateParams
from wire.ws._errors import (
    CloseTimeout,
    HandshakeError,
    InternalError,
    InvalidPayload,
    KeepaliveTimeout,
    MessageTooBig,
    ProtocolViolation,
    WSRemoteError,
)
from wire.ws._events import (
    BytesMessage,
    Close,
    CloseCode,
    ConnectionClosed,
    Event,
    MessageFragment,
    Ping,
    Pong,
    TextMessage,
)
from wire.ws._handshake import (
    ClientHandshake,
    Negotiated,
    ServerHandshake,
    accept_token,
    reject,
)
from wire.ws._state import ConnectionState, state_diagram

__all__ = [
    "BytesMessage",
    "ClientHandshake",
    "Close",
    "CloseCode",
    "CloseTimeout",
    "ConnectionClosed",
    "ConnectionState",
    "DeflateConfig",
    "DeflateParams",
    "Event",
    "HandshakeError",
    "InternalError",
    "InvalidPayload",
    "KeepaliveTimeout",
    "MessageFragment",
    "MessageTooBig",
    "Negotiated",
    "Ping",
    "Pong",
    "PreparedMessage",
    "ProtocolViolation",
    "Role",
    "ServerHandshake",
    "TextMessage",
    "WSConfig",
    "WSConnection",
    "WSRemoteError",
    "accept_token",
    "reject",
    "state_diagram",
]
