"""The corpus's fuzzing client against the Sans-IO server machine.

The client (:class:`~servers.conform.ws_peer.FuzzingClient`, written
independently of ``wire.ws``: its own frame writer and reader, zlib for
permessage-deflate) and the judge of what a client observes
(:func:`~servers.conform.ws_peer.judge`) are those of ``wire conform
ws-server``. Here :func:`run_case` drives one corpus case through a
:class:`wire.ws.WSConnection` server with an echo application, and
:func:`verdict` adds what only our own machine can show: its
``ConnectionClosed`` event (once, last, with the expected error) and its
final state.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from servers.conform.ws_corpus import RAW_MASK, message_payloads, total_input
from servers.conform.ws_peer import (
    Agreed,
    FuzzingClient,
    ServerMisbehaved,
    chop_elements,
    frame_bytes,
    judge,
    xor,
)
from servers.conform.ws_peer import Outcome as ClientOutcome
from wire import ws
from wire.http import Request

#: Feeding modes: Autobahn's writes (a frame per write, or its chop size),
#: everything of a step in one call, the same with the connection's fast path
#: off (every frame through wsproto), one octet per call.
MODES = ("autobahn", "whole", "wsproto", "bytewise")
#: Cases with more input than this skip the one-octet-per-call mode (time).
BYTEWISE_LIMIT = 16 << 10


@dataclass
class Outcome(ClientOutcome):
    """What happened to one case, with the server machine's side of it."""

    events: list[ws.Event] = field(default_factory=list)
    server: ws.WSConnection | None = None


def handshake(case: dict[str, Any]) -> tuple[ws.Negotiated, Agreed | None]:
    """Our ServerHandshake answering the case's permessage-deflate offer."""
    headers = [
        (b"sec-websocket-key", b"dGhlIHNhbXBsZSBub25jZQ=="),
        (b"sec-websocket-version", b"13"),
    ]
    deflate = case.get("deflate")
    if deflate is not None:
        headers.append((b"sec-websocket-extensions", deflate["offer"].encode()))
    request = Request(
        b"GET", b"/", b"corpus.example", headers=tuple(headers), protocol=b"websocket"
    )
    server_config = ws.DeflateConfig(**deflate.get("server", {})) if deflate else None
    switch, negotiated = ws.ServerHandshake(request).accept(deflate=server_config)
    answer = dict(switch.headers).get(b"sec-websocket-extensions")
    return negotiated, Agreed.parse(answer.decode()) if answer else None


def chunks(elements: list[bytes], mode: str, chop: int | str | None) -> Iterator[bytes]:
    if mode in ("whole", "wsproto"):
        yield b"".join(elements)
    elif mode == "bytewise":
        for element in elements:
            for i in range(len(element)):
                yield element[i : i + 1]
    else:
        yield from chop_elements(elements, chop)


def pump(server: ws.WSConnection, client: FuzzingClient, outcome: Outcome) -> None:
    """The echo application and the wire: until nothing moves."""
    while True:
        events = server.events()
        for event in events:
            message = isinstance(event, ws.TextMessage | ws.BytesMessage)
            if message and server.state is ws.ConnectionState.OPEN:
                server.send(event)
        outcome.events += events
        out = server.data_to_send()
        client.receive(out)
        if not events and not out:
            return


def run_case(case: dict[str, Any], mode: str) -> Outcome:
    negotiated, agreed = handshake(case)
    config = ws.WSConfig(ping_interval=None, fast_path=mode != "wsproto", **case.get("config", {}))
    server = ws.WSConnection.from_handshake(negotiated, config=config)
    server.tick(0.0)
    client = FuzzingClient(agreed)
    outcome = Outcome(client=client, server=server)
    try:
        _run_steps(case, mode, server, client, outcome)
    except ServerMisbehaved as exc:
        outcome.problems.append(f"the server misbehaved: {exc}")
    return outcome


def _run_steps(
    case: dict[str, Any],
    mode: str,
    server: ws.WSConnection,
    client: FuzzingClient,
    outcome: Outcome,
) -> None:
    for step in case["steps"]:
        if client.eof:
            break  # Autobahn sends later parts only while the connection is open
        before = len(client.observations)
        if "messages" in step:
            spec = step["messages"]
            for payload in message_payloads(spec):
                frames = client.message(
                    payload,
                    binary=spec["binary"],
                    fragment_size=spec.get("fragment_size", 0),
                    compress=spec.get("compress", False),
                )
                seen = len(client.observations)
                for chunk in chunks(frames, mode, None):
                    server.receive_data(chunk)
                    pump(server, client, outcome)
                got = client.observations[seen:]
                if got != [("message", payload, spec["binary"])]:
                    outcome.problems.append(f"echo differs: {_short(got)}")
                    break
            outcome.steps.append([])
        else:
            elements = [client.element(element) for element in step["send"]]
            for chunk in chunks(elements, mode, step.get("chop")):
                server.receive_data(chunk)
                pump(server, client, outcome)
            outcome.steps.append(client.observations[before:])
        outcome.failed_at.append(client.eof)
    close = case["close"]
    if close["closed_by_me"] and client.sent_close is None and not client.eof:
        server.receive_data(client.close(close["codes"][0]))
        pump(server, client, outcome)
    if not client.eof:
        # The fuzzing client gives up and drops the connection (killAfter).
        server.receive_eof()
        pump(server, client, outcome)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) < 200 else text[:200] + "..."


def server_verdict(
    case: dict[str, Any],
    client: FuzzingClient,
    events: list[ws.Event],
    state: ws.ConnectionState | None,
) -> list[str]:
    """What our server's own events and state show wrong (only our machine can tell)."""
    problems = []
    close = case["close"]
    ends = [e for e in events if isinstance(e, ws.ConnectionClosed)]
    if len(ends) != 1 or events[-1] is not ends[0]:
        problems.append("ConnectionClosed must be the last event, once")
    else:
        error = ends[0].error
        if close["require_clean"] and error is not None:
            problems.append(f"not clean: {error!r}")
        if not close["require_clean"] and (error is None or error.code not in close["codes"]):
            problems.append(f"expected a failure with {close['codes']}, got {error!r}")
        if close["closed_by_me"] and client.sent_close is None:
            problems.append("the fuzzer should have closed first")
    if state is not ws.ConnectionState.CLOSED:
        problems.append(f"server state {state}")
    return problems


def verdict(case: dict[str, Any], outcome: Outcome) -> list[str]:
    """What is wrong with the outcome: Autobahn's judge, then our machine's side (empty: OK)."""
    state = outcome.server.state if outcome.server is not None else None
    return judge(case, outcome) + server_verdict(case, outcome.client, outcome.events, state)


__all__ = [
    "BYTEWISE_LIMIT",
    "MODES",
    "RAW_MASK",
    "Agreed",
    "FuzzingClient",
    "Outcome",
    "frame_bytes",
    "handshake",
    "run_case",
    "server_verdict",
    "total_input",
    "verdict",
    "xor",
]
