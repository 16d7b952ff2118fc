"""Content negotiation: Accept (RFC 9110 §12.5.1) and Accept-Encoding (§12.5.3)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wire.http._rest import MediaRange, negotiate_encoding, negotiate_media_type, parse_accept
from wire.http._rest_negotiation import media_type_essence, parse_qvalue

JSON = "application/json"
HTML = "text/html"
TEXT = "text/plain; charset=utf-8"


@pytest.mark.parametrize(
    ("text", "value"),
    [("1", 1.0), ("1.000", 1.0), ("0", 0.0), ("0.5", 0.5), ("0.123", 0.123), ("0.", 0.0)],
)
def test_valid_qvalues(text: str, value: float) -> None:
    assert parse_qvalue(text) == value


@pytest.mark.parametrize("text", ["1.5", "2", "0.1234", "-1", "", ".5", "1.01", "nan"])
def test_invalid_qvalues(text: str) -> None:
    assert parse_qvalue(text) is None


def test_parse_accept() -> None:
    ranges = parse_accept(
        "text/html;level=1;q=0.5;ext=x, TEXT/*;q=0, */*, bad, */json, a/b;q=7, c/d;=x, "
        'e/f;charset="UTF-8"'
    )
    assert ranges == [
        MediaRange("text", "html", (("level", "1"),), 0.5),
        MediaRange("text", "*", (), 0.0),
        MediaRange("*", "*", (), 1.0),
        MediaRange("e", "f", (("charset", "utf-8"),), 1.0),
    ]
    assert ranges[0].specificity == (True, True, 1)
    assert parse_accept('a/b;x="q\\"z"') == [MediaRange("a", "b", (("x", 'q"z'),))]


@pytest.mark.parametrize(
    ("accept", "offers", "chosen"),
    [
        (None, [JSON, HTML], JSON),
        ("", [JSON, HTML], JSON),
        ("nonsense", [JSON], JSON),
        ("text/html", [JSON, HTML], HTML),
        ("text/*", [JSON, HTML], HTML),
        ("*/*", [JSON, HTML], JSON),
        ("application/xml", [JSON, HTML], None),
        ("text/html;q=0.5, application/json;q=0.9", [HTML, JSON], JSON),
        ("text/*;q=0.9, text/html;q=0", [HTML, TEXT], TEXT),  # the specific range decides
        ("*/*;q=0.1, application/json;q=0", [JSON, HTML], HTML),
        ("text/plain;charset=utf-8", [TEXT], TEXT),
        ("text/plain;charset=latin1", [TEXT], None),
        ("text/plain;charset=UTF-8", [TEXT], TEXT),  # charset is case-insensitive
        ("text/html;level=1", [HTML], None),  # the offer lacks the parameter
        ("*/*", [], None),
        ("*/*", ["not a type"], None),
        ("text/html;q=0, text/html;q=1", [HTML], HTML),
    ],
)
def test_negotiate_media_type(accept: str | None, offers: list[str], chosen: str | None) -> None:
    assert negotiate_media_type(accept, offers) == chosen


def test_essence() -> None:
    assert media_type_essence(" Application/JSON ; charset=utf-8") == "application/json"


@pytest.mark.parametrize(
    ("accept_encoding", "chosen"),
    [
        (None, "identity"),
        ("", "identity"),
        ("gzip", "gzip"),
        ("x-gzip", "gzip"),
        ("GZIP;q=0.5", "gzip"),
        ("gzip;q=0.5, identity", "identity"),
        ("gzip;q=0, *", "identity"),
        ("*", "gzip"),
        ("*;q=0.5", "gzip"),
        ("br", "identity"),
        ("identity;q=0", None),
        ("*;q=0", None),
        ("*;q=0, identity", "identity"),
        ("gzip;q=nope", "identity"),
        ("gzip;q=0.2, gzip;q=0.8, identity;q=0.5", "gzip"),
        ("gz ip", "identity"),
        ("identity;q=0, gzip", "gzip"),
    ],
)
def test_negotiate_encoding(accept_encoding: str | None, chosen: str | None) -> None:
    assert negotiate_encoding(accept_encoding) == chosen


# -- properties -----------------------------------------------------------------------

TYPES = ["text/html", "text/plain", "application/json", "application/xml", "image/png"]
RANGES = [*TYPES, "text/*", "application/*", "image/*", "*/*"]
QS = ["", ";q=0", ";q=0.1", ";q=0.5", ";q=0.9", ";q=1"]


@st.composite
def accepts(draw: st.DrawFn) -> list[str]:
    return draw(
        st.lists(st.tuples(st.sampled_from(RANGES), st.sampled_from(QS)).map("".join), max_size=6)
    )


def oracle_quality(accept: list[str], offer: str) -> float:
    """Sort ranges from most to least specific; the first specificity level that matches decides."""
    parsed = []
    for element in accept:
        media, _, q = element.partition(";q=")
        t, s = media.split("/")
        parsed.append(((t != "*") + (s != "*"), t, s, float(q) if q else 1.0))
    ot, os_ = offer.split("/")
    for level in (2, 1, 0):
        qs = [q for lv, t, s, q in parsed if lv == level and t in ("*", ot) and s in ("*", os_)]
        if qs:
            return max(qs)
    return 0.0


@given(accepts(), st.lists(st.sampled_from(TYPES), min_size=1, max_size=4, unique=True))
def test_media_type_agrees_with_the_oracle(accept: list[str], offers: list[str]) -> None:
    chosen = negotiate_media_type(", ".join(accept) if accept else None, offers)
    if not accept:
        assert chosen == offers[0]
        return
    qualities = [oracle_quality(accept, offer) for offer in offers]
    best = max(qualities)
    if best == 0.0:
        assert chosen is None
    else:
        assert chosen == offers[qualities.index(best)]


@given(
    accepts(), st.lists(st.sampled_from(TYPES), min_size=1, max_size=4, unique=True), st.randoms()
)
def test_media_type_ignores_the_order_of_ranges(
    accept: list[str], offers: list[str], rnd: random.Random
) -> None:
    shuffled = list(accept)
    rnd.shuffle(shuffled)
    assert negotiate_media_type(", ".join(accept), offers) == negotiate_media_type(
        ", ".join(shuffled), offers
    )


@given(accepts(), st.lists(st.sampled_from(TYPES), min_size=1, max_size=4, unique=True))
def test_a_zero_weight_catch_all_changes_nothing_acceptable(
    accept: list[str], offers: list[str]
) -> None:
    if not accept:
        return
    before = negotiate_media_type(", ".join(accept), offers)
    after = negotiate_media_type(", ".join([*accept, "*/*;q=0"]), offers)
    assert before == after


CODINGS = ["gzip", "x-gzip", "br", "identity", "*", "deflate"]


@given(st.lists(st.tuples(st.sampled_from(CODINGS), st.sampled_from(QS)).map("".join), max_size=5))
def test_encoding_is_gzip_only_when_acceptable(elements: list[str]) -> None:
    header = ", ".join(elements)
    chosen = negotiate_encoding(header)
    weights: dict[str, float] = {}
    for element in elements:
        coding, _, q = element.partition(";q=")
        coding = "gzip" if coding == "x-gzip" else coding
        weights[coding] = max(weights.get(coding, 0.0), float(q) if q else 1.0)
    star = weights.get("*")
    gzip = weights.get("gzip", star if star is not None else 0.0)
    identity = weights.get("identity", star)  # None: acceptable, without a weight
    if chosen == "gzip":
        assert gzip > 0 and (identity is None or gzip >= identity)
    elif chosen == "identity":
        assert identity is None or identity > 0
        assert gzip == 0 or (identity is not None and gzip < identity)
    else:
        assert chosen is None and gzip == 0 and identity == 0
