"""The generated OpenAPI 3.1 document, checked by openapi-spec-validator."""

from __future__ import annotations

from typing import Any

from openapi_spec_validator import validate
from openapi_spec_validator.validation.validators import OpenAPIV31SpecValidator

from wire.http._rest import App, Request, ResponseSpec
from wire.http._rest_demo import demo_app


def rich_app() -> App:
    app = App(title="Rich", version="2.0", description="Every feature at once.")

    def etag(request: Request, **params: Any) -> str:
        return '"x"'

    @app.get(
        "/a/{i:int}/{f:float}/{u:uuid}/{s}/{rest:path}",
        produces=["application/json"],
        query={
            "type": "object",
            "properties": {
                "limit": {"type": "integer", "description": "Page size."},
                "tag": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["limit"],
        },
        responses={200: ResponseSpec("It", {"type": "object"}, headers=("ETag",)), 204: "None"},
        etag=etag,
        tags=["a"],
        deprecated=True,
    )
    def everything(request: Request, **params: Any) -> None:
        """Summary line.

        Longer description.
        """

    @app.route("/b", ["POST", "PUT", "BREW"], body={"type": "object"}, consumes=["a/b", "c/d"])
    def b(request: Request) -> None:
        pass

    @app.get("/hidden", include_in_schema=False)
    def hidden(request: Request) -> None:
        pass

    @app.get("/twin/{x:int}")
    def twin(request: Request, x: int) -> None:
        pass

    @app.get("/twin/{x}", name="twin_str")
    def twin_str(request: Request, x: str) -> None:
        pass

    # The same handler for other methods: operationIds twin_post and twin_put.
    app.add_route("/twin/{x}", twin, ["POST"])
    app.add_route("/twin/{x}", twin, ["PUT"])

    return app


def test_the_rich_document_is_valid_and_complete() -> None:
    doc = rich_app().openapi()
    validate(doc, cls=OpenAPIV31SpecValidator)
    assert doc["openapi"] == "3.1.0"
    assert doc["info"] == {
        "title": "Rich",
        "version": "2.0",
        "description": "Every feature at once.",
    }
    assert set(doc["paths"]) == {"/a/{i}/{f}/{u}/{s}/{rest}", "/b", "/twin/{x}"}
    op = doc["paths"]["/a/{i}/{f}/{u}/{s}/{rest}"]["get"]
    assert op["operationId"] == "everything"
    assert (op["summary"], op["description"]) == ("Summary line.", "Longer description.")
    assert op["tags"] == ["a"] and op["deprecated"] is True
    params = {p["name"]: p for p in op["parameters"]}
    assert params["i"]["schema"] == {"type": "integer"}
    assert params["f"]["schema"] == {"type": "number"}
    assert params["u"]["schema"] == {"type": "string", "format": "uuid"}
    assert params["rest"]["in"] == "path" and params["rest"]["required"] is True
    assert params["limit"] == {
        "name": "limit",
        "in": "query",
        "required": True,
        "schema": {"type": "integer", "description": "Page size."},
        "description": "Page size.",
    }
    assert params["tag"]["required"] is False
    assert set(op["responses"]) == {"200", "204", "400", "404", "406", "412", "422", "default"}
    assert op["responses"]["200"]["headers"] == {"ETag": {"schema": {"type": "string"}}}
    assert op["responses"]["404"] == {"$ref": "#/components/responses/Problem"}
    b = doc["paths"]["/b"]
    assert set(b) == {"post", "put"}  # BREW has no place in OpenAPI 3.1
    assert set(b["post"]["requestBody"]["content"]) == {"a/b", "c/d"}
    assert set(b["post"]["responses"]) == {"200", "400", "413", "415", "422", "default"}
    assert (b["post"]["operationId"], b["put"]["operationId"]) == ("b", "b_put")
    twin = doc["paths"]["/twin/{x}"]
    assert twin["get"]["operationId"] == "twin"  # the first registered route documents GET
    assert twin["post"]["operationId"] == "twin_post"
    assert twin["put"]["operationId"] == "twin_put"
    assert "/hidden" not in doc["paths"] and "/openapi.json" not in doc["paths"]


def test_operation_ids_stay_unique() -> None:
    app = App()

    def h(request: Request) -> None:
        pass

    app.add_route("/1", h, ["GET"], name="h_get")
    app.add_route("/2", h, ["GET"], name="h")
    app.add_route("/3", h, ["GET"], name="h")
    app.add_route("/4", h, ["GET"], name="h")
    ids = [item["get"]["operationId"] for item in app.openapi()["paths"].values()]
    assert ids == ["h_get", "h", "h_get_2", "h_get_3"]


def test_the_demo_document_is_valid() -> None:
    doc = demo_app().openapi()
    validate(doc)
    assert set(doc["paths"]) == {"/hello", "/items", "/items/{item_id}", "/events"}
    assert set(doc["paths"]["/items/{item_id}"]) == {"get", "put", "patch", "delete"}
    created = doc["paths"]["/items"]["post"]["responses"]["201"]
    assert set(created["headers"]) == {"Location", "ETag"}
    assert doc["paths"]["/hello"]["get"]["responses"]["200"] == {"description": "A greeting"}
