"""The application pipeline: routing, handlers, validation, negotiation, errors, HEAD/OPTIONS."""

from __future__ import annotations

import json
import logging
from collections.abc import Generator
from typing import Any

import pytest
import trio

from wire.errors import LocalProtocolError
from wire.http._rest import (
    App,
    HTTPProblem,
    JSONResponse,
    Limits,
    Request,
    Response,
    ResponseSpec,
    StreamingResponse,
)

JSON_CT = [(b"content-type", b"application/json")]


def get(app: App, path: str, *headers: tuple[bytes, bytes], method: str = "GET") -> Response:
    return app.handle_sync(Request(method, path, headers=list(headers)))


def problem(response: Response) -> dict[str, Any]:
    assert response.headers.get("content-type") == "application/problem+json"
    body: dict[str, Any] = json.loads(response.body)
    assert body["status"] == response.status
    return body


class Suspend:
    """An awaitable that really suspends, as an event loop's primitives do."""

    def __await__(self) -> Generator[None, None, None]:
        yield


# -- handlers and return values --------------------------------------------------------


def test_sync_and_async_handlers_and_return_values() -> None:
    app = App()

    @app.get("/dict/{n:int}")
    def as_dict(request: Request, n: int) -> dict[str, int]:
        return {"n": n}

    @app.get("/list")
    async def as_list(request: Request) -> list[int]:
        return [1, 2]

    @app.get("/text")
    def as_text(request: Request) -> str:
        return "hé"

    @app.get("/bytes")
    def as_bytes(request: Request) -> bytes:
        return b"\x00\x01"

    @app.delete("/none")
    def as_none(request: Request) -> None:
        return None

    @app.get("/response")
    def as_response(request: Request) -> Response:
        return Response(418, body=b"teapot")

    @app.get("/bad")
    def as_bad(request: Request) -> object:
        return object()

    r = get(app, "/dict/5")
    assert (r.status, r.body, r.headers.get("content-type")) == (
        200,
        b'{"n":5}',
        "application/json",
    )
    assert get(app, "/list").body == b"[1,2]"
    r = get(app, "/text")
    assert (r.body, r.headers.get("content-type")) == ("hé".encode(), "text/plain; charset=utf-8")
    assert get(app, "/bytes").headers.get("content-type") == "application/octet-stream"
    r = get(app, "/none", method="DELETE")
    assert (r.status, r.body, r.headers.get("content-length")) == (204, b"", None)
    assert get(app, "/response").status == 418
    assert get(app, "/bad").status == 500


def test_handle_sync_refuses_handlers_that_suspend() -> None:
    app = App()

    @app.get("/slow")
    async def slow(request: Request) -> str:
        await Suspend()
        return "done"

    with pytest.raises(LocalProtocolError, match="event loop"):
        get(app, "/slow")


async def test_handle_with_an_event_loop() -> None:
    app = App()

    @app.get("/slow")
    async def slow(request: Request) -> str:
        await trio.sleep(0)
        return "done"

    response = await app.handle(Request("GET", "/slow"))
    assert response.body == b"done"


def test_internal_errors_are_logged_and_not_leaked(caplog: pytest.LogCaptureFixture) -> None:
    ids = iter(["first", "second"])
    app = App(error_id=lambda: next(ids))

    @app.get("/boom")
    def boom(request: Request) -> str:
        raise KeyError("database password is hunter2")

    with caplog.at_level(logging.ERROR, logger="wire.http.rest"):
        response = get(app, "/boom")
    body = problem(response)
    assert response.status == 500
    assert body["id"] == "first" and body["instance"] == "/boom"
    assert "hunter2" not in response.body.decode()
    assert "first" in caplog.text and "hunter2" in caplog.text  # the log has the details
    assert problem(get(app, "/boom"))["id"] == "second"


def test_default_error_ids_count() -> None:
    app = App()

    @app.get("/boom")
    def boom(request: Request) -> str:
        raise ValueError

    assert problem(get(app, "/boom"))["id"] == "00000001"
    assert problem(get(app, "/boom"))["id"] == "00000002"


