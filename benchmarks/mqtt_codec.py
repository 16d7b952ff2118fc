"""MQTT codec throughput: wire.mqtt against mqtt5 (Rust) and amqtt (pure Python).

Two workloads, each as one byte stream per protocol version:

- ``PUBLISH QoS 1, 100 B``: 100 PUBLISH packets (topic ``sensors/room-12/temperature``,
  a 100-byte payload, packet ids 1..100), as a broker receives a burst;
- ``session mix``: the 18 packets of a short session: CONNECT, CONNACK, SUBSCRIBE,
  SUBACK, PUBLISH QoS 0/1/2 (with properties in 5.0), PUBACK, PUBREC, PUBREL,
  PUBCOMP, PINGREQ, PINGRESP, UNSUBSCRIBE, UNSUBACK, DISCONNECT.

Every implementation decodes the same bytes and encodes packets that encode to the
same bytes (checked before timing):

- wire: ``PacketReader.feed(stream)`` (one call per stream, as a driver does per
  receive) and, for comparison, ``decode()`` once per packet; ``encode()`` per packet;
- mqtt5 (5.0 only): ``mqtt5.read(memoryview)`` in a loop over the stream;
  ``packet.write()`` per packet;
- amqtt (3.1.1 only): its ``async from_stream()`` decoders, exactly as its protocol
  handler calls them (fixed header, ``packet_class()``, ``cls.from_stream``), over a
  minimal in-memory reader whose ``read(n)`` returns a slice and never suspends. The
  coroutine is stepped with ``send(None)``: no event loop, no ``asyncio.StreamReader``,
  so this is the cheapest way to drive amqtt's decoders and an upper bound on them.
  ``packet.to_bytes()`` per packet.

Each measurement runs one implementation's call in a loop for about ``--time``
seconds; the implementations take turns within each of ``--repeat`` rounds, so
machine noise hits them alike, and the table shows medians in packets per second.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from benchmarks import CLOCKS, add_arguments
from benchmarks._interleaved import calibrate, timed
from wire import mqtt

__all__ = [
    "Case",
    "Result",
    "build_cases",
    "format_table",
    "main",
    "profile",
    "run",
    "run_from_args",
    "summarize",
]

PUBLISH_TOPIC = "sensors/room-12/temperature"
VERSION_NAMES = {4: "3.1.1", 5: "5.0"}


# ---------------------------------------------------------------------------
# Workloads
# ---------------------------------------------------------------------------


def publish_burst(version: int, count: int = 100) -> list[mqtt.Packet]:
    """``count`` QoS 1 PUBLISH packets with a 100-byte payload."""
    payload = bytes(range(100))
    return [mqtt.Publish(PUBLISH_TOPIC, payload, qos=1, packet_id=i) for i in range(1, count + 1)]


def session_mix(version: int) -> list[mqtt.Packet]:
    """The packets of a short session, with 5.0 properties where 5.0 has them."""
    v5 = version == 5
    props = mqtt.Properties.build if v5 else (lambda **_: mqtt.Properties())
    reading = b'{"celsius": 21.5, "sensor": "room-12", "ts": 1732400000}'
    return [
        mqtt.Connect(
            "sensor-room-12",
            keep_alive=60,
            username="sensor",
            password=b"s3cret",
            properties=props(session_expiry_interval=3600, receive_maximum=100),
            protocol_level=version,
        ),
        mqtt.Connack(
            reason_code=mqtt.ReasonCode.SUCCESS if v5 else mqtt.ConnectReturnCode.ACCEPTED,
            properties=props(topic_alias_maximum=10),
        ),
        mqtt.Subscribe(
            1,
            (mqtt.Subscription("commands/room-12/#", qos=1), mqtt.Subscription("config/+", 0)),
            props(subscription_identifier=[7]),
        ),
        mqtt.Suback(1, (1, 0)),
        mqtt.Publish(
            "sensors/room-12/status", b"online", properties=props(message_expiry_interval=300)
        ),
        mqtt.Publish(
            PUBLISH_TOPIC,
            reading,
            qos=1,
            packet_id=2,
            properties=props(
                payload_format_indicator=1,
                message_expiry_interval=60,
                content_type="application/json",
                user_property=[("unit", "C")],
            ),
        ),
        mqtt.Puback(2),
        mqtt.Publish(
            "commands/room-12/fan",
            b'{"speed": 2}',
            qos=1,
            packet_id=3,
            properties=props(
                response_topic="replies/room-12",
                correlation_data=b"req-7",
                subscription_identifier=[7],
            ),
        ),
        mqtt.Puback(3),
        mqtt.Publish(PUBLISH_TOPIC, reading, qos=2, packet_id=4),
        mqtt.Pubrec(4),
        mqtt.Pubrel(4),
        mqtt.Pubcomp(4),
        mqtt.Pingreq(),
        mqtt.Pingresp(),
        mqtt.Unsubscribe(5, ("config/+",)),
        mqtt.Unsuback(5, (0,) if v5 else ()),
        mqtt.Disconnect(),
    ]


WORKLOADS: dict[str, Callable[[int], list[mqtt.Packet]]] = {
    "PUBLISH QoS 1, 100 B": publish_burst,
    "session mix": session_mix,
}


# ---------------------------------------------------------------------------
# Implementations
# ---------------------------------------------------------------------------


@dataclass
class Case:
    """One thing to time: an implementation doing one operation on one workload."""

    workload: str
    version: int
    op: str  # "decode" or "encode"
    impl: str
    packets: int  # packets handled per call of ``fn``
    fn: Callable[[], object]
    baseline: bool = False  # the wire row the ratios are taken against
    rates: list[float] = field(default_factory=list)
    loops: int = 0


def _wire_cases(workload: str, version: int, packets: list[mqtt.Packet]) -> list[Case]:
    stream = b"".join(mqtt.encode(p, version=version) for p in packets)
    singles = [mqtt.encode(p, version=version) for p in packets]
    reader_class = mqtt.PacketReader
    decode = mqtt.decode
    encode = mqtt.encode

    def feed() -> list[mqtt.Packet]:
        return reader_class(version=version).feed(stream)

    def decode_each() -> list[object]:
        return [decode(data, version=version) for data in singles]

    def encode_each() -> list[bytes]:
        return [encode(packet, version=version) for packet in packets]

    decoded = feed()
    if decoded != packets:
        raise AssertionError(f"wire does not round-trip the {workload} workload")
    n = len(packets)
    return [
        Case(workload, version, "decode", "wire PacketReader.feed", n, feed, baseline=True),
        Case(workload, version, "decode", "wire decode() per packet", n, decode_each),
        Case(workload, version, "encode", "wire encode()", n, encode_each, baseline=True),
    ]


def _mqtt5_cases(workload: str, version: int, packets: list[mqtt.Packet]) -> list[Case]:
    import mqtt5

    stream = b"".join(mqtt.encode(p, version=version) for p in packets)
    view = memoryview(stream)
    read = mqtt5.read
    size = len(stream)

    def decode_all() -> list[Any]:
        out: list[Any] = []
        pos = 0
        while pos < size:
            packet, used = read(view[pos:])
            out.append(packet)
            pos += used
        return out

    theirs = decode_all()
    if len(theirs) != len(packets):
        raise AssertionError(f"mqtt5 decoded {len(theirs)} packets of {len(packets)}")
    if b"".join(p.write() for p in theirs) != stream:
        raise AssertionError(f"mqtt5 encodes the {workload} workload to other bytes")

    def encode_each() -> list[bytes]:
        return [packet.write() for packet in theirs]

    n = len(packets)
    return [
        Case(workload, version, "decode", "mqtt5 read()", n, decode_all),
        Case(workload, version, "encode", "mqtt5 write()", n, encode_each),
    ]


class MemoryReader:
    """The least an amqtt decoder needs from a reader: ``async read(n)`` over bytes."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    async def read(self, n: int = -1) -> bytes:
        start = self.pos
        end = len(self.data) if n < 0 else start + n
        self.pos = end
        return self.data[start:end]

    def feed_eof(self) -> None:
        pass


