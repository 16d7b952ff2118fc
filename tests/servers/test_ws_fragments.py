"""Messages frame by frame on Trio: send_fragment, receive_fragment, fragments().

A connection whose machine streams fragments (``WSConfig(stream_fragments=True)``)
never holds a message whole: each frame reaches the application as it arrives,
bounded by ``max_frame_size``, so a log stream or a file transfer may exceed
``max_message_size``. Sending streams the same way on any connection.
"""

from __future__ import annotations

import dataclasses
from functools import partial

import pytest
import trio

from servers.ws import (
    WebSocket,
    WebSocketClosed,
    WebSocketStream,
    WSRoute,
    connect,
    limits_config,
    serve_ws,
)
from wire import ws
from wire.errors import LocalProtocolError

Address = tuple[str, int]

#: Messages up to 16 MiB, held by no one: frames of at most 64 KiB (and
#: deflate's headroom).
STREAMING = dataclasses.replace(
    limits_config(16 << 20), max_frame_size=(64 << 10) + 1024, stream_fragments=True
)


def _url(address: Address, path: str) -> str:
    return f"ws://{address[0]}:{address[1]}{path}"


async def fragment_echo(websocket: WebSocket) -> None:
    """Every frame back as it comes: a message never held whole on the server."""
    async for fragment in websocket.fragments():
        await websocket.send_fragment(fragment.data, final=fragment.final)


async def whole_echo(websocket: WebSocket) -> None:
    async for message in websocket:
        await websocket.send(message)


@pytest.fixture
async def server(nursery: trio.Nursery) -> Address:
    routes = {
        "/stream": WSRoute(fragment_echo, config=STREAMING),
        "/whole": WSRoute(whole_echo, config=limits_config(8 << 20)),
    }
    address: Address = await nursery.start(serve_ws, "127.0.0.1", 0, routes)
    return address


async def _collect(websocket: WebSocket) -> tuple[str | bytes, int]:
    """One message's fragments joined, and how many there were."""
    parts: list[str | bytes] = []
    while True:
        fragment = await websocket.receive_fragment()
        parts.append(fragment.data)
        if fragment.final:
            break
    joined: str | bytes = "".join(parts) if isinstance(parts[0], str) else b"".join(parts)  # type: ignore[arg-type]
    return joined, len(parts)


@pytest.mark.parametrize("compression", [False, True])
async def test_a_large_message_streams_through_in_frames(
    server: Address, compression: bool
) -> None:
    # 4 MiB in 64 frames of 64 KiB, both ways, where frames are limited to
    # 64 KiB on the server: neither end ever holds the whole message.
    chunk = bytes(range(256)) * 256
    with trio.fail_after(20):
        async with connect(
            _url(server, "/stream"),
            stream_fragments=True,
            max_message_size=16 << 20,
            compression=compression,
        ) as websocket:
            assert (websocket.deflate is not None) is compression

            async def send() -> None:
                for index in range(64):
                    await websocket.send_fragment(chunk, final=index == 63)

            async with trio.open_nursery() as nursery:
                nursery.start_soon(send)
                joined, count = await _collect(websocket)
            assert joined == chunk * 64
            assert count >= 64  # (our server answers frame for frame)


async def test_text_frames_stay_text_and_whole_characters(server: Address) -> None:
    async with connect(_url(server, "/stream"), stream_fragments=True) as websocket:
        await websocket.send_fragment("héllo, ", final=False)
        await websocket.ping()  # control frames may come between fragments
        await websocket.send_fragment(bytearray(b"").decode() + "wörld", final=True)
        joined, count = await _collect(websocket)
        assert (joined, count) == ("héllo, wörld", 2)
        # Then an ordinary message, whole, still frame by frame on arrival.
        await websocket.send("one frame")
        fragment = await websocket.receive_fragment()
        assert (fragment.data, fragment.final, fragment.is_text) == ("one frame", True, True)


async def test_a_fragmented_message_arrives_whole_where_the_connection_does_not_stream(
    server: Address,
) -> None:
    async with connect(_url(server, "/whole"), max_message_size=8 << 20) as websocket:
        for index in range(10):
            await websocket.send_fragment(memoryview(b"%d" % index), final=index == 9)
        assert await websocket.receive() == b"0123456789"


