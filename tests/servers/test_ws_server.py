"""The Trio WebSocket driver: the server end to end on loopback, and the connection
object over Trio's memory streams (backpressure, keep-alive, closing) without sockets."""

from __future__ import annotations

import base64
import contextlib
import io
import logging
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import pytest
import trio
import trio.testing
import trustme
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servers.ws import (
    DEFAULT_DEFLATE,
    READINESS_THRESHOLD,
    HandshakeFailed,
    WebSocket,
    WebSocketClosed,
    WSRoute,
    WSServer,
    connect,
    echo,
    serve_ws,
)
from wire import ws
from wire.errors import LocalProtocolError
from wire.http import Role, rest

Address = tuple[str, int]


def _url(address: Address, path: str = "/echo") -> str:
    return f"ws://{address[0]}:{address[1]}{path}"


async def _raw_exchange(address: Address, data: bytes, *, close: bool = False) -> bytes:
    """Send ``data``, read until the server closes (or 5 s pass)."""
    with trio.fail_after(5):
        stream = await trio.open_tcp_stream(*address)
        await stream.send_all(data)
        if close:
            await stream.send_eof()
        out = b""
        while chunk := await stream.receive_some(65536):
            out += chunk
        await stream.aclose()
    return out


def _upgrade(path: str = "/echo", *extra: str, key: str | None = None) -> bytes:
    key = key or base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {path} HTTP/1.1",
        "Host: 127.0.0.1",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        *extra,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _masked(opcode: int, payload: bytes, *, fin: bool = True) -> bytes:
    key = os.urandom(4)
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    assert len(payload) < 126
    return bytes(((0x80 if fin else 0) | opcode, 0x80 | len(payload))) + key + masked


@pytest.fixture
async def echo_server(nursery: trio.Nursery) -> Address:
    address: Address = await nursery.start(serve_ws, "127.0.0.1", 0, None)
    return address


# ----------------------------------------------------------------------
# End to end
# ----------------------------------------------------------------------


async def test_echo_text_and_binary_with_the_default_bounded_deflate(echo_server: Address) -> None:
    async with connect(_url(echo_server)) as websocket:
        deflate = websocket.deflate
        assert deflate is not None
        assert deflate.server_max_window_bits == DEFAULT_DEFLATE.server_max_window_bits == 12
        assert deflate.client_max_window_bits == 12
        await websocket.send("héllo")
        assert await websocket.receive() == "héllo"
        big = bytes(range(256)) * 2000
        await websocket.send(big)
        assert await websocket.receive() == big
        await websocket.send_many(["a", b"b", "c"])
        assert [await websocket.receive() for _ in range(3)] == ["a", b"b", "c"]
        assert await websocket.ping() >= 0
    assert websocket.closed and websocket.close_code == 1000
    with pytest.raises(WebSocketClosed) as info:
        await websocket.send("late")
    assert info.value.clean


async def test_routes_path_parameters_and_subprotocols(nursery: trio.Nursery) -> None:
    seen: list[tuple[str, object, str | None]] = []

    async def room(websocket: WebSocket) -> None:
        assert websocket.request is not None
        seen.append(
            (
                websocket.request.path,
                websocket.request.path_params,
                websocket.request.headers.get("x-user"),
            )
        )
        await websocket.send(websocket.subprotocol or "none")

    routes = {
        "/rooms/{name}": WSRoute(room, subprotocols=("chat.v2", "chat.v1")),
        "/strict": WSRoute(room, subprotocols=("only",), require_subprotocol=True),
    }
    address = await nursery.start(serve_ws, "127.0.0.1", 0, routes)
    url = _url(address, "/rooms/lobby?x=1")
    async with connect(url, subprotocols=["chat.v1", "chat.v2"], headers={"X-User": "ann"}) as c:
        assert c.subprotocol == "chat.v2"  # the server's preference among those offered
        assert await c.receive() == "chat.v2"
    async with connect(url, compression=False) as c:
        assert c.subprotocol is None and c.deflate is None
        assert await c.receive() == "none"
    assert seen[0] == ("/rooms/lobby", {"name": "lobby"}, "ann")
    with pytest.raises(HandshakeFailed) as info:
        async with connect(_url(address, "/strict"), subprotocols=["other"]):
            pass
    assert info.value.status == 400
    with pytest.raises(HandshakeFailed) as info:
        async with connect(_url(address, "/nowhere")):
            pass
    assert info.value.status == 404


