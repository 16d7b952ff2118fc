"""The segment trie router: patterns, converters, priorities, 404/405, HEAD and OPTIONS."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import quote, unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wire.errors import LocalProtocolError
from wire.http._rest import HTTPProblem
from wire.http._rest_routing import MethodNotAllowed, PathPattern, RouteMatch, Router

UUID = "12345678-1234-5678-1234-567812345678"


def router(*routes: tuple[str, str]) -> Router[str]:
    r: Router[str] = Router()
    for pattern, method in routes:
        r.add(PathPattern.parse(pattern), [method], f"{method} {pattern}")
    return r


@pytest.mark.parametrize(
    ("path", "expected", "params"),
    [
        ("/items", "GET /items", {}),
        ("/items/7", "GET /items/{id:int}", {"id": 7}),
        ("/items/-7", "GET /items/{id:int}", {"id": -7}),
        ("/items/2.5", "GET /items/{x:float}", {"x": 2.5}),
        ("/items/" + UUID, "GET /items/{u:uuid}", {"u": uuid.UUID(UUID)}),
        ("/items/" + UUID.upper(), "GET /items/{u:uuid}", {"u": uuid.UUID(UUID)}),
        ("/items/new", "GET /items/new", {}),
        ("/items/news", "GET /items/{name}", {"name": "news"}),
        ("/items/a%2Fb", "GET /items/{name}", {"name": "a/b"}),
        ("/items/%C3%A9", "GET /items/{name}", {"name": "é"}),
        ("/items/n%65w", "GET /items/new", {}),
        ("/files/a/b/c.txt", "GET /files/{p:path}", {"p": "a/b/c.txt"}),
        ("/files/", "GET /files/{p:path}", {"p": ""}),
        ("/files/a%2Fb/c", "GET /files/{p:path}", {"p": "a/b/c"}),
        ("/", "GET /", {}),
    ],
)
def test_matches(path: str, expected: str, params: dict[str, Any]) -> None:
    r = router(
        ("/", "GET"),
        ("/items", "GET"),
        ("/items/new", "GET"),
        ("/items/{id:int}", "GET"),
        ("/items/{x:float}", "GET"),
        ("/items/{u:uuid}", "GET"),
        ("/items/{name}", "GET"),
        ("/files/{p:path}", "GET"),
    )
    match = r.match("GET", path)
    assert isinstance(match, RouteMatch)
    assert (match.value, match.params) == (expected, params)


@pytest.mark.parametrize("path", ["/nothing", "/items/7/x", "/files", "//", "/items/", ""])
def test_not_found(path: str) -> None:
    r = router(("/items/{id:int}", "GET"), ("/files/{p:path}", "GET"))
    assert r.match("GET", path or "/") is None


def test_backtracking_prefers_literals_then_falls_back() -> None:
    r = router(("/a/b/c", "GET"), ("/a/{x}/d", "GET"), ("/{p:path}", "GET"))
    assert r.match("GET", "/a/b/c") == RouteMatch("GET /a/b/c", {}, ("GET", "HEAD", "OPTIONS"))
    match = r.match("GET", "/a/b/d")
    assert isinstance(match, RouteMatch)
    assert (match.value, match.params) == ("GET /a/{x}/d", {"x": "b"})
    match = r.match("GET", "/a/b/e")
    assert isinstance(match, RouteMatch)
    assert (match.value, match.params) == ("GET /{p:path}", {"p": "a/b/e"})


def test_method_not_allowed_lists_the_union() -> None:
    r = router(("/a/{x:int}", "PUT"), ("/a/{x}", "DELETE"), ("/a/1", "POST"))
    assert r.match("GET", "/a/1") == MethodNotAllowed(("DELETE", "OPTIONS", "POST", "PUT"))
    assert r.match("GET", "/a/z") == MethodNotAllowed(("DELETE", "OPTIONS"))
    match = r.match("DELETE", "/a/1")
    assert isinstance(match, RouteMatch)
    assert match.value == "DELETE /a/{x}"


def test_head_falls_back_to_get_and_explicit_head_wins() -> None:
    r = router(("/a", "GET"), ("/b", "GET"), ("/b", "HEAD"))
    a = r.match("HEAD", "/a")
    b = r.match("HEAD", "/b")
    assert isinstance(a, RouteMatch)
    assert isinstance(b, RouteMatch)
    assert (a.value, b.value) == ("GET /a", "HEAD /b")


def test_automatic_options_gives_every_method_of_the_path() -> None:
    r = router(("/a/{x:int}", "PUT"), ("/a/{x}", "GET"), ("/c", "OPTIONS"))
    match = r.match("OPTIONS", "/a/1")
    assert match == RouteMatch(None, {"x": 1}, ("GET", "HEAD", "OPTIONS", "PUT"))
    match = r.match("OPTIONS", "/a/%31")
    assert match == RouteMatch(None, {"x": 1}, ("GET", "HEAD", "OPTIONS", "PUT"))
    explicit = r.match("OPTIONS", "/c")
    assert isinstance(explicit, RouteMatch)
    assert explicit.value == "OPTIONS /c"


def test_invalid_utf8_segment_is_a_bad_request() -> None:
    r = router(("/a/{x}", "GET"))
    with pytest.raises(HTTPProblem) as caught:
        r.match("GET", "/a/%FF")
    assert caught.value.status == 400


@pytest.mark.parametrize(
    "pattern",
    [
        "items",
        "/a/{x",
        "/a/x}",
        "/a/pre{x}",
        "/a/{1x}",
        "/a/{x}/{x}",
        "/a/{x:nope}",
        "/a/{p:path}/b",
        "/a/{}",
    ],
)
def test_invalid_patterns(pattern: str) -> None:
    with pytest.raises(LocalProtocolError):
        PathPattern.parse(pattern)


def test_conflicts() -> None:
    r = router(("/a/{x}", "GET"))
    with pytest.raises(LocalProtocolError, match="already routed"):
        r.add(PathPattern.parse("/a/{x}"), ["GET"], "again")
    with pytest.raises(LocalProtocolError, match="parameter names"):
        r.add(PathPattern.parse("/a/{y}"), ["POST"], "renamed")
    r.add(PathPattern.parse("/a/{x}"), ["POST"], "POST /a/{x}")
    match = r.match("POST", "/a/q")
    assert isinstance(match, RouteMatch)
    assert match.value == "POST /a/{x}"


def test_pattern_template_and_format() -> None:
    pattern = PathPattern.parse("/a b/{id:int}/{rest:path}")
    assert pattern.template == "/a b/{id}/{rest}"
    assert pattern.params == [("id", "int"), ("rest", "path")]
    assert pattern.format({"id": 5, "rest": "x y/z"}) == "/a%20b/5/x%20y/z"
    assert PathPattern.parse("/n/{name}").format({"name": "a/b"}) == "/n/a%2Fb"
    with pytest.raises(LocalProtocolError):
        pattern.format({"id": 5})


# -- property: the trie against a naive oracle -------------------------------------------

KINDS = ["lit", "int", "float", "uuid", "str", "path"]
RANK = {"lit": 0, "int": 1, "float": 2, "uuid": 3, "str": 4, "path": 5}
LITERALS = ["a", "b", "7", "1.5", UUID, "é", "a b"]
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"]

Shape = tuple[tuple[str, str], ...]  # (kind, literal or "")


@st.composite
def shapes(draw: st.DrawFn) -> Shape:
    n = draw(st.integers(0, 3))
    out: list[tuple[str, str]] = []
    for i in range(n):
        kind = draw(st.sampled_from(KINDS if i == n - 1 else KINDS[:-1]))
        out.append((kind, draw(st.sampled_from(LITERALS)) if kind == "lit" else ""))
    return tuple(out)


def pattern_text(shape: Shape) -> str:
    if not shape:
        return "/"
    parts = [
        lit if kind == "lit" else "{p%d:%s}" % (i, kind)  # noqa: UP031
        for i, (kind, lit) in enumerate(shape)
    ]
    return "/" + "/".join(parts)


def oracle_convert(kind: str, segment: str) -> Any:
    if kind == "int":
        return int(segment) if re.fullmatch(r"-?[0-9]+", segment) else None
    if kind == "float":
        return float(segment) if re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", segment) else None
    if kind == "uuid":
        ok = re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", segment, re.IGNORECASE)
        return uuid.UUID(segment) if ok else None
    return segment if segment else None


def oracle_match(shape: Shape, segments: list[str]) -> tuple[tuple[int, ...], list[Any]] | None:
    if not shape:
        shape = (("lit", ""),)
    values: list[Any] = []
    for i, (kind, lit) in enumerate(shape):
        if kind == "path":
            if i >= len(segments):
                return None
            values.append("/".join(segments[i:]))
            return tuple(RANK[k] for k, _ in shape), values
        if i >= len(segments):
            return None
        if kind == "lit":
            if segments[i] != lit:
                return None
            continue
        value = oracle_convert(kind, segments[i])
        if value is None:
            return None
        values.append(value)
    if len(segments) != len(shape):
        return None
    return tuple(RANK[k] for k, _ in shape), values


def effective(methods: set[str]) -> set[str]:
    out = set(methods) | {"OPTIONS"}
    if "GET" in methods:
        out.add("HEAD")
    return out


@st.composite
def segment_values(draw: st.DrawFn) -> str:
    return draw(
        st.one_of(
            st.sampled_from([*LITERALS, "", "-3", "0", "2.0", UUID.upper(), "x/y", "%"]),
            st.integers(-100, 100).map(str),
            st.text(max_size=4),
        )
    )


@given(
    st.dictionaries(shapes(), st.sets(st.sampled_from(METHODS), min_size=1), max_size=8),
    st.lists(segment_values(), min_size=1, max_size=5),
    st.sampled_from([*METHODS, "PATCH"]),
    st.booleans(),
)
def test_router_agrees_with_the_oracle(
    routes: dict[Shape, set[str]], segments: list[str], method: str, use_route_shape: bool
) -> None:
    r: Router[tuple[Shape, str]] = Router()
    for shape, methods in routes.items():
        for m in sorted(methods):
            r.add(PathPattern.parse(pattern_text(shape)), [m], (shape, m))
    if use_route_shape and routes:
        # Build a path that some route certainly matches.
        shape = sorted(routes, key=repr)[0]
        segments = [
            lit if kind == "lit" else seg
            for (kind, lit), seg in zip(shape, segments * 3, strict=False)
        ]
        if not shape:
            segments = [""]
    path = "/" + "/".join(quote(s, safe="") for s in segments)
    decoded = [unquote(s) for s in path[1:].split("/")]
    candidates = []
    for shape, methods in routes.items():
        found = oracle_match(shape, decoded)
        if found is not None:
            candidates.append((found[0], shape, found[1], methods))
    result = r.match(method, path)
    usable = sorted((c for c in candidates if method in effective(c[3])), key=lambda c: c[0])
    union = set().union(*(effective(c[3]) for c in candidates)) if candidates else set()
    if usable:
        _rank, shape, values, methods = usable[0]
        assert isinstance(result, RouteMatch), (path, result)
        assert list(result.params.values()) == values
        if method in methods:
            assert result.value == (shape, method)
        elif method == "HEAD":
            assert result.value == (shape, "GET")
        else:
            assert method == "OPTIONS"
            assert result.value is None
            assert set(result.allow) == union
    elif candidates:
        assert result == MethodNotAllowed(tuple(sorted(union)))
    else:
        assert result is None
