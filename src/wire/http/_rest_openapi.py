"""An OpenAPI 3.1 document generated from the routes of an application.

Paths use the bare ``{name}`` template of each pattern; path parameters get
the schema of their converter, declared query parameters the schema of their
property, request bodies the route's schema (JSON Schema 2020-12, the dialect
of OpenAPI 3.1). Each operation lists the responses the route declares plus
the problem responses (RFC 9457) the application can produce for it.
Automatic ``HEAD`` and ``OPTIONS`` are not listed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from wire.http._rest_problem import PROBLEM_MEDIA_TYPE

if TYPE_CHECKING:
    from wire.http._rest import Route

__all__ = ["PROBLEM_SCHEMA", "build_openapi"]

# OpenAPI 3.1 §4.8.9: the methods a Path Item can hold.
_OPERATIONS = frozenset({"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"})

_CONVERTER_SCHEMAS: dict[str, dict[str, Any]] = {
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "uuid": {"type": "string", "format": "uuid"},
    "str": {"type": "string", "minLength": 1},
    "path": {"type": "string", "description": "The rest of the path; may contain '/'."},
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Problem details for HTTP APIs (RFC 9457).",
    "properties": {
        "type": {"type": "string", "format": "uri-reference"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string", "format": "uri-reference"},
        "errors": {
            "type": "array",
            "description": "Validation errors (422), each with a pointer or a parameter.",
            "items": {
                "type": "object",
                "properties": {
                    "detail": {"type": "string"},
                    "pointer": {"type": "string"},
                    "parameter": {"type": "string"},
                },
                "required": ["detail"],
            },
        },
        "id": {"type": "string", "description": "Correlation id of a 500, also in the logs."},
    },
    "required": ["type", "title", "status"],
}

_PROBLEM_REF = {"$ref": "#/components/responses/Problem"}


def _operation_id(route: Route, method: str, used: set[str]) -> str:
    candidate = route.name
    if candidate in used:
        candidate = f"{route.name}_{method.lower()}"
    suffix = 2
    base = candidate
    while candidate in used:
        candidate = f"{base}_{suffix}"
        suffix += 1
    used.add(candidate)
    return candidate


def _parameters(route: Route) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": dict(_CONVERTER_SCHEMAS[converter]),
        }
        for name, converter in route.pattern.params
    ]
    if route.query is not None:
        required = set(route.query.get("required", ()))
        for name, schema in route.query.get("properties", {}).items():
            parameter: dict[str, Any] = {
                "name": name,
                "in": "query",
                "required": name in required,
                "schema": schema,
            }
            if isinstance(schema, dict) and "description" in schema:
                parameter["description"] = schema["description"]
            parameters.append(parameter)
    return parameters


def _responses(route: Route) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, spec in sorted(route.responses.items()):
        response: dict[str, Any] = {"description": spec.description}
        if spec.schema is not None:
            response["content"] = {spec.media_type: {"schema": spec.schema}}
        if spec.headers:
            response["headers"] = {name: {"schema": {"type": "string"}} for name in spec.headers}
        responses[str(status)] = response
    problems: set[int] = set()
    if route.pattern.params:
        problems.add(404)
    if route.body is not None:
        problems.update((400, 413, 415, 422))
    if route.query is not None:
        problems.update((400, 422))
    if route.produces:
        problems.add(406)
    if route.etag is not None:
        problems.add(412)
    for status in sorted(problems):
        responses.setdefault(str(status), _PROBLEM_REF)
    responses["default"] = _PROBLEM_REF
    return responses


def _operation(route: Route, method: str, used: set[str]) -> dict[str, Any]:
    operation: dict[str, Any] = {"operationId": _operation_id(route, method, used)}
    if route.summary:
        operation["summary"] = route.summary
    if route.description:
        operation["description"] = route.description
    if route.tags:
        operation["tags"] = list(route.tags)
    if route.deprecated:
        operation["deprecated"] = True
    parameters = _parameters(route)
    if parameters:
        operation["parameters"] = parameters
    if route.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {media_type: {"schema": route.body} for media_type in route.consumes},
        }
    operation["responses"] = _responses(route)
    return operation


def build_openapi(
    *, title: str, version: str, description: str | None, routes: Iterable[Route]
) -> dict[str, Any]:
    """The OpenAPI 3.1.0 document for ``routes``.

    When two patterns give the same template (``/a/{x:int}`` and ``/a/{x}``), the
    first registered route documents each method: OpenAPI has no typed
    alternatives for one path.
    """
    info: dict[str, Any] = {"title": title, "version": version}
    if description:
        info["description"] = description
    paths: dict[str, dict[str, Any]] = {}
    used: set[str] = set()
    for route in routes:
        if not route.include_in_schema:
            continue
        item = paths.setdefault(route.pattern.template, {})
        for method in route.methods:
            key = method.lower()
            if method in _OPERATIONS and key not in item:
                item[key] = _operation(route, method, used)
    return {
        "openapi": "3.1.0",
        "info": info,
        "paths": {path: item for path, item in paths.items() if item},
        "components": {
            "schemas": {"Problem": PROBLEM_SCHEMA},
            "responses": {
                "Problem": {
                    "description": "A problem (RFC 9457).",
                    "content": {
                        PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}
                    },
                }
            },
        },
    }
