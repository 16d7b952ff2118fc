"""The GraphQL lexer (GraphQL October 2021, section 2.1 "Source Text").

One compiled regular expression splits the whole source at once
(``Pattern.split``, so the loop over tokens runs in C): each match is the
ignored tokens before a token, then the token. The pattern only accepts valid
tokens; whatever else starts at a position is matched by the last alternative,
the rest of the source, and :func:`lex_error` then reads that one token character
by character to say exactly what is wrong, with graphql-js's words and position.

Token offsets are running sums of the pieces' lengths and each token's kind
comes from its first character, both computed in C too. Only strings and numbers
need a closer look (a block string, escape sequences to decode, Int or Float),
once per such token in :func:`tokenize`, as do the checks a regular expression
cannot make (Unicode scalar values, surrogate pairs).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import accumulate, islice
from operator import itemgetter

from wire.graphql._errors import GraphQLSyntaxError, excerpt

__all__ = [
    "AMP",
    "AT",
    "BANG",
    "BLOCK_STRING",
    "BRACE_L",
    "BRACE_R",
    "BRACKET_L",
    "BRACKET_R",
    "COLON",
    "DOLLAR",
    "EOF",
    "EQUALS",
    "ERROR",
    "FLOAT",
    "INT",
    "NAME",
    "PAREN_L",
    "PAREN_R",
    "PIPE",
    "SPREAD",
    "STRING",
    "Tokens",
    "describe",
    "tokenize",
]

# Token kinds. The four that can follow a field's name come first, so the parser
# tells a field without alias, arguments, directives or selections from the rest
# with one comparison: ``kind > COLON``.
BRACE_L = 1
PAREN_L = 2
AT = 3
COLON = 4
NAME = 5
BRACE_R = 6
SPREAD = 7
DOLLAR = 8
BRACKET_L = 9
BRACKET_R = 10
PAREN_R = 11
BANG = 12
EQUALS = 13
PIPE = 14
AMP = 15
STRING = 16
BLOCK_STRING = 17
INT = 18
FLOAT = 19
EOF = 20
ERROR = 21

_KIND_NAMES = {
    NAME: "Name",
    INT: "Int",
    FLOAT: "Float",
    STRING: "String",
    BLOCK_STRING: "BlockString",
    EOF: "<EOF>",
    BRACE_L: "'{'",
    BRACE_R: "'}'",
    PAREN_L: "'('",
    PAREN_R: "')'",
    COLON: "':'",
    DOLLAR: "'$'",
    AT: "'@'",
    BRACKET_L: "'['",
    BRACKET_R: "']'",
    BANG: "'!'",
    EQUALS: "'='",
    SPREAD: "'...'",
    PIPE: "'|'",
    AMP: "'&'",
}


class _KindsByFirstCharacter(dict[str, int]):
    """The kind of a token from its first character, ``ERROR`` if no token starts so."""

    def __missing__(self, character: str) -> int:
        return ERROR


# STRING stands for both kinds of strings and INT for both kinds of numbers until
# tokenize() looks closer.
_FIRST_CHARACTER_KINDS = _KindsByFirstCharacter(
    {
        **dict.fromkeys("ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz", NAME),
        **dict.fromkeys("-0123456789", INT),
        '"': STRING,
        "{": BRACE_L,
        "}": BRACE_R,
        "(": PAREN_L,
        ")": PAREN_R,
        ":": COLON,
        "$": DOLLAR,
        "@": AT,
        "[": BRACKET_L,
        "]": BRACKET_R,
        "!": BANG,
        "=": EQUALS,
        ".": SPREAD,
        "|": PIPE,
        "&": AMP,
    }
)
_first_character = itemgetter(0)

# SourceCharacter is any Unicode scalar value. A Python str may hold surrogates
# (from "surrogatepass" decoding): a high-low pair counts as the one code point it
# encodes, a lone surrogate is not a SourceCharacter.
_PAIR = r"[\ud800-\udbff][\udc00-\udfff]"
# Ignored :: UnicodeBOM | WhiteSpace | LineTerminator | Comment | Comma
_WHITE = r"[\t\n\r ,\ufeff]*+"
_COMMENT = rf"#[^\n\r\ud800-\udfff]*+(?:{_PAIR}[^\n\r\ud800-\udfff]*+)*+"
_IGNORED = rf"{_WHITE}(?:{_COMMENT}{_WHITE})*+"
# IntegerPart, then FractionalPart and ExponentPart; a number may not be followed
# by a digit, `.` or a NameStart.
_NUMBER = r"-?+(?:0|[1-9][0-9]*+)(?:\.[0-9]++)?+(?:[eE][+-]?+[0-9]++)?+(?![.0-9A-Z_a-z])"
# BlockStringCharacter :: SourceCharacter but not `"""` or `\"""` | `\"""`
_BLOCK_CONTENT = (
    rf'[^"\\\ud800-\udfff]*+(?:(?:\\"""|\\(?!""")|"(?!"")|{_PAIR})[^"\\\ud800-\udfff]*+)*+'
)
# StringCharacter without escapes, and with anything after a backslash (decoded later).
_PLAIN_CONTENT = rf'[^"\\\n\r\ud800-\udfff]*+(?:{_PAIR}[^"\\\n\r\ud800-\udfff]*+)*+'
_STRING_CONTENT = rf'[^"\\\n\r\ud800-\udfff]*+(?:(?:\\[^\n\r]|{_PAIR})[^"\\\n\r\ud800-\udfff]*+)*+'
# Every valid token, most frequent first.
_VALID_TOKEN = "|".join(
    (
        r"[A-Z_a-z][0-9A-Z_a-z]*+",  # Name
        r"[!$&():=@\[\]{|}]",  # Punctuator but `...`
        rf'"(?!""){_STRING_CONTENT}"',  # StringValue (`"""` always starts a block string)
        r"\.\.\.",
        rf'"""{_BLOCK_CONTENT}"""',
        _NUMBER,  # IntValue, FloatValue
    )
)
# Group 1: the ignored tokens; group 2: a valid token, the empty string at the end
# of the source (EOF), or else the rest of the source (a lexical error).
_TOKENS = re.compile(rf"({_IGNORED})({_VALID_TOKEN}|\Z|.+)", re.DOTALL)
# The same for a source without comments (without a `#`), a little faster.
_TOKENS_WITHOUT_COMMENTS = re.compile(rf"({_WHITE})({_VALID_TOKEN}|\Z|.+)", re.DOTALL)
_IS_VALID_TOKEN = re.compile(_VALID_TOKEN, re.DOTALL)
_BLOCK_PREFIX = re.compile(_BLOCK_CONTENT)
_PLAIN_RUN = re.compile(_PLAIN_CONTENT)
_LINE_TERMINATOR = re.compile(r"\r\n|[\n\r]")
_DIGITS = re.compile("[0-9]*")
_HEX_DIGITS = {c: int(c, 16) for c in "0123456789abcdefABCDEF"}
_ESCAPED_CHARACTERS = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}


