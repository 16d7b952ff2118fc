"""The Trio HTTP client, end to end on loopback: against our own server, an echo
server on our Sans-IO machine (trailers, full duplex), and small scripted peers
(idle closes, GOAWAY, resets, broken responses)."""

from __future__ import annotations

import contextlib
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import pytest
import trio
import trustme

from servers.http import serve_http
from servers.http_client import (
    READ_SIZE,
    Client,
    ClientClosed,
    ConnectError,
    ConnectionLost,
    ConnectTimeout,
    Fields,
    InvalidURL,
    PoolTimeout,
    ProtocolError,
    ReadTimeout,
    Response,
    ResponseTooLarge,
    StreamReset,
    Timeout,
    WriteTimeout,
)
from wire.errors import LocalProtocolError
from wire.http import (
    ConnectionClosed,
    Data,
    EndOfMessage,
    H1Config,
    H2Config,
    H2ErrorCode,
    HTTPConnection,
    InformationalResponse,
    Request,
    Role,
    Trailers,
    rest,
)
from wire.http import Response as ResponseEvent
from wire.http import StreamReset as StreamResetEvent

Address = tuple[str, int]
CHUNK = b"z" * 65536
BIG_CHUNKS = 64  # 4 MiB


class Backend:
    """Our own server with a test app; records which connection served what."""

    def __init__(self) -> None:
        self.app = rest.App(compression=None, auto_etag=False, openapi_url=None)
        self.ports: list[int] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.cancelled = 0
        self.produced = 0
        self.release = trio.Event()
        self.barrier: tuple[int, trio.Event] | None = None
        app = self.app

        @app.get("/hello")
        def hello(request: rest.Request) -> str:
            assert request.client is not None
            self.ports.append(request.client[1])
            return "hello"

        @app.post("/echo")
        def echo(request: rest.Request) -> rest.Response:
            assert request.client is not None
            self.ports.append(request.client[1])
            headers = {"x-length": str(len(request.body))}
            return rest.Response(200, headers, request.body, media_type="application/octet-stream")

        @app.get("/together")
        async def together(request: rest.Request) -> str:
            """Answers once ``barrier`` requests are in at the same time."""
            assert request.client is not None and self.barrier is not None
            self.ports.append(request.client[1])
            count, reached = self.barrier
            self.in_flight += 1
            if self.in_flight >= count:
                reached.set()
            await reached.wait()
            return "together"

        @app.get("/busy")
        async def busy(request: rest.Request) -> str:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            await trio.sleep(0.02)
            self.in_flight -= 1
            return "busy"

        @app.get("/slow")
        async def slow(request: rest.Request) -> str:
            assert request.client is not None
            self.ports.append(request.client[1])
            try:
                await self.release.wait()
            except trio.Cancelled:
                self.cancelled += 1
                raise
            return "slow"

        @app.get("/big")
        def big(request: rest.Request) -> rest.StreamingResponse:
            async def chunks() -> AsyncIterator[bytes]:
                for _ in range(BIG_CHUNKS):
                    self.produced += 1
                    yield CHUNK

            return rest.StreamingResponse(chunks())

        @app.get("/sized/{size:int}")
        def sized(request: rest.Request, size: int) -> rest.Response:
            return rest.Response(200, body=b"s" * size)

        @app.get("/sized-stream/{size:int}")
        def sized_stream(request: rest.Request, size: int) -> rest.StreamingResponse:
            return rest.StreamingResponse([b"s" * size])

    async def start(self, nursery: trio.Nursery, **options: object) -> str:
        address: Address = await nursery.start(
            partial(serve_http, "127.0.0.1", 0, app=self.app, **options)  # type: ignore[arg-type]
        )
        scheme = "https" if "ssl_context" in options else "http"
        return f"{scheme}://127.0.0.1:{address[1]}"


@pytest.fixture
async def backend(nursery: trio.Nursery) -> AsyncIterator[tuple[Backend, str]]:
    server = Backend()
    yield server, await server.start(nursery)
    server.release.set()  # no request left waiting for the server's shutdown


async def limited(coroutine: Awaitable[object], seconds: float = 10) -> object:
    with trio.fail_after(seconds):
        return await coroutine


# ---------------------------------------------------------------------------
# Pooling and versions
# ---------------------------------------------------------------------------


async def test_http11_keep_alive_reuses_one_connection(backend: tuple[Backend, str]) -> None:
    server, base = backend
    async with Client(http_version="1.1") as client:
        with trio.fail_after(10):
            for _ in range(5):
                response = await client.get(f"{base}/hello")
                assert (response.status, response.content, response.text) == (
                    200,
                    b"hello",
                    "hello",
                )
                assert response.http_version == "1.1"
                assert response.headers.get("content-type") == b"text/plain; charset=utf-8"
            assert client.connection_count == 1
    assert len(server.ports) == 5 and len(set(server.ports)) == 1


