"""HTTP/1.1 server machine throughput, Sans-IO: wire against h11 (and httptools' parser).

What one "request" costs a server machine without any I/O: feed the request's
bytes (``receive_data``), drain the events, answer with ``Response`` + ``Data`` +
``EndOfMessage`` and collect the bytes (``data_to_send``). Three workloads, each
100 requests on one keep-alive connection:

- ``GET /hello``: one small request per read, as wrk and browsers send them
  (``Host``, ``User-Agent``, ``Accept``), answered with 13 bytes of text;
- ``POST 1 KiB``: a JSON body with ``Content-Length``, answered with 2 bytes;
- ``GET /hello x10 pipelined``: ten requests per read.

Implementations, all answering with the same bytes (checked before timing):

- ``wire HTTPConnection``: what the Trio driver uses (version sniffing, then
  HTTP/1.1 with its strict fast path): the baseline of the ratios;
- ``wire H1Connection``: the HTTP/1.1 machine alone;
- ``wire, fast_path=False``: every request through h11, as before the fast path;
- ``h11 alone``: ``h11.Connection`` driven directly (``next_event`` until
  ``NEED_DATA``/``PAUSED``, ``send`` of each event, ``start_next_cycle``): the
  least a server built on h11 does, with no limits, events or state of its own;
- ``httptools + join`` (when installed): the C parser uvicorn uses, its callbacks
  collecting the request, the response bytes joined by hand. Not a server
  machine (no state, checks or events): the ceiling a C parser sets.

Each measurement runs one implementation for about ``--time`` seconds; they take
turns within each of ``--repeat`` rounds, and the table shows medians in
requests per second and each ratio ours/this (ours = ``wire HTTPConnection``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

import h11

from benchmarks import CLOCKS, add_arguments
from benchmarks._interleaved import Case, Result, format_table, profile, ratios
from benchmarks._interleaved import run as run_cases
from wire.http import (
    Data,
    EndOfMessage,
    H1Config,
    H1Connection,
    HTTPConnection,
    Response,
    Role,
)

__all__ = ["Case", "Result", "WORKLOADS", "build_cases", "format_table", "main", "run"]

REQUESTS = 100
GET = b"GET /hello HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: bench/1.0\r\nAccept: */*\r\n\r\n"
JSON = b'{"items": [' + b", ".join(b'{"id": %d, "name": "item-%d"}' % (i, i) for i in range(34))
JSON = JSON[:1020] + b"]}\r\n"
POST = (
    b"POST /items HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: bench/1.0\r\n"
    b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(JSON), JSON)
)


@dataclass(frozen=True)
class Workload:
    """``reads``: the bytes of each receive; ``body``: what each request is answered with."""

    reads: tuple[bytes, ...]
    body: bytes


WORKLOADS = {
    "GET /hello": Workload((GET,) * REQUESTS, b"Hello, world!"),
    "POST 1 KiB": Workload((POST,) * REQUESTS, b"ok"),
    "GET /hello x10 pipelined": Workload((GET * 10,) * (REQUESTS // 10), b"Hello, world!"),
}


def _fields(body: bytes) -> tuple[tuple[bytes, bytes], ...]:
    return ((b"content-type", b"text/plain"), (b"content-length", b"%d" % len(body)))


# ---------------------------------------------------------------------------
# Implementations: each returns a function serving one workload, and its bytes
# ---------------------------------------------------------------------------


def _wire(factory: Callable[[], Any], work: Workload) -> Callable[[], list[bytes]]:
    fields = _fields(work.body)
    body = work.body

    def serve() -> list[bytes]:
        conn = factory()
        out: list[bytes] = []
        for data in work.reads:
            conn.receive_data(data)
            pending = conn.events()
            while pending:
                for event in pending:
                    if type(event) is EndOfMessage:
                        stream_id = event.stream_id
                        conn.send(Response(200, fields, stream_id))
                        conn.send(Data(stream_id, body))
                        conn.send(EndOfMessage(stream_id))
                    elif type(event) is Data:
                        conn.acknowledge_data(event.stream_id, len(event.data))
                out += conn.data_to_send()
                pending = conn.events()
        return out

    return serve


def _h11(work: Workload) -> Callable[[], list[bytes]]:
    fields = list(_fields(work.body))
    body = work.body
    need_data, paused = h11.NEED_DATA, h11.PAUSED

    def serve() -> list[bytes]:
        conn = h11.Connection(h11.SERVER)
        out: list[bytes] = []
        for data in work.reads:
            conn.receive_data(data)
            while True:
                event = conn.next_event()
                if event is need_data or event is paused:
                    break
                if type(event) is h11.EndOfMessage:
                    out.append(
                        conn.send(h11.Response(status_code=200, headers=fields, reason=b"OK"))
                    )
                    out.append(conn.send(h11.Data(data=body)))
                    out.append(conn.send(h11.EndOfMessage()))
                    conn.start_next_cycle()
        return out

    return serve


def _httptools(work: Workload) -> Callable[[], list[bytes]]:
    import httptools

    head = b"HTTP/1.1 200 OK\r\n" + b"".join(b"%s: %s\r\n" % f for f in _fields(work.body))
    response = head + b"\r\n" + work.body

    class Protocol:
        """The callbacks uvicorn's httptools protocol keeps: url, headers, body, end."""

        def __init__(self) -> None:
            self.headers: list[tuple[bytes, bytes]] = []
            self.url = b""
            self.body = b""
            self.out: list[bytes] = []

        def on_url(self, url: bytes) -> None:
            self.url = url

        def on_header(self, name: bytes, value: bytes) -> None:
            self.headers.append((name.lower(), value))

        def on_body(self, body: bytes) -> None:
            self.body += body

        def on_message_complete(self) -> None:
            self.out.append(response)
            self.headers = []
            self.body = b""

    def serve() -> list[bytes]:
        protocol = Protocol()
        parser = httptools.HttpRequestParser(protocol)
        for data in work.reads:
            parser.feed_data(data)
        return protocol.out

    return serve