def test_handlers_raise_problems() -> None:
    app = App()

    @app.get("/teapot")
    def teapot(request: Request) -> str:
        raise HTTPProblem(503, "later", headers={"retry-after": "5"})

    r = get(app, "/teapot")
    assert r.status == 503 and r.headers.get("retry-after") == "5"
    assert problem(r)["detail"] == "later"


# -- routing statuses ---------------------------------------------------------------------


def test_404_405_options_and_501() -> None:
    app = App(openapi_url=None)

    @app.route("/things/{id:int}", ["GET", "PUT"])
    def thing(request: Request, id: int) -> dict[str, int]:
        return {"id": id}

    assert problem(get(app, "/nothing"))["status"] == 404
    r = get(app, "/things/1", method="DELETE")
    assert r.status == 405 and r.headers.get("allow") == "GET, HEAD, OPTIONS, PUT"
    r = get(app, "/things/1", method="OPTIONS")
    assert (r.status, r.headers.get("allow"), r.body) == (204, "GET, HEAD, OPTIONS, PUT", b"")
    assert get(app, "/things/1", method="BREW").status == 501
    # QUERY (draft-ietf-httpbis-safe-method-w-body) is known: 405 with Allow, not 501.
    r = get(app, "/things/1", method="QUERY")
    assert r.status == 405 and r.headers.get("allow") == "GET, HEAD, OPTIONS, PUT"
    r = get(app, "*", method="OPTIONS")
    assert r.status == 204 and "PUT" in (r.headers.get("allow") or "")
    assert get(app, "*").status == 400
    assert get(app, "/openapi.json").status == 404


def test_head_is_get_without_the_body() -> None:
    app = App()

    @app.get("/page")
    def page(request: Request) -> str:
        return "x" * 10

    r = get(app, "/page", method="HEAD")
    assert (r.status, r.body, r.headers.get("content-length")) == (200, b"", "10")
    assert r.headers.get("etag") == get(app, "/page").headers.get("etag")


class RecordingStream:
    """An async iterator that records being closed."""

    def __init__(self) -> None:
        self.closed = False

    def __aiter__(self) -> RecordingStream:
        return self

    async def __anext__(self) -> bytes:
        return b"never read"

    async def aclose(self) -> None:
        self.closed = True


async def test_head_releases_a_stream() -> None:
    app = App()
    source = RecordingStream()

    @app.get("/stream")
    def stream(request: Request) -> StreamingResponse:
        return StreamingResponse(source)

    r = await app.handle(Request("HEAD", "/stream"))
    assert type(r) is Response and r.body == b"" and r.headers.get("content-length") is None
    assert r.headers.get("content-type") == "application/octet-stream"
    assert source.closed


def test_limits() -> None:
    app = App(limits=Limits(max_target_length=20, max_body_size=4, max_query_params=2))

    @app.post("/e")
    def echo(request: Request) -> bytes:
        return request.body

    r = get(app, "/" + "x" * 30)
    assert r.status == 414 and "instance" not in problem(r)
    assert app.handle_sync(Request("GET", "/e", query="x" * 30)).status == 414
    assert app.handle_sync(Request("POST", "/e", body=b"12345")).status == 413
    assert app.handle_sync(Request("POST", "/e", body=b"1234")).status == 200
    r = app.handle_sync(Request("POST", "/e?a&b&c"))
    assert r.status == 400 and "3" not in problem(r)["detail"]
    assert get(app, "nope").status == 400
    assert get(app, "/e/%FF").status == 400


