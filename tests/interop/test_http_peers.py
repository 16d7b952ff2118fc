"""Interop: real HTTP clients nobody here wrote, against the live server.

curl (HTTP/1.1, h2c by prior knowledge, h2c upgrade, TLS with ALPN), nghttp
(prior knowledge, upgrade, TLS), h2load (h2c, TLS, HTTP/1.1) and httpx (sync
and async, HTTP/1.1 and HTTP/2 over TLS), each checked for the protocol
version actually used, not just for a 200. Every executable comes through
``tests.peers.require``: missing locally, the test skips; under
``WIRE_REQUIRE_PEERS=1`` it fails.
"""

from __future__ import annotations

import json
import re
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx
import pytest
import trio
import trustme
from tests.peers import require, require_module

from servers.http import serve_http
from wire.http import demo_app, rest

Address = tuple[str, int]

#: Seconds any one client run may take. The loads below finish in about a
#: second on an idle machine; the margin is for a machine shared with other runs.
PEER_TIMEOUT = 60.0
GREETING = "Hello, world!"
#: h2load's load: requests, clients, streams per client (the issue's figures).
LOAD = ("-n", "2000", "-c", "10", "-m", "10")


@dataclass(frozen=True)
class TLS:
    server: ssl.SSLContext
    client: ssl.SSLContext
    ca_file: Path


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TLS:
    """A test CA (trustme), a certificate for 127.0.0.1, and the CA as a PEM file."""
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return TLS(server, client, ca_file)


@pytest.fixture
async def server(nursery: trio.Nursery) -> Address:
    """The demo application, clear text (HTTP/1.1, h2c prior knowledge and upgrade)."""
    address: Address = await nursery.start(serve_http, "127.0.0.1", 0)
    return address


@pytest.fixture
async def tls_server(nursery: trio.Nursery, tls: TLS) -> Address:
    """The demo application over TLS, ALPN h2 and http/1.1."""
    address: Address = await nursery.start(
        partial(serve_http, "127.0.0.1", 0, ssl_context=tls.server)
    )
    return address


@pytest.fixture
async def sse_server(nursery: trio.Nursery) -> Address:
    """The demo application with real pauses between Server-Sent Events."""
    app = demo_app(now=trio.current_time, sleep=trio.sleep)
    address: Address = await nursery.start(partial(serve_http, "127.0.0.1", 0, app=app))
    return address


def url(address: Address, path: str, scheme: str = "http") -> str:
    return f"{scheme}://{address[0]}:{address[1]}{path}"


async def run(*argv: str | Path) -> tuple[str, str]:
    """Run a peer to completion; its stdout and stderr, as text."""
    with trio.fail_after(PEER_TIMEOUT):
        result = await trio.run_process(
            [str(arg) for arg in argv], capture_stdout=True, capture_stderr=True, check=False
        )
    stdout = result.stdout.decode(errors="replace")
    stderr = result.stderr.decode(errors="replace")
    assert result.returncode == 0, (argv, result.returncode, stdout[-2000:], stderr[-2000:])
    return stdout, stderr


# ---------------------------------------------------------------------------
# curl
# ---------------------------------------------------------------------------

#: Written by curl after each transfer (``-w``): status, version, new connections.
_MARK = "\n@@ %{http_code} %{http_version} %{num_connects}\n"
_MARK_RE = re.compile(r"\n@@ (\d+) ([\d.]+) (\d+)\n")


@dataclass(frozen=True)
class Transfer:
    body: str
    status: int
    version: str
    new_connections: int


def transfers(stdout: str) -> list[Transfer]:
    """Split curl's output (bodies, each followed by ``_MARK``) into transfers."""
    out: list[Transfer] = []
    position = 0
    for match in _MARK_RE.finditer(stdout):
        status, version, connects = match.groups()
        out.append(Transfer(stdout[position : match.start()], int(status), version, int(connects)))
        position = match.end()
    return out


async def curl(*args: str | Path) -> tuple[list[Transfer], str]:
    stdout, stderr = await run(require("curl"), "-sS", "-v", "-w", _MARK, *args)
    return transfers(stdout), stderr


async def test_curl_http1_keep_alive_reuses_one_connection(server: Address) -> None:
    done, trace = await curl(
        "--http1.1", url(server, "/hello"), url(server, "/items"), url(server, "/hello")
    )
    assert [(t.status, t.version) for t in done] == [(200, "1.1")] * 3
    assert [t.new_connections for t in done] == [1, 0, 0]
    assert trace.count("Re-using existing connection") == 2
    assert done[0].body == done[2].body == GREETING
    assert json.loads(done[1].body)["total"] == 0


