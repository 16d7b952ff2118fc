"""Headers, query strings, cookies, requests, responses and JSON bodies."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wire.errors import LocalProtocolError
from wire.http._rest import (
    DEFAULT_LIMITS,
    Headers,
    HTTPProblem,
    JSONResponse,
    Limits,
    ProblemResponse,
    QueryParams,
    Request,
    Response,
    StreamingResponse,
    decode_json,
    encode_json,
    format_set_cookie,
    parse_cookie_header,
)
from wire.http._rest_headers import add_vary, split_list

# -- Headers --------------------------------------------------------------------------


def test_headers_are_case_insensitive_and_multi_valued() -> None:
    h = Headers([(b"Accept", b"a/b"), ("ACCEPT", "c/d"), (b"X-One", b"1")])
    assert h.get("accept") == "a/b"
    assert h.get_all("Accept") == ["a/b", "c/d"]
    assert h.get_list("accept") == ["a/b", "c/d"]
    assert h.get("missing") is None and h.get("missing", "d") == "d"
    assert "x-one" in h and "X-ONE" in h and "two" not in h and 3 not in h
    assert len(h) == 3
    assert list(h) == [("accept", "a/b"), ("accept", "c/d"), ("x-one", "1")]
    assert h.raw() == [(b"accept", b"a/b"), (b"accept", b"c/d"), (b"x-one", b"1")]
    assert repr(h).startswith("Headers(")
    assert h == Headers(h) and h != Headers() and (h == 1) is False
    assert h.has_any(frozenset({"x-one"})) and not h.has_any(frozenset({"b"}))


def test_headers_mutation() -> None:
    h = Headers({"A": "1"})
    h.add("b", "2")
    h.add("a", "3")
    h.set("A", "4")
    assert list(h) == [("a", "4"), ("b", "2")]
    h.set("c", "5")
    assert h.setdefault("c", "6") == "5"
    assert h.setdefault("d", "7") == "7"
    h.remove("b")
    h.remove("zzz")
    copy = h.copy()
    copy.add("e", "8")
    assert "e" not in h
    assert list(h) == [("a", "4"), ("c", "5"), ("d", "7")]


@pytest.mark.parametrize(
    ("name", "value"), [("a b", "1"), ("", "1"), ("a", "x\r\ny: z"), ("a", "\x00")]
)
def test_headers_refuse_injection(name: str, value: str) -> None:
    with pytest.raises(LocalProtocolError):
        Headers([(name, value)])


def test_split_list_respects_quotes() -> None:
    assert split_list('a, "b, c", , d') == ["a", '"b, c"', "d"]
    assert split_list(r'x="a\"b,c", y') == [r'x="a\"b,c"', "y"]
    assert split_list(" , ") == []


def test_add_vary() -> None:
    h = Headers()
    add_vary(h, "Accept")
    add_vary(h, "accept")
    add_vary(h, "Origin")
    assert h.get("vary") == "Accept, Origin"
    star = Headers({"vary": "*"})
    add_vary(star, "Origin")
    assert star.get("vary") == "*"


# -- QueryParams ----------------------------------------------------------------------


def test_query_params() -> None:
    q = QueryParams("a=1&b=x+y&a=2&&c&d=%C3%A9&e=%FF")
    assert q["a"] == "1" and q.get_all("a") == ["1", "2"]
    assert q["b"] == "x y" and q["c"] == "" and q["d"] == "é" and q["e"] == "\ufffd"
    assert q.get("z") is None and q.get_all("z") == []
    assert list(q) == ["a", "b", "c", "d", "e"] and len(q) == 5
    assert q.multi_items()[:3] == [("a", "1"), ("b", "x y"), ("a", "2")]
    assert repr(q).startswith("QueryParams(")
    assert QueryParams({"a": ["1", "2"], "b": "3"}).multi_items() == [
        ("a", "1"),
        ("a", "2"),
        ("b", "3"),
    ]
    assert QueryParams([("k", "v")])["k"] == "v"
    assert QueryParams(q) == q
    assert str(QueryParams([("a b", "c&d")])) == "a%20b=c%26d"


def test_query_limit() -> None:
    QueryParams("a&b&c", max_params=3)
    with pytest.raises(HTTPProblem) as caught:
        QueryParams("a&b&c&d", max_params=3)
    assert caught.value.status == 400


@given(st.lists(st.tuples(st.text(min_size=1), st.text()), max_size=5))
def test_query_round_trip(pairs: list[tuple[str, str]]) -> None:
    assert QueryParams(str(QueryParams(pairs))).multi_items() == pairs


# -- cookies --------------------------------------------------------------------------


def test_parse_cookies() -> None:
    assert parse_cookie_header(['a=1; b="two"; c=; =x; junk; a=dup', "d=4"]) == {
        "a": "1",
        "b": "two",
        "c": "",
        "d": "4",
    }


def test_set_cookie_attributes() -> None:
    assert format_set_cookie("sid", "abc") == "sid=abc; Path=/; SameSite=Lax"
    assert (
        format_set_cookie(
            "sid",
            '"q"',
            max_age=60,
            path=None,
            domain="example.com",
            secure=True,
            httponly=True,
            samesite="none",
        )
        == 'sid="q"; Max-Age=60; Domain=example.com; Secure; HttpOnly; SameSite=None'
    )
    assert format_set_cookie("a", samesite=None, path="/x") == "a=; Path=/x"
    assert format_set_cookie("a", samesite="strict").endswith("SameSite=Strict")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": "a b"},
        {"value": "a;b"},
        {"value": "a b"},
        {"path": "/a;b"},
        {"domain": "x\x01"},
        {"samesite": "none"},
        {"samesite": "sometimes"},
    ],
)
def test_set_cookie_refuses(kwargs: dict[str, object]) -> None:
    args = {"name": "a", "value": "b", **kwargs}
    with pytest.raises(LocalProtocolError):
        format_set_cookie(**args)  # type: ignore[arg-type]


cookie_names = st.text("abcXYZ09!#$%&'*+-.^_`|~", min_size=1)
cookie_values = st.text("abcXYZ09!#$%&'()*+-./:<=>?@[]^_`{|}~", max_size=8)


@given(st.dictionaries(cookie_names, cookie_values, max_size=5))
def test_cookie_round_trip(cookies: dict[str, str]) -> None:
    header = "; ".join(
        format_set_cookie(n, v, path=None, samesite=None) for n, v in cookies.items()
    )
    assert parse_cookie_header([header]) == cookies


# -- Request --------------------------------------------------------------------------


def test_request_basics() -> None:
    r = Request(
        b"GET",
        b"/a/b?x=1&x=2",
        headers=[(b"Cookie", b"s=1"), (b"Content-Type", b"Application/JSON; charset=utf-8")],
        body=b'{"k": [1]}',
        client=("127.0.0.1", 5000),
        scheme="https",
    )
    assert (r.method, r.path, r.query_string) == ("GET", "/a/b", "x=1&x=2")
    assert r.query.get_all("x") == ["1", "2"] and r.query is r.query
    assert r.cookies == {"s": "1"} and r.cookies is r.cookies
    assert r.content_type == "application/json"
    assert r.json() == {"k": [1]} and r.json() is r.json()
    assert (r.client, r.scheme) == (("127.0.0.1", 5000), "https")
    assert repr(r) == "<Request GET /a/b?x=1&x=2>"
    assert repr(Request("GET", "/")) == "<Request GET />"
    assert Request("GET", "/").content_type is None


def test_request_query_forms() -> None:
    assert Request("GET", "/", query="a=1").query["a"] == "1"
    parsed = Request("GET", "/", query={"a": ["1", "2"]})
    assert parsed.query.get_all("a") == ["1", "2"] and parsed.query_string == "a=1&a=2"
    headers = Headers({"x": "1"})
    assert Request("GET", "/", headers=headers).headers is headers
    with pytest.raises(LocalProtocolError):
        Request("GET", "/?a=1", query="b=2")


def test_request_query_limit() -> None:
    r = Request("GET", "/?a&b&c", limits=Limits(max_query_params=2))
    with pytest.raises(HTTPProblem):
        _ = r.query


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"", 400),
        (b"{", 400),
        (b"\xff", 400),
        (b"NaN", 400),
        (b"[Infinity]", 400),
        (b"1" * 5000, 400),  # int() refuses more than 4300 digits
        (b"[" * 100_000 + b"]" * 100_000, 400),  # recursion
        (b"[" * 70 + b"]" * 70, 400),  # deeper than max_json_depth
        (b" " * (DEFAULT_LIMITS.max_json_size + 1), 413),
    ],
)
def test_bad_json(body: bytes, status: int) -> None:
    with pytest.raises(HTTPProblem) as caught:
        decode_json(body)
    assert caught.value.status == status


def test_json_depth_limit_is_inclusive() -> None:
    depth = DEFAULT_LIMITS.max_json_depth
    assert decode_json(b"[" * depth + b"]" * depth) is not None
    assert decode_json(b'{"a": {"b": 1}}', Limits(max_json_depth=2)) == {"a": {"b": 1}}
    with pytest.raises(HTTPProblem):
        decode_json(b'{"a": {"b": []}}', Limits(max_json_depth=2))


def test_limits_validate() -> None:
    with pytest.raises(LocalProtocolError):
        Limits(max_body_size=0)
    with pytest.raises(LocalProtocolError):
        Limits(max_json_size=True)


def test_encode_json() -> None:
    assert encode_json({"a": "é"}) == '{"a":"é"}'.encode()
    assert encode_json("\ud800") == b'"\\ud800"'  # a lone surrogate from a client's \u escape
    with pytest.raises(ValueError):
        encode_json(float("nan"))


# -- Response -------------------------------------------------------------------------


def test_response_basics() -> None:
    r = Response(201, {"X-A": "1"}, "héllo")
    assert (r.status, r.body) == (201, "héllo".encode())
    assert r.headers.get("content-type") == "text/plain; charset=utf-8"
    assert repr(r) == "<Response 201>"
    assert (
        Response(200, {"content-type": "a/b"}, b"x", media_type="c/d").headers.get("content-type")
        == "a/b"
    )
    assert Response().headers.get("content-type") is None
    for status in (99, 600, True, "200"):
        with pytest.raises(LocalProtocolError):
            Response(status)  # type: ignore[arg-type]


def test_response_validators_and_cookies() -> None:
    assert Response().etag is None and Response().last_modified is None
    r = Response()
    r.etag = ' W/"v1" '
    assert r.etag == 'W/"v1"'
    with pytest.raises(LocalProtocolError):
        r.etag = "v1"
    r.last_modified = datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)
    assert r.last_modified == "Sun, 06 Nov 1994 08:49:37 GMT"
    r.set_cookie("a", "1", httponly=True)
    r.delete_cookie("b")
    assert r.headers.get_all("set-cookie") == [
        "a=1; Path=/; HttpOnly; SameSite=Lax",
        "b=; Max-Age=0; Path=/",
    ]


def test_json_and_problem_responses() -> None:
    r = JSONResponse({"a": [1, None]}, 202, media_type="application/vnd.x+json")
    assert (r.status, r.body) == (202, b'{"a":[1,null]}')
    assert r.headers.get("content-type") == "application/vnd.x+json"
    problem = HTTPProblem(404, "gone", headers={"x": "1"}, extensions={"hint": 1})
    p = ProblemResponse(problem, "/a")
    assert p.problem is problem
    assert p.headers.get("content-type") == "application/problem+json"
    assert p.headers.get("x") == "1"
    assert json.loads(p.body) == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "gone",
        "instance": "/a",
        "hint": 1,
    }


async def test_streaming_response_bodies() -> None:
    async def agen() -> AsyncIterator[bytes | str]:
        yield b"a"
        yield ""
        yield "é"

    def gen() -> Iterator[bytes | str]:
        yield bytearray(b"x")  # type: ignore[misc]
        yield b""
        yield "y"

    for source, expected in ((agen(), [b"a", "é".encode()]), (gen(), [b"x", b"y"])):
        response = StreamingResponse(source)
        assert response.headers.get("content-type") == "application/octet-stream"
        assert [chunk async for chunk in response.iter_body()] == expected
    await StreamingResponse([b"a"]).aclose()
    closed: list[bool] = []

    def closing() -> Iterator[bytes]:
        try:
            yield b"a"
        finally:
            closed.append(True)

    source = closing()
    next(source)
    await StreamingResponse(source).aclose()
    assert closed == [True]
