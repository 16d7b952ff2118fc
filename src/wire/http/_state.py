"""The HTTP exchange and connection state machines, as data.

:data:`MESSAGE_TRANSITIONS` maps ``(side, state, input) -> next state`` for
one message of an exchange: the request (sent by the client) or the response
(sent by the server). The table is role-blind: a client checks what it sends
against the ``REQUEST`` side and tracks what it receives on the ``RESPONSE``
side, a server the other way round, and nothing here asks which role is
asking. Both HTTP versions use it; anything missing from it is refused
(``send()`` raises :class:`~wire.errors.LocalProtocolError` and changes nothing).

:data:`CONNECTION_TRANSITIONS` maps ``(state, input) -> next state`` for the
connection: open, draining after a GOAWAY (ours or the peer's), closed.

:func:`state_diagram` renders either table as Mermaid for the docs.
"""

from __future__ import annotations

import enum
from typing import Final

from wire.errors import LocalProtocolError
from wire.http._events import (
    Data,
    EndOfMessage,
    Event,
    InformationalResponse,
    ProtocolSwitch,
    Request,
    Response,
    Trailers,
    content_length,
)

__all__ = [
    "CONNECTION_TRANSITIONS",
    "Exchange",
    "ConnectionInput",
    "ConnectionState",
    "MESSAGE_TRANSITIONS",
    "MessageInput",
    "MessageState",
    "Role",
    "Side",
    "check_role",
    "check_send",
    "commit_receive",
    "commit_send",
    "reset",
    "state_diagram",
]


class Role(enum.Enum):
    """Which end of the connection a machine is."""

    # Members are singletons compared by identity, so the identity hash is
    # consistent with equality, and it is C code: Enum's own __hash__ is a
    # Python call, paid in every lookup of the transition tables (about 4%
    # of a server's request). The same line in each enum of this module.
    __hash__ = object.__hash__

    CLIENT = "client"
    SERVER = "server"


class Side(enum.Enum):
    """Which message of an exchange."""

    __hash__ = object.__hash__

    REQUEST = "request"
    RESPONSE = "response"


class MessageState(enum.Enum):
    """Where one message stands."""

    __hash__ = object.__hash__

    #: Nothing yet (a response may have had 1xx heads).
    IDLE = "idle"
    #: The head is out; body data may follow.
    BODY = "body"
    #: Trailers are out; only the end may follow.
    TRAILERS = "trailers"
    #: Complete.
    DONE = "done"
    #: The exchange switched protocols: data flows until the end.
    TUNNEL = "tunnel"
    #: Abandoned (reset, or the connection ended first).
    CLOSED = "closed"


class MessageInput(enum.Enum):
    """What moves a message."""

    __hash__ = object.__hash__

    HEAD = "head"
    INFORMATIONAL = "1xx"
    SWITCH = "protocol switch"
    DATA = "data"
    TRAILERS = "trailers"
    END = "end"
    RESET = "reset"


_Q = Side.REQUEST
_R = Side.RESPONSE
_S = MessageState
_I = MessageInput

#: (side, state, input) -> next state. Missing triples are refused.
MESSAGE_TRANSITIONS: Final[dict[tuple[Side, MessageState, MessageInput], MessageState]] = {
    # The head opens a message; a response may be preceded by 1xx heads, or
    # replaced by a protocol switch (RFC 9110 section 15.2.2, RFC 8441 section 5).
    (_Q, _S.IDLE, _I.HEAD): _S.BODY,
    (_R, _S.IDLE, _I.INFORMATIONAL): _S.IDLE,
    (_R, _S.IDLE, _I.HEAD): _S.BODY,
    (_R, _S.IDLE, _I.SWITCH): _S.TUNNEL,
    # A switch also turns the request into a tunnel, whether its body is still
    # coming (CONNECT) or complete (HTTP/1.1 Upgrade).
    (_Q, _S.BODY, _I.SWITCH): _S.TUNNEL,
    (_Q, _S.DONE, _I.SWITCH): _S.TUNNEL,
    **{
        (side, state, inp): target
        for side in Side
        for state, inp, target in (
            (_S.BODY, _I.DATA, _S.BODY),
            (_S.BODY, _I.TRAILERS, _S.TRAILERS),
            (_S.BODY, _I.END, _S.DONE),
            (_S.TRAILERS, _I.END, _S.DONE),
            (_S.TUNNEL, _I.DATA, _S.TUNNEL),
            (_S.TUNNEL, _I.END, _S.DONE),
        )
    },
    # Any message not yet closed can be abandoned.
    **{
        (side, state, _I.RESET): _S.CLOSED
        for side in Side
        for state in (_S.IDLE, _S.BODY, _S.TRAILERS, _S.DONE, _S.TUNNEL)
    },
}


