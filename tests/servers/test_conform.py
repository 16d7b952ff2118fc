"""``wire conform mqtt-broker``: the suite against our broker and mosquitto, the runner, the CLI.

The whole suite (3.1.1 and 5.0) runs once per broker, 8 checks at a time, in a
module-scoped fixture; one test per check then reports its outcome. Against our
broker every check must pass (a check our broker fails because the broker is
wrong is marked xfail(strict=True) in ``OUR_DEVIATIONS``). Against mosquitto the
failing checks must be exactly ``MOSQUITTO_DEVIATIONS``, which mirrors the table
in ``spec/mqtt/broker-conformance.md``.
"""

from __future__ import annotations

import io
import json
import os
import pwd
import re
import socket
import socketserver
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import trio
from tests.peers import require

from servers import cli
from servers.conform._runner import (
    Check,
    CheckFailed,
    CheckResult,
    Suite,
    parse_target,
    print_table,
    run_checks,
    run_suite,
    selects,
)
from servers.conform.mqtt_broker import SUITE
from servers.mqtt import serve_mqtt
from wire.errors import LocalProtocolError
from wire.mqtt import BrokerConfig

DOC = Path(__file__).resolve().parents[2] / "spec" / "mqtt" / "broker-conformance.md"

#: Checks our broker fails because the broker is wrong: (check, protocol level) -> reason.
#: Each becomes xfail(strict=True), so a fix shows up as an unexpected pass.
OUR_DEVIATIONS: dict[tuple[str, int], str] = {}

#: mosquitto 2.0.11's deviations (check, protocol level) -> what it does instead.
#: Mirrors the "Deviations: mosquitto 2.0.11" table of spec/mqtt/broker-conformance.md.
MOSQUITTO_DEVIATIONS: dict[tuple[str, int], str] = {
    ("subscription-identifier-from-client", 5): (
        "accepts a client PUBLISH carrying a Subscription Identifier and keeps the connection"
    ),
}

Results = dict[tuple[str, int], CheckResult]


def _by_key(results: list[CheckResult]) -> Results:
    return {(r.name, r.version): r for r in results}


def _describe(result: CheckResult) -> str:
    version = "5.0" if result.version == 5 else "3.1.1"
    return f"{result.name} ({version}, {result.statement}): {result.outcome} {result.detail}"


# -- the suite against our broker ---------------------------------------------------------


async def _run_against_ours(config: BrokerConfig | None = None, **select: Any) -> Results:
    async with trio.open_nursery() as nursery:
        address = await nursery.start(partial(serve_mqtt, "127.0.0.1", 0, config=config))
        results = await run_checks(SUITE, address, **select)
        nursery.cancel_scope.cancel()
    return _by_key(results)


@pytest.fixture(scope="module")
def our_results() -> Results:
    """The whole suite, both versions, against our broker started in-process."""
    return trio.run(_run_against_ours)


def _suite_params() -> list[Any]:
    params = []
    for check in SUITE.checks:
        key = (check.name, check.version)
        marks = []
        if key in OUR_DEVIATIONS:
            marks.append(pytest.mark.xfail(strict=True, reason=OUR_DEVIATIONS[key]))
        params.append(pytest.param(key, marks=marks, id=f"{check.name}-v{check.version}"))
    return params


@pytest.mark.parametrize("key", _suite_params())
def test_our_broker(our_results: Results, key: tuple[str, int]) -> None:
    result = our_results[key]
    assert result.outcome == "pass", _describe(result)


def test_our_broker_ran_every_check(our_results: Results) -> None:
    assert set(our_results) == {(c.name, c.version) for c in SUITE.checks}


def test_server_keep_alive_is_checked_when_the_broker_sets_one() -> None:
    # Our default configuration sends no Server Keep Alive; with one set, the
    # server-keep-alive check must really observe the close, not skip.
    results = trio.run(
        partial(
            _run_against_ours,
            BrokerConfig(server_keep_alive=1),
            versions=(5,),
            only=("server-keep-alive", "keep-alive"),
        )
    )
    assert set(results) == {("server-keep-alive", 5), ("keep-alive", 5)}
    for result in results.values():
        assert result.outcome == "pass", _describe(result)
        assert "nothing to check" not in result.detail
        assert "not observable" not in result.detail


