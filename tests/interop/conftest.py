"""Real peers for interop tests: a private mosquitto broker per test function.

The broker gets its own configuration file, log file and a free loopback port, so
tests never touch a system-wide mosquitto and can run in parallel.
"""

from __future__ import annotations

import os
import pwd
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.peers import accepts_connections, free_port, require, stop_process

#: How long mosquitto may take to accept connections after it is started.
STARTUP_TIMEOUT = 10.0
#: A port picked by the kernel can be taken by someone else before mosquitto binds it.
START_ATTEMPTS = 3

HOST = "127.0.0.1"


def _config(port: int, log: Path) -> str:
    # Started as root, mosquitto drops to the "mosquitto" user, which cannot write
    # to a root-owned tmp_path; ``user`` set to whoever we are keeps it as us.
    user = pwd.getpwuid(os.getuid()).pw_name
    return "\n".join(
        [
            f"listener {port} {HOST}",
            "allow_anonymous true",
            "persistence false",
            # The default of 1000 silently drops QoS 1/2 messages for slow readers.
            "max_queued_messages 0",
            f"log_dest file {log}",
            "log_type all",
            f"user {user}",
            "",
        ]
    )


def _start(binary: str, directory: Path) -> tuple[subprocess.Popen[bytes], int] | None:
    """Start mosquitto on a fresh port; ``None`` if it exited (the port was taken)."""
    port = free_port()
    log = directory / "mosquitto.log"
    config = directory / "mosquitto.conf"
    config.write_text(_config(port, log))
    with (directory / "mosquitto.out").open("ab") as output:
        process = subprocess.Popen(
            [binary, "-c", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return None
        if accepts_connections(port):
            return process, port
        time.sleep(0.02)
    stop_process(process)
    pytest.fail(f"mosquitto did not accept connections on port {port} in {STARTUP_TIMEOUT} s")


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """A mosquitto broker of our own on loopback; yields ``(host, port)``."""
    binary = require("mosquitto")
    for _ in range(START_ATTEMPTS):
        started = _start(binary, tmp_path)
        if started is not None:
            break
    else:
        output = (tmp_path / "mosquitto.out").read_text(errors="replace")
        log = tmp_path / "mosquitto.log"
        log_text = log.read_text(errors="replace") if log.exists() else ""
        pytest.fail(f"mosquitto exited at start-up:\n{output}\n{log_text}")
    process, port = started
    try:
        yield HOST, port
    finally:
        stop_process(process)
