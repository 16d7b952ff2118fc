"""The MQTT client's per-network-connection state machine, as data.

:data:`TRANSITIONS` maps ``(state, input) -> next state``. Inputs are the
caller's requests (``connect()``, ``publish()``, ...), the packets received from
the broker, the end of the byte stream and the two clock events. Anything
missing from the table is refused: a missing caller input raises
:class:`~wire.errors.LocalProtocolError` and leaves the state unchanged; a
missing received packet is a protocol error of the broker (reason code 0x82).

The session (in-flight messages, packet identifiers, QoS 2 deduplication)
outlives network connections and is not part of this table: ``DISCONNECTED``
means "no network connection", not "no session".

Enhanced authentication (MQTT 5.0 section 4.12) gets its own states because it
is a lock-step exchange: ``AUTHENTICATING`` and ``REAUTH_CHALLENGED`` are the
states where the broker waits for our AUTH, ``REAUTHENTICATING`` the one where
we wait for the broker's. Application traffic continues during
re-authentication (section 4.12.1).

:func:`state_diagram` renders the table as a Mermaid diagram for the docs.
"""

from __future__ import annotations

import enum
from typing import Final

from wire.mqtt._reason_codes import PacketType, ReasonCode

__all__ = [
    "ClientInput",
    "ClientState",
    "TRANSITIONS",
    "allowed_inputs",
    "input_for_packet",
    "state_diagram",
]


class ClientState(enum.Enum):
    """Where the client's current network connection stands."""

    #: No network connection (initial state, and after any close).
    DISCONNECTED = "disconnected"
    #: CONNECT sent, waiting for CONNACK (or, in 5.0, an AUTH challenge).
    CONNECTING = "connecting"
    #: The broker sent AUTH 0x18 during the connect; it waits for our AUTH.
    AUTHENTICATING = "authenticating"
    #: CONNACK 0x00 received: the session is live.
    CONNECTED = "connected"
    #: We sent AUTH (re-authentication); waiting for the broker's AUTH.
    REAUTHENTICATING = "reauthenticating"
    #: The broker sent AUTH 0x18 during re-authentication; it waits for ours.
    REAUTH_CHALLENGED = "reauth-challenged"


class ClientInput(enum.Enum):
    """Everything that can move the machine."""

    # The caller.
    CONNECT = "connect()"
    PUBLISH = "publish()"
    SUBSCRIBE = "subscribe()"
    UNSUBSCRIBE = "unsubscribe()"
    AUTH_CONTINUE = "auth(0x18)"
    AUTH_REAUTHENTICATE = "auth(0x19)"
    DISCONNECT = "disconnect()"
    CONNECTION_LOST = "connection_lost()"
    # The broker.
    RECV_CONNECT = "CONNECT"
    RECV_CONNACK = "CONNACK 0x00"
    RECV_CONNACK_REFUSED = "CONNACK >= 0x80"
    RECV_PUBLISH = "PUBLISH"
    RECV_PUBACK = "PUBACK"
    RECV_PUBREC = "PUBREC"
    RECV_PUBREL = "PUBREL"
    RECV_PUBCOMP = "PUBCOMP"
    RECV_SUBSCRIBE = "SUBSCRIBE"
    RECV_SUBACK = "SUBACK"
    RECV_UNSUBSCRIBE = "UNSUBSCRIBE"
    RECV_UNSUBACK = "UNSUBACK"
    RECV_PINGREQ = "PINGREQ"
    RECV_PINGRESP = "PINGRESP"
    RECV_DISCONNECT = "DISCONNECT"
    RECV_AUTH_SUCCESS = "AUTH 0x00"
    RECV_AUTH_CONTINUE = "AUTH 0x18"
    RECV_AUTH_REAUTHENTICATE = "AUTH 0x19"
    EOF = "end of stream"
    PROTOCOL_ERROR = "protocol error"
    # The clock.
    KEEP_ALIVE = "keep-alive due"
    TIMEOUT = "no answer in time"


_S = ClientState
_I = ClientInput

_BY_PACKET_TYPE: Final = {
    PacketType.CONNECT: _I.RECV_CONNECT,
    PacketType.PUBLISH: _I.RECV_PUBLISH,
    PacketType.PUBACK: _I.RECV_PUBACK,
    PacketType.PUBREC: _I.RECV_PUBREC,
    PacketType.PUBREL: _I.RECV_PUBREL,
    PacketType.PUBCOMP: _I.RECV_PUBCOMP,
    PacketType.SUBSCRIBE: _I.RECV_SUBSCRIBE,
    PacketType.SUBACK: _I.RECV_SUBACK,
    PacketType.UNSUBSCRIBE: _I.RECV_UNSUBSCRIBE,
    PacketType.UNSUBACK: _I.RECV_UNSUBACK,
    PacketType.PINGREQ: _I.RECV_PINGREQ,
    PacketType.PINGRESP: _I.RECV_PINGRESP,
    PacketType.DISCONNECT: _I.RECV_DISCONNECT,
}

