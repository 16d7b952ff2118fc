"""Fuzzing campaigns: the invariant checker, the seeds, both engines and `wire fuzz`."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from servers import fuzzing
from servers.cli import main
from servers.fuzzing import (
    InvariantViolation,
    build_http_seeds,
    build_seeds,
    check_http_input,
    check_mqtt_input,
    make_http_input,
    make_input,
    parse_http_input,
    parse_input,
    run_campaign,
    split_points,
)
from wire import http, mqtt
from wire.http import _h1, _h1_fast
from wire.mqtt import _codec, _reader

DONE = re.compile(
    r"done: (\d+) inputs executed in [\d.]+ s \(\d+/s\), corpus (\d+) inputs, (\d+) crash"
)


def campaign(tmp_path: Path, seconds: float, **options: Any) -> tuple[int, str, dict[str, Any]]:
    out = io.StringIO()
    code = run_campaign("mqtt", seconds=seconds, workdir=str(tmp_path), jobs=1, out=out, **options)
    summary = json.loads((tmp_path / "summary.json").read_text())
    return code, out.getvalue(), summary


def counts(report: str) -> tuple[int, int, int]:
    match = DONE.search(report)
    assert match is not None, report
    executed, corpus, crashes = (int(n) for n in match.groups())
    return executed, corpus, crashes


# --- the input format -------------------------------------------------------


@pytest.mark.parametrize("version", [4, 5])
@pytest.mark.parametrize("reader", [False, True])
@pytest.mark.parametrize("small", [False, True])
@pytest.mark.parametrize("stride", [0, 1, 31])
def test_input_format_round_trips(version: int, reader: bool, small: bool, stride: int) -> None:
    raw = make_input(b"\xc0\x00", version=version, reader=reader, small_limit=small, stride=stride)
    fuzz = parse_input(raw)
    assert fuzz is not None
    assert (fuzz.version, fuzz.reader, fuzz.stride) == (version, reader, stride)
    assert fuzz.data == b"\xc0\x00"
    expected = fuzzing.SMALL_MAX_PACKET_SIZE if small else mqtt.DEFAULT_MAX_PACKET_SIZE
    assert fuzz.max_packet_size == expected
    assert parse_input(b"") is None


@pytest.mark.parametrize("stride", range(32))
def test_split_points_cut_inside_the_data(stride: int) -> None:
    data = bytes(range(256)) * 3
    points = split_points(data, stride)
    assert points == sorted(set(points))
    assert all(0 < p < len(data) for p in points)
    if stride == 0:
        assert points == list(range(1, len(data)))
    else:
        sizes = [b - a for a, b in zip([0, *points], [*points, len(data)], strict=True)]
        assert max(sizes) <= 4 * stride
    assert split_points(b"", stride) == []


# --- the invariant checker --------------------------------------------------


def test_checker_accepts_valid_and_invalid_bytes() -> None:
    stream = b"".join(
        mqtt.encode(p, version=5)
        for p in (mqtt.Connect("c"), mqtt.Publish("t", b"x", qos=1, packet_id=1), mqtt.Pingreq())
    )
    for raw in (
        make_input(stream, version=5),
        make_input(stream, version=5, reader=True),
        make_input(stream, version=5, reader=True, stride=3),
        make_input(stream[:-1], version=4, reader=True),  # a CONNECT switches the reader to 5
        make_input(b"\x00\xff\x01", version=5, reader=True, small_limit=True),
        make_input(b"\x36\x00", version=4),
    ):
        features = check_mqtt_input(raw)
        assert features, raw.hex()
    assert check_mqtt_input(b"") == frozenset()


def test_checker_catches_a_broken_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    encoders = dict(_codec._ENCODERS)
    original = encoders[mqtt.Puback]
    encoders[mqtt.Puback] = lambda packet, version: original(
        mqtt.Puback(packet.packet_id + 1), version
    )
    monkeypatch.setattr(_codec, "_ENCODERS", encoders)
    raw = make_input(bytes.fromhex("40020007"), version=4)
    with pytest.raises(InvariantViolation, match="decode\\(encode\\(p\\)\\) != p for Puback"):
        check_mqtt_input(raw)


def test_checker_catches_split_dependence(monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader that fails on a lone byte would pass whole feeding only."""
    original = _reader.decode_at

    def decode_at(data: bytes, pos: int, version: int, limit: int) -> Any:
        if len(data) - pos == 1:
            raise mqtt.MalformedPacket("planted: one byte is not enough")
        return original(data, pos, version, limit)

    monkeypatch.setattr(_reader, "decode_at", decode_at)
    stream = bytes.fromhex("c000c000")
    assert check_mqtt_input(make_input(stream, version=4))  # one decode() call: fine
    with pytest.raises(InvariantViolation, match="split feeding"):
        check_mqtt_input(make_input(stream, version=4, reader=True))


