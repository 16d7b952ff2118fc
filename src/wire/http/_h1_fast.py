"""The strict fast path of the HTTP/1.1 server: plain requests without h11.

Most requests a server sees are the same simple shape: an origin-form
target, HTTP/1.1, a ``Host``, a few ordinary fields, no body or a
``Content-Length`` one. h11 parses them correctly but its generality costs
more than the rest of the server; this module reads and writes that common
shape directly, and :class:`~wire.http.H1Connection` uses it for every
request it accepts, h11 for everything else.

Two parsers that disagree are how requests get smuggled (RFC 9112 section
11.2), so the fast path accepts a strict subset of what h11 accepts and must
read it identically; anything else goes to h11 from the first byte of that
request:

- the request line is ``token SP origin-form SP "HTTP/1.1" CRLF`` with a
  target of visible ASCII only (RFC 9112 section 3); no CONNECT, no
  absolute-form, no ``*``, no other version;
- each field line is ``token ":" OWS field-value OWS CRLF`` with a value of
  visible characters and inner spaces only (RFC 9110 section 5.5): no
  obs-fold, no bare CR or LF, no whitespace before the colon, no NUL or other
  controls;
- exactly one ``Host``, valid by :func:`host_is_valid` (the same check the
  h11 path makes, so both refuse the same values: RFC 9112 section 3.2); at
  most one ``Content-Length``, of at most 19 digits and nothing else (RFC
  9110 section 8.6);
- no ``Transfer-Encoding``, ``Upgrade``, ``Expect`` or ``HTTP2-Settings``,
  and a ``Connection`` field only with ``keep-alive`` or ``close``;
- within the limits of :class:`~wire.http.H1Config`, and whole: a head not
  complete in the buffer when the server looks at it goes to h11, which
  waits for the rest (and answers 414/431/413 where a limit is crossed).

The tests prove the subset: for every input the fast path accepts, h11 yields
the same request (``tests/wire/http/test_h1_fast_path.py``), and a machine
with the fast path gives the same events and bytes as one without.

The response side writes the bytes h11 would write for the same events
(status line, fields in order, the framing fields h11 adds: RFC 9112
sections 6.1 and 9.6), so a response looks the same whichever path read the
request.
"""

from __future__ import annotations

import ipaddress
import re
from http import HTTPStatus
from typing import Final, TypeAlias

from wire.http._events import CONNECTION_FIELDS, Header, Headers, Request

__all__ = [
    "FastHead",
    "chunk",
    "host_is_valid",
    "informational_head",
    "last_chunk",
    "parse_request_head",
    "reason",
    "request_event",
    "response_head",
]

# RFC 9110 section 5.6.2 (tchar) and 5.5 (field-vchar = VCHAR / obs-text).
_TCHAR: Final = rb"[-!#$%&'*+.^_`|~0-9A-Za-z]"
_VCHAR: Final = rb"[\x21-\x7e\x80-\xff]"
_VALUE: Final = rb"(?:%s+(?:[ \t]+%s+)*)?" % (_VCHAR, _VCHAR)
#: One field line: field-name ":" OWS field-value OWS CRLF (RFC 9112 section 5).
_LINE: Final = rb"%s+:[ \t]*%s[ \t]*\r\n" % (_TCHAR, _VALUE)
#: A whole strict request head: request line, field lines, the empty line.
_HEAD: Final = re.compile(rb"(%s+) (/[\x21-\x7e]*) HTTP/1\.1\r\n((?:%s)*)\r\n" % (_TCHAR, _LINE))
_FIELD: Final = re.compile(rb"(%s+):[ \t]*(%s)[ \t]*\r\n" % (_TCHAR, _VALUE))
#: RFC 3986 section 3.2.2 and 3.2.3, the ``Host`` of RFC 9112 section 3.2:
#: ``host [":" port]`` with host = IP-literal / IPv4address / reg-name and
#: port = *DIGIT; no userinfo (RFC 9110 section 4.2.4). An IPv4address is a
#: reg-name by its characters. Group 1 is an IPv6address candidate, checked by
#: :mod:`ipaddress`; IPvFuture is "v" 1*HEXDIG "." 1*(unreserved / sub-delims / ":").
#: A reg-name's pct-encoded octets are checked apart, only when a "%" is present.
_HOST: Final = re.compile(
    rb"(?:\[(?:([0-9A-Fa-f:.]+)|[vV][0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+)\]"
    rb"|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::[0-9]*)?"
)
#: A "%" not followed by two hex digits (RFC 3986 section 2.1: pct-encoded).
_BAD_PERCENT: Final = re.compile(rb"%(?![0-9A-Fa-f]{2})")
#: The common Host, a reg-name without "%" and a port: what :func:`host_is_valid`
#: accepts with no further look, matched first to keep the fast path fast
#: (possessive: neither part can give back what the other would take).
_PLAIN_HOST: Final = re.compile(rb"[A-Za-z0-9\-._~!$&'()*+,;=]*+(?::[0-9]*+)?+")
#: RFC 9110 section 8.6, with the limit the events use (below 2**63).
_MAX_LENGTH_DIGITS: Final = 19
#: Fields that send a request to h11 (it, not this module, knows their rules).
_REFUSED: Final = frozenset({b"transfer-encoding", b"upgrade", b"expect", b"http2-settings"})
#: Fields the loop looks at; any other is passed through as it is.
_WATCHED: Final = CONNECTION_FIELDS | _REFUSED | {b"content-length", b"te"}