async def test_curl_http1_post_json(server: Address) -> None:
    done, trace = await curl(
        "--http1.1",
        "-H",
        "content-type: application/json",
        "--data",
        '{"name":"cup","price":1.5}',
        url(server, "/items"),
    )
    [created] = done
    assert (created.status, created.version) == (201, "1.1")
    assert json.loads(created.body) == {"id": 1, "name": "cup", "price": 1.5}
    assert re.search(r"< location: /items/1\r?\n", trace, re.IGNORECASE)


async def test_curl_http1_chunked_upload(server: Address, tmp_path: Path) -> None:
    body = tmp_path / "item.json"
    body.write_text(json.dumps({"name": "chunky", "price": 2, "tags": ["x" * 30] * 10}))
    done, trace = await curl(
        "--http1.1",
        "-H",
        "content-type: application/json",
        "-H",
        "Transfer-Encoding: chunked",
        "--data-binary",
        f"@{body}",
        url(server, "/items"),
    )
    assert "> Transfer-Encoding: chunked" in trace  # curl really sent it chunked
    [created] = done
    assert created.status == 201
    assert json.loads(created.body)["name"] == "chunky"


async def test_curl_http1_head(server: Address) -> None:
    done, trace = await curl("--http1.1", "--head", url(server, "/hello"))
    [head] = done
    assert (head.status, head.version) == (200, "1.1")
    assert re.search(r"< content-length: 13\r?\n", trace, re.IGNORECASE)
    # --head prints the header section as the body: no content follows it.
    assert GREETING not in head.body


async def test_curl_expect_100_continue_succeeds(server: Address) -> None:
    done, _ = await curl(
        "--http1.1",
        "--expect100-timeout",
        "1",
        "-H",
        "Expect: 100-continue",
        "-H",
        "content-type: application/json",
        "--data",
        '{"name":"wait","price":1}',
        url(server, "/items"),
    )
    assert [t.status for t in done] == [201]


async def test_curl_expect_100_continue_gets_100(server: Address) -> None:
    done, trace = await curl(
        "--http1.1",
        "--expect100-timeout",
        "1",
        "-H",
        "Expect: 100-continue",
        "-H",
        "content-type: application/json",
        "--data",
        '{"name":"wait","price":1}',
        url(server, "/items"),
    )
    assert [t.status for t in done] == [201]
    assert "< HTTP/1.1 100 Continue" in trace
    assert "Done waiting for 100-continue" not in trace


async def test_curl_expect_suppressed_for_a_large_body(server: Address, tmp_path: Path) -> None:
    """curl adds Expect: 100-continue to bodies over 1 MiB; ``-H Expect:`` removes it."""
    body = tmp_path / "big.json"
    body.write_text(json.dumps({"name": "big", "price": 1, "tags": []}) + " " * 1_100_000)
    done, trace = await curl(
        "--http1.1",
        "-H",
        "Expect:",
        "-H",
        "content-type: application/json",
        "--data-binary",
        f"@{body}",
        url(server, "/items"),
    )
    assert "> Expect" not in trace
    # Over the application's 1 MiB JSON limit: refused after the body arrived.
    assert [t.status for t in done] == [413]


async def test_curl_expect_100_continue_refused_up_front(
    nursery: trio.Nursery, tmp_path: Path
) -> None:
    """A body over the limit is refused from its head: curl never uploads it."""
    app = demo_app()
    app.limits = rest.Limits(max_body_size=1000)
    address: Address = await nursery.start(partial(serve_http, "127.0.0.1", 0, app=app))
    body = tmp_path / "big.json"
    body.write_text("x" * 5000)
    started = trio.current_time()
    done, trace = await curl(
        "--http1.1",
        "--expect100-timeout",
        "5",
        "-H",
        "Expect: 100-continue",
        "--data-binary",
        f"@{body}",
        url(address, "/items"),
    )
    assert [t.status for t in done] == [413]
    assert trio.current_time() - started < 4  # the 413 came before curl's timeout
    assert "Done waiting for 100-continue" not in trace


async def test_curl_http2_prior_knowledge(server: Address) -> None:
    # One URL per run: curl 7.88 (Debian 12) cannot reuse a prior-knowledge
    # connection, against any server (curl issue #10634, fixed in 8.0).
    done, trace = await curl("--http2-prior-knowledge", url(server, "/hello"))
    assert [(t.status, t.version, t.body) for t in done] == [(200, "2", GREETING)]
    assert "Upgrade" not in trace