class Tokens:
    """The tokens of a source, as parallel lists indexed by token number.

    The last token is the sentinel: ``EOF``, or ``ERROR`` when the source has a
    lexical error or too many tokens; ``error`` is then what to raise when the
    parser reaches it.

    Attributes:
        source: The source text.
        kinds: The kind of each token.
        starts: The offset of each token's first character.
        ends: The offset just past each token's last character.
        texts: The source text of each token, ``""`` for ``EOF`` (and whatever text
            lexing stopped at for an ``ERROR`` sentinel).
        strings: The value of each block string and string with escape sequences,
            by token number; any other string's value is its text unquoted.
        error: The error of the ``ERROR`` sentinel, if the last token is one.
    """

    __slots__ = ("ends", "error", "kinds", "source", "starts", "strings", "texts")

    def __init__(
        self,
        source: str,
        kinds: list[int],
        starts: list[int],
        ends: list[int],
        texts: list[str],
        strings: dict[int, str],
        error: GraphQLSyntaxError | None,
    ) -> None:
        self.source = source
        self.kinds = kinds
        self.starts = starts
        self.ends = ends
        self.texts = texts
        self.strings = strings
        self.error = error

    def value(self, index: int) -> str:
        """Return the value of token ``index`` (a name, number or string)."""
        value = self.strings.get(index)
        if value is not None:
            return value
        if self.kinds[index] == STRING:
            return self.texts[index][1:-1]
        return self.texts[index]


