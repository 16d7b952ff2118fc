"""The connection factory: ALPN, prior-knowledge sniffing, and h2c upgrades."""

from __future__ import annotations

import pytest

from wire.errors import LocalProtocolError
from wire.http._connection import HTTPConnection
from wire.http._events import (
    ConnectionClosed,
    Data,
    EndOfMessage,
    Event,
    InformationalResponse,
    ProtocolSwitch,
    Request,
    Response,
)
from wire.http._h1 import H1Config, H1Connection
from wire.http._h2 import PREFACE, H2Config, H2Connection
from wire.http._state import ConnectionState, Role

CLIENT, SERVER = Role.CLIENT, Role.SERVER
Machine = HTTPConnection | H1Connection | H2Connection


def settle(client: Machine, server: Machine) -> tuple[list[Event], list[Event]]:
    """Move bytes both ways until quiet; return what each side reported."""
    client_events: list[Event] = []
    server_events: list[Event] = []
    for _ in range(6):
        for a, b, sink in ((client, server, server_events), (server, client, client_events)):
            for chunk in a.data_to_send():
                if chunk:
                    b.receive_data(chunk)
                else:
                    b.receive_eof()
            sink += b.events()
    return client_events, server_events


def exchange(client: Machine, server: Machine, stream_id: int) -> list[Event]:
    client.send(Request(b"GET", b"/x", b"h", stream_id=stream_id))
    client.send(EndOfMessage(stream_id))
    _, got = settle(client, server)
    assert [type(e) for e in got] == [Request, EndOfMessage]
    server.send(Response(200, ((b"content-length", b"2"),), stream_id))
    server.send(Data(stream_id, b"ok"))
    server.send(EndOfMessage(stream_id))
    answer, _ = settle(client, server)
    return answer


def test_alpn_h2_both_ends() -> None:
    client = HTTPConnection(CLIENT, alpn="h2")
    server = HTTPConnection(SERVER, alpn="h2")
    assert client.http_version == server.http_version == "2"
    assert client.role is CLIENT and server.role is SERVER
    answer = exchange(client, server, 1)
    assert answer == [
        Response(200, ((b"content-length", b"2"),), 1),
        Data(1, b"ok"),
        EndOfMessage(1),
    ]
    client.acknowledge_data(1, 2)
    assert client.next_stream_id == 3 and client.pending_send(1) == 0
    assert not client.reading_paused and client.state is ConnectionState.OPEN
    assert client.next_deadline() is None


def test_alpn_http11_never_sniffs() -> None:
    server = HTTPConnection(SERVER, alpn="http/1.1")
    server.receive_data(PREFACE)
    (closed,) = server.events()
    assert isinstance(closed, ConnectionClosed) and closed.error_code == 505
    assert server.http_version == "1.1"


@pytest.mark.parametrize("bytewise", [False, True])
def test_prior_knowledge_is_sniffed_from_the_preface(bytewise: bool) -> None:
    client = HTTPConnection(CLIENT, prior_knowledge=True)
    server = HTTPConnection(SERVER)
    assert client.http_version == "2" and server.http_version == "1.1"
    data = b"".join(client.data_to_send())
    if bytewise:
        for i in range(len(data)):
            server.receive_data(data[i : i + 1])
    else:
        server.receive_data(data)
    assert server.http_version == "2"
    assert exchange(client, server, 1)[-1] == EndOfMessage(1)


def test_http11_is_sniffed_too() -> None:
    client = HTTPConnection(CLIENT)
    server = HTTPConnection(SERVER, now=10.0)
    assert server.next_deadline() == 70.0
    assert exchange(client, server, 1)[-1] == EndOfMessage(1)
    assert server.http_version == client.http_version == "1.1"
    server.tick(100.0)
    assert server.state is ConnectionState.CLOSED