async def test_curl_http2_prior_knowledge_post(server: Address) -> None:
    done, _ = await curl(
        "--http2-prior-knowledge",
        "-H",
        "content-type: application/json",
        "--data",
        '{"name":"h2","price":2}',
        url(server, "/items"),
    )
    [created] = done
    assert (created.status, created.version) == (201, "2")
    assert json.loads(created.body)["name"] == "h2"


async def test_curl_h2c_upgrade_then_reuse(server: Address) -> None:
    """After the upgrade, the next request is a new stream on the same connection."""
    done, trace = await curl("--http2", url(server, "/hello"), url(server, "/items"))
    assert [(t.status, t.version) for t in done] == [(200, "2"), (200, "2")]
    assert [t.new_connections for t in done] == [1, 0]
    assert trace.count("101 Switching Protocols") == 1


async def test_curl_h2c_upgrade(server: Address) -> None:
    done, trace = await curl("--http2", url(server, "/hello"))
    [hello] = done
    assert (hello.status, hello.version, hello.body) == (200, "2", GREETING)
    assert "> Upgrade: h2c" in trace
    assert "< HTTP/1.1 101 Switching Protocols" in trace


@pytest.mark.parametrize(("flag", "version"), [("--http2", "2"), ("--http1.1", "1.1")])
async def test_curl_tls_alpn(tls_server: Address, tls: TLS, flag: str, version: str) -> None:
    done, trace = await curl("--cacert", tls.ca_file, flag, url(tls_server, "/hello", "https"))
    [hello] = done
    assert (hello.status, hello.version, hello.body) == (200, version, GREETING)
    alpn = "h2" if version == "2" else "http/1.1"
    assert f"ALPN: server accepted {alpn}" in trace or f"ALPN, server accepted to use {alpn}" in (
        trace
    )
    assert "SSL certificate verify ok" in trace


async def test_curl_sse_stream(sse_server: Address) -> None:
    stdout, _ = await run(
        require("curl"), "-sS", "-N", "--http1.1", url(sse_server, "/events?count=3&interval=0.05")
    )
    events = [block for block in stdout.split("\n\n") if block.strip()]
    assert [re.findall(r"^id: (\d+)$", block, re.M) for block in events] == [["0"], ["1"], ["2"]]
    assert all("event: tick" in block for block in events)


# ---------------------------------------------------------------------------
# nghttp
# ---------------------------------------------------------------------------


def _nghttp_checks(output: str, stream_id: int, *, settings_ack: bool = True) -> None:
    """The server's SETTINGS came first, then the answer on ``stream_id``, ended, no GOAWAY."""
    received = re.findall(r"recv (\w+) frame", output)
    assert received[0] == "SETTINGS", received
    if settings_ack:  # after an upgrade, the 101 acknowledges nghttp's settings instead
        assert re.search(r"recv SETTINGS frame <length=0, flags=0x01, stream_id=0>", output)
    assert f"recv (stream_id={stream_id}) :status: 200" in output
    assert re.search(rf"recv DATA frame <length=13, flags=0x0[01], stream_id={stream_id}>", output)
    # END_STREAM (flags 0x01) on a DATA or HEADERS frame of the stream.
    assert re.search(
        rf"recv (?:DATA|HEADERS) frame <length=\d+, flags=0x0[15], stream_id={stream_id}>", output
    )
    assert "recv GOAWAY" not in output


async def test_nghttp_prior_knowledge(server: Address) -> None:
    stdout, _ = await run(require("nghttp"), "-nv", url(server, "/hello"))
    assert "send HEADERS frame" in stdout
    _nghttp_checks(stdout, 13)  # nghttp opens priority placeholders on 3..11 first


async def test_nghttp_upgrade(server: Address) -> None:
    stdout, _ = await run(require("nghttp"), "-nvu", url(server, "/hello"))
    assert "HTTP/1.1 101 Switching Protocols" in stdout
    assert "HTTP Upgrade success" in stdout
    _nghttp_checks(stdout, 1, settings_ack=False)  # the upgraded request is stream 1


async def test_nghttp_tls(tls_server: Address) -> None:
    stdout, _ = await run(require("nghttp"), "-nv", url(tls_server, "/hello", "https"))
    assert "The negotiated protocol: h2" in stdout
    _nghttp_checks(stdout, 13)


async def test_nghttp_upload(server: Address, tmp_path: Path) -> None:
    body = tmp_path / "item.json"
    body.write_text('{"name":"ng","price":4}')
    stdout, _ = await run(
        require("nghttp"),
        "-v",
        "-d",
        body,
        "-H",
        "content-type: application/json",
        url(server, "/items"),
    )
    assert "recv (stream_id=13) :status: 201" in stdout
    assert '{"id":1,"name":"ng","price":4}' in stdout


