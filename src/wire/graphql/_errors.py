"""Syntax errors and source positions.

A ``GraphQLSyntaxError`` is what the peer gets for a document that does not lex
or parse (GraphQL October 2021, section 2 "Language"). Its message is worded as
graphql-js words it ("Syntax Error: Expected Name, found <EOF>."), so clients
see familiar text, and it carries the 1-based ``line`` and ``column`` of the
offending character.
"""

from __future__ import annotations

import re

from wire.errors import RemoteProtocolError

__all__ = ["GraphQLSyntaxError", "line_column"]

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


class GraphQLSyntaxError(RemoteProtocolError):
    """The document is not valid GraphQL syntax.

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

    message: str
    position: int
    line: int
    column: int

    def __init__(self, source: str, position: int, description: str) -> None:
        message = f"Syntax Error: {description}"
        line, column = line_column(source, position)
        super().__init__(f"{message} ({line}:{column})", code=HTTP_BAD_REQUEST)
        self.message = message
        self.position = position
        self.line = line
        self.column = column
