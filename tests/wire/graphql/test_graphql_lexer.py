"""Lexical rules (GraphQL October 2021, section 2.1), through the public parsers."""

from __future__ import annotations

import pytest

from wire.graphql import (
    DEFAULT_MAX_TOKENS,
    FloatValueNode,
    GraphQLSyntaxError,
    IntValueNode,
    ListValueNode,
    Location,
    StringValueNode,
    line_column,
    parse,
    parse_value,
)


def string(source: str) -> str:
    node = parse_value(source)
    assert isinstance(node, StringValueNode)
    return node.value


def error(source: str, max_tokens: int = DEFAULT_MAX_TOKENS) -> tuple[str, int, int]:
    with pytest.raises(GraphQLSyntaxError) as info:
        parse(source, max_tokens=max_tokens)
    return info.value.message, info.value.line, info.value.column


# Strings (section 2.9.4) -------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ('""', ""),
        ('"simple"', "simple"),
        ('" white space "', " white space "),
        ('"quote \\""', 'quote "'),
        ('"escaped \\n\\r\\b\\t\\f\\/\\\\"', "escaped \n\r\b\t\f/\\"),
        ('"unicode \\u1234\\u5678\\u90AB\\uCDEF"', "unicode \u1234\u5678\u90ab\ucdef"),
        ('"unicode \\u{1234}\\u{5678}\\u{90AB}\\u{CDEF}"', "unicode \u1234\u5678\u90ab\ucdef"),
        (
            '"string with unicode escape outside BMP \\u{1F600}"',
            "string with unicode escape outside BMP 😀",
        ),
        ('"\\u{0}\\u{00000000}\\u{10FFFF}"', "\x00\x00\U0010ffff"),
        ('"surrogate pair \\uD83D\\uDE00"', "surrogate pair 😀"),
        ('"raw 😀 and é"', "raw 😀 and é"),
        ('"control \x01 and del \x7f"', "control \x01 and del \x7f"),
        ('"python surrogate pair \ud83d\ude00"', "python surrogate pair \ud83d\ude00"),
    ],
)
def test_string_values(source: str, value: str) -> None:
    assert string(source) == value


@pytest.mark.parametrize(
    ("source", "message", "column"),
    [
        ('"', "Unterminated string.", 2),
        ('"no end', "Unterminated string.", 8),
        ('"multi\nline"', "Unterminated string.", 7),
        ('"multi\rline"', "Unterminated string.", 7),
        ('"bad \\z esc"', "Invalid character escape sequence: '\\z'.", 6),
        ('"bad \\x esc"', "Invalid character escape sequence: '\\x'.", 6),
        ('"trailing \\', "Invalid character escape sequence: '\\'.", 11),
        ('"bad \\u1 esc"', "Invalid Unicode escape sequence: '\\u1 es'.", 6),
        ('"bad \\u0XX1 esc"', "Invalid Unicode escape sequence: '\\u0XX1'.", 6),
        ('"bad \\uFXXX esc"', "Invalid Unicode escape sequence: '\\uFXXX'.", 6),
        ('"bad \\u{} esc"', "Invalid Unicode escape sequence: '\\u{}'.", 6),
        ('"bad \\u{FXXX} esc"', "Invalid Unicode escape sequence: '\\u{FX'.", 6),
        ('"bad \\u{FFFF esc"', "Invalid Unicode escape sequence: '\\u{FFFF '.", 6),
        ('"bad \\u{FFFF"', "Invalid Unicode escape sequence: '\\u{FFFF\"'.", 6),
        ('"too high \\u{110000}"', "Invalid Unicode escape sequence: '\\u{110000}'.", 11),
        ('"way too long \\u{000000000}"', "Invalid Unicode escape sequence: '\\u{000000000'.", 15),
        ('"lone \\uD800"', "Invalid Unicode escape sequence: '\\uD800'.", 7),
        ('"lone \\uDBFF\\u0041"', "Invalid Unicode escape sequence: '\\uDBFF'.", 7),
        ('"lone \\uDE00"', "Invalid Unicode escape sequence: '\\uDE00'.", 7),
        ('"lone \\u{D800}"', "Invalid Unicode escape sequence: '\\u{D800}'.", 7),
        ('"cut \\u12', "Invalid Unicode escape sequence: '\\u12'.", 6),
        ('"lone \ud800"', "Invalid character within String: U+D800.", 7),
    ],
)
def test_string_errors(source: str, message: str, column: int) -> None:
    with pytest.raises(GraphQLSyntaxError) as info:
        parse_value(source)
    assert info.value.message == f"Syntax Error: {message}"
    assert (info.value.line, info.value.column) == (1, column)