# ---------------------------------------------------------------------------
# h2load
# ---------------------------------------------------------------------------

_REQUESTS_RE = re.compile(
    r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
    r"(\d+) errored, (\d+) timeout"
)
_STATUS_RE = re.compile(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx")


async def _h2load(*args: str) -> str:
    stdout, _ = await run(require("h2load"), *LOAD, *args)
    requests = _REQUESTS_RE.search(stdout)
    statuses = _STATUS_RE.search(stdout)
    assert requests and statuses, stdout
    total, started, done, succeeded, failed, errored, timeout = map(int, requests.groups())
    assert (total, started, done, succeeded) == (2000, 2000, 2000, 2000), stdout
    assert (failed, errored, timeout) == (0, 0, 0), stdout
    assert statuses.groups() == ("2000", "0", "0", "0"), stdout
    return stdout


async def test_h2load_h2c(server: Address) -> None:
    stdout = await _h2load(url(server, "/hello"))
    assert "Application protocol: h2c" in stdout


async def test_h2load_tls(tls_server: Address) -> None:
    stdout = await _h2load(url(tls_server, "/hello", "https"))
    assert "Application protocol: h2" in stdout


async def test_h2load_http1(server: Address) -> None:
    stdout = await _h2load("--h1", url(server, "/hello"))
    assert "Application protocol: http/1.1" in stdout


# ---------------------------------------------------------------------------
# httpx
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("http2", [False, True], ids=["http1", "http2"])
async def test_httpx_sync_tls(tls_server: Address, tls: TLS, http2: bool) -> None:
    require_module("h2")

    def fetch() -> list[httpx.Response]:
        with httpx.Client(verify=tls.client, http1=not http2, http2=http2) as client:
            created = client.post(
                url(tls_server, "/items", "https"), json={"name": "a", "price": 1}
            )
            return [client.get(url(tls_server, "/hello", "https")), created]

    with trio.fail_after(PEER_TIMEOUT):
        hello, created = await trio.to_thread.run_sync(fetch)
    version = "HTTP/2" if http2 else "HTTP/1.1"
    assert (hello.http_version, hello.status_code, hello.text) == (version, 200, GREETING)
    assert (created.http_version, created.status_code) == (version, 201)


@pytest.mark.parametrize("http2", [False, True], ids=["http1", "http2"])
async def test_httpx_async_tls(tls_server: Address, tls: TLS, http2: bool) -> None:
    require_module("h2")
    with trio.fail_after(PEER_TIMEOUT):
        async with httpx.AsyncClient(verify=tls.client, http1=not http2, http2=http2) as client:
            # Concurrent requests: over HTTP/2 they share one connection as streams.
            responses: list[httpx.Response] = []

            async def get(path: str) -> None:
                responses.append(await client.get(url(tls_server, path, "https")))

            async with trio.open_nursery() as nursery:
                for _ in range(5):
                    nursery.start_soon(get, "/hello")
    version = "HTTP/2" if http2 else "HTTP/1.1"
    assert [(r.http_version, r.status_code, r.text) for r in responses] == [
        (version, 200, GREETING)
    ] * 5


async def _sse_events(response: httpx.Response) -> AsyncIterator[tuple[float, str]]:
    """(arrival time, event id) for each event, as the bytes arrive."""
    block: list[str] = []
    async for line in response.aiter_lines():
        if line:
            block.append(line)
            continue
        ids = [entry.removeprefix("id: ") for entry in block if entry.startswith("id: ")]
        if ids:
            yield trio.current_time(), ids[0]
        block = []


@pytest.mark.parametrize("http2", [False, True], ids=["http1", "http2"])
async def test_httpx_sse_arrives_as_sent(sse_server: Address, http2: bool) -> None:
    """Each event reaches the client when sent, not at the end of the stream."""
    interval = 0.5
    with trio.fail_after(PEER_TIMEOUT):
        async with (
            httpx.AsyncClient(http1=not http2, http2=http2) as client,
            client.stream(
                "GET", url(sse_server, f"/events?count=3&interval={interval}")
            ) as response,
        ):
            assert response.headers["content-type"].startswith("text/event-stream")
            assert response.http_version == ("HTTP/2" if http2 else "HTTP/1.1")
            started = trio.current_time()
            arrivals = [event async for event in _sse_events(response)]
    assert [event_id for _, event_id in arrivals] == ["0", "1", "2"]
    first, last = arrivals[0][0] - started, arrivals[-1][0] - started
    # The first event came long before the last one was produced (2 intervals later).
    assert first < interval and last >= 1.5 * interval