def test_checker_lets_unexpected_exceptions_escape(monkeypatch: pytest.MonkeyPatch) -> None:
    def decode(data: bytes, *, version: int, max_packet_size: int) -> Any:
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "planted")

    monkeypatch.setattr(mqtt, "decode", decode)
    with pytest.raises(UnicodeDecodeError):
        check_mqtt_input(make_input(b"\xc0\x00", version=5))


# --- seeds ------------------------------------------------------------------


def test_seeds_from_vectors(tmp_path: Path) -> None:
    (tmp_path / "good.json").write_text(
        json.dumps(
            [
                {"id": "ping", "version": 4, "hex": "c0 00"},
                {"id": "publish", "version": 5, "hex": "300800016100<61*3>"},
                {"id": "no hex", "version": 5},
                {"id": "bad version", "version": 3, "hex": "c000"},
            ]
        )
    )
    (tmp_path / "half-written.json").write_text('[{"version": 4, "hex": "c0')
    (tmp_path / "object.json").write_text("{}")
    seeds = build_seeds(tmp_path)
    assert (seeds.vector_files, seeds.vectors, seeds.fixed_packets) == (1, 2, 0)
    assert seeds.edge_cases > 0
    assert make_input(bytes.fromhex("c000"), version=4) in seeds.inputs
    assert make_input(bytes.fromhex("300800016100616161"), version=5, reader=True) in seeds.inputs
    notes = "\n".join(seeds.notes)
    assert "half-written.json" in notes
    assert "object.json" in notes
    assert "good.json: skipped 2 entries" in notes
    assert len(seeds.inputs) == len(set(seeds.inputs))
    assert all(len(raw) <= fuzzing.MAX_INPUT_LEN for raw in seeds.inputs)


def test_seeds_without_vectors_use_fixed_packets(tmp_path: Path) -> None:
    seeds = build_seeds(tmp_path / "missing")
    assert seeds.vectors == 0
    assert seeds.fixed_packets >= 30
    assert any("no test vectors" in note for note in seeds.notes)
    types = set()
    for raw in seeds.inputs:
        fuzz = parse_input(raw)
        assert fuzz is not None
        if fuzz.data and not fuzz.reader and fuzz.max_packet_size > 64:
            types.add(fuzz.data[0] >> 4)
    assert types == set(range(16))  # every packet type, plus type 0 from the edge cases


def test_every_seed_passes_the_checker() -> None:
    for raw in build_seeds().inputs:
        check_mqtt_input(raw)


# --- campaigns --------------------------------------------------------------


def test_builtin_campaign_finds_no_crash(tmp_path: Path) -> None:
    code, report, summary = campaign(tmp_path, 2.0, engine="builtin", seed=1)
    executed, corpus, crashes = counts(report)
    assert code == 0, report
    assert crashes == 0
    assert executed > len(build_seeds().inputs)  # the seeds, then mutations
    assert corpus > 0
    assert "engine builtin" in report
    assert summary["executed"] == executed
    assert summary["crashes"] == []
    assert any((tmp_path / "corpus").iterdir())
    assert not any((tmp_path / "crashes").iterdir())


