"""Validation rules that read the document alone: valid and invalid cases for each, checked against graphql-core."""

# ruff: noqa: E501

from __future__ import annotations

import pytest
from tests.wire.graphql.validation_harness import Expected, expect_errors, expect_valid

from wire.graphql._rules_document import (
    ExecutableDefinitionsRule,
    KnownFragmentNamesRule,
    LoneAnonymousOperationRule,
    NoFragmentCyclesRule,
    NoUndefinedVariablesRule,
    NoUnusedFragmentsRule,
    NoUnusedVariablesRule,
    UniqueArgumentNamesRule,
    UniqueFragmentNamesRule,
    UniqueInputFieldNamesRule,
    UniqueOperationNamesRule,
    UniqueVariableNamesRule,
)

EXECUTABLE_DEFINITIONS_VALID = [
    "query Foo { dog { name } }",
    "query Foo { dog { name } } fragment Frag on Dog { name }",
]

EXECUTABLE_DEFINITIONS_INVALID: list[tuple[str, list[Expected]]] = [
    (
        "query Foo { dog { name } } type Cow { name: String } extend type Dog { color: String }",
        [
            ('The "Cow" definition is not executable.', [(1, 28)]),
            ('The "Dog" definition is not executable.', [(1, 54)]),
        ],
    ),
    (
        "schema { query: Query } type Query { test: String } extend schema @directive",
        [
            ("The schema definition is not executable.", [(1, 1)]),
            ('The "Query" definition is not executable.', [(1, 25)]),
            ("The schema definition is not executable.", [(1, 53)]),
        ],
    ),
    (
        "{ dog { name } } directive @d on FIELD scalar S union U = A enum E { A } input I { a: Int } interface X { a: Int } extend scalar S @d",
        [
            ('The "d" definition is not executable.', [(1, 18)]),
            ('The "S" definition is not executable.', [(1, 40)]),
            ('The "U" definition is not executable.', [(1, 49)]),
            ('The "E" definition is not executable.', [(1, 61)]),
            ('The "I" definition is not executable.', [(1, 74)]),
            ('The "X" definition is not executable.', [(1, 93)]),
            ('The "S" definition is not executable.', [(1, 116)]),
        ],
    ),
]


@pytest.mark.parametrize("query", EXECUTABLE_DEFINITIONS_VALID)
def test_executable_definitions_rule_accepts(query: str) -> None:
    expect_valid(ExecutableDefinitionsRule, query)


@pytest.mark.parametrize(("query", "expected"), EXECUTABLE_DEFINITIONS_INVALID)
def test_executable_definitions_rule_rejects(query: str, expected: list[Expected]) -> None:
    expect_errors(ExecutableDefinitionsRule, query, expected)


UNIQUE_OPERATION_NAMES_VALID = [
    "fragment fragA on Type { field }",
    "{ field }",
    "query Foo { field }",
    "query Foo { field } query Bar { field }",
    "query Foo { field } mutation Bar { field } subscription Baz { field }",
    "query Foo { ...Foo } fragment Foo on Type { field }",
]

UNIQUE_OPERATION_NAMES_INVALID: list[tuple[str, list[Expected]]] = [
    (
        "query Foo { fieldA } query Foo { fieldB }",
        [('There can be only one operation named "Foo".', [(1, 7), (1, 28)])],
    ),
    (
        "query Foo { fieldA } mutation Foo { fieldB }",
        [('There can be only one operation named "Foo".', [(1, 7), (1, 31)])],
    ),
    (
        "query Foo { fieldA } subscription Foo { fieldB } query Foo { c }",
        [
            ('There can be only one operation named "Foo".', [(1, 7), (1, 35)]),
            ('There can be only one operation named "Foo".', [(1, 7), (1, 56)]),
        ],
    ),
]


@pytest.mark.parametrize("query", UNIQUE_OPERATION_NAMES_VALID)
def test_unique_operation_names_rule_accepts(query: str) -> None:
    expect_valid(UniqueOperationNamesRule, query)