async def test_refusals_are_http_answers_and_the_connection_closes(nursery: trio.Nursery) -> None:
    address = await nursery.start(
        partial(serve_ws, allowed_origins=["https://good.example"]), "127.0.0.1", 0, {"/e": echo}
    )
    plain = await _raw_exchange(address, b"GET /e HTTP/1.1\r\nHost: x\r\n\r\n")
    assert plain.startswith(b"HTTP/1.1 426 ") and b"sec-websocket-version: 13" in plain
    no_key = _upgrade("/e").replace(b"Sec-WebSocket-Key", b"X-Nothing")
    assert (await _raw_exchange(address, no_key)).startswith(b"HTTP/1.1 400 ")
    version = _upgrade("/e", "Origin: https://good.example").replace(b"Version: 13", b"Version: 8")
    answer = await _raw_exchange(address, version)
    assert answer.startswith(b"HTTP/1.1 426 ") and b"sec-websocket-version: 13" in answer
    bad_origin = await _raw_exchange(address, _upgrade("/e", "Origin: https://evil.example"))
    assert bad_origin.startswith(b"HTTP/1.1 403 ")
    garbage = await _raw_exchange(address, b"\x16\x03\x01 not http at all\r\n\r\n")
    assert garbage.startswith(b"HTTP/1.1 400 ")
    ok = await _raw_exchange(
        address, _upgrade("/e", "Origin: https://good.example") + _masked(8, b"\x03\xe8")
    )
    assert ok.startswith(b"HTTP/1.1 101 ") and ok.endswith(b"\x88\x02\x03\xe8")


async def test_frames_after_the_handshake_in_the_same_packet_are_served(
    echo_server: Address,
) -> None:
    data = _upgrade() + _masked(1, b"early") + _masked(8, b"\x03\xe8")
    answer = await _raw_exchange(echo_server, data)
    head, _, frames = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101 ")
    # The echo precedes our Close (the grace for messages before a Close).
    assert frames == b"\x81\x05early" + b"\x88\x02\x03\xe8"


def _read_until(sock: socket.socket, end: bytes) -> bytes:
    data = b""
    while not data.endswith(end):
        chunk = sock.recv(65536)
        assert chunk, f"the server closed early after {data!r}"
        data += chunk
    return data


async def test_many_plain_connections_wait_in_one_epoll_set(nursery: trio.Nursery) -> None:
    # Past READINESS_THRESHOLD the connections wait through the run's
    # edge-triggered epoll set; data, and the end of the stream reported
    # together with data, must still reach each of them.
    ended: list[int] = []

    async def handler(websocket: WebSocket) -> None:
        with contextlib.suppress(WebSocketClosed):
            async for message in websocket:
                if message == "block":
                    # Hold the whole run up (deliberately not async), so the
                    # others' last message and end of stream arrive together.
                    time.sleep(0.3)
                await websocket.send(message)
        ended.append(websocket.close_code or 0)

    address: Address = await nursery.start(serve_ws, "127.0.0.1", 0, {"/e": handler})
    count = READINESS_THRESHOLD + 4

    def clients() -> None:
        socks = [socket.create_connection(address, timeout=5) for _ in range(count)]
        for sock in socks:
            sock.sendall(_upgrade("/e"))
            assert _read_until(sock, b"\r\n\r\n").startswith(b"HTTP/1.1 101 ")
        for round_number in range(3):
            for index, sock in enumerate(socks):
                sock.sendall(_masked(1, b"m%d.%d" % (round_number, index)))
            for index, sock in enumerate(socks):
                expected = b"m%d.%d" % (round_number, index)
                frame = bytes((0x81, len(expected))) + expected
                assert _read_until(sock, frame) == frame
        socks[0].sendall(_masked(1, b"block"))
        time.sleep(0.1)
        for index, sock in enumerate(socks[1:]):
            # A message and the end of the stream: no Close frame.
            sock.sendall(_masked(1, b"last %d" % index))
            sock.shutdown(socket.SHUT_WR)
        assert _read_until(socks[0], b"\x81\x05block")
        socks[0].shutdown(socket.SHUT_WR)
        for sock in socks:
            while sock.recv(65536):
                pass
            sock.close()

    with trio.fail_after(5):
        await trio.to_thread.run_sync(clients)
        while len(ended) < count:
            await trio.sleep(0.01)
    assert ended == [ws.CloseCode.ABNORMAL_CLOSURE] * count


async def test_receive_cancelled_anywhere_loses_nothing(nursery: trio.Nursery) -> None:
    # Enough connections for the shared epoll set, where receive() reads the
    # socket itself. The handler receives under a deadline that expires again
    # and again (while it waits, and right after reads that filled the
    # buffer): every message still arrives, once, in order, and the peer's
    # Ping is answered although the application keeps giving up.
    got: list[str] = []
    done = trio.Event()
    count = 3000

    async def patient(websocket: WebSocket) -> None:
        while len(got) < count:
            with trio.move_on_after(0.0005):
                got.append(await websocket.receive())  # type: ignore[arg-type]
        done.set()
        await websocket.close()

    async def idle(websocket: WebSocket) -> None:
        await websocket.wait_closed()

    address: Address = await nursery.start(
        serve_ws, "127.0.0.1", 0, {"/flood": patient, "/idle": idle}
    )
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(READINESS_THRESHOLD):
            await stack.enter_async_context(connect(_url(address, "/idle")))
        await _flood_patiently(address, got, done, count)


