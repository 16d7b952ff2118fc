"""Differential tests against graphql-core 3.3.2 (the Python port of graphql-js).

For every document, hand-written or generated, both parsers must agree: either
both accept it and print the same text, or both reject it with the same message
at the same line and column. The only allowed difference is that our messages
shorten token values longer than 60 characters.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.peers import require_module

from wire.graphql import GraphQLSyntaxError, parse, print_ast
from wire.graphql.strategies import document_sources, documents

CORPUS = Path(__file__).parent / "corpus"

# Hand-written edge cases, valid and invalid: each exercises one rule of the
# lexer or parser, and its error, if any, must match graphql-core's exactly.
CASES = [
    # Empty documents and stray tokens.
    "",
    "   ",
    "# only a comment",
    "{ a }}",
    "{ a } { b }",
    "foo",
    "extend",
    "extend foo",
    'extend "x"',
    "scalar",
    "... on T",
    "subscription",
    # Selections.
    "{ a {} }",
    "query {}",
    "{ ... }",
    "{ ...on }",
    "{ ...on T }",
    "{ ...F(a: 1) }",
    "{ ....a }",
    "{ a: }",
    "{ a: b: c }",
    '{ "d" a }',
    '{ a "x" }',
    '{ a """x""" }',
    "{ a 1 }",
    "{a 1.5}",
    "{ alias: a(x: 1) @d @e { b } }",
    "{ a { b { c } } ... on T { d } ... @skip(if: true) { e } ...F @d }",
    # Operations and variables.
    "query Q on { a }",
    "query Q($a) { a }",
    "query Q($a: ) { a }",
    "query Q(a: Int) { a }",
    "query Q($a: [Int) { a }",
    "query Q($a: Int!!) { a }",
    "query Q($a: Int = ) { a }",
    "query Q($a: Int = $b) { a }",
    "query ($a: Int = $?) {a}",
    "query Q($a: Int = 1 @a(b: $c)) { a }",
    "query Q($a: Int) @d(x: $a) { a }",
    "query Q($a: [Int] = [1,2]) @d { a }",
    "query Q($v: [[Int!]!]! = [[1]]) { a }",
    'query ("x" $a: Int) { a }',
    "query Q @a(x: $v) on",
    "mutation M { a } subscription S { b }",
    # Descriptions on executable definitions (working draft).
    '"d" query Q { a }',
    '"d" { a }',
    '"d" ?',
    '"""a""" foo',
    '"""a""" extend type A @a',
    '"desc" extend schema @a',
    # Fragments.
    "query { a } fragment F on T { b }",
    '"""x""" fragment F on T { a }',
    "fragment on on T {a}",
    "fragment F($a: Int) on T { a }",
    "fragment F on T @d { a }",
    "fragment F on T",
    "fragment F T { a }",
    "fragment F on T {}",
    # Values.
    "{ a(x: $) }",
    "{ a(x: $a.b) }",
    "{ a(b: [1, 2, ]) }",
    "{ a(b: [1, 2 }",
    "{ a(b: {c}) }",
    "{ a(b: {c: }) }",
    "{ a(x: {}) }",
    "{ a(x: []) }",
    "{ a(x: {a: 1, a: 2}) }",
    "{ a(x: ...) }",
    "{ a(x: @) }",
    "{ a(x: !) }",
    "{ a(x: [[[[[1]]]]]) }",
    "{ a(x: {b: {c: {d: [1, {e: 2}]}}}) }",
    # Numbers.
    "{ a(x: 1.) }",
    "{ a(x: 0123) }",
    "{ a(x: 1e) }",
    "{ a(x: .5) }",
    "{ a(x: ..) }",
    "{ a(x: -) }",
    "{ a(x: -0) }",
    "{ a(x: 00) }",
    "{ a(x: 1.5e+10) }",
    "{ a(x: 1.5e) }",
    "{ a(x: 1.e5) }",
    "{ a(x: 1a) }",
    "{ a(x: 1.5.) }",
    "{ a(x: 1_) }",
    "{ a(x: 1.",
    "{ a(x: 1e+",
    # Strings and escapes.
    '{a(x:"abc',
    '{ a "bad\\q" }',
    '{ a(x: "abc\\"") }',
    '{ a(x: "a\rb") }',
    '{ a(x: "\\u{110000}") }',
    '{ a(x: "\\u{000000001}") }',
    '{ a(x: "\\uD800") }',
    '{ a(x: "\\uD83D\\uDE00") }',
    '{ a(x: "\\u{}") }',
    '{ a(x: "a\\u{1F600}") }',
    '{ a(x: "\\u00") }',
    '{ a(x: "\\u{1F600") }',
    '{ a(x: "\\uD83D\\u0041") }',
    '{ a(x: "\\uD83D") }',
    '{ a(x: "\\uDE00") }',
    '{ a(x: "\\\\") }',
    '{ a(x: "\\',
    '{ a(x: "\\u{D800}") }',
    '{ a(x: "\\u{0}") }',
    '{ a(x: "\\u{10FFFF}") }',
    '{ a(x: "\\uXYZW") }',
    '{ a(x: "\\u{FFFFFFFF}") }',
    '{ a(x: "\\u{12345678}") }',
    '{ a(x: "\\u{") }',
    '{ a(x: "\\u{1',
    '{ a(x: "\\u1',
    '{ a(x: "\\u{1}")',
    '{ a(x: "\\/\\b\\f\\n\\r\\t") }',
    '{ a(x: "\x7f\x80\x9f\xa0") }',
    '{ a(x: "\\u0000") }',
    '{ a(x: "\ud800") }',
    '{ a(x: "\ud83d\ude00") }',
    "{ a(x: 'a') }",
    # Block strings.
    '{ a(x: """ab\\"""c""") }',
    '{ a(x: """  \n  a\n    b\n  """) }',
    '{ a(x: """\n\n    a\n\n  b  \n\n""") }',
    '{ a(x: """""") }',
    '{ a(x: """   """) }',
    '{ a(x: """abc',
    '{ a(x: """abc""""',
    '{ a(x: """\\""""") }',
    '{ a(x: """\ud800""") }',
    '""" scalar\tquery (\r\n',
    # Ignored tokens and other characters.
    "#c\r\n{ a(x: 1 # c\n) ?",
    "\ufeff{ a }",
    "{ a(x: \x01) }",
    "{ a }\ud800",
    "# \ud800\n{ a }",
    "\ud83d\ude00",
    "{ a }\n\r\n\r?",
    'U"\n',
    "{ a } ?",
    # Type system.
    "type A {}",
    "type A @a(b: $c)",
    "type T implements",
    "type T implements A &",
    "type T { f }",
    "type T { f: }",
    "type T { f(): Int }",
    "type T { f(a): Int }",
    "type T { f: Int = 1 }",
    "type T { f(a: Int\n b: Int): Int }",
    'type T { f("""\nx\n""" a: Int): Int }',
    'type Q { f("d" a: Int, """ b """ b: Int): Int }',
    "interface I implements J & K @d { f: Int }",
    "input I @d { a: Int! = 3 @d, b: [I] }",
    "input I { a }",
    "enum E { true }",
    "enum E { null }",
    "enum E {}",
    "enum E { A @d B }",
    'enum E { "d" A "e" B }',
    "union U @a = A",
    "union U =",
    "union U = A |",
    "scalar S @",
    '"""desc""" scalar S @d',
    "schema { query: Q mutation: M }",
    "schema @a { query: Q }",
    "schema {}",
    "schema { query }",
    "schema { query: }",
    "schema { foo ?",
    "schema { foo: Q }",
    '"desc" schema { query: Q }',
    "directive @a on FOO",
    "directive d on FIELD",
    "directive @d(a) on FIELD",
    "directive @d on FIELD |",
    "directive @d on",
    "directive @d repeatable FIELD",
    "directive @a @b repeatable on FIELD",
    'directive @d(a: Int = 1, "desc" b: [String!]! @x) repeatable on | FIELD | QUERY',
    # Extensions.
    "extend schema @a",
    "extend schema { query: Q }",
    "extend schema",
    "extend scalar S",
    "extend scalar S @a",
    "extend type T",
    "extend type T @d { f: Int }",
    "extend type T implements & A & B",
    "extend interface I implements A",
    "extend interface I",
    "extend union U = | A | B",
    "extend union U",
    "extend enum E { A B }",
    "extend enum E",
    "extend input I { a: Int = 1 }",
    "extend input I",
    "extend directive @a @b",
    "extend directive @a",
    "extend directive a",
]


