"""Conditional requests and gzip through the application (RFC 9110 §13, §8.4, §12.5.3)."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from tests.wire.http.test_rest_app import RecordingStream

from wire.errors import LocalProtocolError
from wire.http._rest import (
    App,
    Compression,
    EventSourceResponse,
    HTTPProblem,
    Request,
    Response,
    StreamingResponse,
    make_etag,
)

BIG = "word " * 400  # 2000 bytes: above the default minimum size
GZIP = (b"accept-encoding", b"gzip")
MOMENT = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def request(app: App, path: str, *headers: tuple[bytes, bytes], method: str = "GET") -> Response:
    return app.handle_sync(Request(method, path, headers=list(headers)))


def make_app(**options: Any) -> App:
    app = App(**options)

    @app.get("/big")
    def big(request: Request) -> str:
        return BIG

    @app.get("/small")
    def small(request: Request) -> str:
        return "tiny"

    @app.get("/dated", auto_etag=False)
    def dated(request: Request) -> Response:
        response = Response(200, body=b"x")
        response.last_modified = MOMENT
        response.headers.set("cache-control", "max-age=60")
        response.set_cookie("seen", "1")
        return response

    @app.get("/tagged")
    def tagged(request: Request) -> Response:
        response = Response(200, body=BIG.encode(), media_type="text/plain")
        response.etag = 'W/"v7"'
        return response

    @app.post("/post")
    def post(request: Request) -> str:
        return BIG

    return app


# -- ETag and If-None-Match / If-Modified-Since after the handler -----------------------------


def test_auto_etag_and_304() -> None:
    app = make_app()
    first = request(app, "/small")
    tag = first.headers.get("etag")
    assert tag == make_etag(b"tiny")
    r = request(app, "/small", (b"if-none-match", tag.encode()))
    assert (r.status, r.body, r.headers.get("etag")) == (304, b"", tag)
    assert r.headers.get("content-length") is None and r.headers.get("content-type") is None
    r = request(app, "/small", (b"if-none-match", b'"other", W/' + tag.encode()))
    assert r.status == 304
    assert request(app, "/small", (b"if-none-match", b'"other"')).status == 200
    assert request(app, "/small", (b"if-none-match", tag.encode()), method="HEAD").status == 304
    r = request(app, "/small", (b"if-match", b'"other"'))
    assert r.status == 412 and r.headers.get("content-type") == "application/problem+json"
    assert request(app, "/small", (b"if-match", tag.encode())).status == 200
    # Unsafe methods get no automatic ETag and no after-the-fact preconditions.
    r = request(app, "/post", (b"if-match", b'"nope"'), method="POST")
    assert r.status == 200 and r.headers.get("etag") is None


def test_auto_etag_can_be_turned_off() -> None:
    assert request(make_app(auto_etag=False), "/small").headers.get("etag") is None


def test_last_modified_and_if_modified_since() -> None:
    app = make_app()
    since = b"Tue, 02 Jan 2024 03:04:05 GMT"
    r = request(app, "/dated", (b"if-modified-since", since))
    assert r.status == 304
    assert [name for name, _ in r.headers] == ["last-modified", "cache-control", "set-cookie"]
    r = request(app, "/dated", (b"if-modified-since", b"Mon, 01 Jan 2024 00:00:00 GMT"))
    assert r.status == 200
    r = request(app, "/dated", (b"if-unmodified-since", b"Mon, 01 Jan 2024 00:00:00 GMT"))
    assert r.status == 412


def test_errors_ignore_preconditions() -> None:
    app = make_app()
    assert request(app, "/nothing", (b"if-none-match", b"*")).status == 404


async def test_a_stream_that_is_not_modified_is_closed() -> None:
    app = App()
    source = RecordingStream()

    @app.get("/stream")
    def stream(request: Request) -> StreamingResponse:
        response = StreamingResponse(source, media_type="text/plain")
        response.etag = '"s1"'
        return response

    r = await app.handle(Request("GET", "/stream", headers=[(b"if-none-match", b'"s1"')]))
    assert r.status == 304 and type(r) is Response and source.closed


# -- the route's etag callback: preconditions before the handler -----------------------------


def store_app() -> tuple[App, dict[int, int], list[str]]:
    app = App()
    versions: dict[int, int] = {1: 1}
    calls: list[str] = []

    async def current(request: Request, key: int) -> str | None:
        if key == 404:
            raise HTTPProblem(404, "gone")
        if key == 500:
            return "not a tag"
        version = versions.get(key)
        return None if version is None else f'"{key}.{version}"'

    @app.get("/doc/{key:int}", etag=current)
    def read(request: Request, key: int) -> Response:
        calls.append("read")
        response = Response(200, body=BIG.encode(), media_type="text/plain")
        response.etag = f'"{key}.{versions[key]}"'
        return response

    @app.put("/doc/{key:int}", etag=current)
    def write(request: Request, key: int) -> None:
        calls.append("write")
        versions[key] = versions.get(key, 0) + 1

    return app, versions, calls


def test_if_match_protects_writes() -> None:
    app, versions, calls = store_app()
    assert request(app, "/doc/1", (b"if-match", b'"1.0"'), method="PUT").status == 412
    assert calls == [] and versions[1] == 1
    assert request(app, "/doc/1", (b"if-match", b'"1.1"'), method="PUT").status == 204
    assert versions[1] == 2
    # The gzip variant's tag names the same state.
    assert request(app, "/doc/1", (b"if-match", b'"1.2-gzip"'), method="PUT").status == 204
    assert versions[1] == 3
    # If-None-Match: * creates only when absent; If-Match: * updates only when present.
    assert request(app, "/doc/1", (b"if-none-match", b"*"), method="PUT").status == 412
    assert request(app, "/doc/2", (b"if-match", b"*"), method="PUT").status == 412
    assert request(app, "/doc/2", (b"if-none-match", b"*"), method="PUT").status == 204
    assert versions[2] == 1
    assert calls == ["write", "write", "write"]
    # The callback may answer 404 itself; a bad tag is a bug (500).
    assert request(app, "/doc/404", (b"if-match", b"*"), method="PUT").status == 404
    assert request(app, "/doc/500", (b"if-match", b"*"), method="PUT").status == 500


def test_callback_304_skips_the_handler() -> None:
    app, _, calls = store_app()
    r = request(app, "/doc/1", (b"if-none-match", b'"1.1"'))
    assert (r.status, r.headers.get("etag")) == (304, '"1.1"')
    assert request(app, "/doc/1", (b"if-none-match", b'"1.1-gzip"'), GZIP).status == 304
    assert calls == []
    r = request(app, "/doc/1", GZIP)
    assert r.headers.get("etag") == '"1.1-gzip"' and calls == ["read"]


# -- gzip ---------------------------------------------------------------------------------------


def test_gzip_when_accepted() -> None:
    app = make_app()
    plain = request(app, "/big")
    assert plain.headers.get("content-encoding") is None
    assert plain.headers.get("vary") == "Accept-Encoding"
    r = request(app, "/big", GZIP)
    assert r.headers.get("content-encoding") == "gzip"
    assert gzip.decompress(r.body) == BIG.encode()
    assert r.headers.get("content-length") == str(len(r.body))
    assert r.headers.get("etag") == plain.headers.get("etag", "")[:-1] + '-gzip"'
    assert r.body[4:8] == b"\x00\x00\x00\x00"  # mtime 0: the same bytes every time
    head = request(app, "/big", GZIP, method="HEAD")
    assert head.body == b"" and head.headers.get("content-length") == str(len(r.body))
    # Revalidating the gzip variant.
    again = request(app, "/big", GZIP, (b"if-none-match", r.headers.get("etag", "").encode()))
    assert again.status == 304 and again.headers.get("vary") == "Accept-Encoding"
    weak = request(app, "/tagged", GZIP)
    assert weak.headers.get("etag") == 'W/"v7-gzip"'


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/small", [GZIP]),
        ("/big", [(b"accept-encoding", b"br")]),
        ("/big", [(b"accept-encoding", b"gzip;q=0")]),
        ("/big", [(b"accept-encoding", b"identity;q=0")]),  # nothing acceptable: identity anyway
    ],
)
def test_no_gzip(path: str, headers: list[tuple[bytes, bytes]]) -> None:
    r = request(make_app(), path, *headers)
    assert r.status == 200 and r.headers.get("content-encoding") is None


def test_what_is_never_compressed() -> None:
    app = App()

    @app.get("/png")
    def png(request: Request) -> Response:
        return Response(200, body=b"\x89PNG" * 1000, media_type="image/png")

    @app.get("/no-transform")
    def no_transform(request: Request) -> Response:
        return Response(200, {"cache-control": "public, No-Transform"}, BIG)

    @app.get("/encoded")
    def encoded(request: Request) -> Response:
        return Response(200, {"content-encoding": "br"}, BIG)

    @app.get("/untyped")
    def untyped(request: Request) -> Response:
        return Response(200, body=BIG.encode())

    @app.get("/created")
    def created(request: Request) -> Response:
        return Response(201, body=BIG)

    @app.get("/events")
    def events(request: Request) -> EventSourceResponse:
        return EventSourceResponse(["x"])

    for path in ("/png", "/no-transform", "/encoded", "/untyped", "/events"):
        r = request(app, path, GZIP)
        assert r.headers.get("content-encoding") in (None, "br"), path
        assert r.headers.get("vary") is None, path
    assert request(app, "/created", GZIP).headers.get("content-encoding") == "gzip"
    assert request(App(compression=None), "/openapi.json", GZIP).headers.get("vary") is None


async def test_streaming_gzip_flushes_each_chunk() -> None:
    app = App()

    @app.get("/lines")
    def lines(request: Request) -> StreamingResponse:
        def source() -> Iterator[str]:
            yield "line one\n"
            yield "line two\n"

        return StreamingResponse(source(), media_type="application/x-ndjson+json")

    r = await app.handle(Request("GET", "/lines", headers=[GZIP]))
    assert isinstance(r, StreamingResponse)
    assert r.headers.get("content-encoding") == "gzip"
    assert r.headers.get("content-length") is None
    decompressor = zlib.decompressobj(31)
    seen = [decompressor.decompress(chunk) async for chunk in r.iter_body()]
    assert seen[:2] == [b"line one\n", b"line two\n"]  # each chunk decodes on arrival
    assert b"".join(seen) + decompressor.flush() == b"line one\nline two\n"


async def test_head_of_a_gzip_stream_closes_the_source() -> None:
    app = App()
    closed: list[bool] = []

    @app.get("/lines")
    def lines(request: Request) -> StreamingResponse:
        def source() -> Iterator[str]:
            try:
                yield "line\n"
            finally:
                closed.append(True)

        iterator = source()
        next(iterator)  # started, so that closing it runs the finally block
        return StreamingResponse(iterator, media_type="text/plain")

    r = await app.handle(Request("HEAD", "/lines", headers=[GZIP]))
    assert type(r) is Response and r.body == b""
    assert r.headers.get("content-encoding") == "gzip" and closed == [True]


def test_compression_config() -> None:
    with pytest.raises(LocalProtocolError):
        Compression(level=0)
    with pytest.raises(LocalProtocolError):
        Compression(minimum_size=-1)
    c = Compression()
    assert c.allows("text/html; charset=utf-8")
    assert c.allows("application/problem+json")
    assert c.allows("image/svg+xml")
    assert not c.allows("image/png")
    assert not c.allows("application/octet-stream")
    assert not c.allows("text/event-stream")
    assert not c.allows("application/zip")