async def _flood_patiently(address: Address, got: list[str], done: trio.Event, count: int) -> None:
    messages = [f"message {n:05d}" + "x" * 40 for n in range(count)]

    def client() -> None:
        sock = socket.create_connection(address, timeout=5)
        sock.sendall(_upgrade("/flood"))
        _read_until(sock, b"\r\n\r\n")
        frames = [_masked(1, m.encode()) for m in messages]
        for start in range(0, count, 1500):
            # 1,500 frames of 58 octets: more than one 64 KiB read at a time.
            sock.sendall(b"".join(frames[start : start + 1500]) + _masked(9, b"still there?"))
            time.sleep(0.02)
        answer = _read_until(sock, b"\x03\xe8")
        assert answer.count(b"\x8a\x0cstill there?") == count // 1500
        sock.close()

    with trio.fail_after(10):
        await trio.to_thread.run_sync(client)
        await done.wait()
    assert got == messages


async def test_bad_peers_get_their_close_code(echo_server: Address) -> None:
    cases = [
        (bytes((0x81, 0x05)) + b"hello", 1002),  # unmasked
        (_masked(1, b"\xff\xfe"), 1007),  # invalid UTF-8
        (_masked(3, b""), 1002),  # reserved opcode
    ]
    for frame, code in cases:
        answer = await _raw_exchange(echo_server, _upgrade() + frame)
        frames = answer.partition(b"\r\n\r\n")[2]
        assert frames[:1] == b"\x88" and int.from_bytes(frames[2:4], "big") == code


async def test_handler_outcomes_become_close_codes(
    nursery: trio.Nursery, caplog: pytest.LogCaptureFixture
) -> None:
    async def fails(websocket: WebSocket) -> None:
        await websocket.receive()
        raise RuntimeError("bug in the handler")

    async def done(websocket: WebSocket) -> None:
        await websocket.send("bye")

    async def closes(websocket: WebSocket) -> None:
        await websocket.close(4000, "app says")

    routes = {"/fails": fails, "/done": done, "/closes": closes}
    address = await nursery.start(serve_ws, "127.0.0.1", 0, routes)
    with caplog.at_level(logging.ERROR, logger="wire.ws.server"):
        async with connect(_url(address, "/fails")) as c:
            await c.send("x")
            with pytest.raises(WebSocketClosed) as info:
                await c.receive()
            assert info.value.code == 1011 and not info.value.clean
    assert "handler failed" in caplog.text
    async with connect(_url(address, "/done")) as c:
        assert [message async for message in c] == ["bye"]
        assert c.close_code == 1000
    async with connect(_url(address, "/closes")) as c:
        with pytest.raises(WebSocketClosed) as info:
            await c.receive()
        assert (info.value.code, info.value.reason) == (4000, "app says")


async def test_handshake_timeout_and_max_connections(nursery: trio.Nursery) -> None:
    address = await nursery.start(
        partial(serve_ws, handshake_timeout=0.3, max_connections=1), "127.0.0.1", 0, {"/e": echo}
    )
    slow = await trio.open_tcp_stream(*address)
    await slow.send_all(b"GET /e HTTP/1.1\r\n")  # and nothing more: slowloris
    started = trio.current_time()
    with trio.fail_after(5):
        assert await slow.receive_some(100) == b""
    assert trio.current_time() - started < 2
    await slow.aclose()
    async with connect(_url(address, "/e")) as first:
        # The second connection is over the limit: closed at once.
        with pytest.raises(HandshakeFailed):
            async with connect(_url(address, "/e")):
                pass
        await first.send("still here")
        assert await first.receive() == "still here"


async def test_shutdown_says_going_away(nursery: trio.Nursery) -> None:
    scope = trio.CancelScope()

    async def run_server(task_status: trio.TaskStatus[Address]) -> None:
        with scope:
            await serve_ws("127.0.0.1", 0, None, task_status=task_status)

    address = await nursery.start(run_server)
    async with connect(_url(address)) as c:
        await c.send("x")
        assert await c.receive() == "x"
        scope.cancel()
        with pytest.raises(WebSocketClosed), trio.fail_after(5):
            await c.receive()
        assert c.close_code == 1001


async def test_wss(nursery: trio.Nursery) -> None:
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    address = await nursery.start(
        partial(serve_ws, ssl_context=server_context), "127.0.0.1", 0, None
    )
    url = f"wss://127.0.0.1:{address[1]}/echo"
    async with connect(url, ssl_context=client_context) as c:
        assert c.request is None
        await c.send(b"secret")
        assert await c.receive() == b"secret"
    assert c.close_code == 1000


# ----------------------------------------------------------------------
# The connection over memory streams
# ----------------------------------------------------------------------