@pytest.fixture(autouse=True)
def _graphql_core() -> None:
    require_module("graphql")


def ours(source: str) -> tuple[object, ...]:
    try:
        return ("ok", print_ast(parse(source)))
    except GraphQLSyntaxError as exc:
        return ("error", exc.message, exc.line, exc.column)


def theirs(source: str) -> tuple[object, ...]:
    import graphql

    try:
        return ("ok", graphql.print_ast(graphql.parse(source)))
    except graphql.GraphQLSyntaxError as exc:
        location = exc.locations[0]  # type: ignore[index]
        return ("error", exc.message, location.line, location.column)


def assert_agree(source: str) -> tuple[object, ...]:
    mine = ours(source)
    other = theirs(source)
    if mine[0] == other[0] == "error" and mine[2:] == other[2:]:
        # Our messages shorten long token values: "String 'abc...'".
        message = str(mine[1])
        if "..." in message and str(other[1]).startswith(message[: message.index("...")]):
            return mine
    assert mine == other, f"source {source!r}"
    return mine


@pytest.mark.parametrize("source", CASES)
def test_hand_written_case(source: str) -> None:
    assert_agree(source)


def test_hand_written_cases_cover_both_outcomes() -> None:
    outcomes = [ours(source)[0] for source in CASES]
    assert outcomes.count("ok") > 40
    assert outcomes.count("error") > 100


