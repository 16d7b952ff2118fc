"""Fuzzing campaigns against the codecs: the ``wire fuzz TARGET`` command.

Targets: ``mqtt`` (the MQTT decoder) and ``http`` (the HTTP server machine,
:class:`wire.http.HTTPConnection`; see :func:`check_http_input`).

A campaign builds a seed corpus (for MQTT the test vectors in
``spec/mqtt/vectors/*.json``, or a few fixed packets when there are none, plus
hand-picked edge cases; for HTTP plain, unusual and broken requests), then
fuzzes for the time budget with one of two engines:

- **atheris** (``pip install -e '.[fuzz]'``): the coverage-guided target
  ``fuzz/mqtt_decoder.py`` runs as a subprocess with ``-max_total_time``;
- **builtin**, when atheris is not installed: a pure-Python mutation fuzzer in
  this process (bit flips, byte inserts and deletes, splicing of seeds,
  length-field tweaks), bounded by time, so the command works everywhere.

Both engines check the same invariants through :func:`check_mqtt_input` (or
:func:`check_http_input`) and
leave crashing inputs in ``WORKDIR/crashes/`` (libFuzzer's ``crash-<sha1>``
naming). The report gives each crash's input as hex with a
``wire decode mqtt --version V HEX`` command to replay it; crash files left by
an earlier campaign are replayed first and reported again while they still crash.

The MQTT input format, shared by both engines and by every file in ``corpus/``
and ``crashes/``, is one control byte followed by the bytes fed to the decoder
(the HTTP one is in :func:`parse_http_input`):

======  ==================================================================
bit 0   protocol version: 0 for 3.1.1 (level 4), 1 for 5.0
bit 1   mode: 0 for one :func:`wire.mqtt.decode` call, 1 for a
        :class:`wire.mqtt.PacketReader` fed whole and fed in chunks
bit 2   ``max_packet_size``: 0 for the default (1 MiB), 1 for 64 bytes
3-7     split pattern for mode 1: 0 splits after every byte; ``s`` > 0
        cuts chunks of ``1 + (byte + i * s) % (4 * s)`` bytes, where
        ``byte`` is the first byte of chunk ``i``
======  ==================================================================
"""

from __future__ import annotations

import concurrent.futures
import functools
import hashlib
import itertools
import json
import math
import multiprocessing
import random
import re
import shlex
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal, TextIO

from wire import http, mqtt
from wire.errors import LocalProtocolError, RemoteProtocolError

__all__ = [
    "Crash",
    "FuzzInput",
    "InvariantViolation",
    "SeedCorpus",
    "HTTPFuzzInput",
    "build_http_seeds",
    "build_seeds",
    "check_http_input",
    "check_mqtt_input",
    "make_http_input",
    "make_input",
    "parse_http_input",
    "parse_input",
    "run_campaign",
    "split_points",
]

Engine = Literal["auto", "atheris", "builtin"]

#: The checkout this module lives in: ``src/servers/fuzzing.py`` -> the repository root.
_ROOT = Path(__file__).resolve().parents[2]
#: Where the test vectors are looked for by default.
DEFAULT_VECTORS_DIR = _ROOT / "spec" / "mqtt" / "vectors"
#: The atheris target run by the atheris engine.
ATHERIS_TARGETS = {
    "mqtt": _ROOT / "fuzz" / "mqtt_decoder.py",
    "http": _ROOT / "fuzz" / "http_server.py",
}

#: ``max_packet_size`` when bit 2 of the control byte is set: small enough that
#: ordinary seeds trip :class:`wire.mqtt.PacketTooLarge`.
SMALL_MAX_PACKET_SIZE = 64
#: Longest input either engine generates (libFuzzer's ``-max_len``).
MAX_INPUT_LEN = 4096
#: Most inputs the built-in fuzzer keeps in its in-memory corpus.
_MAX_CORPUS = 5000
_ARTIFACT_PREFIXES = ("crash-", "timeout-", "oom-", "leak-", "slow-unit-")


# ---------------------------------------------------------------------------
# The input format
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FuzzInput:
    """One fuzz input, unpacked from its control byte (see the module docstring)."""

    version: int
    reader: bool
    max_packet_size: int
    stride: int
    data: bytes

    def describe(self) -> str:
        """A short human description: version, mode, limit and split pattern."""
        name = "5.0" if self.version == 5 else "3.1.1"
        if self.reader:
            split = "every byte" if not self.stride else f"pattern {self.stride}"
            mode = f"PacketReader, whole vs split at {split}"
        else:
            mode = "decode() once"
        return f"MQTT {name}, {mode}, max_packet_size {self.max_packet_size}"


def parse_input(raw: bytes) -> FuzzInput | None:
    """Unpack a fuzz input; ``None`` for the empty input."""
    if not raw:
        return None
    control = raw[0]
    return FuzzInput(
        version=5 if control & 0x01 else 4,
        reader=bool(control & 0x02),
        max_packet_size=SMALL_MAX_PACKET_SIZE if control & 0x04 else mqtt.DEFAULT_MAX_PACKET_SIZE,
        stride=control >> 3,
        data=bytes(raw[1:]),
    )


def make_input(
    data: bytes, *, version: int, reader: bool = False, small_limit: bool = False, stride: int = 0
) -> bytes:
    """Pack ``data`` with a control byte; the inverse of :func:`parse_input`."""
    if version not in (4, 5) or not 0 <= stride < 32:
        raise ValueError("version must be 4 or 5 and stride in 0..31")
    control = (version == 5) | (reader << 1) | (small_limit << 2) | (stride << 3)
    return bytes((control,)) + data


def split_points(data: bytes, stride: int) -> list[int]:
    """Where the reader mode cuts ``data`` into chunks (offsets in ``1..len(data)-1``)."""
    if not stride:
        return list(range(1, len(data)))
    points = []
    pos = 0
    index = 0
    while pos < len(data):
        pos += 1 + (data[pos] + index * stride) % (4 * stride)
        index += 1
        if pos < len(data):
            points.append(pos)
    return points


# ---------------------------------------------------------------------------
# The invariants
# ---------------------------------------------------------------------------


class InvariantViolation(AssertionError):
    """The codec broke one of the invariants :func:`check_mqtt_input` checks."""


def _check(condition: bool, message: str) -> None:
    # Not ``assert``: the checks must survive ``python -O``.
    if not condition:
        raise InvariantViolation(message)


_NOISE = re.compile(r"'[^']*'|\"[^\"]*\"|b'[^']*'|0x[0-9a-fA-F]+|\d+")


def _error_key(error: RemoteProtocolError | None) -> tuple[str, int | None] | None:
    return None if error is None else (type(error).__name__, error.code)


def _error_signature(error: RemoteProtocolError | None) -> str:
    if error is None:
        return "ok"
    return f"{type(error).__name__}:{_NOISE.sub('#', str(error))}"