def test_a_near_preface_is_http11() -> None:
    server = HTTPConnection(SERVER)
    server.receive_data(b"PRI * HTTP/2.0\r\n\r\nXX")
    assert server.http_version == "1.1"
    assert isinstance(server.events()[-1], ConnectionClosed)


def test_end_of_stream_while_sniffing() -> None:
    server = HTTPConnection(SERVER)
    server.receive_data(b"PRI * ")
    server.receive_eof()
    assert server.http_version == "1.1"
    assert isinstance(server.events()[-1], ConnectionClosed)
    quiet = HTTPConnection(SERVER)
    quiet.receive_eof()
    assert quiet.events() == [ConnectionClosed(last_stream_id=0)]


def test_prior_knowledge_can_be_refused() -> None:
    server = HTTPConnection(SERVER, prior_knowledge=False)
    server.receive_data(PREFACE)
    assert server.http_version == "1.1"


UPGRADE = (
    b"GET /u HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\n"
    b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n"
)


def test_h2c_upgrade_between_our_own_ends() -> None:
    client = HTTPConnection(CLIENT, h2c=True)
    server = HTTPConnection(SERVER)
    assert client.extended_connect is False  # HTTP/1.1 so far
    client.send(Request(b"GET", b"/u", b"h"))
    assert client.next_stream_id is None  # until the answer says which version
    assert client.extended_connect is None  # likewise
    client.send(EndOfMessage(1))
    client_events, server_events = settle(client, server)
    assert server_events == [
        ProtocolSwitch(1, b"h2c"),
        Request(b"GET", b"/u", b"h"),
        EndOfMessage(1),
    ]
    assert client_events == [ProtocolSwitch(1, b"h2c")]
    assert client.http_version == server.http_version == "2"
    assert client.extended_connect is True  # our server offers it (RFC 8441)
    server.send(Response(200, (), 1))
    server.send(EndOfMessage(1))
    client_events, _ = settle(client, server)
    assert client_events == [Response(200, (), 1), EndOfMessage(1)]
    assert client.next_stream_id == 3
    assert exchange(client, server, 3)[-1] == EndOfMessage(3)


def test_h2c_server_with_the_client_preface_in_the_same_read() -> None:
    client = H2Connection.upgrading_client(Request(b"GET", b"/u", b"h"))
    server = HTTPConnection(SERVER)
    server.receive_data(UPGRADE + b"".join(client.data_to_send()))
    assert [type(e) for e in server.events()] == [ProtocolSwitch, Request, EndOfMessage]
    raw = b"".join(server.data_to_send())
    assert raw.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
    assert b"upgrade: h2c" in raw.lower()


@pytest.mark.parametrize(
    "raw",
    [
        UPGRADE.replace(b"\r\n\r\n", b"\r\nContent-Length: 2\r\n\r\nab"),
        UPGRADE.replace(b"AAMAAABkAAQAAP__", b"A"),
        UPGRADE.replace(b"HTTP2-Settings: AAMAAABkAAQAAP__\r\n", b""),
    ],
    ids=["with-a-body", "bad-settings", "no-settings"],
)
def test_h2c_offers_declined(raw: bytes) -> None:
    server = HTTPConnection(SERVER)
    server.receive_data(raw)
    events = server.events()
    assert isinstance(events[0], Request) and events[0].protocol is None
    assert server.http_version == "1.1"
    server.send(Response(200, ((b"content-length", b"0"),)))
    server.send(EndOfMessage(1))
    assert b"".join(server.data_to_send()).startswith(b"HTTP/1.1 200 ")