@pytest.mark.parametrize("name", sorted(path.name for path in CORPUS.glob("*.graphql")))
def test_corpus_document(name: str) -> None:
    source = (CORPUS / name).read_text()
    outcome = assert_agree(source)
    assert outcome[0] == "ok"
    # The printed form is canonical: it prints to itself.
    printed = str(outcome[1])
    assert print_ast(parse(printed)) == printed
    assert parse(printed) == parse(source)


def test_fragment_arguments_print_like_graphql_core() -> None:
    import graphql

    source = "{ ...F(a: 1, b: [$v]) @d } fragment F($a: Int = 1, $b: [Int]) on T { a }"
    ours_printed = print_ast(parse(source, experimental_fragment_arguments=True))
    theirs_printed = graphql.print_ast(graphql.parse(source, experimental_fragment_arguments=True))
    assert ours_printed == theirs_printed


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_generated_documents_print_like_graphql_core(document: object) -> None:
    text = print_ast(document)  # type: ignore[arg-type]
    assert theirs(text) == ("ok", text)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(document_sources())
def test_reformatted_documents_print_like_graphql_core(source: str) -> None:
    assert assert_agree(source)[0] == "ok"


# Snippets that, inserted anywhere, tend to break a document in interesting ways.
_SNIPPETS = [
    *("{", "}", "(", ")", "[", "]", ":", "=", "!", "|", "&", "$", "@", "...", "..", "."),
    *('"', '"""', "\\", "\\u", "\\u{", "\\uD83D", "\\uDE00", '\\"""', "'", "#", "-", "0", "1e"),
    *("on", "extend", "query", "fragment", "type", "schema", "directive", "true", "null"),
    *("\n", "\r", "\x00", "\ufeff", "\ud800", "\ud83d\ude00", "é", '"x"', "1.5"),
]


@st.composite
def broken_sources(draw: st.DrawFn) -> str:
    source = draw(document_sources())
    for _ in range(draw(st.integers(1, 3))):
        position = draw(st.integers(0, len(source)))
        if draw(st.booleans()):
            end = draw(st.integers(position, min(len(source), position + 6)))
            source = source[:position] + source[end:]
        else:
            insert = draw(st.sampled_from(_SNIPPETS) | st.text(max_size=3))
            source = source[:position] + insert + source[position:]
    return source


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(broken_sources())
def test_broken_documents_fail_like_graphql_core(source: str) -> None:
    assert_agree(source)