def test_registration_errors() -> None:
    app = App()

    def handler(request: Request) -> str:
        return ""

    app.add_route("/a", handler, ["GET"])
    app.add_route("/b", handler, ["GET"])  # the same handler may serve two routes
    with pytest.raises(LocalProtocolError):
        app.add_route("/c", lambda request: "", ["GET"], name="handler")
    for methods in ([], ["G ET"]):
        with pytest.raises(LocalProtocolError):
            app.add_route("/d", handler, methods)
    with pytest.raises(LocalProtocolError):
        app.add_route("/d", handler, ["POST"], body={"type": "integr"})
    bad_queries: list[dict[str, Any]] = [
        {"type": "array"},
        {"type": "object", "minLength": 1},
        {"properties": {"a": {"type": "object"}}},
        {"properties": {"a": {}}},
        {"properties": {"a": {"type": "array", "items": {"type": "array"}}}},
        {"properties": {"a": {"type": "array"}}},
        {"additionalProperties": {"type": "string"}},
    ]
    for query in bad_queries:
        with pytest.raises(LocalProtocolError):
            app.add_route("/d", handler, ["GET"], query=query)
    with pytest.raises(LocalProtocolError):
        app.add_route("/a", handler, ["GET"])


def test_url_for_routes_and_docstrings() -> None:
    app = App()

    @app.put("/users/{user_id:int}/files/{name:path}", name="file", tags=["files"])
    def put_file(request: Request, user_id: int, name: str) -> None:
        """Store a file.

        The body is the content.
        """

    assert app.url_for("file", user_id=3, name="a b/c") == "/users/3/files/a%20b/c"
    with pytest.raises(LocalProtocolError):
        app.url_for("nope")
    route = app.routes[-1]
    assert (route.summary, route.description, route.tags) == (
        "Store a file.",
        "The body is the content.",
        ("files",),
    )
    assert route.responses == {200: ResponseSpec("Success")}
    assert app.routes[0].name == "openapi"


# -- negotiation ------------------------------------------------------------------------


def test_content_negotiation() -> None:
    app = App(auto_etag=False)

    @app.get("/doc", produces=["application/json", "text/html", "application/vnd.x+json"])
    def doc(request: Request) -> Any:
        if request.response_media_type == "text/html":
            return "<p>hi</p>"
        return {"hi": True}

    @app.get("/raw", produces=["image/png", "text/plain; charset=latin-1"])
    def raw(request: Request) -> Any:
        if request.response_media_type == "image/png":
            return b"\x89PNG"
        return "plain"

    r = get(app, "/doc")
    assert r.headers.get("content-type") == "application/json" and r.headers.get("vary") == "Accept"
    r = get(app, "/doc", (b"accept", b"text/html"))
    assert r.headers.get("content-type") == "text/html; charset=utf-8"
    r = get(app, "/doc", (b"accept", b"application/vnd.x+json"))
    assert r.headers.get("content-type") == "application/vnd.x+json"
    r = get(app, "/doc", (b"accept", b"image/*"))
    assert r.status == 406 and "application/json" in problem(r)["detail"]
    r = get(app, "/doc", (b"accept", b"text/html;q=0.1"), (b"accept", b"application/json;q=0.2"))
    assert r.headers.get("content-type") == "application/json"
    assert get(app, "/raw").headers.get("content-type") == "image/png"
    r = get(app, "/raw", (b"accept", b"text/plain"))
    assert r.headers.get("content-type") == "text/plain; charset=latin-1"


# -- bodies and queries --------------------------------------------------------------------

ITEM = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "n": {"type": "integer", "minimum": 0}},
    "required": ["name"],
}


def body_app(max_errors: int = 50) -> App:
    app = App(limits=Limits(max_validation_errors=max_errors))

    @app.post("/items", body=ITEM)
    def create(request: Request) -> JSONResponse:
        return JSONResponse(request.json(), 201)

    @app.patch("/items", body={"type": "object"}, consumes=["application/merge-patch+json"])
    def patch(request: Request) -> dict[str, Any]:
        return dict(request.json())

    @app.post("/free")
    def free(request: Request) -> Any:
        return request.json()

    return app


def post(app: App, path: str, body: bytes, ctype: bytes | None, method: str = "POST") -> Response:
    headers = [(b"content-type", ctype)] if ctype else []
    return app.handle_sync(Request(method, path, headers=headers, body=body))