def _check_round_trip(packet: mqtt.Packet, version: int) -> None:
    """``decode(encode(p)) == p``, the encoding is stable, and the JSON view round-trips."""
    name = type(packet).__name__
    try:
        encoded = mqtt.encode(packet, version=version)
    except LocalProtocolError as exc:
        raise InvariantViolation(f"decoded {name} cannot be re-encoded: {exc}") from exc
    try:
        result = mqtt.decode(encoded, version=version, max_packet_size=mqtt.MAX_PACKET_SIZE_LIMIT)
    except RemoteProtocolError as exc:
        raise InvariantViolation(f"re-encoded {name} does not decode: {exc!r}") from exc
    _check(result is not None, f"re-encoded {name} decodes as incomplete")
    assert result is not None
    again, used = result
    _check(used == len(encoded), f"re-encoded {name} used {used} of {len(encoded)} bytes")
    _check(again == packet, f"decode(encode(p)) != p for {name}: {again!r} != {packet!r}")
    _check(
        mqtt.encode(again, version=version) == encoded,
        f"encoding of {name} is not stable across a round trip",
    )
    # ``wire decode`` / ``wire encode`` go through the JSON view: it must round-trip too.
    view = json.loads(json.dumps(mqtt.packet_to_json(packet, version=version)))
    try:
        from_view = mqtt.packet_from_json(view)
    except LocalProtocolError as exc:
        raise InvariantViolation(f"JSON view of {name} does not load back: {exc}") from exc
    _check(from_view == packet, f"JSON view of {name} does not round-trip: {view!r}")


def _feed_split(
    reader: mqtt.PacketReader, data: bytes, points: list[int]
) -> tuple[list[mqtt.Packet], RemoteProtocolError | None]:
    packets: list[mqtt.Packet] = []
    start = 0
    for end in [*points, len(data)]:
        got, error = reader.feed_until_error(data[start:end])
        packets += got
        if error is not None:
            return packets, error
        start = end
    return packets, None


def check_mqtt_input(raw: bytes) -> frozenset[str]:
    """Check the MQTT codec's invariants on one fuzz input.

    1. Decoding raises nothing but :class:`wire.errors.RemoteProtocolError`.
    2. Every decoded packet re-encodes and decodes back to an equal packet, the
       re-encoding is stable, and its JSON view (``wire decode``) loads back.
    3. In reader mode, feeding the bytes whole or split gives the same packets,
       the same error (class and reason code) and the same leftover.

    Returns:
        Features of what the decoder made of the input (each packet's type and
        options, the error's class and message shape, per mode): the built-in
        fuzzer keeps an input that shows a feature no earlier input showed.

    Raises:
        InvariantViolation: invariant 2 or 3 is broken.
        Exception: anything else that escaped the codec (invariant 1).
    """
    fuzz = parse_input(raw)
    if fuzz is None:
        return frozenset()
    version = fuzz.version
    data = fuzz.data
    limit = fuzz.max_packet_size
    error: RemoteProtocolError | None = None
    packets: list[mqtt.Packet] = []
    if not fuzz.reader:
        try:
            result = mqtt.decode(data, version=version, max_packet_size=limit)
        except RemoteProtocolError as exc:
            error = exc
        else:
            if result is not None:
                packet, used = result
                _check(0 < used <= len(data), f"decode() used {used} of {len(data)} bytes")
                _check_round_trip(packet, version)
                packets.append(packet)
    else:
        whole = mqtt.PacketReader(version=version, max_packet_size=limit)
        packets, error = whole.feed_until_error(data)
        split = mqtt.PacketReader(version=version, max_packet_size=limit)
        points = split_points(data, fuzz.stride)
        split_packets, split_error = _feed_split(split, data, points)
        _check(
            split_packets == packets,
            f"split feeding gave {len(split_packets)} packets, whole feeding {len(packets)}"
            + ("" if len(split_packets) != len(packets) else " (different contents)"),
        )
        _check(
            _error_key(split_error) == _error_key(error),
            f"split feeding ended with {split_error!r}, whole feeding with {error!r}",
        )
        if error is None:
            _check(split.buffered == whole.buffered, "split and whole feeding buffer differently")
            _check(split.version == whole.version, "split and whole feeding end on other versions")
        current = version
        for packet in packets:
            if type(packet) is mqtt.Connect:
                current = packet.protocol_level  # the reader switches on CONNECT
            _check_round_trip(packet, current)
    features = {f"{version}{'r' if fuzz.reader else 'd'}{limit}:{_error_signature(error)}"}
    features.update(f"{version}:{_packet_feature(p)}" for p in packets)
    return frozenset(features)


def _packet_feature(packet: mqtt.Packet) -> str:
    """The packet's type and which optional parts it has, as feedback for the fuzzer."""
    names = ("properties", "will", "username", "password", "reason_code", "qos", "dup")
    present = [name for name in names if getattr(packet, name, None)]
    return "/".join([type(packet).__name__, *present])


# ---------------------------------------------------------------------------
# HTTP: the server machine
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HTTPFuzzInput:
    """One HTTP fuzz input, unpacked from its control byte (see :func:`parse_http_input`)."""

    small_limits: bool
    eof: bool
    chunked: bool
    stride: int
    data: bytes

    def describe(self) -> str:
        """A short human description: limits, answers, end and split pattern."""
        limits = "small limits" if self.small_limits else "default limits"
        answers = "chunked answers" if self.chunked else "content-length answers"
        end = "then EOF" if self.eof else "no EOF"
        split = "every byte" if not self.stride else f"pattern {self.stride}"
        return f"HTTP server, {limits}, {answers}, {end}, whole vs split at {split}"


#: Limits of the ``small_limits`` bit: small enough that ordinary seeds trip each.
SMALL_H1_CONFIG = http.H1Config(
    max_request_line=64, max_head_size=256, max_header_count=8, max_body_size=64, read_window=64
)


def parse_http_input(raw: bytes) -> HTTPFuzzInput | None:
    """Unpack an HTTP fuzz input; ``None`` for the empty input.

    Byte 0 is a control byte, the rest what the client sends:

    ======  ==================================================================
    bit 0   small limits (:data:`SMALL_H1_CONFIG`) or the defaults
    bit 1   the client closes its side after the bytes (``receive_eof``)
    bit 2   the harness answers each request chunked (no ``content-length``)
    3-7     split pattern of the split feeding, as for MQTT
    ======  ==================================================================
    """
    if not raw:
        return None
    control = raw[0]
    return HTTPFuzzInput(
        small_limits=bool(control & 0x01),
        eof=bool(control & 0x02),
        chunked=bool(control & 0x04),
        stride=control >> 3,
        data=bytes(raw[1:]),
    )


def make_http_input(
    data: bytes,
    *,
    small_limits: bool = False,
    eof: bool = True,
    chunked: bool = False,
    stride: int = 0,
) -> bytes:
    """Pack ``data`` with a control byte; the inverse of :func:`parse_http_input`."""
    if not 0 <= stride < 32:
        raise ValueError("stride must be in 0..31")
    control = small_limits | (eof << 1) | (chunked << 2) | (stride << 3)
    return bytes((control,)) + data


def _http_event(event: http.Event) -> str:
    """An event as text; its error (compared by identity otherwise) as type, text and code."""
    error = getattr(event, "error", None)
    if error is None:
        return repr(event)
    return f"{event!r} {type(error).__name__}({error}, code={error.code})"


