"""Our WebSocket client over HTTP/2 (RFC 8441) against a server nobody here wrote:
hypercorn (Trio and asyncio workers) serving an ASGI WebSocket echo, over h2c and TLS h2."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import trio
import trustme
from tests.peers import free_port, require_module, start_process, stop_process

from servers.ws import HandshakeFailed, WebSocketClosed, connect

HOST = "127.0.0.1"
#: How long a server may take to accept connections after it is started.
STARTUP_TIMEOUT = 15.0

ASGI_APP = """
async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "websocket":
        return
    await receive()  # websocket.connect
    if scope["path"] == "/denied":
        await send({"type": "websocket.close", "code": 1000})
        return
    offered = scope["subprotocols"]
    accept = {"type": "websocket.accept"}
    if "chat" in offered:
        accept["subprotocol"] = "chat"
    await send(accept)
    await send({"type": "websocket.send", "text": "http_version=" + scope["http_version"]})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("text") == "close please":
            await send({"type": "websocket.close", "code": 4002, "reason": "as asked"})
            return
        if message.get("text") is not None:
            await send({"type": "websocket.send", "text": message["text"]})
        else:
            await send({"type": "websocket.send", "bytes": message["bytes"]})
"""


def _start_server(
    argv: list[str], ports: list[int], cwd: Path, log: Path
) -> subprocess.Popen[bytes]:
    return start_process(argv, ports, cwd, log, startup_timeout=STARTUP_TIMEOUT)


class Peer:
    def __init__(self, port: int, tls_port: int, ca: trustme.CA) -> None:
        self.port = port
        self.tls_port = tls_port
        self.ca = ca

    def client_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        context.set_alpn_protocols(["h2"])
        return context

    def url(self, tls: bool, path: str = "/echo") -> str:
        if tls:
            return f"wss://{HOST}:{self.tls_port}{path}"
        return f"ws://{HOST}:{self.port}{path}"


@contextmanager
def _hypercorn(worker: str, directory: Path) -> Iterator[Peer]:
    """hypercorn with one worker in its own process: cleartext (h2c) and TLS binds."""
    require_module("hypercorn")
    require_module("wsproto")
    (directory / "asgi_ws_app.py").write_text(ASGI_APP)
    ca = trustme.CA()
    issued = ca.issue_cert(HOST)
    key, cert = directory / "key.pem", directory / "cert.pem"
    issued.private_key_pem.write_to_path(str(key))
    cert.write_bytes(b"".join(blob.bytes() for blob in issued.cert_chain_pems))
    port, tls_port = free_port(), free_port()
    argv = [
        sys.executable,
        "-m",
        "hypercorn",
        "--worker-class",
        worker,
        "--workers",
        "0",
        "--insecure-bind",
        f"{HOST}:{port}",
        "--bind",
        f"{HOST}:{tls_port}",
        "--certfile",
        str(cert),
        "--keyfile",
        str(key),
        "asgi_ws_app:app",
    ]
    process = _start_server(argv, [port, tls_port], directory, directory / "hypercorn.log")
    try:
        yield Peer(port, tls_port, ca)
    finally:
        stop_process(process)


@pytest.fixture(params=["trio", "asyncio"])
def hypercorn(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Peer]:
    """A hypercorn of each test's own.

    hypercorn 0.18 forgets an HTTP/2 WebSocket stream as soon as the closing
    handshake is done on its side (it sends no END_STREAM either), and a
    DATA frame the client still sends on it, our Close answer or the empty
    one carrying our END_STREAM, raises KeyError in its H2 protocol. Its
    asyncio worker logs that; its Trio worker dies of it. So no test shares one.
    """
    with _hypercorn(request.param, tmp_path) as peer:
        yield peer


@pytest.mark.parametrize("tls", [False, True], ids=["h2c", "tls"])
async def test_hypercorn_echo_over_http2(hypercorn: Peer, tls: bool) -> None:
    context = hypercorn.client_context() if tls else None
    with trio.fail_after(30):
        async with connect(
            hypercorn.url(tls),
            http2=True,
            ssl_context=context,
            subprotocols=["other", "chat"],
            max_message_size=4 << 20,
            # hypercorn answers our Close but never ends the stream (no
            # END_STREAM, RFC 8441's FIN): the client's wait for it is cut short.
            close_timeout=1.0,
        ) as websocket:
            assert websocket.subprotocol == "chat"
            # hypercorn's wsproto takes the permessage-deflate offer.
            assert websocket.deflate is not None
            assert await websocket.receive() == "http_version=2"
            await websocket.send("héllo")
            assert await websocket.receive() == "héllo"
            await websocket.send(b"\x00bin")
            assert await websocket.receive() == b"\x00bin"
            big = os.urandom(1 << 20)
            await websocket.send(big)
            assert await websocket.receive() == big
            text = "deflate me " * 50_000
            await websocket.send(text)
            assert await websocket.receive() == text
            messages: list[str | bytes] = [f"m{i}" if i % 2 else b"b%d" % i for i in range(300)]
            await websocket.send_many(messages)
            assert [await websocket.receive() for _ in messages] == messages
            assert await websocket.ping() >= 0
        assert websocket.close_code == 1000


@pytest.mark.parametrize("tls", [False, True], ids=["h2c", "tls"])
async def test_hypercorn_closes_with_its_code(hypercorn: Peer, tls: bool) -> None:
    context = hypercorn.client_context() if tls else None
    with trio.fail_after(15):
        async with connect(
            hypercorn.url(tls),
            http2=True,
            ssl_context=context,
            compression=False,
            close_timeout=1.0,
        ) as websocket:
            assert await websocket.receive() == "http_version=2"
            await websocket.send("close please")
            with pytest.raises(WebSocketClosed) as info:
                await websocket.receive()
            assert (info.value.code, info.value.reason) == (4002, "as asked")
            await websocket.wait_stream_closed()


async def test_hypercorn_refusal_gives_its_status(hypercorn: Peer) -> None:
    with trio.fail_after(15):
        with pytest.raises(HandshakeFailed) as info:
            async with connect(hypercorn.url(False, "/denied"), http2=True):
                pytest.fail("connected")  # pragma: no cover
    assert info.value.status == 403