async def test_http11_parallel_requests_use_up_to_the_connection_cap(
    backend: tuple[Backend, str],
) -> None:
    server, base = backend
    server.barrier = (3, trio.Event())
    results: list[int] = []

    async def one() -> None:
        results.append((await client.get(f"{base}/together")).status)

    async with Client(http_version="1.1", max_connections_per_origin=3) as client:
        with trio.fail_after(10):
            async with trio.open_nursery() as nursery:
                for _ in range(9):
                    nursery.start_soon(one)
            assert client.connection_count == 3
    # Three at a time, over exactly three connections, kept alive for the rest.
    assert results == [200] * 9
    assert len(set(server.ports)) == 3


async def test_http2_prior_knowledge_multiplexes_on_one_connection(
    backend: tuple[Backend, str],
) -> None:
    server, base = backend
    server.barrier = (40, trio.Event())
    versions: list[str] = []

    async def one() -> None:
        versions.append((await client.get(f"{base}/together")).http_version)

    async with Client(http_version="2") as client:
        with trio.fail_after(10):
            async with trio.open_nursery() as nursery:
                for _ in range(40):
                    nursery.start_soon(one)
            assert client.connection_count == 1
    # All 40 were in the server at once (the barrier), on one connection.
    assert versions == ["2"] * 40
    assert len(set(server.ports)) == 1


async def test_http2_waits_for_streams_beyond_max_concurrent_streams(
    backend: tuple[Backend, str],
) -> None:
    server, base = backend  # our server announces SETTINGS_MAX_CONCURRENT_STREAMS 100
    statuses: list[int] = []

    async def one() -> None:
        statuses.append((await client.get(f"{base}/busy")).status)

    async with Client(http_version="2") as client:
        with trio.fail_after(20):
            async with trio.open_nursery() as nursery:
                for _ in range(160):
                    nursery.start_soon(one)
        assert client.connection_count == 1
    assert statuses == [200] * 160
    assert 1 < server.max_in_flight <= 100


async def test_h2c_upgrade_then_http2(backend: tuple[Backend, str]) -> None:
    server, base = backend
    async with Client(http_version="h2c-upgrade") as client:
        with trio.fail_after(10):
            first = await client.get(f"{base}/hello")
            second = await client.post(f"{base}/echo", content=b"abc")
            assert client.connection_count == 1
    assert (first.status, first.http_version, first.content) == (200, "2", b"hello")
    assert (second.http_version, second.content) == ("2", b"abc")
    assert len(set(server.ports)) == 1


async def test_h2c_upgrade_with_a_body_goes_through_options(
    backend: tuple[Backend, str],
) -> None:
    _, base = backend
    async with Client(http_version="h2c-upgrade") as client:
        with trio.fail_after(10):
            response = await client.post(f"{base}/echo", content=b"x" * 100_000)
            assert response.http_version == "2" and len(response.content) == 100_000
            assert client.connection_count == 1


async def test_auto_on_cleartext_is_http11(backend: tuple[Backend, str]) -> None:
    _, base = backend
    async with Client() as client:
        with trio.fail_after(10):
            assert (await client.get(f"{base}/hello")).http_version == "1.1"


def _tls() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    return server_context, client_context


@pytest.mark.parametrize(("version", "expected"), [("auto", "2"), ("1.1", "1.1"), ("2", "2")])
async def test_tls_with_alpn(nursery: trio.Nursery, version: str, expected: str) -> None:
    server_context, client_context = _tls()
    server = Backend()
    base = await server.start(nursery, ssl_context=server_context)
    async with Client(http_version=version, ssl_context=client_context) as client:  # type: ignore[arg-type]
        with trio.fail_after(10):
            for _ in range(3):
                response = await client.post(f"{base}/echo", content=b"secret")
                assert (response.content, response.http_version) == (b"secret", expected)
            assert client.connection_count == 1
    assert len(set(server.ports)) == 1


async def test_tls_http2_required_but_not_offered(nursery: trio.Nursery) -> None:
    server_context, client_context = _tls()
    server_context.set_alpn_protocols(["http/1.1"])

    async def handshake_only(stream: trio.SSLStream[trio.SocketStream]) -> None:
        with trio.move_on_after(5):
            await stream.do_handshake()
            await stream.receive_some(1)

    listeners = await nursery.start(
        partial(trio.serve_ssl_over_tcp, handshake_only, 0, server_context, host="127.0.0.1")
    )
    port = listeners[0].transport_listener.socket.getsockname()[1]
    async with Client(http_version="2", ssl_context=client_context) as client:
        with pytest.raises(ConnectError, match="HTTP/2"):
            await limited(client.get(f"https://127.0.0.1:{port}/"))


async def test_tls_untrusted_certificate_is_a_connect_error(nursery: trio.Nursery) -> None:
    server_context, _ = _tls()
    base = await Backend().start(nursery, ssl_context=server_context)
    async with Client(ssl_context=ssl.create_default_context()) as client:
        with pytest.raises(ConnectError, match="TLS") as caught:
            await limited(client.get(f"{base}/hello"))
    assert not isinstance(caught.value, Timeout)