# Block strings (section 2.9.4, BlockStringValue) -----------------------------------


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ('""""""', ""),
        ('"""simple"""', "simple"),
        ('""" white space """', " white space "),
        ('"""contains " quote"""', 'contains " quote'),
        ('"""contains \\""" triple quote"""', 'contains """ triple quote'),
        ('"""multi\nline"""', "multi\nline"),
        ('"""multi\rline\r\nnormalized"""', "multi\nline\nnormalized"),
        ('"""unescaped \\n\\r\\b\\t\\f\\u1234"""', "unescaped \\n\\r\\b\\t\\f\\u1234"),
        ('"""slashes \\\\ \\/"""', "slashes \\\\ \\/"),
        (
            '"""\n\n        spans\n          multiple\n            lines\n\n        """',
            "spans\n  multiple\n    lines",
        ),
        ('"""  first line keeps\n    its indent\n    """', "  first line keeps\nits indent"),
        ('"""\n  \t \n  a\n \t\n"""', "a"),
        ('"""   \n   """', ""),
        ('"""a \ud83d\ude00 pair"""', "a \ud83d\ude00 pair"),
    ],
)
def test_block_string_values(source: str, value: str) -> None:
    assert string(source) == value
    assert parse_value(source) == StringValueNode(value, block=True)


@pytest.mark.parametrize(
    ("source", "message", "position"),
    [
        ('"""', "Unterminated string.", (1, 4)),
        ('"""no end quote', "Unterminated string.", (1, 16)),
        ('"""line\nnext ""', "Unterminated string.", (2, 8)),
        ('"""escaped end \\"""', "Unterminated string.", (1, 20)),
        ('"""lone \ud800 surrogate"""', "Invalid character within String: U+D800.", (1, 9)),
    ],
)
def test_block_string_errors(source: str, message: str, position: tuple[int, int]) -> None:
    with pytest.raises(GraphQLSyntaxError) as info:
        parse_value(source)
    assert info.value.message == f"Syntax Error: {message}"
    assert (info.value.line, info.value.column) == position


# Numbers (sections 2.9.1, 2.9.2) -----------------------------------------------------


@pytest.mark.parametrize("source", ["4", "-4", "0", "-0", "9", "1234567890123456789012345"])
def test_int_values(source: str) -> None:
    assert parse_value(source) == IntValueNode(source)


@pytest.mark.parametrize(
    "source", ["4.123", "-4.123", "0.123", "123e4", "123E4", "123e-4", "123e+4", "-1.123e4567"]
)
def test_float_values(source: str) -> None:
    assert parse_value(source) == FloatValueNode(source)