@pytest.mark.parametrize(("query", "expected"), UNIQUE_OPERATION_NAMES_INVALID)
def test_unique_operation_names_rule_rejects(query: str, expected: list[Expected]) -> None:
    expect_errors(UniqueOperationNamesRule, query, expected)


LONE_ANONYMOUS_OPERATION_VALID = [
    "fragment fragA on Type { field }",
    "{ field }",
    "query Foo { field } query Bar { field }",
    "{ field } fragment Foo on Type { field }",
]

LONE_ANONYMOUS_OPERATION_INVALID: list[tuple[str, list[Expected]]] = [
    (
        "{ fieldA } { fieldB }",
        [
            ("This anonymous operation must be the only defined operation.", [(1, 1)]),
            ("This anonymous operation must be the only defined operation.", [(1, 12)]),
        ],
    ),
    (
        "{ fieldA } mutation Foo { fieldB }",
        [("This anonymous operation must be the only defined operation.", [(1, 1)])],
    ),
    (
        "{ fieldA } subscription Foo { fieldB }",
        [("This anonymous operation must be the only defined operation.", [(1, 1)])],
    ),
]


@pytest.mark.parametrize("query", LONE_ANONYMOUS_OPERATION_VALID)
def test_lone_anonymous_operation_rule_accepts(query: str) -> None:
    expect_valid(LoneAnonymousOperationRule, query)


@pytest.mark.parametrize(("query", "expected"), LONE_ANONYMOUS_OPERATION_INVALID)
def test_lone_anonymous_operation_rule_rejects(query: str, expected: list[Expected]) -> None:
    expect_errors(LoneAnonymousOperationRule, query, expected)


UNIQUE_FRAGMENT_NAMES_VALID = [
    "{ field }",
    "{ ...fragA } fragment fragA on Type { field }",
    "{ ...fragA ...fragB } fragment fragA on Type { fieldA } fragment fragB on Type { fieldB }",
    "{ ...on Type { fieldA } ...on Type { fieldB } }",
    "query Foo { ...Foo } fragment Foo on Type { field }",
]

UNIQUE_FRAGMENT_NAMES_INVALID: list[tuple[str, list[Expected]]] = [
    (
        "{ ...fragA } fragment fragA on Type { fieldA } fragment fragA on Type { fieldB }",
        [('There can be only one fragment named "fragA".', [(1, 23), (1, 57)])],
    ),
    (
        "fragment fragA on Type { fieldA } fragment fragA on Type { fieldB } fragment fragA on Type { c }",
        [
            ('There can be only one fragment named "fragA".', [(1, 10), (1, 44)]),
            ('There can be only one fragment named "fragA".', [(1, 10), (1, 78)]),
        ],
    ),
]


@pytest.mark.parametrize("query", UNIQUE_FRAGMENT_NAMES_VALID)
def test_unique_fragment_names_rule_accepts(query: str) -> None:
    expect_valid(UniqueFragmentNamesRule, query)


@pytest.mark.parametrize(("query", "expected"), UNIQUE_FRAGMENT_NAMES_INVALID)
def test_unique_fragment_names_rule_rejects(query: str, expected: list[Expected]) -> None:
    expect_errors(UniqueFragmentNamesRule, query, expected)


KNOWN_FRAGMENT_NAMES_VALID = [
    "{ human(id: 4) { ...HumanFields1 ... on Human { ...HumanFields2 } ... { name } } } fragment HumanFields1 on Human { name ...HumanFields3 } fragment HumanFields2 on Human { name } fragment HumanFields3 on Human { name }",
]

KNOWN_FRAGMENT_NAMES_INVALID: list[tuple[str, list[Expected]]] = [
    (
        "{ human(id: 4) { ...UnknownFragment1 ... on Human { ...UnknownFragment2 } } } fragment HumanFields on Human { name ...UnknownFragment3 }",
        [
            ('Unknown fragment "UnknownFragment1".', [(1, 21)]),
            ('Unknown fragment "UnknownFragment2".', [(1, 56)]),
            ('Unknown fragment "UnknownFragment3".', [(1, 119)]),
        ],
    ),
]