# ---------------------------------------------------------------------------
# Streaming, flow control, trailers, full duplex
# ---------------------------------------------------------------------------


async def _chunks(count: int, size: int) -> AsyncIterator[bytes]:
    for index in range(count):
        yield bytes([65 + index % 26]) * size
        await trio.lowlevel.checkpoint()


@pytest.mark.parametrize("version", ["1.1", "2"])
async def test_streaming_upload_and_download(backend: tuple[Backend, str], version: str) -> None:
    _, base = backend
    expected = b"".join([bytes([65 + i % 26]) * 10_000 for i in range(30)])
    async with Client(http_version=version) as client:  # type: ignore[arg-type]
        with trio.fail_after(10):
            async with client.stream("POST", f"{base}/echo", content=_chunks(30, 10_000)) as r:
                assert r.status == 200 and r.headers.get("x-length") == b"300000"
                assert await r.aread() == expected
            received = bytearray()
            async with client.stream("GET", f"{base}/big") as r:
                assert r.headers.get("content-length") is None
                async for chunk in r.iter_bytes():
                    received += chunk
            assert received == CHUNK * BIG_CHUNKS
            assert r.trailers == Fields()
            assert client.connection_count == 1


@pytest.mark.parametrize("version", ["1.1", "2"])
async def test_a_slow_consumer_keeps_buffers_bounded(
    backend: tuple[Backend, str], version: str
) -> None:
    server, base = backend
    async with Client(http_version=version) as client:  # type: ignore[arg-type]
        with trio.fail_after(10):
            async with client.stream("GET", f"{base}/big") as response:
                first = await response.exchange.receive_data()
                await trio.sleep(0.3)  # the consumer stalls; the server keeps producing
                buffered = response.exchange.buffered
                produced = server.produced
                rest_of_it = await response.aread()
    assert len(first) + len(rest_of_it) == len(CHUNK) * BIG_CHUNKS
    if version == "2":
        # The stream window (65535): nothing more is sent until we read.
        assert buffered <= 65535
        # The server's generator stops too: its window and send buffer, not 4 MiB.
        assert produced <= 6
    else:
        # The read window (65535) plus at most one read: then reading stops.
        assert buffered <= 65535 + READ_SIZE


class EchoServer:
    """A server on our Sans-IO machine: the response starts at once and echoes
    every request chunk as it comes; the end echoes the request's trailers."""

    def __init__(self, *, h2c: bool = True) -> None:
        self.h2c = h2c
        self.connections = 0
        self.trailers: list[tuple[tuple[bytes, bytes], ...]] = []
        self.protocols: list[bytes | None] = []
        self.resets: list[int] = []

    async def handle(self, stream: trio.abc.Stream) -> None:
        self.connections += 1
        conn = HTTPConnection(
            Role.SERVER,
            h2c=self.h2c,
            h1_config=H1Config(max_body_size=None),
            h2_config=H2Config(max_body_size=None),
        )
        received: dict[int, list[tuple[bytes, bytes]]] = {}
        async with stream:
            while True:
                data = await stream.receive_some(65536)
                if data:
                    conn.receive_data(data)
                else:
                    conn.receive_eof()
                for event in conn.events():
                    if isinstance(event, Request):
                        self.protocols.append(event.protocol)
                        received[event.stream_id] = []
                        if event.target == b"/early":
                            conn.send(
                                InformationalResponse(103, ((b"link", b"</a>"),), event.stream_id)
                            )
                        headers = ((b"x-method", event.method),)
                        conn.send(ResponseEvent(200, headers, event.stream_id))
                    elif isinstance(event, StreamResetEvent):
                        self.resets.append(event.error_code)
                    elif isinstance(event, Data):
                        conn.send(Data(event.stream_id, event.data))
                        assert event.flow_controlled_length is not None
                        conn.acknowledge_data(event.stream_id, event.flow_controlled_length)
                    elif isinstance(event, Trailers):
                        received[event.stream_id] = list(event.headers)
                        self.trailers.append(event.headers)
                    elif isinstance(event, EndOfMessage):
                        fields = (*received.pop(event.stream_id), (b"x-echo-end", b"yes"))
                        conn.send(Trailers(event.stream_id, fields))
                        conn.send(EndOfMessage(event.stream_id))
                    elif isinstance(event, ConnectionClosed):
                        return
                out = conn.data_to_send()
                with trio.move_on_after(5):
                    await stream.send_all(b"".join(out))
                if b"" in out or not data:
                    return


@pytest.fixture
async def echo(nursery: trio.Nursery) -> tuple[EchoServer, str]:
    server = EchoServer()
    listeners = await nursery.start(partial(trio.serve_tcp, server.handle, 0, host="127.0.0.1"))
    return server, f"http://127.0.0.1:{listeners[0].socket.getsockname()[1]}"