@asynccontextmanager
async def _pair(
    *,
    lockstep: bool = True,
    server_config: ws.WSConfig | None = None,
    client_config: ws.WSConfig | None = None,
    **options: int,
) -> AsyncIterator[tuple[WebSocket, WebSocket]]:
    """A server and a client WebSocket over Trio memory streams, their tasks running."""
    if lockstep:
        left, right = trio.testing.lockstep_stream_pair()
    else:
        left, right = trio.testing.memory_stream_pair()
    quiet = ws.WSConfig(ping_interval=None, close_timeout=1.0)
    server = WebSocket(
        left,
        ws.WSConnection(Role.SERVER, config=server_config or quiet),
        **options,  # type: ignore[arg-type]
    )
    client = WebSocket(
        right,
        ws.WSConnection(Role.CLIENT, config=client_config or quiet, mask_source=os.urandom),
    )
    async with trio.open_nursery() as nursery:
        await nursery.start(server.run)
        await nursery.start(client.run)
        yield server, client
        nursery.cancel_scope.cancel()


async def test_a_full_receive_queue_stops_reading_so_the_sender_waits() -> None:
    async with _pair(max_queue=4, max_queue_bytes=1 << 20) as (server, client):
        sent = 0
        with trio.move_on_after(0.5):
            for index in range(1000):
                await client.send(f"message {index} ".ljust(1000, "."))
                sent += 1
        # The server queued at most max_queue (plus what one read held) and
        # stopped reading: with lockstep streams the client's writes stall,
        # and its sends wait once the high-water mark is reached.
        assert sent < 1000
        assert len(server._queue) <= 4 + 64
        assert client._out_size <= 64 * 1024 + 1100
        received = [await server.receive() for _ in range(sent)]
        assert received == [f"message {i} ".ljust(1000, ".") for i in range(sent)]


async def test_queue_bound_in_octets() -> None:
    async with _pair(max_queue=1000, max_queue_bytes=10_000) as (server, client):
        with trio.move_on_after(0.5):
            for _ in range(100):
                await client.send(b"x" * 1000)
        assert server._queued_bytes <= 10_000 + 1000


async def test_send_waits_for_a_peer_that_does_not_read() -> None:
    async with _pair(send_high_water=4096, max_queue=2) as (server, _):
        sent = 0
        with trio.move_on_after(0.5):
            for _ in range(10_000):
                await server.send(b"y" * 1000)
                sent += 1
        assert sent < 10_000
        # What waits for the peer stays near the high-water mark.
        assert server._out_size <= 4096 + 1000


