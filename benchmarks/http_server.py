"""HTTP server benchmark: ours against hypercorn, uvicorn and a bare Trio + h11 loop.

Run ``python -m benchmarks.http_server`` (``--help`` for the knobs, ``--quick`` for a
smoke run). Every server is a subprocess on a free loopback port serving
``GET /hello`` (``Hello, world!``, ``text/plain``), pinned to one core with
``taskset`` while the load generator runs on the other. Measurements:

- ``h1``: ``wrk -t1 -c50 -d5s``: HTTP/1.1 keep-alive, 50 connections;
- ``h2``: ``h2load -c10 -m10 -D 5``: HTTP/2 by prior knowledge, 10 connections
  with 10 streams in flight each (servers that speak HTTP/2 only).

Servers: ours (``wire serve http``), hypercorn with its Trio worker and with its
asyncio worker (``keep_alive_max_requests`` raised so it does not close
connections mid-run), uvicorn with httptools, and the bare Trio + h11 loop of
``benchmarks/bare_h11_server.py``. All are started once; the measurements then
take turns (round 1: every server, every test; round 2: ...), and the table shows
medians of requests per second and of requests per server CPU-second (the
server's user + system time from ``/proc/PID/stat``, its child processes
included), with ours/peer ratios and the targets of the HTTP issue.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

__all__ = ["asgi_hello", "main", "run_from_args"]

HOST = "127.0.0.1"
SERVERS = ("ours", "bare", "hypercorn-trio", "hypercorn-asyncio", "uvicorn")
#: Servers that speak HTTP/2 with prior knowledge (what h2load sends on http://).
H2_SERVERS = frozenset({"ours", "hypercorn-trio", "hypercorn-asyncio"})
TESTS = ("h1", "h2")
PEERS = ("bare", "hypercorn-trio", "hypercorn-asyncio", "uvicorn")
HELLO = b"Hello, world!"
_REPO = Path(__file__).resolve().parent.parent
_TICK = os.sysconf("SC_CLK_TCK")

#: The issue's targets: (test, peer) -> least ours/peer ratio of requests per second.
TARGETS: dict[tuple[str, str], float] = {
    ("h1", "hypercorn-trio"): 4.0,
    ("h1", "bare"): 0.9,
    ("h2", "hypercorn-trio"): 2.0,
}
#: The stretch goal.
STRETCH: dict[tuple[str, str], float] = {("h1", "uvicorn"): 1.0}

#: hypercorn closes a connection after 1,000 requests by default: half of an
#: h2load run would fail (peers.md). ``workers = 0`` serves in this process, as
#: the others do, instead of one spawned worker. No ``date``/``server`` fields:
#: every server sends the same response head as ours (uvicorn: the same switches).
HYPERCORN_CONFIG = """\
keep_alive_max_requests = 1000000000
workers = 0
loglevel = "WARNING"
include_date_header = false
include_server_header = false
"""


# ---------------------------------------------------------------------------
# The ASGI application of hypercorn and uvicorn
# ---------------------------------------------------------------------------

Scope = dict[str, Any]
Message = dict[str, Any]
_HELLO_HEADERS = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"13")]


async def asgi_hello(
    scope: Scope,
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    """``GET /hello`` as ours and the bare loop answer it; 404 elsewhere."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    if scope["path"] == "/hello":
        await send({"type": "http.response.start", "status": 200, "headers": _HELLO_HEADERS})
        await send({"type": "http.response.body", "body": HELLO})
    else:
        headers = [(b"content-length", b"0")]
        await send({"type": "http.response.start", "status": 404, "headers": headers})
        await send({"type": "http.response.body", "body": b""})


# ---------------------------------------------------------------------------
# CPU accounting
# ---------------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of ``pid`` and every live descendant."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields is not None:
                parents[int(entry)] = int(fields[1])
    family = {pid}
    grew = True
    while grew:
        grew = False
        for child, parent in parents.items():
            if parent in family and child not in family:
                family.add(child)
                grew = True
    total = 0
    for member in family:
        fields = _stat_fields(member)
        if fields is not None:
            total += int(fields[11]) + int(fields[12])
    return total / _TICK