@pytest.mark.parametrize("version", ["1.1", "2"])
async def test_trailers_both_ways(echo: tuple[EchoServer, str], version: str) -> None:
    server, base = echo
    async with Client(http_version=version) as client:  # type: ignore[arg-type]
        with trio.fail_after(10):
            response = await client.post(
                f"{base}/t", content=b"payload", trailers={"x-checksum": "abc"}
            )
            assert response.content == b"payload"
            assert response.trailers.get("x-checksum") == b"abc"
            assert response.trailers.get_all(b"X-Echo-End") == [b"yes"]
            async with client.stream(
                "PUT", f"{base}/t", content=_chunks(3, 5), trailers=[("x-n", "3")]
            ) as streamed:
                assert streamed.headers.get("x-method") == b"PUT"
                assert await streamed.aread() == b"AAAAABBBBBCCCCC"
                assert streamed.trailers == Fields(((b"x-n", b"3"), (b"x-echo-end", b"yes")))
    assert server.trailers == [((b"x-checksum", b"abc"),), ((b"x-n", b"3"),)]


async def test_full_duplex_on_http2(echo: tuple[EchoServer, str]) -> None:
    _, base = echo
    async with Client(http_version="2") as client:
        with trio.fail_after(10):
            async with client.open_stream("POST", f"{base}/chat") as exchange:
                assert exchange.http_version == "2"
                head = await exchange.receive_response()
                assert head.status == 200
                # Ping-pong: each reply arrives while the request is still open.
                for word in (b"one", b"two", b"three"):
                    await exchange.send_data(word)
                    assert await exchange.receive_data() == word
                await exchange.send_trailers({"grpc-like": "end"})
                assert exchange.request_ended
                with pytest.raises(LocalProtocolError):
                    await exchange.send_data(b"late")
                assert [chunk async for chunk in exchange.iter_data()] == []
                assert exchange.response_ended
                assert exchange.trailers.get("grpc-like") == b"end"
            assert client.connection_count == 1


async def test_a_large_duplex_upload_is_flow_controlled(echo: tuple[EchoServer, str]) -> None:
    _, base = echo
    total = 0
    async with Client(http_version="2") as client:
        with trio.fail_after(10):
            async with client.open_stream("POST", f"{base}/bulk") as exchange:

                async def send() -> None:
                    for _ in range(40):
                        await exchange.send_data(b"u" * 50_000)
                    await exchange.end()

                async with trio.open_nursery() as nursery:
                    nursery.start_soon(send)
                    async for chunk in exchange.iter_data():
                        total += len(chunk)
    assert total == 40 * 50_000


# ---------------------------------------------------------------------------
# Cancellation, limits, timeouts
# ---------------------------------------------------------------------------


async def test_cancelling_one_http2_stream_leaves_the_others(
    backend: tuple[Backend, str],
) -> None:
    server, base = backend
    results: list[bytes] = []

    async def slow() -> None:
        results.append((await client.get(f"{base}/slow")).content)

    async with Client(http_version="2") as client:
        with trio.fail_after(10):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(slow)
                nursery.start_soon(slow)
                with trio.move_on_after(0.2) as scope:
                    await client.get(f"{base}/slow")
                assert scope.cancelled_caught
                while server.cancelled == 0:  # the server saw RST_STREAM
                    await trio.sleep(0.01)
                server.release.set()
            assert client.connection_count == 1
            assert (await client.get(f"{base}/hello")).status == 200
    assert results == [b"slow", b"slow"] and server.cancelled == 1
    assert len(set(server.ports)) == 1


async def test_cancelling_an_http11_request_drops_its_connection(
    backend: tuple[Backend, str],
) -> None:
    server, base = backend
    async with Client(http_version="1.1") as client:
        with trio.fail_after(10):
            with trio.move_on_after(0.2):
                await client.get(f"{base}/slow")
            assert client.connection_count == 0
            assert (await client.get(f"{base}/hello")).status == 200
    assert len(set(server.ports)) == 2


@pytest.mark.parametrize("version", ["1.1", "2"])
async def test_max_response_size(backend: tuple[Backend, str], version: str) -> None:
    _, base = backend
    async with Client(http_version=version, max_response_size=1000) as client:  # type: ignore[arg-type]
        with trio.fail_after(10):
            assert len((await client.get(f"{base}/sized/1000")).content) == 1000
            with pytest.raises(ResponseTooLarge, match="declares 1001"):
                await client.get(f"{base}/sized/1001")
            with pytest.raises(ResponseTooLarge, match="larger than 1000"):
                await client.get(f"{base}/sized-stream/5000")
            # Streaming is not limited.
            async with client.stream("GET", f"{base}/sized-stream/5000") as response:
                assert len(b"".join([c async for c in response.iter_bytes()])) == 5000
            assert (await client.get(f"{base}/hello")).content == b"hello"
            # HTTP/2 reset the streams; HTTP/1.1 had to drop the connections.
            assert client.connection_count == 1