async def test_misuse_is_refused_and_costs_nothing(server: Address) -> None:
    async with connect(_url(server, "/stream"), stream_fragments=True) as websocket:
        with pytest.raises(LocalProtocolError, match="receive_fragment"):
            await websocket.receive()
        with pytest.raises(LocalProtocolError, match="receive_fragment"):
            await websocket.__anext__()
        await websocket.send_fragment(b"part", final=False)
        with pytest.raises(LocalProtocolError, match="fragmented"):
            await websocket.send("a whole message in the middle")
        with pytest.raises(LocalProtocolError):
            await websocket.send_fragment("text in a binary message", final=True)
        await websocket.send_fragment(b" end", final=True)
        assert await _collect(websocket) == (b"part end", 2)
    async with connect(_url(server, "/whole")) as websocket:
        with pytest.raises(LocalProtocolError, match="does not stream"):
            await websocket.receive_fragment()
        with pytest.raises(LocalProtocolError, match="does not stream"):
            await websocket.fragments().__anext__()
        await websocket.send("still fine")
        assert await websocket.receive() == "still fine"


async def test_fragments_end_cleanly_and_errors_propagate(nursery: trio.Nursery) -> None:
    async def talk_then_close(websocket: WebSocket) -> None:
        await websocket.send_fragment("a", final=False)
        await websocket.send_fragment("b", final=True)
        await websocket.close(1000)

    async def fail(websocket: WebSocket) -> None:
        await websocket.close(4001, "no")

    routes = {"/talk": talk_then_close, "/fail": fail}
    address: Address = await nursery.start(serve_ws, "127.0.0.1", 0, routes)
    with trio.fail_after(10):
        async with connect(_url(address, "/talk"), stream_fragments=True) as websocket:
            got = [(f.data, f.final) async for f in websocket.fragments()]
        assert got == [("a", False), ("b", True)]
        async with connect(_url(address, "/fail"), stream_fragments=True) as websocket:
            with pytest.raises(WebSocketClosed) as info:
                async for _ in websocket.fragments():
                    pass
            assert info.value.code == 4001


async def test_a_stream_over_a_streaming_connection(nursery: trio.Nursery) -> None:
    received = bytearray()
    done = trio.Event()

    async def sink(websocket: WebSocket) -> None:
        stream = WebSocketStream(websocket)
        while data := await stream.receive_some():
            received.extend(data)
        done.set()

    route = WSRoute(sink, config=STREAMING)
    address: Address = await nursery.start(
        partial(serve_ws, deflate=None), "127.0.0.1", 0, {"/sink": route}
    )
    with trio.fail_after(10):
        async with connect(_url(address, "/sink"), compression=False) as websocket:
            for index in range(5):
                await websocket.send_fragment(bytes([index]) * 50_000, final=index == 4)
        await done.wait()
    assert received == b"".join(bytes([index]) * 50_000 for index in range(5))


async def test_a_reader_that_does_not_read_slows_a_streaming_sender(server: Address) -> None:
    # Fragments queue up to the receive queue's bound; then reading stops and
    # TCP pushes back: the server's echo, then our sends, wait. A cancelled
    # send only stops waiting: its frame is queued whole, and nothing is lost.
    queued = 0
    chunk = b"x" * 16384
    with trio.fail_after(20):
        async with connect(
            _url(server, "/stream"),
            stream_fragments=True,
            max_queue=4,
            compression=False,
            max_message_size=64 << 20,  # a whole message, still bounded
        ) as websocket:
            with trio.move_on_after(1.0):
                while True:
                    queued += 1  # queued whole as the call starts; only the wait is cut
                    await websocket.send_fragment(chunk, final=False)
            assert 8 <= queued < 2000  # bounded: about the socket buffers' worth
            total = 0

            async def read() -> None:
                nonlocal total
                while True:
                    fragment = await websocket.receive_fragment()
                    assert isinstance(fragment.data, bytes)
                    total += len(fragment.data)
                    if fragment.final:
                        return

            async with trio.open_nursery() as nursery:
                nursery.start_soon(read)
                await websocket.send_fragment(b"", final=True)
            assert total == queued * len(chunk)


def test_the_event_checks_still_apply() -> None:
    with pytest.raises(LocalProtocolError):
        ws.MessageFragment(3, True)  # type: ignore[arg-type]