def _http_transcript(
    fuzz: HTTPFuzzInput, points: list[int], *, fast: bool
) -> tuple[list[str], list[http.Event], bytes, str]:
    """Feed a server the input at ``points`` and answer every request.

    Returns:
        Everything that happened (events, bytes, refusals, state) as text, the
        events, the bytes written, and the HTTP version at the end.
    """
    base = SMALL_H1_CONFIG if fuzz.small_limits else http.H1Config()
    conn = http.HTTPConnection(http.Role.SERVER, h1_config=replace(base, fast_path=fast))
    log: list[str] = []
    events: list[http.Event] = []
    written: list[bytes] = []
    methods: dict[int, bytes] = {}
    data = fuzz.data
    steps: list[Callable[[], None]] = [
        functools.partial(conn.receive_data, data[start:end])
        for start, end in zip([0, *points], [*points, len(data)], strict=True)
    ]
    if fuzz.eof:
        steps.append(conn.receive_eof)
    steps.append(lambda: conn.tick(1e9))  # every timer runs out
    fields = () if fuzz.chunked else ((b"content-length", b"2"),)
    for step in steps:
        step()
        while True:
            got = conn.events()
            out = conn.data_to_send()
            log += [_http_event(e) for e in got] + [repr(b) for b in out]
            log.append(f"state {conn.state.value} paused {conn.reading_paused}")
            events += got
            written += out
            if not got:
                break
            for event in got:
                if isinstance(event, http.Request):
                    methods[event.stream_id] = event.method
                elif isinstance(event, http.Data):
                    conn.acknowledge_data(event.stream_id, event.flow_controlled_length or 0)
                elif isinstance(event, http.EndOfMessage) and event.stream_id in methods:
                    stream_id = event.stream_id
                    answer: list[http.Event] = [http.Response(200, fields, stream_id)]
                    if methods.pop(stream_id) != b"HEAD":
                        answer.append(http.Data(stream_id, b"ok"))
                    answer.append(http.EndOfMessage(stream_id))
                    for reply in answer:
                        try:
                            conn.send(reply)
                        except LocalProtocolError as exc:  # e.g. a 200 to CONNECT
                            log.append(f"refused {type(reply).__name__}: {exc}")
    return log, events, b"".join(written), conn.http_version


def _merged_events(events: list[http.Event]) -> list[object]:
    """The events with adjacent Data of one stream joined (reads split bodies).

    An error is compared by class and code: its text may quote the bytes at
    hand, which depend on the split.
    """
    out: list[http.Event] = []
    for event in events:
        last = out[-1] if out else None
        if (
            isinstance(event, http.Data)
            and isinstance(last, http.Data)
            and last.stream_id == event.stream_id
        ):
            out[-1] = http.Data(event.stream_id, last.data + event.data)
        else:
            out.append(event)
    return [
        (replace(e, message="", error=None), _error_key(e.error))
        if isinstance(e, http.ConnectionClosed) and e.error is not None
        else e
        for e in out
    ]


#: Requests after which what follows depends on timing: the response to one
#: that ends keep-alive may close the connection before later bytes arrive.
_ENDS_KEEP_ALIVE = re.compile(rb"close|http/1\.0", re.IGNORECASE)


def check_http_input(raw: bytes) -> frozenset[str]:
    """Check the HTTP server machine's invariants on one fuzz input.

    A server (:class:`wire.http.HTTPConnection`) is fed the bytes; a harness
    answers each complete request (200 with ``ok``) and acknowledges bodies.

    1. ``receive_data``, ``receive_eof``, ``tick``, ``events`` and
       ``data_to_send`` raise nothing (``send`` only
       :class:`~wire.errors.LocalProtocolError`, which the harness notes).
    2. The strict HTTP/1.1 fast path changes nothing: a server without it
       (``fast_path=False``) does and writes exactly the same, fed the same
       way.
    3. Fed whole or split, the server reports the same events (bodies joined,
       errors by class and code) and writes the same bytes. Skipped where
       what follows a request depends on when its response went out: after a
       request that ends keep-alive (``close``, HTTP/1.0), and over HTTP/2
       (which answers while later bytes are still to come; HTTP/1.1 reads a
       pipelined request only after the response to the one before).
    4. At most one ``ConnectionClosed``, the last event; nothing is written
       after ``b""``; an HTTP/1.1 server that reports an error status wrote a
       response with that status.

    Returns:
        Features of what happened (event kinds in order, error shapes), as
        feedback for the built-in fuzzer.

    Raises:
        InvariantViolation: invariant 2, 3 or 4 is broken.
        Exception: anything else that escaped the machine (invariant 1).
    """
    fuzz = parse_http_input(raw)
    if fuzz is None:
        return frozenset()
    points = split_points(fuzz.data, fuzz.stride)
    log, events, written, version = _http_transcript(fuzz, points, fast=True)
    slow_log, _, _, _ = _http_transcript(fuzz, points, fast=False)
    for index, (ours, theirs) in enumerate(zip(log, slow_log, strict=False)):
        _check(ours == theirs, f"the fast path differs at step {index}: {ours} != {theirs}")
    _check(len(log) == len(slow_log), "the fast path and h11 take a different number of steps")
    if version == "1.1" and not _ENDS_KEEP_ALIVE.search(fuzz.data):
        _, whole_events, whole_written, _ = _http_transcript(fuzz, [], fast=True)
        _check(
            _merged_events(whole_events) == _merged_events(events),
            "split feeding gave other events than whole feeding",
        )
        _check(whole_written == written, "split feeding wrote other bytes than whole feeding")
    closes = [i for i, e in enumerate(events) if isinstance(e, http.ConnectionClosed)]
    _check(len(closes) <= 1, f"{len(closes)} ConnectionClosed events")
    if closes:
        _check(closes[0] == len(events) - 1, "events after ConnectionClosed")
        final = events[-1]
        assert isinstance(final, http.ConnectionClosed)
        if final.error_code is not None and isinstance(final.error, http.H1RemoteError):
            status = b"HTTP/1.1 %d " % final.error_code
            _check(status in written, f"reported {final.error_code} without answering it")
    features = {
        f"{'s' if fuzz.small_limits else 'd'}:{_error_signature(getattr(e, 'error', None))}"
        for e in events
        if isinstance(e, http.ConnectionClosed)
    }
    kinds = [type(e).__name__ for e in events]
    features.update(f"{a}>{b}" for a, b in itertools.pairwise(kinds))
    features.update(f"refused:{_NOISE.sub('#', line)}" for line in log if line.startswith("ref"))
    return frozenset(features)


def _http_edge_cases() -> list[bytes]:
    """Plain, unusual and broken requests (RFC 9112 sections 2 to 11)."""
    get = b"GET / HTTP/1.1\r\nHost: h\r\n\r\n"
    post = b"POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
    chunked = b"POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
    browser = (
        b"GET /index.html?q=1 HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: fuzz/1.0\r\n"
        b"Accept: text/html,*/*;q=0.8\r\nAccept-Encoding: gzip, br\r\nCookie: a=1; b=2\r\n"
        b"Connection: keep-alive\r\n\r\n"
    )
    return [
        b"",
        get,
        get * 3,
        browser,
        post,
        post + get + post,
        chunked + b"5\r\nhello\r\n0\r\n\r\n",
        chunked + b"5;ext=1\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n" + get,
        chunked + b"zz\r\n",
        b"PUT /e HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok",
        b"HEAD / HTTP/1.1\r\nHost: h\r\n\r\n" + get,
        b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
        b"GET / HTTP/1.0\r\n\r\n",
        b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
        b"GET http://other.example/x HTTP/1.1\r\nHost: h\r\n\r\n",
        b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\nTLS",
        b"GET /ws HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\nxx",
        b"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
        b"HTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n" + http.H2_PREFACE,
        http.H2_PREFACE + bytes.fromhex("000000040000000000"),
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +1\r\n\r\nx",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        b"GET / HTTP/1.1\nHost: h\n\n",
        b"GET / HTTP/1.1\r\nHost: h\rX: 1\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: h\r\nX: 1\r\n folded\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost : h\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        b"GET / HTTP/1.1\r\n\r\n",
        b"GET / HTTP/2.0\r\nHost: h\r\n\r\n",
        b"\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
        b"GET /" + b"a" * 100 + b" HTTP/1.1\r\nHost: h\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: h\r\n" + b"X-A: 1\r\n" * 12 + b"\r\n",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n" + b"x" * 100,
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # a TLS ClientHello, in clear
    ]