async def test_both_ends_sending_and_receiving_a_lot_never_wait_on_each_other() -> None:
    # With no buffer between them (lockstep streams), each end's sends wait
    # above its high-water mark for the other to read. The readers must go on
    # reading what the application sent: if they stopped too, each end would
    # wait for the other for ever.
    async with _pair(send_high_water=4096, max_queue=4) as (server, client):
        count, size = 300, 8192

        async def echo() -> None:
            async for message in server:
                await server.send(message)

        received: list[bytes] = []

        async def receive() -> None:
            while len(received) < count:
                message = await client.receive()
                assert isinstance(message, bytes)
                received.append(message)

        with trio.fail_after(20):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(echo)
                nursery.start_soon(receive)
                for index in range(count):
                    await client.send(index.to_bytes(2, "big") * (size // 2))
                while len(received) < count:
                    await trio.sleep(0.01)
                nursery.cancel_scope.cancel()
        assert [m[:2] for m in received] == [i.to_bytes(2, "big") for i in range(count)]


async def test_a_ping_flood_is_pushed_back() -> None:
    # A peer that sends Pings and reads nothing: the Pongs pile up to the
    # high-water mark, then the reader stops reading and the flood's sender
    # waits. The output stays bounded.
    left, right = trio.testing.lockstep_stream_pair()
    server = WebSocket(
        left,
        ws.WSConnection(Role.SERVER, config=ws.WSConfig(ping_interval=None)),
        send_high_water=4096,
    )
    ping = _masked(9, b"p" * 100)
    sent = 0
    async with trio.open_nursery() as nursery:
        await nursery.start(server.run)
        with trio.move_on_after(0.5):
            while True:
                await right.send_all(ping)
                sent += 1
        assert sent < 1000
        assert server._out_size <= 4096 + 2 * 65536 // len(ping) * 102
        nursery.cancel_scope.cancel()


async def test_keepalive_drops_a_silent_peer() -> None:
    fast = ws.WSConfig(ping_interval=0.1, ping_timeout=0.2, close_timeout=0.5)
    left, right = trio.testing.memory_stream_pair()
    server = WebSocket(left, ws.WSConnection(Role.SERVER, config=fast))
    async with trio.open_nursery() as nursery:
        await nursery.start(server.run)
        with trio.fail_after(5):
            # The peer reads what comes (a Ping) and never answers.
            ping = await right.receive_some(100)
            assert ping[:1] == b"\x89"
            await server.wait_closed()
        nursery.cancel_scope.cancel()
    assert isinstance(server.close_error, ws.KeepaliveTimeout)
    assert server.close_code == 1006


async def test_ping_is_answered_by_keepalive_of_a_live_peer() -> None:
    fast = ws.WSConfig(ping_interval=0.05, ping_timeout=0.5)
    async with _pair(lockstep=False, server_config=fast) as (server, client):
        await trio.sleep(0.3)
        assert not server.closed and not client.closed
        assert await client.ping(b"explicit") >= 0


async def test_close_timeout_when_the_peer_never_answers() -> None:
    config = ws.WSConfig(ping_interval=None, close_timeout=0.2)
    left, right = trio.testing.memory_stream_pair()
    server = WebSocket(left, ws.WSConnection(Role.SERVER, config=config))
    async with trio.open_nursery() as nursery:
        await nursery.start(server.run)
        with trio.fail_after(5):
            await server.close(1000)
        nursery.cancel_scope.cancel()
    assert isinstance(server.close_error, ws.CloseTimeout)
    assert right.receive_some  # the Close frame went out before the wait
    assert server.state is ws.ConnectionState.CLOSED


async def test_messages_before_the_peers_close_reach_the_application() -> None:
    async with _pair(lockstep=False) as (server, client):
        await client.send_many(["one", "two"])
        await client.close()
        assert [message async for message in server] == ["one", "two"]
        assert server.close_code == 1000


async def test_cancelled_sender_does_not_cut_a_frame() -> None:
    async with _pair(send_high_water=1 << 20) as (server, client):
        with trio.move_on_after(0.05):
            await server.send(b"z" * 200_000)  # lockstep: written only while the client reads
        got = await client.receive()
        assert got == b"z" * 200_000
        await server.send("after")
        assert await client.receive() == "after"


async def test_subclasses_of_str_and_bytes_go_as_their_plain_values(echo_server: Address) -> None:
    import enum

    class Side(enum.StrEnum):
        BUY = "buy"

    class Payload(bytes):
        pass

    async with connect(_url(echo_server), compression=False) as websocket:
        await websocket.send(Side.BUY)
        assert await websocket.receive() == "buy"
        await websocket.send(Payload(b"\x00\x01"))
        got = await websocket.receive()
        assert got == b"\x00\x01" and type(got) is bytes
        assert websocket.send_nowait(Payload(b"now"))
        assert await websocket.receive() == b"now"


async def test_invalid_arguments() -> None:
    left, _ = trio.testing.memory_stream_pair()
    conn = ws.WSConnection(Role.SERVER)
    with pytest.raises(ValueError, match="queue"):
        WebSocket(left, conn, max_queue=0)
    with pytest.raises(ValueError, match="send_timeout"):
        WebSocket(left, conn, send_timeout=0)
    websocket = WebSocket(left, conn)
    with pytest.raises(TypeError):
        websocket._queue_message(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        WSServer(echo, max_connections=0)


# ----------------------------------------------------------------------
# wire serve
# ----------------------------------------------------------------------


async def test_wire_serve_ws_and_mqtt_over_websocket(
    nursery: trio.Nursery, monkeypatch: pytest.MonkeyPatch
) -> None:
    from servers import serve
    from wire import mqtt

    monkeypatch.setattr(serve, "FAMILIES", {"mqtt": 0, "http": 0, "ws": 0})
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        mqtt_ws_port = probe.getsockname()[1]
    out = io.StringIO()
    bound = await nursery.start(
        partial(
            serve._serve,
            ["mqtt", "ws"],
            "127.0.0.1",
            None,
            (None, None),
            serve.broker_config(None, None),
            None,
            out,
            None,
            mqtt_ws_port=mqtt_ws_port,
        )
    )
    ports = {family: port for family, _, port in bound}
    text = out.getvalue()
    assert f"mqtt: MQTT over WebSocket listening on ws://127.0.0.1:{mqtt_ws_port}/mqtt" in text
    assert (
        "ws: WebSocket server (/echo, /chat/{room}, /ticker) listening on ws://127.0.0.1:" in text
    )
    with trio.fail_after(10):
        async with connect(f"ws://127.0.0.1:{ports['ws']}/echo") as c:
            await c.send("served")
            assert await c.receive() == "served"
        async with connect(f"ws://127.0.0.1:{ports['ws']}/ticker") as c:
            assert "price" in str(await c.receive())
        async with connect(f"ws://127.0.0.1:{mqtt_ws_port}/mqtt", subprotocols=["mqtt"]) as c:
            await c.send(mqtt.encode(mqtt.Connect(client_id="w", protocol_level=5), version=5))
            connack = mqtt.PacketReader(version=5).feed(await c.receive())  # type: ignore[arg-type]
            assert isinstance(connack[0], mqtt.Connack)
    nursery.cancel_scope.cancel()


def test_wire_serve_ws_command() -> None:
    from servers.cli import main

    assert main(["serve", "http", "--ws-port", "1"]) == 2
    process = subprocess.Popen(
        [sys.executable, "-m", "servers.cli", "serve", "ws", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "ws: WebSocket server" in line
        url = line.rsplit(" ", 1)[1].strip() + "/echo"

        async def check() -> None:
            async with connect(url) as c:
                await c.send("cli")
                assert await c.receive() == "cli"

        trio.run(check)
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0


# ----------------------------------------------------------------------
# WebSocket routes on the HTTP server: HTTP/1.1 Upgrade and HTTP/2 extended CONNECT
# ----------------------------------------------------------------------


def _app_with_websockets() -> tuple[rest.App, list[str]]:
    app = rest.App(title="ws", openapi_url=None)
    gate: list[str] = []

    @app.get("/hello")
    def hello(request: rest.Request) -> str:
        return "hi"

    @app.websocket("/ws/{room}", subprotocols=["chat"])
    async def room(websocket: WebSocket) -> None:
        assert websocket.request is not None
        await websocket.send(f"room={websocket.request.path_params['room']}")
        async for message in websocket:
            await websocket.send(message)

    @app.websocket("/slow")
    async def slow(websocket: WebSocket) -> None:
        # Reads nothing until told (through the app): flow control must hold the sender.
        while not gate:
            await trio.sleep(0.01)
        async for message in websocket:
            await websocket.send(str(len(message)))

    app.add_websocket("/strict", room, subprotocols=["only"], require_subprotocol=True, name="s")
    return app, gate


async def test_app_websocket_over_http1_upgrade(nursery: trio.Nursery) -> None:
    from servers.http import serve_http

    app, _ = _app_with_websockets()
    address = await nursery.start(partial(serve_http, app=app), "127.0.0.1", 0)
    base = f"ws://127.0.0.1:{address[1]}"
    with trio.fail_after(10):
        async with connect(f"{base}/ws/lobby", subprotocols=["chat"]) as c:
            assert c.subprotocol == "chat"
            assert await c.receive() == "room=lobby"
            await c.send(b"\x00" * 70_000)
            assert await c.receive() == b"\x00" * 70_000
        with pytest.raises(HandshakeFailed) as info:
            async with connect(f"{base}/nowhere"):
                pass
        assert info.value.status == 404
        with pytest.raises(HandshakeFailed) as info:
            async with connect(f"{base}/strict"):
                pass
        assert info.value.status == 400
        plain = await _raw_exchange(
            address, b"GET /ws/x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
        )
        assert plain.startswith(b"HTTP/1.1 426 ") and b"WebSocket endpoint" in plain
        version = _upgrade("/ws/x").replace(b"Version: 13", b"Version: 7")
        answer = await _raw_exchange(address, version, close=True)
        assert answer.startswith(b"HTTP/1.1 426 ")
        hello = await _raw_exchange(
            address, b"GET /hello HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
        )
        assert hello.startswith(b"HTTP/1.1 200 ") and hello.endswith(b"hi")
        early = _upgrade("/ws/early") + _masked(1, b"first") + _masked(8, b"\x03\xe8")
        frames = (await _raw_exchange(address, early)).partition(b"\r\n\r\n")[2]
        assert frames == b"\x81\x0aroom=early" + b"\x81\x05first" + b"\x88\x02\x03\xe8"


class _H2WebSocketClient:
    """An HTTP/2 client (the h2 library) carrying a WebSocket (wire.ws) in an extended CONNECT."""

    def __init__(self, stream: trio.SocketStream) -> None:
        import h2.config
        import h2.connection

        self.stream = stream
        self.h2 = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.ws = ws.WSConnection(
            Role.CLIENT, config=ws.WSConfig(ping_interval=None), mask_source=os.urandom
        )
        self.events: list[Any] = []
        self.messages: list[ws.Event] = []
        self.ended = False

    async def flush(self) -> None:
        data = self.h2.data_to_send()
        if data:
            await self.stream.send_all(data)

    async def pump(self, until: Any) -> None:
        import h2.events

        while not until():
            data = await self.stream.receive_some(65536)
            assert data, "the server closed the connection"
            for event in self.h2.receive_data(data):
                self.events.append(event)
                if isinstance(event, h2.events.DataReceived):
                    self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                    self.ws.receive_data(event.data)
                    self.messages += self.ws.events()
                elif isinstance(event, h2.events.StreamEnded):
                    self.ended = True
            await self.flush()

    async def send(self, event: ws.Event) -> None:
        self.ws.send(event)
        for chunk in self.ws.data_to_send():
            if chunk:
                self.h2.send_data(1, chunk)
        await self.flush()


async def test_app_websocket_over_http2_extended_connect(nursery: trio.Nursery) -> None:
    import h2.events
    import h2.settings

    from servers.http import serve_http

    app, _ = _app_with_websockets()
    address = await nursery.start(partial(serve_http, app=app), "127.0.0.1", 0)
    with trio.fail_after(10):
        client = _H2WebSocketClient(await trio.open_tcp_stream(*address))
        client.h2.initiate_connection()
        await client.flush()
        await client.pump(
            lambda: any(isinstance(e, h2.events.RemoteSettingsChanged) for e in client.events)
        )
        assert client.h2.remote_settings.enable_connect_protocol == 1
        handshake = ws.ClientHandshake(subprotocols=["chat"], http2=True)
        request = handshake.request(b"/ws/h2room", b"127.0.0.1")
        headers = [
            (b":method", b"CONNECT"),
            (b":protocol", b"websocket"),
            (b":scheme", b"http"),
            (b":path", request.target),
            (b":authority", b"127.0.0.1"),
            *request.headers,
        ]
        client.h2.send_headers(1, headers)
        await client.flush()
        await client.pump(
            lambda: any(isinstance(e, h2.events.ResponseReceived) for e in client.events)
        )
        response = next(e for e in client.events if isinstance(e, h2.events.ResponseReceived))
        status = dict(response.headers)[b":status"]
        assert status == b"200"
        assert dict(response.headers).get(b"sec-websocket-protocol") == b"chat"
        await client.pump(lambda: len(client.messages) >= 1)
        assert client.messages[0] == ws.TextMessage("room=h2room")
        await client.send(ws.TextMessage("over h2"))
        await client.pump(lambda: len(client.messages) >= 2)
        assert client.messages[1] == ws.TextMessage("over h2")
        await client.send(ws.Close(1000))
        await client.pump(lambda: client.ended)
        assert ws.Close(1000, "") in client.messages
        await client.stream.aclose()


async def test_http2_padding_alone_is_not_the_end_of_the_tunnel(nursery: trio.Nursery) -> None:
    # An empty DATA frame with padding (RFC 9113 section 6.1) carries no octets
    # but flow-control credit: it must neither end the WebSocket nor keep its credit.
    import h2.events

    from servers.http import serve_http

    app, _ = _app_with_websockets()
    address = await nursery.start(partial(serve_http, app=app), "127.0.0.1", 0)
    with trio.fail_after(10):
        client = _H2WebSocketClient(await trio.open_tcp_stream(*address))
        client.h2.initiate_connection()
        await client.flush()
        await client.pump(
            lambda: any(isinstance(e, h2.events.RemoteSettingsChanged) for e in client.events)
        )
        request = ws.ClientHandshake(http2=True).request(b"/ws/padded", b"127.0.0.1")
        client.h2.send_headers(
            1,
            [
                (b":method", b"CONNECT"),
                (b":protocol", b"websocket"),
                (b":scheme", b"http"),
                (b":path", request.target),
                (b":authority", b"127.0.0.1"),
                *request.headers,
            ],
        )
        await client.flush()
        await client.pump(lambda: len(client.messages) >= 1)
        # Twice the stream's initial window in padding alone: it only gets
        # through if the server gives the credit back.
        for _ in range(2 * 65535 // 256 + 1):
            while client.h2.local_flow_control_window(1) < 256:
                await client.pump(lambda: client.h2.local_flow_control_window(1) >= 256)
            client.h2.send_data(1, b"", pad_length=255)
            await client.flush()
        await client.send(ws.TextMessage("after the padding"))
        await client.pump(lambda: len(client.messages) >= 2)
        assert client.messages[1] == ws.TextMessage("after the padding")
        await client.stream.aclose()


async def test_http2_flow_control_holds_a_sender_while_the_handler_does_not_read(
    nursery: trio.Nursery,
) -> None:
    import h2.events

    from servers.http import serve_http

    app, gate = _app_with_websockets()
    address = await nursery.start(partial(serve_http, app=app), "127.0.0.1", 0)
    with trio.fail_after(20):
        client = _H2WebSocketClient(await trio.open_tcp_stream(*address))
        client.h2.initiate_connection()
        await client.flush()
        await client.pump(
            lambda: any(isinstance(e, h2.events.RemoteSettingsChanged) for e in client.events)
        )
        request = ws.ClientHandshake(http2=True).request(b"/slow", b"127.0.0.1")
        client.h2.send_headers(
            1,
            [
                (b":method", b"CONNECT"),
                (b":protocol", b"websocket"),
                (b":scheme", b"http"),
                (b":path", b"/slow"),
                (b":authority", b"127.0.0.1"),
                *request.headers,
            ],
        )
        await client.flush()
        await client.pump(
            lambda: any(isinstance(e, h2.events.ResponseReceived) for e in client.events)
        )
        # Send until the stream's window is gone: the handler reads nothing, so
        # the server's WebSocket queue fills, it stops reading the tunnel, and
        # the tunnel acknowledges nothing more.
        sent = 0
        message = ws.BytesMessage(b"m" * 4000)
        while sent < 1000:
            while client.h2.local_flow_control_window(1) >= 5000 and sent < 1000:
                await client.send(message)
                sent += 1
            with trio.move_on_after(0.3):
                await client.pump(lambda: client.h2.local_flow_control_window(1) >= 5000)
            if client.h2.local_flow_control_window(1) < 5000:
                break  # the window stays closed
        # The server holds its bounded queue (1 MiB) plus one window, no more.
        assert sent * 4000 < (1 << 20) + 2 * 65535
        assert client.h2.local_flow_control_window(1) < 5000
        gate.append("go")
        while client.h2.local_flow_control_window(1) < 5000:
            await client.pump(lambda: client.h2.local_flow_control_window(1) >= 5000)
        await client.pump(lambda: len(client.messages) >= sent)
        assert client.messages[:sent] == [ws.TextMessage("4000")] * sent
        await client.stream.aclose()


def test_app_websocket_registration() -> None:
    app = rest.App(openapi_url=None)

    async def handler(websocket: Any) -> None:
        pass

    route = app.add_websocket("/a/{x:int}", handler)
    assert app.websocket_routes == (route,)
    assert route.name == "handler" and route.subprotocols == ()
    found = app.match_websocket("/a/7")
    assert found is not None and found[0] is route and found[1] == {"x": 7}
    assert app.match_websocket("/a/x") is None
    assert app.match_websocket("/a/%ff") is None
    for bad in (["not a token"], "chat"):
        with pytest.raises(LocalProtocolError):
            app.add_websocket("/b", handler, subprotocols=bad)  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError):
        app.add_websocket("/a/{x:int}", handler)
    response = app.handle_sync(rest.Request("GET", "/a/1"))
    assert response.status == 426
    assert response.headers.get("sec-websocket-version") == "13"
    assert app.handle_sync(rest.Request("GET", "/zzz")).status == 404


async def test_http_server_shutdown_says_going_away_to_websockets(nursery: trio.Nursery) -> None:
    from servers.http import serve_http

    app, _ = _app_with_websockets()
    scope = trio.CancelScope()

    async def run_server(task_status: trio.TaskStatus[Address]) -> None:
        with scope:
            await serve_http("127.0.0.1", 0, app=app, task_status=task_status)

    address = await nursery.start(run_server)
    with trio.fail_after(10):
        async with connect(f"ws://127.0.0.1:{address[1]}/ws/bye") as c:
            assert await c.receive() == "room=bye"
            scope.cancel()
            with pytest.raises(WebSocketClosed):
                await c.receive()
            assert c.close_code == 1001


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    before=st.booleans(),
    garbage=st.binary(min_size=1, max_size=300),
)
def test_a_bad_peer_never_takes_the_server_down(before: bool, garbage: bytes) -> None:
    """Random octets, as the handshake or after it: the peer is closed, the server serves on."""

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            address = await nursery.start(
                partial(serve_ws, handshake_timeout=1.0), "127.0.0.1", 0, None
            )
            data = garbage if before else _upgrade() + garbage
            with trio.fail_after(10):
                stream = await trio.open_tcp_stream(*address)
                await stream.send_all(data)
                await stream.send_eof()
                with contextlib.suppress(trio.BrokenResourceError):
                    while await stream.receive_some(65536):
                        pass
                await stream.aclose()
                async with connect(_url(address)) as c:
                    await c.send("still serving")
                    assert await c.receive() == "still serving"
            nursery.cancel_scope.cancel()

    trio.run(main)


@pytest.mark.parametrize("cancelled", [False, True])
async def test_a_busy_handler_still_gets_pings_answered(
    nursery: trio.Nursery, cancelled: bool
) -> None:
    """After receive() read the socket itself, the reader takes it back when the app is busy."""
    busy = trio.Event()

    async def handler(websocket: WebSocket) -> None:
        await websocket.receive()
        await websocket.send("got it")
        if cancelled:
            with trio.move_on_after(0.05):
                await websocket.receive()  # reading the socket itself, then cancelled
        busy.set()
        await trio.sleep(10)  # busy: no receive() for a long while

    address = await nursery.start(partial(serve_ws, deflate=None), "127.0.0.1", 0, handler)
    with trio.fail_after(5):
        async with connect(f"ws://127.0.0.1:{address[1]}/", compression=False) as c:
            await c.send("first")
            assert await c.receive() == "got it"
            await c.send("second")  # read by the application's receive(), or queued
            await busy.wait()
            assert await c.ping() < 1.0  # HANDBACK (0.25 s) and scheduling
