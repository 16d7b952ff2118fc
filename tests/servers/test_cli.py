"""The `wire` command: decode, encode, demo."""

from __future__ import annotations

import io
import json
import pathlib
import subprocess
import sys

import pytest

from servers.cli import main
from wire import mqtt


def run(argv: list[str], stdin: str | bytes = "") -> tuple[int, str]:
    out = io.StringIO()
    source = io.BytesIO(stdin) if isinstance(stdin, bytes) else io.StringIO(stdin)
    code = main(argv, stdin=source, stdout=out)
    return code, out.getvalue()


def test_decode_hex_argument() -> None:
    code, out = run(["decode", "mqtt", "--version", "5", "3006000161006869"])
    assert code == 0
    assert json.loads(out)["topic_name"] == "a"
    assert json.loads(out)["payload"] == "6869"


def test_decode_stdin_hex_and_raw() -> None:
    stream = mqtt.encode(mqtt.Pingreq(), version=4) + mqtt.encode(mqtt.Disconnect(), version=4)
    code, out = run(["decode", "mqtt", "--version", "4", "-"], stream.hex() + "\n")
    assert code == 0
    assert [json.loads(line)["type"] for line in out.splitlines()] == ["PINGREQ", "DISCONNECT"]
    code, out = run(["decode", "mqtt", "--version", "4"], stream)
    assert code == 0
    assert len(out.splitlines()) == 2


def test_decode_reports_errors_and_incomplete_input() -> None:
    code, out = run(["decode", "mqtt", "3100"])  # PUBLISH with an empty body
    assert code == 1
    error = json.loads(out)
    assert error["error"] == "MalformedPacket"
    assert error["reason_code"] == 0x81
    code, out = run(["decode", "mqtt", "c0"])
    assert code == 1
    assert json.loads(out) == {"error": "Incomplete", "buffered": 1}


def test_decode_rejects_non_hex_argument(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run(["decode", "mqtt", "not-hex"])
    assert code == 2
    assert "not hex" in capsys.readouterr().err


def test_encode_round_trips_decode() -> None:
    packets = [
        mqtt.Connect(client_id="cli", will=mqtt.Will("w", b"x", qos=1)),
        mqtt.Subscribe(1, (mqtt.Subscription("a/+", qos=2),)),
        mqtt.Publish("a/b", b"\x00\xff", qos=2, packet_id=9),
    ]
    hex_stream = b"".join(mqtt.encode(p) for p in packets).hex()
    code, decoded = run(["decode", "mqtt", hex_stream])
    assert code == 0
    code, encoded = run(["encode", "mqtt", "-"], decoded)
    assert code == 0
    assert encoded.strip() == hex_stream
    # A JSON list on one line works too, as an argument.
    as_list = json.dumps([json.loads(line) for line in decoded.splitlines()])
    code, encoded = run(["encode", "mqtt", as_list])
    assert (code, encoded.strip()) == (0, hex_stream)


def test_encode_reports_invalid_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run(["encode", "mqtt", '{"type": "PUBLISH", "topic_name": "a/#"}'])
    assert code == 2
    assert "wildcards" in capsys.readouterr().err
    code, _ = run(["encode", "mqtt", "{not json"])
    assert code == 2


def test_demo_round_trips() -> None:
    code, out = run(["demo", "mqtt"])
    assert code == 0
    assert "every packet round-trips" in out
    assert sum(1 for line in out.splitlines() if line.startswith("{")) == 7


def test_wire_command_is_installed() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "servers.cli", "decode", "mqtt", "c000"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"type": "PINGREQ"}


def test_mqtt_passwd_adds_changes_and_deletes(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "passwords"
    code, out = run(["mqtt", "passwd", str(path), "alice", "--password", "one"])
    assert code == 0 and "set user 'alice'" in out
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert mqtt.PasswordFile.parse(path.read_text()).verify("alice", b"one")
    run(["mqtt", "passwd", str(path), "bob", "--password", "two"])
    run(["mqtt", "passwd", str(path), "alice", "--password", "three"])
    passwords = mqtt.PasswordFile.parse(path.read_text())
    assert passwords.verify("alice", b"three") and passwords.verify("bob", b"two")
    code, out = run(["mqtt", "passwd", str(path), "alice", "--delete"])
    assert code == 0 and "deleted" in out
    assert "alice" not in mqtt.PasswordFile.parse(path.read_text())


def test_mqtt_passwd_delete_unknown_user(tmp_path: pathlib.Path) -> None:
    code, _ = run(["mqtt", "passwd", str(tmp_path / "none"), "ghost", "--delete"])
    assert code == 1


def test_mqtt_passwd_prompts(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["pw", "pw", "pw", "other"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    path = tmp_path / "passwords"
    assert run(["mqtt", "passwd", str(path), "carol"])[0] == 0
    assert mqtt.PasswordFile.parse(path.read_text()).verify("carol", b"pw")
    assert run(["mqtt", "passwd", str(path), "dave"])[0] == 1