_AUTH_BY_REASON: Final = {
    ReasonCode.SUCCESS: _I.RECV_AUTH_SUCCESS,
    ReasonCode.CONTINUE_AUTHENTICATION: _I.RECV_AUTH_CONTINUE,
    ReasonCode.RE_AUTHENTICATE: _I.RECV_AUTH_REAUTHENTICATE,
}


def input_for_packet(packet_type: PacketType, reason_code: int) -> ClientInput:
    """The input a packet received from the broker is.

    ``reason_code`` matters for CONNACK (accepted or refused) and AUTH, whose
    decoder admits only 0x00, 0x18 and 0x19 (section 3.15.2.1).
    """
    if packet_type is PacketType.CONNACK:
        return _I.RECV_CONNACK_REFUSED if reason_code else _I.RECV_CONNACK
    if packet_type is PacketType.AUTH:
        return _AUTH_BY_REASON[ReasonCode(reason_code)]
    return _BY_PACKET_TYPE[packet_type]


#: Inputs that end the network connection from any state that has one.
_ENDINGS: Final = (_I.DISCONNECT, _I.CONNECTION_LOST, _I.EOF, _I.PROTOCOL_ERROR, _I.TIMEOUT)

#: Application traffic, allowed while the session is live (re-authentication included).
_TRAFFIC: Final = (
    _I.PUBLISH,
    _I.SUBSCRIBE,
    _I.UNSUBSCRIBE,
    _I.RECV_PUBLISH,
    _I.RECV_PUBACK,
    _I.RECV_PUBREC,
    _I.RECV_PUBREL,
    _I.RECV_PUBCOMP,
    _I.RECV_SUBACK,
    _I.RECV_UNSUBACK,
    _I.RECV_PINGRESP,
    _I.KEEP_ALIVE,
)

_LIVE: Final = (_S.CONNECTED, _S.REAUTHENTICATING, _S.REAUTH_CHALLENGED)

#: (state, input) -> next state. Missing pairs are refused (see the module docstring).
TRANSITIONS: Final[dict[tuple[ClientState, ClientInput], ClientState]] = {
    # A new network connection. The end of a connection that is already over
    # is not news: a driver reports its socket closing after we asked for it.
    (_S.DISCONNECTED, _I.CONNECT): _S.CONNECTING,
    (_S.DISCONNECTED, _I.CONNECTION_LOST): _S.DISCONNECTED,
    (_S.DISCONNECTED, _I.EOF): _S.DISCONNECTED,
    # CONNECT sent. [MQTT-3.2.0-1]: the broker's first packet is CONNACK, or AUTH
    # when we asked for enhanced authentication (section 4.12). The broker may
    # refuse at any point of the exchange ([MQTT-4.12.0-4]).
    (_S.CONNECTING, _I.RECV_CONNACK): _S.CONNECTED,
    (_S.CONNECTING, _I.RECV_CONNACK_REFUSED): _S.DISCONNECTED,
    (_S.CONNECTING, _I.RECV_AUTH_CONTINUE): _S.AUTHENTICATING,
    (_S.AUTHENTICATING, _I.AUTH_CONTINUE): _S.CONNECTING,
    (_S.AUTHENTICATING, _I.RECV_CONNACK_REFUSED): _S.DISCONNECTED,
    **{
        (state, ending): _S.DISCONNECTED
        for state in (_S.CONNECTING, _S.AUTHENTICATING)
        for ending in _ENDINGS
    },
    # The live session. [MQTT-3.14.0-1]: the broker may DISCONNECT only after CONNACK.
    **{(state, traffic): state for state in _LIVE for traffic in _TRAFFIC},
    **{(state, ending): _S.DISCONNECTED for state in _LIVE for ending in _ENDINGS},
    **{(state, _I.RECV_DISCONNECT): _S.DISCONNECTED for state in _LIVE},
    # Re-authentication, section 4.12.1: only the client starts it, the broker
    # challenges (0x18) or ends it (0x00).
    (_S.CONNECTED, _I.AUTH_REAUTHENTICATE): _S.REAUTHENTICATING,
    (_S.REAUTHENTICATING, _I.RECV_AUTH_CONTINUE): _S.REAUTH_CHALLENGED,
    (_S.REAUTHENTICATING, _I.RECV_AUTH_SUCCESS): _S.CONNECTED,
    (_S.REAUTH_CHALLENGED, _I.AUTH_CONTINUE): _S.REAUTHENTICATING,
}


def allowed_inputs(state: ClientState) -> frozenset[ClientInput]:
    """The inputs the machine accepts in ``state``."""
    return frozenset(inp for (origin, inp) in TRANSITIONS if origin is state)


def state_diagram() -> str:
    """The table as a Mermaid ``stateDiagram-v2``, inputs grouped per edge."""
    edges: dict[tuple[ClientState, ClientState], list[str]] = {}
    for (origin, inp), target in TRANSITIONS.items():
        edges.setdefault((origin, target), []).append(inp.value)
    lines = ["stateDiagram-v2", f"    [*] --> {_S.DISCONNECTED.name}"]
    for (origin, target), labels in edges.items():
        lines.append(f"    {origin.name} --> {target.name}: {', '.join(labels)}")
    return "\n".join(lines) + "\n"