@pytest.mark.parametrize("query", KNOWN_FRAGMENT_NAMES_VALID)
def test_known_fragment_names_rule_accepts(query: str) -> None:
    expect_valid(KnownFragmentNamesRule, query)


@pytest.mark.parametrize(("query", "expected"), KNOWN_FRAGMENT_NAMES_INVALID)
def test_known_fragment_names_rule_rejects(query: str, expected: list[Expected]) -> None:
    expect_errors(KnownFragmentNamesRule, query, expected)


NO_UNUSED_FRAGMENTS_VALID = [
    "{ human(id: 4) { ...HumanFields1 ... on Human { ...HumanFields2 } } } fragment HumanFields1 on Human { name ...HumanFields3 } fragment HumanFields2 on Human { name } fragment HumanFields3 on Human { name }",
    "query Foo { human(id: 4) { ...HumanFields1 } } query Bar { human(id: 4) { ...HumanFields2 } } fragment HumanFields1 on Human { name ...HumanFields3 } fragment HumanFields2 on Human { name } fragment HumanFields3 on Human { name }",
]

NO_UNUSED_FRAGMENTS_INVALID: list[tuple[str, list[Expected]]] = [
    (
        "query Foo { human(id: 4) { ...HumanFields1 } } fragment HumanFields1 on Human { name ...HumanFields3 } fragment HumanFields2 on Human { name } fragment HumanFields3 on Human { name } fragment Unused1 on Human { name } fragment Unused2 on Human { name }",
        [
            ('Fragment "HumanFields2" is never used.', [(1, 104)]),
            ('Fragment "Unused1" is never used.', [(1, 184)]),
            ('Fragment "Unused2" is never used.', [(1, 219)]),
        ],
    ),
    (
        "query Foo { human(id: 4) { ...bar } } fragment foo on Human { name }",
        [('Fragment "foo" is never used.', [(1, 39)])],
    ),
    ("fragment foo on Human { name }", [('Fragment "foo" is never used.', [(1, 1)])]),
    (
        "query Foo { human(id: 4) { ...HumanFields1 } } fragment HumanFields1 on Human { name ...HumanFields3 } fragment HumanFields3 on Human { name } fragment Unused1 on Human { name ...Unused2 } fragment Unused2 on Human { name ...Unused1 }",
        [
            ('Fragment "Unused1" is never used.', [(1, 144)]),
            ('Fragment "Unused2" is never used.', [(1, 190)]),
        ],
    ),
]


@pytest.mark.parametrize("query", NO_UNUSED_FRAGMENTS_VALID)
def test_no_unused_fragments_rule_accepts(query: str) -> None:
    expect_valid(NoUnusedFragmentsRule, query)


@pytest.mark.parametrize(("query", "expected"), NO_UNUSED_FRAGMENTS_INVALID)
def test_no_unused_fragments_rule_rejects(query: str, expected: list[Expected]) -> None:
    expect_errors(NoUnusedFragmentsRule, query, expected)


NO_FRAGMENT_CYCLES_VALID = [
    "fragment fragA on Dog { ...fragB } fragment fragB on Dog { name }",
    "fragment fragA on Dog { ...fragB ...fragB }  fragment fragB on Dog { name }",
    "fragment fragA on Dog { ...fragB ...fragC } fragment fragB on Dog { ...fragC } fragment fragC on Dog { name }",
    "fragment nameFragment on Pet { ... on Dog { name } ... on Cat { name } } fragment spreadsInAnon on Pet { ... on Dog { ...nameFragment } ... on Cat { ...nameFragment } }",
    "fragment nameFragment on Pet { ...UnknownFragment }",
]

