"""MQTT broker benchmark: our broker against mosquitto and amqtt, measured in one run.

Run ``python -m benchmarks.mqtt_broker`` (``--help`` for the knobs). Every broker is
started as a subprocess on a free loopback port, driven by the raw-socket load
generator below and stopped by its PID. Measurements:

- ``qos0``: 1 publisher -> 1 subscriber, QoS 0, end-to-end msg/s at the subscriber.
- ``qos1``: 1 -> 1, QoS 1 both ways, the publisher keeping a window of unacknowledged
  PUBLISH packets; msg/s at the subscriber (which acknowledges every message).
- ``fanout``: 1 publisher -> 100 subscribers, QoS 0; deliveries/s.
- ``connect``: time until 1,000 concurrent connections all have their CONNACK, with
  at most ``--connect-window`` handshakes under way (below every broker's backlog).
- ``memory``: broker RSS growth per idle connection with 10,000 connections open.

The load generator is one process with plain non-blocking sockets and ``selectors``.
It pre-encodes every packet with ``wire.mqtt.encode`` before the clock starts,
writes many packets per ``send`` and counts what it receives by walking fixed
headers only. ``relay`` is a zero-work "broker" (a thread per connection that
answers the handshake and then copies bytes from publisher to subscribers and
back), run in its own process: its column is the ceiling of the generator.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import math
import os
import resource
import secrets
import selectors
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from wire.mqtt import (
    Connack,
    Connect,
    Disconnect,
    PacketReader,
    Publish,
    Suback,
    Subscribe,
    Subscription,
    encode,
)

__all__ = ["main", "run_from_args"]

HOST = "127.0.0.1"
BROKERS = ("ours", "mosquitto", "amqtt", "relay")
TESTS = ("qos0", "qos1", "fanout", "connect", "memory")
READ = selectors.EVENT_READ
WRITE = selectors.EVENT_WRITE
RECV_SIZE = 1 << 20
_LINGER_RESET = struct.pack("ii", 1, 0)
_PUBACK = b"\x40\x02"

#: amqtt started programmatically: the `amqtt` command logs every connection at
#: INFO and has no switch to quiet it; the other brokers log only warnings here.
AMQTT_LAUNCHER = """
import asyncio, logging, signal, sys
logging.basicConfig(level=logging.WARNING)
from amqtt.broker import Broker

async def run(port):
    config = {
        "listeners": {
            "default": {"type": "tcp", "bind": f"127.0.0.1:{port}", "max_connections": -1}
        },
        "plugins": {
            "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}
        },
    }
    broker = Broker(config)
    await broker.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await broker.shutdown()

asyncio.run(run(int(sys.argv[1])))
"""


class BenchError(Exception):
    """A measurement could not be made (broker refused, closed, or timed out)."""


# ---------------------------------------------------------------------------
# Packet walking: fixed headers only
# ---------------------------------------------------------------------------


def scan(buf: bytes, acks: list[bytes] | None = None) -> tuple[int, int, int]:
    """Walk whole packets in ``buf`` by their fixed headers.

    Returns ``(bytes consumed, PUBLISH count, PUBACK count)``. With ``acks``, the
    packet identifier of every QoS > 0 PUBLISH is appended to it (two bytes).
    """
    size = len(buf)
    pos = publishes = pubacks = 0
    while size - pos >= 2:
        first = buf[pos]
        length = buf[pos + 1]
        head = 2
        if length & 0x80:
            length &= 0x7F
            shift = 7
            while True:
                if pos + head >= size:
                    return pos, publishes, pubacks
                byte = buf[pos + head]
                head += 1
                length |= (byte & 0x7F) << shift
                if byte < 0x80:
                    break
                shift += 7
        end = pos + head + length
        if end > size:
            break
        kind = first >> 4
        if kind == 3:
            publishes += 1
            if acks is not None and first & 0x06:
                start = pos + head
                topic_end = start + 2 + ((buf[start] << 8) | buf[start + 1])
                acks.append(buf[topic_end : topic_end + 2])
        elif kind == 4:
            pubacks += 1
        pos = end
    return pos, publishes, pubacks


def _packet_size(buf: bytes) -> int | None:
    """Size of the first packet in ``buf`` if it is complete."""
    if len(buf) < 2:
        return None
    length = 0
    shift = 0
    index = 1
    while True:
        if index >= len(buf):
            return None
        byte = buf[index]
        length |= (byte & 0x7F) << shift
        index += 1
        if byte < 0x80:
            break
        shift += 7
    total = index + length
    return total if len(buf) >= total else None


# ---------------------------------------------------------------------------
# Blocking client set-up (before any clock starts)
# ---------------------------------------------------------------------------


@dataclass
class Client:
    sock: socket.socket
    version: int
    leftover: bytes = b""


def _read_packet(client: Client, timeout: float) -> object:
    reader = PacketReader(version=client.version)
    buf = client.leftover
    client.sock.settimeout(timeout)
    while True:
        size = _packet_size(buf)
        if size is not None:
            client.leftover = buf[size:]
            return reader.feed(buf[:size])[0]
        data = client.sock.recv(65536)
        if not data:
            raise BenchError("the broker closed the connection during set-up")
        buf += data


def open_client(port: int, client_id: str, version: int, timeout: float = 10.0) -> Client:
    """TCP connect, CONNECT (clean, keep-alive 0), wait for a successful CONNACK."""
    sock = socket.create_connection((HOST, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client = Client(sock, version)
    sock.sendall(
        encode(Connect(client_id=client_id, keep_alive=0, protocol_level=version), version=version)
    )
    packet = _read_packet(client, timeout)
    if not isinstance(packet, Connack) or packet.reason_code != 0:
        raise BenchError(f"CONNECT of {client_id!r} refused: {packet!r}")
    return client


def subscribe(client: Client, topic: str, qos: int, timeout: float = 10.0) -> None:
    packet = Subscribe(1, (Subscription(topic, qos),))
    client.sock.sendall(encode(packet, version=client.version))
    answer = _read_packet(client, timeout)
    if not isinstance(answer, Suback) or answer.reason_codes != (qos,):
        raise BenchError(f"SUBSCRIBE {topic!r} QoS {qos} not granted: {answer!r}")


def close_client(client: Client) -> None:
    with contextlib.suppress(OSError):
        client.sock.setblocking(True)
        client.sock.settimeout(1.0)
        client.sock.sendall(encode(Disconnect(), version=client.version))
    client.sock.close()


# ---------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------


@dataclass
class Sample:
    """One measurement; CPU figures are percent of one core over the measured interval."""

    value: float
    broker_cpu: float = math.nan
    gen_cpu: float = math.nan
    #: CPU used meanwhile by every other process on the machine (other sessions, kernel).
    other_cpu: float = math.nan
    #: Broker CPU microseconds per delivered message (or per connection).
    broker_us: float = math.nan
    failed: bool = False
    note: str = ""


_TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int | str) -> float:
    """CPU seconds (user + system, all threads) of ``pid``."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / _TICK


