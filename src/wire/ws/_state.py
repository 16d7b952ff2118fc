"""The WebSocket connection state machine, as data.

:data:`TRANSITIONS` maps ``(state, input) -> next state`` for a connection
whose opening handshake is done (RFC 6455 section 4 leaves it OPEN). Inputs are
what the caller sends, what the peer sends, the end of the byte stream and the
clock. Anything missing is refused: a caller's input raises
:class:`~wire.errors.LocalProtocolError` and changes nothing.

The table is role-blind. The one difference between the ends, who closes the
TCP connection first (RFC 6455 section 7.1.1: the server, at once; the client
waits for it), is a policy of the connection, which feeds ``CLOSE_TRANSPORT``
when it decides to; nothing here asks which end is asking.

Bytes received in ``FINISHING`` or ``CLOSED`` are discarded: nothing may follow
the peer's Close frame (section 5.5.1), and a failed connection processes no
more data (section 7.1.7).

:func:`state_diagram` renders the table as Mermaid for the docs.
"""

from __future__ import annotations

import enum
from typing import Final

__all__ = ["ConnectionState", "Input", "TRANSITIONS", "allowed_inputs", "state_diagram"]


class ConnectionState(enum.Enum):
    """Where a WebSocket connection stands."""

    #: Messages flow both ways (RFC 6455 section 4.1, "_The WebSocket Connection is Established_").
    OPEN = "open"
    #: Our Close frame is out; the peer's has not come (section 7.1.2). Data still arrives.
    CLOSE_SENT = "close-sent"
    #: Both Close frames crossed; waiting for the peer to close the stream (section 7.1.1).
    FINISHING = "finishing"
    #: Over; reported once with ConnectionClosed.
    CLOSED = "closed"


class Input(enum.Enum):
    """What moves the machine."""

    # The caller.
    SEND_MESSAGE = "send message"
    SEND_CONTROL = "send Ping/Pong"
    SEND_CLOSE = "send Close"
    # The peer.
    RECV_FRAME = "data, Ping or Pong frame"
    RECV_CLOSE = "Close frame"
    RECV_EOF = "end of stream"
    PROTOCOL_ERROR = "peer broke a rule"
    # The connection's own policy.
    CLOSE_TRANSPORT = "close the stream"
    # The clock.
    KEEPALIVE = "keep-alive ping due"
    TIMEOUT = "timer expired"


_S = ConnectionState
_I = Input

#: (state, input) -> next state. Missing pairs are refused.
TRANSITIONS: Final[dict[tuple[ConnectionState, Input], ConnectionState]] = {
    (_S.OPEN, _I.SEND_MESSAGE): _S.OPEN,
    (_S.OPEN, _I.SEND_CONTROL): _S.OPEN,
    (_S.OPEN, _I.RECV_FRAME): _S.OPEN,
    (_S.OPEN, _I.KEEPALIVE): _S.OPEN,
    # Section 7.1.2: start the closing handshake; section 5.5.1: answer the
    # peer's Close with ours, after which both Close frames have crossed.
    (_S.OPEN, _I.SEND_CLOSE): _S.CLOSE_SENT,
    (_S.OPEN, _I.RECV_CLOSE): _S.FINISHING,
    # After our Close, "the endpoint MUST NOT send any more data frames"
    # (section 5.5.1), but the peer's data still counts until its Close comes.
    (_S.CLOSE_SENT, _I.RECV_FRAME): _S.CLOSE_SENT,
    (_S.CLOSE_SENT, _I.RECV_CLOSE): _S.FINISHING,
    # Section 7.1.1: whoever closes the stream, the connection is over.
    (_S.FINISHING, _I.CLOSE_TRANSPORT): _S.CLOSED,
    (_S.FINISHING, _I.RECV_EOF): _S.CLOSED,
    (_S.FINISHING, _I.TIMEOUT): _S.CLOSED,
    # Section 7.1.7 (fail), section 7.2.1 (the stream ended first), and the
    # timers: keep-alive in OPEN, the closing handshake in CLOSE_SENT.
    **{
        (state, inp): _S.CLOSED
        for state in (_S.OPEN, _S.CLOSE_SENT)
        for inp in (_I.PROTOCOL_ERROR, _I.RECV_EOF, _I.TIMEOUT)
    },
    # The end of a stream that is already over is not news.
    (_S.CLOSED, _I.RECV_EOF): _S.CLOSED,
}


def allowed_inputs(state: ConnectionState) -> frozenset[Input]:
    """The inputs the machine accepts in ``state``."""
    return frozenset(inp for (origin, inp) in TRANSITIONS if origin is state)


def state_diagram() -> str:
    """The table as a Mermaid ``stateDiagram-v2``, inputs grouped per edge."""
    edges: dict[tuple[ConnectionState, ConnectionState], list[str]] = {}
    for (origin, inp), target in TRANSITIONS.items():
        edges.setdefault((origin, target), []).append(inp.value)
    lines = ["stateDiagram-v2", f"    [*] --> {_S.OPEN.name}"]
    for (origin, target), labels in edges.items():
        lines.append(f"    {origin.name} --> {target.name}: {', '.join(labels)}")
    return "\n".join(lines) + "\n"
