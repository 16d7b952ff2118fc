"""The WebSocket conformance corpus (spec/ws) against the live server, over TCP.

The same cases and the same judge as ``tests/wire/ws/test_conformance.py``,
but the peer is :func:`servers.ws.serve_ws` on a loopback socket, with an
echo handler, instead of the Sans-IO machine: so the driver's reading,
queueing, writing and closing are judged too (a Close echoed before the
messages it follows, a late byte resetting the connection, a step left
unanswered would all show here and not there).

The server runs in a thread of its own (its own Trio loop), one route per
distinct configuration of the cases; the fuzzing client is
``tests.wire.ws.peer.FuzzingClient`` over a blocking socket, writing each
step as Autobahn does (a frame per write, or its chop size). After a step it
waits for what the step expects, then sends a Ping of its own and waits for
its Pong: whatever the server said in answer to the step has arrived by then
(the sync Pong itself is not an observation). A step that must fail the
connection is read until the end of the stream.

Sections 1-7 run whole. Of the bulk sections (9, 12, 13) a sample runs by
default (the cheapest case of every subsection plus our own cases), the
1000-message echo loops pipelined by batches; ``WIRE_WS_LIVE_ALL=1`` runs
every case.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest
import trio
from spec.ws import corpus
from tests.wire.ws.peer import Agreed, FuzzingClient, Outcome, total_input, verdict

from servers.ws import WebSocket, WebSocketClosed, WSRoute, WSServer
from wire import ws

#: Seconds any single wait of the fuzzing client may take.
WAIT = 10.0
#: Echo messages of a ``messages`` step written before their echoes are read.
BATCH = 100
_BULK = ("9-limits", "12-deflate", "13-deflate-parameters")
_KEY = base64.b64encode(b"wire-live-corpus").decode()


def _config_key(case: dict[str, Any]) -> str:
    server = (case.get("deflate") or {}).get("server", {})
    return json.dumps([case.get("config", {}), server], sort_keys=True)


def _selected() -> list[dict[str, Any]]:
    everything = os.environ.get("WIRE_WS_LIVE_ALL", "") not in ("", "0")
    out = []
    for section, cases in corpus.load().items():
        if everything or section not in _BULK:
            out += cases
            continue
        # The cheapest case of each subsection (ties: the last, with the
        # largest fragments), and every case of ours.
        cheapest: dict[str, dict[str, Any]] = {}
        for case in cases:
            if ".W." in case["id"]:
                out.append(case)
                continue
            subsection = case["id"].rsplit(".", 1)[0]
            best = cheapest.get(subsection)
            if best is None or total_input(case) <= total_input(best):
                cheapest[subsection] = case
        out += cheapest.values()
    return out


@dataclass
class Ended:
    code: int | None
    reason: str | None
    error: Any
    state: ws.ConnectionState


class LiveServer:
    """serve_ws in a thread, one route per configuration; records how each connection ended."""

    def __init__(self) -> None:
        self.routes: dict[str, str] = {}
        self.ended: dict[str, Ended] = {}
        self.done: dict[str, threading.Event] = {}
        self.lock = threading.Lock()
        self.port = 0
        self._token: trio.lowlevel.TrioToken | None = None
        self._cancel: trio.CancelScope | None = None
        self._thread: threading.Thread | None = None

    def _routes(self) -> dict[str, WSRoute]:
        routes = {}
        for case in corpus.load().values():
            for item in case:
                key = _config_key(item)
                if key in self.routes:
                    continue
                path = f"/c{len(self.routes)}"
                self.routes[key] = path
                config, server = json.loads(key)
                routes[path] = WSRoute(
                    self.echo,
                    config=ws.WSConfig(ping_interval=None, **config),
                    deflate=ws.DeflateConfig(**server),
                )
        return routes

    async def echo(self, websocket: WebSocket) -> None:
        assert websocket.request is not None
        name = websocket.request.headers.get("x-case") or "?"
        try:
            async for message in websocket:
                await websocket.send(message)
        except WebSocketClosed:
            pass
        finally:
            await websocket.wait_closed()
            with self.lock:
                self.ended[name] = Ended(
                    websocket.close_code,
                    websocket.close_reason,
                    websocket.close_error,
                    websocket.state,
                )
                self.done.setdefault(name, threading.Event()).set()

    def start(self) -> None:
        started = threading.Event()

        async def main() -> None:
            self._token = trio.lowlevel.current_trio_token()
            server = WSServer(self._routes(), max_queue=16)
            listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
            self.port = listeners[0].socket.getsockname()[1]
            with trio.CancelScope() as self._cancel:
                async with trio.open_nursery() as nursery:
                    await nursery.start(server.serve, list(listeners))
                    started.set()

        self._thread = threading.Thread(target=trio.run, args=(main,), daemon=True)
        self._thread.start()
        assert started.wait(10), "the live server did not start"

    def stop(self) -> None:
        if self._token is not None and self._cancel is not None:
            trio.from_thread.run_sync(self._cancel.cancel, trio_token=self._token)
        if self._thread is not None:
            self._thread.join(15)

    def wait_ended(self, name: str) -> Ended | None:
        with self.lock:
            event = self.done.setdefault(name, threading.Event())
        if not event.wait(WAIT):
            return None
        return self.ended[name]


@pytest.fixture(scope="module")
def live() -> Iterator[LiveServer]:
    server = LiveServer()
    server.start()
    yield server
    server.stop()


class Boundary:
    """Whether the octets written so far end between two frames (a raw step may cut one)."""

    def __init__(self) -> None:
        self.head = b""
        self.payload_left = 0

    def feed(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            if self.payload_left:
                taken = min(self.payload_left, len(view))
                self.payload_left -= taken
                view = view[taken:]
                continue
            self.head += bytes(view[:14])
            view = view[14:]
            head = self.head
            if len(head) < 2:
                continue
            size, start = head[1] & 0x7F, 2
            start += {126: 2, 127: 8}.get(size, 0) + (4 if head[1] & 0x80 else 0)
            if len(head) < start:
                continue
            if size >= 126:
                size = int.from_bytes(head[2 : 4 if size == 126 else 10], "big")
            # What the header took too much goes back in front of the rest.
            view = memoryview(head[start:] + bytes(view))
            self.head = b""
            self.payload_left = size

    @property
    def clean(self) -> bool:
        return not self.head and not self.payload_left


class Wire:
    """The fuzzing client's socket: writes, and reads into the client's observations."""

    def __init__(self, sock: socket.socket, client: FuzzingClient) -> None:
        self.sock = sock
        self.client = client
        self.sync = 0
        self.reset = False
        self.boundary = Boundary()

    def write(self, data: bytes) -> None:
        if self.client.eof:
            return
        self.boundary.feed(data)
        # A failed connection may refuse more: what the server said is still to be read.
        with contextlib.suppress(OSError):
            self.sock.sendall(data)

    def read_until(self, done: Any) -> bool:
        client = self.client
        self.sock.settimeout(WAIT)
        while not done():
            if client.eof:
                return False
            try:
                data = self.sock.recv(1 << 16)
            except ConnectionResetError:
                self.reset = True
                client.receive([b""])
                return False
            except TimeoutError:
                return False
            client.receive([data])
        return True

    def barrier(self) -> None:
        """A Ping of ours and its Pong: the server's answers to what came before are in."""
        client = self.client
        if client.eof or client.sent_close is not None or not self.boundary.clean:
            return
        self.sync += 1
        payload = b"sync-%d" % self.sync
        self.write(corpus_frame(9, payload, client))
        self.read_until(lambda: ("pong", payload) in client.observations)
        if ("pong", payload) in client.observations:
            client.observations.remove(("pong", payload))