async def test_read_timeout_and_overall_deadline(backend: tuple[Backend, str]) -> None:
    _, base = backend
    async with Client(http_version="2", read_timeout=0.2) as client:
        with trio.fail_after(10):
            with pytest.raises(ReadTimeout):
                await client.get(f"{base}/slow")
            with pytest.raises(Timeout) as caught:
                await client.get(f"{base}/slow", timeout=0.1)
            assert not isinstance(caught.value, ReadTimeout)
            assert isinstance(caught.value, TimeoutError)
            assert (await client.get(f"{base}/hello")).status == 200


async def test_pool_timeout_when_every_connection_is_busy(backend: tuple[Backend, str]) -> None:
    server, base = backend
    async with Client(http_version="1.1", max_connections_per_origin=1) as client:
        with trio.fail_after(10):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(client.get, f"{base}/slow")
                while not server.ports:
                    await trio.sleep(0.01)
                with pytest.raises(PoolTimeout):
                    await client.get(f"{base}/hello", timeout=0.2)
                server.release.set()


async def test_connect_errors_and_timeouts(nursery: trio.Nursery) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    # A server that accepts TCP but never says a word: the TLS handshake hangs.
    listeners = await nursery.start(
        partial(trio.serve_tcp, lambda stream: trio.sleep_forever(), 0, host="127.0.0.1")
    )
    mute_port = listeners[0].socket.getsockname()[1]
    async with Client(connect_timeout=0.2) as client:
        with trio.fail_after(10):
            with pytest.raises(ConnectError, match="cannot connect") as caught:
                await client.get(f"http://127.0.0.1:{closed_port}/")
            assert not isinstance(caught.value, Timeout)
            with pytest.raises(ConnectTimeout):
                await client.get(f"https://127.0.0.1:{mute_port}/")
            assert client.connection_count == 0


async def test_write_timeout_when_the_server_reads_nothing(nursery: trio.Nursery) -> None:
    async def deaf(stream: trio.SocketStream) -> None:
        stream.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        await trio.sleep_forever()

    listeners = await nursery.start(partial(trio.serve_tcp, deaf, 0, host="127.0.0.1"))
    port = listeners[0].socket.getsockname()[1]

    async def endless() -> AsyncIterator[bytes]:
        while True:
            yield b"w" * 65536

    async with Client(http_version="1.1", read_timeout=0.3) as client:
        with trio.fail_after(10):
            with pytest.raises(WriteTimeout):
                async with client.open_stream("POST", f"http://127.0.0.1:{port}/") as exchange:
                    async for chunk in endless():
                        await exchange.send_data(chunk)


# ---------------------------------------------------------------------------
# Servers that close, go away, reset or misbehave
# ---------------------------------------------------------------------------


async def _read_head(stream: trio.abc.Stream, buffer: bytearray) -> bool:
    while b"\r\n\r\n" not in buffer:
        data = await stream.receive_some(65536)
        if not data:
            return False
        buffer += data
    del buffer[: buffer.index(b"\r\n\r\n") + 4]
    return True