def _machine_busy() -> float:
    """CPU seconds spent by the whole machine, all cores, outside idle and iowait."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:9]]
    return (sum(values) - values[3] - values[4]) / _TICK


@dataclass
class CpuUse:
    elapsed: float
    broker: float
    gen: float
    other: float

    def percent(self, seconds: float) -> float:
        return seconds / max(self.elapsed, 1e-9) * 100


class CpuMeter:
    """CPU time of the broker, of this generator and of everything else over an interval."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.t0 = time.perf_counter()
        self.b0 = _proc_cpu(pid)
        self.g0 = _proc_cpu("self")
        self.m0 = _machine_busy()

    def stop(self) -> CpuUse:
        elapsed = time.perf_counter() - self.t0
        broker = _proc_cpu(self.pid) - self.b0
        gen = _proc_cpu("self") - self.g0
        other = max(0.0, _machine_busy() - self.m0 - broker - gen)
        return CpuUse(elapsed, broker, gen, other)

    def sample(self, value: float, units: int, note: str = "", failed: bool = False) -> Sample:
        use = self.stop()
        return Sample(
            value,
            use.percent(use.broker),
            use.percent(use.gen),
            use.percent(use.other),
            use.broker / units * 1e6 if units else math.nan,
            failed,
            note,
        )


def wait_quiet(max_wait: float, threshold: float = 25.0) -> float:
    """Wait up to ``max_wait`` s for other processes to use under ``threshold`` % of a core.

    Returns the last load seen (percent of one core, all cores summed).
    """
    end = time.monotonic() + max_wait
    while True:
        m0, g0, t0 = _machine_busy(), _proc_cpu("self"), time.perf_counter()
        time.sleep(0.5)
        busy = _machine_busy() - m0 - (_proc_cpu("self") - g0)
        load = busy / (time.perf_counter() - t0) * 100
        if load < threshold or time.monotonic() >= end:
            return load


@dataclass
class FlowConfig:
    version: int = 4
    payload: int = 100
    batch: int = 1000
    lead: int = 5000
    window: int = 500
    timeout: float = 120.0
    stall: float = 10.0


