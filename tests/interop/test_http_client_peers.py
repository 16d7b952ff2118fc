"""Our HTTP client against servers nobody here wrote: hypercorn (Trio and asyncio
workers) and nghttpd (nghttp2's server), over HTTP/1.1, h2c, h2c upgrade and TLS."""

from __future__ import annotations

import hashlib
import os
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import trio
import trustme
from tests.peers import free_port, require, require_module, start_process, stop_process

from servers.http_client import Client

HOST = "127.0.0.1"
#: How long a server may take to accept connections after it is started.
STARTUP_TIMEOUT = 15.0

ASGI_APP = """
async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    headers = [
        (b"x-client-port", str(scope["client"][1]).encode()),
        (b"x-http-version", scope["http_version"].encode()),
    ]
    if scope["path"] == "/echo":
        # Every request chunk goes straight back: full duplex on HTTP/2.
        trailers = "http.response.trailers" in scope["extensions"] and any(
            name == b"te" for name, _ in scope["headers"]
        )
        start = {"type": "http.response.start", "status": 200, "headers": headers}
        await send({**start, "trailers": trailers})
        total = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            total += len(chunk)
            if chunk:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            if not message.get("more_body"):
                break
        await send({"type": "http.response.body", "body": b""})
        if trailers:
            fields = [(b"x-total", str(total).encode())]
            await send({"type": "http.response.trailers", "headers": fields})
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"hello from hypercorn"})
"""


def _start_server(
    argv: list[str], ports: list[int], cwd: Path, log: Path
) -> subprocess.Popen[bytes]:
    return start_process(argv, ports, cwd, log, startup_timeout=STARTUP_TIMEOUT)


class Certificates:
    """A trustme CA and a certificate for 127.0.0.1, as files and as a client context."""

    def __init__(self, directory: Path) -> None:
        ca = trustme.CA()
        issued = ca.issue_cert(HOST)
        self.key = directory / "key.pem"
        self.cert = directory / "cert.pem"
        issued.private_key_pem.write_to_path(str(self.key))
        self.cert.write_bytes(b"".join(blob.bytes() for blob in issued.cert_chain_pems))
        self.ca = ca

    def client_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context


class Peer:
    def __init__(self, port: int, tls_port: int, certificates: Certificates) -> None:
        self.base = f"http://{HOST}:{port}"
        self.tls_base = f"https://{HOST}:{tls_port}"
        self.certificates = certificates
        self.large_digest = ""


@pytest.fixture(scope="module", params=["trio", "asyncio"])
def hypercorn(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Peer]:
    """hypercorn with one worker in its own process: cleartext and TLS binds."""
    require_module("hypercorn")
    if request.param == "trio":
        require_module("trio")
    directory = tmp_path_factory.mktemp(f"hypercorn-{request.param}")
    (directory / "asgi_app.py").write_text(ASGI_APP)
    certificates = Certificates(directory)
    port, tls_port = free_port(), free_port()
    argv = [
        sys.executable,
        "-m",
        "hypercorn",
        "--worker-class",
        request.param,
        "--workers",
        "0",
        "--insecure-bind",
        f"{HOST}:{port}",
        "--bind",
        f"{HOST}:{tls_port}",
        "--certfile",
        str(certificates.cert),
        "--keyfile",
        str(certificates.key),
        "asgi_app:app",
    ]
    process = _start_server(argv, [port, tls_port], directory, directory / "hypercorn.log")
    try:
        yield Peer(port, tls_port, certificates)
    finally:
        stop_process(process)


async def _words(count: int) -> AsyncIterator[bytes]:
    for index in range(count):
        yield b"word-%d;" % index


async def test_hypercorn_http11_keep_alive(hypercorn: Peer) -> None:
    async with Client(http_version="1.1") as client:
        with trio.fail_after(10):
            responses = [await client.get(f"{hypercorn.base}/") for _ in range(3)]
            echoed = await client.post(f"{hypercorn.base}/echo", content=_words(50))
    assert [r.content for r in responses] == [b"hello from hypercorn"] * 3
    assert {r.headers.get("x-client-port") for r in responses} == {
        echoed.headers.get("x-client-port")
    }
    assert {r.http_version for r in [*responses, echoed]} == {"1.1"}
    assert echoed.content == b"".join([b"word-%d;" % i for i in range(50)])


async def test_hypercorn_h2c_prior_knowledge_multiplexing(hypercorn: Peer) -> None:
    responses = []

    async def one() -> None:
        responses.append(await client.get(f"{hypercorn.base}/"))

    async with Client(http_version="2") as client:
        with trio.fail_after(10):
            async with trio.open_nursery() as nursery:
                for _ in range(30):
                    nursery.start_soon(one)
            assert client.connection_count == 1
    assert {r.http_version for r in responses} == {"2"}
    assert {r.headers.get("x-http-version") for r in responses} == {b"2"}
    assert len({r.headers.get("x-client-port") for r in responses}) == 1


async def test_hypercorn_h2c_upgrade(hypercorn: Peer) -> None:
    async with Client(http_version="h2c-upgrade") as client:
        with trio.fail_after(10):
            first = await client.get(f"{hypercorn.base}/")
            second = await client.post(f"{hypercorn.base}/echo", content=b"after the upgrade")
            assert client.connection_count == 1
    assert (first.http_version, second.http_version) == ("2", "2")
    assert first.headers.get("x-client-port") == second.headers.get("x-client-port")
    assert second.content == b"after the upgrade"