class ConnectionState(enum.Enum):
    """Where the connection stands."""

    __hash__ = object.__hash__

    OPEN = "open"
    #: A GOAWAY went out or came in: no new exchanges, the others finish.
    DRAINING = "draining"
    #: Over; reported once with ConnectionClosed.
    CLOSED = "closed"


class ConnectionInput(enum.Enum):
    """What moves the connection."""

    __hash__ = object.__hash__

    SEND_GOAWAY = "send GoAway"
    RECV_GOAWAY = "receive GOAWAY"
    EXCHANGES_DONE = "last exchange done while draining"
    SEND_CLOSE = "send ConnectionClosed"
    RECV_EOF = "end of stream"
    PROTOCOL_ERROR = "peer broke a rule"
    TIMEOUT = "timer expired"


_C = ConnectionState
_CI = ConnectionInput

#: (state, input) -> next state. Missing pairs are refused.
CONNECTION_TRANSITIONS: Final[dict[tuple[ConnectionState, ConnectionInput], ConnectionState]] = {
    (_C.OPEN, _CI.SEND_GOAWAY): _C.DRAINING,
    (_C.OPEN, _CI.RECV_GOAWAY): _C.DRAINING,
    (_C.DRAINING, _CI.SEND_GOAWAY): _C.DRAINING,
    (_C.DRAINING, _CI.RECV_GOAWAY): _C.DRAINING,
    (_C.DRAINING, _CI.EXCHANGES_DONE): _C.CLOSED,
    **{
        (state, inp): _C.CLOSED
        for state in (_C.OPEN, _C.DRAINING)
        for inp in (_CI.SEND_CLOSE, _CI.RECV_EOF, _CI.PROTOCOL_ERROR, _CI.TIMEOUT)
    },
    # The end of a stream that is already over is not news.
    (_C.CLOSED, _CI.RECV_EOF): _C.CLOSED,
}


class Exchange:
    """One exchange: the state of its two messages and the facts their rules use.

    The connection machines keep one per stream (HTTP/2) or per request
    (HTTP/1.1). :meth:`target` looks a move up in :data:`MESSAGE_TRANSITIONS`
    without making it, so a refused ``send()`` changes nothing.
    """

    __slots__ = (
        "method",
        "protocol",
        "request",
        "response",
        "sent",
        "sent_length",
        "status",
        "stream_id",
        "trailers",
    )

    def __init__(self, stream_id: int) -> None:
        self.stream_id = stream_id
        self.request = MessageState.IDLE
        self.response = MessageState.IDLE
        #: The request method and protocol, once the request head is known.
        self.method = b""
        self.protocol: bytes | None = None
        #: The final status, once the response head is known.
        self.status = 0
        #: Body octets we sent, and the content-length we declared for them.
        self.sent = 0
        self.sent_length: int | None = None
        #: Trailers sent and held until the end of the message.
        self.trailers: tuple[tuple[bytes, bytes], ...] = ()

    def state(self, side: Side) -> MessageState:
        """The state of one message."""
        return self.request if side is Side.REQUEST else self.response

    def target(self, side: Side, inp: MessageInput) -> MessageState | None:
        """Where ``inp`` would move ``side``, or ``None`` if the table refuses it."""
        return MESSAGE_TRANSITIONS.get((side, self.state(side), inp))

    def move(self, side: Side, inp: MessageInput) -> None:
        """Make a move the table allows (the caller checked :meth:`target`)."""
        new = MESSAGE_TRANSITIONS[side, self.state(side), inp]
        if side is Side.REQUEST:
            self.request = new
        else:
            self.response = new

    @property
    def response_has_body(self) -> bool:
        """Whether the response may carry content (RFC 9110 sections 6.4.1, 9.3.2)."""
        return self.method != b"HEAD" and self.status not in (204, 304)

    @property
    def finished(self) -> bool:
        """Both messages are complete or abandoned."""
        ends = (MessageState.DONE, MessageState.CLOSED)
        return self.request in ends and self.response in ends


#: What each event is for a message, and which role sends it.
_INPUTS: Final[dict[type, tuple[MessageInput, Role | None]]] = {
    Request: (MessageInput.HEAD, Role.CLIENT),
    InformationalResponse: (MessageInput.INFORMATIONAL, Role.SERVER),
    Response: (MessageInput.HEAD, Role.SERVER),
    ProtocolSwitch: (MessageInput.SWITCH, Role.SERVER),
    Data: (MessageInput.DATA, None),
    Trailers: (MessageInput.TRAILERS, None),
    EndOfMessage: (MessageInput.END, None),
}


def check_role(role: Role, event: Event) -> None:
    """Refuse an event that ``role`` never sends (whatever the state).

    Raises:
        LocalProtocolError: a client sending a response, or a server a request.
    """
    entry = _INPUTS.get(type(event))
    if entry is not None and entry[1] is not None and entry[1] is not role:
        raise LocalProtocolError(f"a {role.value} does not send {type(event).__name__}")