def _step(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine that never suspends, without an event loop."""
    try:
        coroutine.send(None)
    except StopIteration as stop:
        return stop.value
    coroutine.close()
    raise RuntimeError("the amqtt decoder suspended on an in-memory reader")


def _amqtt_cases(workload: str, version: int, packets: list[mqtt.Packet]) -> list[Case]:
    from amqtt.mqtt import packet_class
    from amqtt.mqtt.packet import MQTTFixedHeader

    stream = b"".join(mqtt.encode(p, version=version) for p in packets)
    read_header = MQTTFixedHeader.from_stream
    count = len(packets)

    async def decode_stream(reader: MemoryReader) -> list[object]:
        # As amqtt.mqtt.protocol.handler.ProtocolHandler._reader_loop does per packet.
        out = []
        for _ in range(count):
            header = await read_header(reader)
            cls = packet_class(header)
            out.append(await cls.from_stream(reader, fixed_header=header))
        return out

    def decode_all() -> list[object]:
        result: list[object] = _step(decode_stream(MemoryReader(stream)))
        return result

    theirs: list[Any] = decode_all()
    if b"".join(p.to_bytes() for p in theirs) != stream:
        raise AssertionError(f"amqtt encodes the {workload} workload to other bytes")

    def encode_each() -> list[bytes]:
        return [packet.to_bytes() for packet in theirs]

    return [
        Case(workload, version, "decode", "amqtt from_stream()", count, decode_all),
        Case(workload, version, "encode", "amqtt to_bytes()", count, encode_each),
    ]


PEERS: dict[str, tuple[frozenset[int], Callable[[str, int, list[mqtt.Packet]], list[Case]]]] = {
    "mqtt5": (frozenset({5}), _mqtt5_cases),
    "amqtt": (frozenset({4}), _amqtt_cases),
}


def build_cases(out: TextIO) -> list[Case]:
    """Every case for every workload, version and installed peer."""
    cases: list[Case] = []
    missing: list[str] = []
    for workload, make in WORKLOADS.items():
        for version in (4, 5):
            packets = make(version)
            cases += _wire_cases(workload, version, packets)
            for name, (versions, build) in PEERS.items():
                if version not in versions or name in missing:
                    continue
                try:
                    cases += build(workload, version, packets)
                except ImportError:
                    missing.append(name)
    for name in missing:
        out.write(
            f"note: {name} is not installed (pip install -e '.[bench]'); its rows are left out\n"
        )
    return cases


# ---------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """Median rate of one case."""

    workload: str
    version: int
    op: str
    impl: str
    median: float  # packets per second
    spread: float  # (max - min) / median over the rounds
    ratio: float | None  # wire's median / this median, for peers and wire's variants


def run(*, repeat: int, seconds: float, out: TextIO, clock: str = "perf_counter") -> list[Result]:
    """Measure every case ``repeat`` times, taking turns, and return the medians."""
    timer = CLOCKS[clock]
    cases = build_cases(out)
    for case in cases:
        case.loops = calibrate(case.fn, seconds)
    for _ in range(repeat):
        for case in cases:
            case.rates.append(case.loops * case.packets / timed(case.fn, case.loops, timer))
    medians = {id(case): statistics.median(case.rates) for case in cases}
    baselines = {
        (case.workload, case.version, case.op): medians[id(case)] for case in cases if case.baseline
    }
    results = []
    for case in cases:
        median = medians[id(case)]
        base = baselines[(case.workload, case.version, case.op)]
        results.append(
            Result(
                case.workload,
                case.version,
                case.op,
                case.impl,
                median,
                (max(case.rates) - min(case.rates)) / median,
                None if case.baseline else base / median,
            )
        )
    return results


def _rate(value: float) -> str:
    if value >= 1e6:
        return f"{value / 1e6:.2f}M"
    return f"{value / 1e3:.0f}k"


def format_table(results: Sequence[Result]) -> str:
    """The results as an aligned text table, one row per implementation."""
    header = (
        "workload",
        "MQTT",
        "op",
        "implementation",
        "packets/s",
        "ns/packet",
        "spread",
        "ours/this",
    )
    rows: list[tuple[str, ...]] = []
    previous: tuple[str, int, str] | None = None
    for r in results:
        key = (r.workload, r.version, r.op)
        first = key != previous
        previous = key
        rows.append(
            (
                r.workload if first else "",
                VERSION_NAMES[r.version] if first else "",
                r.op if first else "",
                r.impl,
                _rate(r.median),
                f"{1e9 / r.median:,.0f}",
                f"{100 * r.spread:.0f}%",
                "1 (ours)" if r.ratio is None else f"{r.ratio:.2f}x",
            )
        )
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    right = {4, 5, 6, 7}

    def line(row: tuple[str, ...]) -> str:
        cells = (
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def summarize(results: Sequence[Result]) -> str:
    """The ratios the issue asks for: at least 5x amqtt, and where we stand to mqtt5."""
    lines = []
    for peer, target in (("amqtt", 5.0), ("mqtt5", None)):
        ratios = [r for r in results if r.impl.startswith(peer) and r.ratio is not None]
        if not ratios:
            continue
        parts = ", ".join(f"{r.workload} {r.op} {r.ratio:.2f}x" for r in ratios)
        verdict = ""
        if target is not None:
            worst = min(r.ratio for r in ratios if r.ratio is not None)
            verdict = f" -> target >= {target:g}x {'met' if worst >= target else 'NOT met'}"
        lines.append(f"ours/{peer}: {parts}{verdict}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Profiling
# ---------------------------------------------------------------------------


def profile(out: TextIO, *, top: int = 12, version: int = 5) -> None:
    """cProfile wire's decoder and encoder on both workloads; print the hot spots."""
    streams = []
    for make in WORKLOADS.values():
        packets = make(version)
        streams.append((packets, b"".join(mqtt.encode(p, version=version) for p in packets)))

    def decode_loop() -> None:
        for _ in range(300):
            for _, stream in streams:
                mqtt.PacketReader(version=version).feed(stream)

    def encode_loop() -> None:
        for _ in range(300):
            for packets, _ in streams:
                for packet in packets:
                    mqtt.encode(packet, version=version)

    for name, fn in (("decode (PacketReader.feed)", decode_loop), ("encode()", encode_loop)):
        profiler = cProfile.Profile()
        profiler.runcall(fn)
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.strip_dirs().sort_stats("tottime").print_stats(top)
        body = text.getvalue()
        start = body.find("   ncalls")
        out.write(f"\n== profile: wire {name}, MQTT {VERSION_NAMES[version]}, both workloads ==\n")
        out.write(body[start:] if start >= 0 else body)


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


def run_from_args(args: argparse.Namespace, out: TextIO) -> None:
    """Run with the options of :func:`benchmarks.add_arguments` and print the table."""
    repeat, seconds = (3, 0.05) if args.quick else (args.repeat, args.time)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    out.write(
        f"MQTT codec throughput: medians of {repeat} rounds of ~{seconds:g} s per "
        f"implementation, taking turns, timed with time.{args.clock}\n"
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load}\n"
        "amqtt is driven over an in-memory reader whose read() never suspends, its\n"
        "coroutines stepped with send(None): no event loop (see benchmarks/README.md)\n\n"
    )
    results = run(repeat=repeat, seconds=seconds, out=out, clock=args.clock)
    out.write(format_table(results) + "\n\n" + summarize(results) + "\n")
    if args.profile:
        profile(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    run_from_args(parser.parse_args(argv), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