def describe(tokens: Tokens, index: int) -> str:
    """Describe token ``index`` for an error message, as graphql-js does: ``Name 'foo'``."""
    kind = tokens.kinds[index]
    if kind in (NAME, INT, FLOAT, STRING, BLOCK_STRING):
        return f"{_KIND_NAMES[kind]} '{excerpt(tokens.value(index))}'"
    return _KIND_NAMES[kind]


def kind_name(kind: int) -> str:
    """Describe a token kind for an error message: ``Name``, ``'{'``, ``<EOF>``."""
    return _KIND_NAMES[kind]


def tokenize(source: str, max_tokens: int) -> Tokens:
    """Split ``source`` into tokens, up to the first lexical error.

    Args:
        source: The GraphQL source text.
        max_tokens: How many tokens (EOF not counted) the source may have; the token
            after the last allowed one becomes an ``ERROR`` sentinel.

    Returns:
        The tokens, ending with an ``EOF`` or ``ERROR`` sentinel.
    """
    # [gap, ignored, token, gap, ignored, token, ..., rest]: the gaps between
    # matches are empty (a match can start anywhere) and so is the rest unless
    # the split stopped at max_tokens + 1 matches.
    pattern = _TOKENS if "#" in source else _TOKENS_WITHOUT_COMMENTS
    pieces = pattern.split(source, max_tokens + 1)
    del pieces[::3]
    texts = pieces[1::2]
    # Only the end of the source matches the empty string (EOF), and split matches
    # it a second time after a match that was not empty: only the first counts.
    last = len(texts) - 1
    eof = not texts[last]
    if eof and last and not texts[last - 1]:
        last -= 1
    del texts[last + 1 :], pieces[2 * last + 2 :]
    offsets = list(accumulate(map(len, pieces)))
    starts = offsets[::2]
    ends = offsets[1::2]
    first_characters = map(_first_character, texts[:last] if eof else texts)
    kinds = list(map(_FIRST_CHARACTER_KINDS.__getitem__, first_characters))
    if eof:
        kinds.append(EOF)
    error: GraphQLSyntaxError | None = None
    # The rest of the source is not a token when no valid token starts there.
    stop = last - 1 if eof else last
    if stop >= 0 and ends[stop] == len(source) and not _IS_VALID_TOKEN.match(source, starts[stop]):
        del kinds[stop + 1 :], starts[stop + 1 :], ends[stop + 1 :], texts[stop + 1 :]
        kinds[stop] = ERROR
        error = lex_error(source, starts[stop])
    strings: dict[int, str] = {}
    # Without a backslash or `"""` in the source, every string is plain: no need to look.
    for index in _indexes(kinds, STRING) if "\\" in source or '"""' in source else ():
        text = texts[index]
        if text.startswith('"""'):
            kinds[index] = BLOCK_STRING
            strings[index] = block_string_value(text[3:-3])
        elif "\\" in text:
            try:
                strings[index] = read_string(source, starts[index])[0]
            except GraphQLSyntaxError as exc:
                # The lexer stops at its first error: later tokens do not exist.
                del kinds[index + 1 :], starts[index + 1 :], ends[index + 1 :], texts[index + 1 :]
                kinds[index] = ERROR
                error = exc
                break
    for index in _indexes(kinds, INT):
        text = texts[index]
        if "." in text or "e" in text or "E" in text:
            kinds[index] = FLOAT
    if kinds[-1] not in (EOF, ERROR):
        # A valid token, one more than allowed.
        kinds[-1] = ERROR
        error = GraphQLSyntaxError(
            source,
            starts[-1],
            f"Document contains more than {max_tokens} tokens. Parsing aborted.",
        )
    return Tokens(source, kinds, starts, ends, texts, strings, error)


def _indexes(kinds: list[int], kind: int) -> Iterator[int]:
    """Yield the indexes of ``kind`` in ``kinds`` (searching in C: most kinds are rare)."""
    if kind not in kinds:
        return
    index = -1
    while True:
        try:
            index = kinds.index(kind, index + 1)
        except ValueError:
            return
        yield index


