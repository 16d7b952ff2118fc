"""The WebSocket client over HTTP/2 (RFC 8441 extended CONNECT) against our HTTP server,
over h2c (prior knowledge) and over TLS with ALPN h2."""

from __future__ import annotations

import os
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

import h2.config
import h2.connection
import h2.events
import h2.settings
import pytest
import trio
import trustme

from servers.http import HTTPServer
from servers.ws import HandshakeFailed, WebSocket, WebSocketClosed, connect, limits_config, serve_ws
from wire.http import H2Config, rest

Address = tuple[str, int]

#: Messages up to this size pass (the tests send 1 MB).
BIG = 4 << 20
#: The flood's messages: 16 KiB each, 6 MiB in all, far above what the
#: windows and queues between the two ends hold.
FLOOD_SIZE = 16 * 1024
FLOOD_COUNT = 384


@dataclass
class Record:
    """What the server's handlers saw."""

    flood_sent: int = 0
    #: Set to let the "/sink" handler start reading.
    gate: trio.Event | None = None
    sunk: list[str | bytes] | None = None
    closes: list[tuple[int, str]] | None = None
    deflate: list[object] | None = None


def _app(record: Record) -> rest.App:
    app = rest.App(title="ws-h2", openapi_url=None)
    record.closes = []
    record.deflate = []
    record.gate = trio.Event()
    record.sunk = []

    @app.websocket("/echo", subprotocols=["chat.v2", "chat.v1"])
    async def echo(websocket: WebSocket) -> None:
        assert record.deflate is not None
        record.deflate.append(websocket.deflate)
        try:
            async for message in websocket:
                await websocket.send(message)
        except WebSocketClosed:
            pass
        assert record.closes is not None
        record.closes.append((websocket.close_code or 0, websocket.close_reason or ""))

    @app.websocket("/flood")
    async def flood(websocket: WebSocket) -> None:
        for index in range(FLOOD_COUNT):
            await websocket.send(index.to_bytes(4, "big") * (FLOOD_SIZE // 4))
            record.flood_sent = index + 1
        await websocket.wait_closed()

    @app.websocket("/sink")
    async def sink(websocket: WebSocket) -> None:
        assert record.gate is not None and record.sunk is not None
        await record.gate.wait()
        async for message in websocket:
            record.sunk.append(message)

    @app.websocket("/goodbye")
    async def goodbye(websocket: WebSocket) -> None:
        await websocket.send("leaving")
        await websocket.close(4001, "bye")

    return app


def _tls() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    client_context.set_alpn_protocols(["h2"])  # connect() never changes a given context
    return server_context, client_context


@dataclass
class Served:
    server: HTTPServer
    record: Record
    base: str
    client_context: ssl.SSLContext | None
    scope: trio.CancelScope

    def url(self, path: str) -> str:
        return self.base + path

    def connect(self, path: str, **options: Any) -> Any:
        return connect(self.url(path), http2=True, ssl_context=self.client_context, **options)

    async def wait_no_connection(self) -> None:
        """The HTTP/2 connection is gone on the server's side too."""
        with trio.fail_after(5):
            while self.server.connection_count:
                await trio.sleep(0.01)


async def _serve(nursery: trio.Nursery, *, tls: bool, h2_config: H2Config | None = None) -> Served:
    record = Record()
    server = HTTPServer(_app(record), ws_config=limits_config(BIG), shutdown_timeout=1.0)
    if h2_config is not None:
        server.h2_config = h2_config
    sockets = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = sockets[0].socket.getsockname()[1]
    listeners: list[trio.abc.Listener[trio.abc.Stream]] = list(sockets)
    client_context = None
    if tls:
        server_context, client_context = _tls()
        server_context.set_alpn_protocols(["h2", "http/1.1"])
        listeners = [trio.SSLListener(listener, server_context) for listener in listeners]
    scope = trio.CancelScope()

    async def run(task_status: trio.TaskStatus[None]) -> None:
        with scope:
            await server.serve(listeners, task_status=task_status)

    await nursery.start(run)
    scheme = "wss" if tls else "ws"
    return Served(server, record, f"{scheme}://127.0.0.1:{port}", client_context, scope)


@pytest.fixture(params=["h2c", "tls"])
async def served(request: pytest.FixtureRequest, nursery: trio.Nursery) -> Served:
    return await _serve(nursery, tls=request.param == "tls")


# ----------------------------------------------------------------------
# Messages
# ----------------------------------------------------------------------


async def test_echo_text_binary_one_megabyte_and_many(served: Served) -> None:
    with trio.fail_after(20):
        async with served.connect(
            "/echo?x=1", subprotocols=["chat.v1", "chat.v2"], max_message_size=BIG
        ) as websocket:
            assert websocket.subprotocol == "chat.v2"  # the server's preference
            assert websocket.request is None
            await websocket.send("héllo over h2")
            assert await websocket.receive() == "héllo over h2"
            await websocket.send(b"\x00\x01binary")
            assert await websocket.receive() == b"\x00\x01binary"
            big = os.urandom(1 << 20)  # random: deflate cannot shrink it
            await websocket.send(big)
            assert await websocket.receive() == big
            messages: list[str | bytes] = [f"m{i}" if i % 2 else b"b%d" % i for i in range(500)]
            await websocket.send_many(messages)
            assert [await websocket.receive() for _ in messages] == messages
            assert await websocket.ping() >= 0
        assert websocket.close_code == 1000
        await served.wait_no_connection()
        assert served.record.closes == [(1000, "")]


async def test_permessage_deflate_negotiated_and_working(served: Served) -> None:
    with trio.fail_after(20):
        async with served.connect("/echo", max_message_size=BIG) as websocket:
            deflate = websocket.deflate
            assert deflate is not None
            # The server's terms (servers.ws.DEFAULT_DEFLATE), as over HTTP/1.1.
            assert deflate.server_max_window_bits == 12
            text = "compress me, " * 80_000  # ~1 MB that deflates to a few KiB
            await websocket.send(text)
            assert await websocket.receive() == text
            for index in range(50):
                await websocket.send(f"small {index} " * 20)
                assert await websocket.receive() == f"small {index} " * 20
        async with served.connect("/echo", compression=False) as plain:
            assert plain.deflate is None
            await plain.send("as is")
            assert await plain.receive() == "as is"
    assert served.record.deflate is not None
    assert served.record.deflate[0] is not None and served.record.deflate[1] is None


# ----------------------------------------------------------------------
# Refusals
# ----------------------------------------------------------------------


async def test_a_missing_route_is_refused_with_its_status(served: Served) -> None:
    with trio.fail_after(10):
        with pytest.raises(HandshakeFailed) as info:
            async with served.connect("/nowhere"):
                pytest.fail("connected")  # pragma: no cover
    assert info.value.status == 404
    assert info.value.body == b"no WebSocket endpoint here\n"
    assert (b"content-type", b"text/plain; charset=utf-8") in info.value.headers
    await served.wait_no_connection()


@pytest.mark.parametrize("tls", [False, True], ids=["h2c", "tls"])
async def test_a_server_without_extended_connect_is_named(nursery: trio.Nursery, tls: bool) -> None:
    served = await _serve(nursery, tls=tls, h2_config=H2Config(enable_connect_protocol=False))
    with trio.fail_after(10):
        with pytest.raises(HandshakeFailed) as info:
            async with served.connect("/echo"):
                pytest.fail("connected")  # pragma: no cover
    assert "the server does not offer WebSocket over HTTP/2" in str(info.value)
    assert info.value.status is None
    await served.wait_no_connection()


async def test_tls_without_alpn_h2_is_refused(nursery: trio.Nursery) -> None:
    server_context, client_context = _tls()
    # serve_ws offers ALPN http/1.1 only.
    address = await nursery.start(
        partial(serve_ws, ssl_context=server_context), "127.0.0.1", 0, None
    )
    with trio.fail_after(10):
        with pytest.raises(HandshakeFailed, match="ALPN h2"):
            async with connect(
                f"wss://127.0.0.1:{address[1]}/echo", http2=True, ssl_context=client_context
            ):
                pytest.fail("connected")  # pragma: no cover


async def test_a_given_ssl_context_is_never_changed(nursery: trio.Nursery) -> None:
    # The caller's context offers no ALPN: HTTP/2 is refused rather than set
    # on it, and the same context still serves an HTTP/1.1 connect after
    # (which a context changed to offer only h2 would break: the server,
    # speaking both, would pick h2 for the Upgrade).
    served = await _serve(nursery, tls=True)
    assert served.client_context is not None
    plain = ssl.create_default_context()
    served_ca_context = served.client_context
    plain.load_verify_locations(cadata=_ca_pem(served_ca_context))
    with trio.fail_after(10):
        with pytest.raises(HandshakeFailed, match="set_alpn_protocols"):
            async with connect(served.url("/echo"), http2=True, ssl_context=plain):
                pytest.fail("connected")  # pragma: no cover
        async with connect(served.url("/echo"), ssl_context=plain) as websocket:
            await websocket.send("over HTTP/1.1")
            assert await websocket.receive() == "over HTTP/1.1"


def _ca_pem(context: ssl.SSLContext) -> str:
    return "".join(ssl.DER_cert_to_PEM_cert(der) for der in context.get_ca_certs(binary_form=True))


async def test_open_timeout_covers_a_server_that_never_answers(nursery: trio.Nursery) -> None:
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    held: list[trio.abc.Stream] = []

    async def silent(stream: trio.abc.Stream) -> None:
        held.append(stream)
        await trio.sleep_forever()

    nursery.start_soon(trio.serve_listeners, silent, listeners)
    with trio.fail_after(5):
        with pytest.raises(trio.TooSlowError):
            async with connect(f"ws://127.0.0.1:{port}/echo", http2=True, open_timeout=0.5):
                pytest.fail("connected")  # pragma: no cover


# ----------------------------------------------------------------------
# Flow control
# ----------------------------------------------------------------------


async def test_a_client_that_does_not_read_holds_the_server_back(served: Served) -> None:
    with trio.fail_after(30):
        async with served.connect("/flood", compression=False) as websocket:
            # Wait until the server's sends stop progressing.
            last = -1
            while not served.record.flood_sent or served.record.flood_sent != last:
                last = served.record.flood_sent
                await trio.sleep(0.3)
            held = served.record.flood_sent
            # HTTP/2 flow control and the bounded queues stop it far below the total.
            assert 0 < held < FLOOD_COUNT // 2
            for index in range(FLOOD_COUNT):
                message = await websocket.receive()
                assert message == index.to_bytes(4, "big") * (FLOOD_SIZE // 4)
            assert served.record.flood_sent == FLOOD_COUNT
        assert websocket.close_code == 1000


async def test_a_server_that_does_not_read_holds_the_client_back(served: Served) -> None:
    sent = 0

    async def send_all(websocket: WebSocket) -> None:
        nonlocal sent
        for index in range(FLOOD_COUNT):
            await websocket.send(index.to_bytes(4, "big") * (FLOOD_SIZE // 4))
            sent = index + 1

    with trio.fail_after(30):
        async with served.connect("/sink", compression=False) as websocket:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(send_all, websocket)
                last = -1
                while not sent or sent != last:
                    last = sent
                    await trio.sleep(0.3)
                # The server's stream window (no WINDOW_UPDATE while its
                # handler does not read) and the bounded queues stop us.
                assert 0 < sent < FLOOD_COUNT // 2
                assert served.record.gate is not None
                served.record.gate.set()
            assert sent == FLOOD_COUNT
            while len(served.record.sunk or ()) < FLOOD_COUNT:
                await trio.sleep(0.01)
    expected = [index.to_bytes(4, "big") * (FLOOD_SIZE // 4) for index in range(FLOOD_COUNT)]
    assert served.record.sunk == expected


# ----------------------------------------------------------------------
# Closing
# ----------------------------------------------------------------------


async def test_cancelling_the_block_closes_the_connection(served: Served) -> None:
    with trio.fail_after(10):
        with trio.move_on_after(0.3) as scope:
            async with served.connect("/echo") as websocket:
                await websocket.receive()  # nothing comes
        assert scope.cancelled_caught
        assert websocket.close_code == 1000
        await served.wait_no_connection()
    assert served.record.closes == [(1000, "")]


async def test_the_client_closes_with_its_code(served: Served) -> None:
    with trio.fail_after(10):
        async with served.connect("/echo") as websocket:
            await websocket.send("x")
            assert await websocket.receive() == "x"
            await websocket.close(4000, "done here")
            assert websocket.close_code == 4000
        await served.wait_no_connection()
    assert served.record.closes == [(4000, "done here")]


async def test_the_server_closes_with_its_code(served: Served) -> None:
    with trio.fail_after(10):
        async with served.connect("/goodbye") as websocket:
            assert await websocket.receive() == "leaving"
            with pytest.raises(WebSocketClosed) as info:
                await websocket.receive()
            assert (info.value.code, info.value.reason) == (4001, "bye")
            assert info.value.error is None
            await websocket.wait_stream_closed()
        await served.wait_no_connection()


async def test_a_server_shutting_down_says_going_away(served: Served) -> None:
    with trio.fail_after(10):
        async with served.connect("/echo") as websocket:
            await websocket.send("x")
            assert await websocket.receive() == "x"
            served.scope.cancel()
            with pytest.raises(WebSocketClosed):
                await websocket.receive()
            assert websocket.close_code == 1001
        await served.wait_no_connection()


# ----------------------------------------------------------------------
# A server that breaks the tunnel: the h2 library as a hand-driven peer
# ----------------------------------------------------------------------


@asynccontextmanager
async def _h2_peer(
    nursery: trio.Nursery, after_accept: Callable[[h2.connection.H2Connection, int], bool]
) -> AsyncIterator[str]:
    """An HTTP/2 server that accepts the extended CONNECT, then calls ``after_accept``
    (which acts on the h2 machine; ``True`` means cut the TCP connection)."""
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]

    async def handle(stream: trio.abc.Stream) -> None:
        config = h2.config.H2Configuration(client_side=False)
        conn = h2.connection.H2Connection(config)
        conn.local_settings = h2.settings.Settings(
            client=False, initial_values={h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL: 1}
        )
        conn.initiate_connection()
        await stream.send_all(conn.data_to_send())
        try:
            while data := await stream.receive_some(65536):
                for event in conn.receive_data(data):
                    if isinstance(event, h2.events.RequestReceived):
                        conn.send_headers(event.stream_id, [(b":status", b"200")])
                        await stream.send_all(conn.data_to_send())
                        cut = after_accept(conn, event.stream_id)
                        await stream.send_all(conn.data_to_send())
                        if cut:
                            await stream.aclose()
                            return
                await stream.send_all(conn.data_to_send())
        except trio.BrokenResourceError:
            pass
        await stream.aclose()

    scope = trio.CancelScope()

    async def run() -> None:
        with scope:
            await trio.serve_listeners(handle, listeners)

    nursery.start_soon(run)
    try:
        yield f"ws://127.0.0.1:{port}/echo"
    finally:
        scope.cancel()


def _reset(conn: h2.connection.H2Connection, stream_id: int) -> bool:
    conn.reset_stream(stream_id, 0x8)
    return False


def _goaway_with_error(conn: h2.connection.H2Connection, stream_id: int) -> bool:
    conn.close_connection(error_code=0x2)
    return False


def _cut(conn: h2.connection.H2Connection, stream_id: int) -> bool:
    return True


def _padding_then_hello(conn: h2.connection.H2Connection, stream_id: int) -> bool:
    # Empty DATA frames with padding only (RFC 9113 section 6.1): no octets for
    # the WebSocket, not its end; then a server frame: text "hello".
    for _ in range(3):
        conn.send_data(stream_id, b"", pad_length=100)
    conn.send_data(stream_id, b"\x81\x05hello")
    return False


async def test_padding_alone_is_not_the_end_of_the_tunnel(nursery: trio.Nursery) -> None:
    async with _h2_peer(nursery, _padding_then_hello) as url:
        with trio.fail_after(10):
            async with connect(url, http2=True, compression=False, close_timeout=0.5) as websocket:
                assert await websocket.receive() == "hello"


@pytest.mark.parametrize(
    "breaker", [_reset, _goaway_with_error, _cut], ids=["rst_stream", "goaway", "tcp_close"]
)
async def test_a_broken_tunnel_ends_the_websocket_without_hanging(
    nursery: trio.Nursery, breaker: Callable[[h2.connection.H2Connection, int], bool]
) -> None:
    async with _h2_peer(nursery, breaker) as url:
        with trio.fail_after(10):
            async with connect(url, http2=True, compression=False) as websocket:
                with pytest.raises(WebSocketClosed) as info:
                    await websocket.receive()
                assert info.value.code == 1006
                with pytest.raises(WebSocketClosed):
                    await websocket.send("too late")