def build_cases(out: TextIO) -> list[Case]:
    """Every implementation for every workload; checks they all write the same bytes."""
    slow = H1Config(fast_path=False)
    cases: list[Case] = []
    missing = False
    for name, work in WORKLOADS.items():
        group = [
            Case(
                name, "wire HTTPConnection", _wire(lambda: HTTPConnection(Role.SERVER), work), True
            ),
            Case(name, "wire H1Connection", _wire(lambda: H1Connection(Role.SERVER), work)),
            Case(
                name,
                "wire, fast_path=False",
                _wire(lambda: HTTPConnection(Role.SERVER, h1_config=slow), work),
            ),
            Case(name, "h11 alone", _h11(work)),
        ]
        try:
            group.append(Case(name, "httptools + join", _httptools(work)))
        except ImportError:
            missing = True
        expected = b"".join(group[0].fn())
        if expected.count(b"HTTP/1.1 200 OK\r\n") != REQUESTS:
            raise AssertionError(f"wire did not answer every request of {name}")
        for case in group[1:]:
            if b"".join(case.fn()) != expected:
                raise AssertionError(f"{case.impl} writes other bytes for {name}")
        for case in group:
            case.units = REQUESTS
        cases += group
    if missing:
        out.write(
            "note: httptools is not installed (pip install -e '.[bench]'); its rows are left out\n"
        )
    return cases


def summarize(results: Sequence[Result]) -> str:
    """Speed-up of the fast path over h11 inside wire, and where wire stands to h11."""
    return ratios(
        results,
        [
            ("wire, fast_path=False", "fast path / h11 inside wire"),
            ("h11 alone", "wire / h11 alone"),
            ("httptools + join", "wire / httptools"),
        ],
    )


def run(*, repeat: int, seconds: float, out: TextIO, clock: str = "perf_counter") -> list[Result]:
    """Measure every case ``repeat`` times, taking turns, and return the medians."""
    return run_cases(build_cases(out), repeat=repeat, seconds=seconds, clock=CLOCKS[clock])


def run_from_args(args: argparse.Namespace, out: TextIO) -> None:
    """Run with the options of :func:`benchmarks.add_arguments` and print the table."""
    repeat, seconds = (3, 0.05) if args.quick else (args.repeat, args.time)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    out.write(
        f"HTTP/1.1 server machine, Sans-IO: medians of {repeat} rounds of ~{seconds:g} s per "
        f"implementation, taking turns, timed with time.{args.clock}\n"
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load}\n"
        f"{REQUESTS} requests per connection; a request = receive_data, events, "
        "Response + Data + EndOfMessage, data_to_send\n\n"
    )
    results = run(repeat=repeat, seconds=seconds, out=out, clock=args.clock)
    table = format_table(results, unit="request", plural="requests")
    out.write(table + "\n\n" + summarize(results) + "\n")
    if args.profile:
        serve = _wire(lambda: HTTPConnection(Role.SERVER), WORKLOADS["GET /hello"])
        profile(out, "wire HTTPConnection, GET /hello", lambda: [serve() for _ in range(200)])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    add_arguments(parser)
    run_from_args(parser.parse_args(argv), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
