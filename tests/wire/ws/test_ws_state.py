"""The connection table: its shape, and the diagram drawn from it."""

from __future__ import annotations

from wire import ws
from wire.ws._state import TRANSITIONS, ConnectionState, Input, allowed_inputs

_S = ConnectionState
_I = Input


def test_every_state_but_closed_can_end_and_closed_is_final() -> None:
    for state in ConnectionState:
        if state is _S.CLOSED:
            assert allowed_inputs(state) == {_I.RECV_EOF}
            assert TRANSITIONS[state, _I.RECV_EOF] is _S.CLOSED
            continue
        assert TRANSITIONS[state, _I.RECV_EOF] is _S.CLOSED
        assert TRANSITIONS[state, _I.TIMEOUT] is _S.CLOSED


def test_only_an_open_connection_sends_messages_and_pings() -> None:
    for state in ConnectionState:
        allowed = allowed_inputs(state)
        expected = state is _S.OPEN
        assert (_I.SEND_MESSAGE in allowed) is expected
        assert (_I.SEND_CONTROL in allowed) is expected
        assert (_I.SEND_CLOSE in allowed) is expected
        assert (_I.KEEPALIVE in allowed) is expected


def test_the_closing_handshake_paths() -> None:
    # Ours first, then theirs; or theirs first (we answer at once): both reach FINISHING.
    assert TRANSITIONS[_S.OPEN, _I.SEND_CLOSE] is _S.CLOSE_SENT
    assert TRANSITIONS[_S.CLOSE_SENT, _I.RECV_CLOSE] is _S.FINISHING
    assert TRANSITIONS[_S.OPEN, _I.RECV_CLOSE] is _S.FINISHING
    assert TRANSITIONS[_S.FINISHING, _I.CLOSE_TRANSPORT] is _S.CLOSED
    # Data after our Close still counts; after theirs nothing is read.
    assert TRANSITIONS[_S.CLOSE_SENT, _I.RECV_FRAME] is _S.CLOSE_SENT
    assert (_S.FINISHING, _I.RECV_FRAME) not in TRANSITIONS


def test_the_table_is_role_blind() -> None:
    # Nothing in the table names a role: states and inputs only.
    for (state, inp), target in TRANSITIONS.items():
        assert isinstance(state, ConnectionState)
        assert isinstance(inp, Input)
        assert isinstance(target, ConnectionState)
    assert not any("client" in i.value or "server" in i.value for i in Input)


def test_state_diagram_has_every_transition() -> None:
    diagram = ws.state_diagram()
    assert diagram.startswith("stateDiagram-v2\n    [*] --> OPEN\n")
    for (state, inp), target in TRANSITIONS.items():
        lines = [
            line for line in diagram.splitlines() if f"{state.name} --> {target.name}:" in line
        ]
        assert len(lines) == 1
        assert inp.value in lines[0]