def block_string_value(raw: str) -> str:
    """BlockStringValue(rawValue) (section 2.9.4): unescape, dedent, trim blank lines.

    Args:
        raw: The characters between the opening and closing triple quotes.

    Returns:
        The string value.
    """
    lines = _LINE_TERMINATOR.split(raw.replace('\\"""', '"""'))
    common_indent = None
    for line in islice(lines, 1, None):
        indent = len(line) - len(line.lstrip(" \t"))
        if indent < len(line) and (common_indent is None or indent < common_indent):
            common_indent = indent
    if common_indent:
        lines[1:] = [line[common_indent:] for line in islice(lines, 1, None)]
    first = 0
    last = len(lines)
    while first < last and not lines[first].strip(" \t"):
        first += 1
    while last > first and not lines[last - 1].strip(" \t"):
        last -= 1
    return "\n".join(lines[first:last])


def read_string(source: str, start: int) -> tuple[str, int]:
    """Read the StringValue starting at ``source[start] == '"'`` character by character.

    Args:
        source: The source text.
        start: The offset of the opening quote.

    Returns:
        The decoded value and the offset just past the closing quote.

    Raises:
        GraphQLSyntaxError: The string is unterminated, has an invalid escape
            sequence, or holds a character that is not a SourceCharacter.
    """
    position = start + 1
    length = len(source)
    chunks = []
    while True:
        run = _PLAIN_RUN.match(source, position)
        chunks.append(run.group())  # type: ignore[union-attr]  # matches the empty string
        position = run.end()  # type: ignore[union-attr]
        if position >= length or source[position] in "\n\r":
            raise GraphQLSyntaxError(source, position, "Unterminated string.")
        char = source[position]
        if char == '"':
            return "".join(chunks), position + 1
        if char != "\\":
            raise GraphQLSyntaxError(
                source,
                position,
                f"Invalid character within String: {code_point_at(source, position)}.",
            )
        value, size = _read_escape(source, position)
        chunks.append(value)
        position += size


def _read_escape(source: str, position: int) -> tuple[str, int]:
    # EscapedCharacter :: one of `"` `\` `/` `b` `f` `n` `r` `t`
    # EscapedUnicode :: `{` HexDigit+ `}` | HexDigit HexDigit HexDigit HexDigit
    escape = source[position + 1 : position + 2]
    if escape != "u":
        value = _ESCAPED_CHARACTERS.get(escape)
        if value is None:
            raise GraphQLSyntaxError(
                source,
                position,
                f"Invalid character escape sequence: '{source[position : position + 2]}'.",
            )
        return value, 2
    if source[position + 2 : position + 3] == "{":
        # \u{...}: at most 8 hex digits, a Unicode scalar value.
        size = 3
        limit = min(12, len(source) - position)
        point = 0
        while size < limit:
            char = source[position + size]
            size += 1
            if char == "}":
                if size > 4 and _is_scalar(point):
                    return chr(point), size
                break
            digit = _HEX_DIGITS.get(char)
            if digit is None:
                break
            point = point * 16 + digit
        raise GraphQLSyntaxError(
            source,
            position,
            f"Invalid Unicode escape sequence: '{source[position : position + size]}'.",
        )
    point = _hex4(source, position + 2)
    if _is_scalar(point):
        return chr(point), 6
    # A surrogate pair written as two escapes, JSON style, is one code point.
    if 0xD800 <= point <= 0xDBFF and source[position + 6 : position + 8] == "\\u":
        low = _hex4(source, position + 8)
        if 0xDC00 <= low <= 0xDFFF:
            return chr(0x10000 + ((point - 0xD800) << 10) + (low - 0xDC00)), 12
    raise GraphQLSyntaxError(
        source,
        position,
        f"Invalid Unicode escape sequence: '{source[position : position + 6]}'.",
    )


def _hex4(source: str, position: int) -> int:
    """Return the value of the 4 hex digits at ``position``, or -1 if they are not."""
    point = 0
    for char in source[position : position + 4]:
        digit = _HEX_DIGITS.get(char)
        if digit is None:
            return -1
        point = point * 16 + digit
    return point if position + 4 <= len(source) else -1


def _is_scalar(point: int) -> bool:
    return 0 <= point <= 0xD7FF or 0xE000 <= point <= 0x10FFFF


