"""The WebSocket conformance corpus (spec/ws) against the live server, over TCP.

The same cases and the same judge as ``tests/wire/ws/test_conformance.py``,
but the peer is :func:`servers.ws.serve_ws` on a loopback socket, with an
echo handler, instead of the Sans-IO machine: so the driver's reading,
queueing, writing and closing are judged too (a Close echoed before the
messages it follows, a late byte resetting the connection, a step left
unanswered would all show here and not there).

The server runs in a thread of its own (its own Trio loop), one route per
distinct configuration of the cases; the fuzzing client and its runner are
those of ``wire conform ws-server`` (:func:`servers.conform.ws_peer.run_live`,
over a blocking socket, writing each step as Autobahn does and putting a
Ping/Pong barrier after each step). On top of that client's judge, the test
checks what only our server can show: its ConnectionClosed and final state.

Sections 1-7 run whole. Of the bulk sections (9, 12, 13) a sample runs by
default (the cheapest case of every subsection plus our own cases), the
1000-message echo loops pipelined by batches; ``WIRE_WS_LIVE_ALL=1`` runs
every case.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import trio
from tests.wire.ws.peer import server_verdict

from servers.conform import ws_corpus
from servers.conform.ws_peer import Outcome, judge, run_live
from servers.ws import WebSocket, WebSocketClosed, WSRoute, WSServer
from wire import ws

#: Seconds any single wait of the fuzzing client may take.
WAIT = 10.0
#: Seconds a whole case may take (the bulk sections move megabytes).
CASE_TIMEOUT = 120.0


def _config_key(case: dict[str, Any]) -> str:
    server = (case.get("deflate") or {}).get("server", {})
    return json.dumps([case.get("config", {}), server], sort_keys=True)


def _selected() -> list[dict[str, Any]]:
    return ws_corpus.sample(everything=os.environ.get("WIRE_WS_LIVE_ALL", "") not in ("", "0"))


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
        for case in ws_corpus.load().values():
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


def run_case_live(live: LiveServer, case: dict[str, Any], name: str) -> list[str]:
    """Run ``case`` and judge it: the client's observations, then our server's side."""
    outcome: Outcome = run_live(
        ("127.0.0.1", live.port),
        live.routes[_config_key(case)],
        case,
        headers=[("X-Case", name)],
        timeout=CASE_TIMEOUT,
        wait=WAIT,
    )
    assert outcome.client.observations.count(("eof",)) == 1, outcome.problems
    problems = judge(case, outcome)
    ended = live.wait_ended(name)
    if ended is None:
        return [*problems, "the server's connection did not end"]
    events: list[ws.Event] = []
    if ended.code is not None:
        events = [ws.ConnectionClosed(ended.code, ended.reason or "", ended.error)]
    return problems + server_verdict(case, outcome.client, events, ended.state)


@pytest.mark.parametrize("case", [pytest.param(c, id=c["id"]) for c in _selected()])
def test_case_live(live: LiveServer, case: dict[str, Any]) -> None:
    assert run_case_live(live, case, case["id"]) == []
