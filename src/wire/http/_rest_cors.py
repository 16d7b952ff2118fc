"""Cross-Origin Resource Sharing (WHATWG Fetch §3.2, "CORS protocol").

:class:`CORS` holds the policy. The application calls :meth:`CORS.preflight`
for a preflight request (``OPTIONS`` with ``Origin`` and
``Access-Control-Request-Method``) and :meth:`CORS.apply` on every other
response, errors included, so scripts can read problem details.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from wire.errors import LocalProtocolError
from wire.http._rest_headers import Headers, add_vary
from wire.http._rest_messages import Request, Response
from wire.http._rest_problem import HTTPProblem

__all__ = ["CORS"]

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Fetch §2.2.2: request headers a browser sends without asking.
_SAFELISTED = frozenset({"accept", "accept-language", "content-language", "content-type", "range"})


def _tuple(value: str | Iterable[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


@dataclass(frozen=True, slots=True)
class CORS:
    """A CORS policy.

    Args:
        allow_origins: Origins allowed to read responses (``"https://app.example"``),
            or ``"*"`` for any. Origins are compared exactly, as browsers serialize them.
        allow_methods: Methods a preflight may ask for.
        allow_headers: Request headers a preflight may ask for (case-insensitive),
            or ``"*"`` for any.
        expose_headers: Response headers scripts may read beyond the safelisted ones.
        allow_credentials: Whether cookies and authorization may be sent. With
            ``"*"`` origins, the request's origin is echoed instead, since browsers
            refuse ``*`` with credentials.
        max_age: Seconds a browser may cache a preflight result.

    Raises:
        LocalProtocolError: A method or header name is not a token, or ``max_age``
            is negative.
    """

    allow_origins: str | Sequence[str] = "*"
    allow_methods: Sequence[str] = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
    allow_headers: str | Sequence[str] = ()
    expose_headers: Sequence[str] = ()
    allow_credentials: bool = False
    max_age: int = 600
    _headers: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.allow_origins != "*":
            object.__setattr__(self, "allow_origins", _tuple(self.allow_origins))
        if self.allow_headers != "*":
            object.__setattr__(self, "allow_headers", _tuple(self.allow_headers))
        object.__setattr__(self, "allow_methods", _tuple(self.allow_methods))
        object.__setattr__(self, "expose_headers", _tuple(self.expose_headers))
        names = [*self.allow_methods, *self.expose_headers]
        if self.allow_headers != "*":
            names.extend(self.allow_headers)
        for name in names:
            if _TOKEN.fullmatch(name) is None:
                raise LocalProtocolError(f"not a token: {name!r}")
        if self.max_age < 0:
            raise LocalProtocolError("max_age cannot be negative")
        allowed = () if self.allow_headers == "*" else self.allow_headers
        object.__setattr__(self, "_headers", frozenset(name.lower() for name in allowed))

    def origin_allowed(self, origin: str) -> bool:
        """Whether ``origin`` may read responses."""
        return self.allow_origins == "*" or origin in self.allow_origins

    @property
    def _varies(self) -> bool:
        # The answer depends on Origin unless it is a literal "*" for everyone.
        return self.allow_origins != "*" or self.allow_credentials

    def _allow_origin(self, headers: Headers, origin: str) -> None:
        if self._varies:
            headers.set("access-control-allow-origin", origin)
        else:
            headers.set("access-control-allow-origin", "*")
        if self.allow_credentials:
            headers.set("access-control-allow-credentials", "true")

    def apply(self, request: Request, headers: Headers) -> None:
        """Add the CORS fields of an actual (non-preflight) response to ``headers``."""
        if self._varies:
            add_vary(headers, "Origin")
        origin = request.headers.get("origin")
        if origin is None or not self.origin_allowed(origin):
            return
        self._allow_origin(headers, origin)
        if self.expose_headers:
            headers.set("access-control-expose-headers", ", ".join(self.expose_headers))

    def preflight(self, request: Request) -> Response:
        """The response to a preflight request (Fetch §3.2.3).

        Raises:
            HTTPProblem: 403 when the origin, the method or a header is not allowed
                (the response then has no CORS fields, so the browser refuses).
        """
        origin = request.headers.get("origin") or ""
        method = (request.headers.get("access-control-request-method") or "").strip()
        asked = [
            name.lower() for name in request.headers.get_list("access-control-request-headers")
        ]
        if not self.origin_allowed(origin):
            raise HTTPProblem(403, "this origin is not allowed")
        if method not in self.allow_methods:
            raise HTTPProblem(403, f"method {method!r} is not allowed for cross-origin requests")
        if self.allow_headers != "*":
            refused = [n for n in asked if n not in self._headers and n not in _SAFELISTED]
            if refused:
                raise HTTPProblem(
                    403, f"headers {refused} are not allowed for cross-origin requests"
                )
        response = Response(204)
        headers = response.headers
        self._allow_origin(headers, origin)
        headers.set("access-control-allow-methods", ", ".join(self.allow_methods))
        if asked:
            headers.set("access-control-allow-headers", ", ".join(asked))
        headers.set("access-control-max-age", str(self.max_age))
        for name in ("Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"):
            add_vary(headers, name)
        return response
