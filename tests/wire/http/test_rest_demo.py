"""The demo application: /hello, the /items resource, /events and /openapi.json."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.wire.http.test_rest_sse import Dispatched, parse_event_stream

from wire.errors import LocalProtocolError
from wire.http._rest import App, EventSourceResponse, Request, Response
from wire.http._rest_demo import ITEM_SCHEMA, demo_app


def call(
    app: App, method: str, path: str, body: Any = None, *headers: tuple[str, str], ctype: str = ""
) -> Response:
    raw = [(n.encode(), v.encode()) for n, v in headers]
    data = b""
    if body is not None:
        data = json.dumps(body).encode()
        raw.append((b"content-type", (ctype or "application/json").encode()))
    return app.handle_sync(Request(method, path, headers=raw, body=data))


def test_hello_is_minimal() -> None:
    r = call(demo_app(), "GET", "/hello")
    assert (r.status, r.body) == (200, b"Hello, world!")
    assert list(r.headers) == [
        ("content-type", "text/plain; charset=utf-8"),
        ("content-length", "13"),
    ]


def test_items_crud() -> None:
    app = demo_app()
    r = call(app, "POST", "/items", {"name": "pen", "price": 1.5, "tags": ["office"]})
    assert r.status == 201
    assert r.headers.get("location") == "/items/1" and r.headers.get("etag") == '"1.1"'
    assert json.loads(r.body) == {"id": 1, "name": "pen", "price": 1.5, "tags": ["office"]}
    call(app, "POST", "/items", {"name": "cup", "price": 3})

    r = call(app, "GET", "/items/1")
    assert r.status == 200 and r.headers.get("etag") == '"1.1"'
    assert call(app, "GET", "/items/1", None, ("if-none-match", '"1.1"')).status == 304
    assert call(app, "GET", "/items/9").status == 404

    page = json.loads(call(app, "GET", "/items?limit=1&offset=1").body)
    assert page == {"items": [{"id": 2, "name": "cup", "price": 3}], "total": 2}
    assert call(app, "GET", "/items?limit=101").status == 422
    assert call(app, "GET", "/items", None, ("accept", "text/html")).status == 406

    new = {"name": "pen", "price": 2}
    assert call(app, "PUT", "/items/1", new, ("if-match", '"1.0"')).status == 412
    r = call(app, "PUT", "/items/1", new, ("if-match", '"1.1"'))
    assert r.status == 200 and r.headers.get("etag") == '"1.2"'
    assert json.loads(r.body) == {"id": 1, "name": "pen", "price": 2}
    assert call(app, "PUT", "/items/9", new).status == 404
    assert call(app, "PUT", "/items/9", new, ("if-match", "*")).status == 404

    r = call(
        app,
        "PATCH",
        "/items/1",
        {"tags": ["a"], "price": None},
        ctype="application/merge-patch+json",
    )
    # Only the optional "tags" may be removed: a null price is refused by the schema.
    assert r.status == 422
    assert json.loads(r.body)["errors"] == [
        {"pointer": "/price", "detail": "expected number, got null"}
    ]
    assert call(app, "GET", "/items/1").headers.get("etag") == '"1.2"'  # unchanged
    r = call(
        app, "PATCH", "/items/1", {"tags": ["a"], "price": 5}, ctype="application/merge-patch+json"
    )
    assert r.status == 200 and json.loads(r.body)["tags"] == ["a"]
    r = call(app, "PATCH", "/items/1", {"tags": None})
    assert json.loads(r.body) == {"id": 1, "name": "pen", "price": 5}
    assert call(app, "PATCH", "/items/1", {"tags": None}, ctype="text/plain").status == 415

    assert call(app, "DELETE", "/items/1", None, ("if-match", '"1.1"')).status == 412
    assert call(app, "DELETE", "/items/1").status == 204
    assert call(app, "GET", "/items/1").status == 404
    assert call(app, "DELETE", "/items/1").status == 404


@pytest.mark.parametrize(
    "body",
    [
        {"price": 1},
        {"name": "", "price": 1},
        {"name": "x", "price": -1},
        {"name": "x", "price": 1, "color": "red"},
        {"name": "x", "price": 1, "tags": ["t"] * 11},
        {"name": "x", "price": "1"},
    ],
)
def test_items_validation(body: dict[str, Any]) -> None:
    r = call(demo_app(), "POST", "/items", body)
    assert r.status == 422 and json.loads(r.body)["errors"]


def test_the_store_is_bounded() -> None:
    app = demo_app(max_items=1)
    assert call(app, "POST", "/items", {"name": "a", "price": 1}).status == 201
    r = call(app, "POST", "/items", {"name": "b", "price": 1})
    assert r.status == 507
    with pytest.raises(LocalProtocolError):
        demo_app(max_items=0)
    assert ITEM_SCHEMA["required"] == ["name", "price"]


async def read(response: Response) -> bytes:
    assert isinstance(response, EventSourceResponse)
    return b"".join([chunk async for chunk in response.iter_body()])


async def test_events_with_injected_time() -> None:
    clock = [1_700_000_000.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    app = demo_app(now=lambda: clock[0], sleep=sleep)
    response = await app.handle(Request("GET", "/events?count=3&interval=0.5"))
    assert response.headers.get("content-type") == "text/event-stream"
    parsed = parse_event_stream(await read(response))
    assert slept == [0.5, 0.5]
    assert [e.last_event_id for e in parsed.events] == ["0", "1", "2"]
    assert {e.type for e in parsed.events} == {"tick"}
    assert [json.loads(e.data) for e in parsed.events] == [
        {"n": 0, "time": "2023-11-14T22:13:20+00:00"},
        {"n": 1, "time": "2023-11-14T22:13:20.500000+00:00"},
        {"n": 2, "time": "2023-11-14T22:13:21+00:00"},
    ]
    assert parsed.retry == 500


async def test_events_resume_and_defaults() -> None:
    app = demo_app()
    response = await app.handle(
        Request("GET", "/events?count=2", headers=[(b"last-event-id", b"41")])
    )
    parsed = parse_event_stream(await read(response))
    assert [e.last_event_id for e in parsed.events] == ["42", "43"]
    for junk in (b"x", b"9" * 19, "٣".encode()):
        response = await app.handle(
            Request("GET", "/events?count=1", headers=[(b"last-event-id", junk)])
        )
        assert parse_event_stream(await read(response)).events[0].last_event_id == "0"
    response = await app.handle(Request("GET", "/events"))
    events = parse_event_stream(await read(response)).events
    assert len(events) == 10 and events[0] == Dispatched(
        "tick", '{"n":0,"time":"1970-01-01T00:00:00+00:00"}', "0"
    )
    assert (await app.handle(Request("GET", "/events?count=0"))).status == 422
    assert (await app.handle(Request("GET", "/events?colour=red"))).status == 422


def test_openapi_is_served() -> None:
    r = call(demo_app(), "GET", "/openapi.json", None, ("accept-encoding", "gzip"))
    assert r.status == 200 and r.headers.get("content-encoding") == "gzip"
