"""Interop: wire.ws against wsproto's own WSConnection as the peer, both roles, in memory.

The opening handshake goes through our HTTP/1.1 machine (wire.http.H1Connection)
on our side and wsproto's h11-based handshake on the other, so Upgrade,
Sec-WebSocket-Key/Accept, subprotocol and permessage-deflate negotiation are
all checked against an implementation nobody here wrote. After the 101 the
bytes flow as Data events of the HTTP tunnel, as a driver would move them.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from tests.peers import require_module

from wire import http, ws


@pytest.fixture(autouse=True)
def _wsproto() -> None:
    require_module("wsproto")


def _wsproto_api() -> Any:
    import wsproto
    from wsproto import events
    from wsproto.extensions import PerMessageDeflate

    return wsproto, events, PerMessageDeflate


class OurEnd:
    """Our HTTP/1.1 machine, and after the switch our WebSocket machine in its tunnel."""

    def __init__(self, role: http.Role) -> None:
        self.http = http.H1Connection(role)
        self.ws: ws.WSConnection | None = None
        self.stream_id = 1
        self.events: list[Any] = []

    def feed(self, data: bytes) -> None:
        if not data:
            self.http.receive_eof()
        else:
            self.http.receive_data(data)
        for event in self.http.events():
            if isinstance(event, http.Data) and self.ws is not None:
                self.ws.receive_data(event.data)
            elif isinstance(event, http.EndOfMessage) and self.ws is not None:
                self.ws.receive_eof()
            else:
                self.events.append(event)
        if self.ws is not None:
            self.events += self.ws.events()

    def output(self) -> bytes:
        if self.ws is not None:
            for chunk in self.ws.data_to_send():
                if chunk:
                    self.http.send(http.Data(self.stream_id, chunk))
                else:
                    self.http.send(http.EndOfMessage(self.stream_id))
        return b"".join(self.http.data_to_send())


def wsproto_send(conn: Any, event: Any) -> bytes:
    return bytes(conn.send(event))


def test_our_server_with_a_wsproto_client() -> None:
    wsproto, events, PerMessageDeflate = _wsproto_api()
    peer = wsproto.WSConnection(wsproto.ConnectionType.CLIENT)
    ours = OurEnd(http.Role.SERVER)
    ours.feed(
        wsproto_send(
            peer,
            events.Request(
                host="example.com",
                target="/chat",
                subprotocols=["v2.chat", "chat"],
                extensions=[PerMessageDeflate()],
            ),
        )
    )
    request = ours.events[0]
    assert isinstance(request, http.Request)
    assert request.protocol == b"websocket"
    ours.events.clear()
    handshake = ws.ServerHandshake(request)
    switch, negotiated = handshake.accept(subprotocol="chat", deflate=ws.DeflateConfig())
    ours.http.send(switch)
    ours.ws = ws.WSConnection.from_handshake(negotiated)
    peer.receive_data(ours.output())
    [accepted] = list(peer.events())
    assert isinstance(accepted, events.AcceptConnection)
    assert accepted.subprotocol == "chat"
    assert [type(e).__name__ for e in accepted.extensions] == ["PerMessageDeflate"]
    assert negotiated.deflate is not None

    # Messages both ways, compressed, one of them large and fragmented by the peer.
    big = os.urandom(200_000)
    data = wsproto_send(peer, events.TextMessage("hello, wire")) + wsproto_send(
        peer, events.BytesMessage(big[:100_000], message_finished=False)
    )
    data += wsproto_send(peer, events.Ping(b"ping!")) + wsproto_send(
        peer, events.BytesMessage(big[100_000:])
    )
    ours.feed(data)
    assert ours.events == [ws.TextMessage("hello, wire"), ws.Ping(b"ping!"), ws.BytesMessage(big)]
    ours.events.clear()
    ours.ws.send(ws.TextMessage("héllo back " * 50))
    ours.ws.send(ws.BytesMessage(big))
    ours.ws.send(ws.Ping(b"our ping"))
    peer.receive_data(ours.output())
    got = list(peer.events())
    assert isinstance(got[0], events.Pong) and got[0].payload == b"ping!"
    assert isinstance(got[1], events.TextMessage) and got[1].data == "héllo back " * 50
    assert isinstance(got[2], events.BytesMessage) and got[2].data == big
    assert isinstance(got[3], events.Ping) and got[3].payload == b"our ping"
    ours.feed(wsproto_send(peer, got[3].response()))
    assert ours.events == [ws.Pong(b"our ping")]
    ours.events.clear()

    # The peer closes; our machine answers and, being the server, ends the stream.
    ours.feed(wsproto_send(peer, events.CloseConnection(code=1001, reason="bye")))
    assert ours.events == [ws.Close(1001, "bye"), ws.ConnectionClosed(1001, "bye")]
    peer.receive_data(ours.output())
    [close] = list(peer.events())
    assert isinstance(close, events.CloseConnection) and close.code == 1001
    assert peer.state is wsproto.connection.ConnectionState.CLOSED


@pytest.mark.parametrize("deflate", [True, False])
def test_our_client_with_a_wsproto_server(deflate: bool) -> None:
    wsproto, events, PerMessageDeflate = _wsproto_api()
    peer = wsproto.WSConnection(wsproto.ConnectionType.SERVER)
    ours = OurEnd(http.Role.CLIENT)
    handshake = ws.ClientHandshake(
        nonce=os.urandom(16),
        subprotocols=["chat"],
        deflate=ws.DeflateConfig(client_max_window_bits=12) if deflate else None,
        headers=((b"origin", b"http://example.com"),),
    )
    ours.http.send(handshake.request(b"/chat", b"example.com"))
    peer.receive_data(ours.output())
    [request] = list(peer.events())
    assert isinstance(request, events.Request)
    assert request.subprotocols == ["chat"]
    extensions = [PerMessageDeflate()] if deflate else []
    peer_bytes = wsproto_send(
        peer, events.AcceptConnection(subprotocol="chat", extensions=extensions)
    )
    ours.feed(peer_bytes)
    [switch] = ours.events
    ours.events.clear()
    negotiated = handshake.accept(switch)
    assert negotiated.subprotocol == "chat"
    assert (negotiated.deflate is not None) is deflate
    ours.ws = ws.WSConnection.from_handshake(negotiated, mask_source=os.urandom)

    ours.ws.send(ws.TextMessage("from our client " * 20))
    for i, piece in enumerate([b"frag-1 ", b"frag-2 ", b"frag-3"]):
        ours.ws.send(ws.MessageFragment(piece, i == 2))
    peer.receive_data(ours.output())
    got = list(peer.events())
    assert isinstance(got[0], events.TextMessage) and got[0].data == "from our client " * 20
    pieces = b"".join(e.data for e in got[1:])
    assert pieces == b"frag-1 frag-2 frag-3" and got[-1].message_finished

    ours.feed(
        wsproto_send(peer, events.TextMessage("from wsproto"))
        + wsproto_send(peer, events.Ping(b"p"))
    )
    assert ours.events == [ws.TextMessage("from wsproto"), ws.Ping(b"p")]
    ours.events.clear()
    peer.receive_data(ours.output())
    [pong] = list(peer.events())
    assert isinstance(pong, events.Pong) and pong.payload == b"p"

    # Our client closes; wsproto answers; the server ends the stream, we follow.
    ours.ws.send(ws.Close(1000, "done"))
    peer.receive_data(ours.output())
    [close] = list(peer.events())
    assert isinstance(close, events.CloseConnection) and close.code == 1000
    ours.feed(wsproto_send(peer, close.response()))
    assert ours.events == [ws.Close(1000, "done")]
    assert ours.ws.state is ws.ConnectionState.FINISHING
    ours.feed(b"")
    assert ours.events[-1] == ws.ConnectionClosed(1000, "done")