def test_json_bodies() -> None:
    app = body_app()
    r = post(app, "/items", b'{"name": "a", "n": 1}', b"application/json; charset=utf-8")
    assert (r.status, r.body) == (201, b'{"name":"a","n":1}')
    r = post(app, "/items", b'{"name": "a"}', b"text/plain")
    assert r.status == 415 and r.headers.get("accept") == "application/json"
    assert r.headers.get("accept-patch") is None
    assert post(app, "/items", b'{"name": "a"}', None).status == 415
    r = post(app, "/items", b'{"name": 1', b"application/json")
    assert r.status == 400 and "not JSON" in problem(r)["detail"]
    r = post(app, "/items", b'{"n": -1, "name": 2}', b"application/json")
    assert r.status == 422
    assert problem(r)["errors"] == [  # in the order of the body's members
        {"pointer": "/n", "detail": "must be at least 0"},
        {"pointer": "/name", "detail": "expected string, got integer"},
    ]
    r = post(app, "/items", b"{}", b"application/json", method="PATCH")
    assert r.status == 415 and r.headers.get("accept-patch") == "application/merge-patch+json"
    assert post(app, "/items", b"{}", b"application/merge-patch+json", method="PATCH").status == 200
    assert post(app, "/free", b"[1]", None).body == b"[1]"
    assert post(app, "/free", b"[1", None).status == 400


def test_validation_errors_are_capped() -> None:
    app = App(limits=Limits(max_validation_errors=3))

    @app.post("/many", body={"type": "array", "items": {"type": "string"}})
    def many(request: Request) -> None:
        return None

    r = post(app, "/many", json.dumps(list(range(50))).encode(), b"application/json")
    assert len(problem(r)["errors"]) == 3


def test_query_validation_and_conversion() -> None:
    app = App()
    seen: list[dict[str, Any]] = []

    @app.get(
        "/search",
        query={
            "type": "object",
            "properties": {
                "q": {"type": "string", "minLength": 1},
                "limit": {"type": "integer", "minimum": 1, "default": 10},
                "ratio": {"type": "number"},
                "exact": {"type": "boolean"},
                "tag": {"type": "array", "items": {"type": ["integer", "string"]}},
                "maybe": {"type": ["null", "integer"]},
            },
            "required": ["q"],
            "additionalProperties": False,
        },
    )
    def search(request: Request) -> None:
        seen.append(request.query_values)

    @app.get("/loose", query={"properties": {"a": {"type": "integer"}}})
    def loose(request: Request) -> None:
        seen.append(request.query_values)

    ok = get(app, "/search?q=x&ratio=2.5e1&exact=true&tag=1&tag=b&maybe=3&ratio=9")
    assert ok.status == 204
    assert seen[-1] == {
        "q": "x",
        "limit": 10,
        "ratio": 25.0,
        "exact": True,
        "tag": [1, "b"],
        "maybe": 3,
    }
    get(app, "/search?q=x&ratio=3&exact=false")
    assert seen[-1]["ratio"] == 3 and type(seen[-1]["ratio"]) is int and seen[-1]["exact"] is False
    r = get(app, "/search?limit=0&ratio=x&exact=yes&other=1")
    assert r.status == 422
    assert problem(r)["errors"] == [
        {"parameter": "q", "detail": "is required"},
        {"parameter": "limit", "detail": "must be at least 1"},
        {"parameter": "ratio", "detail": "expected number, got string"},
        {"parameter": "exact", "detail": "expected boolean, got string"},
        {"parameter": "other", "detail": "is not an allowed parameter"},
    ]
    assert get(app, "/loose?b=1").status == 204 and seen[-1] == {}


# -- OpenAPI endpoint -------------------------------------------------------------------------


def test_openapi_is_served_and_refreshed() -> None:
    app = App(title="T", version="9")
    r = get(app, "/openapi.json")
    assert r.status == 200 and json.loads(r.body)["info"] == {"title": "T", "version": "9"}
    assert json.loads(r.body)["paths"] == {}

    @app.get("/new")
    def new(request: Request) -> str:
        return ""

    assert "/new" in json.loads(get(app, "/openapi.json").body)["paths"]
    assert get(app, "/openapi.json").body == get(app, "/openapi.json").body  # cached
