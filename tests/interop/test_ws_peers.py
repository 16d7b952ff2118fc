"""WebSocket interop: real peers against our server, and our client against theirs.

Clients against :func:`servers.ws.serve_ws`: the ``websockets`` library
(asyncio and its Trio flavour), ``trio-websocket``, ``wsproto`` driven by
hand, and ``autobahn``'s asyncio client. Servers our client talks to: the
``websockets`` asyncio and Trio servers and ``trio-websocket``'s. Each run
echoes text, binary and a 1 MiB message, checks what was negotiated
(permessage-deflate where the peer has it, a subprotocol) and how the
connection closed. asyncio peers run in a thread with their own loop.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import trio
from tests.peers import require_module

from servers.ws import WebSocket, WSRoute, connect, serve_ws

Address = tuple[str, int]
#: Random (incompressible) and under 1 MiB once deflated: every peer's default limit.
BIG = os.urandom(1_000_000)
#: Messages every client exchanges with our echo endpoint.
MESSAGES: list[str | bytes] = ["hello", "héllo wörld " * 100, b"\x00\xffbinary", BIG]


async def _chat(websocket: WebSocket) -> None:
    """Echo, and say which subprotocol was agreed first."""
    await websocket.send(f"subprotocol={websocket.subprotocol}")
    async for message in websocket:
        if message == "close please":
            await websocket.close(4001, "as asked")
            return
        await websocket.send(message)


@pytest.fixture
async def server(nursery: trio.Nursery) -> Address:
    routes = {"/chat": WSRoute(_chat, subprotocols=("chat", "superchat"))}
    address: Address = await nursery.start(serve_ws, "127.0.0.1", 0, routes)
    return address


def _in_thread(fn: Callable[[], Any]) -> Any:
    return trio.to_thread.run_sync(fn, abandon_on_cancel=True)


# ----------------------------------------------------------------------
# Their clients, our server
# ----------------------------------------------------------------------


async def test_websockets_asyncio_client(server: Address) -> None:
    require_module("websockets")
    from websockets.asyncio.client import connect as ws_connect

    async def run() -> dict[str, Any]:
        url = f"ws://{server[0]}:{server[1]}/chat"
        async with ws_connect(url, subprotocols=["superchat"], proxy=None) as c:
            first = await c.recv()
            echoes = []
            for message in MESSAGES:
                await c.send(message)
                echoes.append(await c.recv())
            extensions = [type(e).__name__ for e in c.protocol.extensions]
            await c.send("close please")
            try:
                await c.recv()
            except Exception as exc:  # ConnectionClosedOK/Error
                closed = exc
        return {"first": first, "echoes": echoes, "ext": extensions, "closed": closed}

    with trio.fail_after(20):
        result = await _in_thread(lambda: asyncio.run(run()))
    assert result["first"] == "subprotocol=superchat"
    assert result["echoes"] == MESSAGES
    assert result["ext"] == ["PerMessageDeflate"]
    assert result["closed"].rcvd.code == 4001 and result["closed"].rcvd.reason == "as asked"


async def test_websockets_trio_client(server: Address) -> None:
    require_module("websockets.trio")
    from websockets.trio.client import connect as ws_connect

    url = f"ws://{server[0]}:{server[1]}/chat"
    with trio.fail_after(20):
        async with ws_connect(url, subprotocols=["chat"], proxy=None) as c:
            assert await c.recv() == "subprotocol=chat"
            for message in MESSAGES:
                await c.send(message)
                assert await c.recv() == message
            assert [type(e).__name__ for e in c.protocol.extensions] == ["PerMessageDeflate"]
            pong = await c.ping()
            with trio.fail_after(5):
                await pong.wait()
        assert c.close_code == 1000


async def test_trio_websocket_client(server: Address) -> None:
    require_module("trio_websocket")
    from trio_websocket import ConnectionClosed, open_websocket_url

    url = f"ws://{server[0]}:{server[1]}/chat"
    with trio.fail_after(20):
        async with open_websocket_url(url, subprotocols=["chat"], max_message_size=2 << 20) as c:
            assert c.subprotocol == "chat"
            assert await c.get_message() == "subprotocol=chat"
            for message in MESSAGES:
                await c.send_message(message)
                assert await c.get_message() == message
            await c.send_message("close please")
            with pytest.raises(ConnectionClosed) as info:
                await c.get_message()
        assert info.value.reason.code == 4001


async def test_wsproto_by_hand(server: Address) -> None:
    require_module("wsproto")
    from wsproto import ConnectionType, WSConnection
    from wsproto.events import (
        AcceptConnection,
        BytesMessage,
        CloseConnection,
        Ping,
        Pong,
        Request,
        TextMessage,
    )
    from wsproto.extensions import PerMessageDeflate

    client = WSConnection(ConnectionType.CLIENT)
    stream = await trio.open_tcp_stream(*server)
    events: list[Any] = []

    async def pump(until: Callable[[], bool]) -> None:
        while not until():
            data = await stream.receive_some(1 << 16)
            client.receive_data(data or None)
            events.extend(client.events())
            if not data:
                return

    with trio.fail_after(20):
        await stream.send_all(
            client.send(
                Request(
                    host="127.0.0.1",
                    target="/chat",
                    subprotocols=["superchat"],
                    extensions=[PerMessageDeflate()],
                )
            )
        )
        await pump(lambda: any(isinstance(e, AcceptConnection) for e in events))
        accepted = next(e for e in events if isinstance(e, AcceptConnection))
        assert accepted.subprotocol == "superchat"
        assert [type(e).__name__ for e in accepted.extensions] == ["PerMessageDeflate"]
        received: list[str | bytes] = []

        def messages() -> list[str | bytes]:
            out: list[str | bytes] = []
            partial: Any = None
            for event in events:
                if isinstance(event, TextMessage | BytesMessage):
                    partial = event.data if partial is None else partial + event.data
                    if event.message_finished:
                        out.append(partial)
                        partial = None
            return out

        for message in MESSAGES:
            payload = TextMessage(message) if isinstance(message, str) else BytesMessage(message)
            await stream.send_all(client.send(payload))
            count = len(received) + 2 if not received else len(received) + 1
            await pump(lambda n=count: len(messages()) >= n)  # type: ignore[misc]
            received = messages()
        assert received == ["subprotocol=superchat", *MESSAGES]
        await stream.send_all(client.send(Ping(b"hi")))
        await pump(lambda: any(isinstance(e, Pong) for e in events))
        await stream.send_all(client.send(CloseConnection(code=1000)))
        await pump(lambda: False)
    closes = [e for e in events if isinstance(e, CloseConnection)]
    # (wsproto reports the end of the stream as one more CloseConnection, 1006.)
    assert closes[0].code == 1000
    await stream.aclose()


async def test_autobahn_asyncio_client(server: Address) -> None:
    require_module("autobahn")
    from autobahn.asyncio.websocket import WebSocketClientFactory, WebSocketClientProtocol
    from autobahn.websocket.compress import (
        PerMessageDeflateOffer,
        PerMessageDeflateResponse,
        PerMessageDeflateResponseAccept,
    )

    result: dict[str, Any] = {"messages": []}

    async def run() -> None:
        loop = asyncio.get_running_loop()
        done = loop.create_future()

        class Client(WebSocketClientProtocol):  # type: ignore[misc]
            def onOpen(self) -> None:
                result["ext"] = [type(e).__name__ for e in self.websocket_extensions_in_use]
                self.pending = list(MESSAGES)

            def onMessage(self, payload: bytes, isBinary: bool) -> None:
                result["messages"].append(payload if isBinary else payload.decode())
                if self.pending:
                    message = self.pending.pop(0)
                    binary = isinstance(message, bytes)
                    self.sendMessage(message if binary else message.encode(), isBinary=binary)
                else:
                    self.sendClose(1000)

            def onClose(self, wasClean: bool, code: int, reason: str) -> None:
                result["close"] = (wasClean, code)
                if not done.done():
                    done.set_result(None)

        factory = WebSocketClientFactory(f"ws://{server[0]}:{server[1]}/chat", protocols=["chat"])
        factory.protocol = Client
        factory.setProtocolOptions(
            perMessageCompressionOffers=[PerMessageDeflateOffer()],
            perMessageCompressionAccept=lambda response: (
                PerMessageDeflateResponseAccept(response)
                if isinstance(response, PerMessageDeflateResponse)
                else None
            ),
            maxMessagePayloadSize=2 << 20,
            maxFramePayloadSize=2 << 20,
        )
        transport, _ = await loop.create_connection(factory, *server)
        try:
            await asyncio.wait_for(done, 20)
        finally:
            transport.close()

    with trio.fail_after(25):
        await _in_thread(lambda: asyncio.run(run()))
    assert result["messages"] == ["subprotocol=chat", *MESSAGES]
    assert result["ext"] == ["PerMessageDeflate"]
    assert result["close"] == (True, 1000)


# ----------------------------------------------------------------------
# Our client, their servers
# ----------------------------------------------------------------------


async def _our_client_session(url: str, *, deflate_expected: bool) -> None:
    with trio.fail_after(20):
        async with connect(url, subprotocols=["superchat", "chat"]) as c:
            assert c.subprotocol == "chat"
            assert (c.deflate is not None) == deflate_expected
            for message in MESSAGES:
                await c.send(message)
                assert await c.receive() == message
            assert await c.ping() >= 0
        assert c.close_code == 1000


@contextmanager
def _asyncio_server(start: Callable[[], Any]) -> Iterator[int]:
    """An asyncio server in a thread; yields its port."""
    ready = threading.Event()
    state: dict[str, Any] = {}

    def main() -> None:
        async def serve() -> None:
            state["loop"] = asyncio.get_running_loop()
            state["stop"] = asyncio.Event()
            server = await start()
            state["port"] = server.sockets[0].getsockname()[1]
            ready.set()
            await state["stop"].wait()
            server.close()
            await server.wait_closed()

        asyncio.run(serve())

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield state["port"]
    finally:
        state["loop"].call_soon_threadsafe(state["stop"].set)
        thread.join(10)


async def _ws_echo_asyncio(connection: Any) -> None:
    async for message in connection:
        await connection.send(message)


async def test_our_client_against_websockets_asyncio_server() -> None:
    require_module("websockets")
    from websockets.asyncio.server import serve

    def start() -> Any:
        return serve(_ws_echo_asyncio, "127.0.0.1", 0, subprotocols=["chat"], max_size=2 << 20)

    with _asyncio_server(start) as port:
        await _our_client_session(f"ws://127.0.0.1:{port}/", deflate_expected=True)


async def test_our_client_against_websockets_trio_server(nursery: trio.Nursery) -> None:
    require_module("websockets.trio")
    from websockets.trio.server import serve

    async def echo(connection: Any) -> None:
        async for message in connection:
            await connection.send(message)

    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    await nursery.start(
        lambda task_status: serve(
            echo,
            listeners=listeners,
            subprotocols=["chat"],
            max_size=2 << 20,
            task_status=task_status,
        )
    )
    await _our_client_session(f"ws://127.0.0.1:{port}/", deflate_expected=True)


async def test_our_client_against_trio_websocket_server(nursery: trio.Nursery) -> None:
    require_module("trio_websocket")
    from trio_websocket import ConnectionClosed, serve_websocket

    async def echo(request: Any) -> None:
        connection = await request.accept(subprotocol="chat")
        try:
            while True:
                await connection.send_message(await connection.get_message())
        except ConnectionClosed:
            pass

    server = await nursery.start(
        lambda task_status: serve_websocket(
            echo, "127.0.0.1", 0, None, max_message_size=2 << 20, task_status=task_status
        )
    )
    await _our_client_session(f"ws://127.0.0.1:{server.port}/", deflate_expected=False)
