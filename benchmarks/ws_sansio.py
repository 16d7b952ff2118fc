"""WebSocket machine CPU per small message, Sans-IO: wire.ws against wsproto and websockets.

What one echo costs a client and a server machine together, in memory and
without any I/O: the client sends a 32-octet text message (masked, RFC 6455
section 5.3), the server reads it, answers with the same text, and the client
reads the answer. Two workloads, 100 messages per round:

- ``echo 32 B``: one message per read, each answered before the next is sent
  (a chat or RPC exchange);
- ``echo 32 B x100 batched``: 100 messages in one read, answered together
  (a busy connection, or a driver that reads whole receive buffers).

Implementations (masks from ``os.urandom(4)`` per frame in every one):

- ``wire``: ``wire.ws.WSConnection`` for both ends: the baseline of the ratios;
- ``wire, fast_path=False``: every frame through wsproto's ``FrameDecoder``
  (``WSConfig(fast_path=False)``): what the fast path saves;
- ``wsproto alone``: ``wsproto.connection.Connection`` for both ends (its
  frame protocol after a handshake): ``send`` of ``TextMessage`` events,
  ``receive_data`` and the ``events()`` generator; the echo sends
  ``event.data``;
- ``websockets (Sans-IO)``: ``websockets.client.ClientProtocol`` and
  ``websockets.server.ServerProtocol`` started in state OPEN, with the C
  speed-ups websockets installs for masking. Its Sans-IO layer hands text
  frames over as bytes (its connection classes decode them), so the echo
  decodes the text as its connection layer would, then ``send_text``.

Every implementation's server writes the same frames for the same messages
(checked before timing). Each measurement runs one implementation for about
``--time`` seconds; they take turns within each of ``--repeat`` rounds, and the
table shows medians in echoes per second, microseconds per echo (both ends'
CPU together) and ours/this.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from benchmarks import CLOCKS, add_arguments
from wire import ws

__all__ = ["Case", "Result", "WORKLOADS", "build_cases", "format_table", "main", "run"]

MESSAGES = 100
TEXT = "x" * 24 + "payload!"  # 32 octets
WORKLOADS = {"echo 32 B": 1, "echo 32 B x100 batched": MESSAGES}


# ---------------------------------------------------------------------------
# Implementations: each returns a function running MESSAGES echoes, and the
# server's output (for the equality check)
# ---------------------------------------------------------------------------


def _wire(batch: int, config: ws.WSConfig) -> Callable[[], list[bytes]]:
    message = ws.TextMessage(TEXT)

    def echo() -> list[bytes]:
        client = ws.WSConnection(ws.Role.CLIENT, config=config, mask_source=os.urandom)
        server = ws.WSConnection(ws.Role.SERVER, config=config)
        written: list[bytes] = []
        for _ in range(MESSAGES // batch):
            for _ in range(batch):
                client.send(message)
            server.receive_data(b"".join(client.data_to_send()))
            for event in server.events():
                server.send(event)
            out = server.data_to_send()
            written += out
            client.receive_data(b"".join(out))
            assert len(client.events()) == batch
        return written

    return echo


def _wsproto(batch: int) -> Callable[[], list[bytes]]:
    from wsproto.connection import Connection, ConnectionType
    from wsproto.events import TextMessage

    message = TextMessage(data=TEXT)

    def echo() -> list[bytes]:
        client = Connection(ConnectionType.CLIENT)
        server = Connection(ConnectionType.SERVER)
        written: list[bytes] = []
        for _ in range(MESSAGES // batch):
            server.receive_data(b"".join(client.send(message) for _ in range(batch)))
            out = b"".join(
                server.send(TextMessage(data=event.data))  # type: ignore[attr-defined]
                for event in server.events()
            )
            written.append(out)
            client.receive_data(out)
            assert len(list(client.events())) == batch
        return written

    return echo


def _websockets(batch: int) -> Callable[[], list[bytes]]:
    from websockets.client import ClientProtocol
    from websockets.protocol import State
    from websockets.server import ServerProtocol
    from websockets.uri import parse_uri

    uri = parse_uri("ws://127.0.0.1/")
    payload = TEXT.encode()

    def echo() -> list[bytes]:
        client = ClientProtocol(uri, state=State.OPEN)
        server = ServerProtocol(state=State.OPEN)
        written: list[bytes] = []
        for _ in range(MESSAGES // batch):
            for _ in range(batch):
                client.send_text(payload)
            server.receive_data(b"".join(client.data_to_send()))
            for frame in server.events_received():
                server.send_text(frame.data.decode().encode())  # type: ignore[union-attr]
            out = server.data_to_send()
            written += out
            client.receive_data(b"".join(out))
            texts = [f.data.decode() for f in client.events_received()]  # type: ignore[union-attr]
            assert len(texts) == batch
        return written

    return echo


@dataclass
class Case:
    """One implementation running one workload."""

    workload: str
    impl: str
    fn: Callable[[], list[bytes]]
    baseline: bool = False
    rates: list[float] = field(default_factory=list)
    loops: int = 0


def build_cases(out: TextIO) -> list[Case]:
    """Every implementation for every workload; checks their servers write the same bytes."""
    cases: list[Case] = []
    missing: list[str] = []
    quiet = ws.WSConfig(ping_interval=None)
    slow = ws.WSConfig(ping_interval=None, fast_path=False)
    for name, batch in WORKLOADS.items():
        group = [
            Case(name, "wire", _wire(batch, quiet), True),
            Case(name, "wire, fast_path=False", _wire(batch, slow)),
        ]
        for impl, make in (("wsproto alone", _wsproto), ("websockets (Sans-IO)", _websockets)):
            try:
                group.append(Case(name, impl, make(batch)))
            except ImportError:
                missing.append(impl)
        expected = b"".join(group[0].fn())
        if expected != b"\x81\x20" + TEXT.encode() + (b"\x81\x20" + TEXT.encode()) * (MESSAGES - 1):
            raise AssertionError(f"wire did not echo every message of {name}")
        for case in group[1:]:
            if b"".join(case.fn()) != expected:
                raise AssertionError(f"{case.impl} writes other bytes for {name}")
        cases += group
    for impl in sorted(set(missing)):
        out.write(
            f"note: {impl} is not installed (pip install -e '.[test]'); its rows are left out\n"
        )
    return cases


# ---------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------


def _calibrate(case: Case, seconds: float) -> None:
    fn = case.fn
    for _ in range(3):
        fn()
    loops = 1
    while True:
        started = time.perf_counter()
        for _ in range(loops):
            fn()
        elapsed = time.perf_counter() - started
        if elapsed >= 0.02:
            break
        loops *= 4
    case.loops = max(1, round(loops * seconds / elapsed))


def _measure(case: Case, clock: Callable[[], float]) -> float:
    fn = case.fn
    loops = range(case.loops)
    gc.collect()
    started = clock()
    for _ in loops:
        fn()
    elapsed = clock() - started
    return case.loops * MESSAGES / elapsed


@dataclass(frozen=True)
class Result:
    """Median rate of one case, in echoes per second."""

    workload: str
    impl: str
    median: float
    spread: float
    ratio: float | None  # ours / this


def run(*, repeat: int, seconds: float, out: TextIO, clock: str = "perf_counter") -> list[Result]:
    """Measure every case ``repeat`` times, taking turns, and return the medians."""
    timer = CLOCKS[clock]
    cases = build_cases(out)
    for case in cases:
        _calibrate(case, seconds)
    for _ in range(repeat):
        for case in cases:
            case.rates.append(_measure(case, timer))
    medians = {id(case): statistics.median(case.rates) for case in cases}
    base = {case.workload: medians[id(case)] for case in cases if case.baseline}
    return [
        Result(
            case.workload,
            case.impl,
            medians[id(case)],
            (max(case.rates) - min(case.rates)) / medians[id(case)],
            None if case.baseline else base[case.workload] / medians[id(case)],
        )
        for case in cases
    ]


def format_table(results: Sequence[Result]) -> str:
    """The results as an aligned text table."""
    header = ("workload", "implementation", "echoes/s", "us/echo", "spread", "ours/this")
    rows: list[tuple[str, ...]] = []
    previous = ""
    for r in results:
        rows.append(
            (
                r.workload if r.workload != previous else "",
                r.impl,
                f"{r.median / 1e3:.1f}k",
                f"{1e6 / r.median:.1f}",
                f"{100 * r.spread:.0f}%",
                "1 (ours)" if r.ratio is None else f"{r.ratio:.2f}x",
            )
        )
        previous = r.workload
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        cells = (
            c.rjust(w) if i >= 2 else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def summarize(results: Sequence[Result]) -> str:
    """What the fast path buys, and where wire stands to each peer."""
    lines = []
    for impl, what in (
        ("wire, fast_path=False", "fast path / wsproto's decoder inside wire"),
        ("wsproto alone", "wire / wsproto alone"),
        ("websockets (Sans-IO)", "wire / websockets Sans-IO"),
    ):
        parts = [f"{r.workload} {r.ratio:.2f}x" for r in results if r.impl == impl and r.ratio]
        if parts:
            lines.append(f"{what}: {', '.join(parts)}")
    return "\n".join(lines)


def profile(out: TextIO, *, top: int = 15, fast_path: bool = True) -> None:
    """cProfile ``wire`` on the one-message echo; print the hot spots."""
    echo = _wire(1, ws.WSConfig(ping_interval=None, fast_path=fast_path))
    profiler = cProfile.Profile()
    profiler.runcall(lambda: [echo() for _ in range(300)])
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).strip_dirs().sort_stats("tottime").print_stats(top)
    body = text.getvalue()
    start = body.find("   ncalls")
    out.write(f"\n== profile: wire, fast_path={fast_path}, echo 32 B ==\n")
    out.write(body[start:] if start >= 0 else body)


def run_from_args(args: argparse.Namespace, out: TextIO) -> None:
    """Run with the options of :func:`benchmarks.add_arguments` and print the table."""
    repeat, seconds = (3, 0.05) if args.quick else (args.repeat, args.time)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    out.write(
        f"WebSocket client + server machines, Sans-IO: medians of {repeat} rounds of "
        f"~{seconds:g} s per implementation, taking turns, timed with time.{args.clock}\n"
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load}\n"
        f"an echo = client send (masked) + server read + server send + client read; "
        f"{MESSAGES} per round\n\n"
    )
    results = run(repeat=repeat, seconds=seconds, out=out, clock=args.clock)
    out.write(format_table(results) + "\n\n" + summarize(results) + "\n")
    if args.profile:
        profile(out)
        profile(out, fast_path=False)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    add_arguments(parser)
    run_from_args(parser.parse_args(argv), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
