"""The exchange and connection tables: shape, role-blindness, diagrams."""

from __future__ import annotations

import pytest

from wire.errors import LocalProtocolError
from wire.http._events import (
    Data,
    EndOfMessage,
    InformationalResponse,
    ProtocolSwitch,
    Request,
    Response,
    Trailers,
)
from wire.http._state import (
    CONNECTION_TRANSITIONS,
    MESSAGE_TRANSITIONS,
    ConnectionInput,
    ConnectionState,
    Exchange,
    MessageInput,
    MessageState,
    Role,
    Side,
    check_role,
    check_send,
    commit_receive,
    commit_send,
    reset,
    state_diagram,
)


def test_every_open_message_state_can_be_reset_and_closed_is_final() -> None:
    for side in Side:
        for state in MessageState:
            target = MESSAGE_TRANSITIONS.get((side, state, MessageInput.RESET))
            if state is MessageState.CLOSED:
                assert target is None
            else:
                assert target is MessageState.CLOSED
    assert not [key for key in MESSAGE_TRANSITIONS if key[1] is MessageState.CLOSED]


def test_only_a_response_has_1xx_heads_and_switches() -> None:
    informational = {key for key in MESSAGE_TRANSITIONS if key[2] is MessageInput.INFORMATIONAL}
    assert informational == {(Side.RESPONSE, MessageState.IDLE, MessageInput.INFORMATIONAL)}
    assert (Side.REQUEST, MessageState.IDLE, MessageInput.SWITCH) not in MESSAGE_TRANSITIONS


def test_connection_table() -> None:
    assert CONNECTION_TRANSITIONS[ConnectionState.OPEN, ConnectionInput.SEND_GOAWAY] is (
        ConnectionState.DRAINING
    )
    closed = [key for key in CONNECTION_TRANSITIONS if key[0] is ConnectionState.CLOSED]
    assert closed == [(ConnectionState.CLOSED, ConnectionInput.RECV_EOF)]


def test_diagrams() -> None:
    request = state_diagram(Side.REQUEST)
    assert request.startswith("stateDiagram-v2\n    [*] --> IDLE\n")
    assert "IDLE --> BODY: head" in request
    assert "1xx" not in request
    response = state_diagram(Side.RESPONSE)
    assert "IDLE --> IDLE: 1xx" in response and "IDLE --> TUNNEL: protocol switch" in response
    connection = state_diagram()
    assert "OPEN --> DRAINING: send GoAway, receive GOAWAY" in connection


def test_the_same_table_serves_both_roles() -> None:
    client_side = Exchange(1)
    server_side = Exchange(1)
    request = Request(b"POST", b"/", b"h", headers=((b"content-length", b"2"),))
    side, inp = check_send(client_side, Role.CLIENT, request)
    commit_send(client_side, side, inp, request)
    commit_receive(server_side, side, inp, request)
    assert client_side.request is server_side.request is MessageState.BODY
    assert client_side.sent_length == 2 and server_side.sent_length is None
    with pytest.raises(LocalProtocolError, match="a server does not send Request"):
        check_role(Role.SERVER, request)
    with pytest.raises(LocalProtocolError, match="a client does not send Response"):
        check_role(Role.CLIENT, Response(200))
    check_role(Role.CLIENT, Data(1, b""))
    for event in (Data(1, b"ab"), Trailers(1, ((b"x", b"1"),)), EndOfMessage(1)):
        side, inp = check_send(client_side, Role.CLIENT, event)
        commit_send(client_side, side, inp, event)
    assert client_side.trailers == ((b"x", b"1"),)
    info = InformationalResponse(100)
    side, inp = check_send(server_side, Role.SERVER, info)
    commit_send(server_side, side, inp, info)
    assert server_side.response is MessageState.IDLE
    reset(server_side)
    assert server_side.finished


def test_switch_turns_both_messages_into_a_tunnel() -> None:
    exchange = Exchange(1)
    connect = Request(b"CONNECT", b"/chat", b"h", protocol=b"websocket")
    commit_receive(exchange, Side.REQUEST, MessageInput.HEAD, connect)
    switch = ProtocolSwitch(1, b"websocket")
    side, inp = check_send(exchange, Role.SERVER, switch)
    commit_send(exchange, side, inp, switch)
    assert exchange.request is exchange.response is MessageState.TUNNEL
    assert exchange.status == 200 and exchange.response_has_body