def code_point_at(source: str, position: int) -> str:
    """Show the character at ``position`` for an error message, as graphql-js does.

    Printable ASCII is quoted (``'a'``), anything else is ``U+XXXX`` and the end
    of the source is ``<EOF>``.
    """
    if position >= len(source):
        return "<EOF>"
    char = source[position]
    if " " <= char <= "~":
        return "'\"'" if char == '"' else f"'{char}'"
    point = ord(char)
    if _is_pair(source, position):
        point = 0x10000 + ((point - 0xD800) << 10) + (ord(source[position + 1]) - 0xDC00)
    return f"U+{point:04X}"


def _is_pair(source: str, position: int) -> bool:
    return (
        "\ud800" <= source[position] <= "\udbff"
        and "\udc00" <= source[position + 1 : position + 2] <= "\udfff"
    )


def lex_error(source: str, position: int) -> GraphQLSyntaxError:
    """Explain why no token can start at ``position``.

    Args:
        source: The source text.
        position: Where the pattern found no valid token.

    Returns:
        The syntax error to raise, worded and placed as graphql-js does.
    """
    char = source[position]
    if char == '"':
        if source.startswith('"""', position):
            # Block strings fail only by running into the end or a lone surrogate.
            end = _BLOCK_PREFIX.match(source, position + 3).end()  # type: ignore[union-attr]
            if end >= len(source):
                return GraphQLSyntaxError(source, end, "Unterminated string.")
            return GraphQLSyntaxError(
                source, end, f"Invalid character within String: {code_point_at(source, end)}."
            )
        try:
            read_string(source, position)
        except GraphQLSyntaxError as exc:
            return exc
    elif char == "-" or "0" <= char <= "9":
        return _number_error(source, position)
    elif char == ".":
        if source.startswith("..", position):
            return GraphQLSyntaxError(source, position, "Unexpected '..', did you mean '...'?")
        digits = _DIGITS.match(source, position + 1).group()  # type: ignore[union-attr]
        if digits:
            return GraphQLSyntaxError(
                source,
                position,
                f"Invalid number, expected digit before '.', did you mean '0.{digits}'?",
            )
    elif char == "'":
        return GraphQLSyntaxError(
            source,
            position,
            "Unexpected single quote character ('), did you mean to use a double quote (\")?",
        )
    if "\ud800" <= char <= "\udfff" and not _is_pair(source, position):
        return GraphQLSyntaxError(
            source, position, f"Invalid character: {code_point_at(source, position)}."
        )
    return GraphQLSyntaxError(
        source, position, f"Unexpected character: {code_point_at(source, position)}."
    )


def _number_error(source: str, position: int) -> GraphQLSyntaxError:
    """Find what is wrong with the number starting at ``position``.

    IntegerPart :: NegativeSign? 0 | NegativeSign? NonZeroDigit Digit*
    FractionalPart :: . Digit+    ExponentPart :: ExponentIndicator Sign? Digit+
    """
    if source[position] == "-":
        position += 1
    if source[position : position + 1] == "0":
        position += 1
        if "0" <= source[position : position + 1] <= "9":
            return GraphQLSyntaxError(
                source,
                position,
                f"Invalid number, unexpected digit after 0: {code_point_at(source, position)}.",
            )
    else:
        position = _digits(source, position)
        if position < 0:
            return _expected_digit(source, -position - 1)
    if source[position : position + 1] == ".":
        position = _digits(source, position + 1)
        if position < 0:
            return _expected_digit(source, -position - 1)
    if source[position : position + 1] in ("e", "E"):
        position += 1
        if source[position : position + 1] in ("+", "-"):
            position += 1
        position = _digits(source, position)
        if position < 0:
            return _expected_digit(source, -position - 1)
    # The number is well formed, so what follows it is a `.` or a NameStart.
    return _expected_digit(source, position)


def _digits(source: str, position: int) -> int:
    """Skip Digit+ at ``position``: the offset after them, or ``-position - 1`` if none."""
    end = _DIGITS.match(source, position).end()  # type: ignore[union-attr]
    return end if end > position else -position - 1


def _expected_digit(source: str, position: int) -> GraphQLSyntaxError:
    return GraphQLSyntaxError(
        source,
        position,
        f"Invalid number, expected digit but got: {code_point_at(source, position)}.",
    )
