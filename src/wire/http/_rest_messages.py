"""Requests and responses of the REST toolkit.

A :class:`Request` is what the connection layer received, already framed: the
method, the target split into path and query, the header fields as bytes pairs,
and the whole body. A :class:`Response` is what the application answers; a
:class:`StreamingResponse` carries an iterator of chunks instead of a body.
Neither does any I/O.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from datetime import datetime
from typing import Any

from wire.errors import LocalProtocolError
from wire.http._rest_conditional import EntityTag, format_http_date
from wire.http._rest_headers import (
    HeaderInput,
    Headers,
    QueryInput,
    QueryParams,
    format_set_cookie,
    parse_cookie_header,
)
from wire.http._rest_limits import DEFAULT_LIMITS, Limits
from wire.http._rest_negotiation import media_type_essence
from wire.http._rest_problem import PROBLEM_MEDIA_TYPE, HTTPProblem

__all__ = [
    "JSONResponse",
    "close_iterator",
    "ProblemResponse",
    "Request",
    "Response",
    "StreamingResponse",
    "decode_json",
    "encode_json",
]

_UNSET: Any = object()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # RFC 8259 §6: no NaN or Infinity


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def decode_json(body: bytes, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Parse a JSON request body (RFC 8259), within ``limits``.

    Raises:
        HTTPProblem: 413 when the body is larger than ``max_json_size``; 400 when it
            is not UTF-8, not JSON, uses NaN/Infinity, or nests deeper than
            ``max_json_depth``.
    """
    if len(body) > limits.max_json_size:
        raise HTTPProblem(413, f"a JSON body may hold at most {limits.max_json_size} bytes")
    try:
        text = body.decode("utf-8")  # RFC 8259 §8.1: JSON exchanged between systems is UTF-8
        value = json.loads(text, parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise HTTPProblem(400, "the body is not UTF-8") from None
    except json.JSONDecodeError as error:
        raise HTTPProblem(400, f"the body is not JSON: {error.msg} at {error.pos}") from None
    except (ValueError, RecursionError):  # NaN, huge integers, extreme nesting
        raise HTTPProblem(400, "the body is not acceptable JSON") from None
    if _depth_exceeds(value, limits.max_json_depth):
        raise HTTPProblem(400, f"the JSON body nests deeper than {limits.max_json_depth} levels")
    return value


def encode_json(content: Any) -> bytes:
    """Compact UTF-8 JSON; lone surrogates fall back to ``\\u`` escapes.

    Raises:
        ValueError: NaN or Infinity (not JSON).
        TypeError: A value JSON cannot represent.
    """
    try:
        return json.dumps(
            content, ensure_ascii=False, separators=(",", ":"), allow_nan=False
        ).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(content, separators=(",", ":"), allow_nan=False).encode("ascii")


class Request:
    """An HTTP request as the application sees it.

    Args:
        method: The method, such as ``"GET"`` (case-sensitive, RFC 9110 §9.1).
        path: The path, percent-encoded as received; a ``?query`` part is split off
            when ``query`` is not given.
        query: The query: a raw string or parsed pairs/mapping.
        headers: Header fields, as ``(name, value)`` bytes (or str) pairs.
        body: The whole request content.
        client: The peer's address, when known.
        scheme: ``"http"`` or ``"https"``.
        limits: Limits for :meth:`json`; the application sets its own.

    Raises:
        LocalProtocolError: ``path`` holds a query and ``query`` is given too.
    """

    __slots__ = (
        "_cookies",
        "_json",
        "_query",
        "body",
        "client",
        "headers",
        "limits",
        "method",
        "path",
        "path_params",
        "query_string",
        "query_values",
        "response_media_type",
        "scheme",
    )

    method: str
    path: str
    query_string: str
    headers: Headers
    body: bytes
    client: tuple[str, int] | None
    scheme: str
    limits: Limits
    path_params: dict[str, Any]
    query_values: dict[str, Any]
    response_media_type: str | None

    def __init__(
        self,
        method: str | bytes,
        path: str | bytes,
        *,
        query: QueryInput | None = None,
        headers: Headers | Iterable[tuple[bytes | str, bytes | str]] = (),
        body: bytes = b"",
        client: tuple[str, int] | None = None,
        scheme: str = "http",
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        self.method = method.decode("ascii", "replace") if isinstance(method, bytes) else method
        text = path.decode("latin-1") if isinstance(path, bytes) else path
        base, sep, query_string = text.partition("?")
        self._query: QueryParams | None = None
        if sep and query is not None:
            raise LocalProtocolError("give the query either in the path or as query=, not both")
        if query is None or isinstance(query, str):
            self.query_string = query_string if query is None else query
        else:
            self._query = QueryParams(query)
            self.query_string = str(self._query)
        self.path = base
        self.headers = headers if isinstance(headers, Headers) else Headers.from_raw(headers)
        self.body = bytes(body)
        self.client = client
        self.scheme = scheme
        self.limits = limits
        self.path_params = {}
        self.query_values = {}
        self.response_media_type = None
        self._json: Any = _UNSET
        self._cookies: dict[str, str] | None = None

    def __repr__(self) -> str:
        query = f"?{self.query_string}" if self.query_string else ""
        return f"<Request {self.method} {self.path}{query}>"

    @property
    def query(self) -> QueryParams:
        """The query parameters (multi-valued).

        Raises:
            HTTPProblem: 400, more than ``limits.max_query_params`` parameters.
        """
        if self._query is None:
            self._query = QueryParams(self.query_string, max_params=self.limits.max_query_params)
        return self._query

    @property
    def cookies(self) -> dict[str, str]:
        """The cookies from every ``Cookie`` field."""
        if self._cookies is None:
            self._cookies = parse_cookie_header(self.headers.get_all("cookie"))
        return self._cookies

    @property
    def content_type(self) -> str | None:
        """The media type of the content (``type/subtype``, lowercased), if declared."""
        value = self.headers.get("content-type")
        return None if value is None else media_type_essence(value)

    def json(self) -> Any:
        """The body parsed as JSON (cached).

        Raises:
            HTTPProblem: 413 or 400, see :func:`decode_json`.
        """
        if self._json is _UNSET:
            self._json = decode_json(self.body, self.limits)
        return self._json


class Response:
    """A response with a complete body.

    Args:
        status: The status code, 100 to 599.
        headers: Header fields.
        body: The content; a ``str`` is encoded as UTF-8 and defaults the
            media type to ``text/plain; charset=utf-8``.
        media_type: Sets ``Content-Type`` unless ``headers`` already does.

    Raises:
        LocalProtocolError: An invalid status or header field.
    """

    __slots__ = ("body", "headers", "status")

    status: int
    headers: Headers
    body: bytes

    def __init__(
        self,
        status: int = 200,
        headers: HeaderInput = None,
        body: bytes | str = b"",
        *,
        media_type: str | None = None,
    ) -> None:
        if type(status) is not int or not 100 <= status <= 599:
            raise LocalProtocolError(f"invalid status {status!r}")
        self.status = status
        self.headers = Headers(headers)
        if isinstance(body, str):
            body = body.encode("utf-8")
            media_type = media_type or "text/plain; charset=utf-8"
        self.body = bytes(body)
        if media_type is not None:
            self.headers.setdefault("content-type", media_type)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.status}>"

    @property
    def etag(self) -> str | None:
        """The ``ETag`` field; set it to a tag such as ``'"v1"'`` or ``'W/"v1"'``.

        Raises:
            LocalProtocolError: (on set) The value is not an entity tag.
        """
        return self.headers.get("etag")

    @etag.setter
    def etag(self, value: str) -> None:
        if EntityTag.parse(value) is None:
            raise LocalProtocolError(f"not an entity tag: {value!r}")
        self.headers.set("etag", value.strip())

    @property
    def last_modified(self) -> str | None:
        """The ``Last-Modified`` field; set it from an aware datetime or epoch seconds."""
        return self.headers.get("last-modified")

    @last_modified.setter
    def last_modified(self, value: datetime | float) -> None:
        self.headers.set("last-modified", format_http_date(value))

    def set_cookie(self, name: str, value: str = "", **attributes: Any) -> None:
        """Add a ``Set-Cookie`` field; see :func:`format_set_cookie` for the attributes.

        Keyword Args:
            max_age, path, domain, secure, httponly, samesite.
        """
        self.headers.add("set-cookie", format_set_cookie(name, value, **attributes))

    def delete_cookie(
        self, name: str, *, path: str | None = "/", domain: str | None = None
    ) -> None:
        """Ask the client to drop a cookie (``Max-Age=0``, RFC 6265 §5.2.2)."""
        self.set_cookie(name, "", max_age=0, path=path, domain=domain, samesite=None)


class JSONResponse(Response):
    """A response holding ``content`` encoded as JSON (``application/json``).

    Raises:
        ValueError, TypeError: ``content`` is not representable in JSON.
    """

    __slots__ = ()

    def __init__(
        self,
        content: Any,
        status: int = 200,
        headers: HeaderInput = None,
        *,
        media_type: str = "application/json",
    ) -> None:
        super().__init__(status, headers, encode_json(content), media_type=media_type)


class ProblemResponse(Response):
    """The RFC 9457 ``application/problem+json`` response for ``problem``.

    Args:
        problem: The problem.
        instance: The ``instance`` member when the problem has none (the request path).
    """

    __slots__ = ("problem",)

    problem: HTTPProblem

    def __init__(self, problem: HTTPProblem, instance: str | None = None) -> None:
        super().__init__(
            problem.status,
            problem.headers,
            encode_json(problem.to_dict(instance)),
            media_type=PROBLEM_MEDIA_TYPE,
        )
        self.problem = problem


BodyStream = AsyncIterable[bytes | str] | Iterable[bytes | str]


class StreamingResponse(Response):
    """A response whose content is produced chunk by chunk.

    Args:
        content: An async iterable or a (non-blocking) iterable of ``bytes`` or
            ``str`` chunks (``str`` is encoded as UTF-8).
        status: The status code.
        headers: Header fields.
        media_type: The ``Content-Type``.

    The driver sends :meth:`iter_body` as it comes, without ``Content-Length``.
    """

    __slots__ = ("stream",)

    stream: BodyStream

    def __init__(
        self,
        content: BodyStream,
        status: int = 200,
        headers: HeaderInput = None,
        *,
        media_type: str | None = "application/octet-stream",
    ) -> None:
        super().__init__(status, headers, media_type=media_type)
        self.stream = content

    def iter_body(self) -> AsyncIterator[bytes]:
        """The chunks, as bytes; empty chunks are skipped (they would end HTTP/1.1 chunking)."""
        return _chunks(self.stream)

    async def aclose(self) -> None:
        """Release the stream without reading it (for HEAD, or a cancelled request)."""
        await close_iterator(self.stream)


async def close_iterator(iterator: object) -> None:
    """Close an async or sync generator (or anything with ``aclose``/``close``)."""
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        await aclose()
        return
    close = getattr(iterator, "close", None)
    if close is not None:
        close()


async def _chunks(stream: BodyStream) -> AsyncIterator[bytes]:
    if isinstance(stream, AsyncIterable):
        async for chunk in stream:
            if chunk:
                yield chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)
    else:
        for chunk in stream:
            if chunk:
                yield chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)
