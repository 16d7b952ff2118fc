"""Header fields, query strings and cookies.

- :class:`Headers`: case-insensitive, multi-valued, ordered (RFC 9110 §5.2, §5.3).
- :class:`QueryParams`: the ``application/x-www-form-urlencoded`` query, multi-valued.
- :func:`parse_cookie_header` and :func:`format_set_cookie` (RFC 6265 §4.1, §4.2, §5.4).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Literal, TypeAlias, overload
from urllib.parse import quote, unquote_plus

from wire.errors import LocalProtocolError
from wire.http._rest_problem import HTTPProblem

__all__ = [
    "HeaderInput",
    "Headers",
    "QueryInput",
    "QueryParams",
    "add_vary",
    "format_set_cookie",
    "parse_cookie_header",
    "split_list",
]

# RFC 9110 §5.6.2: token = 1*tchar
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# RFC 9110 §5.5: a field value never holds CR, LF or NUL (they would split the field).
_BAD_VALUE = re.compile(r"[\x00\r\n]")
# RFC 6265 §4.1.1: cookie-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
_COOKIE_VALUE = re.compile(
    r'[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*|"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*"'
)
# RFC 6265 §4.1.1: path-value and domain-value = <any CHAR except CTLs or ";">
_ATTRIBUTE_VALUE = re.compile(r"[\x20-\x3a\x3c-\x7e]+")

HeaderInput: TypeAlias = (
    "Headers | Mapping[str, str] | Iterable[tuple[str | bytes, str | bytes]] | None"
)
QueryInput: TypeAlias = (
    "str | QueryParams | Mapping[str, str | Sequence[str]] | Iterable[tuple[str, str]]"
)


def _text(value: str | bytes) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


def split_list(value: str) -> list[str]:
    """Split a comma-separated field value (RFC 9110 §5.6.1), respecting quoted strings.

    Empty elements and surrounding whitespace are dropped.
    """
    if '"' not in value:
        return [part for part in (p.strip() for p in value.split(",")) if part]
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [part for part in (p.strip() for p in parts) if part]


class Headers:
    """An ordered, case-insensitive, multi-valued collection of header fields.

    Names are stored lowercased; values are ``str`` (bytes are decoded as
    ISO-8859-1, which maps every byte to one character and back).

    Args:
        items: Pairs, a mapping, or another :class:`Headers` to copy. Names must be
            tokens and values must not contain CR, LF or NUL.

    Raises:
        LocalProtocolError: A name or value is not allowed in a header field.
    """

    __slots__ = ("_items",)

    _items: list[tuple[str, str]]

    def __init__(self, items: HeaderInput = None) -> None:
        self._items = []
        if items is None:
            return
        if isinstance(items, Headers):
            self._items = list(items._items)
            return
        pairs = items.items() if isinstance(items, Mapping) else items
        for name, value in pairs:
            self.add(_text(name), _text(value))

    @classmethod
    def from_raw(cls, raw: Iterable[tuple[bytes | str, bytes | str]]) -> Headers:
        """Headers as received from the connection layer, which has already validated them."""
        headers = cls.__new__(cls)
        headers._items = [
            (
                (name.decode("latin-1") if isinstance(name, bytes) else name).lower(),
                value.decode("latin-1") if isinstance(value, bytes) else value,
            )
            for name, value in raw
        ]
        return headers

    @staticmethod
    def _check(name: str, value: str) -> None:
        if _TOKEN.fullmatch(name) is None:
            raise LocalProtocolError(f"invalid header name {name!r}")
        if _BAD_VALUE.search(value) is not None:
            raise LocalProtocolError(
                f"invalid value for header {name!r}: CR, LF and NUL are not allowed"
            )

    @overload
    def get(self, name: str) -> str | None: ...
    @overload
    def get(self, name: str, default: str) -> str: ...
    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of ``name``, or ``default``."""
        key = name.lower()
        for item_name, value in self._items:
            if item_name == key:
                return value
        return default

    def get_all(self, name: str) -> list[str]:
        """Every value of ``name``, in order."""
        key = name.lower()
        return [value for item_name, value in self._items if item_name == key]

    def get_list(self, name: str) -> list[str]:
        """The elements of a list-valued field across all its lines (RFC 9110 §5.3)."""
        return [element for value in self.get_all(name) for element in split_list(value)]

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        key = name.lower()
        for item_name, _ in self._items:  # noqa: SIM110 - a plain loop is faster than any()
            if item_name == key:
                return True
        return False

    def has_any(self, names: frozenset[str]) -> bool:
        """Whether any of ``names`` (lowercase) is present."""
        for item_name, _ in self._items:  # noqa: SIM110 - a plain loop is faster than any()
            if item_name in names:
                return True
        return False

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        return self._items == other._items

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"

    def add(self, name: str, value: str) -> None:
        """Append a field line."""
        self._check(name, value)
        self._items.append((name.lower(), value))

    def set(self, name: str, value: str) -> None:
        """Replace every line of ``name`` by one line with ``value`` (kept in first position)."""
        self._check(name, value)
        key = name.lower()
        out: list[tuple[str, str]] = []
        placed = False
        for item in self._items:
            if item[0] != key:
                out.append(item)
            elif not placed:
                out.append((key, value))
                placed = True
        if not placed:
            out.append((key, value))
        self._items = out

    def setdefault(self, name: str, value: str) -> str:
        """Add ``name`` unless present; return its (first) value."""
        current = self.get(name)
        if current is not None:
            return current
        self.add(name, value)
        return value

    def remove(self, name: str) -> None:
        """Remove every line of ``name`` (no error if absent)."""
        key = name.lower()
        self._items = [item for item in self._items if item[0] != key]

    def raw(self) -> list[tuple[bytes, bytes]]:
        """The fields as ``(name, value)`` bytes pairs, for the connection layer."""
        return [(name.encode("latin-1"), value.encode("latin-1")) for name, value in self._items]

    def copy(self) -> Headers:
        """An independent copy."""
        return Headers(self)


