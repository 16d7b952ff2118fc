"""Path patterns and a segment trie router.

A pattern is an absolute path whose segments are literals or one parameter
each: ``/items/{item_id:int}``. Converters: ``str`` (the default: one
non-empty segment), ``int`` (``-?[0-9]+``), ``float`` (``-?[0-9]+(.[0-9]+)?``),
``uuid`` (the canonical 8-4-4-4-12 hex form) and ``path`` (every remaining
segment, possibly empty, joined by ``/``; only last).

Matching walks a trie, one request segment per level. At each level a literal
child is tried first, then typed parameters from the most to the least specific
(``int``, ``float``, ``uuid``, ``str``), then ``path``; a dead end backtracks.
So the route chosen is the one whose per-segment kinds are the smallest in that
order, compared segment by segment, and each trie node is visited at most once
per lookup. The request path is split on ``/`` before percent-decoding each
segment, so ``%2F`` inside a segment never splits it.

Each node knows its methods. ``HEAD`` is served by ``GET`` where no explicit
``HEAD`` exists, ``OPTIONS`` is available on every node, and a path that
matches only nodes without the method gives :class:`MethodNotAllowed` with the
union of their methods.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import quote, unquote

from wire.errors import LocalProtocolError
from wire.http._rest_problem import HTTPProblem

__all__ = ["CONVERTERS", "MethodNotAllowed", "PathPattern", "RouteMatch", "Router"]

T = TypeVar("T")

_INT = re.compile(r"-?[0-9]+")
_FLOAT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _to_int(segment: str) -> int | None:
    return int(segment) if _INT.fullmatch(segment) else None


def _to_float(segment: str) -> float | None:
    return float(segment) if _FLOAT.fullmatch(segment) else None


def _to_uuid(segment: str) -> uuid.UUID | None:
    return uuid.UUID(segment) if _UUID.fullmatch(segment) else None


def _to_str(segment: str) -> str | None:
    return segment or None


# name -> (priority, parse); the path converter is handled by the trie itself.
CONVERTERS: dict[str, tuple[int, Callable[[str], Any]]] = {
    "int": (1, _to_int),
    "float": (2, _to_float),
    "uuid": (3, _to_uuid),
    "str": (4, _to_str),
}
_PATH_PRIORITY = 5


@dataclass(frozen=True, slots=True)
class _Segment:
    literal: str | None  # None for a parameter
    name: str = ""
    converter: str = ""


@dataclass(frozen=True, slots=True)
class PathPattern:
    """A parsed route pattern.

    Raises:
        LocalProtocolError: The pattern is not an absolute path, a parameter is
            malformed or repeated, an unknown converter is named, or ``path`` is
            not the last segment.
    """

    text: str
    segments: tuple[_Segment, ...]

    @classmethod
    def parse(cls, text: str) -> PathPattern:
        """Parse ``text`` (``/items/{item_id:int}``)."""
        if not text.startswith("/"):
            raise LocalProtocolError(f"a route pattern starts with '/': {text!r}")
        segments: list[_Segment] = []
        names: set[str] = set()
        parts = text[1:].split("/")
        for index, part in enumerate(parts):
            if not part.startswith("{") or not part.endswith("}"):
                if "{" in part or "}" in part:
                    raise LocalProtocolError(f"a parameter must be a whole segment: {part!r}")
                segments.append(_Segment(part))
                continue
            name, _, converter = part[1:-1].partition(":")
            converter = converter or "str"
            if _NAME.fullmatch(name) is None or name in names:
                raise LocalProtocolError(f"invalid or repeated parameter name {name!r} in {text!r}")
            if converter != "path" and converter not in CONVERTERS:
                raise LocalProtocolError(f"unknown converter {converter!r} in {text!r}")
            if converter == "path" and index != len(parts) - 1:
                raise LocalProtocolError(f"a path parameter must be last in {text!r}")
            names.add(name)
            segments.append(_Segment(None, name, converter))
        return cls(text, tuple(segments))

    @property
    def params(self) -> list[tuple[str, str]]:
        """``(name, converter)`` for each parameter, in order."""
        return [(s.name, s.converter) for s in self.segments if s.literal is None]

    @property
    def template(self) -> str:
        """The pattern with bare ``{name}`` parameters, as in an OpenAPI path."""
        return "/" + "/".join(
            s.literal if s.literal is not None else "{" + s.name + "}" for s in self.segments
        )

    def format(self, params: dict[str, Any]) -> str:
        """The path for ``params``, percent-encoded.

        Raises:
            LocalProtocolError: A parameter is missing or unexpected.
        """
        expected = {name for name, _ in self.params}
        if set(params) != expected:
            raise LocalProtocolError(
                f"{self.text} needs parameters {sorted(expected)}, got {sorted(params)}"
            )
        out = []
        for s in self.segments:
            if s.literal is not None:
                out.append(quote(s.literal, safe=""))
            else:
                out.append(quote(str(params[s.name]), safe="/" if s.converter == "path" else ""))
        return "/" + "/".join(out)


@dataclass(frozen=True, slots=True)
class RouteMatch(Generic[T]):
    """A successful lookup.

    ``value`` is None for an ``OPTIONS`` request on a node without an explicit
    ``OPTIONS`` route: the caller answers it from ``allow``.
    """

    value: T | None
    params: dict[str, Any]
    allow: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MethodNotAllowed:
    """The path exists but not with this method; ``allow`` lists the methods it has."""

    allow: tuple[str, ...]


class _Node(Generic[T]):
    __slots__ = ("allow", "catch_all", "methods", "names", "params", "routes", "static")

    def __init__(self) -> None:
        self.static: dict[str, _Node[T]] = {}
        self.params: list[tuple[int, Callable[[str], Any], str, _Node[T]]] = []
        self.catch_all: _Node[T] | None = None
        self.routes: dict[str, T] = {}
        self.methods: frozenset[str] = frozenset()
        self.allow: tuple[str, ...] = ()
        self.names: tuple[str, ...] | None = None

    def child(self, segment: _Segment) -> _Node[T]:
        if segment.literal is not None:
            return self.static.setdefault(segment.literal, _Node())
        if segment.converter == "path":
            if self.catch_all is None:
                self.catch_all = _Node()
            return self.catch_all
        for _, _, converter, node in self.params:
            if converter == segment.converter:
                return node
        priority, parse = CONVERTERS[segment.converter]
        node = _Node[T]()
        self.params.append((priority, parse, segment.converter, node))
        self.params.sort(key=lambda entry: entry[0])
        return node


def _allow(methods: Iterable[str]) -> tuple[str, ...]:
    allowed = set(methods) | {"OPTIONS"}
    if "GET" in allowed:
        allowed.add("HEAD")
    return tuple(sorted(allowed))


class Router(Generic[T]):
    """Maps ``(method, path)`` to a value (a route) and the path parameters."""

    __slots__ = ("_root", "_static")

    def __init__(self) -> None:
        self._root = _Node[T]()
        # Fully literal paths: the best possible match, found with one dict lookup.
        self._static: dict[str, _Node[T]] = {}

    def add(self, pattern: PathPattern, methods: Iterable[str], value: T) -> None:
        """Register ``value`` for ``methods`` on ``pattern``.

        Raises:
            LocalProtocolError: A method is already routed on the same pattern
                shape, or the same shape uses different parameter names.
        """
        node = self._root
        for segment in pattern.segments:
            node = node.child(segment)
        names = tuple(name for name, _ in pattern.params)
        if node.names is not None and node.names != names:
            raise LocalProtocolError(
                f"{pattern.text} has the shape of an existing route with other parameter names"
            )
        methods = list(methods)
        taken = sorted(set(methods) & set(node.routes))
        if taken:
            raise LocalProtocolError(f"{taken} already routed for the shape of {pattern.text}")
        node.names = names
        for method in methods:
            node.routes[method] = value
        node.allow = _allow(node.routes)
        node.methods = frozenset(node.allow)
        if not names:
            self._static["/" + "/".join(s.literal or "" for s in pattern.segments)] = node

    def match(self, method: str, path: str) -> RouteMatch[T] | MethodNotAllowed | None:
        """Look up ``path`` (percent-encoded, starting with ``/``) for ``method``.

        Returns:
            A :class:`RouteMatch`, :class:`MethodNotAllowed`, or None (no route
            has this path).

        Raises:
            HTTPProblem: 400, a segment is not UTF-8 once percent-decoded.
        """
        if "%" not in path:
            node = self._static.get(path)
            segments = path[1:].split("/")
            if node is not None and method in node.methods:
                return self._result(node, method, [], segments)
        else:
            try:
                segments = [unquote(s, errors="strict") for s in path[1:].split("/")]
            except UnicodeDecodeError:
                raise HTTPProblem(400, "the path is not UTF-8 once percent-decoded") from None
        values: list[Any] = []
        node = self._search(self._root, segments, 0, values, method)
        if node is not None:
            return self._result(node, method, values, segments)
        found: list[_Node[T]] = []
        self._collect(self._root, segments, 0, found)
        if not found:
            return None
        return MethodNotAllowed(_allow(m for n in found for m in n.methods))

    def _result(
        self, node: _Node[T], method: str, values: list[Any], segments: list[str]
    ) -> RouteMatch[T]:
        value = node.routes.get(method)
        if value is None and method == "HEAD":
            value = node.routes.get("GET")
        params = dict(zip(node.names or (), values, strict=True))
        if value is not None:
            return RouteMatch(value, params, node.allow)
        # Automatic OPTIONS: everything this path allows, over every matching route.
        found: list[_Node[T]] = []
        self._collect(self._root, segments, 0, found)
        return RouteMatch(None, params, _allow(m for n in found for m in n.methods))

    def _search(
        self, node: _Node[T], segments: list[str], index: int, values: list[Any], method: str
    ) -> _Node[T] | None:
        if index == len(segments):
            return node if method in node.methods else None
        segment = segments[index]
        child = node.static.get(segment)
        if child is not None:
            found = self._search(child, segments, index + 1, values, method)
            if found is not None:
                return found
        for _, parse, _, child in node.params:
            value = parse(segment)
            if value is not None:
                values.append(value)
                found = self._search(child, segments, index + 1, values, method)
                if found is not None:
                    return found
                values.pop()
        if node.catch_all is not None and method in node.catch_all.methods:
            values.append("/".join(segments[index:]))
            return node.catch_all
        return None

    def _collect(
        self, node: _Node[T], segments: list[str], index: int, found: list[_Node[T]]
    ) -> None:
        if index == len(segments):
            if node.routes:
                found.append(node)
            return
        segment = segments[index]
        child = node.static.get(segment)
        if child is not None:
            self._collect(child, segments, index + 1, found)
        for _, parse, _, child in node.params:
            if parse(segment) is not None:
                self._collect(child, segments, index + 1, found)
        if node.catch_all is not None:
            found.append(node.catch_all)