NO_FRAGMENT_CYCLES_INVALID: list[tuple[str, list[Expected]]] = [
    (
        "fragment fragA on Human { relatives { ...fragA } }",
        [('Cannot spread fragment "fragA" within itself.', [(1, 39)])],
    ),
    (
        "fragment fragA on Dog { ...fragA }",
        [('Cannot spread fragment "fragA" within itself.', [(1, 25)])],
    ),
    (
        "fragment fragA on Pet { ... on Dog { ...fragA } }",
        [('Cannot spread fragment "fragA" within itself.', [(1, 38)])],
    ),
    (
        "fragment fragA on Dog { ...fragB } fragment fragB on Dog { ...fragA }",
        [('Cannot spread fragment "fragA" within itself via "fragB".', [(1, 25), (1, 60)])],
    ),
    (
        "fragment fragB on Dog { ...fragA } fragment fragA on Dog { ...fragB }",
        [('Cannot spread fragment "fragB" within itself via "fragA".', [(1, 25), (1, 60)])],
    ),
    (
        "fragment fragA on Pet { ... on Dog { ...fragB } } fragment fragB on Pet { ... on Dog { ...fragA } }",
        [('Cannot spread fragment "fragA" within itself via "fragB".', [(1, 38), (1, 88)])],
    ),
    (
        "fragment fragA on Dog { ...fragB } fragment fragB on Dog { ...fragC } fragment fragC on Dog { ...fragO } fragment fragX on Dog { ...fragY } fragment fragY on Dog { ...fragZ } fragment fragZ on Dog { ...fragO } fragment fragO on Dog { ...fragP } fragment fragP on Dog { ...fragA ...fragX }",
        [
            (
                'Cannot spread fragment "fragA" within itself via "fragB", "fragC", "fragO", "fragP".',
                [(1, 25), (1, 60), (1, 95), (1, 235), (1, 270)],
            ),
            (
                'Cannot spread fragment "fragO" within itself via "fragP", "fragX", "fragY", "fragZ".',
                [(1, 235), (1, 279), (1, 130), (1, 165), (1, 200)],
            ),
        ],
    ),
    (
        "fragment fragA on Dog { ...fragB ...fragC } fragment fragB on Dog { ...fragA } fragment fragC on Dog { ...fragA }",
        [
            ('Cannot spread fragment "fragA" within itself via "fragB".', [(1, 25), (1, 69)]),
            ('Cannot spread fragment "fragA" within itself via "fragC".', [(1, 34), (1, 104)]),
        ],
    ),
    (
        "fragment fragA on Dog { ...fragC } fragment fragB on Dog { ...fragC } fragment fragC on Dog { ...fragA ...fragB }",
        [
            ('Cannot spread fragment "fragA" within itself via "fragC".', [(1, 25), (1, 95)]),
            ('Cannot spread fragment "fragC" within itself via "fragB".', [(1, 104), (1, 60)]),
        ],
    ),
    (
        "fragment fragA on Dog { ...fragB } fragment fragB on Dog { ...fragB ...fragC } fragment fragC on Dog { ...fragA ...fragB }",
        [
            ('Cannot spread fragment "fragB" within itself.', [(1, 60)]),
            (
                'Cannot spread fragment "fragA" within itself via "fragB", "fragC".',
                [(1, 25), (1, 69), (1, 104)],
            ),
            ('Cannot spread fragment "fragB" within itself via "fragC".', [(1, 69), (1, 113)]),
        ],
    ),
    (
        "fragment fragA on Dog { ... { a { ...fragB } } b { ...fragA } } fragment fragB on Dog { ...fragA }",
        [
            ('Cannot spread fragment "fragA" within itself.', [(1, 52)]),
            ('Cannot spread fragment "fragA" within itself via "fragB".', [(1, 35), (1, 89)]),
        ],
    ),
    (
        "{ dog { ...fragA } } fragment fragA on Dog { ...fragA }",
        [('Cannot spread fragment "fragA" within itself.', [(1, 46)])],
    ),
]


@pytest.mark.parametrize("query", NO_FRAGMENT_CYCLES_VALID)
def test_no_fragment_cycles_rule_accepts(query: str) -> None:
    expect_valid(NoFragmentCyclesRule, query)


