"""A Sans-IO REST toolkit: routes, handlers, problems, negotiation, caching, OpenAPI.

>>> app = App(title="Shop", version="1.0")
>>> @app.get("/items/{item_id:int}")
... def get_item(request, item_id):
...     return {"id": item_id}
>>> response = app.handle_sync(Request("GET", "/items/7"))
>>> response.status, response.body
(200, b'{"id":7}')

:meth:`App.handle` turns a :class:`Request` into a :class:`Response`. It does
no I/O and reads no clock: the HTTP server adapts connection events to it and
writes what it returns. Around the handler it applies, in order:

1. limits (414, 413, 400), CORS preflight, 501 for unknown methods;
2. routing (404, 405 with ``Allow``, automatic ``OPTIONS``, ``HEAD`` from ``GET``);
3. content negotiation (406), preconditions from the route's ``etag`` callback
   (304, 412), query and body validation (415, 400, 422);
4. the handler (an exception becomes a logged 500 with a correlation id);
5. an automatic strong ``ETag`` and ``If-None-Match``/``If-Modified-Since``
   for ``GET``/``HEAD`` (304), gzip with ``Vary: Accept-Encoding``,
   ``Content-Length``, the body removed for ``HEAD``, CORS fields.

Every error is an RFC 9457 problem (``application/problem+json``).
"""

from __future__ import annotations

import inspect
import itertools
import logging
import re
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias, TypeVar, cast

from wire.errors import LocalProtocolError
from wire.http._rest_conditional import (
    EntityTag,
    evaluate_preconditions,
    format_http_date,
    make_etag,
    parse_etag_list,
    parse_http_date,
)
from wire.http._rest_cors import CORS
from wire.http._rest_headers import (
    Headers,
    QueryParams,
    add_vary,
    format_set_cookie,
    parse_cookie_header,
)
from wire.http._rest_limits import DEFAULT_LIMITS, Limits
from wire.http._rest_messages import (
    JSONResponse,
    ProblemResponse,
    Request,
    Response,
    StreamingResponse,
    decode_json,
    encode_json,
)
from wire.http._rest_negotiation import (
    MediaRange,
    media_type_essence,
    negotiate_encoding,
    negotiate_media_type,
    parse_accept,
)
from wire.http._rest_openapi import build_openapi
from wire.http._rest_problem import PROBLEM_MEDIA_TYPE, HTTPProblem
from wire.http._rest_routing import MethodNotAllowed, PathPattern, RouteMatch, Router
from wire.http._rest_schema import Schema, SchemaError, check_schema, validate
from wire.http._rest_sse import EventSourceResponse, ServerSentEvent, encode_comment

__all__ = [
    "CORS",
    "DEFAULT_LIMITS",
    "PROBLEM_MEDIA_TYPE",
    "App",
    "Compression",
    "EntityTag",
    "EventSourceResponse",
    "HTTPProblem",
    "Headers",
    "JSONResponse",
    "Limits",
    "MediaRange",
    "ProblemResponse",
    "QueryParams",
    "Request",
    "Response",
    "ResponseSpec",
    "Route",
    "SchemaError",
    "ServerSentEvent",
    "StreamingResponse",
    "WebSocketHandler",
    "WebSocketRoute",
    "check_schema",
    "decode_json",
    "encode_comment",
    "encode_json",
    "evaluate_preconditions",
    "format_http_date",
    "format_set_cookie",
    "make_etag",
    "negotiate_encoding",
    "negotiate_media_type",
    "parse_accept",
    "parse_cookie_header",
    "parse_etag_list",
    "parse_http_date",
    "validate",
]

logger = logging.getLogger("wire.http.rest")

Handler: TypeAlias = Callable[..., Any]
#: ``await handler(ws)``: the server passes its WebSocket connection object.
WebSocketHandler: TypeAlias = Callable[[Any], Awaitable[None]]
ETagCallback: TypeAlias = Callable[..., "str | Awaitable[str | None] | None"]
H = TypeVar("H", bound=Handler)
W = TypeVar("W", bound=WebSocketHandler)