#: What :func:`parse_request_head` gives: method, target, Host, the fields an
#: event carries, the declared body length, whether the client said close,
#: and where the head ends in the buffer.
FastHead: TypeAlias = tuple[bytes, bytes, bytes, Headers, int, bool, int]


def parse_request_head(
    data: bytes,
    start: int,
    *,
    max_request_line: int,
    max_head_size: int,
    max_header_count: int,
) -> FastHead | None:
    """Read one strict request head at ``data[start:]``.

    Args:
        data: The receive buffer.
        start: Where the head starts.
        max_request_line: As :class:`~wire.http.H1Config`; a longer line is
            not accepted here (h11's path answers it).
        max_head_size: Likewise, for the whole head.
        max_header_count: Likewise, for the number of field lines.

    Returns:
        The head, or ``None`` when it is incomplete, over a limit, or not of
        the strict shape: the caller then hands the bytes to h11.
    """
    end = data.find(b"\r\n\r\n", start)
    if end < 0:
        return None
    end += 4
    if end - start > max_head_size:
        return None
    match = _HEAD.fullmatch(data, start, end)
    if match is None:
        return None
    method, target = match.group(1, 2)
    # The request line as the limit counts it: up to its LF, CR included.
    if match.end(2) + 10 - start > max_request_line or method == b"CONNECT":
        return None
    lines = _FIELD.findall(data, match.start(3), match.end(3))
    if len(lines) > max_header_count:
        return None
    fields: list[Header] = []
    authority: bytes | None = None
    length: bytes | None = None
    close = False
    for raw_name, value in lines:
        name = raw_name.lower()
        if name in _WATCHED:
            if name == b"host":
                if authority is not None:
                    return None
                authority = value
                continue
            if name == b"content-length":
                if length is not None or len(value) > _MAX_LENGTH_DIGITS or not value.isdigit():
                    return None
                length = value
            elif name == b"connection":
                token = value.lower()
                if token == b"close":
                    close = True
                elif token != b"keep-alive":
                    return None
                continue
            elif name == b"te":
                # RFC 9113 section 8.2.2: only "trailers" crosses versions.
                if value.lower() != b"trailers":
                    continue
            elif name in _REFUSED:
                return None
            else:
                # keep-alive, proxy-connection: hop-by-hop, not in events.
                continue
        fields.append((name, value))
    if authority is None or (
        _PLAIN_HOST.fullmatch(authority) is None and not host_is_valid(authority)
    ):
        return None
    return (
        method,
        target,
        authority,
        tuple(fields),
        0 if length is None else int(length),
        close,
        end,
    )


