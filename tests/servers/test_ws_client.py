"""The WebSocket client: URLs, the handshake against scripted servers, and the block's end."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Awaitable, Callable
from functools import partial

import pytest
import trio

from servers.ws import (
    HandshakeFailed,
    WebSocket,
    WebSocketClosed,
    _header_fields,
    _split_url,
    connect,
    serve_ws,
)
from wire import ws

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def test_urls() -> None:
    assert _split_url("ws://example.com/chat?x=1") == (
        False,
        "example.com",
        80,
        b"example.com",
        b"/chat?x=1",
    )
    assert _split_url("wss://example.com") == (True, "example.com", 443, b"example.com", b"/")
    assert _split_url("WS://127.0.0.1:8081") == (False, "127.0.0.1", 8081, b"127.0.0.1:8081", b"/")
    assert _split_url("ws://[::1]:9000/p") == (False, "::1", 9000, b"[::1]:9000", b"/p")
    for bad in ("http://example.com/", "ws:///nohost", "ws://user:pw@example.com/"):
        with pytest.raises(ValueError):
            _split_url(bad)


def test_header_fields() -> None:
    assert _header_fields({"Origin": "https://a.example"}) == ((b"origin", b"https://a.example"),)
    assert _header_fields([(b"X-A", b"1"), ("x-b", "2")]) == ((b"x-a", b"1"), (b"x-b", b"2"))


Script = Callable[[trio.SocketStream, bytes], Awaitable[None]]


async def _scripted(nursery: trio.Nursery, script: Script) -> str:
    """A server that reads a request head and runs ``script``; returns its ws:// URL."""

    async def handle(stream: trio.SocketStream) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = await stream.receive_some(4096)
            if not chunk:
                return
            head += chunk
        await script(stream, head)
        await stream.aclose()

    listeners = await nursery.start(partial(trio.serve_tcp, handle, 0, host="127.0.0.1"))
    port = listeners[0].socket.getsockname()[1]
    return f"ws://127.0.0.1:{port}/x"


def _accept(head: bytes) -> bytes:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"sec-websocket-key":
            return base64.b64encode(hashlib.sha1(value.strip() + GUID).digest())
    raise AssertionError("no key")


def _switch(accept: bytes, *extra: bytes) -> bytes:
    lines = [
        b"HTTP/1.1 101 Switching Protocols",
        b"Upgrade: websocket",
        b"Connection: Upgrade",
        b"Sec-WebSocket-Accept: " + accept,
        *extra,
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n"


async def test_a_frame_right_after_the_101_is_received(nursery: trio.Nursery) -> None:
    async def script(stream: trio.SocketStream, head: bytes) -> None:
        await stream.send_all(_switch(_accept(head)) + b"\x81\x05early" + b"\x88\x02\x03\xe8")
        # The client's Close answers ours; then the server closes first (section 7.1.1).
        echo = await stream.receive_some(4096)
        assert echo[:1] == b"\x88"

    url = await _scripted(nursery, script)
    with trio.fail_after(5):
        async with connect(url, compression=False) as c:
            assert await c.receive() == "early"
            with pytest.raises(WebSocketClosed):
                await c.receive()
        assert c.close_code == 1000


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        (lambda head: _switch(b"d3JvbmcgYWNjZXB0IHRva2VuIQ=="), None),
        (lambda head: _switch(_accept(head), b"Sec-WebSocket-Protocol: other"), None),
        (lambda head: _switch(_accept(head), b"Sec-WebSocket-Extensions: x-unknown"), None),
        (
            lambda head: b"HTTP/1.1 403 Forbidden\r\nContent-Length: 6\r\n\r\nno way",
            403,
        ),
        (lambda head: b"", None),
    ],
    ids=["wrong-accept", "unoffered-subprotocol", "unoffered-extension", "403", "closed"],
)
async def test_bad_handshake_answers(
    nursery: trio.Nursery, answer: Callable[[bytes], bytes], status: int | None
) -> None:
    async def script(stream: trio.SocketStream, head: bytes) -> None:
        await stream.send_all(answer(head))

    url = await _scripted(nursery, script)
    with pytest.raises(HandshakeFailed) as info, trio.fail_after(5):
        async with connect(url, subprotocols=["chat"]):
            raise AssertionError("connected")  # pragma: no cover
    assert info.value.status == status
    if status == 403:
        assert info.value.body == b"no way"


async def test_open_timeout(nursery: trio.Nursery) -> None:
    async def script(stream: trio.SocketStream, head: bytes) -> None:
        await trio.sleep_forever()

    url = await _scripted(nursery, script)
    with pytest.raises(trio.TooSlowError):
        async with connect(url, open_timeout=0.2):
            raise AssertionError("connected")  # pragma: no cover


async def test_the_block_closes_with_1000_and_exceptions_pass_through(
    nursery: trio.Nursery,
) -> None:
    ended: list[tuple[int | None, object]] = []

    async def record(websocket: WebSocket) -> None:
        async for message in websocket:
            await websocket.send(message)
        ended.append((websocket.close_code, websocket.close_error))

    address = await nursery.start(serve_ws, "127.0.0.1", 0, record)
    url = f"ws://127.0.0.1:{address[1]}/any/path"
    with pytest.raises(KeyError), trio.fail_after(5):
        async with connect(url, compression=ws.DeflateConfig(server_no_context_takeover=True)) as c:
            assert c.deflate is not None and c.deflate.server_no_context_takeover
            await c.send("x")
            assert await c.receive() == "x"
            raise KeyError("the caller's own")
    with trio.fail_after(5):
        while not ended:
            await trio.sleep(0.01)
    assert ended == [(1000, None)]


async def test_server_closing_first_ends_the_iteration(nursery: trio.Nursery) -> None:
    async def bye(websocket: WebSocket) -> None:
        await websocket.send("bye")
        await websocket.close(1001, "going")

    address = await nursery.start(partial(serve_ws, deflate=None), "127.0.0.1", 0, bye)
    with trio.fail_after(5):
        async with connect(f"ws://127.0.0.1:{address[1]}/") as c:
            assert c.deflate is None
            assert [m async for m in c] == ["bye"]
            assert (c.close_code, c.close_reason) == (1001, "going")
            with pytest.raises(WebSocketClosed):
                await c.send("too late")
            with pytest.raises(WebSocketClosed):
                await c.ping()
