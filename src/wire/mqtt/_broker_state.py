"""The broker's per-connection state machine, as data.

A network connection starts in ``AWAIT_CONNECT``; the first packet must be
CONNECT ([MQTT-3.1.0-1]). ``CONNECTED`` lasts until DISCONNECT, a protocol
error, a keep-alive timeout, a session take-over or the end of the stream.
``CLOSED`` is terminal. Anything missing from the table is a protocol error.
AUTH is absent: this broker offers no enhanced authentication method, so a
CONNECT naming one is refused with 0x8C.
"""

from __future__ import annotations

import enum

from wire.mqtt._reason_codes import PacketType

__all__ = ["ConnectionState", "TRANSITIONS", "allowed_packets"]


class ConnectionState(enum.Enum):
    AWAIT_CONNECT = "await-connect"
    CONNECTED = "connected"
    CLOSED = "closed"


_S = ConnectionState
_P = PacketType

#: (state, packet type received from the client) -> next state.
TRANSITIONS: dict[tuple[ConnectionState, PacketType], ConnectionState] = {
    (_S.AWAIT_CONNECT, _P.CONNECT): _S.CONNECTED,
    **{
        (_S.CONNECTED, packet): _S.CONNECTED
        for packet in (
            _P.PUBLISH,
            _P.PUBACK,
            _P.PUBREC,
            _P.PUBREL,
            _P.PUBCOMP,
            _P.SUBSCRIBE,
            _P.UNSUBSCRIBE,
            _P.PINGREQ,
        )
    },
    (_S.CONNECTED, _P.DISCONNECT): _S.CLOSED,
}


def allowed_packets(state: ConnectionState) -> frozenset[PacketType]:
    """The packet types a client may send in ``state``."""
    return frozenset(packet for (origin, packet) in TRANSITIONS if origin is state)
