"""Problem details for HTTP APIs (RFC 9457).

Every error the REST toolkit produces, and every :class:`HTTPProblem` a handler
raises, is sent as ``application/problem+json``: an object with the members
``type``, ``title``, ``status``, ``detail`` and ``instance`` (RFC 9457 §3.1)
plus extension members such as ``errors`` (a list of ``{"pointer", "detail"}``
objects, RFC 9457 §3 example) or ``id`` (the correlation id of a 500).
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from wire.errors import LocalProtocolError

__all__ = ["PROBLEM_MEDIA_TYPE", "HTTPProblem", "status_phrase"]

PROBLEM_MEDIA_TYPE = "application/problem+json"

# RFC 9457 §3.1: the members an extension may not redefine.
_STANDARD_MEMBERS = frozenset({"type", "title", "status", "detail", "instance"})


# RFC 9110 renamed these; Python 3.11's HTTPStatus still has the RFC 7231 phrases.
_RFC9110_PHRASES = {
    413: "Content Too Large",
    416: "Range Not Satisfiable",
    422: "Unprocessable Content",
}


def status_phrase(status: int) -> str:
    """The reason phrase registered for ``status``, or ``"Error"`` for an unregistered code."""
    if status in _RFC9110_PHRASES:
        return _RFC9110_PHRASES[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class HTTPProblem(Exception):
    """An error that becomes an RFC 9457 problem response.

    Raise it from a handler (or from an ``etag`` callback) to answer with a
    problem instead of the handler's result.

    Args:
        status: The HTTP status, 400 to 599.
        detail: A human-readable explanation specific to this occurrence
            (RFC 9457 §3.1.4). It is sent to the client: never put internals in it.
        title: A short summary of the problem type; defaults to the status phrase,
            as RFC 9457 §4.2.1 asks for the ``about:blank`` type.
        type: A URI reference identifying the problem type (RFC 9457 §3.1.1).
        instance: A URI reference identifying this occurrence; the application
            fills in the request path when it is left out.
        headers: Extra response fields, such as ``Allow`` for a 405.
        extensions: Extension members (RFC 9457 §3.2).

    Raises:
        LocalProtocolError: ``status`` is not an error status, or an extension
            member would redefine a standard member.
    """

    status: int
    title: str
    detail: str | None
    type: str
    instance: str | None
    headers: dict[str, str]
    extensions: dict[str, Any]

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        title: str | None = None,
        type: str = "about:blank",
        instance: str | None = None,
        headers: Mapping[str, str] | None = None,
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        if not 400 <= status <= 599:
            raise LocalProtocolError(f"a problem needs an error status (400-599), not {status}")
        clash = _STANDARD_MEMBERS.intersection(extensions or ())
        if clash:
            raise LocalProtocolError(f"extension members may not redefine {sorted(clash)}")
        self.status = status
        self.title = title if title is not None else status_phrase(status)
        self.detail = detail
        self.type = type
        self.instance = instance
        self.headers = dict(headers or {})
        self.extensions = dict(extensions or {})
        super().__init__(f"{status} {self.title}" + (f": {detail}" if detail else ""))

    def to_dict(self, instance: str | None = None) -> dict[str, Any]:
        """The problem object (RFC 9457 §3).

        Args:
            instance: Used for ``instance`` when the problem was raised without one.
        """
        body: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status}
        if self.detail is not None:
            body["detail"] = self.detail
        chosen = self.instance if self.instance is not None else instance
        if chosen is not None:
            body["instance"] = chosen
        body.update(self.extensions)
        return body