def test_h2c_only_on_the_first_request_and_only_if_allowed() -> None:
    server = HTTPConnection(SERVER)
    server.receive_data(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
    server.events()
    server.send(Response(200, ((b"content-length", b"0"),)))
    server.send(EndOfMessage(1))
    server.receive_data(UPGRADE)
    (request, _) = server.events()
    assert request.protocol == b"h2c" and server.http_version == "1.1"
    refusing = HTTPConnection(SERVER, h2c=False)
    refusing.receive_data(UPGRADE)
    assert refusing.events()[0].protocol == b"h2c"
    other = HTTPConnection(SERVER)
    other.receive_data(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: x\r\n\r\n")
    assert other.events()[0].protocol == b"x"
    broken = HTTPConnection(SERVER)
    broken.receive_data(b"NOT HTTP\r\n\r\n")
    assert isinstance(broken.events()[0], ConnectionClosed)
    partial = HTTPConnection(SERVER)
    partial.receive_data(b"GET / HT")
    assert partial.events() == []


def test_h2c_declined_by_an_http11_server() -> None:
    client = HTTPConnection(CLIENT, h2c=True)
    server = H1Connection(SERVER)
    client.send(Request(b"POST", b"/", b"h"))
    client.send(Data(1, b"body"))
    client.send(EndOfMessage(1))
    _, got = settle(client, server)
    assert got[0].protocol == b"h2c"
    server.send(InformationalResponse(103))
    server.send(Response(200, ((b"content-length", b"0"),)))
    server.send(EndOfMessage(1))
    answer, _ = settle(client, server)
    assert [type(e) for e in answer] == [InformationalResponse, Response, EndOfMessage]
    assert client.http_version == "1.1" and client.next_stream_id == 2
    assert exchange(client, server, 2)[-1] == EndOfMessage(2)


def test_h2c_offer_ended_by_a_closed_connection() -> None:
    client = HTTPConnection(CLIENT, h2c=True)
    client.send(Request(b"GET", b"/", b"h"))
    client.send(EndOfMessage(1))
    client.data_to_send()
    client.receive_eof()
    assert isinstance(client.events()[-1], ConnectionClosed)
    assert client.next_stream_id is None


def test_no_h2c_offer_for_tunnels() -> None:
    client = HTTPConnection(CLIENT, h2c=True)
    client.send(Request(b"GET", b"/ws", b"h", protocol=b"websocket"))
    raw = b"".join(client.data_to_send())
    assert b"h2c" not in raw
    connect = HTTPConnection(CLIENT, h2c=True)
    connect.send(Request(b"CONNECT", b"a:1", b"a:1"))
    assert b"h2c" not in b"".join(connect.data_to_send())


def test_configs_reach_the_machines() -> None:
    server = HTTPConnection(SERVER, h1_config=H1Config(max_header_count=1))
    server.receive_data(b"GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\n\r\n")
    assert server.events()[-1].error_code == 431
    client = HTTPConnection(CLIENT, alpn="h2", h2_config=H2Config(max_concurrent_streams=7))
    assert client.next_stream_id == 1


def test_constructor_checks() -> None:
    with pytest.raises(LocalProtocolError, match="role"):
        HTTPConnection("server")  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError, match="alpn"):
        HTTPConnection(SERVER, alpn="h3")


def test_h2c_client_with_the_server_preface_in_the_same_read() -> None:
    client = HTTPConnection(CLIENT, h2c=True)
    server = HTTPConnection(SERVER)
    client.send(Request(b"GET", b"/u", b"h"))
    client.send(EndOfMessage(1))
    server.receive_data(b"".join(client.data_to_send()))
    server.events()
    server.send(Response(200, (), 1))
    server.send(EndOfMessage(1))
    client.receive_data(b"".join(server.data_to_send()))
    assert client.events() == [ProtocolSwitch(1, b"h2c"), Response(200, (), 1), EndOfMessage(1)]


def test_h2c_client_settings_timer_starts_at_the_switch() -> None:
    client = HTTPConnection(CLIENT, h2c=True)
    server = HTTPConnection(SERVER)
    client.send(Request(b"GET", b"/u", b"h"))
    client.send(EndOfMessage(1))
    server.receive_data(b"".join(client.data_to_send()))
    client.tick(50.0)  # a slow first response
    client.receive_data(b"".join(server.data_to_send()))
    assert client.http_version == "2"
    assert client.next_deadline() == 60.0