def build_http_seeds() -> SeedCorpus:
    """The seed corpus of the ``http`` target: each edge case in a few control variants."""
    seeds = SeedCorpus()
    cases = _http_edge_cases()
    seeds.edge_cases = len(cases)
    inputs: list[bytes] = []
    for data in cases:
        inputs += [
            make_http_input(data),
            make_http_input(data, eof=False, stride=5),
            make_http_input(data, small_limits=True, chunked=True, stride=3),
        ]
    seeds.inputs = [raw for raw in dict.fromkeys(inputs) if len(raw) <= MAX_INPUT_LEN]
    return seeds


#: Byte strings the built-in fuzzer inserts into HTTP inputs.
_HTTP_TOKENS = (
    b"\r\n",
    b"\n",
    b"\r",
    b" ",
    b"\t",
    b":",
    b",",
    b"0",
    b"\x00",
    b"\r\n\r\n",
    b"chunked",
    b"close",
    b"HTTP/1.1",
    b"HTTP/1.0",
    b"Host: h\r\n",
    b"Content-Length: 5\r\n",
    b"Transfer-Encoding: chunked\r\n",
    b"Connection: close\r\n",
    b"Expect: 100-continue\r\n",
    b"Upgrade: h2c\r\n",
    b"GET / HTTP/1.1\r\nHost: h\r\n\r\n",
    b"5\r\nhello\r\n0\r\n\r\n",
)


# ---------------------------------------------------------------------------
# Seeds
# ---------------------------------------------------------------------------


def _fixed_packets() -> dict[int, list[mqtt.Packet]]:
    """A few valid packets of every type, for when there are no test vectors."""
    props = mqtt.Properties.build
    common: list[mqtt.Packet] = [
        mqtt.Publish("sensors/t1", b"21.5"),
        mqtt.Publish("a/b", b"x" * 40, qos=1, packet_id=1, retain=True),
        mqtt.Publish("a/b/c", b"", qos=2, packet_id=0xFFFF, dup=True),
        mqtt.Puback(7),
        mqtt.Pubrec(8),
        mqtt.Pubrel(9),
        mqtt.Pubcomp(10),
        mqtt.Subscribe(11, (mqtt.Subscription("a/+/c", qos=1), mqtt.Subscription("#", qos=2))),
        mqtt.Unsubscribe(12, ("a/+/c", "#")),
        mqtt.Pingreq(),
        mqtt.Pingresp(),
    ]
    v4: list[mqtt.Packet] = [
        mqtt.Connect("client-4", keep_alive=30, username="u", password=b"p", protocol_level=4),
        mqtt.Connect("w", will=mqtt.Will("will/t", b"bye", qos=1, retain=True), protocol_level=4),
        mqtt.Connack(True, mqtt.ConnectReturnCode(0)),
        mqtt.Connack(False, mqtt.ConnectReturnCode(5)),
        mqtt.Suback(11, (0, 1, 2, 0x80)),
        mqtt.Unsuback(12),
        mqtt.Disconnect(),
        *common,
    ]
    v5: list[mqtt.Packet] = [
        mqtt.Connect(
            "client-5",
            username="u",
            password=b"p",
            will=mqtt.Will("will/t", b"bye", 1, True, props(will_delay_interval=5)),
            properties=props(session_expiry_interval=60, receive_maximum=10),
        ),
        mqtt.Connack(
            reason_code=mqtt.ReasonCode.SUCCESS,
            properties=props(assigned_client_identifier="id", topic_alias_maximum=5),
        ),
        mqtt.Publish(
            "",
            b"{}",
            qos=1,
            packet_id=3,
            properties=props(
                topic_alias=1,
                payload_format_indicator=1,
                content_type="application/json",
                user_property=[("k", "v")],
                subscription_identifier=[1, 300],
            ),
        ),
        mqtt.Puback(7, mqtt.ReasonCode.NO_MATCHING_SUBSCRIBERS, props(reason_string="none")),
        mqtt.Pubrel(9, mqtt.ReasonCode.PACKET_IDENTIFIER_NOT_FOUND),
        mqtt.Subscribe(
            13,
            (
                mqtt.Subscription(
                    "s/#", 1, no_local=True, retain_as_published=True, retain_handling=2
                ),
            ),
            props(subscription_identifier=[7]),
        ),
        mqtt.Suback(13, (1, 0x87), props(reason_string="partly")),
        mqtt.Unsuback(12, (0, 0x11)),
        mqtt.Disconnect(mqtt.ReasonCode.SERVER_SHUTTING_DOWN, props(session_expiry_interval=0)),
        mqtt.Auth(mqtt.ReasonCode.CONTINUE_AUTHENTICATION, props(authentication_method="SCRAM")),
        *common,
    ]
    return {4: v4, 5: v5}


