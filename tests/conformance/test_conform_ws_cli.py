"""``wire conform ws-server`` against our server, a broken one and the websockets server.

Each server runs in a thread of its own (its own Trio or asyncio loop, or plain
blocking sockets) on loopback; the command runs in the test's thread through
``servers.cli.main``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import io
import json
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest
import trio
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.peers import require_module

from servers.cli import main
from servers.conform.ws_peer import MAX_INFLATED, Boundary, frame_bytes
from servers.conform.ws_server import matches, parse_ws_target, select
from servers.ws import serve_ws
from servers.ws_hub import Hub, demo_routes
from wire import ws
from wire.errors import LocalProtocolError

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def conform(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    status = main(["conform", "ws-server", *args], stdout=out)
    return status, out.getvalue()


@contextlib.contextmanager
def our_server(*, demo: bool = False) -> Iterator[int]:
    """serve_ws's echo endpoint (/echo) in a thread with its own Trio loop; ``demo``:
    the routes ``wire serve ws`` serves, with their 16 MiB ``/echo``."""
    started = threading.Event()
    box: dict[str, Any] = {}

    async def run() -> None:
        box["token"] = trio.lowlevel.current_trio_token()
        routes = demo_routes(Hub()) if demo else None
        with trio.CancelScope() as box["scope"]:
            async with trio.open_nursery() as nursery:
                serve = partial(serve_ws, config=ws.WSConfig(ping_interval=None))
                _, box["port"] = await nursery.start(serve, "127.0.0.1", 0, routes)
                started.set()

    thread = threading.Thread(target=trio.run, args=(run,), daemon=True)
    thread.start()
    assert started.wait(10), "the server did not start"
    try:
        yield box["port"]
    finally:
        trio.from_thread.run_sync(box["scope"].cancel, trio_token=box["token"])
        thread.join(15)


def test_the_demo_server_passes_the_whole_default_run() -> None:
    # What `wire conform ws-server --target ws://127.0.0.1:8081/echo` does against
    # `wire serve ws`: every case OK but those that need limits only our own test
    # routes set (UNSUPPORTED, with the limits named).
    with our_server(demo=True) as port:
        status, raw = conform("--target", f"ws://127.0.0.1:{port}/echo", "--json")
    assert status == 0, raw
    report = json.loads(raw)
    total = report["counts"]["total"]
    assert total["FAILED"] == total["NON-STRICT"] == total["INFORMATIONAL"] == 0
    unsupported = [c["id"] for c in report["cases"] if c["outcome"] == "UNSUPPORTED"]
    assert unsupported and all(".W." in case_id for case_id in unsupported)
    assert total["OK"] == len(select()) - len(unsupported) > 250


def test_our_server_passes_every_selected_case() -> None:
    with our_server() as port:
        target = f"ws://127.0.0.1:{port}/echo"
        sections = ["--only", "1.", "--only", "2.", "--only", "5.", "--only", "7."]
        status, text = conform("--target", target, *sections, "--only", "12.1.1")
        assert status == 0, text
        status, raw = conform("--target", target, "--only", "3", "--only", "12.1.1", "--json")
    assert status == 0, raw
    for line in text.splitlines()[1:]:
        if not line.strip():
            break
        assert line.split()[1] == "OK", line
    assert "total" in text
    report = json.loads(raw)
    assert report["counts"]["3"]["OK"] == sum(report["counts"]["3"].values()) == 7
    assert report["counts"]["12"]["OK"] == 1
    assert report["counts"]["total"]["OK"] == len(report["cases"]) == 8
    assert {case["outcome"] for case in report["cases"]} == {"OK"}


class BrokenServer:
    """Answers the handshake, then echoes data frames and Pings; broken at the close.

    ``close_code``: the code it answers a Close with (a wrong one), then it
    closes the TCP connection; ``None``: it echoes the Close frame as it came
    and never closes the connection.
    """

    def __init__(self, close_code: int | None) -> None:
        self.close_code = close_code
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> BrokenServer:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stopped.set()
        self.listener.close()
        self.thread.join(5)

    def _accept(self) -> None:
        self.listener.settimeout(0.2)
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(0.2)
        data = b""
        with conn:
            try:
                while b"\r\n\r\n" not in data:
                    data += self._recv(conn)
                head, _, data = data.partition(b"\r\n\r\n")
                key = next(
                    line.split(b":", 1)[1].strip()
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"sec-websocket-key:")
                )
                accept = base64.b64encode(hashlib.sha1(key + _GUID).digest())
                conn.sendall(
                    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                    b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n"
                )
                while True:
                    parsed = self._frame(data)
                    if parsed is None:
                        data += self._recv(conn)
                        continue
                    first, payload, data = parsed
                    opcode = first & 0x0F
                    if opcode == 9:
                        conn.sendall(bytes((0x8A, len(payload))) + payload)
                    elif opcode == 8 and self.close_code is not None:
                        conn.sendall(b"\x88\x02" + self.close_code.to_bytes(2, "big"))
                        return
                    elif opcode != 10:
                        conn.sendall(_unmasked(first, payload))
            except (OSError, StopIteration):
                return

    def _recv(self, conn: socket.socket) -> bytes:
        while not self.stopped.is_set():
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                raise OSError("closed")
            return chunk
        raise OSError("stopped")

    @staticmethod
    def _frame(data: bytes) -> tuple[int, bytes, bytes] | None:
        if len(data) < 2:
            return None
        size, start = data[1] & 0x7F, 2
        if size >= 126:
            start = 4 if size == 126 else 10
            if len(data) < start:
                return None
            size = int.from_bytes(data[2:start], "big")
        if len(data) < start + 4 + size:
            return None
        key = data[start : start + 4]
        body = data[start + 4 : start + 4 + size]
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(body))
        return data[0], payload, data[start + 4 + size :]


def _unmasked(first: int, payload: bytes) -> bytes:
    size = len(payload)
    if size < 126:
        return bytes((first, size)) + payload
    if size < 65536:
        return bytes((first, 126)) + size.to_bytes(2, "big") + payload
    return bytes((first, 127)) + size.to_bytes(8, "big") + payload


@pytest.mark.parametrize(
    ("close_code", "why"),
    [(1011, "close code 1011 not in [1000]"), (None, "did not end in time")],
)
def test_a_broken_server_fails(close_code: int | None, why: str) -> None:
    with BrokenServer(close_code) as server:
        target = f"ws://127.0.0.1:{server.port}/"
        started = time.monotonic()
        status, raw = conform(
            "--target", target, "--only", "1.1.1", "--only", "2.2", "--timeout", "1.5", "--json"
        )
        elapsed = time.monotonic() - started
    assert status == 1, raw
    assert elapsed < 10
    report = json.loads(raw)
    assert [case["id"] for case in report["cases"]] == ["1.1.1", "2.2"]
    for case in report["cases"]:
        assert case["outcome"] == "FAILED"
        assert why in case["detail"]
    assert report["counts"]["total"]["FAILED"] == 2


def test_deflate_cases_are_unsupported_where_the_server_declines() -> None:
    with BrokenServer(1000) as server:
        status, raw = conform("--target", f"ws://127.0.0.1:{server.port}/", "--only", "12.1.1")
    assert status == 0, raw
    assert "UNSUPPORTED" in raw
    assert "declined permessage-deflate" in raw


def test_targets_and_selection() -> None:
    assert parse_ws_target("ws://127.0.0.1:9001/echo?x=1") == ("127.0.0.1", 9001, "/echo?x=1")
    assert parse_ws_target("ws://[::1]") == ("::1", 80, "/")
    for bad in ("127.0.0.1:9001", "wss://example/", "ws://host:99999/"):
        with pytest.raises(LocalProtocolError):
            parse_ws_target(bad)
    assert matches("12.1.1", "12.1.1") and not matches("12.1.1", "12.1.10")
    assert matches("5", "5.1") and matches("5.", "5.20") and not matches("5", "50.1")
    # 12.1.2 is not in the sample, but naming it selects it.
    assert [c["id"] for c in select(["12.1.2"])] == ["12.1.2"]
    assert [c["id"] for c in select(["12.1."])] == ["12.1.1"]
    assert len(select(["12.1."], everything=True)) == 18
    status, _ = conform("--target", "ws://127.0.0.1:1/", "--only", "99.")
    assert status == 2


def test_an_unreachable_target() -> None:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port = sock.getsockname()[1]
    status, text = conform("--target", f"ws://127.0.0.1:{port}/", "--only", "1.1.1")
    assert status == 2
    assert text == ""


@contextlib.contextmanager
def websockets_server() -> Iterator[int]:
    """The websockets asyncio server with an echo handler, in a thread with its own loop."""
    from websockets.asyncio.server import ServerConnection, serve
    from websockets.exceptions import ConnectionClosed

    started = threading.Event()
    box: dict[str, Any] = {}

    async def echo(connection: ServerConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for message in connection:
                await connection.send(message)

    async def run() -> None:
        box["loop"] = asyncio.get_running_loop()
        box["stop"] = stop = box["loop"].create_future()
        async with serve(echo, "127.0.0.1", 0) as server:
            box["port"] = next(iter(server.sockets)).getsockname()[1]
            started.set()
            await stop

    thread = threading.Thread(target=asyncio.run, args=(run(),), daemon=True)
    thread.start()
    assert started.wait(10), "the websockets server did not start"
    try:
        yield box["port"]
    finally:
        box["loop"].call_soon_threadsafe(box["stop"].set_result, None)
        thread.join(15)


def test_websockets_server_sections_1_to_7() -> None:
    require_module("websockets")
    with websockets_server() as port:
        only = [arg for section in range(1, 8) for arg in ("--only", f"{section}.")]
        target = f"ws://127.0.0.1:{port}/"
        status, raw = conform("--target", target, *only, "--timeout", "5", "--json")
    assert status in (0, 1), raw
    report = json.loads(raw)
    counts = report["counts"]
    print("\nwebsockets asyncio server, wire conform ws-server, sections 1-7:")
    for section, row in counts.items():
        print(f"  {section:<6} " + " ".join(f"{name}={value}" for name, value in row.items()))
    for case in report["cases"]:
        if case["outcome"] != "OK":
            print(f"  {case['id']}: {case['outcome']}: {case['detail']}")
    assert set(counts) == {"1", "2", "3", "4", "5", "6", "7", "total"}
    # Autobahn's cases of section 1 (ours, 1.W.*, test rules websockets reads leniently).
    for case in report["cases"]:
        if case["id"].startswith("1.") and ".W." not in case["id"]:
            assert case["outcome"] == "OK", case


@given(
    frames=st.lists(
        st.tuples(
            st.sampled_from([0, 1, 2, 9]),
            st.sampled_from([0, 1, 5, 125, 126, 200, 65535, 65536, 70000]),
        ),
        min_size=1,
        max_size=4,
    ),
    cuts=st.lists(st.integers(min_value=0), max_size=6),
)
@settings(max_examples=100, deadline=None)
def test_the_frame_boundary_tracker_follows_any_cut(
    frames: list[tuple[int, int]], cuts: list[int]
) -> None:
    # The live runner sends its Ping barrier only between frames; a raw step
    # may end inside one. Fed in any pieces, the tracker knows which.
    data = b"".join(frame_bytes(op, bytes(size), key=b"\x01\x02\x03\x04") for op, size in frames)
    tracker = Boundary()
    previous = 0
    for cut in sorted({cut % (len(data) + 1) for cut in cuts} | {len(data)}):
        tracker.feed(data[previous:cut])
        previous = cut
    assert tracker.clean
    partial_tracker = Boundary()
    partial_tracker.feed(data[:-1])
    assert not partial_tracker.clean


@contextlib.contextmanager
def agreeing_server(extensions: bytes, then: bytes = b"") -> Iterator[int]:
    """Answers every handshake with ``extensions`` agreed, writes ``then``, reads until EOF."""
    listener = socket.create_server(("127.0.0.1", 0))
    stopped = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            conn.settimeout(5)
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            key = next(
                line.split(b":", 1)[1].strip()
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"sec-websocket-key:")
            )
            accept = base64.b64encode(hashlib.sha1(key + _GUID).digest())
            conn.sendall(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n"
                b"Sec-WebSocket-Extensions: " + extensions + b"\r\n\r\n" + then
            )
            while conn.recv(65536):
                pass

    def accept_loop() -> None:
        listener.settimeout(0.2)
        while not stopped.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept_loop, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stopped.set()
        listener.close()
        thread.join(5)


def test_a_malformed_agreement_fails_its_case_not_the_run() -> None:
    # "²" is a digit to str.isdigit() and not to int(): once a traceback out of the run.
    with agreeing_server("permessage-deflate; server_max_window_bits=²".encode("latin-1")) as port:
        status, raw = conform("--target", f"ws://127.0.0.1:{port}/", "--only", "12.1.1", "--json")
    assert status == 1, raw
    (case,) = json.loads(raw)["cases"]
    assert case["outcome"] == "FAILED" and "bad window bits" in case["detail"]


def test_a_compression_bomb_from_the_server_is_refused_within_bounds() -> None:
    # 256 MiB of zeros in about 256 KiB of DEFLATE: the runner inflates at
    # most MAX_INFLATED of it and fails the case.
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = bytes(1 << 20)
    body = b"".join(compressor.compress(block) for _ in range(256))
    body += compressor.flush(zlib.Z_SYNC_FLUSH)
    payload = body[:-4]  # RFC 7692 section 7.2.1: without the empty block's tail
    frame = bytes((0xC2, 127)) + len(payload).to_bytes(8, "big") + payload
    with agreeing_server(b"permessage-deflate", then=frame) as port:
        started = time.monotonic()
        status, raw = conform(
            "--target", f"ws://127.0.0.1:{port}/", "--only", "12.1.1", "--timeout", "5", "--json"
        )
    assert time.monotonic() - started < 10
    assert status == 1, raw
    (case,) = json.loads(raw)["cases"]
    assert case["outcome"] == "FAILED" and f"inflating past {MAX_INFLATED}" in case["detail"]