async def test_hypercorn_tls_h2_duplex_and_trailers(hypercorn: Peer) -> None:
    context = hypercorn.certificates.client_context()
    async with Client(ssl_context=context) as client:
        with trio.fail_after(10):
            response = await client.post(
                f"{hypercorn.tls_base}/echo", content=b"x" * 200_000, headers={"te": "trailers"}
            )
            assert response.http_version == "2" and len(response.content) == 200_000
            assert response.trailers.get("x-total") == b"200000"
            async with client.open_stream(
                "POST", f"{hypercorn.tls_base}/echo", headers={"te": "trailers"}
            ) as exchange:
                assert (await exchange.receive_response()).status == 200
                for word in (b"ping", b"pong", b"done"):
                    await exchange.send_data(word)
                    assert await exchange.receive_data() == word
                await exchange.end()
                assert await exchange.receive_data() == b""
                assert exchange.trailers.get("x-total") == b"12"


async def test_hypercorn_tls_http11_when_asked(hypercorn: Peer) -> None:
    context = hypercorn.certificates.client_context()
    async with Client(http_version="1.1", ssl_context=context) as client:
        with trio.fail_after(10):
            response = await client.get(f"{hypercorn.tls_base}/")
    assert (response.http_version, response.headers.get("x-http-version")) == ("1.1", b"1.1")


# ---------------------------------------------------------------------------
# nghttpd
# ---------------------------------------------------------------------------

LARGE = 8 * 1024 * 1024


@pytest.fixture(scope="module")
def nghttpd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Peer]:
    """nghttpd serving files, cleartext (prior knowledge) and TLS; at most 2 streams."""
    binary = require("nghttpd")
    directory = tmp_path_factory.mktemp("nghttpd")
    docs = directory / "htdocs"
    docs.mkdir()
    (docs / "small.txt").write_bytes(b"hello from nghttpd\n")
    large = os.urandom(LARGE)
    (docs / "large.bin").write_bytes(large)
    certificates = Certificates(directory)
    port, tls_port = free_port(), free_port()
    common = ["-d", str(docs), "-m", "2", "--trailer", "x-peer: nghttpd", "--echo-upload"]
    plain = _start_server(
        [binary, "--no-tls", *common, str(port)], [port], directory, directory / "plain.log"
    )
    try:
        secure = _start_server(
            [binary, *common, str(tls_port), str(certificates.key), str(certificates.cert)],
            [tls_port],
            directory,
            directory / "tls.log",
        )
        try:
            peer = Peer(port, tls_port, certificates)
            peer.large_digest = hashlib.sha256(large).hexdigest()
            yield peer
        finally:
            stop_process(secure)
    finally:
        stop_process(plain)


async def test_nghttpd_prior_knowledge_small_and_trailers(nghttpd: Peer) -> None:
    async with Client(http_version="2") as client:
        with trio.fail_after(10):
            response = await client.get(f"{nghttpd.base}/small.txt")
            echoed = await client.post(f"{nghttpd.base}/echo", content=_words(20))
    assert (response.status, response.http_version) == (200, "2")
    assert response.content == b"hello from nghttpd\n"
    assert response.trailers.get("x-peer") == b"nghttpd"
    assert echoed.content == b"".join([b"word-%d;" % i for i in range(20)])


async def test_nghttpd_large_download_through_flow_control(nghttpd: Peer) -> None:
    digest = hashlib.sha256()
    most_buffered = 0
    async with Client(http_version="2") as client:
        with trio.fail_after(20):
            async with client.stream("GET", f"{nghttpd.base}/large.bin") as response:
                assert response.headers.get("content-length") == str(LARGE).encode()
                async for chunk in response.iter_bytes():
                    digest.update(chunk)
                    most_buffered = max(most_buffered, response.exchange.buffered)
                assert response.trailers.get("x-peer") == b"nghttpd"
            whole = await client.get(f"{nghttpd.base}/large.bin")
    assert digest.hexdigest() == nghttpd.large_digest
    assert hashlib.sha256(whole.content).hexdigest() == nghttpd.large_digest
    assert most_buffered <= 65535  # never more than the stream window


async def test_nghttpd_max_concurrent_streams_is_waited_for(nghttpd: Peer) -> None:
    statuses: list[int] = []

    async def one() -> None:
        statuses.append((await client.get(f"{nghttpd.base}/small.txt")).status)

    async with Client(http_version="2") as client:
        with trio.fail_after(10):
            async with trio.open_nursery() as nursery:
                for _ in range(12):
                    nursery.start_soon(one)
            assert client.connection_count == 1
    assert statuses == [200] * 12


async def test_nghttpd_tls_alpn_h2(nghttpd: Peer) -> None:
    context = nghttpd.certificates.client_context()
    async with Client(ssl_context=context) as client:
        with trio.fail_after(10):
            response = await client.get(f"{nghttpd.tls_base}/small.txt")
    assert (response.http_version, response.content) == ("2", b"hello from nghttpd\n")
