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
import os
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from benchmarks import CLOCKS, add_arguments
from benchmarks._interleaved import Case, Result, format_table, profile, ratios
from benchmarks._interleaved import run as run_cases
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
        for case in group:
            case.units = MESSAGES
        cases += group
    for impl in sorted(set(missing)):
        out.write(
            f"note: {impl} is not installed (pip install -e '.[test]'); its rows are left out\n"
        )
    return cases


def summarize(results: Sequence[Result]) -> str:
    """What the fast path buys, and where wire stands to each peer."""
    return ratios(
        results,
        [
            ("wire, fast_path=False", "fast path / wsproto's decoder inside wire"),
            ("wsproto alone", "wire / wsproto alone"),
            ("websockets (Sans-IO)", "wire / websockets Sans-IO"),
        ],
    )


def run(*, repeat: int, seconds: float, out: TextIO, clock: str = "perf_counter") -> list[Result]:
    """Measure every case ``repeat`` times, taking turns, and return the medians."""
    return run_cases(build_cases(out), repeat=repeat, seconds=seconds, clock=CLOCKS[clock])


def _profile(out: TextIO, *, fast_path: bool) -> None:
    echo = _wire(1, ws.WSConfig(ping_interval=None, fast_path=fast_path))
    profile(out, f"wire, fast_path={fast_path}, echo 32 B", lambda: [echo() for _ in range(300)])


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
    table = format_table(results, unit="echo", plural="echoes")
    out.write(table + "\n\n" + summarize(results) + "\n")
    if args.profile:
        _profile(out, fast_path=True)
        _profile(out, fast_path=False)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    add_arguments(parser)
    run_from_args(parser.parse_args(argv), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