def machine_busy() -> float:
    """CPU seconds the whole machine spent outside idle and iowait, all cores."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:9]]
    return (sum(values) - values[3] - values[4]) / _TICK


def children_cpu() -> float:
    """CPU seconds of this process's waited-for children (the load generators)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wait_quiet(max_wait: float, threshold: float = 25.0) -> float:
    """Wait up to ``max_wait`` s for the machine to use under ``threshold`` % of a core."""
    end = time.monotonic() + max_wait
    while True:
        m0, t0 = machine_busy(), time.perf_counter()
        time.sleep(0.5)
        load = (machine_busy() - m0) / (time.perf_counter() - t0) * 100
        if load < threshold or time.monotonic() >= end:
            return load


def load_average() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


# ---------------------------------------------------------------------------
# Servers
# ---------------------------------------------------------------------------


class BenchError(Exception):
    """A server could not be started or measured."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Options:
    workdir: Path
    server_cpu: str | None
    client_cpu: str | None
    ours_src: str | None = None
    python: str = sys.executable

    def pin(self, cpu: str | None) -> list[str]:
        taskset = shutil.which("taskset")
        return [taskset, "-c", cpu] if cpu is not None and taskset else []

    def env(self, ours: bool) -> dict[str, str]:
        env = dict(os.environ)
        paths = [str(_REPO)]
        if ours and self.ours_src is not None:
            paths.insert(0, self.ours_src)
        env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        return env


def server_command(name: str, port: int, opts: Options) -> list[str]:
    python = opts.python
    if name == "ours":
        wire = Path(python).with_name("wire")
        if wire.exists() and opts.ours_src is None:
            prefix = [str(wire)]
        else:
            prefix = [python, "-m", "servers.cli"]
        return [*prefix, "serve", "http", "--host", HOST, "--port", str(port)]
    if name == "bare":
        return [python, "-m", "benchmarks.bare_h11_server", str(port)]
    if name.startswith("hypercorn-"):
        config = opts.workdir / "hypercorn.toml"
        config.write_text(HYPERCORN_CONFIG)
        return [
            python,
            "-m",
            "hypercorn",
            "--worker-class",
            name.removeprefix("hypercorn-"),
            "--config",
            str(config),
            "--bind",
            f"{HOST}:{port}",
            "benchmarks.http_server:asgi_hello",
        ]
    if name == "uvicorn":
        return [
            python,
            "-m",
            "uvicorn",
            "--http",
            "httptools",
            "--host",
            HOST,
            "--port",
            str(port),
            "--no-access-log",
            "--no-server-header",
            "--no-date-header",
            "--log-level",
            "warning",
            "--lifespan",
            "on",
            "benchmarks.http_server:asgi_hello",
        ]
    raise BenchError(f"unknown server {name!r}")


def server_available(name: str, opts: Options) -> str | None:
    """None if ``name`` can run here, else why not."""
    modules = {
        "ours": "servers.http",
        "bare": "h11, trio",
        "hypercorn-trio": "hypercorn, trio",
        "hypercorn-asyncio": "hypercorn",
        "uvicorn": "uvicorn, httptools",
    }[name]
    probe = subprocess.run(
        [opts.python, "-c", f"import {modules}"],
        capture_output=True,
        check=False,
        env=opts.env(name == "ours"),
        cwd=_REPO,
    )
    if probe.returncode:
        return f"does not import ({modules}): {probe.stderr.decode(errors='replace')[-200:]}"
    return None


@dataclass
class RunningServer:
    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/hello"

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""


def _get_hello(port: int, timeout: float = 2.0) -> bytes:
    """One HTTP/1.1 ``GET /hello`` on a fresh connection; the raw answer."""
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.sendall(b"GET /hello HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def start_server(name: str, opts: Options) -> RunningServer:
    port = free_port()
    log = opts.workdir / f"{name}-{port}.log"
    command = [*opts.pin(opts.server_cpu), *server_command(name, port, opts)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=opts.env(name == "ours"),
            cwd=_REPO,
        )
    server = RunningServer(name, proc, port, log)
    end = time.monotonic() + 20
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise BenchError(f"{name} exited with {proc.returncode}: {server.log_text()[-1500:]}")
        try:
            answer = _get_hello(port)
        except OSError:
            time.sleep(0.05)
            continue
        # Our own process answered (not another one that took the port meanwhile).
        if proc.poll() is None and answer.startswith(b"HTTP/1.1 200") and answer.endswith(HELLO):
            return server
        stop_server(server)
        raise BenchError(f"{name} answered GET /hello with {answer[:200]!r}")
    stop_server(server)
    raise BenchError(f"{name} did not listen on port {port} within 20 s")


def stop_server(server: RunningServer) -> None:
    proc = server.proc
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(5)


# ---------------------------------------------------------------------------
# Load generators
# ---------------------------------------------------------------------------


@dataclass
class Sample:
    """One measurement; CPU figures are percent of one core over the measured interval."""

    rps: float
    requests: int = 0
    server_cpu: float = math.nan
    gen_cpu: float = math.nan
    other_cpu: float = math.nan
    #: Requests per second of server CPU time.
    per_cpu_second: float = math.nan
    failed: bool = False
    note: str = ""


@dataclass
class LoadConfig:
    duration: float = 5.0
    connections: int = 50
    h2_clients: int = 10
    h2_streams: int = 10


def load_command(test: str, url: str, cfg: LoadConfig, duration: float) -> list[str]:
    if test == "h1":
        wrk = shutil.which("wrk")
        if wrk is None:
            raise BenchError("wrk not found (apt-get install wrk)")
        seconds = max(1, round(duration))
        return [wrk, "-t1", f"-c{cfg.connections}", f"-d{seconds}s", url]
    h2load = shutil.which("h2load")
    if h2load is None:
        raise BenchError("h2load not found (apt-get install nghttp2-client)")
    return [
        h2load,
        f"-c{cfg.h2_clients}",
        f"-m{cfg.h2_streams}",
        "-D",
        str(max(1, round(duration))),
        url,
    ]


_WRK_REQUESTS = re.compile(r"(\d+) requests in ([\d.]+)(m?s)")
_WRK_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")
_WRK_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_H2_FINISHED = re.compile(r"finished in ([\d.]+)(m?s), ([\d.]+) req/s")
_H2_REQUESTS = re.compile(
    r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
    r"(\d+) failed, (\d+) errored, (\d+) timeout"
)


def parse_wrk(text: str) -> tuple[int, float, str]:
    """(good requests, seconds, problems) from wrk's report."""
    match = _WRK_REQUESTS.search(text)
    if match is None:
        raise BenchError(f"unexpected wrk output: {text[-500:]}")
    count = int(match[1])
    seconds = float(match[2]) / (1000 if match[3] == "ms" else 1)
    problems = []
    bad = _WRK_NON_2XX.search(text)
    if bad is not None:
        count -= int(bad[1])
        problems.append(f"{bad[1]} non-2xx")
    errors = _WRK_ERRORS.search(text)
    if errors is not None:
        names = ("connect", "read", "write", "timeout")
        problems += [f"{n} {name} errors" for n, name in zip(errors.groups(), names, strict=True)]
    return count, seconds, ", ".join(problems)


