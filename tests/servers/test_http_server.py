"""The Trio HTTP driver, end to end on loopback: httpx, curl and raw sockets."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import socket
import ssl
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Any

import h2.config
import h2.connection
import h2.errors
import h2.events
import httpx
import pytest
import trio
import trustme
from tests.peers import require

from servers.http import HTTPServer, serve_http
from wire.http import (
    H2_PREFACE,
    ConnectionClosed,
    EndOfMessage,
    GoAway,
    HTTPConnection,
    Request,
    Response,
    Role,
    demo_app,
    rest,
)

Address = tuple[str, int]


@pytest.fixture
async def server(nursery: trio.Nursery) -> Address:
    address: Address = await nursery.start(serve_http, "127.0.0.1", 0)
    return address


def _url(address: Address, path: str) -> str:
    return f"http://{address[0]}:{address[1]}{path}"


async def _in_thread(fn: Callable[[], Any]) -> Any:
    with trio.fail_after(10):
        return await trio.to_thread.run_sync(fn, abandon_on_cancel=True)


async def _raw(address: Address, data: bytes) -> bytes:
    """Send ``data``, read until the server closes."""
    with trio.fail_after(5):
        stream = await trio.open_tcp_stream(*address)
        async with stream:
            await stream.send_all(data)
            received = b""
            while chunk := await stream.receive_some(65536):
                received += chunk
    return received


async def test_get_hello_http1(server: Address) -> None:
    def run() -> httpx.Response:
        with httpx.Client() as client:
            return client.get(_url(server, "/hello"))

    response = await _in_thread(run)
    assert response.http_version == "HTTP/1.1"
    assert response.status_code == 200
    assert response.text == "Hello, world!"


async def test_get_hello_http2_prior_knowledge(server: Address) -> None:
    def run() -> list[httpx.Response]:
        with httpx.Client(http1=False, http2=True) as client:
            return [client.get(_url(server, "/hello")) for _ in range(3)]

    responses = await _in_thread(run)
    for response in responses:
        assert response.http_version == "HTTP/2"
        assert response.status_code == 200
        assert response.text == "Hello, world!"


async def test_keep_alive_several_requests_one_connection(server: Address) -> None:
    with trio.fail_after(5):
        stream = await trio.open_tcp_stream(*server)
        async with stream:
            for _ in range(3):
                await stream.send_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
                received = b""
                while not received.endswith(b"Hello, world!"):
                    chunk = await stream.receive_some(65536)
                    assert chunk
                    received += chunk
                assert received.startswith(b"HTTP/1.1 200 ")
            # Pipelined: both answered, in order, on the same connection.
            await stream.send_all(
                b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
            )
            received = b""
            while b"application/problem+json" not in received or not received.endswith(b"}"):
                chunk = await stream.receive_some(65536)
                assert chunk
                received += chunk
            assert received.index(b"200 OK") < received.index(b"404 Not Found")


async def test_post_json_then_get_it_back_http1_and_http2(server: Address) -> None:
    def run(http2: bool) -> tuple[httpx.Response, httpx.Response]:
        with httpx.Client(http1=not http2, http2=http2) as client:
            created = client.post(_url(server, "/items"), json={"name": "pen", "price": 2.5})
            location = created.headers["location"]
            return created, client.get(_url(server, location))

    for http2 in (False, True):
        created, fetched = await _in_thread(partial(run, http2))
        assert created.status_code == 201
        assert created.headers["location"].startswith("/items/")
        assert created.json()["name"] == "pen"
        assert fetched.status_code == 200
        assert fetched.json() == created.json()


async def test_not_found_is_problem_json(server: Address) -> None:
    def run() -> httpx.Response:
        with httpx.Client() as client:
            return client.get(_url(server, "/no/such/thing"))

    response = await _in_thread(run)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 404


async def test_invalid_body_gets_problem_on_both_versions(server: Address) -> None:
    def run(http2: bool) -> httpx.Response:
        with httpx.Client(http1=not http2, http2=http2) as client:
            return client.post(
                _url(server, "/items"),
                content=b"{not json",
                headers={"content-type": "application/json"},
            )

    for http2 in (False, True):
        response = await _in_thread(partial(run, http2))
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("flag", ["--http1.1", "--http2-prior-knowledge"])
async def test_curl(server: Address, flag: str) -> None:
    curl = require("curl")
    result = await trio.run_process(
        [curl, "-sS", "--max-time", "5", flag, "-w", "\n%{http_version}", _url(server, "/hello")],
        capture_stdout=True,
        capture_stderr=True,
    )
    body, _, version = result.stdout.decode().rpartition("\n")
    assert body == "Hello, world!"
    assert version == ("1.1" if flag == "--http1.1" else "2")


async def test_curl_post_json(server: Address) -> None:
    curl = require("curl")
    result = await trio.run_process(
        [
            curl,
            "-sS",
            "--max-time",
            "5",
            "--http2-prior-knowledge",
            "-H",
            "content-type: application/json",
            "--data",
            '{"name":"cup","price":1}',
            "-w",
            "\n%{http_code}",
            _url(server, "/items"),
        ],
        capture_stdout=True,
        capture_stderr=True,
    )
    body, _, code = result.stdout.decode().rpartition("\n")
    assert code == "201"
    assert json.loads(body)["name"] == "cup"


async def test_malformed_request_gets_400_then_server_still_works(server: Address) -> None:
    received = await _raw(server, b"GET /hello HTTP/1.1\r\nHost: x\r\nbad header line\r\n\r\n")
    assert received.startswith(b"HTTP/1.1 400 ")
    received = await _raw(server, b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert received.startswith(b"HTTP/1.1 200 ")
    assert received.endswith(b"Hello, world!")


async def _h2_exchange(
    address: Address, requests: list[tuple[list[tuple[str, str]], bytes]]
) -> dict[int, tuple[list[tuple[bytes, bytes]], bytes]]:
    """Send ``requests`` concurrently on one HTTP/2 connection (h2 as the client)."""
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    results: dict[int, tuple[list[tuple[bytes, bytes]], bytes]] = {}
    pending: set[int] = set()
    with trio.fail_after(5):
        stream = await trio.open_tcp_stream(*address)
        async with stream:
            for headers, body in requests:
                sid = conn.get_next_available_stream_id()
                conn.send_headers(sid, headers, end_stream=not body)
                if body:
                    conn.send_data(sid, body, end_stream=True)
                results[sid] = ([], b"")
                pending.add(sid)
            await stream.send_all(conn.data_to_send())
            while pending:
                data = await stream.receive_some(65536)
                assert data
                for event in conn.receive_data(data):
                    if isinstance(event, h2.events.ResponseReceived):
                        results[event.stream_id] = (list(event.headers), b"")
                    elif isinstance(event, h2.events.DataReceived):
                        head, body = results[event.stream_id]
                        results[event.stream_id] = (head, body + event.data)
                        conn.acknowledge_received_data(
                            event.flow_controlled_length, event.stream_id
                        )
                    elif isinstance(event, h2.events.StreamEnded):
                        pending.discard(event.stream_id)
                await stream.send_all(conn.data_to_send())
    return results


def _get(path: str) -> list[tuple[str, str]]:
    return [(":method", "GET"), (":path", path), (":scheme", "http"), (":authority", "x")]


async def test_http2_streams_are_concurrent(nursery: trio.Nursery) -> None:
    app = rest.App()
    release = trio.Event()

    @app.get("/slow")
    async def slow(request: rest.Request) -> str:
        await release.wait()
        return "slow"

    @app.get("/fast")
    def fast(request: rest.Request) -> str:
        release.set()
        return "fast"

    address: Address = await nursery.start(partial(serve_http, "127.0.0.1", 0, app=app))
    # /slow would wait forever if /fast were not handled while it waits.
    results = await _h2_exchange(address, [(_get("/slow"), b""), (_get("/fast"), b"")])
    assert sorted(body for _, body in results.values()) == [b"fast", b"slow"]


async def test_streaming_body_larger_than_the_window(nursery: trio.Nursery) -> None:
    app = rest.App(compression=None)
    chunk = b"x" * 10_000

    @app.get("/big")
    def big(request: rest.Request) -> rest.StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(30):  # 300 kB: several times the 64 KiB stream window
                yield chunk
                await trio.lowlevel.checkpoint()

        return rest.StreamingResponse(chunks())

    address: Address = await nursery.start(partial(serve_http, "127.0.0.1", 0, app=app))
    results = await _h2_exchange(address, [(_get("/big"), b"")])
    [(head, body)] = results.values()
    assert (b":status", b"200") in head
    assert body == chunk * 30

    def run() -> httpx.Response:
        with httpx.Client() as client:
            return client.get(_url(address, "/big"))

    response = await _in_thread(run)
    assert response.content == chunk * 30


async def test_server_sent_events(server: Address) -> None:
    def run() -> httpx.Response:
        with httpx.Client(http1=False, http2=True) as client:
            return client.get(_url(server, "/events?count=3&interval=0"))

    response = await _in_thread(run)
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.text.count("event: tick") == 3


async def test_app_error_is_500_and_connection_lives_on(nursery: trio.Nursery) -> None:
    app = rest.App()

    @app.get("/boom")
    def boom(request: rest.Request) -> str:
        raise RuntimeError("boom")

    @app.get("/ok")
    def ok(request: rest.Request) -> str:
        return "ok"

    address: Address = await nursery.start(partial(serve_http, "127.0.0.1", 0, app=app))

    def run() -> list[httpx.Response]:
        with httpx.Client() as client:
            return [client.get(_url(address, "/boom")), client.get(_url(address, "/ok"))]

    boomed, fine = await _in_thread(run)
    assert boomed.status_code == 500
    assert boomed.headers["content-type"].startswith("application/problem+json")
    assert fine.text == "ok"


class _Server:
    """A server in its own cancel scope, so the test can stop it and go on."""

    def __init__(self, app: rest.App) -> None:
        self.app = app
        self.scope = trio.CancelScope()
        self.stopped = trio.Event()

    async def run(self, *, task_status: trio.TaskStatus[Address]) -> None:
        try:
            with self.scope:
                await serve_http("127.0.0.1", 0, app=self.app, task_status=task_status)
        finally:
            self.stopped.set()


async def test_shutdown_finishes_in_flight_request(nursery: trio.Nursery) -> None:
    app = rest.App()
    started = trio.Event()

    @app.get("/slow")
    async def slow(request: rest.Request) -> str:
        started.set()
        await trio.sleep(0.2)
        return "done"

    server = _Server(app)
    address: Address = await nursery.start(server.run)
    received: list[bytes] = []
    with trio.fail_after(5):
        idle = await trio.open_tcp_stream(*address)
        async with trio.open_nursery() as clients:
            clients.start_soon(
                _collect, address, b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n", received
            )
            await started.wait()
            server.scope.cancel()
        # The idle keep-alive connection is closed by the server.
        assert await idle.receive_some(100) == b""
        await idle.aclose()
        await server.stopped.wait()
    [response] = received
    assert response.startswith(b"HTTP/1.1 200 ")
    assert b"connection: close" in response.lower()
    assert response.endswith(b"done")
    # The listener is gone.
    with pytest.raises(OSError):
        await trio.open_tcp_stream(*address)


async def test_shutdown_http2_sends_goaway(nursery: trio.Nursery) -> None:
    server = _Server(demo_app())
    address: Address = await nursery.start(server.run)
    # Our own client machine: h2's closes at the first of the two GOAWAY frames.
    conn = HTTPConnection(Role.CLIENT, prior_knowledge=True)
    conn.send(Request(b"GET", b"/hello", b"x"))
    conn.send(EndOfMessage(1))
    events: list[object] = []
    with trio.fail_after(5):
        stream = await trio.open_tcp_stream(*address)
        await stream.send_all(b"".join(conn.data_to_send()))
        server.scope.cancel()
        while data := await stream.receive_some(65536):
            conn.receive_data(data)
            events += conn.events()
            out = conn.data_to_send()
            await stream.send_all(b"".join(out))
            if b"" in out:
                break
        await stream.aclose()
        await server.stopped.wait()
    kinds = [type(event) for event in events]
    # The request in flight was answered, then the goodbye.
    assert kinds.index(Response) < kinds.index(EndOfMessage) < kinds.index(ConnectionClosed)
    assert GoAway in kinds


async def _collect(address: Address, request: bytes, into: list[bytes]) -> None:
    into.append(await _raw(address, request))


@pytest.mark.parametrize("http2", [False, True])
async def test_tls_alpn_picks_the_version(nursery: trio.Nursery, http2: bool) -> None:
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    address: Address = await nursery.start(
        partial(serve_http, "127.0.0.1", 0, ssl_context=server_context)
    )

    def run() -> httpx.Response:
        with httpx.Client(verify=client_context, http1=not http2, http2=http2) as client:
            return client.get(f"https://127.0.0.1:{address[1]}/hello")

    response = await _in_thread(run)
    assert response.http_version == ("HTTP/2" if http2 else "HTTP/1.1")
    assert response.text == "Hello, world!"


class _BrokenApp(rest.App):
    async def handle(self, request: rest.Request) -> rest.Response:
        if request.path == "/driver-bug":
            return "not a response"  # type: ignore[return-value]
        return await super().handle(request)


async def test_driver_error_closes_only_that_connection(nursery: trio.Nursery) -> None:
    app = _BrokenApp()

    @app.get("/ok")
    def ok(request: rest.Request) -> str:
        return "ok"

    address: Address = await nursery.start(partial(serve_http, "127.0.0.1", 0, app=app))
    with trio.fail_after(5):
        other = await trio.open_tcp_stream(*address)
        assert await _raw(address, b"GET /driver-bug HTTP/1.1\r\nHost: x\r\n\r\n") == b""
        # Another connection, open all along, still works; so do new ones.
        await other.send_all(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
        received = b""
        while not received.endswith(b"ok"):
            received += await other.receive_some(65536)
        assert received.startswith(b"HTTP/1.1 200 ")
        await other.aclose()
    received = await _raw(address, b"GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert received.startswith(b"HTTP/1.1 200 ")


async def test_body_over_the_app_limit_gets_413(nursery: trio.Nursery) -> None:
    app = demo_app()
    app.limits = rest.Limits(max_body_size=1000)
    address: Address = await nursery.start(partial(serve_http, "127.0.0.1", 0, app=app))
    for http2 in (False, True):

        def run(h: bool = http2) -> httpx.Response:
            with httpx.Client(http1=not h, http2=h) as client:
                return client.post(_url(address, "/items"), content=b"x" * 5000)

        response = await _in_thread(run)
        assert response.status_code == 413


# -- timeouts, limits, shutdown, access log --------------------------------------


async def _start(nursery: trio.Nursery, app: rest.App | None = None, **options: Any) -> Address:
    address: Address = await nursery.start(partial(serve_http, "127.0.0.1", 0, app=app, **options))
    return address


async def _read_until_closed(stream: trio.SocketStream) -> bytes:
    received = b""
    try:
        while chunk := await stream.receive_some(65536):
            received += chunk
    except trio.BrokenResourceError:
        pass  # a reset after the answer: what matters is what came before
    return received


async def test_slowloris_head_trickled_gets_408(nursery: trio.Nursery) -> None:
    address = await _start(nursery, idle_timeout=0.4)
    head = b"GET /hello HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100
    with trio.fail_after(5):
        stream = await trio.open_tcp_stream(*address)
        async with stream:
            start = trio.current_time()
            # One octet every 20 ms: each arrives well within the timeout, but
            # the head as a whole does not.
            for octet in head:
                try:
                    await stream.send_all(bytes([octet]))
                except trio.BrokenResourceError:
                    break
                await trio.sleep(0.02)
                if trio.current_time() - start > 1.5:
                    break
            received = await _read_until_closed(stream)
            elapsed = trio.current_time() - start
    assert received.startswith(b"HTTP/1.1 408 ")
    assert 0.35 < elapsed < 3.0


async def test_another_client_is_served_while_a_head_trickles(nursery: trio.Nursery) -> None:
    address = await _start(nursery, idle_timeout=2.0)
    with trio.fail_after(5):
        slow = await trio.open_tcp_stream(*address)
        async with slow:
            await slow.send_all(b"GET /hello HTTP/1.1\r\nHo")
            received = await _raw(
                address, b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            assert received.endswith(b"Hello, world!")


async def test_stalled_body_gets_408_and_close_http1(
    nursery: trio.Nursery, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="wire.http.access")
    address = await _start(nursery, body_timeout=0.3, access_log=True)
    with trio.fail_after(5):
        stream = await trio.open_tcp_stream(*address)
        async with stream:
            await stream.send_all(
                b"POST /items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b'Content-Length: 100\r\n\r\n{"name":'
            )
            start = trio.current_time()
            received = await _read_until_closed(stream)
            elapsed = trio.current_time() - start
    assert received.startswith(b"HTTP/1.1 408 ")
    assert b"connection: close" in received.lower()
    assert 0.25 < elapsed < 3.0
    [line] = [r.getMessage() for r in caplog.records if r.name == "wire.http.access"]
    assert re.fullmatch(r'127\.0\.0\.1:\d+ "POST /items HTTP/1\.1" 408 0 \d+\.\dms', line)


async def test_a_broken_http2_connection_leaves_the_others_alone(server: Address) -> None:
    with trio.fail_after(5):
        keep_alive = await trio.open_tcp_stream(*server)
        async with keep_alive:
            # The preface, then a frame with a length over the 16 KiB maximum.
            broken = await _raw(server, H2_PREFACE + b"\xff\xff\xff\x00\x00\x00\x00\x00\x01")
            assert b"\x07" in broken  # GOAWAY (frame type 7), then the close
            for _ in range(2):
                await keep_alive.send_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
                received = b""
                while not received.endswith(b"Hello, world!"):
                    chunk = await keep_alive.receive_some(65536)
                    assert chunk
                    received += chunk
                assert received.startswith(b"HTTP/1.1 200 ")


async def test_trickled_body_is_cut_at_the_body_timeout(nursery: trio.Nursery) -> None:
    address = await _start(nursery, body_timeout=0.5)
    with trio.fail_after(5):
        stream = await trio.open_tcp_stream(*address)
        async with stream:
            await stream.send_all(
                b"POST /items HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"
            )
            start = trio.current_time()
            received = b""
            # An octet every 50 ms keeps the body moving, too slowly.
            while not received and trio.current_time() - start < 2:
                try:
                    await stream.send_all(b"x")
                except trio.BrokenResourceError:
                    break
                with trio.move_on_after(0.05):
                    received = await stream.receive_some(65536)
            elapsed = trio.current_time() - start
    assert received.startswith(b"HTTP/1.1 408 ")
    assert 0.45 < elapsed < 3.0


async def test_stalled_body_http2_resets_only_that_stream(nursery: trio.Nursery) -> None:
    address = await _start(nursery, body_timeout=0.3)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    post = [(":method", "POST"), (":path", "/items"), (":scheme", "http"), (":authority", "x")]
    conn.send_headers(1, [*post, ("content-length", "100")])
    conn.send_data(1, b'{"name":')
    events: list[h2.events.Event] = []
    with trio.fail_after(5):
        stream = await trio.open_tcp_stream(*address)
        async with stream:
            await stream.send_all(conn.data_to_send())
            start = trio.current_time()
            while not any(isinstance(e, h2.events.StreamReset) for e in events):
                data = await stream.receive_some(65536)
                assert data
                events += conn.receive_data(data)
                await stream.send_all(conn.data_to_send())
            elapsed = trio.current_time() - start
            # The connection lives on: stream 3 is answered.
            conn.send_headers(3, _get("/hello"), end_stream=True)
            await stream.send_all(conn.data_to_send())
            body = b""
            while not any(
                isinstance(e, h2.events.StreamEnded) and e.stream_id == 3 for e in events
            ):
                data = await stream.receive_some(65536)
                assert data
                for event in conn.receive_data(data):
                    events.append(event)
                    if isinstance(event, h2.events.DataReceived) and event.stream_id == 3:
                        body += event.data
    [response] = [e for e in events if isinstance(e, h2.events.ResponseReceived)][:1]
    assert response.stream_id == 1
    assert (b":status", b"408") in response.headers
    [reset] = [e for e in events if isinstance(e, h2.events.StreamReset)]
    assert reset.stream_id == 1
    assert reset.error_code == h2.errors.ErrorCodes.NO_ERROR
    assert 0.25 < elapsed < 3.0
    assert body == b"Hello, world!"


async def test_idle_keep_alive_connection_is_closed(nursery: trio.Nursery) -> None:
    address = await _start(nursery, idle_timeout=0.3)
    with trio.fail_after(5):
        stream = await trio.open_tcp_stream(*address)
        async with stream:
            await stream.send_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            start = trio.current_time()
            received = await _read_until_closed(stream)
            elapsed = trio.current_time() - start
    assert received.startswith(b"HTTP/1.1 200 ")
    assert received.endswith(b"Hello, world!")
    assert 0.25 < elapsed < 3.0


async def test_busy_keep_alive_connection_outlives_the_idle_timeout(
    nursery: trio.Nursery,
) -> None:
    # The idle timer restarts after every answer, from the time of that answer.
    address = await _start(nursery, idle_timeout=0.3)
    with trio.fail_after(5):
        stream = await trio.open_tcp_stream(*address)
        async with stream:
            start = trio.current_time()
            answered = 0
            while trio.current_time() - start < 1.0:
                await stream.send_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
                received = b""
                while not received.endswith(b"Hello, world!"):
                    chunk = await stream.receive_some(65536)
                    assert chunk, f"closed after {answered} answers"
                    received += chunk
                answered += 1
                await trio.sleep(0.1)
    assert answered >= 3


async def test_idle_http2_connection_gets_goaway(nursery: trio.Nursery) -> None:
    address = await _start(nursery, idle_timeout=0.3)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    conn.send_headers(1, _get("/hello"), end_stream=True)
    events: list[h2.events.Event] = []
    with trio.fail_after(5):
        stream = await trio.open_tcp_stream(*address)
        async with stream:
            await stream.send_all(conn.data_to_send())
            start = trio.current_time()
            while data := await stream.receive_some(65536):
                events += conn.receive_data(data)
                await stream.send_all(conn.data_to_send())
            elapsed = trio.current_time() - start
    kinds = [type(e) for e in events]
    assert kinds.index(h2.events.StreamEnded) < kinds.index(h2.events.ConnectionTerminated)
    [goaway] = [e for e in events if isinstance(e, h2.events.ConnectionTerminated)]
    assert goaway.error_code == h2.errors.ErrorCodes.NO_ERROR
    assert goaway.last_stream_id == 1
    assert 0.25 < elapsed < 3.0


async def test_connection_limit(nursery: trio.Nursery) -> None:
    address = await _start(nursery, max_connections=2)
    request = b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
    with trio.fail_after(5):
        first = await trio.open_tcp_stream(*address)
        second = await trio.open_tcp_stream(*address)
        for stream in (first, second):
            await stream.send_all(request)
            assert (await stream.receive_some(65536)).startswith(b"HTTP/1.1 200 ")
        # A third is closed at once, unanswered.
        assert await _raw(address, request) == b""
        await first.aclose()
        # A slot is free again once the server has seen the close.
        while True:
            received = await _raw(
                address, b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            if received:
                break
            await trio.sleep(0.02)
        assert received.startswith(b"HTTP/1.1 200 ")
        await second.aclose()


class _StoppableServer:
    """``serve_http`` with options, in a cancel scope the test can cancel."""

    def __init__(self, app: rest.App, **options: Any) -> None:
        self.app = app
        self.options = options
        self.scope = trio.CancelScope()
        self.stopped = trio.Event()

    async def run(self, *, task_status: trio.TaskStatus[Address]) -> None:
        try:
            with self.scope:
                await serve_http(
                    "127.0.0.1", 0, app=self.app, task_status=task_status, **self.options
                )
        finally:
            self.stopped.set()


async def test_shutdown_cuts_a_request_beyond_the_deadline(nursery: trio.Nursery) -> None:
    app = rest.App()
    started = trio.Event()
    cancelled = trio.Event()

    @app.get("/slow")
    async def slow(request: rest.Request) -> str:
        await trio.sleep(0.05)
        return "fast enough"

    @app.get("/forever")
    async def forever(request: rest.Request) -> str:
        started.set()
        try:
            await trio.sleep(30)
        finally:
            cancelled.set()
        return "never"

    server = _StoppableServer(app, shutdown_timeout=0.4)
    address: Address = await nursery.start(server.run)
    finished: list[bytes] = []
    cut: list[bytes] = []
    with trio.fail_after(5):
        async with trio.open_nursery() as clients:
            clients.start_soon(_collect, address, b"GET /forever HTTP/1.1\r\nHost: x\r\n\r\n", cut)
            await started.wait()
            clients.start_soon(
                _collect, address, b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n", finished
            )
            await trio.sleep(0.01)
            start = trio.current_time()
            server.scope.cancel()
        await server.stopped.wait()
        elapsed = trio.current_time() - start
    # Within the deadline: answered, with the goodbye.
    [answer] = finished
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert b"connection: close" in answer.lower()
    assert answer.endswith(b"fast enough")
    # Beyond it: cut without an answer, its handler cancelled.
    assert cut == [b""]
    assert cancelled.is_set()
    assert 0.35 < elapsed < 3.0


async def test_send_timeout_drops_a_peer_that_does_not_read(nursery: trio.Nursery) -> None:
    app = rest.App(compression=None)
    released = trio.Event()

    @app.get("/firehose")
    def firehose(request: rest.Request) -> rest.StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            try:
                while True:
                    yield b"x" * 65536
            finally:
                released.set()

        return rest.StreamingResponse(chunks())

    address = await _start(nursery, app, send_timeout=0.3)
    with trio.fail_after(10):
        stream = await trio.open_tcp_stream(*address)
        async with stream:
            stream.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            await stream.send_all(b"GET /firehose HTTP/1.1\r\nHost: x\r\n\r\n")
            # Never read: the server's writes block, then it gives up.
            await released.wait()


@pytest.mark.parametrize("http2", [False, True])
async def test_access_log(
    nursery: trio.Nursery, caplog: pytest.LogCaptureFixture, http2: bool
) -> None:
    caplog.set_level(logging.INFO, logger="wire.http.access")
    address = await _start(nursery, access_log=True)

    def run() -> list[httpx.Response]:
        with httpx.Client(http1=not http2, http2=http2) as client:
            return [client.get(_url(address, "/hello")), client.get(_url(address, "/nope?x=1"))]

    responses = await _in_thread(run)
    assert [r.status_code for r in responses] == [200, 404]
    lines = [r.getMessage() for r in caplog.records if r.name == "wire.http.access"]
    version = "2" if http2 else "1.1"
    assert len(lines) == 2
    assert re.fullmatch(rf'127\.0\.0\.1:\d+ "GET /hello HTTP/{version}" 200 13 \d+\.\dms', lines[0])
    length = len(responses[1].content)
    assert re.fullmatch(
        rf'127\.0\.0\.1:\d+ "GET /nope\?x=1 HTTP/{version}" 404 {length} \d+\.\dms', lines[1]
    )


async def test_no_access_log_by_default(server: Address, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="wire.http.access")
    received = await _raw(server, b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert received.endswith(b"Hello, world!")
    assert not [r for r in caplog.records if r.name == "wire.http.access"]


@pytest.mark.parametrize(
    "option",
    [
        {"idle_timeout": 0},
        {"body_timeout": -1},
        {"send_timeout": 0},
        {"handshake_timeout": 0},
        {"shutdown_timeout": -1},
        {"max_connections": 0},
    ],
)
def test_bad_options_are_refused(option: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=next(iter(option))):
        HTTPServer(**option)  # type: ignore[arg-type]


async def test_large_body_arrives_whole_on_both_versions(nursery: trio.Nursery) -> None:
    address = await _start(nursery, _digest_app())
    # Several reads, and over HTTP/2 several times the 64 KiB stream window.
    body = bytes(range(256)) * 1200

    for http2 in (False, True):

        def run(h: bool = http2) -> httpx.Response:
            with httpx.Client(http1=not h, http2=h) as client:
                return client.post(_url(address, "/digest"), content=body)

        response = await _in_thread(run)
        assert response.http_version == ("HTTP/2" if http2 else "HTTP/1.1")
        assert response.json() == {"size": len(body), "sha256": hashlib.sha256(body).hexdigest()}


def _digest_app() -> rest.App:
    app = rest.App(compression=None)

    @app.post("/digest")
    def digest(request: rest.Request) -> dict[str, object]:
        return {"size": len(request.body), "sha256": hashlib.sha256(request.body).hexdigest()}

    return app


async def test_expect_100_continue_http1(nursery: trio.Nursery) -> None:
    address = await _start(nursery, _digest_app())
    body = b"x" * 5000
    with trio.fail_after(5):
        stream = await trio.open_tcp_stream(*address)
        async with stream:
            await stream.send_all(
                b"POST /digest HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
            )
            # The client sends nothing more until the server says go on.
            interim = b""
            while b"\r\n\r\n" not in interim:
                chunk = await stream.receive_some(65536)
                assert chunk
                interim += chunk
            assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
            await stream.send_all(body)
            received = await _read_until_closed(stream)
    assert received.startswith(b"HTTP/1.1 200 ")
    assert json.loads(received.partition(b"\r\n\r\n")[2])["size"] == len(body)


async def test_expect_100_continue_not_sent_when_the_body_came_along(
    nursery: trio.Nursery,
) -> None:
    address = await _start(nursery, _digest_app())
    received = await _raw(
        address,
        b"POST /digest HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
        b"Content-Length: 3\r\nConnection: close\r\n\r\nabc",
    )
    assert received.startswith(b"HTTP/1.1 200 ")


async def test_expect_100_continue_http2(nursery: trio.Nursery) -> None:
    address = await _start(nursery, _digest_app())
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    post = [(":method", "POST"), (":path", "/digest"), (":scheme", "http"), (":authority", "x")]
    conn.send_headers(1, [*post, ("expect", "100-continue"), ("content-length", "3")])
    events: list[h2.events.Event] = []
    with trio.fail_after(5):
        stream = await trio.open_tcp_stream(*address)
        async with stream:
            await stream.send_all(conn.data_to_send())
            while not any(isinstance(e, h2.events.InformationalResponseReceived) for e in events):
                data = await stream.receive_some(65536)
                assert data
                events += conn.receive_data(data)
            conn.send_data(1, b"abc", end_stream=True)
            await stream.send_all(conn.data_to_send())
            while not any(isinstance(e, h2.events.StreamEnded) for e in events):
                data = await stream.receive_some(65536)
                assert data
                events += conn.receive_data(data)
                await stream.send_all(conn.data_to_send())
    [interim] = [e for e in events if isinstance(e, h2.events.InformationalResponseReceived)]
    assert (b":status", b"100") in interim.headers
    [final] = [e for e in events if isinstance(e, h2.events.ResponseReceived)]
    assert (b":status", b"200") in final.headers


async def test_pipelined_answers_do_not_pile_up_for_a_client_that_does_not_read(
    nursery: trio.Nursery,
) -> None:
    app = rest.App(compression=None, auto_etag=False)
    handled = 0
    chunk = b"x" * 1024 * 1024

    @app.get("/big")
    def big(request: rest.Request) -> bytes:
        nonlocal handled
        handled += 1
        return chunk

    address = await _start(nursery, app)
    requests = 64  # 64 MiB of answers, all asked for in one read
    with trio.fail_after(5):
        stream = await trio.open_tcp_stream(*address)
        async with stream:
            await stream.send_all(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n" * requests)
            await trio.sleep(0.5)
            # The server stopped answering once the socket buffers (a few MiB
            # on loopback) were full.
            assert 0 < handled < requests // 2
            total = 0
            while total < requests * len(chunk):
                data = await stream.receive_some(1 << 20)
                assert data
                total += len(data)
    assert handled == requests


async def test_tls_handshake_timeout(nursery: trio.Nursery) -> None:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    address = await _start(nursery, ssl_context=context, handshake_timeout=0.3)
    with trio.fail_after(5):
        stream = await trio.open_tcp_stream(*address)
        async with stream:
            # Connected, but no ClientHello: the server gives up on us.
            start = trio.current_time()
            assert await _read_until_closed(stream) == b""
            elapsed = trio.current_time() - start
    assert 0.25 < elapsed < 3.0