# -- the suite against mosquitto ----------------------------------------------------------

MOSQUITTO_START_TIMEOUT = 10.0
MOSQUITTO_STOP_TIMEOUT = 5.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()  # by PID
        try:
            process.wait(MOSQUITTO_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(MOSQUITTO_STOP_TIMEOUT)


@contextmanager
def running_mosquitto(directory: Path) -> Iterator[tuple[tuple[str, int], str]]:
    """mosquitto on a free loopback port with our own config; yields (address, version line)."""
    binary = require("mosquitto")
    version = subprocess.run(
        [binary, "-h"], capture_output=True, text=True, check=False
    ).stdout.splitlines()[0]
    output = directory / "mosquitto.out"
    for _attempt in range(3):  # a free port can be taken before mosquitto binds it
        port = _free_port()
        config = directory / "mosquitto.conf"
        config.write_text(
            f"listener {port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence false\n"
            # Started as root, mosquitto would switch to the "mosquitto" user.
            f"user {pwd.getpwuid(os.getuid()).pw_name}\n"
        )
        with output.open("ab") as out:
            process = subprocess.Popen(
                [binary, "-c", str(config)], stdin=subprocess.DEVNULL, stdout=out, stderr=out
            )
        deadline = time.monotonic() + MOSQUITTO_START_TIMEOUT
        while process.poll() is None and not _accepts(port):
            if time.monotonic() > deadline:
                _stop(process)
                pytest.fail(f"mosquitto did not listen on {port}: {output.read_text()}")
            time.sleep(0.02)
        if process.poll() is None:
            break
    else:
        pytest.fail(f"mosquitto exited at start-up: {output.read_text()}")
    try:
        yield ("127.0.0.1", port), version
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def mosquitto_results(tmp_path_factory: pytest.TempPathFactory) -> tuple[Results, str]:
    with running_mosquitto(tmp_path_factory.mktemp("mosquitto")) as (address, version):
        results = trio.run(partial(run_checks, SUITE, address))
    return _by_key(results), version


def test_mosquitto_deviations_are_the_documented_ones(
    mosquitto_results: tuple[Results, str],
) -> None:
    results, version = mosquitto_results
    failing = {key: r for key, r in results.items() if r.outcome != "pass"}
    unexpected = [_describe(r) for key, r in failing.items() if key not in MOSQUITTO_DEVIATIONS]
    fixed = [key for key in MOSQUITTO_DEVIATIONS if key not in failing]
    assert not unexpected and not fixed, (
        f"{version}: undocumented failures {unexpected}; documented deviations that now pass "
        f"{fixed}"
    )
    assert len(results) == len(SUITE.checks)


# -- the documentation mirrors the suite --------------------------------------------------


def _doc_table(heading: str) -> list[list[str]]:
    """The rows of the first table after ``heading`` in the conformance document."""
    text = DOC.read_text()
    start = text.index(f"\n{heading}\n")
    rows = []
    for line in text[start:].splitlines()[2:]:
        if line.startswith("## "):
            break
        if line.startswith("|"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if not set("".join(cells)) <= set("-: "):
                rows.append(cells)
        elif rows:
            break
    return rows[1:]  # without the header row


def _code(cell: str) -> str:
    return cell.strip("`")


def test_doc_lists_every_check_with_its_ids() -> None:
    documented = {}
    for name, v4, v5, *_ in _doc_table("## The checks"):
        documented[_code(name)] = (_code(v4), _code(v5))
    expected: dict[str, tuple[str, str]] = {}
    for check in SUITE.checks:
        v4, v5 = expected.get(check.name, ("—", "—"))
        expected[check.name] = (
            (check.statement, v5) if check.version == 4 else (v4, check.statement)
        )
    assert documented == expected


def test_doc_mosquitto_deviations_match_the_constant() -> None:
    rows = _doc_table("## Deviations: mosquitto 2.0.11")
    documented = set()
    for name, version, *_ in rows:
        documented.add((_code(name), 5 if version == "5.0" else 4))
    assert documented == set(MOSQUITTO_DEVIATIONS)


def test_doc_our_deviations_match_the_constant() -> None:
    rows = _doc_table("## Deviations: wire")
    documented = {(_code(name), 5 if version == "5.0" else 4) for name, version, *_ in rows}
    assert documented == set(OUR_DEVIATIONS)


# -- the suite's own shape ----------------------------------------------------------------

_ID = re.compile(r"^(MQTT-\d+\.\d+\.\d+-\d+|§\d+(\.\d+)*)$")


def test_every_check_is_keyed_by_a_statement_id_or_a_section() -> None:
    for check in SUITE.checks:
        assert _ID.match(check.statement), check
        assert check.version in (4, 5)


def test_check_names_are_unique_per_version() -> None:
    keys = [(c.name, c.version) for c in SUITE.checks]
    assert len(keys) == len(set(keys))


# -- the runner ---------------------------------------------------------------------------


def _synthetic_suite(active: list[int] | None = None) -> Suite:
    async def ok(target: tuple[str, int]) -> str | None:
        if active is not None:
            active.append(1)
            await trio.sleep(0.05)
            active.append(-1)
        return None

    async def noted(target: tuple[str, int]) -> str | None:
        return "DISCONNECT not sent (SHOULD)"

    async def fails(target: tuple[str, int]) -> str | None:
        raise CheckFailed("PUBACK for 7, expected 42")

    async def refused(target: tuple[str, int]) -> str | None:
        raise ConnectionRefusedError("refused")

    async def hangs(target: tuple[str, int]) -> str | None:
        await trio.sleep_forever()
        return None

    async def buggy(target: tuple[str, int]) -> str | None:
        raise ValueError("bug in the check")

    return Suite(
        "synthetic",
        [
            Check("ok", "MQTT-3.1.2-2", 4, "passes", ok),
            Check("ok", "MQTT-3.1.2-2", 5, "passes", ok),
            Check("noted", "MQTT-3.1.2-24", 5, "passes with a note", noted),
            Check("fails", "MQTT-4.3.2-2", 4, "fails", fails),
            Check("refused", "§3.3.3", 4, "cannot connect", refused),
            Check("hangs", "MQTT-3.12.4-1", 4, "never answers", hangs, timeout=0.1),
            Check("buggy", "MQTT-3.8.4-2", 5, "raises", buggy),
        ],
    )


async def test_run_checks_outcomes_in_suite_order() -> None:
    results = await run_checks(_synthetic_suite(), ("127.0.0.1", 9))
    summary = [(r.name, r.version, r.outcome) for r in results]
    assert summary == [
        ("ok", 4, "pass"),
        ("ok", 5, "pass"),
        ("noted", 5, "pass"),
        ("fails", 4, "fail"),
        ("refused", 4, "error"),
        ("hangs", 4, "fail"),
        ("buggy", 5, "error"),
    ]
    details = {r.name: r.detail for r in results}
    assert details["noted"] == "DISCONNECT not sent (SHOULD)"
    assert details["fails"] == "PUBACK for 7, expected 42"
    assert details["refused"] == "ConnectionRefusedError: refused"
    assert details["hangs"] == "no answer within 0.1 s"
    assert details["buggy"] == "check raised ValueError: bug in the check"


async def test_run_checks_limits_concurrency() -> None:
    active: list[int] = []
    suite = _synthetic_suite(active)
    many = Suite("many", [c for c in suite.checks if c.name == "ok"] * 6)
    await run_checks(many, ("127.0.0.1", 9), concurrency=3)
    running = peak = 0
    for step in active:
        running += step
        peak = max(peak, running)
    assert peak == 3


async def test_run_checks_selects_versions_and_ids() -> None:
    suite = _synthetic_suite()
    target = ("127.0.0.1", 9)
    assert [r.name for r in await run_checks(suite, target, versions=(5,))] == [
        "ok",
        "noted",
        "buggy",
    ]
    only = await run_checks(suite, target, only=("MQTT-3.1.2-2",))
    assert [(r.name, r.version) for r in only] == [("ok", 4), ("ok", 5)]


def test_selects_statement_ids_without_matching_longer_ones() -> None:
    def check(name: str, statement: str) -> Check:
        async def run(target: tuple[str, int]) -> str | None:
            return None

        return Check(name, statement, 5, "", run)

    assert selects("MQTT-3.1.2-2", check("x", "MQTT-3.1.2-2"))
    assert not selects("MQTT-3.1.2-2", check("x", "MQTT-3.1.2-24"))
    assert selects("MQTT-3.1.2", check("x", "MQTT-3.1.2-24"))
    assert selects("3.3.3", check("x", "§3.3.3"))
    assert not selects("3.3.3", check("x", "§3.3.34"))
    assert selects("topic-alias", check("topic-alias-unknown", "§3.3.4"))
    assert selects("topic-alias-unknown", check("topic-alias-unknown", "§3.3.4"))
    assert not selects("suback-packet-id", check("unsuback-packet-id", "MQTT-3.10.4-4"))
    assert not selects("alias", check("topic-alias-unknown", "§3.3.4"))


def test_print_table() -> None:
    results = trio.run(run_checks, _synthetic_suite(), ("127.0.0.1", 9))
    out = io.StringIO()
    print_table(results, out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["statement", "version", "result", "check", "summary"]
    assert lines[1].split()[:4] == ["MQTT-3.1.2-2", "3.1.1", "pass", "ok"]
    assert lines[2].split()[:4] == ["MQTT-3.1.2-2", "5.0", "pass", "ok"]
    assert lines[4].strip() == "note: DISCONNECT not sent (SHOULD)"
    assert lines[5].split()[:4] == ["MQTT-4.3.2-2", "3.1.1", "fail", "fails"]
    assert lines[6].strip() == "-> PUBACK for 7, expected 42"
    # Details line up under the summary column's left edge of the result column.
    assert lines[6].index("->") == lines[0].index("check")
    assert lines[-1] == "3 passed, 2 failed, 2 errors"


def test_print_table_empty() -> None:
    out = io.StringIO()
    print_table([], out)
    assert out.getvalue().splitlines()[-1] == "0 passed, 0 failed, 0 errors"


@contextmanager
def listening() -> Iterator[str]:
    """A loopback port that accepts connections (the kernel's backlog does)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"127.0.0.1:{sock.getsockname()[1]}"


def test_run_suite_exit_codes_and_json() -> None:
    suite = _synthetic_suite()
    with listening() as target:
        out = io.StringIO()
        assert run_suite(suite, target, only=["ok"], out=out) == 0
        assert out.getvalue().splitlines()[-1] == "2 passed, 0 failed, 0 errors"
        out = io.StringIO()
        assert run_suite(suite, target, only=["noted", "fails"], as_json=True, out=out) == 1
        rows = json.loads(out.getvalue())
    assert [(row["name"], row["outcome"]) for row in rows] == [("noted", "pass"), ("fails", "fail")]
    assert set(rows[0]) == {
        "name",
        "statement",
        "version",
        "summary",
        "outcome",
        "detail",
        "seconds",
    }


def test_run_suite_refuses_bad_targets_and_empty_selections() -> None:
    suite = _synthetic_suite()
    for target in ("localhost", "localhost:", ":1883", "host:99999", "host:port"):
        with pytest.raises(LocalProtocolError, match="HOST:PORT"):
            run_suite(suite, target, out=io.StringIO())
    with pytest.raises(LocalProtocolError, match="no synthetic check"):
        run_suite(suite, "127.0.0.1:9", only=["nothing-like-this"], out=io.StringIO())


def test_run_suite_unreachable_target() -> None:
    err = io.StringIO()
    with socket.socket() as sock:  # bound, not listening: connections are refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        assert run_suite(_synthetic_suite(), f"127.0.0.1:{port}", out=io.StringIO(), err=err) == 2
    assert err.getvalue().startswith(f"wire: error: cannot connect to 127.0.0.1:{port}")


def test_parse_target() -> None:
    assert parse_target("127.0.0.1:1883") == ("127.0.0.1", 1883)
    assert parse_target("[::1]:1883") == ("::1", 1883)
    assert parse_target("broker.local:8883") == ("broker.local", 8883)


# -- the command --------------------------------------------------------------------------


@contextmanager
def broker_in_thread() -> Iterator[str]:
    """Our broker in its own thread and Trio run, so the command can trio.run itself."""
    started = threading.Event()
    box: dict[str, Any] = {}

    async def serve() -> None:
        async with trio.open_nursery() as nursery:
            box["address"] = await nursery.start(serve_mqtt, "127.0.0.1", 0)
            box["token"] = trio.lowlevel.current_trio_token()
            box["scope"] = nursery.cancel_scope
            started.set()

    thread = threading.Thread(target=trio.run, args=(serve,), daemon=True)
    thread.start()
    assert started.wait(10), "the broker did not start"
    try:
        host, port = box["address"]
        yield f"{host}:{port}"
    finally:
        trio.from_thread.run_sync(box["scope"].cancel, trio_token=box["token"])
        thread.join(10)


class _AnswersEverythingWithConnack(socketserver.BaseRequestHandler):
    """A broken 'broker': every chunk it reads is answered with CONNACK accepted."""

    def handle(self) -> None:
        while self.request.recv(65536):
            self.request.sendall(b"\x20\x02\x00\x00")


@contextmanager
def broken_broker() -> Iterator[str]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _AnswersEverythingWithConnack)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()


def _wire(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    status = cli.main(["conform", "mqtt-broker", *argv], stdout=out)
    return status, out.getvalue()


def test_cli_json_against_our_broker() -> None:
    with broker_in_thread() as target:
        status, text = _wire("--target", target, "--json", "--only", "pingreq")
    assert status == 0
    rows = json.loads(text)
    assert [(r["name"], r["statement"], r["version"], r["outcome"]) for r in rows] == [
        ("pingreq", "MQTT-3.12.4-1", 4, "pass"),
        ("pingreq", "MQTT-3.12.4-1", 5, "pass"),
    ]


def test_cli_table_one_version_by_statement() -> None:
    with broker_in_thread() as target:
        status, text = _wire(
            "--target", target, "--version", "5", "--only", "MQTT-3.8.4-2", "--only", "3.3.3"
        )
    assert status == 0
    lines = text.splitlines()
    assert [line.split()[:4] for line in lines[1:-1]] == [
        ["MQTT-3.8.4-2", "5.0", "pass", "suback-packet-id"],
        ["§3.3.3", "5.0", "pass", "payload-unaltered"],
    ]
    assert lines[-1] == "2 passed, 0 failed, 0 errors"


def test_cli_exit_1_when_a_check_fails() -> None:
    with broken_broker() as target:
        status, text = _wire(
            "--target", target, "--version", "4", "--only", "pingreq", "--only", "suback-packet-id"
        )
    assert status == 1
    lines = text.splitlines()
    assert lines[1].split()[:4] == ["MQTT-3.12.4-1", "3.1.1", "fail", "pingreq"]
    assert "expected Pingresp, got Connack" in lines[2]
    assert lines[3].split()[:4] == ["MQTT-3.8.4-2", "3.1.1", "fail", "suback-packet-id"]
    assert "expected Suback, got Connack" in lines[4]
    assert lines[-1] == "0 passed, 2 failed, 0 errors"


def test_cli_exit_2_on_a_bad_target(capsys: pytest.CaptureFixture[str]) -> None:
    assert _wire("--target", "no-port-here")[0] == 2
    assert "HOST:PORT" in capsys.readouterr().err
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        assert _wire("--target", f"127.0.0.1:{port}")[0] == 2
    assert "cannot connect" in capsys.readouterr().err