def parse_h2load(text: str) -> tuple[int, float, str]:
    """(succeeded requests, seconds, problems) from h2load's report."""
    finished = _H2_FINISHED.search(text)
    requests = _H2_REQUESTS.search(text)
    if finished is None or requests is None:
        raise BenchError(f"unexpected h2load output: {text[-500:]}")
    seconds = float(finished[1]) / (1000 if finished[2] == "ms" else 1)
    succeeded = int(requests[4])
    failed, errored, timeouts = int(requests[5]), int(requests[6]), int(requests[7])
    problems = []
    if failed or errored or timeouts:
        problems.append(f"{failed} failed, {errored} errored, {timeouts} timed out")
    status = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text)
    if status is not None and int(status[3]) + int(status[4]):
        problems.append(f"{status[3]} 4xx, {status[4]} 5xx")
    return succeeded, seconds, "; ".join(problems)


def _h2load_log_rate(path: Path) -> tuple[int, float]:
    """(2xx responses, their rate) from h2load's ``--log-file``, first start to last end."""
    starts: list[float] = []
    ends: list[float] = []
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return 0, math.nan
    for line in lines:
        columns = line.split("\t")
        if len(columns) >= 3 and columns[1].startswith("2"):
            start = int(columns[0]) / 1e6
            starts.append(start)
            ends.append(start + int(columns[2]) / 1e6)
    if not starts:
        return 0, math.nan
    span = max(ends) - min(starts)
    return len(starts), len(starts) / span if span > 0 else math.nan