def flow(
    port: int,
    pid: int,
    cfg: FlowConfig,
    *,
    qos: int,
    messages: int,
    subscribers: int,
) -> Sample:
    """Publish ``messages`` from one client to ``subscribers``; deliveries/s at the receivers.

    The publisher stays at most ``cfg.lead`` messages ahead of the slowest
    subscriber, an end-to-end credit below every broker's queue limit: a broker
    acknowledges a QoS 1 PUBLISH when it has queued it, not when it has delivered
    it, so without the credit the publisher outruns the subscriber, the broker's
    queue grows to its limit and the broker drops messages (ours logs them; so does
    mosquitto with its default ``max_queued_messages``). With QoS 1, in addition, at
    most ``cfg.window`` PUBLISH packets await their PUBACK. Writes are at most
    ``cfg.batch`` packets each.
    """
    tag = secrets.token_hex(4)
    topic = f"wirebench/{tag}"
    version = cfg.version
    subs = []
    for i in range(subscribers):
        client = open_client(port, f"wb-{tag}-s{i}", version)
        subscribe(client, topic, qos)
        subs.append(client)
    pub = open_client(port, f"wb-{tag}-p", version)
    payload = bytes(range(256)) * (cfg.payload // 256 + 1)
    payload = payload[: cfg.payload]
    if qos == 0:
        one = encode(Publish(topic, payload), version=version)
        stream = one * messages
    else:
        packets = [
            encode(Publish(topic, payload, qos=1, packet_id=i % 0xFFFF + 1), version=version)
            for i in range(messages)
        ]
        one = packets[0]
        stream = b"".join(packets)
        del packets
    size = len(one)
    view = memoryview(stream)
    window = min(cfg.window, 0xFFFF) if qos else messages
    threshold = max(1, min(cfg.batch, cfg.lead, window) // 4)

    sel = selectors.DefaultSelector()
    pub.sock.setblocking(False)
    sel.register(pub.sock, READ, -1)
    for index, client in enumerate(subs):
        client.sock.setblocking(False)
        sel.register(client.sock, READ, index)
    counts = [0] * subscribers
    bufs = [client.leftover for client in subs]
    ack_out = [b""] * subscribers
    pub_buf = pub.leftover
    target = messages * subscribers
    received = sent = acked = 0
    out = view[:0]
    pub_mask = READ
    meter = CpuMeter(pid)
    t0 = last_progress = time.perf_counter()
    deadline = t0 + cfg.timeout
    t_done: float | None = None
    note = ""
    try:
        while True:
            if not out and sent < messages:
                slowest = min(counts)
                credit = min(cfg.lead - (sent - slowest), window - (sent - acked))
                k = min(cfg.batch, messages - sent, credit)
                if k >= min(threshold, messages - sent):
                    out = view[sent * size : (sent + k) * size]
                    sent += k
            if out:
                with contextlib.suppress(BlockingIOError):
                    out = out[pub.sock.send(out) :]
            mask = READ | WRITE if out else READ
            if mask != pub_mask:
                sel.modify(pub.sock, mask, -1)
                pub_mask = mask
            if received >= target and (qos == 0 or acked >= messages):
                break
            now = time.perf_counter()
            if now > deadline or now - last_progress > cfg.stall:
                note = f"{'timeout' if now > deadline else 'stalled'}: {received}/{target} received"
                break
            for key, events in sel.select(min(1.0, deadline - now)):
                index = key.data
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                if index == -1:
                    if events & READ:
                        data = sock.recv(RECV_SIZE)
                        if not data:
                            raise BenchError("the broker closed the publisher")
                        pub_buf += data
                        used, _, n_acks = scan(pub_buf)
                        pub_buf = pub_buf[used:]
                        acked += n_acks
                        if n_acks:
                            last_progress = time.perf_counter()
                    continue
                if events & READ:
                    data = sock.recv(RECV_SIZE)
                    if not data:
                        raise BenchError("the broker closed a subscriber")
                    buf = bufs[index] + data if bufs[index] else data
                    ids: list[bytes] | None = [] if qos else None
                    used, n_pub, _ = scan(buf, ids)
                    bufs[index] = buf[used:]
                    if n_pub:
                        counts[index] += n_pub
                        received += n_pub
                        last_progress = time.perf_counter()
                        if received >= target and t_done is None:
                            t_done = last_progress
                    if ids:
                        ack_out[index] += _PUBACK + _PUBACK.join(ids)
                if ack_out[index]:
                    with contextlib.suppress(BlockingIOError):
                        ack_out[index] = ack_out[index][sock.send(ack_out[index]) :]
                    sel.modify(sock, READ | WRITE if ack_out[index] else READ, index)
    finally:
        end = time.perf_counter()
        sample = meter.sample(0.0, received)
        sel.close()
        for client in [*subs, pub]:
            close_client(client)
    if t_done is None:
        sample.value = received / (end - t0)
        sample.failed = True
        sample.note = note or "incomplete"
    else:
        sample.value = target / (t_done - t0)
    return sample


def connect_many(
    port: int, count: int, version: int, window: int, timeout: float
) -> tuple[list[socket.socket], float]:
    """Open ``count`` connections, at most ``window`` handshakes at a time.

    Returns the open sockets (closing them resets the connection, so no
    TIME_WAIT piles up) and the seconds from the first SYN to the last CONNACK.
    """
    tag = secrets.token_hex(4)
    connects = [
        encode(
            Connect(client_id=f"wb-{tag}-{i}", keep_alive=0, protocol_level=version),
            version=version,
        )
        for i in range(count)
    ]
    sel = selectors.DefaultSelector()
    done: list[socket.socket] = []
    started = pending = 0
    t0 = time.perf_counter()
    deadline = t0 + timeout
    try:
        while len(done) < count:
            while started < count and pending < window:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sock.setblocking(False)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
                err = sock.connect_ex((HOST, port))
                if err not in (0, errno.EINPROGRESS):
                    sock.close()
                    raise BenchError(f"connect failed: {os.strerror(err)}")
                sel.register(sock, WRITE, [started, b""])
                started += 1
                pending += 1
            now = time.perf_counter()
            if now > deadline:
                raise BenchError(f"timeout: {len(done)}/{count} connected")
            for key, events in sel.select(min(1.0, deadline - now)):
                conn = key.fileobj
                assert isinstance(conn, socket.socket)
                sock = conn
                state = key.data
                if events & WRITE:
                    err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        raise BenchError(f"connect failed: {os.strerror(err)}")
                    sock.send(connects[state[0]])
                    sel.modify(sock, READ, state)
                    continue
                data = sock.recv(256)
                if not data:
                    raise BenchError(f"broker closed connection {state[0]} before CONNACK")
                state[1] += data
                buf = state[1]
                if len(buf) >= 2 and len(buf) >= 2 + buf[1]:
                    if buf[0] != 0x20 or buf[3] != 0:
                        raise BenchError(f"CONNACK refused: {buf!r}")
                    sel.unregister(sock)
                    done.append(sock)
                    pending -= 1
        return done, time.perf_counter() - t0
    except BaseException:
        for key in list(sel.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]
        for sock in done:
            sock.close()
        raise
    finally:
        sel.close()


def connect_test(port: int, pid: int, count: int, version: int, window: int) -> Sample:
    meter = CpuMeter(pid)
    socks, elapsed = connect_many(port, count, version, window, timeout=120.0)
    sample = meter.sample(elapsed * 1000, count)
    for sock in socks:
        sock.close()
    return sample


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise BenchError(f"no VmRSS for {pid}")


def _settled_rss(pid: int, settle: float = 5.0) -> int:
    """RSS once two readings 0.5 s apart agree within 1%, or after ``settle`` seconds."""
    end = time.monotonic() + settle
    last = rss_kib(pid)
    while time.monotonic() < end:
        time.sleep(0.5)
        now = rss_kib(pid)
        if abs(now - last) <= max(last // 100, 64):
            return now
        last = now
    return last


def memory_test(port: int, pid: int, count: int, version: int, window: int) -> Sample:
    warm, _ = connect_many(port, 50, version, window, timeout=60.0)
    for sock in warm:
        sock.close()
    time.sleep(1.0)
    before = _settled_rss(pid)
    socks, elapsed = connect_many(port, count, version, window, timeout=300.0)
    try:
        after = _settled_rss(pid)
    finally:
        for sock in socks:
            sock.close()
    per_conn = (after - before) / count
    note = f"RSS {before / 1024:.1f} -> {after / 1024:.1f} MiB, connected in {elapsed:.1f} s"
    return Sample(per_conn, note=note)  # not a failure: the note is information


# ---------------------------------------------------------------------------
# Brokers as subprocesses
# ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _raise_nofile(target: int) -> int:
    """Raise RLIMIT_NOFILE toward ``target`` (the hard limit too, if allowed); new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, target))
            return target
    new = target if hard == resource.RLIM_INFINITY else min(target, hard)
    if new > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        return new
    return soft


@dataclass
class RunningBroker:
    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def drops(self) -> int:
        """Lines in the broker's log about dropped messages (ours and mosquitto log them)."""
        return self.log_text().count("dropped")

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""


@dataclass
class Options:
    workdir: Path
    amqtt_python: str
    mosquitto: str | None
    broker_nofile: int
    #: Run our broker from this source tree (PYTHONPATH) instead of the installed one.
    ours_src: str | None = None

    def ours_env(self) -> dict[str, str] | None:
        if self.ours_src is None:
            return None
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (self.ours_src, env.get("PYTHONPATH", "")) if p
        )
        return env


def broker_available(name: str, opts: Options) -> str | None:
    """None if ``name`` can run here, else the reason it cannot."""
    if name == "mosquitto" and opts.mosquitto is None:
        return "mosquitto not found (apt-get install mosquitto)"
    if name == "ours":
        probe = subprocess.run(
            [sys.executable, "-c", "import servers.mqtt as m; print(m.__file__)"],
            capture_output=True,
            check=False,
            env=opts.ours_env(),
        )
        if probe.returncode:
            return f"our broker does not import: {probe.stderr.decode(errors='replace')[-300:]}"
        print(f"ours: {probe.stdout.decode().strip()}")
    if name == "amqtt":
        probe = subprocess.run(
            [opts.amqtt_python, "-c", "import amqtt.broker"], capture_output=True, check=False
        )
        if probe.returncode:
            return f"amqtt not importable by {opts.amqtt_python} (pip install amqtt)"
    return None


def start_broker(name: str, opts: Options, port: int | None = None) -> RunningBroker:
    port = port or free_port()
    log = opts.workdir / f"{name}-{port}.log"
    env = None
    if name == "ours":
        wire = Path(sys.executable).with_name("wire")
        prefix = [str(wire)] if wire.exists() else [sys.executable, "-m", "servers.cli"]
        if opts.ours_src is not None:
            prefix = [sys.executable, "-m", "servers.cli"]
            env = opts.ours_env()
        cmd = [*prefix, "serve", "mqtt", "--host", HOST, "--port", str(port)]
    elif name == "mosquitto":
        assert opts.mosquitto is not None
        conf = opts.workdir / f"mosquitto-{port}.conf"
        conf.write_text(
            f"listener {port} {HOST}\n"
            "max_connections -1\n"
            "allow_anonymous true\n"
            "persistence false\n"
            "max_queued_messages 0\n"
            # Quiet like the others: no line per connection.
            "log_dest stderr\n"
            "log_type error\n"
            "log_type warning\n"
        )
        cmd = [opts.mosquitto, "-c", str(conf)]
    elif name == "amqtt":
        cmd = [opts.amqtt_python, "-c", AMQTT_LAUNCHER, str(port)]
    elif name == "relay":
        cmd = [sys.executable, str(Path(__file__).resolve()), "--relay-port", str(port)]
    else:
        raise BenchError(f"unknown broker {name!r}")

    nofile = opts.broker_nofile

    def limits() -> None:  # runs in the child before exec
        _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, max(nofile, hard)))
        except (ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            # This process runs no threads, so preexec_fn is safe here.
            preexec_fn=limits,  # noqa: PLW1509
        )
    broker = RunningBroker(name, proc, port, log)
    end = time.monotonic() + 20
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise BenchError(f"{name} exited with {proc.returncode}: {broker.log_text()[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1):
            return broker
        time.sleep(0.05)
    stop_broker(broker)
    raise BenchError(f"{name} did not listen on port {port} within 20 s")


def stop_broker(broker: RunningBroker) -> None:
    proc = broker.proc
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(5)


@contextlib.contextmanager
def running(name: str, opts: Options) -> Iterator[RunningBroker]:
    broker = start_broker(name, opts)
    try:
        yield broker
    finally:
        stop_broker(broker)


def broker_limit(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/limits") as f:
            for line in f:
                if line.startswith("Max open files"):
                    return line.split()[3]
    except OSError:
        pass
    return "?"


# ---------------------------------------------------------------------------
# The relay: a zero-work "broker" showing the generator's ceiling
# ---------------------------------------------------------------------------


def relay_main(port: int) -> int:
    """Answer CONNECT and SUBSCRIBE, then copy publisher bytes to every subscriber and back."""
    listener = socket.create_server((HOST, port), backlog=1024)
    lock = threading.Lock()
    subscribers: dict[socket.socket, threading.Lock] = {}
    publishers: dict[socket.socket, threading.Lock] = {}

    def send_to(targets: dict[socket.socket, threading.Lock], data: bytes) -> None:
        with lock:
            snapshot = list(targets.items())
        for sock, send_lock in snapshot:
            with send_lock, contextlib.suppress(OSError):
                sock.sendall(data)

    def serve(sock: socket.socket) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = b""
        version = 4
        role: dict[socket.socket, threading.Lock] | None = None
        try:
            while True:
                data = sock.recv(RECV_SIZE)
                if not data:
                    return
                if role is not None:
                    send_to(subscribers if role is publishers else publishers, data)
                    continue
                buf += data
                while role is None and (size := _packet_size(buf)) is not None:
                    kind = buf[0] >> 4
                    head = _packet_size_head(buf)
                    if kind == 1:  # CONNECT: level after the protocol name
                        version = buf[head + 6]
                        sock.sendall(b"\x20\x02\x00\x00" if version != 5 else b"\x20\x03\0\0\0")
                        buf = buf[size:]
                    elif kind == 8:  # SUBSCRIBE: one filter, options in the last byte
                        pid = buf[head : head + 2]
                        qos = bytes((buf[size - 1] & 3,))
                        suback = b"\x90\x03" + pid if version != 5 else b"\x90\x04" + pid + b"\0"
                        with lock:
                            role = subscribers
                            subscribers[sock] = threading.Lock()
                        sock.sendall(suback + qos)
                        buf = buf[size:]
                    else:
                        with lock:
                            role = publishers
                            publishers[sock] = threading.Lock()
                if role is not None and buf:
                    send_to(subscribers if role is publishers else publishers, buf)
                    buf = b""
        except OSError:
            return
        finally:
            with lock:
                subscribers.pop(sock, None)
                publishers.pop(sock, None)
            sock.close()

    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


def _packet_size_head(buf: bytes) -> int:
    index = 1
    while buf[index] & 0x80:
        index += 1
    return index + 1


# ---------------------------------------------------------------------------
# Profiling our broker with py-spy
# ---------------------------------------------------------------------------


def _pyspy() -> str | None:
    local = Path(sys.executable).with_name("py-spy")
    return str(local) if local.exists() else shutil.which("py-spy")


def profile_ours(opts: Options, cfg: FlowConfig, args: argparse.Namespace, out_dir: Path) -> None:
    pyspy = _pyspy()
    if pyspy is None:
        print("profile: py-spy not found (pip install py-spy)")
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    scale = args.profile_scale
    cases = [("qos0", 0, args.qos0_messages * scale), ("qos1", 1, args.qos1_messages * scale)]
    for name, qos, messages in cases:
        with running("ours", opts) as broker:
            flow(broker.port, broker.pid, cfg, qos=0, messages=5000, subscribers=1)
            raw = out_dir / f"ours-{name}.txt"
            svg = out_dir / f"ours-{name}.svg"
            spies = [
                subprocess.Popen(
                    [
                        pyspy,
                        "record",
                        "--pid",
                        str(broker.pid),
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
            time.sleep(1.5)
            sample = flow(broker.port, broker.pid, cfg, qos=qos, messages=messages, subscribers=1)
            if broker.drops():
                sample.note += f" broker logged {broker.drops()} drop line(s)"
            for spy in spies:
                spy.send_signal(signal.SIGINT)
            for spy in spies:
                try:
                    _, err = spy.communicate(timeout=30)
                except subprocess.TimeoutExpired:
                    spy.kill()
                    _, err = spy.communicate()
                if spy.returncode not in (0, -signal.SIGINT) and not raw.exists():
                    print(f"profile: py-spy failed: {err.decode(errors='replace')[-500:]}")
        print(f"\nprofile of ours under {name} ({messages} msgs, {sample.value:,.0f} msg/s while")
        if sample.note:
            print(f"  NOTE: {sample.note}")
        print(f"sampled; py-spy --nonblocking at 250 Hz): {raw} and {svg}")
        if raw.exists():
            print_profile(raw.read_text())


def _frame_name(frame: str) -> tuple[str, str]:
    """``(function (file), function (file:line))`` of a py-spy raw frame."""
    # py-spy raw frames look like "function (path/to/file.py:123)".
    name, _, where = frame.rpartition(" (")
    path, _, line = where.rstrip(")").rpartition(":")
    for marker in ("/src/", "/site-packages/", "/lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{name} ({path})", f"{name} ({path}:{line})"


def print_profile(raw: str, top: int = 15) -> None:
    own: dict[str, int] = {}
    own_lines: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    total = 0
    for text in raw.splitlines():
        stack, _, count_text = text.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [_frame_name(f) for f in stack.split(";") if " (" in f]
        if not frames:
            continue
        own[frames[-1][0]] = own.get(frames[-1][0], 0) + count
        own_lines[frames[-1][1]] = own_lines.get(frames[-1][1], 0) + count
        for name in {f[0] for f in frames}:
            inclusive[name] = inclusive.get(name, 0) + count
    if not total:
        print("  (no samples)")
        return

    def ours(name: str) -> bool:
        return "(wire/" in name or "(servers/" in name

    def show(title: str, counts: dict[str, int], keep: Callable[[str], bool]) -> None:
        print(f"  {title}:")
        chosen = sorted(((n, c) for n, c in counts.items() if keep(n)), key=lambda kv: -kv[1])
        for name, count in chosen[:top]:
            extra = f"  (self {own.get(name, 0) / total:.1%})" if counts is inclusive else ""
            print(f"    {count / total:6.1%}  {name}{extra}")

    print(f"  {total} samples.")
    show(f"Self time by function, top {top}", own, lambda _: True)
    show(f"Self time by line, top {top}", own_lines, lambda _: True)
    show(f"Inclusive time, top {top} in src/wire and src/servers", inclusive, ours)


# ---------------------------------------------------------------------------
# Running everything and the table
# ---------------------------------------------------------------------------


@dataclass
class Results:
    samples: dict[str, dict[str, list[Sample]]] = field(default_factory=dict)

    def add(self, test: str, broker: str, sample: Sample) -> None:
        self.samples.setdefault(test, {}).setdefault(broker, []).append(sample)

    def median(self, test: str, broker: str, attr: str = "value") -> float | None:
        runs = self.samples.get(test, {}).get(broker, [])
        values = [getattr(s, attr) for s in runs if not s.failed]
        values = [v for v in values if not math.isnan(v)]
        return statistics.median(values) if values else None


def _label(test: str, args: argparse.Namespace) -> tuple[str, str, bool]:
    if test == "qos0":
        return f"QoS 0 1->1, {args.qos0_messages:,} x {args.payload} B", "msg/s", True
    if test == "qos1":
        return f"QoS 1 1->1, {args.qos1_messages:,}, window {args.window}", "msg/s", True
    if test == "fanout":
        subs, msgs = args.fanout_subscribers, args.fanout_messages
        return f"fan-out 1->{subs}, {msgs:,} QoS 0", "dlv/s", True
    if test == "connect":
        return f"accept {args.connect_count:,} connections", "ms", False
    return f"RSS per idle conn, {args.memory_count:,} conns", "KiB", False


_CPU_LABELS = {
    "qos0": "broker CPU per msg, QoS 0",
    "qos1": "broker CPU per msg, QoS 1",
    "fanout": "broker CPU per delivery, fan-out",
    "connect": "broker CPU per connection",
}


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit in ("KiB", "us"):
        return f"{value:.2f}" if value < 100 else f"{value:,.0f}"
    return f"{value:,.0f}"


def _row(
    results: Results,
    brokers: Sequence[str],
    peers: Sequence[str],
    test: str,
    attr: str,
    label: str,
    unit: str,
    higher: bool,
) -> list[str]:
    medians = {b: results.median(test, b, attr) for b in brokers}
    cells = [label, unit + (" ^" if higher else " v")]
    cells += [_fmt(medians[b], unit) for b in brokers]
    for peer in peers:
        ours, theirs = medians["ours"], medians[peer]
        cells.append(f"{ours / theirs:.2f}x" if ours and theirs else "-")
    return cells


def print_table(results: Results, brokers: Sequence[str], args: argparse.Namespace) -> None:
    peers = [b for b in ("mosquitto", "amqtt") if b in brokers and "ours" in brokers]
    headers = ["measurement (median)", "unit", *brokers, *(f"ours/{p}" for p in peers)]
    rows = []
    for test in TESTS:
        if test in results.samples:
            label, unit, higher = _label(test, args)
            rows.append(_row(results, brokers, peers, test, "value", label, unit, higher))
    for test in TESTS:
        if test in results.samples and test in _CPU_LABELS:
            label = _CPU_LABELS[test]
            rows.append(_row(results, brokers, peers, test, "broker_us", label, "us", False))
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    print(line(headers))
    print("-" * len(line(headers)))
    for row in rows:
        print(line(row))
    print("^ higher is better, v lower is better. Ratios are ours/peer of the medians: above")
    print("1.00x is better for ^ rows and worse for v rows. 'relay' is the generator's ceiling.")


def print_details(results: Results, brokers: Sequence[str], args: argparse.Namespace) -> None:
    print("\nEvery run: value (broker CPU % / generator CPU % / other processes CPU %)")
    others = []
    for test in TESTS:
        per_broker = results.samples.get(test)
        if not per_broker:
            continue
        _, unit, _ = _label(test, args)
        print(f"  {test} [{unit}]:")
        for broker in brokers:
            runs = []
            for s in per_broker.get(broker, []):
                text = _fmt(s.value, unit)
                if not math.isnan(s.broker_cpu):
                    text += f" ({s.broker_cpu:.0f}/{s.gen_cpu:.0f}/{s.other_cpu:.0f})"
                    others.append(s.other_cpu)
                if s.note:
                    text += f" [{'FAILED ' if s.failed else ''}{s.note}]"
                runs.append(text)
            if runs:
                print(f"    {broker:>9}: " + "; ".join(runs))
    if others:
        print(
            f"Other processes used a median {statistics.median(others):.0f}% "
            f"(max {max(others):.0f}%) of one core during the measurements "
            f"({os.cpu_count()} cores here): above ~20% the throughput figures are contended "
            "and the per-message CPU rows are the better comparison."
        )


def run(args: argparse.Namespace) -> int:
    brokers = [b.strip() for b in args.brokers.split(",") if b.strip()]
    tests = [t.strip() for t in args.tests.split(",") if t.strip() not in ("", "none")]
    for name in brokers:
        if name not in BROKERS:
            print(f"unknown broker {name!r}; choose from {', '.join(BROKERS)}", file=sys.stderr)
            return 2
    for test in tests:
        if test not in TESTS:
            print(f"unknown test {test!r}; choose from {', '.join(TESTS)}", file=sys.stderr)
            return 2
    if args.mqtt == 5 and "amqtt" in brokers:
        print("amqtt speaks MQTT 3.1.1 only: left out with --mqtt 5")
        brokers.remove("amqtt")

    need = max(args.memory_count if "memory" in tests else 0, args.connect_count) + 1024
    nofile = _raise_nofile(need)
    if "memory" in tests and args.memory_count + 1024 > nofile:
        args.memory_count = max(1000, nofile - 1024)
        print(f"fd limit {nofile}: memory test lowered to {args.memory_count} connections")

    workdir = Path(tempfile.mkdtemp(prefix="wire-bench-mqtt-"))
    opts = Options(
        workdir=workdir,
        amqtt_python=args.amqtt_python or sys.executable,
        mosquitto=args.mosquitto or shutil.which("mosquitto") or _existing("/usr/sbin/mosquitto"),
        broker_nofile=max(nofile, need),
        ours_src=args.ours_src,
    )
    for name in list(brokers):
        reason = broker_available(name, opts)
        if reason:
            print(f"skipping {name}: {reason}")
            brokers.remove(name)
    cfg = FlowConfig(
        version=args.mqtt,
        payload=args.payload,
        batch=args.batch,
        lead=args.lead,
        window=args.window,
        timeout=args.time_limit,
    )
    print(
        f"MQTT {'5.0' if args.mqtt == 5 else '3.1.1'} on loopback, {os.cpu_count()} CPUs, "
        f"{args.repeat} run(s) each, generator fd limit {nofile}; logs in {workdir}"
    )
    results = Results()

    def measure(test: str, broker: RunningBroker) -> Sample:
        wait_quiet(args.wait_quiet)
        port, pid = broker.port, broker.pid
        if test == "qos0":
            return flow(port, pid, cfg, qos=0, messages=args.qos0_messages, subscribers=1)
        if test == "qos1":
            return flow(port, pid, cfg, qos=1, messages=args.qos1_messages, subscribers=1)
        if test == "fanout":
            subs = args.fanout_subscribers
            return flow(port, pid, cfg, qos=0, messages=args.fanout_messages, subscribers=subs)
        if test == "connect":
            return connect_test(port, pid, args.connect_count, args.mqtt, args.connect_window)
        return memory_test(port, pid, args.memory_count, args.mqtt, args.connect_window)

    limits_seen: dict[str, str] = {}

    def run_group(name: str, group: list[str], repeat: int) -> None:
        with running(name, opts) as broker:
            limits_seen[name] = broker_limit(broker.pid)
            warm_error = None
            if group != ["memory"]:
                # Warm-up: first-time costs (caches, socket buffer growth) out.
                try:
                    flow(broker.port, broker.pid, cfg, qos=0, messages=5000, subscribers=1)
                except (BenchError, OSError) as exc:
                    warm_error = exc
            for test in group:
                try:
                    if warm_error is not None:
                        raise BenchError(f"warm-up failed: {warm_error}")
                    drops_before = broker.drops()
                    sample = measure(test, broker)
                    dropped = broker.drops() - drops_before
                    if dropped:
                        sample.failed = True
                        sample.note += f" broker logged {dropped} drop line(s)"
                except (BenchError, OSError) as exc:
                    sample = Sample(math.nan, failed=True, note=f"error: {exc}")
                results.add(test, name, sample)
                _progress(repeat, name, test, sample)
            if broker.drops():
                print(f"    {name} logged drops: see {broker.log}")

    for repeat in range(args.repeat):
        for name in brokers:
            selected = [
                t for t in TESTS[:4] if t in tests and not (name == "relay" and t == "connect")
            ]
            groups = [selected] if selected else []
            if "memory" in tests and name != "relay":
                groups.append(["memory"])  # a fresh broker: a clean RSS baseline
            for group in groups:
                try:
                    run_group(name, group, repeat)
                except (BenchError, OSError) as exc:
                    print(f"  run {repeat + 1} {name:>9}: {exc}")
                    reason = str(exc).strip().splitlines()[-1][:120]
                    for test in group:
                        sample = Sample(math.nan, failed=True, note=f"no broker: {reason}")
                        results.add(test, name, sample)
                        _progress(repeat, name, test, sample)
    print()
    print_table(results, brokers, args)
    print_details(results, brokers, args)
    print(
        f"\nQoS 0: publisher at most {cfg.lead} messages ahead of the slowest subscriber; "
        f"QoS 1: window of {cfg.window} unacknowledged PUBLISH; writes of up to {cfg.batch} "
        f"packets; {args.connect_window} handshakes at a time in connect and memory."
    )
    print(
        "Broker fd limits (RLIMIT_NOFILE soft): "
        + ", ".join(f"{k} {v}" for k, v in limits_seen.items())
    )
    if args.profile:
        try:
            profile_ours(opts, cfg, args, Path(args.profile))
        except (BenchError, OSError) as exc:
            print(f"profile failed: {exc}")
    return 0


def _existing(path: str) -> str | None:
    return path if os.path.exists(path) else None


def _progress(repeat: int, broker: str, test: str, sample: Sample) -> None:
    cpu = ""
    if not math.isnan(sample.broker_cpu):
        cpu = (
            f"  CPU: broker {sample.broker_cpu:.0f}% ({sample.broker_us:.1f} us/unit),"
            f" generator {sample.gen_cpu:.0f}%, others {sample.other_cpu:.0f}%"
        )
    note = f"  [{sample.note}]" if sample.note else ""
    print(f"  run {repeat + 1} {broker:>9} {test:>7}: {sample.value:,.2f}{cpu}{note}", flush=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.mqtt_broker",
        description="Throughput, connection rate and memory of MQTT brokers on loopback.",
    )
    parser.add_argument(
        "--brokers",
        default="ours,mosquitto,amqtt,relay",
        help="comma list of {}".format(", ".join(BROKERS)),
    )
    parser.add_argument(
        "--tests", default=",".join(TESTS), help="comma list of {}".format(", ".join(TESTS))
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--mqtt", type=int, choices=(4, 5), default=4, help="protocol level (amqtt: 4 only)"
    )
    parser.add_argument("--payload", type=int, default=100)
    parser.add_argument("--qos0-messages", type=int, default=100_000)
    parser.add_argument("--qos1-messages", type=int, default=20_000)
    parser.add_argument("--fanout-messages", type=int, default=1000)
    parser.add_argument("--fanout-subscribers", type=int, default=100)
    parser.add_argument("--connect-count", type=int, default=1000)
    parser.add_argument("--memory-count", type=int, default=10_000)
    parser.add_argument(
        "--connect-window",
        type=int,
        default=64,
        help="handshakes at a time (mosquitto and amqtt listen with backlog 100)",
    )
    parser.add_argument("--window", type=int, default=500, help="QoS 1 PUBLISH awaiting PUBACK")
    parser.add_argument(
        "--lead",
        type=int,
        default=5000,
        help="QoS 0: most messages the publisher is ahead of the slowest subscriber",
    )
    parser.add_argument("--batch", type=int, default=1000, help="PUBLISH packets per write")
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds per measurement")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=10.0,
        help="seconds to wait before each measurement for other processes to go quiet",
    )
    parser.add_argument(
        "--amqtt-python", help="interpreter with amqtt installed (default: this one)"
    )
    parser.add_argument(
        "--ours-src",
        metavar="DIR",
        help="run our broker from this src/ tree (e.g. a `git archive` snapshot) via PYTHONPATH",
    )
    parser.add_argument("--mosquitto", help="mosquitto binary (default: from PATH or /usr/sbin)")
    parser.add_argument(
        "--profile", metavar="DIR", help="also profile ours under QoS 0 and QoS 1 with py-spy"
    )
    parser.add_argument(
        "--profile-scale",
        type=int,
        default=5,
        help="profile runs send this many times the QoS 0/1 message counts (more samples)",
    )
    parser.add_argument("--relay-port", type=int, help=argparse.SUPPRESS)
    return parser


def run_from_args(args: argparse.Namespace, out: TextIO) -> None:
    """Entry point for ``python -m benchmarks`` (options of ``benchmarks.add_arguments``).

    ``--repeat`` and ``--profile`` carry over; ``--quick`` is one short round (smaller
    counts, 1,000 idle connections); ``--time`` and ``--clock`` do not apply here: every
    measurement is bounded by its message count and ``--time-limit``.
    """
    argv = ["--repeat", "1" if getattr(args, "quick", False) else str(args.repeat)]
    if getattr(args, "quick", False):
        argv += ["--qos0-messages", "20000", "--qos1-messages", "5000"]
        argv += ["--connect-count", "500", "--memory-count", "1000", "--wait-quiet", "0"]
    if getattr(args, "profile", False):
        argv += ["--profile", tempfile.mkdtemp(prefix="wire-bench-mqtt-profile-")]
    with contextlib.redirect_stdout(out):
        main(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.relay_port:
        return relay_main(args.relay_port)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
