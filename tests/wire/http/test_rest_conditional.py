"""Entity tags, HTTP dates and the precondition evaluation order (RFC 9110 §8.8, §13)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wire.errors import LocalProtocolError
from wire.http._rest import (
    EntityTag,
    Headers,
    evaluate_preconditions,
    format_http_date,
    make_etag,
    parse_etag_list,
    parse_http_date,
)

MOMENT = datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)


def test_entity_tag_parse_and_format() -> None:
    assert EntityTag.parse('"xyzzy"') == EntityTag("xyzzy")
    assert EntityTag.parse(' W/"xyzzy" ') == EntityTag("xyzzy", weak=True)
    assert str(EntityTag("a", weak=True)) == 'W/"a"'
    assert EntityTag.parse('"a,b"') == EntityTag("a,b")
    for bad in ("xyzzy", '"a"b"', 'w/"a"', '"a', '"a b"'):
        assert EntityTag.parse(bad) is None, bad
    with pytest.raises(LocalProtocolError):
        EntityTag('a"b')


# RFC 9110 §8.8.3.2, the example table.
@pytest.mark.parametrize(
    ("a", "b", "strong", "weak"),
    [
        ('W/"1"', 'W/"1"', False, True),
        ('W/"1"', 'W/"2"', False, False),
        ('W/"1"', '"1"', False, True),
        ('"1"', '"1"', True, True),
    ],
)
def test_comparison_table(a: str, b: str, strong: bool, weak: bool) -> None:
    ta, tb = EntityTag.parse(a), EntityTag.parse(b)
    assert ta is not None and tb is not None
    assert ta.strong_equals(tb) is strong
    assert ta.weak_equals(tb) is weak


def test_parse_etag_list() -> None:
    assert parse_etag_list(" * ") is None
    assert parse_etag_list('"a", W/"b",, "c,d" , junk, "e"x, "f"') == [
        EntityTag("a"),
        EntityTag("b", weak=True),
        EntityTag("c,d"),
        EntityTag("f"),
    ]
    assert parse_etag_list("") == []


@given(st.lists(st.tuples(st.text("abc,;!#~\x80", max_size=4), st.booleans()), max_size=5))
def test_etag_list_round_trip(tags: list[tuple[str, bool]]) -> None:
    parsed = [EntityTag(opaque, weak) for opaque, weak in tags]
    assert parse_etag_list(", ".join(str(tag) for tag in parsed)) == parsed


def test_make_etag_is_a_strong_hash() -> None:
    tag = EntityTag.parse(make_etag(b"hello"))
    assert tag is not None and not tag.weak and len(tag.opaque) == 32
    assert make_etag(b"hello") != make_etag(b"hellp")
    assert make_etag(b"x", weak=True).startswith('W/"')


@pytest.mark.parametrize(
    "text",
    ["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"],
)
def test_the_three_date_formats(text: str) -> None:
    assert parse_http_date(text) == MOMENT


@pytest.mark.parametrize(
    "text",
    [
        "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 31 Feb 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 25:49:37 GMT",
        "yesterday",
        "",
    ],
)
def test_invalid_dates(text: str) -> None:
    assert parse_http_date(text) is None


def test_date_details() -> None:
    assert parse_http_date("Thursday, 01-Jan-70 00:00:00 GMT") == datetime(1970, 1, 1, tzinfo=UTC)
    assert parse_http_date("Friday, 01-Jan-21 00:00:00 GMT") == datetime(2021, 1, 1, tzinfo=UTC)
    assert parse_http_date("Sat, 31 Dec 2016 23:59:60 GMT") == datetime(
        2016, 12, 31, 23, 59, 59, tzinfo=UTC
    )
    assert format_http_date(MOMENT) == "Sun, 06 Nov 1994 08:49:37 GMT"
    assert format_http_date(784111777.0) == "Sun, 06 Nov 1994 08:49:37 GMT"
    with pytest.raises(LocalProtocolError):
        format_http_date(datetime(1994, 11, 6))


@given(st.datetimes(min_value=datetime(1900, 1, 1), timezones=st.just(UTC)))
def test_date_round_trip(moment: datetime) -> None:
    assert parse_http_date(format_http_date(moment)) == moment.replace(microsecond=0)


def headers(**fields: str | None) -> Headers:
    return Headers({k.replace("_", "-"): v for k, v in fields.items() if v is not None})


def test_examples() -> None:
    get = "GET"
    assert evaluate_preconditions(get, headers(), etag='"a"') is None
    assert evaluate_preconditions(get, headers(if_none_match='"a"'), etag='"a"') == 304
    assert evaluate_preconditions(get, headers(if_none_match='W/"a"'), etag='"a"') == 304
    assert evaluate_preconditions("PUT", headers(if_none_match='"a"'), etag='"a"') == 412
    assert evaluate_preconditions("PUT", headers(if_match='W/"a"'), etag='W/"a"') == 412
    assert evaluate_preconditions("PUT", headers(if_match='"b", "a"'), etag='"a"') is None
    assert evaluate_preconditions("PUT", headers(if_match="*"), exists=False) == 412
    assert evaluate_preconditions("PUT", headers(if_none_match="*"), exists=False) is None
    assert evaluate_preconditions("PUT", headers(if_none_match="*"), etag='"a"') == 412
    lm = MOMENT
    since = format_http_date(MOMENT)
    later = format_http_date(MOMENT + timedelta(seconds=1))
    assert evaluate_preconditions(get, headers(if_modified_since=since), last_modified=lm) == 304
    assert (
        evaluate_preconditions(
            get, headers(if_modified_since=since), last_modified=lm + timedelta(microseconds=5)
        )
        == 304
    )  # one-second resolution
    assert (
        evaluate_preconditions(
            get, headers(if_modified_since=since), last_modified=lm + timedelta(seconds=2)
        )
        is None
    )
    assert (
        evaluate_preconditions("POST", headers(if_modified_since=later), last_modified=lm) is None
    )
    assert (
        evaluate_preconditions("PUT", headers(if_unmodified_since=since), last_modified=lm) is None
    )
    assert (
        evaluate_preconditions(
            "PUT", headers(if_unmodified_since=since), last_modified=lm + timedelta(seconds=1)
        )
        == 412
    )
    # If-None-Match takes precedence over If-Modified-Since.
    assert (
        evaluate_preconditions(
            get, headers(if_none_match='"b"', if_modified_since=later), etag='"a"', last_modified=lm
        )
        is None
    )
    # A list of dates is ignored (RFC 9110 §13.1.3).
    multi = Headers([("if-modified-since", later), ("if-modified-since", later)])
    assert evaluate_preconditions(get, multi, last_modified=lm) is None
    with pytest.raises(LocalProtocolError):
        evaluate_preconditions(get, headers(), last_modified=datetime(2000, 1, 1))


# -- property: against a step-by-step transcription of RFC 9110 §13.2.2 --------------

TAGS = ['"a"', 'W/"a"', '"b"', 'W/"b"']
FIELD_TAGS = [*TAGS, "*", '"a", "b"', 'W/"b", "c"', "junk"]
DATES = [None, MOMENT - timedelta(days=1), MOMENT, MOMENT + timedelta(days=1)]


def oracle(
    method: str,
    if_match: str | None,
    if_none_match: str | None,
    ims: datetime | None,
    ius: datetime | None,
    etag: str | None,
    last_modified: datetime | None,
) -> int | None:
    current = etag.removeprefix("W/") if etag else None
    current_strong = etag is not None and not etag.startswith("W/")

    def listed(value: str) -> list[tuple[str, bool]]:
        out = []
        for raw in value.split(","):
            raw = raw.strip()
            if raw.startswith(('"', 'W/"')):
                out.append((raw.removeprefix("W/"), raw.startswith('"')))
        return out

    exists = etag is not None
    if if_match is not None:
        if if_match == "*":
            passed = exists
        else:
            passed = current_strong and any(t == current and s for t, s in listed(if_match))
        if not passed:
            return 412
    elif ius is not None and last_modified is not None and not last_modified <= ius:
        return 412
    if if_none_match is not None:
        if if_none_match == "*":
            passed = not exists
        else:
            passed = not any(t == current for t, _ in listed(if_none_match))
        if not passed:
            return 304 if method in ("GET", "HEAD") else 412
    elif method in ("GET", "HEAD") and ims is not None and last_modified is not None:
        return 304 if last_modified <= ims else None
    return None


@given(
    st.sampled_from(["GET", "HEAD", "PUT", "DELETE", "POST"]),
    st.one_of(st.none(), st.sampled_from(FIELD_TAGS)),
    st.one_of(st.none(), st.sampled_from(FIELD_TAGS)),
    st.sampled_from(DATES),
    st.sampled_from(DATES),
    st.one_of(st.none(), st.sampled_from(TAGS)),
    st.sampled_from(DATES),
)
def test_preconditions_agree_with_the_rfc(
    method: str,
    if_match: str | None,
    if_none_match: str | None,
    ims: datetime | None,
    ius: datetime | None,
    etag: str | None,
    last_modified: datetime | None,
) -> None:
    fields = headers(
        if_match=if_match,
        if_none_match=if_none_match,
        if_modified_since=format_http_date(ims) if ims else None,
        if_unmodified_since=format_http_date(ius) if ius else None,
    )
    got = evaluate_preconditions(
        method, fields, etag=etag, last_modified=last_modified, exists=etag is not None
    )
    assert got == oracle(method, if_match, if_none_match, ims, ius, etag, last_modified)
    if got == 304:
        assert method in ("GET", "HEAD")
    if not any((if_match, if_none_match, ims, ius)):
        assert got is None
