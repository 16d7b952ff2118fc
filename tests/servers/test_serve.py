"""`wire serve`: every family on loopback, and one family alone."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
import trio
from tests.peers import require

from servers import serve
from servers.mqtt_client import connect
from wire.http import App


async def test_all_families_serve_together(
    nursery: trio.Nursery, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serve, "FAMILIES", {"mqtt": 0, "http": 0})
    out = io.StringIO()
    bound = await nursery.start(
        serve._serve,
        ["mqtt", "http"],
        "127.0.0.1",
        None,
        (None, None),
        serve.broker_config(None, None),
        None,
        out,
        serve.load_app(None),
    )
    ports = {family: port for family, _, port in bound}
    assert "mqtt: MQTT 3.1.1/5.0 broker listening on mqtt://127.0.0.1:" in out.getvalue()
    assert "http: HTTP/1.1 and HTTP/2 server listening on http://127.0.0.1:" in out.getvalue()
    async with connect("127.0.0.1", ports["mqtt"]) as client:
        assert await client.publish("t", b"x", qos=1) == 0
    stream = await trio.open_tcp_stream("127.0.0.1", ports["http"])
    await stream.send_all(b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    response = b""
    with trio.fail_after(5):
        while chunk := await stream.receive_some(65536):
            response += chunk
    assert response.startswith(b"HTTP/1.1 200")
    assert response.endswith(b"Hello, world!")
    nursery.cancel_scope.cancel()


def test_load_app() -> None:
    assert isinstance(serve.load_app(None), App)
    assert isinstance(serve.load_app("wire.http:demo_app"), App)
    with pytest.raises(TypeError, match=r"not a wire\.http\.App"):
        serve.load_app("wire.http:Limits")


def test_wire_serve_http_with_curl() -> None:
    curl = require("curl")
    process = subprocess.Popen(
        [sys.executable, "-m", "servers.cli", "serve", "http", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "http: HTTP/1.1 and HTTP/2 server listening on http://127.0.0.1:" in line
        url = line.rsplit(" ", 1)[1].strip() + "/hello"
        for flag in ("--http1.1", "--http2-prior-knowledge"):
            result = subprocess.run(
                [curl, "-s", flag, url], capture_output=True, text=True, timeout=20, check=True
            )
            assert result.stdout == "Hello, world!"
    finally:
        process.terminate()
        assert process.wait(timeout=15) == 0


def test_wire_serve_http_access_log_and_timeouts() -> None:
    """`--access-log` prints one line per answer where the listening line went."""
    curl = require("curl")
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "servers.cli", "serve", "http", "--port", "0"),
            *("--access-log", "--idle-timeout", "5", "--body-timeout", "5"),
            *("--max-connections", "10", "--shutdown-timeout", "1"),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = line.rsplit(" ", 1)[1].strip() + "/hello"
        result = subprocess.run(
            [curl, "-s", "--http1.1", url], capture_output=True, text=True, timeout=20, check=True
        )
        assert result.stdout == "Hello, world!"
        logged = process.stdout.readline()
        assert '"GET /hello HTTP/1.1" 200 13' in logged
    finally:
        process.terminate()
        assert process.wait(timeout=15) == 0