@pytest.mark.parametrize(("query", "expected"), NO_FRAGMENT_CYCLES_INVALID)
def test_no_fragment_cycles_rule_rejects(query: str, expected: list[Expected]) -> None:
    expect_errors(NoFragmentCyclesRule, query, expected)


UNIQUE_VARIABLE_NAMES_VALID = [
    "query A($x: Int, $y: String) { __typename } query B($x: String, $y: Int) { __typename }",
    "fragment F on Dog { name }",
]

UNIQUE_VARIABLE_NAMES_INVALID: list[tuple[str, list[Expected]]] = [
    (
        "query A($x: Int, $x: Int, $x: String) { __typename } query B($x: String, $x: Int) { __typename } query C($x: Int, $x: Int) { __typename }",
        [
            ('There can be only one variable named "$x".', [(1, 10), (1, 19), (1, 28)]),
            ('There can be only one variable named "$x".', [(1, 63), (1, 75)]),
            ('There can be only one variable named "$x".', [(1, 107), (1, 116)]),
        ],
    ),
]


@pytest.mark.parametrize("query", UNIQUE_VARIABLE_NAMES_VALID)
def test_unique_variable_names_rule_accepts(query: str) -> None:
    expect_valid(UniqueVariableNamesRule, query)


@pytest.mark.parametrize(("query", "expected"), UNIQUE_VARIABLE_NAMES_INVALID)
def test_unique_variable_names_rule_rejects(query: str, expected: list[Expected]) -> None:
    expect_errors(UniqueVariableNamesRule, query, expected)


NO_UNDEFINED_VARIABLES_VALID = [
    "query Foo($a: String, $b: String, $c: String) { field(a: $a, b: $b, c: $c) }",
    "query Foo($a: String, $b: String, $c: String) { field1(a: $a) { field2(b: $b) { field3(c: $c) } } }",
    "query Foo($a: String, $b: String, $c: String) { ...FragA } fragment FragA on Type { field(a: $a) { ...FragB } } fragment FragB on Type { field(b: $b) { ...FragC } } fragment FragC on Type { field(c: $c) }",
    "query Foo($a: String, $b: String) { ...FragA } fragment FragA on Type { field(a: $a) { ...FragB } } fragment FragB on Type { field(b: $b) { ...FragA } }",
]

NO_UNDEFINED_VARIABLES_INVALID: list[tuple[str, list[Expected]]] = [
    (
        "query Foo($a: String) { field(a: $a) @include(if: $b) }",
        [('Variable "$b" is not defined by operation "Foo".', [(1, 51), (1, 1)])],
    ),
    (
        "query Foo($a: String, $b: String, $c: String) { field(a: $a, b: $b, c: $c, d: $d) }",
        [('Variable "$d" is not defined by operation "Foo".', [(1, 79), (1, 1)])],
    ),
    ("{ field(a: $a) }", [('Variable "$a" is not defined.', [(1, 12), (1, 1)])]),
    (
        "query Foo($b: String) { field(a: $a, b: $b, c: $c) }",
        [
            ('Variable "$a" is not defined by operation "Foo".', [(1, 34), (1, 1)]),
            ('Variable "$c" is not defined by operation "Foo".', [(1, 48), (1, 1)]),
        ],
    ),
    (
        "query Foo($a: String) { ...FragA } fragment FragA on Type { field(a: $a) { ...FragB } } fragment FragB on Type { field(b: $b) { ...FragC } } fragment FragC on Type { field(c: $c) }",
        [
            ('Variable "$b" is not defined by operation "Foo".', [(1, 123), (1, 1)]),
            ('Variable "$c" is not defined by operation "Foo".', [(1, 176), (1, 1)]),
        ],
    ),
    (
        "query Foo($b: String) { ...FragAB } query Bar($a: String) { ...FragAB } fragment FragAB on Type { field1(a: $a, b: $b) ...FragC field3(a: $a, b: $b) } fragment FragC on Type { field2(c: $c) }",
        [
            ('Variable "$a" is not defined by operation "Foo".', [(1, 109), (1, 1)]),
            ('Variable "$a" is not defined by operation "Foo".', [(1, 139), (1, 1)]),
            ('Variable "$c" is not defined by operation "Foo".', [(1, 187), (1, 1)]),
            ('Variable "$b" is not defined by operation "Bar".', [(1, 116), (1, 37)]),
            ('Variable "$b" is not defined by operation "Bar".', [(1, 146), (1, 37)]),
            ('Variable "$c" is not defined by operation "Bar".', [(1, 187), (1, 37)]),
        ],
    ),
    (
        "query Foo($a: String) { field(a: $a, list: [$b, {x: $c}], obj: {y: $d}) @skip(if: $e) }",
        [
            ('Variable "$b" is not defined by operation "Foo".', [(1, 45), (1, 1)]),
            ('Variable "$c" is not defined by operation "Foo".', [(1, 53), (1, 1)]),
            ('Variable "$d" is not defined by operation "Foo".', [(1, 68), (1, 1)]),
            ('Variable "$e" is not defined by operation "Foo".', [(1, 83), (1, 1)]),
        ],
    ),
]