def _last_error(text: str) -> str:
    errors = re.findall(r"^\W*(\w+(?:Error|Exception)\b.*)$", text, re.MULTILINE)
    return errors[-1][:160] if errors else "no error logged"


def measure(
    server: RunningServer, test: str, cfg: LoadConfig, opts: Options, duration: float
) -> Sample:
    """Run the load generator once against ``server``; CPU of everyone meanwhile.

    A server that dies during the run gives a failed sample; for HTTP/2 its
    value is the rate of its answers up to the crash (from h2load's log).
    """
    command = [*opts.pin(opts.client_cpu), *load_command(test, server.url, cfg, duration)]
    log_file = opts.workdir / "h2load-requests.tsv"
    if test == "h2":
        log_file.unlink(missing_ok=True)
        command.insert(-1, f"--log-file={log_file}")
    s0, g0, m0 = tree_cpu(server.pid), children_cpu(), machine_busy()
    t0 = time.perf_counter()
    result = subprocess.run(
        command, capture_output=True, check=False, timeout=duration * 3 + 30, text=True
    )
    elapsed = time.perf_counter() - t0
    server_cpu = tree_cpu(server.pid) - s0
    gen_cpu = children_cpu() - g0
    other = max(0.0, machine_busy() - m0 - server_cpu - gen_cpu)

    def percent(cpu: float) -> float:
        return cpu / elapsed * 100

    if server.proc.poll() is not None:
        done, rate = _h2load_log_rate(log_file) if test == "h2" else (0, math.nan)
        return Sample(
            rps=rate,
            requests=done,
            gen_cpu=percent(gen_cpu),
            failed=True,
            note=f"crashed after {done} answers: {_last_error(server.log_text())}",
        )
    output = result.stdout + result.stderr
    count, seconds, problems = (parse_wrk if test == "h1" else parse_h2load)(output)
    if result.returncode and not problems:
        problems = f"exit status {result.returncode}: {output[-300:]}"
    return Sample(
        rps=count / seconds if seconds else math.nan,
        requests=count,
        server_cpu=percent(server_cpu),
        gen_cpu=percent(gen_cpu),
        other_cpu=percent(other),
        per_cpu_second=count / server_cpu if server_cpu > 0 else math.nan,
        failed=bool(problems) or count == 0,
        note=problems,
    )


# ---------------------------------------------------------------------------
# Results and the table
# ---------------------------------------------------------------------------


@dataclass
class Results:
    samples: dict[str, dict[str, list[Sample]]] = field(default_factory=dict)

    def add(self, test: str, server: str, sample: Sample) -> None:
        self.samples.setdefault(test, {}).setdefault(server, []).append(sample)

    def median(self, test: str, server: str, attr: str = "rps") -> float | None:
        runs = self.samples.get(test, {}).get(server, [])
        values = [getattr(s, attr) for s in runs if not s.failed]
        values = [v for v in values if not math.isnan(v)]
        return statistics.median(values) if values else None

    def crash_median(self, test: str, server: str) -> float | None:
        """The median rate up to the crash, when every run of ``server`` crashed."""
        runs = self.samples.get(test, {}).get(server, [])
        if not runs or not all(s.note.startswith("crashed") for s in runs):
            return None
        values = [s.rps for s in runs if not math.isnan(s.rps)]
        return statistics.median(values) if values else None

    def best(self, test: str, server: str, attr: str = "rps") -> tuple[float | None, bool]:
        """The median, or else the median rate up to a crash (``True``) for req/s."""
        value = self.median(test, server, attr)
        if value is None and attr == "rps":
            crashed = self.crash_median(test, server)
            if crashed is not None:
                return crashed, True
        return value, False


def _label(test: str, cfg: LoadConfig) -> str:
    if test == "h1":
        return f"HTTP/1.1 wrk -t1 -c{cfg.connections}"
    return f"HTTP/2 h2load -c{cfg.h2_clients} -m{cfg.h2_streams}"