_SAFE = frozenset({"GET", "HEAD"})
# RFC 9110 §9 plus PATCH (RFC 5789) and QUERY (the IETF HTTP QUERY method,
# draft-ietf-httpbis-safe-method-w-body; an operation of OpenAPI 3.2): methods we
# recognize even when no route uses them, so they get 405 with Allow rather than
# 501 (RFC 9110 §9.1, §15.5.6).
_STANDARD_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "QUERY"}
)
_CONDITIONAL = frozenset({"if-match", "if-none-match", "if-modified-since", "if-unmodified-since"})
# RFC 9110 §15.4.5: what a 304 carries from the 200 it stands for (plus Last-Modified,
# useful without an ETag, and Set-Cookie, which is not representation metadata).
_NOT_MODIFIED_FIELDS = frozenset(
    {
        "cache-control",
        "content-location",
        "date",
        "etag",
        "expires",
        "last-modified",
        "vary",
        "set-cookie",
    }
)
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_QUERY_INT = re.compile(r"-?[0-9]+")
_QUERY_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_QUERY_KEYS = frozenset(
    {"type", "properties", "required", "additionalProperties", "title", "description", "$comment"}
)
_SCALARS = frozenset({"string", "integer", "number", "boolean"})
_GZIP_SUFFIX = "-gzip"


@dataclass(frozen=True, slots=True)
class Compression:
    """When to gzip responses.

    Args:
        minimum_size: Smallest body worth compressing. Below about one packet,
            gzip's 18 bytes of framing and the CPU cost buy nothing.
        level: zlib level, 1 (fast) to 9 (small); 6 is zlib's own balance.
        media_types: Compressible types: ``type/subtype``, ``type/*`` or
            ``type/*+suffix``. Everything else (images, archives, fonts, octet
            streams) is already compressed or opaque. ``text/event-stream`` is
            never compressed: buffering in the compressor would delay events.
    """

    minimum_size: int = 1024
    level: int = 6
    media_types: tuple[str, ...] = (
        "text/*",
        "application/json",
        "application/*+json",
        "application/xml",
        "application/*+xml",
        "application/javascript",
        "image/svg+xml",
    )

    def __post_init__(self) -> None:
        if not 1 <= self.level <= 9 or self.minimum_size < 0:
            raise LocalProtocolError("level is 1 to 9 and minimum_size is not negative")

    def allows(self, content_type: str) -> bool:
        """Whether a response of ``content_type`` may be compressed."""
        essence = media_type_essence(content_type)
        if essence == "text/event-stream":
            return False
        type_, _, subtype = essence.partition("/")
        for pattern in self.media_types:
            pattern_type, _, pattern_subtype = pattern.partition("/")
            if pattern_type != type_:
                continue
            if pattern_subtype in ("*", subtype):
                return True
            if pattern_subtype.startswith("*+") and subtype.endswith(pattern_subtype[1:]):
                return True
        return False


@dataclass(frozen=True, slots=True)
class ResponseSpec:
    """A response a route documents in OpenAPI.

    Args:
        description: What the response means.
        schema: The JSON Schema of its content, if any.
        media_type: The content's media type.
        headers: Names of header fields it carries (``Location``, ``ETag``).
    """

    description: str = "Success"
    schema: Schema | None = None
    media_type: str = "application/json"
    headers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, eq=False)
class Route:
    """A registered route; see :meth:`App.add_route` for the fields."""

    pattern: PathPattern
    methods: tuple[str, ...]
    handler: Handler
    name: str
    body: Schema | None = None
    consumes: tuple[str, ...] = ()
    produces: tuple[str, ...] = ()
    query: Schema | None = None
    responses: Mapping[int, ResponseSpec] = field(default_factory=dict)
    etag: ETagCallback | None = None
    auto_etag: bool | None = None
    summary: str | None = None
    description: str | None = None
    tags: tuple[str, ...] = ()
    include_in_schema: bool = True
    deprecated: bool = False