class ClosingServer:
    """HTTP/1.1 by hand: answers the first request of each connection with a
    kept-alive response, then closes when the next request comes (``race``)
    or right after the answer (``idle``)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.connections = 0
        self.answered = 0

    async def handle(self, stream: trio.abc.Stream) -> None:
        self.connections += 1
        buffer = bytearray()
        async with stream:
            if not await _read_head(stream, buffer):
                return
            self.answered += 1
            await stream.send_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
            if self.mode == "race":
                await _read_head(stream, buffer)  # ...and close without answering it


async def _serve(
    nursery: trio.Nursery, handler: Callable[[trio.SocketStream], Awaitable[None]]
) -> str:
    listeners = await nursery.start(partial(trio.serve_tcp, handler, 0, host="127.0.0.1"))
    return f"http://127.0.0.1:{listeners[0].socket.getsockname()[1]}"


async def test_a_connection_closed_as_it_is_reused_is_retried(nursery: trio.Nursery) -> None:
    server = ClosingServer("race")
    base = await _serve(nursery, server.handle)
    async with Client(http_version="1.1") as client:
        with trio.fail_after(10):
            for _ in range(3):
                assert (await client.get(f"{base}/")).content == b"ok"
            # POST is not idempotent: not sent again (RFC 9110 section 9.2.2).
            with pytest.raises(ConnectionLost) as caught:
                await client.post(f"{base}/", content=b"once")
            assert not caught.value.retry_safe
    assert server.connections == server.answered == 3


async def test_a_connection_the_server_closed_while_idle_is_not_reused(
    nursery: trio.Nursery,
) -> None:
    server = ClosingServer("idle")
    base = await _serve(nursery, server.handle)
    async with Client(http_version="1.1") as client:
        with trio.fail_after(10):
            for _ in range(3):
                assert (await client.post(f"{base}/", content=b"x")).content == b"ok"
                while client.connection_count:  # the client notices the close
                    await trio.sleep(0.01)
    assert server.connections == 3


class H2Peer:
    """HTTP/2 by hand (h2 as the server): ``goaway`` answers stream 1 of the
    first connection, then GOAWAY with last stream 1 once three requests are
    in; ``calm`` sends GOAWAY ENHANCE_YOUR_CALM (last stream 0) on the first
    connection, then serves; ``reset`` resets every stream; ``malformed``
    answers 101, which HTTP/2 does not have (RFC 9113 section 8.6);
    ``garbage`` sends a DATA frame on stream 0."""

    def __init__(self, mode: str, reset_code: int = H2ErrorCode.INTERNAL_ERROR) -> None:
        self.mode = mode
        self.reset_code = reset_code
        self.connections = 0
        self.served: list[tuple[int, int]] = []

    async def handle(self, stream: trio.abc.Stream) -> None:
        index = self.connections
        self.connections += 1
        config = h2.config.H2Configuration(client_side=False, validate_outbound_headers=False)
        conn = h2.connection.H2Connection(config)
        conn.initiate_connection()
        with contextlib.suppress(trio.BrokenResourceError, h2.exceptions.ProtocolError):
            async with stream:
                await self._serve(stream, conn, index)

    async def _serve(
        self, stream: trio.abc.Stream, conn: h2.connection.H2Connection, index: int
    ) -> None:
        complete: list[int] = []
        await stream.send_all(conn.data_to_send())
        while data := await stream.receive_some(65536):
            events = conn.receive_data(data)
            complete += [e.stream_id for e in events if isinstance(e, h2.events.StreamEnded)]
            if self.mode == "malformed" and complete:
                for stream_id in complete:
                    conn.send_headers(stream_id, [(":status", "101")])
                complete.clear()
            elif self.mode == "calm" and index == 0 and complete:
                conn.close_connection(H2ErrorCode.ENHANCE_YOUR_CALM, last_stream_id=0)
            elif self.mode == "garbage" and complete:
                await stream.send_all(b"\x00\x00\x01\x00\x00\x00\x00\x00\x00x")
                complete.clear()
            elif self.mode == "reset":
                for stream_id in complete:
                    conn.reset_stream(stream_id, self.reset_code)
                complete.clear()
            elif index == 0 and len(complete) == 3:
                self._answer(conn, index, 1)
                conn.close_connection(last_stream_id=1)
            elif index > 0:
                for stream_id in complete:
                    self._answer(conn, index, stream_id)
                complete.clear()
            await stream.send_all(conn.data_to_send())

    def _answer(self, conn: h2.connection.H2Connection, index: int, stream_id: int) -> None:
        self.served.append((index, stream_id))
        conn.send_headers(stream_id, [(":status", "200")])
        conn.send_data(stream_id, b"served by %d" % index, end_stream=True)


async def test_streams_refused_by_goaway_are_retried(nursery: trio.Nursery) -> None:
    peer = H2Peer("goaway")
    base = await _serve(nursery, peer.handle)
    bodies: list[bytes] = []

    async def one(method: str) -> None:
        bodies.append((await client.request(method, f"{base}/", content=b"x")).content)

    async with Client(http_version="2") as client:
        with trio.fail_after(10):
            async with trio.open_nursery() as nursery_:
                for method in ("GET", "POST", "POST"):
                    nursery_.start_soon(one, method)
    # Stream 1 was served by the first connection; the two refused ones,
    # POSTs included (provably unprocessed), by a second connection.
    assert sorted(bodies) == [b"served by 0", b"served by 1", b"served by 1"]
    assert sorted(peer.served) == [(0, 1), (1, 1), (1, 3)]


async def test_a_reset_stream_is_reported_with_its_code(nursery: trio.Nursery) -> None:
    base = await _serve(nursery, H2Peer("reset").handle)
    async with Client(http_version="2") as client:
        with pytest.raises(StreamReset, match="INTERNAL_ERROR") as caught:
            await limited(client.get(f"{base}/"))
    assert caught.value.error_code == H2ErrorCode.INTERNAL_ERROR and not caught.value.retry_safe


async def test_protocol_errors_carry_the_wire_error(nursery: trio.Nursery) -> None:
    base = await _serve(nursery, H2Peer("garbage").handle)
    async with Client(http_version="2") as client:
        with pytest.raises(ProtocolError) as caught:
            await limited(client.get(f"{base}/"))
    assert caught.value.code == H2ErrorCode.PROTOCOL_ERROR and caught.value.error is not None

    async def bad_http11(stream: trio.abc.Stream) -> None:
        await _read_head(stream, bytearray())
        with contextlib.suppress(trio.BrokenResourceError):
            await stream.send_all(b"HTTP/1.1 200 OK\r\ncontent-length: nope\r\n\r\n")
            await trio.sleep(1)

    base = await _serve(nursery, bad_http11)
    async with Client(http_version="1.1") as client:
        with pytest.raises(ProtocolError) as caught:
            await limited(client.get(f"{base}/"))
    assert caught.value.error is not None


async def test_an_early_answer_stops_the_upload_without_error(nursery: trio.Nursery) -> None:
    app = rest.App()
    app.limits = rest.Limits(max_body_size=1000)
    address: Address = await nursery.start(partial(serve_http, "127.0.0.1", 0, app=app))
    async with Client(http_version="2") as client:
        with trio.fail_after(10):
            # The server answers 413 and RST_STREAM NO_ERROR (RFC 9113 section 8.1).
            response = await client.post(
                f"http://127.0.0.1:{address[1]}/x", content=_chunks(100, 1000)
            )
    assert response.status == 413


# ---------------------------------------------------------------------------
# API details
# ---------------------------------------------------------------------------


async def test_requests_json_headers_and_helpers(echo: tuple[EchoServer, str]) -> None:
    _, base = echo
    async with Client(headers={"x-method": "never-sent"}) as client:
        with trio.fail_after(10):
            response = await client.put(f"{base}/j", json={"a": [1, 2]})
            assert response.json() == {"a": [1, 2]}
            typed = await client.post(f"{base}/j", json=[], headers={"content-type": "x/y"})
            assert typed.content == b"[]"
            assert response.headers.get("x-method") == b"PUT"
            assert (await client.delete(f"{base}/d")).headers.get("x-method") == b"DELETE"
            assert (await client.post(f"{base}/s", content="é")).content == "é".encode()
            with pytest.raises(LocalProtocolError, match="content or json"):
                await client.post(f"{base}/", content=b"x", json=1)
            with pytest.raises(LocalProtocolError):
                await client.get(f"{base}/", headers={"connection": "close"})
            with pytest.raises(LocalProtocolError):
                await client.get(f"{base}/", headers={"x": "\u20ac"})


def test_fields_lookups() -> None:
    fields = Fields(((b"a", b"1"), (b"b", b"2"), (b"a", b"3")))
    assert fields.get("A") == b"1" and fields.get(b"c") is None and fields.get("c", b"d") == b"d"
    assert fields.get_all("a") == [b"1", b"3"] and list(fields)[1] == (b"b", b"2")


async def test_urls_are_checked_before_connecting() -> None:
    async with Client() as client:
        for url in ("ftp://h/", "http:///x", "http://u:p@h/", "http://h:99999/", "http://[::1/"):
            with pytest.raises(InvalidURL):
                await client.get(url)
        assert client.connection_count == 0
    with pytest.raises(ClientClosed):
        await client.get("http://127.0.0.1:1/")
    with pytest.raises(ClientClosed):
        await Client().get("http://127.0.0.1:1/")
    with pytest.raises(ValueError, match="http_version"):
        Client(http_version="3")  # type: ignore[arg-type]
    with pytest.raises(ClientClosed):
        async with client:
            pass


async def test_targets_and_authority_on_the_wire(nursery: trio.Nursery) -> None:
    heads: list[bytes] = []

    async def record(stream: trio.abc.Stream) -> None:
        buffer = bytearray()
        while b"\r\n\r\n" not in buffer:
            buffer += await stream.receive_some(65536)
        heads.append(bytes(buffer))
        await stream.send_all(b"HTTP/1.1 204 No Content\r\n\r\n")

    base = await _serve(nursery, record)
    async with Client() as client:
        with trio.fail_after(10):
            await client.get(f"{base}/a b/é?q=1 2#frag")
            await client.get(f"{base}", headers={"Host": "example.test"})
    assert heads[0].startswith(b"GET /a%20b/%C3%A9?q=1%202 HTTP/1.1\r\n")
    assert f"host: {base[7:]}\r\n".encode() in heads[0].lower()
    assert heads[1].startswith(b"GET / HTTP/1.1\r\n")
    assert b"host: example.test\r\n" in heads[1].lower()


async def test_closing_the_client_fails_exchanges_in_flight(backend: tuple[Backend, str]) -> None:
    server, base = backend
    errors: list[BaseException] = []

    async def hang() -> None:
        try:
            await client.get(f"{base}/slow")
        except ConnectionLost as exc:
            errors.append(exc)

    with trio.fail_after(10):
        async with Client(http_version="2") as client, trio.open_nursery() as nursery:
            nursery.start_soon(hang)
            while not server.ports:
                await trio.sleep(0.01)
            await client.aclose()
            assert client.connection_count == 0
    assert len(errors) == 1


async def test_a_goaway_with_an_error_retries_what_it_did_not_process(
    nursery: trio.Nursery,
) -> None:
    peer = H2Peer("calm")
    base = await _serve(nursery, peer.handle)
    async with Client(http_version="2") as client:
        response = await limited_get(client, f"{base}/")
    assert response == b"served by 1" and peer.connections == 2


async def test_unknown_reset_codes_and_malformed_responses(nursery: trio.Nursery) -> None:
    base = await _serve(nursery, H2Peer("reset", reset_code=0xFF).handle)
    async with Client(http_version="2") as client:
        with pytest.raises(StreamReset, match="0xff") as caught:
            await limited_get(client, f"{base}/")
    assert caught.value.error_code == 0xFF
    base = await _serve(nursery, H2Peer("malformed").handle)
    async with Client(http_version="2") as client:
        with pytest.raises(ProtocolError, match="stream 1") as error:
            await limited_get(client, f"{base}/")
        assert error.value.code == H2ErrorCode.PROTOCOL_ERROR
        assert client.connection_count == 1  # a stream error: the connection lives on


async def limited_get(client: Client, url: str) -> bytes:
    with trio.fail_after(10):
        return (await client.get(url)).content


async def test_an_h2c_offer_declined_is_not_made_again(nursery: trio.Nursery) -> None:
    server = EchoServer(h2c=False)
    listeners = await nursery.start(partial(trio.serve_tcp, server.handle, 0, host="127.0.0.1"))
    base = f"http://127.0.0.1:{listeners[0].socket.getsockname()[1]}"
    versions: list[str] = []

    async def one() -> None:
        versions.append((await client.get(f"{base}/")).http_version)

    async with Client(http_version="h2c-upgrade") as client:
        with trio.fail_after(10):
            await one()
            async with trio.open_nursery() as both:
                both.start_soon(one)
                both.start_soon(one)
    assert versions == ["1.1"] * 3
    # The first connection offered h2c; the second, opened after the refusal, did not.
    assert server.protocols == [b"h2c", None, None] and server.connections == 2


async def test_informational_heads_are_kept(echo: tuple[EchoServer, str]) -> None:
    _, base = echo
    async with Client(http_version="2") as client:
        with trio.fail_after(10):
            async with client.open_stream("GET", f"{base}/early") as exchange:
                before = exchange.response
                await exchange.end()
                head = await exchange.receive_response()
                assert before is None and exchange.response is head and head.status == 200
                assert [(h.status, h.headers.get("link")) for h in exchange.informational] == [
                    (103, b"</a>")
                ]


async def test_the_caller_can_reset_an_exchange(echo: tuple[EchoServer, str]) -> None:
    server, base = echo
    async with Client(http_version="2") as client:
        with trio.fail_after(10):
            async with client.open_stream("POST", f"{base}/r") as exchange:
                await exchange.send_data(b"a")
                assert await exchange.receive_data() == b"a"
                exchange.reset(H2ErrorCode.REFUSED_STREAM)
                with pytest.raises(StreamReset) as caught:
                    await exchange.receive_data()
                assert caught.value.error_code == H2ErrorCode.REFUSED_STREAM
                with pytest.raises(StreamReset):
                    await exchange.send_data(b"b")
            with pytest.raises(LocalProtocolError, match="block was left"):
                await exchange.receive_data()
            while not server.resets:
                await trio.sleep(0.01)
            assert (await client.get(f"{base}/after")).status == 200
    assert server.resets == [H2ErrorCode.REFUSED_STREAM] and server.connections == 1


async def test_a_failing_request_body_fails_the_request(echo: tuple[EchoServer, str]) -> None:
    server, base = echo

    async def broken() -> AsyncIterator[bytes]:
        yield b"first"
        raise ValueError("no more body")

    async with Client(http_version="2") as client:
        with trio.fail_after(10):
            with pytest.raises(ValueError, match="no more body"):
                await client.post(f"{base}/b", content=broken())
            while not server.resets:
                await trio.sleep(0.01)
    assert server.resets == [H2ErrorCode.CANCEL]


async def test_idle_connections_expire(backend: tuple[Backend, str]) -> None:
    server, base = backend
    async with Client(http_version="2", keepalive_expiry=0.1) as client:
        with trio.fail_after(10):
            await client.get(f"{base}/hello")
            idle_from = trio.current_time()
            assert client.connection_count == 1
            while client.connection_count:
                await trio.sleep(0.01)
            assert trio.current_time() - idle_from >= 0.1
            await client.get(f"{base}/hello")
    assert len(set(server.ports)) == 2


def test_response_text_and_settings_checks() -> None:
    latin = Fields(((b"content-type", b'text/plain; charset="latin-1"'),))
    assert Response(200, latin, "é".encode("latin-1"), Fields(), "1.1").text == "é"
    unknown = Fields(((b"content-type", b"text/plain; charset=no-such"),))
    assert Response(200, unknown, "é".encode(), Fields(), "2").text == "é"
    with pytest.raises(ValueError, match="max_connections"):
        Client(max_connections_per_origin=0)
