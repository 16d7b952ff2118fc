"""RFC 9457 problem details, alone and as every error the application produces."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wire.errors import LocalProtocolError
from wire.http._rest import (
    PROBLEM_MEDIA_TYPE,
    App,
    HTTPProblem,
    Limits,
    ProblemResponse,
    Request,
)
from wire.http._rest_problem import status_phrase


def test_problem_defaults() -> None:
    problem = HTTPProblem(404)
    assert (problem.title, problem.type, problem.detail, problem.instance) == (
        "Not Found",
        "about:blank",
        None,
        None,
    )
    assert problem.to_dict() == {"type": "about:blank", "title": "Not Found", "status": 404}
    assert problem.to_dict("/x")["instance"] == "/x"
    assert str(problem) == "404 Not Found"
    assert str(HTTPProblem(400, "bad")) == "400 Bad Request: bad"


def test_problem_members() -> None:
    problem = HTTPProblem(
        409,
        "taken",
        title="Conflict of names",
        type="https://example.com/probs/taken",
        instance="/names/1",
        extensions={"name": "x"},
    )
    assert problem.to_dict("/ignored") == {
        "type": "https://example.com/probs/taken",
        "title": "Conflict of names",
        "status": 409,
        "detail": "taken",
        "instance": "/names/1",
        "name": "x",
    }


def test_rfc9110_phrases() -> None:
    assert status_phrase(413) == "Content Too Large"
    assert status_phrase(422) == "Unprocessable Content"
    assert status_phrase(599) == "Error"


@pytest.mark.parametrize("status", [200, 399, 600])
def test_problem_needs_an_error_status(status: int) -> None:
    with pytest.raises(LocalProtocolError):
        HTTPProblem(status)


def test_extensions_cannot_redefine_members() -> None:
    with pytest.raises(LocalProtocolError):
        HTTPProblem(400, extensions={"status": 200})


member_names = st.text("abcdefgh_", min_size=1, max_size=6).filter(
    lambda name: name not in {"type", "title", "status", "detail", "instance"}
)
json_scalars = st.none() | st.booleans() | st.integers() | st.text()


@given(
    st.integers(400, 599),
    st.one_of(st.none(), st.text()),
    st.one_of(st.none(), st.text()),
    st.dictionaries(member_names, json_scalars, max_size=3),
)
def test_problem_responses_carry_every_member(
    status: int, detail: str | None, instance: str | None, extensions: dict[str, Any]
) -> None:
    response = ProblemResponse(HTTPProblem(status, detail, extensions=extensions), instance)
    assert response.status == status
    assert response.headers.get("content-type") == PROBLEM_MEDIA_TYPE
    body = json.loads(response.body)
    assert body["status"] == status and body["type"] == "about:blank"
    assert body["title"] == status_phrase(status)
    assert body.get("detail") == detail and body.get("instance") == instance
    for name, value in extensions.items():
        assert body[name] == value


def build_app() -> App:
    app = App(limits=Limits(max_target_length=64, max_body_size=64, max_query_params=3))

    @app.get("/items/{item_id:int}", produces=["application/json"])
    def get_item(request: Request, item_id: int) -> dict[str, int]:
        if item_id == 13:
            raise RuntimeError("secret internals")
        if item_id == 404:
            raise HTTPProblem(404, "no such item")
        return {"id": item_id}

    @app.post("/items", body={"type": "object", "required": ["name"]})
    def create(request: Request) -> dict[str, Any]:
        return dict(request.json())

    return app


APP = build_app()
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "BREW", "get"]
PATHS = ["/items", "/items/1", "/items/13", "/items/404", "/items/x", "/nope", "*", "items", "/%FF"]
HEADER_POOL = [
    (b"accept", b"text/html"),
    (b"accept", b"application/*"),
    (b"content-type", b"application/json"),
    (b"content-type", b"text/plain"),
    (b"if-none-match", b"*"),
    (b"accept-encoding", b"gzip"),
]
BODIES = [b"", b"{", b'{"name": 1}', b"{}", b"[]", b"x" * 65]


@given(
    st.sampled_from(METHODS),
    st.sampled_from(PATHS),
    st.sampled_from(["", "a=1", "a&b&c&d", "x" * 70]),
    st.lists(st.sampled_from(HEADER_POOL), max_size=3),
    st.sampled_from(BODIES),
)
def test_every_error_is_a_problem(
    method: str, path: str, query: str, headers: list[tuple[bytes, bytes]], body: bytes
) -> None:
    response = APP.handle_sync(Request(method, path, query=query, headers=headers, body=body))
    assert 200 <= response.status <= 599
    if response.status >= 400:
        assert response.headers.get("content-type") == PROBLEM_MEDIA_TYPE
        if method == "HEAD":
            assert response.body == b""
            return
        problem = json.loads(response.body)
        assert problem["status"] == response.status
        assert problem["title"] == status_phrase(response.status)
        assert "secret" not in response.body.decode()
        if response.status == 405:
            assert response.headers.get("allow")
        if response.status == 500:
            assert problem["id"]
