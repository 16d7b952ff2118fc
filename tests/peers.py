"""Finding the real peers interop tests talk to, and running them.

A test that needs a peer calls :func:`require`. On a developer machine a missing
peer skips the test with the reason; with ``WIRE_REQUIRE_PEERS=1`` (set by
``.ci/run``) it fails instead, so CI cannot pass by skipping.

A peer that is a server runs as a subprocess on free loopback ports
(:func:`free_port`, :func:`start_process`) and is stopped by its process id
(:func:`stop_process`).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import NoReturn

import pytest

__all__ = [
    "accepts_connections",
    "find_executable",
    "free_port",
    "require",
    "require_module",
    "start_process",
    "stop_process",
]

HOST = "127.0.0.1"
#: How long a process may take to exit after SIGTERM before it is killed.
SHUTDOWN_TIMEOUT = 5.0


def peers_required() -> bool:
    return os.environ.get("WIRE_REQUIRE_PEERS", "") not in ("", "0")


def missing(reason: str) -> NoReturn:
    if peers_required():
        pytest.fail(f"peer required by WIRE_REQUIRE_PEERS=1 is missing: {reason}")
    pytest.skip(reason)


def find_executable(name: str, *extra_dirs: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for directory in (*extra_dirs, "/usr/sbin", "/usr/local/sbin"):
        candidate = os.path.join(directory, name)
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def require(name: str) -> str:
    """Return the path of executable ``name``, or skip/fail the calling test."""
    path = find_executable(name)
    if path is None:
        missing(f"executable {name!r} not found")
    return path


def require_module(name: str) -> None:
    """Skip/fail the calling test unless Python module ``name`` imports."""
    if importlib.util.find_spec(name) is None:
        missing(f"Python module {name!r} not installed")


def free_port() -> int:
    """A TCP port on the loopback interface that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def accepts_connections(port: int) -> bool:
    """Whether something listens on ``port`` of the loopback interface."""
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after :data:`SHUTDOWN_TIMEOUT`; nothing if it is gone."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=SHUTDOWN_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=SHUTDOWN_TIMEOUT)


def start_process(
    argv: list[str], ports: list[int], cwd: Path, log: Path, *, startup_timeout: float = 15.0
) -> subprocess.Popen[bytes]:
    """Start a server; return once every port in ``ports`` accepts connections.

    Fails the calling test (with the server's log) if it exits or does not
    listen within ``startup_timeout`` seconds.
    """
    with log.open("ab") as output:
        process = subprocess.Popen(
            argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{argv[0]} exited at start-up:\n{log.read_text(errors='replace')}")
        if all(accepts_connections(port) for port in ports):
            return process
        time.sleep(0.05)
    stop_process(process)
    pytest.fail(f"{argv[0]} did not listen on {ports} in {startup_timeout} s")
