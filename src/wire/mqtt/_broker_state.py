"""The broker's per-connection state machine, as data.

A network connection starts in ``AWAIT_CONNECT``; the first packet must be
CONNECT ([MQTT-3.1.0-1]). An accepted CONNECT moves it to ``CONNECTED``, a
refused one to ``CLOSED`` ([MQTT-3.2.2-7]). ``CONNECTED`` lasts until
DISCONNECT, a protocol error, a keep-alive timeout, a session take-over or the
end of the stream. ``CLOSED`` is terminal: nothing received after it is
processed ([MQTT-3.1.4-6]). Anything missing from the table is a protocol
error: a second CONNECT ([MQTT-3.1.0-2]), a packet only a server sends, and
AUTH, since this broker offers no enhanced authentication method (a CONNECT
naming one is refused with 0x8C, [MQTT-4.12.0-1]).
"""

from __future__ import annotations

import enum

from wire.mqtt._reason_codes import PacketType

__all__ = ["ConnectionState", "TRANSITIONS"]


class ConnectionState(enum.Enum):
    AWAIT_CONNECT = "await-connect"
    CONNECTED = "connected"
    CLOSED = "closed"


_S = ConnectionState
_P = PacketType

#: (state, packet type received from the client) -> next state when the packet
#: is accepted; the handler of a packet may end the connection instead.
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