def plant_qos2_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the decoder raise IndexError on every valid QoS 2 PUBLISH."""
    original = _codec.decode_at

    def decode_at(data: bytes, pos: int, version: int, limit: int) -> Any:
        result = original(data, pos, version, limit)
        if result is not None and type(result[0]) is mqtt.Publish and result[0].qos == 2:
            raise IndexError("planted")
        return result

    monkeypatch.setattr(_codec, "decode_at", decode_at)
    monkeypatch.setattr(_reader, "decode_at", decode_at)


def test_campaign_reports_a_planted_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plant_qos2_crash(monkeypatch)
    code, report, summary = campaign(
        tmp_path, 1.0, engine="builtin", seed=2, vectors_dir=tmp_path / "none"
    )
    assert code == 1
    executed, _, crashes = counts(report)
    assert executed > 0
    assert crashes == 1  # one bug, however many inputs hit it
    assert "CRASH 1" in report
    assert "IndexError at " in report and ": planted" in report
    files = list((tmp_path / "crashes").iterdir())
    assert len(files) == 1
    assert files[0].name.startswith("crash-")
    raw = files[0].read_bytes()
    fuzz = parse_input(raw)
    assert fuzz is not None
    assert f"input file: {files[0]}" in report
    assert f"reproduce:  wire decode mqtt --version {fuzz.version} {fuzz.data.hex()}\n" in report
    assert summary["crashes"][0]["hex"] == raw.hex()
    # The reproducer is minimised and still crashes the same way.
    assert fuzz.data[0] & 0xF6 == 0x34
    assert len(fuzz.data) <= 10
    with pytest.raises(IndexError, match="planted"):
        check_mqtt_input(raw)

    # The next campaign replays the crash file first, and reports it while it crashes.
    code, report, _ = campaign(tmp_path, 0, engine="builtin", seed=3)
    assert code == 1
    assert "earlier crash files: 1, still crashing 1" in report
    assert "CRASH 1 (from an earlier campaign)" in report
    monkeypatch.undo()
    code, report, _ = campaign(tmp_path, 0, engine="builtin", seed=3)
    assert code == 0, report
    assert "earlier crash files: 1, still crashing 0, no longer crashing 1" in report


def test_unknown_target_and_bad_budget(tmp_path: Path) -> None:
    from wire.errors import LocalProtocolError

    with pytest.raises(LocalProtocolError, match="no fuzz target"):
        run_campaign("smtp", seconds=1, workdir=str(tmp_path), jobs=1, out=io.StringIO())
    with pytest.raises(LocalProtocolError):
        run_campaign("mqtt", seconds=1, workdir=str(tmp_path), jobs=0, out=io.StringIO())


@pytest.mark.parametrize("target", ["mqtt", "http"])
def test_wire_fuzz_command(tmp_path: Path, target: str) -> None:
    out = io.StringIO()
    code = main(["fuzz", target, "--seconds", "1", "--workdir", str(tmp_path)], stdout=out)
    report = out.getvalue()
    assert code == 0, report
    executed, _, crashes = counts(report)
    assert executed > 0
    assert crashes == 0
    assert (tmp_path / "summary.json").is_file()


@pytest.mark.skipif(not fuzzing._atheris_available(), reason="atheris not installed")
def test_atheris_campaign(tmp_path: Path) -> None:
    code, report, summary = campaign(tmp_path, 1, engine="atheris")
    assert code == 0, report + (tmp_path / "atheris.log").read_text()
    assert "engine atheris" in report
    executed, _, _ = counts(report)
    assert executed > 0
    assert summary["engine"] == "atheris"


# --- the http target ----------------------------------------------------------

GET = b"GET / HTTP/1.1\r\nHost: h\r\n\r\n"


@pytest.mark.parametrize("small", [False, True])
@pytest.mark.parametrize("eof", [False, True])
@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize("stride", [0, 31])
def test_http_input_format_round_trips(small: bool, eof: bool, chunked: bool, stride: int) -> None:
    raw = make_http_input(GET, small_limits=small, eof=eof, chunked=chunked, stride=stride)
    fuzz = parse_http_input(raw)
    assert fuzz is not None
    assert (fuzz.small_limits, fuzz.eof, fuzz.chunked, fuzz.stride) == (small, eof, chunked, stride)
    assert fuzz.data == GET
    assert ("small" in fuzz.describe()) is small
    assert parse_http_input(b"") is None
    with pytest.raises(ValueError):
        make_http_input(GET, stride=32)


def test_every_http_seed_passes_the_checker() -> None:
    seeds = build_http_seeds()
    assert seeds.edge_cases > 30
    features: set[str] = set()
    for raw in seeds.inputs:
        features |= check_http_input(raw)
    # The seeds reach answers, refusals and each kind of error.
    assert any(f.startswith("s:H1RemoteError") for f in features)
    assert any(f.startswith("d:H2RemoteError") for f in features)
    assert "Request>EndOfMessage" in features
    assert any(f.startswith("refused:") for f in features)


def test_http_checker_catches_a_fast_path_that_writes_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = _h1_fast.response_head

    def response_head(*args: Any, **kwargs: Any) -> tuple[bytes, bool]:
        head, chunked = original(*args, **kwargs)
        return head.replace(b"OK", b"Okay"), chunked

    monkeypatch.setattr(_h1, "response_head", response_head)
    with pytest.raises(InvariantViolation, match="fast path differs"):
        # Pattern 31 feeds the head whole, so that the fast path reads it.
        check_http_input(make_http_input(GET, stride=31))


def test_http_checker_catches_split_dependence(monkeypatch: pytest.MonkeyPatch) -> None:
    original = http.H1Connection.receive_data

    def receive_data(self: http.H1Connection, data: bytes | bytearray | memoryview) -> None:
        original(self, bytes(data).replace(b"/b", b"/c") if len(data) > 2 else data)

    monkeypatch.setattr(http.H1Connection, "receive_data", receive_data)
    with pytest.raises(InvariantViolation, match="split feeding gave other events"):
        check_http_input(make_http_input(b"GET /b HTTP/1.1\r\nHost: h\r\n\r\n", stride=0))


def test_http_checker_catches_an_error_it_did_not_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import h11

    original = h11.Connection.send

    def send(self: h11.Connection, event: Any) -> bytes | None:
        written = original(self, event)
        return b"" if getattr(event, "status_code", 0) >= 400 else written

    monkeypatch.setattr(h11.Connection, "send", send)
    with pytest.raises(InvariantViolation, match="without answering"):
        check_http_input(make_http_input(b"GET / HTTP/1.1\r\n\r\n"))


def test_http_campaign_finds_no_crash_and_reports_a_planted_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = io.StringIO()
    code = run_campaign("http", seconds=1.0, workdir=str(tmp_path), out=out, engine="builtin")
    executed, corpus, crashes = counts(out.getvalue())
    assert code == 0 and crashes == 0, out.getvalue()
    assert executed > len(build_http_seeds().inputs) and corpus > 0
    assert "edge cases" in out.getvalue()

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("planted")

    # An escape the machine's own guard cannot catch: in events().
    monkeypatch.setattr(http.HTTPConnection, "events", boom)
    out = io.StringIO()
    code = run_campaign(
        "http", seconds=0.5, workdir=str(tmp_path / "b"), out=out, engine="builtin", seed=1
    )
    report = out.getvalue()
    assert code == 1
    assert "RuntimeError at " in report and "text:       b'" in report
    assert "python" in report and "http_server.py" in report
