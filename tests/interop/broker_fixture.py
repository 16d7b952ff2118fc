"""Our MQTT broker as a real subprocess, for interop tests with third-party clients.

:func:`running_broker` starts ``python -m servers.cli serve mqtt --port 0`` on
loopback, waits (bounded) for the one "listening" line and yields the bound
``(host, port)``. On exit it sends SIGTERM to that PID, waits, kills on timeout and
fails if the broker did not exit by itself, cleanly, within the timeout.

Import the ``wire_broker`` fixture explicitly where it is used::

    from tests.interop.broker_fixture import wire_broker  # noqa: F401
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

__all__ = ["START_TIMEOUT", "STOP_TIMEOUT", "BrokerProcess", "running_broker", "wire_broker"]

#: Seconds the broker has to print its "listening" line.
START_TIMEOUT = 10.0
#: Seconds the broker has to exit after SIGTERM.
STOP_TIMEOUT = 5.0

_REPO = Path(__file__).resolve().parents[2]
_LISTENING = re.compile(r"^mqtt: MQTT 3\.1\.1/5\.0 broker listening on mqtt://([^:\s]+):(\d+)$")


class BrokerProcess:
    """A running broker: its address, its process and what it wrote to stderr."""

    def __init__(self, process: subprocess.Popen[str], stderr_path: str) -> None:
        self.process = process
        self.stderr_path = stderr_path
        self.host = ""
        self.port = 0
        self.stdout_lines: list[str] = []

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    def stderr(self) -> str:
        return Path(self.stderr_path).read_text(errors="replace")


def _read_lines(process: subprocess.Popen[str], lines: list[str], first: threading.Event) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        first.set()
    first.set()  # EOF: the broker exited before or after listening


def _command(host: str, extra: tuple[str, ...] = ()) -> list[str]:
    return [
        sys.executable,
        "-m",
        "servers.cli",
        "serve",
        "mqtt",
        "--host",
        host,
        "--port",
        "0",
        *extra,
    ]


@contextmanager
def running_broker(host: str = "127.0.0.1", *extra: str) -> Iterator[BrokerProcess]:
    """Run our broker on a free port of ``host``; stop it by PID on exit."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    src = str(_REPO / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    with tempfile.NamedTemporaryFile("w+", prefix="wire-broker-", suffix=".log") as stderr:
        process = subprocess.Popen(
            _command(host, extra),
            cwd=_REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        broker = BrokerProcess(process, stderr.name)
        first = threading.Event()
        reader = threading.Thread(
            target=_read_lines, args=(process, broker.stdout_lines, first), daemon=True
        )
        reader.start()
        try:
            first.wait(START_TIMEOUT)
            match = _LISTENING.match(broker.stdout_lines[0]) if broker.stdout_lines else None
            if match is None:
                pytest.fail(
                    f"broker did not say it listens within {START_TIMEOUT} s "
                    f"(exit code {process.poll()}); stdout {broker.stdout_lines!r}; "
                    f"stderr:\n{broker.stderr()}"
                )
            broker.host, broker.port = match.group(1), int(match.group(2))
            yield broker
        finally:
            exited_by_itself = _stop(process)
            reader.join(STOP_TIMEOUT)
        assert exited_by_itself, (
            f"broker (pid {process.pid}) ignored SIGTERM for {STOP_TIMEOUT} s and was killed; "
            f"stderr:\n{broker.stderr()}"
        )
        assert process.returncode == 0, (
            f"broker exited with {process.returncode} after SIGTERM; stderr:\n{broker.stderr()}"
        )


def _stop(process: subprocess.Popen[str]) -> bool:
    """SIGTERM, wait, SIGKILL on timeout; True when the process exited by itself."""
    if process.poll() is not None:
        return True
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(STOP_TIMEOUT)
        return False
    return True


@pytest.fixture(scope="module")
def wire_broker() -> Iterator[BrokerProcess]:
    """One broker per test module; tests use distinct topics and client ids."""
    with running_broker() as broker:
        yield broker