def add_vary(headers: Headers, field: str) -> None:
    """Add ``field`` to ``Vary`` (RFC 9110 §12.5.5) unless it, or ``*``, is already listed."""
    present = [element.lower() for element in headers.get_list("vary")]
    if field.lower() in present or "*" in present:
        return
    headers.set("vary", ", ".join([*headers.get_list("vary"), field]))


class QueryParams(Mapping[str, str]):
    """The query component as a multi-valued mapping.

    Indexing and :meth:`get` give the first value of a name; :meth:`get_all` gives
    every value. A query string is parsed as ``application/x-www-form-urlencoded``
    (``+`` is a space, ``%XX`` escapes are UTF-8, invalid sequences become U+FFFD).

    Args:
        items: A raw query string (without ``?``), pairs, or a mapping whose values
            are strings or sequences of strings.
        max_params: The most parameters a query string may hold.

    Raises:
        HTTPProblem: 400, the query string holds more than ``max_params`` parameters.
    """

    __slots__ = ("_dict", "_items")

    _items: list[tuple[str, str]]
    _dict: dict[str, list[str]]

    def __init__(self, items: QueryInput = "", *, max_params: int | None = None) -> None:
        pairs: list[tuple[str, str]]
        if isinstance(items, str):
            pairs = self._parse(items, max_params)
        elif isinstance(items, QueryParams):
            pairs = list(items._items)
        elif isinstance(items, Mapping):
            pairs = []
            for name, values in items.items():
                if isinstance(values, str):
                    pairs.append((name, values))
                else:
                    pairs.extend((name, value) for value in values)
        else:
            pairs = list(items)
        self._items = pairs
        self._dict = {}
        for name, value in pairs:
            self._dict.setdefault(name, []).append(value)

    @staticmethod
    def _parse(query: str, max_params: int | None) -> list[tuple[str, str]]:
        fields = [field for field in query.split("&") if field]
        if max_params is not None and len(fields) > max_params:
            raise HTTPProblem(400, f"the query string holds more than {max_params} parameters")
        pairs = []
        for field in fields:
            name, _, value = field.partition("=")
            pairs.append((unquote_plus(name), unquote_plus(value)))
        return pairs

    def __getitem__(self, name: str) -> str:
        return self._dict[name][0]

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict)

    def __len__(self) -> int:
        return len(self._dict)

    def get_all(self, name: str) -> list[str]:
        """Every value of ``name``, in order (empty if absent)."""
        return list(self._dict.get(name, ()))

    def multi_items(self) -> list[tuple[str, str]]:
        """Every ``(name, value)`` pair, in order."""
        return list(self._items)

    def __str__(self) -> str:
        return "&".join(
            f"{quote(name, safe='')}={quote(value, safe='')}" for name, value in self._items
        )

    def __repr__(self) -> str:
        return f"QueryParams({self._items!r})"


def parse_cookie_header(values: Iterable[str]) -> dict[str, str]:
    """The cookies sent in ``Cookie`` fields (RFC 6265 §5.4; RFC 9113 §8.2.3 splits them).

    Pairs are separated by ``;``; a pair without ``=`` is ignored; surrounding
    double quotes are removed from a value. When a name repeats, the first one
    wins: user agents send the most specific cookie first (RFC 6265 §5.4 step 2).
    """
    cookies: dict[str, str] = {}
    for value in values:
        for pair in value.split(";"):
            name, sep, cookie = pair.partition("=")
            name = name.strip()
            if not sep or not name:
                continue
            cookie = cookie.strip()
            if len(cookie) >= 2 and cookie[0] == cookie[-1] == '"':
                cookie = cookie[1:-1]
            cookies.setdefault(name, cookie)
    return cookies


def format_set_cookie(
    name: str,
    value: str = "",
    *,
    max_age: int | None = None,
    path: str | None = "/",
    domain: str | None = None,
    secure: bool = False,
    httponly: bool = False,
    samesite: Literal["strict", "lax", "none"] | None = "lax",
) -> str:
    """A ``Set-Cookie`` field value (RFC 6265 §4.1; SameSite from RFC 6265bis).

    Raises:
        LocalProtocolError: The name is not a token, the value holds characters
            outside cookie-octet, an attribute value holds ``;`` or a control
            character, or ``SameSite=None`` is asked without ``Secure`` (browsers
            reject that cookie).
    """
    if _TOKEN.fullmatch(name) is None:
        raise LocalProtocolError(f"invalid cookie name {name!r}")
    if _COOKIE_VALUE.fullmatch(value) is None:
        raise LocalProtocolError(f"invalid cookie value for {name!r}; encode it first")
    parts = [f"{name}={value}"]
    if max_age is not None:
        parts.append(f"Max-Age={int(max_age)}")
    for attribute, text in (("Domain", domain), ("Path", path)):
        if text is not None:
            if _ATTRIBUTE_VALUE.fullmatch(text) is None:
                raise LocalProtocolError(f"invalid cookie {attribute} {text!r}")
            parts.append(f"{attribute}={text}")
    if secure:
        parts.append("Secure")
    if httponly:
        parts.append("HttpOnly")
    if samesite is not None:
        if samesite not in ("strict", "lax", "none"):
            raise LocalProtocolError(f"SameSite must be strict, lax or none, not {samesite!r}")
        if samesite == "none" and not secure:
            raise LocalProtocolError("SameSite=None requires Secure")
        parts.append(f"SameSite={samesite.capitalize()}")
    return "; ".join(parts)