def _fmt(value: float | None, crashed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" + ("!" if crashed else "")


def print_table(
    results: Results, servers: Sequence[str], cfg: LoadConfig, out: TextIO = sys.stdout
) -> None:
    peers = [p for p in PEERS if p in servers and "ours" in servers]
    headers = ["measurement (median)", "unit", *servers, *(f"ours/{p}" for p in peers)]
    rows: list[list[str]] = []
    crashes: set[str] = set()
    for attr, unit in (("rps", "req/s"), ("per_cpu_second", "req/CPU-s")):
        for test in TESTS:
            if test not in results.samples:
                continue
            medians = {s: results.best(test, s, attr) for s in servers}
            cells = [_label(test, cfg), unit, *(_fmt(*medians[s]) for s in servers)]
            for peer in peers:
                (ours, _), (theirs, crashed) = medians.get("ours", (None, False)), medians[peer]
                ratio = f"{ours / theirs:.2f}x" if ours and theirs else "-"
                cells.append(ratio + ("!" if crashed and ours else ""))
            rows.append(cells)
            crashes |= {s for s in servers if medians[s][1]}
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    print(line(headers), file=out)
    print("-" * len(line(headers)), file=out)
    for row in rows:
        print(line(row), file=out)
    print(
        "Higher is better everywhere. req/CPU-s: requests per second of the server's own CPU "
        "time\n(user + system), the figure that holds when the machine is shared.",
        file=out,
    )
    if crashes:
        print(
            f"! {', '.join(sorted(crashes))} crashed in every run of that test: the figure is "
            "its rate up to the crash\n(h2load's per-request log), which no run sustained.",
            file=out,
        )


def print_targets(results: Results, out: TextIO = sys.stdout) -> None:
    print("\nTargets (ours/peer, medians of req/s; req/CPU-s in brackets):", file=out)
    for goals, kind in ((TARGETS, "target"), (STRETCH, "stretch")):
        for (test, peer), goal in goals.items():
            ours = results.median(test, "ours")
            theirs, crashed = results.best(test, peer)
            ours_cpu = results.median(test, "ours", "per_cpu_second")
            theirs_cpu = results.median(test, peer, "per_cpu_second")
            if not ours or not theirs:
                print(f"  {_TEST_NAMES[test]} vs {peer}: not measured", file=out)
                continue
            ratio = ours / theirs
            cpu = f" [{ours_cpu / theirs_cpu:.2f}x]" if ours_cpu and theirs_cpu else ""
            verdict = "met" if ratio >= goal else "NOT met"
            if crashed:
                verdict += f" (against its rate up to a crash: {peer} crashed in every run)"
            print(
                f"  {_TEST_NAMES[test]} vs {peer}: {ratio:.2f}x{cpu}, "
                f"{kind} >= {goal:.1f}x: {verdict}",
                file=out,
            )


_TEST_NAMES = {"h1": "HTTP/1.1", "h2": "HTTP/2"}


def print_details(results: Results, servers: Sequence[str], out: TextIO = sys.stdout) -> None:
    print("\nEvery run: req/s (server CPU % / generator CPU % / other processes CPU %)", file=out)
    others: list[float] = []
    for test in TESTS:
        per_server = results.samples.get(test)
        if not per_server:
            continue
        print(f"  {_TEST_NAMES[test]}:", file=out)
        for name in servers:
            runs = []
            for s in per_server.get(name, []):
                text = _fmt(s.rps if not math.isnan(s.rps) else None)
                if not math.isnan(s.server_cpu):
                    text += f" ({s.server_cpu:.0f}/{s.gen_cpu:.0f}/{s.other_cpu:.0f})"
                    others.append(s.other_cpu)
                if s.note:
                    text += f" [{'FAILED ' if s.failed else ''}{s.note}]"
                runs.append(text)
            if runs:
                print(f"    {name:>17}: " + "; ".join(runs), file=out)
    if others:
        print(
            f"Other processes used a median {statistics.median(others):.0f}% "
            f"(max {max(others):.0f}%) of one core during the measurements "
            f"({os.cpu_count()} cores here): above ~20% the req/s figures are contended "
            "and req/CPU-s is the better comparison.",
            file=out,
        )


# ---------------------------------------------------------------------------
# Profiling ours with py-spy
# ---------------------------------------------------------------------------


def _pyspy() -> str | None:
    local = Path(sys.executable).with_name("py-spy")
    return str(local) if local.exists() else shutil.which("py-spy")


def profile_ours(opts: Options, cfg: LoadConfig, duration: float, out_dir: Path) -> None:
    from benchmarks.mqtt_broker import print_profile

    pyspy = _pyspy()
    if pyspy is None:
        print("profile: py-spy not found (pip install py-spy)")
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    with running("ours", opts) as server:
        for test in TESTS:
            raw = out_dir / f"ours-{test}.txt"
            svg = out_dir / f"ours-{test}.svg"
            spies = [
                subprocess.Popen(
                    [
                        pyspy,
                        "record",
                        "--pid",
                        str(server.pid),
                        "--nonblocking",
                        "--rate",
                        "250",
                        "--format",
                        fmt,
                        "-o",
                        str(path),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
                for fmt, path in (("raw", raw), ("flamegraph", svg))
            ]
            time.sleep(1.0)
            try:
                sample = measure(server, test, cfg, opts, duration)
            finally:
                for spy in spies:
                    spy.send_signal(signal.SIGINT)
                for spy in spies:
                    try:
                        spy.communicate(timeout=30)
                    except subprocess.TimeoutExpired:
                        spy.kill()
                        spy.communicate()
            print(
                f"\nprofile of ours under {_TEST_NAMES[test]} ({sample.rps:,.0f} req/s while "
                f"sampled; py-spy --nonblocking at 250 Hz): {raw} and {svg}"
            )
            if raw.exists():
                print_profile(raw.read_text(), top=20)


# ---------------------------------------------------------------------------
# Running everything
# ---------------------------------------------------------------------------


@contextlib.contextmanager
def running(name: str, opts: Options) -> Iterator[RunningServer]:
    server = start_server(name, opts)
    try:
        yield server
    finally:
        stop_server(server)


def _progress(repeat: int, server: str, test: str, sample: Sample) -> None:
    cpu = ""
    if not math.isnan(sample.server_cpu):
        cpu = (
            f"  CPU: server {sample.server_cpu:.0f}% ({sample.per_cpu_second:,.0f} req/CPU-s),"
            f" generator {sample.gen_cpu:.0f}%, others {sample.other_cpu:.0f}%"
        )
    note = f"  [{sample.note}]" if sample.note else ""
    value = "-" if math.isnan(sample.rps) else f"{sample.rps:,.0f} req/s"
    print(f"  run {repeat + 1} {server:>17} {test}: {value}{cpu}{note}", flush=True)


def _cpus(spec: str) -> tuple[str | None, str | None]:
    if spec == "none" or (os.cpu_count() or 1) < 2 or shutil.which("taskset") is None:
        return None, None
    server, _, client = spec.partition(",")
    return server or None, client or None


def run(args: argparse.Namespace) -> int:
    servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    tests = [t.strip() for t in args.tests.split(",") if t.strip()]
    for name in servers:
        if name not in SERVERS:
            print(f"unknown server {name!r}; choose from {', '.join(SERVERS)}", file=sys.stderr)
            return 2
    for test in tests:
        if test not in TESTS:
            print(f"unknown test {test!r}; choose from {', '.join(TESTS)}", file=sys.stderr)
            return 2
    server_cpu, client_cpu = _cpus(args.cpus)
    opts = Options(
        workdir=Path(tempfile.mkdtemp(prefix="wire-bench-http-")),
        server_cpu=server_cpu,
        client_cpu=client_cpu,
        ours_src=args.ours_src,
    )
    cfg = LoadConfig(
        duration=args.duration,
        connections=args.connections,
        h2_clients=args.h2_clients,
        h2_streams=args.h2_streams,
    )
    for name in list(servers):
        reason = server_available(name, opts)
        if reason:
            print(f"skipping {name}: {reason}")
            servers.remove(name)
    pinning = (
        f"servers on CPU {server_cpu}, load generator on CPU {client_cpu}"
        if server_cpu is not None
        else "no CPU pinning"
    )
    print(
        f"HTTP servers on loopback, {os.cpu_count()} CPUs, {pinning}; {args.repeat} round(s) "
        f"of {cfg.duration:g} s per measurement; load average {load_average()}; "
        f"logs in {opts.workdir}",
        flush=True,
    )
    results = Results()
    started: dict[str, RunningServer] = {}
    try:
        for name in servers:
            try:
                server = start_server(name, opts)
            except BenchError as exc:
                print(f"  {name}: {exc}")
                continue
            started[name] = server
            # Warm-up: imports, caches and socket buffers out of the way.
            for test in tests:
                if test == "h1" or name in H2_SERVERS:
                    with contextlib.suppress(BenchError, subprocess.TimeoutExpired):
                        warm = measure(server, test, cfg, opts, args.warmup)
                        if warm.note:
                            print(f"  {name} warm-up {test}: {warm.note}")
        for repeat in range(args.repeat):
            for name in servers:
                for test in tests:
                    if test == "h2" and name not in H2_SERVERS:
                        continue
                    current = started.get(name)
                    if current is not None and current.proc.poll() is not None:
                        # It crashed in the previous measurement: a fresh one.
                        try:
                            current = started[name] = start_server(name, opts)
                        except BenchError as exc:
                            print(f"  {name}: restart failed: {exc}")
                            current = None
                    if current is None:
                        sample = Sample(math.nan, failed=True, note="did not start")
                    else:
                        if args.wait_quiet:
                            wait_quiet(args.wait_quiet)
                        try:
                            sample = measure(current, test, cfg, opts, cfg.duration)
                        except (BenchError, OSError, subprocess.TimeoutExpired) as exc:
                            sample = Sample(math.nan, failed=True, note=f"error: {exc}")
                    results.add(test, name, sample)
                    _progress(repeat, name, test, sample)
    finally:
        for server in started.values():
            stop_server(server)
    print(f"\nload average at the end: {load_average()}\n")
    print_table(results, servers, cfg)
    print_targets(results)
    print_details(results, servers)
    if args.profile:
        try:
            profile_ours(opts, cfg, cfg.duration, Path(args.profile))
        except (BenchError, OSError) as exc:
            print(f"profile failed: {exc}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.http_server",
        description="HTTP/1.1 and HTTP/2 GET /hello throughput of HTTP servers on loopback.",
    )
    parser.add_argument(
        "--servers", default=",".join(SERVERS), help="comma list of " + ", ".join(SERVERS)
    )
    parser.add_argument("--tests", default=",".join(TESTS), help="comma list of h1, h2")
    parser.add_argument("--repeat", type=int, default=5, help="rounds; the table shows medians")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of warm-up per test")
    parser.add_argument("--quick", action="store_true", help="one round of 2 s (a smoke run)")
    parser.add_argument("--connections", type=int, default=50, help="wrk connections")
    parser.add_argument("--h2-clients", type=int, default=10, help="h2load connections")
    parser.add_argument("--h2-streams", type=int, default=10, help="h2load streams per connection")
    parser.add_argument(
        "--cpus",
        default="1,0",
        help='"SERVER,CLIENT" CPUs for taskset (default 1,0), or "none"',
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        help="seconds to wait before each measurement for other processes to go quiet",
    )
    parser.add_argument(
        "--ours-src",
        metavar="DIR",
        help="run our server from this src/ tree (e.g. a `git archive` snapshot) via PYTHONPATH",
    )
    parser.add_argument("--profile", metavar="DIR", help="also profile ours with py-spy")
    return parser


def _apply_quick(args: argparse.Namespace) -> None:
    if args.quick:
        args.repeat = 1
        args.duration = 2.0
        args.warmup = 0.5


def run_from_args(args: argparse.Namespace, out: TextIO) -> None:
    """Entry point for ``python -m benchmarks`` (options of ``benchmarks.add_arguments``).

    ``--repeat`` and ``--quick`` carry over (``--quick``: one round of 2 s);
    ``--profile`` profiles ours into a temporary directory; ``--time`` and
    ``--clock`` do not apply (every measurement lasts its ``--duration``).
    """
    argv = ["--repeat", str(args.repeat)]
    if getattr(args, "quick", False):
        argv.append("--quick")
    if getattr(args, "profile", False):
        argv += ["--profile", tempfile.mkdtemp(prefix="wire-bench-http-profile-")]
    with contextlib.redirect_stdout(out):
        main(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _apply_quick(args)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
