"""The demo REST application: ``/hello``, an ``/items`` resource, ``/events``, OpenAPI.

- ``GET /hello``: ``200 text/plain`` ``Hello, world!``, the benchmark endpoint
  (no negotiation, no ETag: the least work the application can do).
- ``/items``: an in-memory resource. ``POST`` validates the body, answers 201
  with ``Location`` and ``ETag``; ``GET``, ``PUT``, ``PATCH`` (JSON Merge Patch,
  RFC 7396) and ``DELETE`` on ``/items/{item_id}``, with ``If-Match`` checked
  before any change (412) and ``If-None-Match`` on reads (304).
- ``GET /events``: a Server-Sent Events counter. Time comes from the injected
  ``now`` and pauses from the injected ``sleep``, so the stream runs without a
  clock in tests and with ``trio.current_time``/``trio.sleep`` in the server.
  ``Last-Event-ID`` resumes after the last event seen.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from wire.errors import LocalProtocolError
from wire.http._rest import App, ResponseSpec
from wire.http._rest_cors import CORS
from wire.http._rest_messages import JSONResponse, Request, Response, encode_json
from wire.http._rest_problem import HTTPProblem
from wire.http._rest_sse import EventSourceResponse, ServerSentEvent

__all__ = ["ITEM_SCHEMA", "demo_app"]

_NAME = {"type": "string", "minLength": 1, "maxLength": 100}
_PRICE = {"type": "number", "minimum": 0}
_TAGS = {
    "type": "array",
    "items": {"type": "string", "minLength": 1, "maxLength": 30},
    "maxItems": 10,
}

ITEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"name": _NAME, "price": _PRICE, "tags": _TAGS},
    "required": ["name", "price"],
    "additionalProperties": False,
}
# RFC 7396: null removes a member. Only the optional member may be removed: the
# merged item must still satisfy ITEM_SCHEMA, so the document says exactly what
# is accepted (a null name or price is refused by the schema, 422).
_PATCH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": _NAME,
        "price": _PRICE,
        "tags": {**_TAGS, "type": ["array", "null"]},
    },
    "additionalProperties": False,
}
_STORED_SCHEMA: dict[str, Any] = {
    **ITEM_SCHEMA,
    "properties": {"id": {"type": "integer"}, **ITEM_SCHEMA["properties"]},
    "required": ["id", "name", "price"],
}
_LIST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "items": {"type": "array", "items": _STORED_SCHEMA},
        "total": {"type": "integer"},
    },
    "required": ["items", "total"],
}
_JSON = ("application/json",)


def _no_clock() -> float:
    return 0.0


def demo_app(
    *,
    now: Callable[[], float] = _no_clock,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    max_items: int = 1000,
    cors: CORS | None = None,
) -> App:
    """The demo application.

    Args:
        now: Seconds since the Unix epoch, for the events' timestamps.
        sleep: Awaited between events; None sends them back to back.
        max_items: The most items the store holds (507 beyond), so a client
            cannot grow the process without bound.
        cors: A CORS policy for browser clients.

    Raises:
        LocalProtocolError: ``max_items`` is not positive.
    """
    if max_items < 1:
        raise LocalProtocolError("max_items must be positive")
    app = App(
        title="wire demo",
        version="1.0.0",
        description="The demo application of the wire REST toolkit.",
        cors=cors,
    )
    items: dict[int, tuple[dict[str, Any], int]] = {}
    next_id = [1]

    def tag(item_id: int, version: int) -> str:
        return f'"{item_id}.{version}"'

    def current(item_id: int) -> tuple[dict[str, Any], int]:
        entry = items.get(item_id)
        if entry is None:
            raise HTTPProblem(404, f"There is no item {item_id}.")
        return entry

    def item_etag(request: Request, item_id: int) -> str:
        return tag(item_id, current(item_id)[1])

    def item_response(item: dict[str, Any], version: int, status: int = 200) -> Response:
        response = JSONResponse(item, status)
        response.etag = tag(item["id"], version)
        return response

    @app.get(
        "/hello",
        auto_etag=False,
        responses={200: ResponseSpec("A greeting", media_type="text/plain")},
    )
    def hello(request: Request) -> Response:
        """Say hello (the benchmark endpoint)."""
        return Response(200, body=b"Hello, world!", media_type="text/plain; charset=utf-8")

    @app.get(
        "/items",
        produces=_JSON,
        tags=["items"],
        query={
            "type": "object",
            "properties": {
                "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
                "offset": {"type": "integer", "minimum": 0, "default": 0},
            },
            "additionalProperties": False,
        },
        responses={200: ResponseSpec("A page of items", _LIST_SCHEMA)},
    )
    def list_items(request: Request) -> dict[str, Any]:
        """List items in creation order."""
        offset = request.query_values["offset"]
        limit = request.query_values["limit"]
        page = [item for item, _ in list(items.values())[offset : offset + limit]]
        return {"items": page, "total": len(items)}

    @app.post(
        "/items",
        body=ITEM_SCHEMA,
        produces=_JSON,
        tags=["items"],
        responses={
            201: ResponseSpec("Created", _STORED_SCHEMA, headers=("Location", "ETag")),
            507: "The store is full",
        },
    )
    def create_item(request: Request) -> Response:
        """Create an item."""
        if len(items) >= max_items:
            raise HTTPProblem(507, f"The demo store holds at most {max_items} items.")
        item_id = next_id[0]
        next_id[0] += 1
        item = {"id": item_id, **request.json()}
        items[item_id] = (item, 1)
        response = item_response(item, 1, 201)
        response.headers.set("location", app.url_for("get_item", item_id=item_id))
        return response

    @app.get(
        "/items/{item_id:int}",
        produces=_JSON,
        tags=["items"],
        etag=item_etag,
        responses={200: ResponseSpec("The item", _STORED_SCHEMA, headers=("ETag",))},
    )
    def get_item(request: Request, item_id: int) -> Response:
        """Read an item."""
        return item_response(*current(item_id))

    @app.put(
        "/items/{item_id:int}",
        body=ITEM_SCHEMA,
        produces=_JSON,
        tags=["items"],
        etag=item_etag,
        responses={200: ResponseSpec("The replaced item", _STORED_SCHEMA, headers=("ETag",))},
    )
    def replace_item(request: Request, item_id: int) -> Response:
        """Replace an item (send If-Match to avoid lost updates)."""
        _, version = current(item_id)
        item = {"id": item_id, **request.json()}
        items[item_id] = (item, version + 1)
        return item_response(item, version + 1)

    @app.patch(
        "/items/{item_id:int}",
        body=_PATCH_SCHEMA,
        consumes=("application/merge-patch+json", "application/json"),
        produces=_JSON,
        tags=["items"],
        etag=item_etag,
        responses={200: ResponseSpec("The updated item", _STORED_SCHEMA, headers=("ETag",))},
    )
    def update_item(request: Request, item_id: int) -> Response:
        """Update an item with a JSON Merge Patch (RFC 7396)."""
        item, version = current(item_id)
        merged = {k: v for k, v in item.items() if k != "id"}
        for name, value in request.json().items():
            if value is None:
                merged.pop(name, None)  # only "tags" may be null (_PATCH_SCHEMA)
            else:
                merged[name] = value
        updated = {"id": item_id, **merged}
        items[item_id] = (updated, version + 1)
        return item_response(updated, version + 1)

    @app.delete("/items/{item_id:int}", tags=["items"], etag=item_etag, responses={204: "Deleted"})
    def delete_item(request: Request, item_id: int) -> None:
        """Delete an item."""
        current(item_id)
        del items[item_id]

    @app.get(
        "/events",
        query={
            "type": "object",
            "properties": {
                "count": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 10},
                "interval": {"type": "number", "minimum": 0, "maximum": 60, "default": 1.0},
            },
            "additionalProperties": False,
        },
        responses={200: ResponseSpec("A tick per interval", media_type="text/event-stream")},
    )
    def events(request: Request) -> EventSourceResponse:
        """A counter as Server-Sent Events; send Last-Event-ID to resume."""
        count: int = request.query_values["count"]
        interval: float = request.query_values["interval"]
        last = request.headers.get("last-event-id", "")
        # At most 18 digits: int() refuses very long numbers, and no stream runs that long.
        digits = last.isascii() and last.isdigit() and len(last) <= 18
        start = int(last) + 1 if digits else 0

        async def ticks() -> AsyncIterator[ServerSentEvent]:
            for n in range(start, start + count):
                if n != start and sleep is not None:
                    await sleep(interval)
                moment = datetime.fromtimestamp(now(), tz=UTC).isoformat()
                yield ServerSentEvent(
                    data=encode_json({"n": n, "time": moment}).decode("utf-8"),
                    event="tick",
                    id=str(n),
                    retry=int(interval * 1000) if n == start else None,
                )

        return EventSourceResponse(ticks())

    return app