@dataclass(frozen=True, slots=True, eq=False)
class WebSocketRoute:
    """A registered WebSocket endpoint; see :meth:`App.add_websocket` for the fields."""

    pattern: PathPattern
    handler: WebSocketHandler
    name: str
    subprotocols: tuple[str, ...] = ()
    require_subprotocol: bool = False


def _check_query_schema(schema: Schema) -> None:
    check_schema(schema, "#query")
    unknown = set(schema) - _QUERY_KEYS
    if unknown or schema.get("type", "object") != "object":
        raise LocalProtocolError(
            f"a query schema is an object schema with properties, not {sorted(unknown)}"
        )
    if not isinstance(schema.get("additionalProperties", True), bool):
        raise LocalProtocolError("a query schema's additionalProperties is true or false")
    for name, sub in schema.get("properties", {}).items():
        types = _types(sub)
        if "array" in types:
            types = _types(sub.get("items", {})) if isinstance(sub, Mapping) else set()
        if not types or not types <= _SCALARS | {"null"}:
            raise LocalProtocolError(
                f"query parameter {name!r} needs scalar types or an array of them"
            )


def _types(schema: object) -> set[str]:
    if not isinstance(schema, Mapping) or "type" not in schema:
        return set()
    names = schema["type"]
    return {names} if isinstance(names, str) else set(names)


def _query_scalar(schema: Any, text: str) -> Any:
    types = _types(schema)
    if "integer" in types and _QUERY_INT.fullmatch(text):
        return int(text)
    if "number" in types and _QUERY_NUMBER.fullmatch(text):
        number = float(text)
        return int(number) if number.is_integer() and _QUERY_INT.fullmatch(text) else number
    if "boolean" in types and text in ("true", "false"):
        return text == "true"
    return text


def _joined(headers: Headers, name: str) -> str | None:
    """Every line of ``name`` joined by commas, or None when absent (RFC 9110 §5.3)."""
    values = headers.get_all(name)
    return ", ".join(values) if values else None


def _docstring(handler: Handler) -> tuple[str | None, str | None]:
    doc = inspect.getdoc(handler)
    if not doc:
        return None, None
    summary, _, rest = doc.partition("\n")
    return summary.strip(), rest.strip() or None


async def _gzip_stream(chunks: AsyncIterator[bytes], level: int) -> AsyncIterator[bytes]:
    compressor = zlib.compressobj(level, zlib.DEFLATED, 31)
    async for chunk in chunks:
        # A sync flush per chunk keeps the stream live: each chunk decodes on arrival.
        yield compressor.compress(chunk) + compressor.flush(zlib.Z_SYNC_FLUSH)
    yield compressor.flush()


