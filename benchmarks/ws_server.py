"""WebSocket server benchmark: ours against websockets (asyncio and Trio) and trio-websocket.

Run ``python -m benchmarks.ws_server`` (``--help`` for the knobs, ``--quick`` for a
smoke run). Every server is a subprocess of this module (``--serve NAME``) on a
free loopback port, serving ``/echo`` (every message back) and ``/broadcast``
(every message to every connection of that path), with keep-alive pings and
compression off. Measurements, all with the same client:

- ``echo1``, ``echo50``: 32-octet text messages echoed with 1 and 50
  connections, each connection keeping one message in flight (send, wait for
  the echo, send again); messages per second, and the server's CPU time per
  message (user + system from ``/proc/PID/stat``);
- ``broadcast``: 1,000 connections on ``/broadcast``; one of them sends a
  32-octet message and the clock runs until every connection received it;
  milliseconds per broadcast, and server CPU per delivered message.

Servers: ours (``servers.ws.serve_ws``; the broadcast through
``servers.ws_hub.Hub``), the ``websockets`` asyncio server and its Trio server
(the broadcast with ``websockets.broadcast``, which writes one pre-encoded
frame to every connection), and ``trio-websocket`` (a ``send_message`` per
connection). The client is one process of plain non-blocking sockets and
``selectors``; its frames are encoded before the clock starts. When ``taskset``
is there, servers run on CPU 0 and the client on CPU 1.

All servers are started once; the measurements take turns (round 1: every
server, every test; round 2: ...), and the table shows medians with ratios of
server CPU per message (peer/ours: above 1, ours spends less) and the targets
of the WebSocket issue: at most the websockets asyncio server's CPU per
message, and at least 2x better than trio-websocket's.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import resource
import selectors
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

__all__ = ["main", "run_from_args"]

HOST = "127.0.0.1"
SERVERS = ("ours", "websockets-asyncio", "websockets-trio", "trio-websocket")
PEERS = SERVERS[1:]
TESTS = ("echo1", "echo50", "broadcast")
PAYLOAD = b"0123456789abcdef0123456789abcdef"
_REPO = Path(__file__).resolve().parent.parent
_TICK = os.sysconf("SC_CLK_TCK")
#: The issue's targets: peer -> least ratio of server CPU per message, peer/ours.
TARGETS = {"websockets-asyncio": 1.0, "trio-websocket": 2.0}


# ---------------------------------------------------------------------------
# The servers (each in its own process)
# ---------------------------------------------------------------------------


def _raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def serve_ours(port: int) -> None:
    import trio

    from servers.ws import WebSocket, limits_config, serve_ws
    from servers.ws_hub import Hub

    hub = Hub(presence=False)

    async def echo(websocket: WebSocket) -> None:
        async for message in websocket:
            await websocket.send(message)

    async def broadcast(websocket: WebSocket) -> None:
        async with hub.connect(websocket) as member:
            hub.join(member, "all")
            async for message in websocket:
                hub.publish("all", message)

    routes: Any = {"/echo": echo, "/broadcast": broadcast}
    config = limits_config(ping_interval=None)
    trio.run(lambda: serve_ws(HOST, port, routes, deflate=None, config=config, backlog=4096))


def serve_websockets_asyncio(port: int) -> None:
    import asyncio

    from websockets.asyncio.server import broadcast, serve

    clients: set[Any] = set()

    async def handler(connection: Any) -> None:
        if connection.request.path == "/broadcast":
            clients.add(connection)
            try:
                async for message in connection:
                    broadcast(clients, message)
            finally:
                clients.discard(connection)
        else:
            async for message in connection:
                await connection.send(message)

    async def run() -> None:
        async with serve(
            handler, HOST, port, ping_interval=None, compression=None, backlog=4096
        ) as server:
            await server.serve_forever()

    asyncio.run(run())


def serve_websockets_trio(port: int) -> None:
    import trio
    from websockets.trio.server import broadcast, serve

    clients: set[Any] = set()

    async def handler(connection: Any) -> None:
        if connection.request.path == "/broadcast":
            clients.add(connection)
            try:
                async for message in connection:
                    await broadcast(clients, message)
            finally:
                clients.discard(connection)
        else:
            async for message in connection:
                await connection.send(message)

    trio.run(
        lambda: serve(handler, port, host=HOST, ping_interval=None, compression=None, backlog=4096)
    )


def serve_trio_websocket(port: int) -> None:
    import trio
    from trio_websocket import ConnectionClosed, serve_websocket

    clients: set[Any] = set()

    async def handler(request: Any) -> None:
        connection = await request.accept()
        try:
            if request.path == "/broadcast":
                clients.add(connection)
                while True:
                    message = await connection.get_message()
                    for client in list(clients):
                        with contextlib.suppress(ConnectionClosed):
                            await client.send_message(message)
            else:
                while True:
                    await connection.send_message(await connection.get_message())
        except ConnectionClosed:
            pass
        finally:
            clients.discard(connection)

    trio.run(lambda: serve_websocket(handler, HOST, port, None))


SERVE = {
    "ours": serve_ours,
    "websockets-asyncio": serve_websockets_asyncio,
    "websockets-trio": serve_websockets_trio,
    "trio-websocket": serve_trio_websocket,
}
MODULES = {
    "websockets-asyncio": "websockets",
    "websockets-trio": "websockets.trio",
    "trio-websocket": "trio_websocket",
}


# ---------------------------------------------------------------------------
# Processes, CPU time, ports
# ---------------------------------------------------------------------------


class BenchError(Exception):
    """A server could not be run or measured."""


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of ``pid`` (``/proc/PID/stat`` fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def load_average() -> str:
    with open("/proc/loadavg") as handle:
        return " ".join(handle.read().split()[:3])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class RunningServer:
    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log: Path


def start_server(name: str, logs: Path, pin: bool) -> RunningServer:
    port = free_port()
    log = logs / f"{name}.log"
    command = [sys.executable, "-m", "benchmarks.ws_server", "--serve", name, "--port", str(port)]
    if pin and shutil.which("taskset"):
        command = ["taskset", "-c", "0", *command]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(_REPO), str(_REPO / "src")])}
    with log.open("wb") as output:
        proc = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
        )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"{name} exited: {log.read_text(errors='replace')[-1500:]}")
        try:
            sock = socket.create_connection((HOST, port), timeout=1)
        except OSError:
            time.sleep(0.05)
            continue
        sock.close()
        return RunningServer(name, proc, port, log)
    proc.kill()
    raise BenchError(f"{name} did not listen on {port}")


def stop_server(server: RunningServer) -> None:
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGINT)
        try:
            server.proc.wait(5)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait(5)


# ---------------------------------------------------------------------------
# The client: non-blocking sockets, pre-encoded frames
# ---------------------------------------------------------------------------


def masked_text(payload: bytes, key: bytes) -> bytes:
    """A masked text frame (RFC 6455 section 5.3) of a payload under 126 octets."""
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return bytes((0x81, 0x80 | len(payload))) + key + masked


def count_frames(buffer: bytearray) -> int:
    """Remove the complete frames at the start of ``buffer``; return how many."""
    count = 0
    pos = 0
    end = len(buffer)
    while end - pos >= 2:
        size = buffer[pos + 1] & 0x7F
        start = pos + 2
        if size == 126:
            if end - pos < 4:
                break
            size = int.from_bytes(buffer[pos + 2 : pos + 4], "big")
            start = pos + 4
        elif size == 127:
            if end - pos < 10:
                break
            size = int.from_bytes(buffer[pos + 2 : pos + 10], "big")
            start = pos + 10
        if start + size > end:
            break
        pos = start + size
        count += 1
    del buffer[:pos]
    return count


def open_connections(port: int, path: str, count: int, window: int = 100) -> list[socket.socket]:
    """``count`` WebSocket connections to ``path``, at most ``window`` handshakes at once."""
    out: list[socket.socket] = []
    while len(out) < count:
        batch = []
        for _ in range(min(window, count - len(out))):
            sock = socket.create_connection((HOST, port), timeout=10)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            key = base64.b64encode(os.urandom(16)).decode()
            sock.sendall(
                (
                    f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\n"
                    f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                    "Sec-WebSocket-Version: 13\r\n\r\n"
                ).encode()
            )
            batch.append(sock)
        for sock in batch:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = sock.recv(4096)
                if not chunk:
                    raise BenchError(f"handshake refused on {path}")
                head += chunk
            if not head.startswith(b"HTTP/1.1 101"):
                raise BenchError(f"handshake refused: {head[:80]!r}")
            if head.split(b"\r\n\r\n", 1)[1]:
                raise BenchError("unexpected frames after the handshake")
            sock.setblocking(False)
            out.append(sock)
    return out


def close_connections(socks: list[socket.socket]) -> None:
    close = bytes((0x88, 0x82)) + b"\x00\x00\x00\x00" + b"\x03\xe8"
    for sock in socks:
        with contextlib.suppress(OSError):
            sock.send(close)
    time.sleep(0.05)
    for sock in socks:
        sock.close()


def echo_run(socks: list[socket.socket], seconds: float) -> int:
    """Messages echoed in ``seconds``, one in flight per connection."""
    frame = masked_text(PAYLOAD, os.urandom(4))
    selector = selectors.DefaultSelector()
    buffers = {}
    for sock in socks:
        selector.register(sock, selectors.EVENT_READ)
        buffers[sock] = bytearray()
        sock.send(frame)
    done = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        for key, _ in selector.select(0.5):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            data = sock.recv(65536)
            if not data:
                raise BenchError("the server closed an echo connection")
            buffer = buffers[sock]
            buffer += data
            got = count_frames(buffer)
            if got:
                done += got
                sock.send(frame * got)
    # Drain what is in flight so the next run starts clean.
    for sock in socks:
        sock.setblocking(True)
        sock.settimeout(5)
        buffer = buffers[sock]
        while count_frames(buffer) < 1:
            buffer += sock.recv(65536)
        sock.setblocking(False)
    selector.close()
    return done


def broadcast_run(socks: list[socket.socket], rounds: int) -> list[float]:
    """Seconds per broadcast: from the send until every connection has it."""
    selector = selectors.DefaultSelector()
    buffers = {}
    for sock in socks:
        selector.register(sock, selectors.EVENT_READ)
        buffers[sock] = bytearray()
    times = []
    frame = masked_text(PAYLOAD, os.urandom(4))
    for _ in range(rounds):
        waiting = set(socks)
        started = time.perf_counter()
        socks[0].send(frame)
        deadline = started + 30
        while waiting:
            if time.perf_counter() > deadline:
                raise BenchError(f"{len(waiting)} connections missed a broadcast")
            for key, _ in selector.select(1.0):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                data = sock.recv(65536)
                if not data:
                    raise BenchError("the server closed a broadcast connection")
                buffer = buffers[sock]
                buffer += data
                if count_frames(buffer):
                    waiting.discard(sock)
        times.append(time.perf_counter() - started)
    selector.close()
    return times


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------


@dataclass
class Result:
    rate: list[float] = field(default_factory=list)
    cpu_per_message: list[float] = field(default_factory=list)
    latency: list[float] = field(default_factory=list)


def measure(
    server: RunningServer, test: str, opts: argparse.Namespace
) -> tuple[float, float, float]:
    """(messages per second, server CPU seconds per message, seconds per broadcast)."""
    if test.startswith("echo"):
        socks = open_connections(server.port, "/echo", int(test[4:]))
        try:
            echo_run(socks, min(0.2, opts.seconds))  # warm-up
            cpu = process_cpu(server.proc.pid)
            started = time.perf_counter()
            done = echo_run(socks, opts.seconds)
            elapsed = time.perf_counter() - started
            used = process_cpu(server.proc.pid) - cpu
        finally:
            close_connections(socks)
        return done / elapsed, used / max(done, 1), 0.0
    socks = open_connections(server.port, "/broadcast", opts.connections)
    try:
        time.sleep(0.2)  # every handler has joined
        broadcast_run(socks, 2)  # warm-up
        cpu = process_cpu(server.proc.pid)
        times = broadcast_run(socks, opts.broadcasts)
        used = process_cpu(server.proc.pid) - cpu
    finally:
        close_connections(socks)
    deliveries = len(socks) * len(times)
    per = statistics.median(times)
    return len(socks) / per, used / deliveries, per


def run(opts: argparse.Namespace, out: TextIO) -> dict[tuple[str, str], Result]:
    _raise_nofile()
    names = []
    for name in opts.servers or SERVERS:
        module = MODULES.get(name)
        if module is not None:
            try:
                __import__(module)
            except ImportError:
                print(f"{name}: skipped ({module} not installed)", file=out)
                continue
        names.append(name)
    results = {(name, test): Result() for name in names for test in TESTS}
    logs = Path(tempfile.mkdtemp(prefix="wire-ws-bench-"))
    pin = not opts.no_pin and shutil.which("taskset") is not None
    if pin:
        os.sched_setaffinity(0, {1 % os.cpu_count()})  # type: ignore[arg-type, operator]
    servers = []
    try:
        for name in names:
            servers.append(start_server(name, logs, pin))  # noqa: PERF401 (stop what started)
        for round_number in range(opts.rounds):
            for server in servers:
                for test in opts.tests or TESTS:
                    try:
                        rate, cpu, latency = measure(server, test, opts)
                    except (BenchError, OSError) as exc:
                        print(f"{server.name} {test}: {exc}", file=out)
                        continue
                    result = results[server.name, test]
                    result.rate.append(rate)
                    result.cpu_per_message.append(cpu)
                    result.latency.append(latency)
            print(f"round {round_number + 1}/{opts.rounds} done (load {load_average()})", file=out)
    finally:
        for server in servers:
            stop_server(server)
    return results


def table(results: dict[tuple[str, str], Result], out: TextIO) -> None:
    names = [name for name in SERVERS if (name, TESTS[0]) in results]
    for test in TESTS:
        if not any(results[name, test].rate for name in names):
            continue
        print(f"\n{test}:", file=out)
        header = f"{'server':<20} {'msg/s':>10} {'CPU us/msg':>11} {'CPU ratio':>10}"
        if test == "broadcast":
            header += f" {'ms/broadcast':>13}"
        print(header, file=out)
        ours = results.get(("ours", test))
        ours_cpu = statistics.median(ours.cpu_per_message) if ours and ours.cpu_per_message else 0
        for name in names:
            result = results[name, test]
            if not result.rate:
                print(f"{name:<20} {'failed':>10}", file=out)
                continue
            rate = statistics.median(result.rate)
            cpu = statistics.median(result.cpu_per_message)
            ratio = f"{cpu / ours_cpu:.2f}x" if ours_cpu and name != "ours" else ""
            target = TARGETS.get(name)
            if target is not None and ratio and test.startswith("echo"):
                ratio += " ok" if cpu / ours_cpu >= target else f" <{target:g}"
            line = f"{name:<20} {rate:>10,.0f} {cpu * 1e6:>11.1f} {ratio:>10}"
            if test == "broadcast":
                line += f" {statistics.median(result.latency) * 1e3:>13.2f}"
            print(line, file=out)
    print(
        "\nCPU ratio: the peer's server CPU per message over ours (above 1: ours spends less).",
        file=out,
    )


def add_own_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seconds", type=float, default=3.0, help="per echo measurement")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians)")
    parser.add_argument("--connections", type=int, default=1000, help="broadcast connections")
    parser.add_argument("--broadcasts", type=int, default=20, help="broadcasts per measurement")
    parser.add_argument("--no-pin", action="store_true", help="do not pin with taskset")
    parser.add_argument(
        "--server", dest="servers", choices=SERVERS, action="append", help="only these servers"
    )
    parser.add_argument("--test", dest="tests", choices=TESTS, action="append", help="only these")


def run_from_args(args: argparse.Namespace, out: TextIO) -> None:
    """Entry point of ``python -m benchmarks`` (reads --quick)."""
    opts = argparse.Namespace(
        seconds=getattr(args, "seconds", 3.0),
        rounds=getattr(args, "rounds", 3),
        connections=getattr(args, "connections", 1000),
        broadcasts=getattr(args, "broadcasts", 20),
        no_pin=getattr(args, "no_pin", False),
        servers=getattr(args, "servers", None),
        tests=getattr(args, "tests", None),
    )
    if getattr(args, "quick", False):
        opts.seconds, opts.rounds, opts.connections, opts.broadcasts = 0.5, 1, 100, 5
    print(f"load average before: {load_average()}", file=out)
    results = run(opts, out)
    table(results, out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ws_server", description=__doc__)
    parser.add_argument("--serve", choices=SERVERS, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="1 round, short runs, 100 connections")
    add_own_arguments(parser)
    args = parser.parse_args(argv)
    if args.serve:
        _raise_nofile()
        with contextlib.suppress(KeyboardInterrupt):
            SERVE[args.serve](args.port)
        return 0
    run_from_args(args, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