def check_send(exchange: Exchange, role: Role, event: Event) -> tuple[Side, MessageInput]:
    """Check that ``role`` may send ``event`` on ``exchange`` now; change nothing.

    :func:`check_role` has been applied. The rules both versions share: the
    table, the body a message may carry (content-length, responses without
    content), and how CONNECT and upgrades are accepted.

    Returns:
        The side of the exchange the event moves, and how.

    Raises:
        LocalProtocolError: the event is not allowed now.
    """
    inp, _ = _INPUTS[type(event)]
    side = Side.REQUEST if role is Role.CLIENT else Side.RESPONSE
    if exchange.target(side, inp) is None:
        raise LocalProtocolError(
            f"{type(event).__name__} is not allowed when the {side.value} is "
            f"{exchange.state(side).value}"
        )
    if isinstance(event, Response):
        if exchange.method == b"CONNECT" and 200 <= event.status <= 299:
            raise LocalProtocolError("accept a CONNECT with ProtocolSwitch, not a 2xx Response")
    elif isinstance(event, ProtocolSwitch):
        if exchange.protocol is None and exchange.method != b"CONNECT":
            raise LocalProtocolError("the request asked for no protocol switch")
        if event.protocol != exchange.protocol:
            raise LocalProtocolError(f"the request asked for {exchange.protocol!r}")
    elif (
        isinstance(event, Data | Trailers)
        and side is Side.REQUEST
        and exchange.state(side) is MessageState.BODY
        and (exchange.protocol is not None or exchange.method == b"CONNECT")
    ):
        raise LocalProtocolError("a tunnel carries data only after the ProtocolSwitch")
    elif isinstance(event, Data) and exchange.state(side) is MessageState.BODY:
        if event.data and side is Side.RESPONSE and not exchange.response_has_body:
            raise LocalProtocolError(
                f"a response to {exchange.method.decode()} "
                f"with status {exchange.status} has no content"
            )
        declared = exchange.sent_length
        if declared is not None and exchange.sent + len(event.data) > declared:
            raise LocalProtocolError(f"more data than the declared content-length {declared}")
    elif isinstance(event, EndOfMessage) and exchange.state(side) is not MessageState.TUNNEL:
        declared = exchange.sent_length
        if (
            declared is not None
            and exchange.sent < declared
            and (side is Side.REQUEST or exchange.response_has_body)
        ):
            raise LocalProtocolError(
                f"{exchange.sent} octets sent, content-length declared {declared}"
            )
    return side, inp


def commit_send(exchange: Exchange, side: Side, inp: MessageInput, event: Event) -> None:
    """Record a send that :func:`check_send` allowed."""
    if isinstance(event, Request | Response):
        exchange.sent_length = content_length(event.headers)
    elif isinstance(event, Data):
        exchange.sent += len(event.data)
    elif isinstance(event, Trailers):
        exchange.trailers = event.headers
    commit_receive(exchange, side, inp, event)


def commit_receive(exchange: Exchange, side: Side, inp: MessageInput, event: Event) -> None:
    """Record a move of ``side`` (sent, or received and already validated)."""
    if isinstance(event, Request):
        exchange.method = event.method
        exchange.protocol = event.protocol
    elif isinstance(event, Response):
        exchange.status = event.status
    elif isinstance(event, ProtocolSwitch):
        exchange.status = 200
        exchange.move(Side.REQUEST, MessageInput.SWITCH)
    exchange.move(side, inp)


def reset(exchange: Exchange) -> None:
    """Abandon both messages of an exchange (not abandoned yet)."""
    for side in Side:
        exchange.move(side, MessageInput.RESET)


def state_diagram(side: Side | None = None) -> str:
    """A Mermaid ``stateDiagram-v2`` of one message side, or of the connection.

    Args:
        side: The message side to draw; ``None`` draws the connection table.

    Returns:
        The diagram source, inputs grouped per edge.
    """
    edges: dict[tuple[str, str], list[str]] = {}
    if side is None:
        start = ConnectionState.OPEN.name
        for (origin, conn_input), target in CONNECTION_TRANSITIONS.items():
            edges.setdefault((origin.name, target.name), []).append(conn_input.value)
    else:
        start = MessageState.IDLE.name
        for (which, origin_state, message_input), target_state in MESSAGE_TRANSITIONS.items():
            if which is side:
                key = (origin_state.name, target_state.name)
                edges.setdefault(key, []).append(message_input.value)
    lines = ["stateDiagram-v2", f"    [*] --> {start}"]
    for (origin_name, target_name), labels in edges.items():
        lines.append(f"    {origin_name} --> {target_name}: {', '.join(labels)}")
    return "\n".join(lines) + "\n"
