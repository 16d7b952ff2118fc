"""Proactive content negotiation (RFC 9110 §12).

- :func:`negotiate_media_type` picks the response media type from ``Accept``
  (RFC 9110 §12.5.1): quality values, ``type/*`` and ``*/*`` ranges, media type
  parameters, the most specific range deciding a type's quality.
- :func:`negotiate_encoding` picks the content coding from ``Accept-Encoding``
  (RFC 9110 §12.5.3), with ``identity`` and ``*`` handled as the RFC says.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from wire.http._rest_headers import split_list

__all__ = [
    "MediaRange",
    "media_type_essence",
    "negotiate_encoding",
    "negotiate_media_type",
    "parse_accept",
    "parse_qvalue",
]

# RFC 9110 §12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
_QVALUE = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?")
# RFC 9110 §5.6.2 token, for type, subtype and parameter names.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def parse_qvalue(text: str) -> float | None:
    """The weight in ``q=...`` (RFC 9110 §12.4.2), or None if malformed."""
    if _QVALUE.fullmatch(text) is None:
        return None
    return float(text)


def media_type_essence(value: str) -> str:
    """``type/subtype`` of a Content-Type value, lowercased, without parameters."""
    return value.partition(";")[0].strip().lower()


def _split_params(text: str) -> list[tuple[str, str]] | None:
    """``;name=value`` pairs (names lowercased, quotes removed), or None if malformed."""
    params: list[tuple[str, str]] = []
    for raw in text.split(";"):
        if not raw.strip():
            continue
        name, sep, value = raw.partition("=")
        name, value = name.strip().lower(), value.strip()
        if not sep or _TOKEN.fullmatch(name) is None:
            return None
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        if name == "charset":  # RFC 9110 §8.3.2: charset values are case-insensitive.
            value = value.lower()
        params.append((name, value))
    return params


@dataclass(frozen=True, slots=True)
class MediaRange:
    """One element of ``Accept``: ``type/subtype`` with parameters and a weight."""

    type: str
    subtype: str
    params: tuple[tuple[str, str], ...] = ()
    q: float = 1.0

    @property
    def specificity(self) -> tuple[int, int, int]:
        """How specific the range is: exact type, exact subtype, then parameter count."""
        return (self.type != "*", self.subtype != "*", len(self.params))

    def matches(self, type_: str, subtype: str, params: Sequence[tuple[str, str]]) -> bool:
        """Whether the range covers the media type ``type_/subtype;params``."""
        if self.type not in ("*", type_):
            return False
        if self.subtype not in ("*", subtype):
            return False
        return all(param in params for param in self.params)


def _parse_media_type(text: str) -> tuple[str, str, list[tuple[str, str]]] | None:
    essence, _, rest = text.partition(";")
    type_, slash, subtype = essence.strip().lower().partition("/")
    if not slash or _TOKEN.fullmatch(type_) is None or _TOKEN.fullmatch(subtype) is None:
        return None
    params = _split_params(rest)
    if params is None:
        return None
    return type_, subtype, params


def parse_accept(value: str) -> list[MediaRange]:
    """The media ranges of an ``Accept`` value; malformed elements are skipped.

    Parameters after ``q`` are accept extensions and are not part of the range.
    ``*/subtype`` is not a valid range and is skipped.
    """
    ranges: list[MediaRange] = []
    for element in split_list(value):
        parsed = _parse_media_type(element)
        if parsed is None:
            continue
        type_, subtype, params = parsed
        if type_ == "*" and subtype != "*":
            continue
        q = 1.0
        media_params: list[tuple[str, str]] = []
        for name, param in params:
            if name == "q":
                weight = parse_qvalue(param)
                if weight is None:
                    break
                q = weight
                ranges.append(MediaRange(type_, subtype, tuple(media_params), q))
                break
            media_params.append((name, param))
        else:
            ranges.append(MediaRange(type_, subtype, tuple(media_params), q))
    return ranges


def _quality(ranges: Sequence[MediaRange], offer: str) -> float:
    parsed = _parse_media_type(offer)
    if parsed is None:
        return 0.0
    type_, subtype, params = parsed
    best: tuple[int, int, int] | None = None
    quality = 0.0
    for media_range in ranges:
        if not media_range.matches(type_, subtype, params):
            continue
        specificity = media_range.specificity
        if best is None or specificity > best:
            best, quality = specificity, media_range.q
        elif specificity == best:
            quality = max(quality, media_range.q)
    return quality


def negotiate_media_type(accept: str | None, offers: Sequence[str]) -> str | None:
    """The offer the client prefers, or None when it accepts none of them.

    Each offer's quality is the weight of the most specific range that matches
    it (RFC 9110 §12.5.1); ties go to the earlier offer, so list offers in the
    server's order of preference. A missing ``Accept`` (or one holding no valid
    range) accepts anything. A quality of 0 means "not acceptable".

    Args:
        accept: The ``Accept`` field value (lines joined by commas), or None.
        offers: Media types the route can produce, such as ``"application/json"``.
    """
    if not offers:
        return None
    ranges = parse_accept(accept) if accept is not None else []
    if not ranges:
        return offers[0]
    chosen: str | None = None
    chosen_q = 0.0
    for offer in offers:
        q = _quality(ranges, offer)
        if q > chosen_q:
            chosen, chosen_q = offer, q
    return chosen


def negotiate_encoding(
    accept_encoding: str | None, available: Sequence[str] = ("gzip",)
) -> str | None:
    """The content coding to use: one of ``available``, ``"identity"``, or None.

    Follows RFC 9110 §12.5.3: without the field, send ``identity``; an empty
    field means only ``identity``; ``*`` matches codings not listed; ``identity``
    is acceptable unless ``identity;q=0``, or ``*;q=0`` without ``identity``.
    ``x-gzip`` counts as ``gzip`` (RFC 9110 §8.4.1.3). An acceptable coding wins
    unless ``identity`` is listed (or covered by ``*``) with a higher weight. None
    means that nothing is acceptable: the RFC then lets the server send
    ``identity`` anyway.
    """
    if accept_encoding is None:
        return "identity"
    weights: dict[str, float] = {}
    for element in split_list(accept_encoding):
        coding, _, params = element.partition(";")
        coding = coding.strip().lower()
        if coding == "x-gzip":
            coding = "gzip"
        q: float | None = 1.0
        name, _, value = params.partition("=")
        if name.strip().lower() == "q":
            q = parse_qvalue(value.strip())
        if q is None or _TOKEN.fullmatch(coding) is None:
            continue
        weights[coding] = max(q, weights.get(coding, 0.0))
    star = weights.get("*")
    identity = weights.get("identity", star)
    # An unlisted identity is acceptable but has no weight to compete with.
    best, best_q = "identity", identity if identity is not None else 0.0
    for coding in available:
        q = weights.get(coding, star if star is not None else 0.0)
        if q > 0.0 and q >= best_q:
            best, best_q = coding, q
    if best == "identity" and identity == 0.0:
        return None
    return best
