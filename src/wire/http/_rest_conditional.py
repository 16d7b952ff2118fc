"""Validators and conditional requests (RFC 9110 §8.8 and §13).

- :class:`EntityTag` parses and formats entity tags, with the strong and weak
  comparison functions of RFC 9110 §8.8.3.2.
- :func:`make_etag` derives a strong tag from the bytes of a representation.
- :func:`format_http_date` / :func:`parse_http_date` handle the three HTTP-date
  formats (RFC 9110 §5.6.7).
- :func:`evaluate_preconditions` is the evaluation order of RFC 9110 §13.2.2:
  it answers "proceed", ``304`` or ``412``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from wire.errors import LocalProtocolError
from wire.http._rest_headers import Headers

__all__ = [
    "EntityTag",
    "evaluate_preconditions",
    "format_http_date",
    "make_etag",
    "parse_etag_list",
    "parse_http_date",
]

# RFC 9110 §8.8.3: etagc = %x21 / %x23-7E / obs-text
_ETAGC = re.compile(r"[\x21\x23-\x7e\x80-\xff]*")
_ENTITY_TAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*')
_SAFE_METHODS = frozenset({"GET", "HEAD"})

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH = "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_TIME = r"([0-9]{2}):([0-9]{2}):([0-9]{2})"
# RFC 9110 §5.6.7: IMF-fixdate, rfc850-date and asctime-date.
_IMF_FIXDATE = re.compile(rf"[A-Z][a-z]{{2}}, ([0-9]{{2}}) {_MONTH} ([0-9]{{4}}) {_TIME} GMT")
_RFC850 = re.compile(rf"[A-Z][a-z]+, ([0-9]{{2}})-{_MONTH}-([0-9]{{2}}) {_TIME} GMT")
_ASCTIME = re.compile(rf"[A-Z][a-z]{{2}} {_MONTH} ([0-9 ][0-9]) {_TIME} ([0-9]{{4}})")


@dataclass(frozen=True, slots=True)
class EntityTag:
    """An entity tag (RFC 9110 §8.8.3): an opaque string, strong or weak.

    Raises:
        LocalProtocolError: ``opaque`` holds a character outside etagc.
    """

    opaque: str
    weak: bool = False

    def __post_init__(self) -> None:
        if _ETAGC.fullmatch(self.opaque) is None:
            raise LocalProtocolError(f"invalid entity tag {self.opaque!r}")

    def __str__(self) -> str:
        return f'{"W/" if self.weak else ""}"{self.opaque}"'

    @classmethod
    def parse(cls, text: str) -> EntityTag | None:
        """The tag in ``text`` (``"x"`` or ``W/"x"``), or None if malformed."""
        match = _ENTITY_TAG.fullmatch(text)
        if match is None:
            return None
        return cls(match.group(2), weak=match.group(1) is not None)

    def strong_equals(self, other: EntityTag) -> bool:
        """RFC 9110 §8.8.3.2 strong comparison: both strong and the same opaque tag."""
        return not self.weak and not other.weak and self.opaque == other.opaque

    def weak_equals(self, other: EntityTag) -> bool:
        """RFC 9110 §8.8.3.2 weak comparison: the same opaque tag."""
        return self.opaque == other.opaque

    def with_suffix(self, suffix: str) -> EntityTag:
        """The tag of a variant, such as the gzip-coded one (RFC 9110 §8.8.3.3 example)."""
        return EntityTag(self.opaque + suffix, weak=self.weak)


def parse_etag_list(value: str) -> list[EntityTag] | None:
    """The tags of ``If-Match``/``If-None-Match`` (``"*" / #entity-tag``).

    Returns None for ``*``. Malformed elements are skipped: they can match nothing.
    A ``,`` inside a tag (allowed by etagc) does not split the list.
    """
    if value.strip() == "*":
        return None
    tags: list[EntityTag] = []
    position = 0
    while position < len(value):
        match = _ENTITY_TAG.match(value, position)
        if match is not None:
            position = match.end()
            if position == len(value) or value[position] == ",":
                tags.append(EntityTag(match.group(2), weak=match.group(1) is not None))
        comma = value.find(",", position)
        if comma < 0:
            break
        position = comma + 1
    return tags


def make_etag(data: bytes | bytearray | memoryview, *, weak: bool = False) -> str:
    """A strong (or weak) entity tag for ``data``: 128 bits of BLAKE2b, in hex."""
    return str(EntityTag(hashlib.blake2b(data, digest_size=16).hexdigest(), weak=weak))


def format_http_date(moment: datetime | float) -> str:
    """An IMF-fixdate (RFC 9110 §5.6.7), such as ``Sun, 06 Nov 1994 08:49:37 GMT``.

    Args:
        moment: An aware datetime, or seconds since the Unix epoch.

    Raises:
        LocalProtocolError: ``moment`` is a naive datetime.
    """
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, tz=UTC)
    elif moment.tzinfo is None:
        raise LocalProtocolError("an HTTP date needs an aware datetime")
    moment = moment.astimezone(UTC)
    return (
        f"{_DAYS[moment.weekday()]}, {moment.day:02d} {_MONTHS[moment.month - 1]} "
        f"{moment.year:04d} {moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} GMT"
    )


def parse_http_date(text: str) -> datetime | None:
    """The moment in an HTTP-date, as an aware UTC datetime, or None if invalid.

    All three formats are accepted, as RFC 9110 §5.6.7 requires. A two-digit
    rfc850 year is read as 1970-2069: the RFC's "no more than 50 years in the
    future" rule needs the current date, which this Sans-IO code does not read.
    A leap second (``:60``) is read as ``:59``.
    """
    text = text.strip()
    if match := _IMF_FIXDATE.fullmatch(text):
        day, month, year, hour, minute, second = match.groups()
    elif match := _RFC850.fullmatch(text):
        day, month, short_year, hour, minute, second = match.groups()
        year = str((2000 if int(short_year) < 70 else 1900) + int(short_year))
    elif match := _ASCTIME.fullmatch(text):
        month, day, hour, minute, second, year = match.groups()
    else:
        return None
    try:
        return datetime(
            int(year),
            _MONTHS.index(month) + 1,
            int(day),
            int(hour),
            int(minute),
            min(int(second), 59),
            tzinfo=UTC,
        )
    except ValueError:  # a day or time out of range, such as 31 Feb or 25:00
        return None


def _as_tags(etag: str | Sequence[str] | None) -> list[EntityTag]:
    if etag is None:
        return []
    texts = [etag] if isinstance(etag, str) else etag
    return [tag for tag in (EntityTag.parse(text) for text in texts) if tag is not None]


def evaluate_preconditions(
    method: str,
    headers: Headers,
    *,
    etag: str | Sequence[str] | None = None,
    last_modified: datetime | None = None,
    exists: bool = True,
) -> int | None:
    """Evaluate the preconditions of a request (RFC 9110 §13.2.2).

    Call it when the response without preconditions would be a 2xx, with the
    validators of the selected representation (or, for a state-changing method,
    of the target resource's current state).

    Args:
        method: The request method.
        headers: The request's header fields.
        etag: The current entity tag, or several tags that all name the current
            representation (for example the identity and gzip variants).
        last_modified: The current modification date, when known.
        exists: Whether the target resource has a current representation
            (``*`` in ``If-Match``/``If-None-Match`` tests this).

    Returns:
        None to proceed, 304 (Not Modified) or 412 (Precondition Failed).
    """
    current = _as_tags(etag)
    if last_modified is not None:
        if last_modified.tzinfo is None:
            raise LocalProtocolError("last_modified must be an aware datetime")
        # HTTP dates have a resolution of one second (RFC 9110 §5.6.7).
        last_modified = last_modified.replace(microsecond=0)
    if_match = headers.get_all("if-match")
    if if_match:
        # Step 1, RFC 9110 §13.1.1: strong comparison.
        tags = parse_etag_list(", ".join(if_match))
        if tags is None:
            ok = exists
        else:
            ok = any(tag.strong_equals(now) for tag in tags for now in current)
        if not ok:
            return 412
    else:
        # Step 2, RFC 9110 §13.1.4: ignored without a date or with an invalid one.
        since = _single_date(headers, "if-unmodified-since")
        if since is not None and last_modified is not None and last_modified > since:
            return 412
    if_none_match = headers.get_all("if-none-match")
    if if_none_match:
        # Step 3, RFC 9110 §13.1.2: weak comparison.
        tags = parse_etag_list(", ".join(if_none_match))
        if tags is None:
            matched = exists
        else:
            matched = any(tag.weak_equals(now) for tag in tags for now in current)
        if matched:
            return 304 if method in _SAFE_METHODS else 412
    elif method in _SAFE_METHODS:
        # Step 4, RFC 9110 §13.1.3: only for GET and HEAD, one valid date.
        since = _single_date(headers, "if-modified-since")
        if since is not None and last_modified is not None and last_modified <= since:
            return 304
    return None


def _single_date(headers: Headers, name: str) -> datetime | None:
    """The date in ``name``, ignored (None) when absent, invalid or a list (RFC 9110 §13.1.3)."""
    values = headers.get_all(name)
    if len(values) != 1:
        return None
    return parse_http_date(values[0])