@pytest.mark.parametrize("query", NO_UNDEFINED_VARIABLES_VALID)
def test_no_undefined_variables_rule_accepts(query: str) -> None:
    expect_valid(NoUndefinedVariablesRule, query)


@pytest.mark.parametrize(("query", "expected"), NO_UNDEFINED_VARIABLES_INVALID)
def test_no_undefined_variables_rule_rejects(query: str, expected: list[Expected]) -> None:
    expect_errors(NoUndefinedVariablesRule, query, expected)


NO_UNUSED_VARIABLES_VALID = [
    "query ($a: String, $b: String, $c: String) { field(a: $a, b: $b, c: $c) }",
    "query Foo($a: String, $b: String, $c: String) { ...FragA } fragment FragA on Type { field(a: $a) { ...FragB } } fragment FragB on Type { field(b: $b) { ...FragC } } fragment FragC on Type { field(c: $c) }",
    "query Foo($a: [String], $b: ComplexInput) { field(list: [1, $a], obj: {x: {y: $b}}) }",
]

NO_UNUSED_VARIABLES_INVALID: list[tuple[str, list[Expected]]] = [
    (
        "query ($a: String, $b: String, $c: String) { field(a: $a, b: $b) }",
        [('Variable "$c" is never used.', [(1, 32)])],
    ),
    (
        "query Foo($a: String, $b: String, $c: String) { field(b: $b) }",
        [
            ('Variable "$a" is never used in operation "Foo".', [(1, 11)]),
            ('Variable "$c" is never used in operation "Foo".', [(1, 35)]),
        ],
    ),
    (
        "query Foo($a: String, $b: String) { ...FragA } query Bar($b: String) { ...FragB } fragment FragA on Type { field(a: $a) } fragment FragB on Type { field(b: $b) }",
        [('Variable "$b" is never used in operation "Foo".', [(1, 23)])],
    ),
    (
        "query Foo($a: String, $b: String, $c: String) { ...FragA } fragment FragA on Type { field(a: $a) { ...FragB } } fragment FragB on Type { field(b: $b) { ...FragC } } fragment FragC on Type { field }",
        [('Variable "$c" is never used in operation "Foo".', [(1, 35)])],
    ),
]


@pytest.mark.parametrize("query", NO_UNUSED_VARIABLES_VALID)
def test_no_unused_variables_rule_accepts(query: str) -> None:
    expect_valid(NoUnusedVariablesRule, query)


@pytest.mark.parametrize(("query", "expected"), NO_UNUSED_VARIABLES_INVALID)
def test_no_unused_variables_rule_rejects(query: str, expected: list[Expected]) -> None:
    expect_errors(NoUnusedVariablesRule, query, expected)