def _edge_cases() -> list[tuple[int, bytes]]:
    """Hand-picked malformed and borderline byte strings, as ``(version, bytes)``."""
    h = bytes.fromhex
    both = [
        b"",
        h("00"),  # reserved type 0 alone
        h("00ff01"),  # reserved type 0 with a length
        h("f0"),  # one byte of type 15
        h("3080"),  # remaining length cut inside its VBI
        h("308000"),  # non-minimal remaining length [MQTT-1.5.5-1]
        h("30ffffffff7f"),  # remaining length longer than 4 bytes
        h("30ffffff7f"),  # the largest remaining length the protocol allows
        h("3000"),  # PUBLISH without a topic
        h("300100"),  # topic length cut
        h("30030001"),  # topic shorter than its length
        h("3006000161006869"),  # the README example
        h("3601000161"),  # PUBLISH QoS 3
        h("38050001610001"),  # DUP with QoS 0
        h("3203000161"),  # QoS 1 without a packet id
        h("320500016100 00".replace(" ", "")),  # packet id 0
        h("3005000161ff"),  # 3.1.1: payload; 5.0: property length cut
        h("300400012b78"),  # wildcard in a topic name
        h("30040002eda080"),  # an encoded surrogate in the topic
        h("3004000200 00".replace(" ", "")),  # U+0000 in the topic
        h("4002"),  # PUBACK cut
        h("40020000"),  # PUBACK packet id 0
        h("6002 0001".replace(" ", "")),  # PUBREL with reserved flags 0
        h("62020001"),  # PUBREL
        h("820400010000"),  # SUBSCRIBE with an empty filter
        h("820200 01".replace(" ", "")),  # SUBSCRIBE with no filter
        h("8206000100016103"),  # subscription QoS 3
        h("82060001000161c0"),  # reserved subscription option bits
        h("a2020001"),  # UNSUBSCRIBE with no filter
        h("c001 00".replace(" ", "")),  # PINGREQ with a body
        h("d000"),
        h("e000"),
        h("e0018e"),  # DISCONNECT with a reason code
        h("f000"),  # AUTH
        h("100c00044d5154540302003c0000"),  # CONNECT level 3
        h("100c00044d5154540501003c0000"),  # CONNECT reserved flag set
        h("100c00044d51545404d8003c0000"),  # Will QoS 3
        h("100c00044d5154540440003c0000"),  # password without user name
        h("100c00044d5154580400003c0000"),  # protocol name MQTX
        h("10020004"),  # CONNECT cut in the protocol name
        h("200200 00".replace(" ", "")),  # CONNACK
        h("20020105"),  # CONNACK session present with an error
        h("c000" * 8),  # a stream of PINGREQs
        h("c000c0"),  # a PINGREQ then a cut one
    ]
    v5_only = [
        h("30080001610002 0101".replace(" ", "")),  # payload format indicator 1 (valid)
        h("300700016102 0100".replace(" ", "")),  # property length past the packet
        h("3008000161 03 0101 0101".replace(" ", "")),  # a property repeated
        h("3006000161 02 0000".replace(" ", "")),  # unknown property 0x00
        h("3006000161 02 0b00".replace(" ", "")),  # subscription identifier 0
        h("3007000161 03 0b8000".replace(" ", "")),  # non-minimal VBI property
        h("3006000161 02 2300".replace(" ", "")),  # topic alias cut
        h("3006 0000 03 230001".replace(" ", "")),  # empty topic with an alias (valid)
        h("3003 0000 00".replace(" ", "")),  # empty topic without an alias
        h("3009000161 05 26 0001 6100".replace(" ", "")),  # user property cut
        h("300d000161 09 11 00000000 21 0001".replace(" ", "")),  # properties not for PUBLISH
        h("40030001ff"),  # PUBACK with an invalid reason code
        h("400400011000"),  # PUBACK reason code and empty properties
        h("8206000100 00016130".replace(" ", "")),  # retain handling 3
        h("b0030001 00".replace(" ", "")),  # UNSUBACK with no reason code
        h("e002 8100".replace(" ", "")),  # DISCONNECT malformed-packet reason
        h("f002 1800".replace(" ", "")),  # AUTH continue
        h("100d00044d5154540502003c0000 00".replace(" ", "")),  # 5.0 CONNECT, properties cut
    ]
    return [(v, data) for data in both for v in (4, 5)] + [(5, data) for data in v5_only]


@dataclass(slots=True)
class SeedCorpus:
    """The seeds of a campaign and where they came from."""

    inputs: list[bytes] = field(default_factory=list)
    vector_files: int = 0
    vectors: int = 0
    fixed_packets: int = 0
    edge_cases: int = 0
    notes: list[str] = field(default_factory=list)


_REPEAT = re.compile(r"<([0-9a-fA-F]+)\*(\d+)>")


def _vector_bytes(text: str) -> bytes:
    """Hex of a vector; ``<61*200>`` stands for the byte 0x61 repeated 200 times."""

    def expand(match: re.Match[str]) -> str:
        unit, count = match.group(1), int(match.group(2))
        if len(unit) * count > 2 * MAX_INPUT_LEN:
            raise ValueError("longer than a fuzz input")
        return unit * count

    return bytes.fromhex(_REPEAT.sub(expand, "".join(text.split())))


def _load_vectors(directory: Path, seeds: SeedCorpus) -> list[tuple[int, bytes]]:
    found: list[tuple[int, bytes]] = []
    for path in sorted(directory.glob("*.json")):
        try:
            entries = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            # Vector files may be half-written while another process updates them.
            seeds.notes.append(f"skipped {path.name}: {exc}")
            continue
        if not isinstance(entries, list):
            seeds.notes.append(f"skipped {path.name}: not a list of vectors")
            continue
        seeds.vector_files += 1
        skipped = 0
        for entry in entries:
            try:
                version = entry["version"]
                data = _vector_bytes(entry["hex"])
            except (TypeError, KeyError, AttributeError, ValueError):
                skipped += 1
                continue
            if version not in (4, 5):
                skipped += 1
                continue
            found.append((version, data))
        if skipped:
            seeds.notes.append(
                f"{path.name}: skipped {skipped} entries (no hex/version, or over "
                f"{MAX_INPUT_LEN} bytes)"
            )
    return found


def _variants(version: int, data: bytes) -> list[bytes]:
    return [
        make_input(data, version=version),
        make_input(data, version=version, reader=True),
        make_input(data, version=version, reader=True, stride=5),
    ]


def build_seeds(vectors_dir: Path | str | None = None) -> SeedCorpus:
    """Build the seed corpus.

    Args:
        vectors_dir: Folder of ``*.json`` test vectors (lists of objects with
            ``"hex"`` and ``"version"``); ``spec/mqtt/vectors`` by default. When it
            is missing or holds no usable vector, a few fixed packets of every type
            are encoded instead.
    """
    seeds = SeedCorpus()
    directory = DEFAULT_VECTORS_DIR if vectors_dir is None else Path(vectors_dir)
    pairs: list[tuple[int, bytes]] = []
    if directory.is_dir():
        pairs = _load_vectors(directory, seeds)
        seeds.vectors = len(pairs)
    else:
        seeds.notes.append(f"no test vectors at {directory}")
    streams: dict[int, list[bytes]] = {4: [], 5: []}
    if not pairs:
        for version, packets in _fixed_packets().items():
            for packet in packets:
                encoded = mqtt.encode(packet, version=version)
                pairs.append((version, encoded))
                streams[version].append(encoded)
                seeds.fixed_packets += 1
    edge = _edge_cases()
    seeds.edge_cases = len(edge)
    inputs: list[bytes] = []
    for version, data in [*pairs, *edge]:
        inputs += _variants(version, data)
    for version, data in [*pairs[:32], *edge]:
        # The same bytes against a small max_packet_size, decoded once and split everywhere.
        inputs.append(make_input(data, version=version, small_limit=True))
        inputs.append(make_input(data, version=version, reader=True, small_limit=True))
    for version, parts in streams.items():
        if parts:  # a whole session in one stream, for the reader
            inputs.append(make_input(b"".join(parts), version=version, reader=True, stride=7))
    seeds.inputs = [raw for raw in dict.fromkeys(inputs) if len(raw) <= MAX_INPUT_LEN]
    return seeds


# ---------------------------------------------------------------------------
# Crashes
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class Crash:
    """A crashing input and what it did."""

    data: bytes
    description: str
    key: str
    path: Path | None = None
    hits: int = 1
    earlier: bool = False


def _crash_key(exc: BaseException) -> str:
    """Group crashes: the invariant broken, or the exception type and where it was raised."""
    if isinstance(exc, InvariantViolation):
        return "InvariantViolation:" + _NOISE.sub("#", str(exc).split(":")[0])
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
    return f"{type(exc).__name__}@{where}"


