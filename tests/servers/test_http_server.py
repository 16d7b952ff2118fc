"""The Trio HTTP driver, end to end on loopback: httpx, curl and raw sockets."""

from __future__ import annotations

import json
import ssl
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Any

import h2.config
import h2.connection
import h2.events
import httpx
import pytest
import trio
import trustme
from tests.peers import require

from servers.http import serve_http
from wire.http import (
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
