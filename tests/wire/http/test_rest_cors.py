"""CORS: actual requests and preflights (WHATWG Fetch §3.2)."""

from __future__ import annotations

import pytest

from wire.errors import LocalProtocolError
from wire.http._rest import CORS, App, Request, Response

SITE = "https://app.example"
OTHER = "https://evil.example"


def make_app(cors: CORS) -> App:
    app = App(cors=cors)

    @app.route("/things", ["GET", "POST"])
    def things(request: Request) -> str:
        return "ok"

    return app


def call(app: App, method: str, *headers: tuple[str, str], path: str = "/things") -> Response:
    return app.handle_sync(
        Request(method, path, headers=[(n.encode(), v.encode()) for n, v in headers])
    )


def test_actual_request_from_an_allowed_origin() -> None:
    app = make_app(CORS(allow_origins=[SITE], allow_credentials=True, expose_headers=["ETag"]))
    r = call(app, "GET", ("origin", SITE))
    assert r.headers.get("access-control-allow-origin") == SITE
    assert r.headers.get("access-control-allow-credentials") == "true"
    assert r.headers.get("access-control-expose-headers") == "ETag"
    assert r.headers.get("vary") == "Origin"
    r = call(app, "GET", ("origin", OTHER))
    assert r.headers.get("access-control-allow-origin") is None
    assert r.headers.get("vary") == "Origin"  # caches must still key on Origin
    r = call(app, "GET")
    assert r.headers.get("access-control-allow-origin") is None
    # Errors carry CORS fields too, so scripts can read the problem.
    r = call(app, "GET", ("origin", SITE), path="/missing")
    assert r.status == 404 and r.headers.get("access-control-allow-origin") == SITE


def test_any_origin() -> None:
    r = call(make_app(CORS()), "GET", ("origin", OTHER))
    assert r.headers.get("access-control-allow-origin") == "*"
    assert r.headers.get("vary") is None
    assert r.headers.get("access-control-allow-credentials") is None
    # With credentials, "*" is not allowed by browsers: echo the origin.
    r = call(make_app(CORS(allow_credentials=True)), "GET", ("origin", OTHER))
    assert r.headers.get("access-control-allow-origin") == OTHER
    assert r.headers.get("vary") == "Origin"


def test_preflight() -> None:
    app = make_app(CORS(allow_origins=SITE, allow_headers=["X-Token"], max_age=60))
    r = call(
        app,
        "OPTIONS",
        ("origin", SITE),
        ("access-control-request-method", "POST"),
        ("access-control-request-headers", "x-token, content-type"),
    )
    assert r.status == 204
    assert r.headers.get("access-control-allow-origin") == SITE
    assert r.headers.get("access-control-allow-methods") == "GET, HEAD, POST, PUT, PATCH, DELETE"
    assert r.headers.get("access-control-allow-headers") == "x-token, content-type"
    assert r.headers.get("access-control-max-age") == "60"
    assert r.headers.get("vary") == (
        "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
    )
    r = call(app, "OPTIONS", ("origin", SITE), ("access-control-request-method", "GET"))
    assert r.status == 204 and r.headers.get("access-control-allow-headers") is None


@pytest.mark.parametrize(
    "headers",
    [
        [("origin", OTHER), ("access-control-request-method", "GET")],
        [("origin", SITE), ("access-control-request-method", "TRACE")],
        [
            ("origin", SITE),
            ("access-control-request-method", "GET"),
            ("access-control-request-headers", "x-secret"),
        ],
    ],
)
def test_refused_preflights(headers: list[tuple[str, str]]) -> None:
    app = make_app(CORS(allow_origins=[SITE]))
    r = call(app, "OPTIONS", *headers)
    assert r.status == 403
    assert r.headers.get("content-type") == "application/problem+json"


def test_any_header_echoes_the_request() -> None:
    app = make_app(CORS(allow_headers="*"))
    r = call(
        app,
        "OPTIONS",
        ("origin", OTHER),
        ("access-control-request-method", "PUT"),
        ("access-control-request-headers", "X-Anything"),
    )
    assert r.status == 204 and r.headers.get("access-control-allow-headers") == "x-anything"


def test_plain_options_is_not_a_preflight() -> None:
    r = call(make_app(CORS()), "OPTIONS", ("origin", SITE))
    assert r.status == 204 and r.headers.get("allow") == "GET, HEAD, OPTIONS, POST"


@pytest.mark.parametrize(
    "kwargs",
    [{"allow_methods": ["G ET"]}, {"allow_headers": ["a:b"]}, {"max_age": -1}],
)
def test_policy_validation(kwargs: dict[str, object]) -> None:
    with pytest.raises(LocalProtocolError):
        CORS(**kwargs)  # type: ignore[arg-type]


def test_origin_allowed() -> None:
    assert CORS().origin_allowed("null")
    assert not CORS(allow_origins=[SITE]).origin_allowed("null")
