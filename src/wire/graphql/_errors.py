"""GraphQL errors, source positions and the helpers that word error messages.

``GraphQLError`` is the error of every stage after parsing: schema validation,
document validation, value coercion and execution (GraphQL October 2021, section
7.1.2 "Errors"). Its ``formatted`` property is the entry of a response's
``errors`` list: ``message``, ``locations``, ``path`` and ``extensions``.

A ``GraphQLSyntaxError`` is what the peer gets for a document that does not lex
or parse (section 2 "Language"). Its message is worded as graphql-js words it
("Syntax Error: Expected Name, found <EOF>."), so clients see familiar text, and
it carries the 1-based ``line`` and ``column`` of the offending character.

Messages follow graphql-js's wording, names quoted with double quotes; the
helpers :func:`inspect`, :func:`did_you_mean` and :func:`suggestion_list` word
values and suggestions as graphql-js does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any, NamedTuple

from wire.errors import LocalProtocolError, RemoteProtocolError

__all__ = [
    "GraphQLError",
    "GraphQLSyntaxError",
    "InvalidSchemaError",
    "SourceLocation",
    "and_list",
    "did_you_mean",
    "inspect",
    "line_column",
    "or_list",
    "suggestion_list",
]

#: The status GraphQL-over-HTTP prescribes for a request whose document does not
#: parse (section 6.4.2, ``application/graphql-response+json``).
HTTP_BAD_REQUEST = 400

# LineTerminator :: "New Line (U+000A)" | "Carriage Return (U+000D)" [lookahead != U+000A]
#                 | "Carriage Return (U+000D)" "New Line (U+000A)"
_LINE_TERMINATOR = re.compile(r"\r\n|[\n\r]")

# How much of a token's text an error message may echo.
_EXCERPT = 60


def line_column(source: str, offset: int) -> tuple[int, int]:
    """Return the 1-based line and column of a character offset in ``source``.

    Lines end at each LineTerminator (LF, CR or CRLF); columns count characters
    (code points) from the start of the line.

    Args:
        source: The GraphQL source text.
        offset: A character offset into ``source``, for example ``node.loc.start``.

    Returns:
        ``(line, column)``, both starting at 1.
    """
    line = 1
    line_start = 0
    for match in _LINE_TERMINATOR.finditer(source, 0, offset):
        line += 1
        line_start = match.end()
    return line, offset - line_start + 1


def excerpt(text: str) -> str:
    """Shorten ``text`` for an error message, so a message never echoes a huge token."""
    if len(text) <= _EXCERPT:
        return text
    return text[: _EXCERPT - 3] + "..."


class SourceLocation(NamedTuple):
    """A position in a GraphQL source, as a response's ``locations`` gives it.

    Attributes:
        line: The 1-based line.
        column: The 1-based column (code points from the start of the line).
    """

    line: int
    column: int

    @property
    def formatted(self) -> dict[str, int]:
        """The location in response form: ``{"line": L, "column": C}``."""
        return {"line": self.line, "column": self.column}


class GraphQLError(Exception):
    """An error in a GraphQL request or schema, in the form responses report it.

    ``locations`` is computed from the ``source`` text and the character offsets
    (``positions``, by default the start of each node's ``loc``). A document node
    does not carry its source text, so whoever holds the text passes ``source``
    here or sets the attribute later, before the error is formatted; without a
    source the error has no locations.

    Args:
        message: What is wrong, worded like graphql-js.
        nodes: The AST node or nodes the error is about.
        source: The source text the nodes were parsed from.
        positions: Character offsets into ``source``; default: the nodes' starts.
        path: The response path of the field the error is about (execution errors).
        original_error: The exception that caused this error, if any.
        extensions: Extra entries for the response's ``extensions`` map; defaults to
            the ``extensions`` of ``original_error`` when it has them.

    Attributes:
        message: The message.
        nodes: The nodes, as a list, or ``None``.
        source: The source text, or ``None``.
        positions: The character offsets, or ``None``.
        path: The response path, or ``None``.
        original_error: The cause, or ``None``.
        extensions: The extensions map, or ``None``.
    """

    message: str
    nodes: list[Any] | None
    source: str | None
    positions: list[int] | None
    path: list[str | int] | None
    original_error: BaseException | None
    extensions: dict[str, Any] | None

    def __init__(
        self,
        message: str,
        nodes: Any = None,
        *,
        source: str | None = None,
        positions: Sequence[int] | None = None,
        path: Sequence[str | int] | None = None,
        original_error: BaseException | None = None,
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if nodes is not None and not isinstance(nodes, list):
            nodes = list(nodes) if isinstance(nodes, tuple) else [nodes]
        self.nodes = nodes or None
        self.source = source
        if positions is None and nodes:
            positions = [node.loc.start for node in nodes if node.loc is not None]
        self.positions = list(positions) if positions else None
        self.path = list(path) if path is not None else None
        self.original_error = original_error
        if extensions is None and original_error is not None:
            extensions = getattr(original_error, "extensions", None)
        self.extensions = dict(extensions) if extensions else None

    @property
    def locations(self) -> list[SourceLocation] | None:
        """The ``(line, column)`` of each position, or ``None`` without a source."""
        source = self.source
        if source is None or self.positions is None:
            return None
        return [SourceLocation(*line_column(source, offset)) for offset in self.positions]

    @property
    def formatted(self) -> dict[str, Any]:
        """The error in response form (section 7.1.2): message, locations, path, extensions."""
        result: dict[str, Any] = {"message": self.message}
        locations = self.locations
        if locations is not None:
            result["locations"] = [location.formatted for location in locations]
        if self.path is not None:
            result["path"] = self.path
        if self.extensions is not None:
            result["extensions"] = self.extensions
        return result

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class GraphQLSyntaxError(RemoteProtocolError, GraphQLError):
    """The document is not valid GraphQL syntax.

    It is a ``GraphQLError`` too, located at the offending character, so a request
    error list reports it like every other error.

    Attributes:
        message: The description, worded like graphql-js, starting with ``Syntax Error:``.
        position: The character offset of the error in the source.
        line: The 1-based line of the error.
        column: The 1-based column of the error.
        code: 400, the HTTP status GraphQL-over-HTTP gives a document that does not parse.

    Args:
        source: The source text that was parsed.
        position: The character offset where the error was found.
        description: What was wrong, without the ``Syntax Error:`` prefix.
    """

    position: int
    line: int
    column: int

    def __init__(self, source: str, position: int, description: str) -> None:
        message = f"Syntax Error: {description}"
        line, column = line_column(source, position)
        super().__init__(f"{message} ({line}:{column})", code=HTTP_BAD_REQUEST)
        self.message = message
        self.source = source
        self.positions = [position]
        self.position = position
        self.line = line
        self.column = column

    def __str__(self) -> str:
        return f"{self.message} ({self.line}:{self.column})"


class InvalidSchemaError(LocalProtocolError):
    """A schema (or its SDL) breaks the rules of the type system (section 3).

    The message joins the messages of all the problems, one paragraph each, as
    graphql-js's ``assertValidSchema`` and ``assertValidSDL`` do.

    Attributes:
        errors: Each problem, located at the definitions it is about.
    """

    errors: list[GraphQLError]

    def __init__(self, errors: Sequence[GraphQLError]) -> None:
        super().__init__("\n\n".join(error.message for error in errors))
        self.errors = list(errors)


# Wording values and suggestions, as graphql-js does --------------------------

# graphql-js jsutils/inspect.ts: nesting shown, list items shown.
_MAX_INSPECT_DEPTH = 2
_MAX_INSPECT_ITEMS = 10


def inspect(value: Any) -> str:
    """Word a Python value for an error message the way graphql-js words a JS value.

    ``None`` is ``null``, booleans are ``true``/``false``, strings are JSON-quoted,
    lists are ``[1, 2]`` (at most 10 items shown) and mappings are ``{ a: 1 }``,
    nested at most two levels deep. Other objects show only their class, so a
    message never leaks their contents.

    Args:
        value: Any value.

    Returns:
        A short text for the value.
    """
    return _inspect(value, 0)


def _inspect(value: Any, depth: int) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _truncate(_json_string(value))
    if isinstance(value, int):
        return _truncate(str(value))
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        if depth >= _MAX_INSPECT_DEPTH:
            return "[Object]"
        entries = [f"{key}: {_inspect(item, depth + 1)}" for key, item in value.items()]
        return "{ " + ", ".join(entries) + " }"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        if depth >= _MAX_INSPECT_DEPTH:
            return "[Array]"
        items = [_inspect(item, depth + 1) for item in value[:_MAX_INSPECT_ITEMS]]
        remaining = len(value) - _MAX_INSPECT_ITEMS
        if remaining == 1:
            items.append("... 1 more item")
        elif remaining > 1:
            items.append(f"... {remaining} more items")
        return "[" + ", ".join(items) + "]"
    if type(value).__module__.startswith("wire.graphql."):
        return str(value)  # a GraphQL type or directive: its name, as graphql-js's toJSON
    if callable(value):
        name = getattr(value, "__name__", None)
        return f"[function {name}]" if isinstance(name, str) else "[function]"
    return f"<{type(value).__name__} instance>"


# A message echoes at most this many characters of one string or number (graphql-core's
# limit), the middle elided, so a huge input never makes a huge error.
_MAX_INSPECT_TEXT = 240


def _truncate(text: str) -> str:
    if len(text) <= _MAX_INSPECT_TEXT:
        return text
    head = (_MAX_INSPECT_TEXT - 3) // 2
    tail = _MAX_INSPECT_TEXT - 3 - head
    return text[:head] + "..." + text[-tail:]


_JSON_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}
_JSON_SPECIAL = re.compile(r'["\\\x00-\x1f]')


def _json_escape(match: re.Match[str]) -> str:
    char = match.group()
    return _JSON_ESCAPES.get(char) or f"\\u{ord(char):04x}"


def _json_string(value: str) -> str:
    """``JSON.stringify`` of a string (ECMA-262 section 25.5.2.3 QuoteJSONString)."""
    return '"' + _JSON_SPECIAL.sub(_json_escape, value) + '"'


# graphql-js jsutils/didYouMean.ts: at most five suggestions.
_MAX_SUGGESTIONS = 5


def did_you_mean(suggestions: Sequence[str], sub_message: str | None = None) -> str:
    """Word suggestions as graphql-js does: `` Did you mean "A", "B", or "C"?``.

    Args:
        suggestions: The names to suggest, best first; at most five are used.
        sub_message: Words between "Did you mean" and the names, e.g. "the enum value".

    Returns:
        The sentence with a leading space, or ``""`` without suggestions.
    """
    if not suggestions:
        return ""
    message = " Did you mean "
    if sub_message:
        message += sub_message + " "
    return message + or_list([f'"{name}"' for name in suggestions[:_MAX_SUGGESTIONS]]) + "?"


def or_list(items: Sequence[str]) -> str:
    """``A``, ``A or B``, ``A, B, or C``."""
    return _format_list("or", items)


def and_list(items: Sequence[str]) -> str:
    """``A``, ``A and B``, ``A, B, and C``."""
    return _format_list("and", items)


def _format_list(conjunction: str, items: Sequence[str]) -> str:
    if len(items) <= 2:
        return f" {conjunction} ".join(items)
    return ", ".join(items[:-1]) + f", {conjunction} " + items[-1]


_DIGITS = re.compile(r"(\d+)")


def _natural_key(text: str) -> tuple[Any, ...]:
    # graphql-js jsutils/naturalCompare.ts: runs of digits compare as numbers.
    parts = _DIGITS.split(text)
    return tuple((int(part), part) if index % 2 else part for index, part in enumerate(parts))


def suggestion_list(given: str, options: Collection[str]) -> list[str]:
    """The options close to ``given``, best first, as graphql-js suggests them.

    An option is close when its Damerau-Levenshtein distance (case changes count
    as one edit) is at most 40% of the length of ``given``, plus one. Ties sort in
    natural order.

    Args:
        given: The unknown name.
        options: The known names.

    Returns:
        The close options, nearest first.
    """
    threshold = int(len(given) * 0.4) + 1
    distances: dict[str, int] = {}
    given_lower = given.lower()
    for option in options:
        distance = _lexical_distance(given, given_lower, option, threshold)
        if distance is not None:
            distances[option] = distance
    return sorted(distances, key=lambda option: (distances[option], _natural_key(option)))


def _lexical_distance(given: str, given_lower: str, option: str, threshold: int) -> int | None:
    if given == option:
        return 0
    option_lower = option.lower()
    if given_lower == option_lower:
        return 1
    a, b = option_lower, given_lower
    if len(a) < len(b):
        a, b = b, a
    a_len, b_len = len(a), len(b)
    if a_len - b_len > threshold:
        return None
    rows = [list(range(b_len + 1)), [0] * (b_len + 1), [0] * (b_len + 1)]
    for i in range(1, a_len + 1):
        up_row = rows[(i - 1) % 3]
        row = rows[i % 3]
        smallest = row[0] = i
        for j in range(1, b_len + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cell = min(up_row[j] + 1, row[j - 1] + 1, up_row[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cell = min(cell, rows[(i - 2) % 3][j - 2] + 1)
            smallest = min(smallest, cell)
            row[j] = cell
        if smallest > threshold:
            return None
    distance = rows[a_len % 3][b_len]
    return distance if distance <= threshold else None