@pytest.mark.parametrize(
    ("source", "message", "column"),
    [
        ("00", "Invalid number, unexpected digit after 0: '0'.", 2),
        ("01", "Invalid number, unexpected digit after 0: '1'.", 2),
        ("-01", "Invalid number, unexpected digit after 0: '1'.", 3),
        ("+1", "Unexpected character: '+'.", 1),
        ("1.", "Invalid number, expected digit but got: <EOF>.", 3),
        ("1e", "Invalid number, expected digit but got: <EOF>.", 3),
        ("1E", "Invalid number, expected digit but got: <EOF>.", 3),
        ("1.e1", "Invalid number, expected digit but got: 'e'.", 3),
        (".123", "Invalid number, expected digit before '.', did you mean '0.123'?", 1),
        ("1.A", "Invalid number, expected digit but got: 'A'.", 3),
        ("-A", "Invalid number, expected digit but got: 'A'.", 2),
        ("1.0e", "Invalid number, expected digit but got: <EOF>.", 5),
        ("1.0eA", "Invalid number, expected digit but got: 'A'.", 5),
        ("1.0e+", "Invalid number, expected digit but got: <EOF>.", 6),
        ("1.2e3e", "Invalid number, expected digit but got: 'e'.", 6),
        ("1.2e3.4", "Invalid number, expected digit but got: '.'.", 6),
        ("1.23.4", "Invalid number, expected digit but got: '.'.", 5),
        ("0xF1", "Invalid number, expected digit but got: 'x'.", 2),
        ("0b10", "Invalid number, expected digit but got: 'b'.", 2),
        ("123abc", "Invalid number, expected digit but got: 'a'.", 4),
        ("1_234", "Invalid number, expected digit but got: '_'.", 2),
        ("1\u00df", "Unexpected character: U+00DF.", 2),
        ("1.23f", "Invalid number, expected digit but got: 'f'.", 5),
        ("1.234_5", "Invalid number, expected digit but got: '_'.", 6),
    ],
)
def test_number_errors(source: str, message: str, column: int) -> None:
    with pytest.raises(GraphQLSyntaxError) as info:
        parse_value(source)
    assert info.value.message == f"Syntax Error: {message}"
    assert info.value.column == column


# Punctuators, names, ignored tokens (sections 2.1.3 - 2.1.9) ---------------------------


@pytest.mark.parametrize(
    ("source", "message", "position"),
    [
        ("..", "Unexpected '..', did you mean '...'?", (1, 1)),
        ("{ a(x: ..) }", "Unexpected '..', did you mean '...'?", (1, 8)),
        ("~", "Unexpected character: '~'.", (1, 1)),
        ("?", "Unexpected character: '?'.", (1, 1)),
        (".", "Unexpected character: '.'.", (1, 1)),
        ('{ a }\n"', "Unterminated string.", (2, 2)),
        (
            "'",
            "Unexpected single quote character ('), did you mean to use a double quote (\")?",
            (1, 1),
        ),
        ("\x07", "Unexpected character: U+0007.", (1, 1)),
        ("\u203b", "Unexpected character: U+203B.", (1, 1)),
        ("\u200b", "Unexpected character: U+200B.", (1, 1)),
        ("😀", "Unexpected character: U+1F600.", (1, 1)),
        ("\ud83d\ude00", "Unexpected character: U+1F600.", (1, 1)),
        ("\ud800", "Invalid character: U+D800.", (1, 1)),
        ("\udc00x", "Invalid character: U+DC00.", (1, 1)),
        ("# comment \ud800\n", "Invalid character: U+D800.", (1, 11)),
        ("\n\n    ~\n", "Unexpected character: '~'.", (3, 5)),
        ("\r\n\r\n  ~", "Unexpected character: '~'.", (3, 3)),
        ("\r\r  ~", "Unexpected character: '~'.", (3, 3)),
        ("\n\r\n\r~", "Unexpected character: '~'.", (4, 1)),
    ],
)
def test_character_errors(source: str, message: str, position: tuple[int, int]) -> None:
    assert error(source) == (f"Syntax Error: {message}", *position)


def test_ignored_tokens_between_every_token() -> None:
    source = "\ufeff\t{ ,,a #comment \ud83d\ude00 pair\r\n\r( b : 1 )\n}, # trailing"
    plain = parse("{ a(b: 1) }")
    assert parse(source) == plain


def test_comment_can_end_the_source() -> None:
    assert parse("{ a } # end") == parse("{ a }")