def host_is_valid(value: bytes) -> bool:
    """Whether ``value`` is a valid ``Host`` field value (RFC 9112 section 3.2).

    ``uri-host [":" port]`` by RFC 3986 section 3.2.2 and 3.2.3: an IP literal
    in brackets (an IPv6 address, or IPvFuture), or a reg-name of unreserved,
    sub-delims and pct-encoded octets (an IPv4 address is one), then an
    optional port of digits. Empty is valid: RFC 9112 section 3.2 has a client
    send an empty Host when the target URI has no authority. Userinfo is not
    (RFC 9110 section 4.2.4). Both paths of the server use this check, so the
    fast path refuses exactly what the h11 path refuses.
    """
    match = _HOST.fullmatch(value)
    if match is None:
        return False
    literal = match.group(1)
    if literal is not None:
        try:
            # The pattern let through hex digits, ":" and "." only: no zone
            # index ("%", which ipaddress would take) and nothing to decode.
            ipaddress.IPv6Address(literal.decode("ascii"))
        except ValueError:
            return False
        return True
    return b"%" not in value or _BAD_PERCENT.search(value) is None


_set = object.__setattr__


def request_event(head: FastHead, scheme: bytes, stream_id: int) -> Request:
    """The :class:`~wire.http.Request` of a head :func:`parse_request_head` accepted.

    Built without running the event's checks again: the parser accepts only
    heads whose fields the constructor accepts (the tests build both ways for
    every head they generate and compare), and repeating the checks would cost
    a fifth of the request. ``scheme`` is the connection's (``http``/``https``)
    and ``stream_id`` is in range.
    """
    request = object.__new__(Request)
    _set(request, "method", head[0])
    _set(request, "target", head[1])
    _set(request, "authority", head[2])
    _set(request, "scheme", scheme)
    _set(request, "headers", head[3])
    _set(request, "stream_id", stream_id)
    _set(request, "protocol", None)
    return request


# ---------------------------------------------------------------------------
# Writing, as h11 writes
# ---------------------------------------------------------------------------


#: The reason phrase of each registered status, else none (RFC 9112 section 4).
_PHRASES: Final = {int(status): status.phrase.encode() for status in HTTPStatus}
_REASONS: Final = {status: _PHRASES.get(status, b"") for status in range(100, 600)}
_STATUS_LINES: Final = {
    status: b"HTTP/1.1 %d %s\r\n" % (status, phrase) for status, phrase in _REASONS.items()
}


def reason(status: int) -> bytes:
    """The reason phrase of ``status`` (100..599), empty when it has none registered."""
    return _REASONS[status]


def response_head(
    status: int, fields: list[Header], *, method: bytes, keep_alive: bool
) -> tuple[bytes, bool]:
    """A final response head as h11 writes it, and whether its body is chunked.

    Args:
        status: 200..599.
        fields: The fields, names lowercase, without framing fields other
            than at most one ``content-length`` (and ``connection: close``
            when the machine drains).
        method: The request method.
        keep_alive: False when the request asked to close (h11 then writes
            ``Connection: close`` itself).

    Returns:
        The head, and True when the body goes in chunks.
    """
    # RFC 9112 section 6.3: a response to HEAD, 204 and 304 has no content;
    # h11 chooses the HEAD response's fields as for GET (RFC 9110 section 9.3.2).
    bodiless = status in (204, 304)
    chunked = False
    if not bodiless and not any(name == b"content-length" for name, _ in fields):
        fields = [*fields, (b"Transfer-Encoding", b"chunked")]
        chunked = method != b"HEAD"
    if not keep_alive:
        fields = [(name, value) for name, value in fields if name != b"connection"]
        fields.append((b"Connection", b"close"))
    lines = [b"%s: %s\r\n" % field for field in fields]
    return b"".join([_STATUS_LINES[status], *lines, b"\r\n"]), chunked


def informational_head(status: int, fields: list[Header]) -> bytes:
    """A 1xx head as h11 writes it."""
    return b"".join([_STATUS_LINES[status], *[b"%s: %s\r\n" % f for f in fields], b"\r\n"])


def chunk(data: bytes) -> bytes:
    """One chunk of a chunked body (RFC 9112 section 7.1); ``data`` is not empty."""
    return b"%x\r\n%s\r\n" % (len(data), data)


def last_chunk(trailers: Headers) -> bytes:
    """The last chunk and the trailer section (RFC 9112 section 7.1.2)."""
    return b"".join([b"0\r\n", *[b"%s: %s\r\n" % f for f in trailers], b"\r\n"])