def corpus_frame(opcode: int, payload: bytes, client: FuzzingClient) -> bytes:
    return client.element({"opcode": opcode, "fin": True, "payload": corpus.hexa(payload)})


def _chunks(elements: list[bytes], chop: int | str | None) -> Iterator[bytes]:
    if chop == "step":
        yield b"".join(elements)
    elif isinstance(chop, int):
        for element in elements:
            for i in range(0, len(element), chop):
                yield element[i : i + chop]
    else:
        yield from elements


def _message_source(spec: dict[str, Any]) -> Iterator[bytes]:
    size, data = spec["size"], spec["data"]
    if isinstance(data, str):
        offset = 0
        for _ in range(spec["count"]):
            yield corpus.expand({"dataset": data, "offset": offset, "length": size})
            offset = (offset + size) % len(corpus.dataset(data))
    else:
        payload = corpus.expand({"repeat": data, "length": size}) if size else b""
        for _ in range(spec["count"]):
            yield payload


def _open(
    live: LiveServer, case: dict[str, Any], name: str
) -> tuple[socket.socket, Agreed | None, bytes]:
    sock = socket.create_connection(("127.0.0.1", live.port), timeout=WAIT)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    lines = [
        f"GET {live.routes[_config_key(case)]} HTTP/1.1",
        f"Host: 127.0.0.1:{live.port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {_KEY}",
        "Sec-WebSocket-Version: 13",
        f"X-Case: {name}",
    ]
    deflate = case.get("deflate")
    if deflate is not None:
        lines.append(f"Sec-WebSocket-Extensions: {deflate['offer']}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        data = sock.recv(4096)
        assert data, f"no handshake answer: {head!r}"
        head += data
    head, _, rest = head.partition(b"\r\n\r\n")
    status, *fields = head.decode("latin-1").split("\r\n")
    assert status.startswith("HTTP/1.1 101"), status
    agreed = None
    for line in fields:
        field, _, value = line.partition(":")
        if field.strip().lower() == "sec-websocket-extensions":
            agreed = Agreed.parse(value.strip())
    return sock, agreed, rest


def _answered(client: FuzzingClient, before: int, expected: int) -> bool:
    got = client.observations[before:]
    return sum(o[0] in ("message", "pong") for o in got) >= expected


def run_live(live: LiveServer, case: dict[str, Any], name: str) -> Outcome:
    sock, agreed, rest = _open(live, case, name)
    client = FuzzingClient(agreed)
    outcome = Outcome(client=client)
    wire = Wire(sock, client)
    try:
        if rest:
            client.receive([rest])
        for step in case["steps"]:
            if client.eof:
                break
            before = len(client.observations)
            if "messages" in step:
                spec = step["messages"]
                payloads = list(_message_source(spec))
                for start in range(0, len(payloads), BATCH):
                    batch = payloads[start : start + BATCH]
                    seen = len(client.observations)
                    for payload in batch:
                        frames = client.message(
                            payload,
                            binary=spec["binary"],
                            fragment_size=spec.get("fragment_size", 0),
                            compress=spec.get("compress", False),
                        )
                        wire.write(b"".join(frames))
                    want_count = seen + len(batch)
                    wire.read_until(lambda: len(client.observations) >= want_count)  # noqa: B023
                    got = client.observations[seen:]
                    want = [("message", payload, spec["binary"]) for payload in batch]
                    if got != want:
                        outcome.problems.append(f"echo differs at message {start}: {len(got)} seen")
                        break
                outcome.steps.append([])
            else:
                elements = [client.element(element) for element in step["send"]]
                for chunk in _chunks(elements, step.get("chop")):
                    wire.write(chunk)
                expected = len(step["expect"])
                wire.read_until(partial(_answered, client, before, expected))
                if step.get("failed") or client.sent_close is not None:
                    wire.read_until(lambda: False)
                else:
                    wire.barrier()
                outcome.steps.append(client.observations[before:])
            outcome.failed_at.append(client.eof)
        close = case["close"]
        if close["closed_by_me"] and client.sent_close is None and not client.eof:
            wire.write(client.close(close["codes"][0]))
        wire.read_until(lambda: False)
    finally:
        sock.close()
    if wire.reset:
        outcome.problems.append("the server reset the connection")
    ended = live.wait_ended(name)
    if ended is None:
        outcome.problems.append("the server's connection did not end")
        ended = Ended(None, None, None, ws.ConnectionState.OPEN)
    elif ended.code is not None:
        outcome.events = [ws.ConnectionClosed(ended.code, ended.reason or "", ended.error)]
    outcome.server = _EndState(ended.state)  # type: ignore[assignment]
    return outcome


@dataclass
class _EndState:
    state: ws.ConnectionState


@pytest.mark.parametrize("case", [pytest.param(c, id=c["id"]) for c in _selected()])
def test_case_live(live: LiveServer, case: dict[str, Any]) -> None:
    outcome = run_live(live, case, case["id"])
    assert outcome.client.observations.count(("eof",)) == 1
    assert verdict(case, outcome) == []