def test_comment_characters_inside_strings_are_not_comments() -> None:
    # A `#` anywhere makes the lexer look for comments; inside a string it is text.
    assert string('"#no comment"') == "#no comment"
    assert string('"a # b" # a comment') == "a # b"


@pytest.mark.parametrize(
    ("source", "values"),
    [
        # No backslash and no `"""`: every string is plain.
        ('["a", "", "b c"]', [("a", False), ("", False), ("b c", False)]),
        # Plain strings beside strings with escapes and block strings.
        (
            '["plain", "tab\\t", """block""", "\\"q\\""]',
            [("plain", False), ("tab\t", False), ("block", True), ('"q"', False)],
        ),
        ('["plain"] # \\', [("plain", False)]),
        ('["plain", """"""]', [("plain", False), ("", True)]),
    ],
)
def test_strings_of_every_kind_together(source: str, values: list[tuple[str, bool]]) -> None:
    value = parse_value(source)
    assert value == ListValueNode(tuple(StringValueNode(text, block) for text, block in values))


@pytest.mark.parametrize(
    ("source", "max_tokens", "message", "column"),
    [
        # The last token ends the source, or whitespace does.
        ("{a}", 3, None, 0),
        ("{a}  ", 3, None, 0),
        ("{a}", 2, "Document contains more than 2 tokens. Parsing aborted.", 3),
        ("{a}  ", 2, "Document contains more than 2 tokens. Parsing aborted.", 3),
        # A lexical error as the token after the last allowed one: the error wins.
        ("{a}~", 3, "Unexpected character: '~'.", 4),
        ("{a}~", 2, "Document contains more than 2 tokens. Parsing aborted.", 3),
        ('{a}"x', 3, "Unterminated string.", 6),
        ("{a}1.", 3, "Invalid number, expected digit but got: <EOF>.", 6),
        ("{a(b:1.5)}", 6, "Document contains more than 6 tokens. Parsing aborted.", 9),
        ("{a(b:1.5)}", 7, "Document contains more than 7 tokens. Parsing aborted.", 10),
        ("{a(b:1.5)}", 8, None, 0),
    ],
)
def test_token_limit_at_the_end_of_the_source(
    source: str, max_tokens: int, message: str | None, column: int
) -> None:
    if message is None:
        assert parse(source, max_tokens=max_tokens) == parse(source)
    else:
        assert error(source, max_tokens=max_tokens) == (f"Syntax Error: {message}", 1, column)


def test_names_are_ascii_and_case_sensitive() -> None:
    document = parse("{ _ a0 B_c __typename }")
    names = [selection.name.value for selection in document.definitions[0].selection_set.selections]  # type: ignore[attr-defined]
    assert names == ["_", "a0", "B_c", "__typename"]
    assert error("{ é }") == ("Syntax Error: Unexpected character: U+00E9.", 1, 3)


def test_token_locations() -> None:
    source = '{\n  field(arg: "str\\n") \n}'
    document = parse(source)
    field = document.definitions[0].selection_set.selections[0]  # type: ignore[attr-defined]
    assert field.name.loc == Location(4, 9)
    argument = field.arguments[0]
    assert argument.value.loc == Location(15, 22)
    assert source[argument.value.loc.start : argument.value.loc.end] == '"str\\n"'
    assert line_column(source, argument.value.loc.start) == (2, 14)


@pytest.mark.parametrize(
    ("source", "offset", "expected"),
    [
        ("abc", 0, (1, 1)),
        ("abc", 2, (1, 3)),
        ("a\nb", 2, (2, 1)),
        ("a\r\nb", 3, (2, 1)),
        ("a\rb", 2, (2, 1)),
        ("a\n\nb", 3, (3, 1)),
        ("a\n\r\nb", 4, (3, 1)),
        ("abc", 3, (1, 4)),
    ],
)
def test_line_column(source: str, offset: int, expected: tuple[int, int]) -> None:
    assert line_column(source, offset) == expected