UNIQUE_ARGUMENT_NAMES_VALID = [
    "{ field }",
    "{ field @directive }",
    '{ field(arg: "value") }',
    '{ field @directive(arg: "value") }',
    '{ one: field(arg: "value") two: field(arg: "value") }',
    '{ field(arg: "value") @directive(arg: "value") }',
    '{ field @directive1(arg: "value") @directive2(arg: "value") }',
    '{ field(arg1: "value", arg2: "value", arg3: "value") }',
]

UNIQUE_ARGUMENT_NAMES_INVALID: list[tuple[str, list[Expected]]] = [
    (
        '{ field(arg1: "value", arg1: "value") }',
        [('There can be only one argument named "arg1".', [(1, 9), (1, 24)])],
    ),
    (
        '{ field(arg1: "value", arg1: "value", arg1: "value") }',
        [('There can be only one argument named "arg1".', [(1, 9), (1, 24), (1, 39)])],
    ),
    (
        '{ field @directive(arg1: "value", arg1: "value") }',
        [('There can be only one argument named "arg1".', [(1, 20), (1, 35)])],
    ),
    (
        '{ field @directive(arg1: "value", arg1: "value", arg1: "value", arg2: 1, arg2: 2) }',
        [
            ('There can be only one argument named "arg1".', [(1, 20), (1, 35), (1, 50)]),
            ('There can be only one argument named "arg2".', [(1, 65), (1, 74)]),
        ],
    ),
]


@pytest.mark.parametrize("query", UNIQUE_ARGUMENT_NAMES_VALID)
def test_unique_argument_names_rule_accepts(query: str) -> None:
    expect_valid(UniqueArgumentNamesRule, query)


@pytest.mark.parametrize(("query", "expected"), UNIQUE_ARGUMENT_NAMES_INVALID)
def test_unique_argument_names_rule_rejects(query: str, expected: list[Expected]) -> None:
    expect_errors(UniqueArgumentNamesRule, query, expected)


UNIQUE_INPUT_FIELD_NAMES_VALID = [
    "{ field(arg: { f: true }) }",
    "{ field(arg1: { f: true }, arg2: { f: true }) }",
    '{ field(arg: { f1: "value", f2: "value", f3: "value" }) }',
    "{ field(arg: { deep: { deep: { id: 1 } id: 1 } id: 1 }) }",
]

UNIQUE_INPUT_FIELD_NAMES_INVALID: list[tuple[str, list[Expected]]] = [
    (
        '{ field(arg: { f1: "value", f1: "value" }) }',
        [('There can be only one input field named "f1".', [(1, 16), (1, 29)])],
    ),
    (
        '{ field(arg: { f1: "value", f1: "value", f1: "value" }) }',
        [
            ('There can be only one input field named "f1".', [(1, 16), (1, 29)]),
            ('There can be only one input field named "f1".', [(1, 16), (1, 42)]),
        ],
    ),
    (
        '{ field(arg: { f1: {f2: "value", f2: "value" }}) }',
        [('There can be only one input field named "f2".', [(1, 21), (1, 34)])],
    ),
    (
        "{ field(arg: { a: {x: 1, x: 2}, a: [{y: 1, y: 2}] }) }",
        [
            ('There can be only one input field named "x".', [(1, 20), (1, 26)]),
            ('There can be only one input field named "a".', [(1, 16), (1, 33)]),
            ('There can be only one input field named "y".', [(1, 38), (1, 44)]),
        ],
    ),
]


@pytest.mark.parametrize("query", UNIQUE_INPUT_FIELD_NAMES_VALID)
def test_unique_input_field_names_rule_accepts(query: str) -> None:
    expect_valid(UniqueInputFieldNamesRule, query)


@pytest.mark.parametrize(("query", "expected"), UNIQUE_INPUT_FIELD_NAMES_INVALID)
def test_unique_input_field_names_rule_rejects(query: str, expected: list[Expected]) -> None:
    expect_errors(UniqueInputFieldNamesRule, query, expected)