def _describe(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    text = str(exc)
    if len(text) > 300:
        text = text[:300] + "..."
    return f"{type(exc).__name__}{where}: {text}"


def _run_one(
    check: Callable[[bytes], frozenset[str]], raw: bytes
) -> tuple[frozenset[str] | None, BaseException | None]:
    try:
        return check(raw), None
    except Exception as exc:  # everything the codec let escape is a finding
        return None, exc


def _minimize(
    check: Callable[[bytes], frozenset[str]], raw: bytes, key: str, budget: float
) -> bytes:
    """Shrink a crashing input while it crashes the same way (greedy chunk removal)."""
    deadline = time.perf_counter() + budget
    best = raw
    size = max(1, (len(best) - 1) // 2)
    while size >= 1 and time.perf_counter() < deadline:
        start = 1  # keep the control byte
        progress = False
        while start < len(best) and time.perf_counter() < deadline:
            cut = best[:start] + best[start + size :]
            for candidate in (cut, _with_fixed_length(cut)):
                _, exc = _run_one(check, candidate)
                if exc is not None and _crash_key(exc) == key:
                    best = candidate
                    progress = True
                    break
            else:
                start += size
        if not progress:
            size //= 2
    return best


def _length_span(data: bytes | bytearray) -> tuple[int, int] | None:
    """Offsets of the first packet's Remaining Length field in a fuzz input."""
    if len(data) < 3:
        return None
    end = 2
    while end < len(data) and end < 5 and data[end] & 0x80:
        end += 1
    return 2, min(end + 1, len(data))


def _with_fixed_length(raw: bytes) -> bytes:
    """``raw`` with its first packet's Remaining Length matching the bytes after it."""
    span = _length_span(raw)
    if span is None:
        return raw
    start, end = span
    return raw[:start] + mqtt.encode_vbi(min(len(raw) - end, 268_435_455)) + raw[end:]


def _save(directory: Path, prefix: str, raw: bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{prefix}{hashlib.sha1(raw).hexdigest()}"
    if not path.exists():
        path.write_bytes(raw)
    return path


def _artifacts(directory: Path) -> set[Path]:
    if not directory.is_dir():
        return set()
    return {p for p in directory.iterdir() if p.name.startswith(_ARTIFACT_PREFIXES)}


def _replay_artifact(path: Path, target: str = "mqtt") -> Crash | None:
    """Re-run a crash file in this process; ``None`` if it no longer fails."""
    raw = path.read_bytes()
    _, exc = _run_one(_TARGETS[target][0], raw)
    if exc is None:
        if path.name.startswith("crash-"):
            return None
        # Timeouts and out-of-memory do not reproduce as exceptions: keep reporting them.
        kind = path.name.split("-")[0]
        return Crash(raw, f"libFuzzer {kind} (replays without an exception here)", kind, path)
    return Crash(raw, _describe(exc), _crash_key(exc), path)


# ---------------------------------------------------------------------------
# The built-in mutation fuzzer
# ---------------------------------------------------------------------------

_INTERESTING_8 = (0x00, 0x01, 0x02, 0x03, 0x7F, 0x80, 0x81, 0xC0, 0xFE, 0xFF)
_INTERESTING_16 = (0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x3FFF, 0x7FFF, 0x8000, 0xFFFE, 0xFFFF)


class _Mutator:
    """Byte-level mutations that know where MQTT keeps its lengths.

    Given ``tokens`` (the HTTP target), the MQTT length tweaks give way to
    inserting and overwriting with those byte strings.
    """

    def __init__(
        self, rng: random.Random, corpus: list[bytes], tokens: tuple[bytes, ...] | None = None
    ) -> None:
        self.rng = rng
        self.corpus = corpus
        self.tokens = tokens
        if tokens is not None:
            self.operations: list[Callable[[bytearray], None]] = [
                self.flip_bit,
                self.set_byte,
                self.insert_bytes,
                self.delete_bytes,
                self.duplicate_range,
                self.splice,
                self.insert_token,
                self.insert_token,
                self.insert_token,
                self.set_control,
            ]
            return
        self.operations = [
            self.flip_bit,
            self.flip_bit,
            self.set_byte,
            self.set_byte,
            self.insert_bytes,
            self.delete_bytes,
            self.duplicate_range,
            self.splice,
            self.splice,
            self.tweak_remaining_length,
            self.tweak_remaining_length,
            self.fix_remaining_length,
            self.tweak_u16,
            self.tweak_u16,
            self.set_control,
            self.set_packet_type,
        ]

    def mutate(self, raw: bytes) -> bytes:
        data = bytearray(raw or b"\x00")
        for _ in range(self.rng.choice((1, 1, 1, 2, 2, 3, 4, 6))):
            self.rng.choice(self.operations)(data)
        if self.tokens is None and self.rng.random() < 0.2:
            self.fix_remaining_length(data)
        return bytes(data[:MAX_INPUT_LEN])

    def insert_token(self, data: bytearray) -> None:
        """Insert one of the tokens, or write it over the bytes where it lands."""
        assert self.tokens is not None
        token = self.rng.choice(self.tokens)
        pos = self.rng.randrange(1, len(data) + 1)
        end = pos + len(token) if self.rng.random() < 0.3 else pos
        data[pos:end] = token

    def _position(self, data: bytearray) -> int:
        """A position in the body (after the control byte), or 0 if there is none."""
        return self.rng.randrange(1, len(data)) if len(data) > 1 else 0

    def flip_bit(self, data: bytearray) -> None:
        pos = self._position(data)
        data[pos] ^= 1 << self.rng.randrange(8)

    def set_byte(self, data: bytearray) -> None:
        pos = self._position(data)
        rng = self.rng
        data[pos] = rng.choice(_INTERESTING_8) if rng.random() < 0.5 else rng.randrange(256)

    def insert_bytes(self, data: bytearray) -> None:
        pos = self.rng.randrange(1, len(data) + 1)
        count = self.rng.choice((1, 1, 2, 4, 16))
        fill = self.rng.choice((None, *_INTERESTING_8))
        new = bytes(self.rng.randrange(256) if fill is None else fill for _ in range(count))
        data[pos:pos] = new

    def delete_bytes(self, data: bytearray) -> None:
        if len(data) > 1:
            pos = self._position(data)
            del data[pos : pos + self.rng.choice((1, 1, 2, 4, 16))]

    def duplicate_range(self, data: bytearray) -> None:
        if len(data) > 1:
            start = self._position(data)
            chunk = data[start : start + self.rng.randrange(1, 64)]
            pos = self.rng.randrange(1, len(data) + 1)
            data[pos:pos] = chunk

    def splice(self, data: bytearray) -> None:
        """Join with another input: append it (a second packet) or cross over."""
        other = self.rng.choice(self.corpus)[1:]
        if self.rng.random() < 0.5:
            data += other
        else:
            cut = self.rng.randrange(1, len(data) + 1)
            data[cut:] = other[self.rng.randrange(len(other) + 1) :]

    def tweak_remaining_length(self, data: bytearray) -> None:
        span = _length_span(data)
        if span is None:
            return
        start, end = span
        value = 0
        for shift, byte in enumerate(data[start:end]):
            value |= (byte & 0x7F) << (7 * shift)
        value = max(
            0,
            self.rng.choice(
                (value + 1, value - 1, value + self.rng.randrange(1, 300), 0, 0x7F, 0x80, 0x3FFF)
            ),
        )
        new = bytearray(mqtt.encode_vbi(min(value, 268_435_455)))
        if self.rng.random() < 0.1:
            new[-1] |= 0x80  # an unterminated length
            new.append(0)  # or a non-minimal one
        data[start:end] = new

    def fix_remaining_length(self, data: bytearray) -> None:
        """Make the first packet's Remaining Length match the bytes after it."""
        data[:] = _with_fixed_length(bytes(data))

    def tweak_u16(self, data: bytearray) -> None:
        """Change a two-byte length or identifier somewhere in the body."""
        if len(data) < 4:
            return
        pos = self.rng.randrange(1, len(data) - 1)
        value = (data[pos] << 8) | data[pos + 1]
        rng = self.rng
        choice = rng.randrange(4)
        if choice == 0:
            value = rng.choice(_INTERESTING_16)
        elif choice == 1:
            value = (value + rng.choice((1, -1, 2, -2))) & 0xFFFF
        else:
            value = min(0xFFFF, max(0, len(data) - pos - 2 - rng.randrange(0, 3)))
        data[pos : pos + 2] = value.to_bytes(2, "big")

    def set_control(self, data: bytearray) -> None:
        """Switch version, mode, limit or split pattern (see the module docstring)."""
        choice = self.rng.randrange(4)
        if choice < 2:
            data[0] ^= 1 << self.rng.randrange(3)
        elif choice == 2:
            data[0] &= 0x07  # split after every byte
        else:
            data[0] = self.rng.randrange(256)

    def set_packet_type(self, data: bytearray) -> None:
        if len(data) > 1:
            if self.rng.random() < 0.5:
                data[1] = (self.rng.randrange(16) << 4) | (data[1] & 0x0F)
            else:
                data[1] = (data[1] & 0xF0) | self.rng.randrange(16)


#: Per target: the checker, the mutator's tokens, and an input to start from
#: when every seed crashed.
_TARGETS: dict[str, tuple[Callable[[bytes], frozenset[str]], tuple[bytes, ...] | None, bytes]] = {
    "mqtt": (check_mqtt_input, None, make_input(b"\xc0\x00", version=5)),
    "http": (check_http_input, _HTTP_TOKENS, make_http_input(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")),
}


@dataclass(slots=True)
class _BuiltinResult:
    executed: int = 0
    corpus_size: int = 0
    new_inputs: list[bytes] = field(default_factory=list)
    crashes: dict[str, Crash] = field(default_factory=dict)


def _fuzz_builtin(
    seeds: list[bytes],
    *,
    seconds: float,
    seed: int,
    corpus_dir: Path | None,
    target: str = "mqtt",
) -> _BuiltinResult:
    """Run the seeds, then mutate the corpus until ``seconds`` have passed."""
    check, tokens, fallback = _TARGETS[target]
    started = time.perf_counter()
    deadline = started + seconds
    rng = random.Random(seed)
    result = _BuiltinResult()
    corpus: list[bytes] = []
    features: set[str] = set()

    def run(raw: bytes) -> None:
        result.executed += 1
        found, exc = _run_one(check, raw)
        if exc is not None:
            key = _crash_key(exc)
            known = result.crashes.get(key)
            if known is not None:
                known.hits += 1
                if len(raw) < len(known.data):
                    known.data = raw
                return
            small = _minimize(check, raw, key, budget=min(2.0, max(0.2, seconds / 10)))
            _, small_exc = _run_one(check, small)
            result.crashes[key] = Crash(small, _describe(small_exc or exc), key)
        elif found is not None and not found <= features and len(corpus) < _MAX_CORPUS:
            features.update(found)
            corpus.append(raw)
            if corpus_dir is not None and len(result.new_inputs) < _MAX_CORPUS:
                result.new_inputs.append(raw)

    for raw in seeds:
        run(raw)
    if not corpus:
        corpus.append(fallback)
    mutator = _Mutator(rng, corpus, tokens)
    while time.perf_counter() < deadline:
        for _ in range(32):
            run(mutator.mutate(rng.choice(corpus)))
    result.corpus_size = len(corpus)
    if corpus_dir is not None:
        for raw in result.new_inputs:
            _save(corpus_dir, "", raw)
    return result


def _builtin_job(args: tuple[list[bytes], float, int, str | None, str]) -> _BuiltinResult:
    seeds, seconds, seed, corpus_dir, target = args
    return _fuzz_builtin(
        seeds,
        seconds=seconds,
        seed=seed,
        corpus_dir=None if corpus_dir is None else Path(corpus_dir),
        target=target,
    )


def _run_builtin_jobs(
    seeds: list[bytes],
    *,
    seconds: float,
    jobs: int,
    seed: int,
    corpus_dir: Path,
    target: str = "mqtt",
) -> _BuiltinResult:
    if jobs <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return _fuzz_builtin(
            seeds, seconds=seconds, seed=seed, corpus_dir=corpus_dir, target=target
        )
    context = multiprocessing.get_context("fork")
    work = [(seeds, seconds, seed + job, str(corpus_dir), target) for job in range(jobs)]
    merged = _BuiltinResult()
    with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=context) as pool:
        for part in pool.map(_builtin_job, work):
            merged.executed += part.executed
            merged.corpus_size = max(merged.corpus_size, part.corpus_size)
            for key, crash in part.crashes.items():
                known = merged.crashes.get(key)
                if known is None:
                    merged.crashes[key] = crash
                else:
                    known.hits += crash.hits
    return merged


# ---------------------------------------------------------------------------
# The atheris engine
# ---------------------------------------------------------------------------


def _atheris_available() -> bool:
    try:
        import atheris  # noqa: F401
    except ImportError:
        return False
    return True


_EXECUTED_PATTERNS = (
    re.compile(r"stat::number_of_executed_units:\s*(\d+)"),
    re.compile(r"Done (\d+) runs in"),
)
_PROGRESS = re.compile(r"^#(\d+)", re.MULTILINE)


def _executed_from_log(text: str) -> int:
    for pattern in _EXECUTED_PATTERNS:
        counts = [int(n) for n in pattern.findall(text)]
        if counts:
            return sum(counts)
    progress = [int(n) for n in _PROGRESS.findall(text)]
    return max(progress, default=0)


def _run_atheris(
    script: Path, *, seconds: float, jobs: int, corpus_dir: Path, crashes_dir: Path, log: Path
) -> tuple[int, int]:
    """Run the atheris target; ``(executed inputs, exit status)``."""
    budget = max(1, math.ceil(seconds))
    command = [
        sys.executable,
        str(script),
        f"-max_total_time={budget}",
        f"-artifact_prefix={crashes_dir}/",
        f"-max_len={MAX_INPUT_LEN}",
        "-timeout=10",
        "-rss_limit_mb=2048",
        "-print_final_stats=1",
    ]
    if jobs > 1:
        # Fork mode runs the jobs in parallel and keeps going after a crash.
        command += [f"-fork={jobs}", "-ignore_crashes=1"]
    command.append(str(corpus_dir))
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
        try:
            status = process.wait(timeout=budget + 120)
        except subprocess.TimeoutExpired:
            process.kill()
            status = process.wait()
    return _executed_from_log(log.read_text(encoding="utf-8", errors="replace")), status


# ---------------------------------------------------------------------------
# The campaign
# ---------------------------------------------------------------------------


def _report_crash(
    out: TextIO, number: int, crash: Crash, script: Path, target: str = "mqtt"
) -> None:
    fuzz = parse_input(crash.data) if target == "mqtt" else parse_http_input(crash.data)
    origin = " (from an earlier campaign)" if crash.earlier else ""
    hits = f", hit {crash.hits} times" if crash.hits > 1 else ""
    out.write(f"\nCRASH {number}{origin}{hits}: {crash.description}\n")
    if crash.path is not None:
        out.write(f"  input file: {crash.path}\n")
    if fuzz is None:
        out.write("  input: empty\n")
        return
    payload = fuzz.data.hex() or "''"
    out.write(f"  input:      {fuzz.describe()}, {len(fuzz.data)} bytes\n")
    out.write(f"  hex:        {payload}\n")
    if isinstance(fuzz, FuzzInput):
        out.write(f"  reproduce:  wire decode mqtt --version {fuzz.version} {payload}\n")
    else:
        out.write(f"  text:       {fuzz.data[:200]!r}\n")
    if crash.path is not None:
        replay = shlex.join([Path(sys.executable).name, str(script), str(crash.path)])
        out.write(f"  exact:      {replay}\n")


def run_campaign(
    target: str,
    *,
    seconds: float,
    workdir: str,
    jobs: int = 1,
    out: TextIO,
    engine: Engine = "auto",
    seed: int | None = None,
    vectors_dir: Path | str | None = None,
) -> int:
    """Run a fuzzing campaign against ``target`` and report to ``out``.

    Args:
        target: What to fuzz: ``"mqtt"`` (the MQTT decoder) or ``"http"`` (the
            HTTP server machine).
        seconds: Time budget for fuzzing (seed building and reporting come on top).
        workdir: Where ``corpus/`` (seeds and interesting inputs), ``crashes/``
            (crashing inputs), ``atheris.log`` and ``summary.json`` go.
        jobs: Parallel fuzzing processes.
        out: Where the report goes.
        engine: ``"auto"`` picks atheris when it is installed and the target
            script is present, and the built-in fuzzer otherwise.
        seed: Random seed of the built-in fuzzer; random when ``None``.
        vectors_dir: MQTT test vectors for the seeds; ``spec/mqtt/vectors`` by default.

    Returns:
        0 if no input crashed, 1 if one did (the report has the reproducers).
    """
    if target not in ATHERIS_TARGETS:
        raise LocalProtocolError(f"no fuzz target {target!r}; known: {', '.join(ATHERIS_TARGETS)}")
    if seconds < 0 or jobs < 1:
        raise LocalProtocolError("seconds must be >= 0 and jobs >= 1")
    work = Path(workdir)
    corpus_dir = work / "corpus"
    crashes_dir = work / "crashes"
    corpus_dir.mkdir(parents=True, exist_ok=True)
    crashes_dir.mkdir(parents=True, exist_ok=True)
    script = ATHERIS_TARGETS[target]

    chosen: Engine = engine
    reason = ""
    if engine == "auto":
        if not _atheris_available():
            chosen, reason = "builtin", "atheris is not installed"
        elif not script.is_file():
            chosen, reason = "builtin", f"{script} is missing"
        else:
            chosen = "atheris"
    elif engine == "atheris" and not _atheris_available():
        raise LocalProtocolError("atheris is not installed: pip install -e '.[fuzz]'")

    seeds = build_seeds(vectors_dir) if target == "mqtt" else build_http_seeds()
    for raw in seeds.inputs:
        _save(corpus_dir, "", raw)
    earlier_corpus = [p.read_bytes() for p in sorted(corpus_dir.iterdir()) if p.is_file()]
    out.write(
        f"wire fuzz {target}: engine {chosen}{f' ({reason})' if reason else ''}, "
        f"{seconds:g} s, {jobs} job{'s' if jobs > 1 else ''}, workdir {work}\n"
    )
    if seeds.vectors:
        source = f"{seeds.vectors} test vectors from {seeds.vector_files} files and "
    elif seeds.fixed_packets:
        source = f"{seeds.fixed_packets} fixed packets and "
    else:
        source = ""
    out.write(
        f"seeds: {len(seeds.inputs)} inputs from {source}{seeds.edge_cases} edge cases; "
        f"corpus {len(earlier_corpus)} inputs\n"
    )
    for note in seeds.notes:
        out.write(f"  note: {note}\n")

    # Crash files from earlier campaigns: report those that still crash.
    before = _artifacts(crashes_dir)
    crashes: list[Crash] = []
    fixed = 0
    for path in sorted(before):
        crash = _replay_artifact(path, target)
        if crash is None:
            fixed += 1
        else:
            crash.earlier = True
            crashes.append(crash)
    if before:
        out.write(
            f"earlier crash files: {len(before)}, still crashing {len(crashes)}, "
            f"no longer crashing {fixed}\n"
        )

    started = time.perf_counter()
    if chosen == "atheris":
        executed, status = _run_atheris(
            script,
            seconds=seconds,
            jobs=jobs,
            corpus_dir=corpus_dir,
            crashes_dir=crashes_dir,
            log=work / "atheris.log",
        )
        new_files = sorted(_artifacts(crashes_dir) - before)
        for path in new_files:
            crash = _replay_artifact(path, target) or Crash(
                path.read_bytes(), "crashed under atheris, not when replayed here", "flaky", path
            )
            crashes.append(crash)
        if new_files and jobs == 1:
            out.write("libFuzzer stops at the first crash; --jobs 2 or more keeps going past it\n")
        corpus_size = sum(1 for p in corpus_dir.iterdir() if p.is_file())
        if status not in (0, 1) and not crashes:
            out.write(f"atheris exited with status {status}; see {work / 'atheris.log'}\n")
    else:
        result = _run_builtin_jobs(
            earlier_corpus,
            seconds=seconds,
            jobs=jobs,
            seed=random.randrange(1 << 32) if seed is None else seed,
            corpus_dir=corpus_dir,
            target=target,
        )
        executed = result.executed
        corpus_size = result.corpus_size
        known = {c.key for c in crashes}
        for crash in result.crashes.values():
            if crash.key in known:
                continue
            crash.path = _save(crashes_dir, "crash-", crash.data)
            crashes.append(crash)
    elapsed = time.perf_counter() - started

    rate = executed / elapsed if elapsed > 0 else 0.0
    out.write(
        f"done: {executed} inputs executed in {elapsed:.1f} s ({rate:.0f}/s), "
        f"corpus {corpus_size} inputs, {len(crashes)} crash{'es' if len(crashes) != 1 else ''}\n"
    )
    for number, crash in enumerate(crashes, 1):
        _report_crash(out, number, crash, script, target)
    summary = {
        "target": target,
        "engine": chosen,
        "seconds": round(elapsed, 3),
        "executed": executed,
        "seeds": len(seeds.inputs),
        "corpus": corpus_size,
        "crashes": [
            {
                "description": c.description,
                "file": None if c.path is None else str(c.path),
                "hex": c.data.hex(),
                "earlier": c.earlier,
            }
            for c in crashes
        ],
    }
    (work / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 1 if crashes else 0