class App:
    """A REST application.

    Args:
        title: The API title (OpenAPI ``info.title``).
        version: The API version (OpenAPI ``info.version``).
        description: The API description.
        limits: Request limits (see :class:`Limits`).
        cors: A CORS policy, or None for no CORS fields.
        compression: When to gzip, or None to never compress.
        auto_etag: Whether ``GET``/``HEAD`` 200 responses without an ``ETag`` get a
            strong one from a hash of their body (routes may override).
        openapi_url: Where the OpenAPI document is served, or None.
        error_id: Makes the correlation id of a 500 (the default is a per-app
            counter; a server may inject ``lambda: uuid.uuid4().hex``).
    """

    def __init__(
        self,
        *,
        title: str = "wire",
        version: str = "0.1.0",
        description: str | None = None,
        limits: Limits = DEFAULT_LIMITS,
        cors: CORS | None = None,
        compression: Compression | None = Compression(),
        auto_etag: bool = True,
        openapi_url: str | None = "/openapi.json",
        error_id: Callable[[], str] | None = None,
    ) -> None:
        self.title = title
        self.version = version
        self.description = description
        self.limits = limits
        self.cors = cors
        self.compression = compression
        self.auto_etag = auto_etag
        self._router: Router[Route] = Router()
        self._routes: list[Route] = []
        self._ws_router: Router[WebSocketRoute] = Router()
        self._ws_routes: list[WebSocketRoute] = []
        self._names: dict[str, Route] = {}
        self._methods: set[str] = set(_STANDARD_METHODS)
        self._openapi: bytes | None = None
        counter = itertools.count(1)
        self._error_id = error_id or (lambda: f"{next(counter):08x}")
        if openapi_url is not None:
            self.add_route(
                openapi_url, self._serve_openapi, ["GET"], name="openapi", include_in_schema=False
            )

    # -- registration -------------------------------------------------------------

    @property
    def routes(self) -> tuple[Route, ...]:
        """The routes, in registration order."""
        return tuple(self._routes)

    def add_route(
        self,
        path: str,
        handler: Handler,
        methods: Iterable[str],
        *,
        name: str | None = None,
        body: Schema | None = None,
        consumes: Sequence[str] | None = None,
        produces: Sequence[str] = (),
        query: Schema | None = None,
        responses: Mapping[int, ResponseSpec | str] | None = None,
        etag: ETagCallback | None = None,
        auto_etag: bool | None = None,
        summary: str | None = None,
        description: str | None = None,
        tags: Sequence[str] = (),
        include_in_schema: bool = True,
        deprecated: bool = False,
    ) -> Route:
        """Register ``handler`` for ``methods`` on the pattern ``path``.

        Args:
            path: A pattern such as ``/items/{item_id:int}``.
            handler: ``handler(request, **path_params)``, a function or a coroutine
                function, returning a :class:`Response`, a dict or list (JSON), a
                ``str`` (text), ``bytes`` or None (204).
            methods: The methods, such as ``["GET"]``.
            name: For :meth:`url_for` and the OpenAPI ``operationId``; defaults to
                the handler's name.
            body: A JSON Schema (the supported subset) the JSON body must satisfy;
                the handler reads it with ``request.json()``.
            consumes: The request media types accepted with ``body`` (415
                otherwise); default ``application/json``.
            produces: Media types the handler can produce, in order of preference;
                when given, ``Accept`` is negotiated (406) and the choice is in
                ``request.response_media_type``.
            query: An object schema for the query parameters (scalar or array
                properties, ``required``, ``additionalProperties``); converted
                values and defaults are in ``request.query_values``.
            responses: Documented responses by status: a description or a
                :class:`ResponseSpec`. Default ``{200: "Success"}``.
            etag: ``etag(request, **path_params)`` (may be async) giving the current
                entity tag of the target resource, None when it does not exist
                (or raising :class:`HTTPProblem`, e.g. 404). When given, conditional
                requests are evaluated before the handler runs, which is what
                makes ``If-Match`` (412) safe for state-changing methods.
            auto_etag: Overrides the application's ``auto_etag`` for this route.
            summary: OpenAPI summary; defaults to the docstring's first line.
            description: OpenAPI description; defaults to the rest of the docstring.
            tags: OpenAPI tags.
            include_in_schema: Whether the route appears in the OpenAPI document.
            deprecated: Marks the operation deprecated in OpenAPI.

        Raises:
            LocalProtocolError: An invalid pattern, method, schema or name, or a
                route that is already registered.
        """
        pattern = PathPattern.parse(path)
        methods = tuple(dict.fromkeys(methods))
        if not methods or not all(_TOKEN.fullmatch(method) for method in methods):
            raise LocalProtocolError(f"methods must be tokens, such as 'GET': {methods!r}")
        if body is not None:
            check_schema(body)
        if query is not None:
            _check_query_schema(query)
        name = name or getattr(handler, "__name__", None) or "handler"
        if name in self._names and self._names[name].handler is not handler:
            raise LocalProtocolError(f"a route named {name!r} already exists; pass name=")
        doc_summary, doc_description = _docstring(handler)
        specs = {
            status: ResponseSpec(spec) if isinstance(spec, str) else spec
            for status, spec in (responses or {200: "Success"}).items()
        }
        route = Route(
            pattern=pattern,
            methods=methods,
            handler=handler,
            name=name,
            body=body,
            consumes=tuple(consumes)
            if consumes is not None
            else (("application/json",) if body is not None else ()),
            produces=tuple(produces),
            query=query,
            responses=specs,
            etag=etag,
            auto_etag=auto_etag,
            summary=summary if summary is not None else doc_summary,
            description=description if description is not None else doc_description,
            tags=tuple(tags),
            include_in_schema=include_in_schema,
            deprecated=deprecated,
        )
        self._router.add(pattern, methods, route)
        self._routes.append(route)
        self._names.setdefault(name, route)
        self._methods.update(methods)
        self._openapi = None
        return route

    def route(self, path: str, methods: Iterable[str], **options: Any) -> Callable[[H], H]:
        """Decorator form of :meth:`add_route`; returns the handler unchanged."""

        def register(handler: H) -> H:
            self.add_route(path, handler, methods, **options)
            return handler

        return register

    def get(self, path: str, **options: Any) -> Callable[[H], H]:
        """Register a ``GET`` route (``HEAD`` comes with it)."""
        return self.route(path, ["GET"], **options)

    def post(self, path: str, **options: Any) -> Callable[[H], H]:
        """Register a ``POST`` route."""
        return self.route(path, ["POST"], **options)

    def put(self, path: str, **options: Any) -> Callable[[H], H]:
        """Register a ``PUT`` route."""
        return self.route(path, ["PUT"], **options)

    def patch(self, path: str, **options: Any) -> Callable[[H], H]:
        """Register a ``PATCH`` route."""
        return self.route(path, ["PATCH"], **options)

    def delete(self, path: str, **options: Any) -> Callable[[H], H]:
        """Register a ``DELETE`` route."""
        return self.route(path, ["DELETE"], **options)

    @property
    def websocket_routes(self) -> tuple[WebSocketRoute, ...]:
        """The WebSocket endpoints, in registration order."""
        return tuple(self._ws_routes)

    def add_websocket(
        self,
        path: str,
        handler: WebSocketHandler,
        *,
        subprotocols: Sequence[str] = (),
        require_subprotocol: bool = False,
        name: str | None = None,
    ) -> WebSocketRoute:
        """Register a WebSocket endpoint on the pattern ``path``.

        The server answers an opening handshake for it (HTTP/1.1 Upgrade, or an
        HTTP/2 extended CONNECT, RFC 8441) and runs ``await handler(ws)`` with
        its connection object; ``ws.request.path_params`` holds the path's
        parameters. A plain request for the path gets 426 (Upgrade Required).

        Args:
            path: A pattern such as ``/rooms/{room}``.
            handler: ``async def handler(ws)``.
            subprotocols: Subprotocols spoken, preferred first.
            require_subprotocol: Refuse (400) a client that offers none of them.
            name: For :meth:`url_for`; defaults to the handler's name.

        Raises:
            LocalProtocolError: An invalid pattern or subprotocol, or a path
                already registered for WebSocket.
        """
        pattern = PathPattern.parse(path)
        if isinstance(subprotocols, str):
            raise LocalProtocolError("subprotocols is a sequence of str")
        for subprotocol in subprotocols:
            if type(subprotocol) is not str or _TOKEN.fullmatch(subprotocol) is None:
                raise LocalProtocolError(f"subprotocol {subprotocol!r} is not a token")
        name = name or getattr(handler, "__name__", None) or "websocket"
        route = WebSocketRoute(
            pattern, handler, name, tuple(subprotocols), bool(require_subprotocol)
        )
        self._ws_router.add(pattern, ["GET"], route)
        self._ws_routes.append(route)
        return route

    def websocket(self, path: str, **options: Any) -> Callable[[W], W]:
        """Decorator form of :meth:`add_websocket`; returns the handler unchanged."""

        def register(handler: W) -> W:
            self.add_websocket(path, handler, **options)
            return handler

        return register

    def match_websocket(self, path: str) -> tuple[WebSocketRoute, dict[str, Any]] | None:
        """The WebSocket endpoint for a (percent-encoded) ``path``, and its parameters.

        ``None`` when no endpoint has this path, or when it is not UTF-8 once
        percent-decoded.
        """
        try:
            match = self._ws_router.match("GET", path)
        except HTTPProblem:
            return None
        if not isinstance(match, RouteMatch):
            return None
        # Every WebSocket node has GET only: a match always carries its route.
        return cast(WebSocketRoute, match.value), match.params

    def url_for(self, route_name: str, /, **params: Any) -> str:
        """The path of the route called ``route_name`` with ``params``, percent-encoded.

        Raises:
            LocalProtocolError: No such route, or the parameters do not fit it.
        """
        route = self._names.get(route_name)
        if route is None:
            raise LocalProtocolError(f"no route named {route_name!r}")
        return route.pattern.format(params)

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI 3.1 document of the routes."""
        return build_openapi(
            title=self.title,
            version=self.version,
            description=self.description,
            routes=self._routes,
        )

    def _serve_openapi(self, request: Request) -> Response:
        if self._openapi is None:
            self._openapi = encode_json(self.openapi())
        return Response(200, body=self._openapi, media_type="application/json")

    # -- handling -----------------------------------------------------------------

    def handle_sync(self, request: Request) -> Response:
        """:meth:`handle` without an event loop, for handlers that never suspend.

        Raises:
            LocalProtocolError: Something awaited needs an event loop.
        """
        coroutine = self.handle(request)
        try:
            coroutine.send(None)
        except StopIteration as stop:
            response: Response = stop.value
            return response
        coroutine.close()
        raise LocalProtocolError(
            "a handler suspended: it needs an event loop, use `await app.handle()`"
        )

    async def handle(self, request: Request) -> Response:
        """Answer ``request``.

        Never raises for anything the request or a handler does. A complete body
        comes with ``Content-Length`` (for ``HEAD``, the length of the body a
        ``GET`` would have had); a :class:`StreamingResponse` has none and its
        :meth:`~StreamingResponse.iter_body` is for the driver to send.
        """
        request.limits = self.limits
        route: Route | None = None
        try:
            route, response = await self._dispatch(request)
        except HTTPProblem as problem:
            response = ProblemResponse(problem, self._instance(request))
        except Exception:
            error_id = self._error_id()
            logger.exception(
                "unhandled error %s in %s %s", error_id, request.method, self._instance(request)
            )
            response = ProblemResponse(
                HTTPProblem(
                    500, "The server could not complete the request.", extensions={"id": error_id}
                ),
                self._instance(request),
            )
        return await self._finalize(request, route, response)

    def _instance(self, request: Request) -> str | None:
        # A path over the limit is not echoed back.
        return request.path if len(request.path) <= self.limits.max_target_length else None

    async def _dispatch(self, request: Request) -> tuple[Route | None, Response]:
        limits = self.limits
        path = request.path
        method = request.method
        if len(path) + len(request.query_string) > limits.max_target_length:
            raise HTTPProblem(414, f"the request target is longer than {limits.max_target_length}")
        if not path.startswith("/"):
            if path == "*" and method == "OPTIONS":  # RFC 9110 §9.3.7: the server as a whole
                return None, Response(204, {"allow": ", ".join(sorted(self._methods))})
            raise HTTPProblem(400, "the request target must be an absolute path")
        if len(request.body) > limits.max_body_size:
            raise HTTPProblem(413, f"the body may hold at most {limits.max_body_size} bytes")
        if request.query_string:
            _ = request.query  # parse now, within the limits (400)
        headers = request.headers
        if (
            self.cors is not None
            and method == "OPTIONS"
            and "origin" in headers
            and "access-control-request-method" in headers
        ):
            return None, self.cors.preflight(request)
        if method not in self._methods:
            raise HTTPProblem(501, f"the method {method!r} is not implemented")
        match = self._router.match(method, path)
        if match is None:
            if self._ws_routes and self.match_websocket(path) is not None:
                # RFC 9110 section 15.5.22: the resource needs another protocol.
                raise HTTPProblem(
                    426,
                    "This is a WebSocket endpoint: open it with a WebSocket handshake.",
                    headers={"sec-websocket-version": "13"},
                )
            raise HTTPProblem(404, "There is no resource at this path.")
        if isinstance(match, MethodNotAllowed):
            allow = ", ".join(match.allow)
            raise HTTPProblem(405, f"Allowed methods: {allow}.", headers={"allow": allow})
        route = match.value
        if route is None:
            return None, Response(204, {"allow": ", ".join(match.allow)})
        params = match.params
        request.path_params = params
        if route.produces:
            chosen = negotiate_media_type(_joined(headers, "accept"), route.produces)
            if chosen is None:
                raise HTTPProblem(
                    406, f"This resource is available as {', '.join(route.produces)}."
                )
            request.response_media_type = chosen
        if route.etag is not None and headers.has_any(_CONDITIONAL):
            tag = route.etag(request, **params)
            if inspect.isawaitable(tag):
                tag = await tag
            not_modified = self._preconditions(request, tag)
            if not_modified is not None:
                return None, not_modified
        if route.query is not None:
            self._validate_query(request, route.query)
        if route.body is not None:
            self._validate_body(request, route)
        result = route.handler(request, **params)
        if inspect.isawaitable(result):
            result = await result
        return route, self._to_response(result, request)

    @staticmethod
    def _preconditions(request: Request, tag: str | None) -> Response | None:
        candidates: list[str] = []
        if tag is not None:
            parsed = EntityTag.parse(tag)
            if parsed is None:
                raise LocalProtocolError(f"an etag callback returned {tag!r}, not an entity tag")
            # A client may hold the gzip variant's tag: it names the same state.
            candidates = [str(parsed), str(parsed.with_suffix(_GZIP_SUFFIX))]
        outcome = evaluate_preconditions(
            request.method, request.headers, etag=candidates, exists=tag is not None
        )
        if outcome == 412:
            raise HTTPProblem(412, "The resource does not match the request's preconditions.")
        if outcome == 304:
            return Response(304, {"etag": candidates[0]})
        return None

    def _validate_query(self, request: Request, schema: Schema) -> None:
        values: dict[str, Any] = {}
        errors: list[dict[str, str]] = []
        properties: Mapping[str, Any] = schema.get("properties", {})
        query = request.query
        for name, sub in properties.items():
            raw = query.get_all(name)
            if not raw:
                if isinstance(sub, Mapping) and "default" in sub:
                    values[name] = sub["default"]
                elif name in schema.get("required", ()):
                    errors.append({"parameter": name, "detail": "is required"})
                continue
            if "array" in _types(sub):
                values[name] = [_query_scalar(sub.get("items"), text) for text in raw]
            else:
                values[name] = _query_scalar(sub, raw[0])
            errors.extend(
                {"parameter": name, "detail": error.detail}
                for error in validate(
                    sub, values[name], max_errors=self.limits.max_validation_errors
                )
            )
        if schema.get("additionalProperties") is False:
            errors.extend(
                {"parameter": name, "detail": "is not an allowed parameter"}
                for name in query
                if name not in properties
            )
        if errors:
            raise HTTPProblem(
                422,
                "The query parameters are not valid.",
                extensions={"errors": errors[: self.limits.max_validation_errors]},
            )
        request.query_values = values

    def _validate_body(self, request: Request, route: Route) -> None:
        assert route.body is not None
        if request.content_type not in route.consumes:
            accepted = ", ".join(route.consumes)
            fields = {"accept": accepted}
            if request.method == "PATCH":
                fields["accept-patch"] = accepted  # RFC 5789 §2.2
            raise HTTPProblem(415, f"Send the body as {accepted}.", headers=fields)
        errors = validate(route.body, request.json(), max_errors=self.limits.max_validation_errors)
        if errors:
            raise HTTPProblem(
                422,
                "The body does not match the schema.",
                extensions={"errors": [error.to_dict() for error in errors]},
            )

    @staticmethod
    def _to_response(result: Any, request: Request) -> Response:
        if isinstance(result, Response):
            return result
        chosen = request.response_media_type
        if isinstance(result, dict | list):
            if chosen is not None and (chosen == "application/json" or chosen.endswith("+json")):
                return JSONResponse(result, media_type=chosen)
            return JSONResponse(result)
        if isinstance(result, str):
            if chosen is not None and chosen.startswith("text/"):
                media = chosen if "charset" in chosen else f"{chosen}; charset=utf-8"
                return Response(200, body=result, media_type=media)
            return Response(200, body=result)
        if isinstance(result, bytes | bytearray | memoryview):
            return Response(
                200, body=bytes(result), media_type=chosen or "application/octet-stream"
            )
        if result is None:
            return Response(204)
        raise TypeError(f"a handler returned {type(result).__name__}, not a response")

    def _compressible(self, response: Response, streaming: bool) -> bool:
        assert self.compression is not None
        if not streaming and len(response.body) < self.compression.minimum_size:
            return False
        status = response.status
        headers = response.headers
        content_type = headers.get("content-type")
        return (
            200 <= status < 300
            and status != 204
            and content_type is not None
            and "content-encoding" not in headers
            and self.compression.allows(content_type)
            and "no-transform" not in (v.lower() for v in headers.get_list("cache-control"))
        )

    async def _finalize(
        self, request: Request, route: Route | None, response: Response
    ) -> Response:
        method = request.method
        headers = response.headers
        streaming = isinstance(response, StreamingResponse)
        safe_success = route is not None and method in _SAFE and 200 <= response.status < 300
        if route is not None:
            if len(route.produces) > 1:
                add_vary(headers, "Accept")
            auto = self.auto_etag if route.auto_etag is None else route.auto_etag
            if (
                safe_success
                and auto
                and response.status == 200
                and not streaming
                and "etag" not in headers
            ):
                headers.set("etag", make_etag(response.body))
        coding = "identity"
        if self.compression is not None and self._compressible(response, streaming):
            add_vary(headers, "Accept-Encoding")
            accept_encoding = _joined(request.headers, "accept-encoding")
            coding = negotiate_encoding(accept_encoding) or "identity"
            tag = EntityTag.parse(headers.get("etag") or "")
            if coding == "gzip" and tag is not None:
                # RFC 9110 §8.8.3.3: the gzip variant is another representation.
                headers.set("etag", str(tag.with_suffix(_GZIP_SUFFIX)))
        if (
            safe_success
            and route is not None
            and route.etag is None
            and request.headers.has_any(_CONDITIONAL)
        ):
            modified = headers.get("last-modified")
            outcome = evaluate_preconditions(
                method,
                request.headers,
                etag=headers.get("etag"),
                last_modified=parse_http_date(modified) if modified is not None else None,
            )
            if outcome is not None:
                if isinstance(response, StreamingResponse):
                    await response.aclose()
                if outcome == 304:
                    response = Response(
                        304, [(n, v) for n, v in headers if n in _NOT_MODIFIED_FIELDS]
                    )
                else:
                    response = ProblemResponse(
                        HTTPProblem(
                            412, "The resource does not match the request's preconditions."
                        ),
                        self._instance(request),
                    )
                headers = response.headers
                streaming = False
                coding = "identity"
        if coding == "gzip":
            assert self.compression is not None
            headers.set("content-encoding", "gzip")
            if isinstance(response, StreamingResponse):
                if method != "HEAD":  # HEAD closes the original stream below
                    response.stream = _gzip_stream(response.iter_body(), self.compression.level)
            else:
                compressor = zlib.compressobj(self.compression.level, zlib.DEFLATED, 31)
                response.body = compressor.compress(response.body) + compressor.flush()
        if not streaming and response.status >= 200 and response.status not in (204, 304):
            headers.set("content-length", str(len(response.body)))
        if method == "HEAD":
            if isinstance(response, StreamingResponse):
                await response.aclose()
                response = Response(response.status, headers)
            response.body = b""
        if self.cors is not None:
            self.cors.apply(request, response.headers)
        return response
