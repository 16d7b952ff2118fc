"""Validation rules on directives, arguments, values and variable usages: valid and invalid cases for each, checked against graphql-core."""

# ruff: noqa: E501

from __future__ import annotations

import pytest
from tests.wire.graphql.validation_harness import TEST_SDL, Expected, expect_errors, expect_valid

from wire.graphql._rules_arguments import (
    KnownArgumentNamesRule,
    KnownDirectivesRule,
    ProvidedRequiredArgumentsRule,
    UniqueDirectivesPerLocationRule,
    ValuesOfCorrectTypeRule,
    VariablesInAllowedPositionRule,
)

DIRECTIVES_SDL = (
    TEST_SDL
    + """
directive @onQuery on QUERY
directive @onMutation on MUTATION
directive @onSubscription on SUBSCRIPTION
directive @onFragmentDefinition on FRAGMENT_DEFINITION
directive @onFragmentSpread on FRAGMENT_SPREAD
directive @onInlineFragment on INLINE_FRAGMENT
directive @onVariableDefinition on VARIABLE_DEFINITION
directive @repeatable repeatable on FIELD | FRAGMENT_DEFINITION
directive @directiveA on FIELD | FRAGMENT_DEFINITION
directive @directiveB on FIELD | FRAGMENT_DEFINITION
directive @withArgs(first: Int, second: String!, third: ComplexInput, fourth: [Int!]! = [1]) on FIELD | QUERY
"""
)


KNOWN_DIRECTIVES_VALID = [
    "query Foo { name ...Frag }",
    "{ dog @include(if: true) { name } human @skip(if: false) { name } }",
    "query Foo($var: Boolean @onVariableDefinition) @onQuery { name @include(if: $var) ...Frag @include(if: true) skippedField @skip(if: true) ...SkippedFrag @skip(if: true) ... @skip(if: true) { skippedField } } mutation Bar @onMutation { someField } subscription S @onSubscription { f } fragment Frag on Human @onFragmentDefinition { name ...F @onFragmentSpread ... @onInlineFragment { a } }",
    "directive @custom on FIELD { a @custom b @custom }",
]

KNOWN_DIRECTIVES_INVALID: list[tuple[str, list[Expected]]] = [
    (
        '{ dog @unknown(directive: "value") { name } }',
        [('Unknown directive "@unknown".', [(1, 7)])],
    ),
    (
        '{ dog @unknown(directive: "value") { name } human @unknown(directive: "value") { name pets @unknown(directive: "value") { name } } }',
        [
            ('Unknown directive "@unknown".', [(1, 7)]),
            ('Unknown directive "@unknown".', [(1, 51)]),
            ('Unknown directive "@unknown".', [(1, 92)]),
        ],
    ),
    (
        "query Foo($var: Boolean @onQuery) @onMutation { name @onQuery @include(if: $var) ...Frag @onQuery } mutation Bar @onQuery { someField } subscription S @onQuery { f } fragment F on Dog @onQuery { name ... @onQuery { x } }",
        [
            ('Directive "@onQuery" may not be used on VARIABLE_DEFINITION.', [(1, 25)]),
            ('Directive "@onMutation" may not be used on QUERY.', [(1, 35)]),
            ('Directive "@onQuery" may not be used on FIELD.', [(1, 54)]),
            ('Directive "@onQuery" may not be used on FRAGMENT_SPREAD.', [(1, 90)]),
            ('Directive "@onQuery" may not be used on MUTATION.', [(1, 114)]),
            ('Directive "@onQuery" may not be used on SUBSCRIPTION.', [(1, 152)]),
            ('Directive "@onQuery" may not be used on FRAGMENT_DEFINITION.', [(1, 185)]),
            ('Directive "@onQuery" may not be used on INLINE_FRAGMENT.', [(1, 205)]),
        ],
    ),
    (
        "query Q($a: Int @onVariableDefinition @onQuery @unknown) @onQuery @onSubscription { a }",
        [
            ('Directive "@onQuery" may not be used on VARIABLE_DEFINITION.', [(1, 39)]),
            ('Unknown directive "@unknown".', [(1, 48)]),
            ('Directive "@onSubscription" may not be used on QUERY.', [(1, 67)]),
        ],
    ),
    (
        'type Query @onQuery { f(a: Int @onQuery): String @onQuery } input I @onQuery { a: Int @onQuery } enum E @onQuery { A @onQuery } scalar S @specifiedBy(url: "u") @onQuery union U @onQuery = Query interface X @onQuery { a: Int } schema @onQuery { query: Query } extend schema @onQuery directive @d(a: Int @onQuery) on FIELD extend type Query @deprecated extend input I @onField',
        [
            ('Directive "@onQuery" may not be used on OBJECT.', [(1, 12)]),
            ('Directive "@onQuery" may not be used on ARGUMENT_DEFINITION.', [(1, 32)]),
            ('Directive "@onQuery" may not be used on FIELD_DEFINITION.', [(1, 50)]),
            ('Directive "@onQuery" may not be used on INPUT_OBJECT.', [(1, 69)]),
            ('Directive "@onQuery" may not be used on INPUT_FIELD_DEFINITION.', [(1, 87)]),
            ('Directive "@onQuery" may not be used on ENUM.', [(1, 105)]),
            ('Directive "@onQuery" may not be used on ENUM_VALUE.', [(1, 118)]),
            ('Directive "@onQuery" may not be used on SCALAR.', [(1, 161)]),
            ('Directive "@onQuery" may not be used on UNION.', [(1, 178)]),
            ('Directive "@onQuery" may not be used on INTERFACE.', [(1, 207)]),
            ('Directive "@onQuery" may not be used on SCHEMA.', [(1, 234)]),
            ('Directive "@onQuery" may not be used on SCHEMA.', [(1, 274)]),
            ('Directive "@onQuery" may not be used on ARGUMENT_DEFINITION.', [(1, 303)]),
            ('Directive "@deprecated" may not be used on OBJECT.', [(1, 340)]),
            ('Directive "@onField" may not be used on INPUT_OBJECT.', [(1, 367)]),
        ],
    ),
]


@pytest.mark.parametrize("query", KNOWN_DIRECTIVES_VALID)
def test_known_directives_rule_accepts(query: str) -> None:
    expect_valid(KnownDirectivesRule, query, sdl=DIRECTIVES_SDL)


@pytest.mark.parametrize(("query", "expected"), KNOWN_DIRECTIVES_INVALID)
def test_known_directives_rule_rejects(query: str, expected: list[Expected]) -> None:
    expect_errors(KnownDirectivesRule, query, expected, sdl=DIRECTIVES_SDL, ordered=False)


UNIQUE_DIRECTIVES_PER_LOCATION_VALID = [
    "fragment Test on Type { field }",
    "fragment Test on Type { field @directiveA }",
    "fragment Test on Type { field @directiveA @directiveB }",
    "fragment Test on Type { field @directiveA field @directiveA }",
    "fragment Test on Type @directiveA { field @directiveA }",
    "fragment Test on Type @directiveA @directiveB { field @directiveA @directiveB }",
    "fragment Test on Type @repeatable @repeatable { field @repeatable @repeatable }",
    "directive @unknown repeatable on FIELD { a @unknown @unknown @notDefined @notDefined }",
]

UNIQUE_DIRECTIVES_PER_LOCATION_INVALID: list[tuple[str, list[Expected]]] = [
    (
        "fragment Test on Type { field @directiveA @directiveA }",
        [
            (
                'The directive "@directiveA" can only be used once at this location.',
                [(1, 31), (1, 43)],
            )
        ],
    ),
    (
        "fragment Test on Type { field @directiveA @directiveA @directiveA }",
        [
            (
                'The directive "@directiveA" can only be used once at this location.',
                [(1, 31), (1, 43)],
            ),
            (
                'The directive "@directiveA" can only be used once at this location.',
                [(1, 31), (1, 55)],
            ),
        ],
    ),
    (
        "fragment Test on Type { field @directiveA @directiveB @directiveA @directiveB }",
        [
            (
                'The directive "@directiveA" can only be used once at this location.',
                [(1, 31), (1, 55)],
            ),
            (
                'The directive "@directiveB" can only be used once at this location.',
                [(1, 43), (1, 67)],
            ),
        ],
    ),
    (
        "fragment Test on Type @directiveA @directiveA { field @directiveA @directiveA }",
        [
            (
                'The directive "@directiveA" can only be used once at this location.',
                [(1, 23), (1, 35)],
            ),
            (
                'The directive "@directiveA" can only be used once at this location.',
                [(1, 55), (1, 67)],
            ),
        ],
    ),
    (
        "query ($a: Int @onVariableDefinition @onVariableDefinition) @onQuery @onQuery { a }",
        [
            (
                'The directive "@onVariableDefinition" can only be used once at this location.',
                [(1, 16), (1, 38)],
            ),
            (
                'The directive "@onQuery" can only be used once at this location.',
                [(1, 61), (1, 70)],
            ),
        ],
    ),
    (
        "directive @nonRepeatable on SCHEMA | OBJECT | SCALAR | DIRECTIVE_DEFINITION | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION schema @nonRepeatable { query: Dummy } extend schema @nonRepeatable scalar TestScalar @nonRepeatable extend scalar TestScalar @nonRepeatable type TestObject @nonRepeatable extend type TestObject @nonRepeatable input I { a: Int @nonRepeatable @nonRepeatable } type T { f(x: Int @nonRepeatable @nonRepeatable): Int }",
        [
            (
                'The directive "@nonRepeatable" can only be used once at this location.',
                [(1, 131), (1, 177)],
            ),
            (
                'The directive "@nonRepeatable" can only be used once at this location.',
                [(1, 210), (1, 250)],
            ),
            (
                'The directive "@nonRepeatable" can only be used once at this location.',
                [(1, 281), (1, 319)],
            ),
            (
                'The directive "@nonRepeatable" can only be used once at this location.',
                [(1, 351), (1, 366)],
            ),
            (
                'The directive "@nonRepeatable" can only be used once at this location.',
                [(1, 401), (1, 416)],
            ),
        ],
    ),
    (
        "directive @nonRepeatable on DIRECTIVE_DEFINITION directive @x @nonRepeatable @nonRepeatable on FIELD extend directive @x @nonRepeatable",
        [
            (
                'The directive "@nonRepeatable" can only be used once at this location.',
                [(1, 63), (1, 78)],
            ),
            (
                'The directive "@nonRepeatable" can only be used once at this location.',
                [(1, 63), (1, 122)],
            ),
        ],
    ),
]


@pytest.mark.parametrize("query", UNIQUE_DIRECTIVES_PER_LOCATION_VALID)
def test_unique_directives_per_location_rule_accepts(query: str) -> None:
    expect_valid(UniqueDirectivesPerLocationRule, query, sdl=DIRECTIVES_SDL)


@pytest.mark.parametrize(("query", "expected"), UNIQUE_DIRECTIVES_PER_LOCATION_INVALID)
def test_unique_directives_per_location_rule_rejects(query: str, expected: list[Expected]) -> None:
    expect_errors(
        UniqueDirectivesPerLocationRule, query, expected, sdl=DIRECTIVES_SDL, ordered=False
    )


KNOWN_ARGUMENT_NAMES_VALID = [
    "fragment argOnRequiredArg on Dog { doesKnowCommand(dogCommand: SIT) }",
    "fragment multipleArgs on ComplicatedArgs { multipleReqs(req1: 1, req2: 2) }",
    "fragment argOnUnknownField on Dog { unknownField(unknownArg: SIT) }",
    "fragment multipleArgsReverseOrder on ComplicatedArgs { multipleReqs(req2: 2, req1: 1) }",
    "fragment noArgOnOptionalArg on Dog { isHouseTrained }",
    "fragment argOnUnknownTypeField on Unknown { f(x: 1) }",
    "{ dog { isHouseTrained(atOtherHomes: true) } human { pets { name(surname: true) } } }",
    "{ dog @skip(if: true) { name } }",
    "{ dog @unknown(if: true) { name } }",
]

KNOWN_ARGUMENT_NAMES_INVALID: list[tuple[str, list[Expected]]] = [
    (
        "{ dog @skip(unless: true) { name } }",
        [('Unknown argument "unless" on directive "@skip".', [(1, 13)])],
    ),
    (
        "{ dog @onField(if: true) { name } }",
        [('Unknown argument "if" on directive "@onField".', [(1, 16)])],
    ),
    (
        "{ dog @skip(iff: true) { name } }",
        [('Unknown argument "iff" on directive "@skip". Did you mean "if"?', [(1, 13)])],
    ),
    (
        "fragment invalidArgName on Dog { doesKnowCommand(unknown: true) }",
        [('Unknown argument "unknown" on field "Dog.doesKnowCommand".', [(1, 50)])],
    ),
    (
        "fragment oneGoodArgOneInvalidArg on Dog { doesKnowCommand(whoKnows: 1, dogCommand: SIT, unknown: true) }",
        [
            ('Unknown argument "whoKnows" on field "Dog.doesKnowCommand".', [(1, 59)]),
            ('Unknown argument "unknown" on field "Dog.doesKnowCommand".', [(1, 89)]),
        ],
    ),
    (
        "fragment invalidArgName on Dog { doesKnowCommand(DogCommand: true) }",
        [
            (
                'Unknown argument "DogCommand" on field "Dog.doesKnowCommand". Did you mean "dogCommand"?',
                [(1, 50)],
            )
        ],
    ),
    (
        "fragment invalidArgName on Dog { doesKnowCommand(dogcommand: true) }",
        [
            (
                'Unknown argument "dogcommand" on field "Dog.doesKnowCommand". Did you mean "dogCommand"?',
                [(1, 50)],
            )
        ],
    ),
    (
        "{ dog { doesKnowCommand(unknown: true) { x } } human { pets { name(surnam: true) ... on Dog { name(sur: 1) } } } }",
        [
            ('Unknown argument "unknown" on field "Dog.doesKnowCommand".', [(1, 25)]),
            ('Unknown argument "surnam" on field "Pet.name". Did you mean "surname"?', [(1, 68)]),
            ('Unknown argument "sur" on field "Dog.name".', [(1, 100)]),
        ],
    ),
    (
        '{ __type(name: "Dog", other: 1) { name } }',
        [('Unknown argument "other" on field "QueryRoot.__type".', [(1, 23)])],
    ),
    (
        '{ dog @include(if: true, extra: 1) { name @deprecated(reason: "x") } }',
        [('Unknown argument "extra" on directive "@include".', [(1, 26)])],
    ),
    (
        "directive @d(arg: Int) on FIELD { a @d(arg: 1, argg: 2) }",
        [('Unknown argument "argg" on directive "@d". Did you mean "arg"?', [(1, 48)])],
    ),
]


@pytest.mark.parametrize("query", KNOWN_ARGUMENT_NAMES_VALID)
def test_known_argument_names_rule_accepts(query: str) -> None:
    expect_valid(KnownArgumentNamesRule, query)


@pytest.mark.parametrize(("query", "expected"), KNOWN_ARGUMENT_NAMES_INVALID)
def test_known_argument_names_rule_rejects(query: str, expected: list[Expected]) -> None:
    expect_errors(KnownArgumentNamesRule, query, expected)


PROVIDED_REQUIRED_ARGUMENTS_VALID = [
    "{ dog { isHouseTrained(unknownArgument: true) } }",
    "{ dog { isHouseTrained(atOtherHomes: true) } }",
    "{ dog { isHouseTrained } }",
    "{ complicatedArgs { multipleOpts } }",
    "{ complicatedArgs { multipleReqs(req1: 1, req2: 2) } }",
    "{ complicatedArgs { multipleReqs(req2: 2, req1: 1) } }",
    "{ complicatedArgs { multipleOptAndReq(req1: 1, req2: 2, opt1: 3, opt2: 4) } }",
    "{ complicatedArgs { nonNullFieldWithDefault } }",
    "{ dog @unknown { name @include(if: true) @skip(if: false) } }",
    "{ unknown { f } dog { unknown(a: 1) } }",
]

PROVIDED_REQUIRED_ARGUMENTS_INVALID: list[tuple[str, list[Expected]]] = [
    (
        "{ complicatedArgs { multipleReqs(req2: 2) } }",
        [
            (
                'Argument "ComplicatedArgs.multipleReqs(req1:)" of type "Int!" is required, but it was not provided.',
                [(1, 21)],
            )
        ],
    ),
    (
        "{ complicatedArgs { multipleReqs } }",
        [
            (
                'Argument "ComplicatedArgs.multipleReqs(req1:)" of type "Int!" is required, but it was not provided.',
                [(1, 21)],
            ),
            (
                'Argument "ComplicatedArgs.multipleReqs(req2:)" of type "Int!" is required, but it was not provided.',
                [(1, 21)],
            ),
        ],
    ),
    (
        '{ complicatedArgs { multipleReqs(req1: "one") } }',
        [
            (
                'Argument "ComplicatedArgs.multipleReqs(req2:)" of type "Int!" is required, but it was not provided.',
                [(1, 21)],
            )
        ],
    ),
    (
        "{ dog @include { name @skip } }",
        [
            (
                'Argument "@include(if:)" of type "Boolean!" is required, but it was not provided.',
                [(1, 7)],
            ),
            (
                'Argument "@skip(if:)" of type "Boolean!" is required, but it was not provided.',
                [(1, 23)],
            ),
        ],
    ),
    (
        "{ __type { name } }",
        [
            (
                'Argument "<meta>.__type(name:)" of type "String!" is required, but it was not provided.',
                [(1, 3)],
            )
        ],
    ),
    (
        'directive @d(a: Int!, b: String! = "x", c: [Int]) on FIELD { f @d }',
        [('Argument "@d(a:)" of type "Int!" is required, but it was not provided.', [(1, 64)])],
    ),
]


@pytest.mark.parametrize("query", PROVIDED_REQUIRED_ARGUMENTS_VALID)
def test_provided_required_arguments_rule_accepts(query: str) -> None:
    expect_valid(ProvidedRequiredArgumentsRule, query)


@pytest.mark.parametrize(("query", "expected"), PROVIDED_REQUIRED_ARGUMENTS_INVALID)
def test_provided_required_arguments_rule_rejects(query: str, expected: list[Expected]) -> None:
    expect_errors(ProvidedRequiredArgumentsRule, query, expected)


VALUES_OF_CORRECT_TYPE_VALID = [
    "{ complicatedArgs { intArgField(intArg: 2) } }",
    "{ complicatedArgs { intArgField(intArg: -2) } }",
    "{ complicatedArgs { booleanArgField(booleanArg: true) } }",
    '{ complicatedArgs { stringArgField(stringArg: "foo") } }',
    "{ complicatedArgs { floatArgField(floatArg: 1.1) } }",
    "{ complicatedArgs { floatArgField(floatArg: -1.1) } }",
    "{ complicatedArgs { floatArgField(floatArg: 1) } }",
    "{ complicatedArgs { idArgField(idArg: 1) } }",
    '{ complicatedArgs { idArgField(idArg: "someIdString") } }',
    "{ dog { name(surname: true) } }",
    "{ dog { doesKnowCommand(dogCommand: SIT) } }",
    "{ complicatedArgs { enumArgField(enumArg: UNKNOWN) } }",
    "{ complicatedArgs { intArgField(intArg: null) } }",
    '{ complicatedArgs { stringListArgField(stringListArg: ["one", null, "two"]) } }',
    "{ complicatedArgs { stringListArgField(stringListArg: []) } }",
    "{ complicatedArgs { stringListArgField(stringListArg: null) } }",
    '{ complicatedArgs { stringListArgField(stringListArg: "one") } }',
    "{ dog { isHouseTrained(atOtherHomes: true) } }",
    "{ complicatedArgs { multipleReqs(req1: 1, req2: 2) } }",
    "{ complicatedArgs { complexArgField(complexArg: { requiredField: true }) } }",
    '{ complicatedArgs { complexArgField(complexArg: { requiredField: false, nonNullField: false, intField: 4, stringField: "x", booleanField: true, stringListField: ["a"] }) } }',
    '{ complicatedArgs { oneOfArgField(oneOfArg: { stringField: "abc" }) } }',
    "query ($a: String) { complicatedArgs { oneOfArgField(oneOfArg: { stringField: $a }) } }",
    "{ dog @include(if: true) { name } human @skip(if: false) { name } }",
    'query WithDefaultValues($a: Int = 1, $b: String = "ok", $c: ComplexInput = { requiredField: true, intField: 3 }, $d: Int! = 3) { dog { name } }',
    '{ unknown(a: 1) { x(b: {c: 1}) } complicatedArgs { intArgField(unknown: "s") } }',
]

VALUES_OF_CORRECT_TYPE_INVALID: list[tuple[str, list[Expected]]] = [
    (
        "{ complicatedArgs { stringArgField(stringArg: 1) } }",
        [("String cannot represent a non string value: 1", [(1, 47)])],
    ),
    (
        "{ complicatedArgs { stringArgField(stringArg: 1.0) } }",
        [("String cannot represent a non string value: 1.0", [(1, 47)])],
    ),
    (
        "{ complicatedArgs { stringArgField(stringArg: true) } }",
        [("String cannot represent a non string value: true", [(1, 47)])],
    ),
    (
        "{ complicatedArgs { stringArgField(stringArg: BAR) } }",
        [("String cannot represent a non string value: BAR", [(1, 47)])],
    ),
    (
        '{ complicatedArgs { intArgField(intArg: "3") } }',
        [('Int cannot represent non-integer value: "3"', [(1, 41)])],
    ),
    (
        "{ complicatedArgs { intArgField(intArg: 829384293849283498239482938) } }",
        [
            (
                "Int cannot represent non 32-bit signed integer value: 829384293849283498239482938",
                [(1, 41)],
            )
        ],
    ),
    (
        "{ complicatedArgs { intArgField(intArg: FOO) } }",
        [("Int cannot represent non-integer value: FOO", [(1, 41)])],
    ),
    (
        "{ complicatedArgs { intArgField(intArg: 3.0) } }",
        [("Int cannot represent non-integer value: 3.0", [(1, 41)])],
    ),
    (
        "{ complicatedArgs { intArgField(intArg: 3.333) } }",
        [("Int cannot represent non-integer value: 3.333", [(1, 41)])],
    ),
    (
        '{ complicatedArgs { floatArgField(floatArg: "3.333") } }',
        [('Float cannot represent non numeric value: "3.333"', [(1, 45)])],
    ),
    (
        "{ complicatedArgs { floatArgField(floatArg: true) } }",
        [("Float cannot represent non numeric value: true", [(1, 45)])],
    ),
    (
        "{ complicatedArgs { floatArgField(floatArg: FOO) } }",
        [("Float cannot represent non numeric value: FOO", [(1, 45)])],
    ),
    (
        "{ complicatedArgs { booleanArgField(booleanArg: 2) } }",
        [("Boolean cannot represent a non boolean value: 2", [(1, 49)])],
    ),
    (
        "{ complicatedArgs { booleanArgField(booleanArg: 1.0) } }",
        [("Boolean cannot represent a non boolean value: 1.0", [(1, 49)])],
    ),
    (
        '{ complicatedArgs { booleanArgField(booleanArg: "true") } }',
        [('Boolean cannot represent a non boolean value: "true"', [(1, 49)])],
    ),
    (
        "{ complicatedArgs { booleanArgField(booleanArg: TRUE) } }",
        [("Boolean cannot represent a non boolean value: TRUE", [(1, 49)])],
    ),
    (
        "{ complicatedArgs { idArgField(idArg: 1.0) } }",
        [("ID cannot represent a non-string and non-integer value: 1.0", [(1, 39)])],
    ),
    (
        "{ complicatedArgs { idArgField(idArg: true) } }",
        [("ID cannot represent a non-string and non-integer value: true", [(1, 39)])],
    ),
    (
        "{ complicatedArgs { idArgField(idArg: SOMETHING) } }",
        [("ID cannot represent a non-string and non-integer value: SOMETHING", [(1, 39)])],
    ),
    (
        "{ dog { doesKnowCommand(dogCommand: 2) } }",
        [('Enum "DogCommand" cannot represent non-enum value: 2.', [(1, 37)])],
    ),
    (
        "{ dog { doesKnowCommand(dogCommand: 1.0) } }",
        [('Enum "DogCommand" cannot represent non-enum value: 1.0.', [(1, 37)])],
    ),
    (
        '{ dog { doesKnowCommand(dogCommand: "SIT") } }',
        [
            (
                'Enum "DogCommand" cannot represent non-enum value: "SIT". Did you mean the enum value "SIT"?',
                [(1, 37)],
            )
        ],
    ),
    (
        "{ dog { doesKnowCommand(dogCommand: true) } }",
        [('Enum "DogCommand" cannot represent non-enum value: true.', [(1, 37)])],
    ),
    (
        "{ dog { doesKnowCommand(dogCommand: JUGGLE) } }",
        [('Value "JUGGLE" does not exist in "DogCommand" enum.', [(1, 37)])],
    ),
    (
        "{ dog { doesKnowCommand(dogCommand: sit) } }",
        [
            (
                'Value "sit" does not exist in "DogCommand" enum. Did you mean the enum value "SIT"?',
                [(1, 37)],
            )
        ],
    ),
    (
        '{ complicatedArgs { stringListArgField(stringListArg: ["one", 2]) } }',
        [("String cannot represent a non string value: 2", [(1, 63)])],
    ),
    (
        "{ complicatedArgs { stringListArgField(stringListArg: 1) } }",
        [("String cannot represent a non string value: 1", [(1, 55)])],
    ),
    (
        '{ complicatedArgs { stringListNonNullArgField(stringListNonNullArg: ["a", null]) } }',
        [('Expected value of non-null type "String!" not to be null.', [(1, 75)])],
    ),
    (
        '{ complicatedArgs { multipleReqs(req2: "two", req1: "one") } }',
        [
            ('Int cannot represent non-integer value: "two"', [(1, 40)]),
            ('Int cannot represent non-integer value: "one"', [(1, 53)]),
        ],
    ),
    (
        '{ complicatedArgs { multipleReqs(req1: "one") } }',
        [('Int cannot represent non-integer value: "one"', [(1, 40)])],
    ),
    (
        "{ complicatedArgs { multipleReqs(req1: null) } }",
        [('Expected value of non-null type "Int!" not to be null.', [(1, 40)])],
    ),
    (
        "{ complicatedArgs { complexArgField(complexArg: { intField: 4 }) } }",
        [
            (
                'Expected value of type "ComplexInput" to include required field "requiredField", found: { intField: 4 }.',
                [(1, 49)],
            )
        ],
    ),
    (
        '{ complicatedArgs { complexArgField(complexArg: { stringListField: ["one", 2], requiredField: true }) } }',
        [("String cannot represent a non string value: 2", [(1, 76)])],
    ),
    (
        "{ complicatedArgs { complexArgField(complexArg: { requiredField: null, nonNullField: null }) } }",
        [
            ('Expected value of non-null type "Boolean!" not to be null.', [(1, 66)]),
            ('Expected value of non-null type "Boolean!" not to be null.', [(1, 86)]),
        ],
    ),
    (
        '{ complicatedArgs { complexArgField(complexArg: { requiredField: true, invalidField: "value" }) } }',
        [
            (
                'Expected value of type "ComplexInput" not to include unknown field "invalidField". Did you mean "intField"? Found: { requiredField: true, invalidField: "value" }.',
                [(1, 72)],
            )
        ],
    ),
    (
        '{ complicatedArgs { complexArgField(complexArg: { requiredField: true, stringFeld: "value" }) } }',
        [
            (
                'Expected value of type "ComplexInput" not to include unknown field "stringFeld". Did you mean "stringField", "intField", or "stringListField"? Found: { requiredField: true, stringFeld: "value" }.',
                [(1, 72)],
            )
        ],
    ),
    (
        '{ complicatedArgs { complexArgField(complexArg: "notAnObject") } }',
        [
            (
                'Expected value of type "ComplexInput" to be an object, found: "notAnObject".',
                [(1, 49)],
            )
        ],
    ),
    (
        "{ complicatedArgs { complexArgField(complexArg: [{requiredField: true}, {requiredField: 1}]) } }",
        [
            (
                'Expected value of type "ComplexInput" to be an object, found: [{ requiredField: true }, { requiredField: 1 }].',
                [(1, 49)],
            )
        ],
    ),
    (
        '{ complicatedArgs { oneOfArgField(oneOfArg: { stringField: "abc", intField: 123 }) } }',
        [
            (
                'Within OneOf Input Object type "OneOfInput", exactly one field must be specified, and the value for that field must be non-null.',
                [(1, 45)],
            )
        ],
    ),
    (
        "{ complicatedArgs { oneOfArgField(oneOfArg: { stringField: null }) } }",
        [
            (
                'Within OneOf Input Object type "OneOfInput", exactly one field must be specified, and the value for that field must be non-null.',
                [(1, 45)],
            )
        ],
    ),
    (
        "{ complicatedArgs { oneOfArgField(oneOfArg: {}) } }",
        [
            (
                'Within OneOf Input Object type "OneOfInput", exactly one field must be specified, and the value for that field must be non-null.',
                [(1, 45)],
            )
        ],
    ),
    (
        "{ complicatedArgs { oneOfArgField(oneOfArg: { unknown: 1 }) } }",
        [
            (
                'Expected value of type "OneOfInput" not to include unknown field "unknown", found: { unknown: 1 }.',
                [(1, 47)],
            ),
            (
                'Within OneOf Input Object type "OneOfInput", exactly one field must be specified, and the value for that field must be non-null.',
                [(1, 45)],
            ),
        ],
    ),
    (
        '{ dog @include(if: "yes") { name @skip(if: ENUM) } }',
        [
            ('Boolean cannot represent a non boolean value: "yes"', [(1, 20)]),
            ("Boolean cannot represent a non boolean value: ENUM", [(1, 44)]),
        ],
    ),
    (
        'query WithDefaultValues($a: Int = "one", $b: String = 4, $c: ComplexInput = "NotVeryComplex") { dog { name } }',
        [
            ('Int cannot represent non-integer value: "one"', [(1, 35)]),
            ("String cannot represent a non string value: 4", [(1, 55)]),
            (
                'Expected value of type "ComplexInput" to be an object, found: "NotVeryComplex".',
                [(1, 77)],
            ),
        ],
    ),
    (
        'query WithDefaultValues($a: ComplexInput = { requiredField: 123, intField: "abc" }) { dog { name } }',
        [
            ("Boolean cannot represent a non boolean value: 123", [(1, 61)]),
            ('Int cannot represent non-integer value: "abc"', [(1, 76)]),
        ],
    ),
    (
        "query MissingRequiredField($a: ComplexInput = {intField: 3}) { dog { name } }",
        [
            (
                'Expected value of type "ComplexInput" to include required field "requiredField", found: { intField: 3 }.',
                [(1, 47)],
            )
        ],
    ),
    (
        'query InvalidItem($a: [String] = ["one", 2]) { dog { name } }',
        [("String cannot represent a non string value: 2", [(1, 42)])],
    ),
    (
        "query ($a: Int! = null, $b: Unknown = 1, $c: [Int!] = [null]) { dog { name } }",
        [
            ('Expected value of non-null type "Int!" not to be null.', [(1, 19)]),
            ('Expected value of non-null type "Int!" not to be null.', [(1, 56)]),
        ],
    ),
    (
        '{ complicatedArgs { floatArgField(floatArg: 1e400) intArgField(intArg: -2147483649) idArgField(idArg: """block""") } }',
        [("Int cannot represent non 32-bit signed integer value: -2147483649", [(1, 72)])],
    ),
]


@pytest.mark.parametrize("query", VALUES_OF_CORRECT_TYPE_VALID)
def test_values_of_correct_type_rule_accepts(query: str) -> None:
    expect_valid(ValuesOfCorrectTypeRule, query)


@pytest.mark.parametrize(("query", "expected"), VALUES_OF_CORRECT_TYPE_INVALID)
def test_values_of_correct_type_rule_rejects(query: str, expected: list[Expected]) -> None:
    expect_errors(ValuesOfCorrectTypeRule, query, expected)


VARIABLES_IN_ALLOWED_POSITION_VALID = [
    "query Query($booleanArg: Boolean) { complicatedArgs { booleanArgField(booleanArg: $booleanArg) } }",
    "query Query($booleanArg: Boolean) { complicatedArgs { ...booleanArgFrag } } fragment booleanArgFrag on ComplicatedArgs { booleanArgField(booleanArg: $booleanArg) }",
    "fragment booleanArgFrag on ComplicatedArgs { booleanArgField(booleanArg: $booleanArg) } query Query($booleanArg: Boolean) { complicatedArgs { ...booleanArgFrag } }",
    "query Query($nonNullBooleanArg: Boolean!) { complicatedArgs { booleanArgField(booleanArg: $nonNullBooleanArg) } }",
    "query Query($stringListVar: [String]) { complicatedArgs { stringListArgField(stringListArg: $stringListVar) } }",
    "query Query($stringListVar: [String!]) { complicatedArgs { stringListArgField(stringListArg: $stringListVar) } }",
    "query Query($stringVar: String) { complicatedArgs { stringListArgField(stringListArg: [$stringVar]) } }",
    "query Query($stringVar: String!) { complicatedArgs { stringListArgField(stringListArg: [$stringVar]) } }",
    "query Query($complexVar: ComplexInput) { complicatedArgs { complexArgField(complexArg: $complexVar) } }",
    "query Query($boolVar: Boolean = false) { complicatedArgs { complexArgField(complexArg: {requiredField: $boolVar}) } }",
    "query Query($boolVar: Boolean!) { dog @include(if: $boolVar) }",
    "query Query($boolVar: Boolean = false) { dog @include(if: $boolVar) }",
    "query Query($intVar: Int) { complicatedArgs { nonNullFieldWithDefault(arg: $intVar) } }",
    "query Query($boolVar: Boolean = false) { dog { isHouseTrained(atOtherHomes: $boolVar) } }",
    "query Query($intVar: Int = 1) { complicatedArgs { nonNullIntArgField(nonNullIntArg: $intVar) } }",
    "query Query($string: String!) { complicatedArgs { oneOfArgField(oneOfArg: { stringField: $string }) } }",
    "query Query($a: Int) { complicatedArgs { intArgField(intArg: $b) unknown(x: $a) } }",
]

VARIABLES_IN_ALLOWED_POSITION_INVALID: list[tuple[str, list[Expected]]] = [
    (
        "query Query($intArg: Int) { complicatedArgs { nonNullIntArgField(nonNullIntArg: $intArg) } }",
        [
            (
                'Variable "$intArg" of type "Int" used in position expecting type "Int!".',
                [(1, 13), (1, 81)],
            )
        ],
    ),
    (
        "fragment nonNullIntArgFieldFrag on ComplicatedArgs { nonNullIntArgField(nonNullIntArg: $intArg) } query Query($intArg: Int) { complicatedArgs { ...nonNullIntArgFieldFrag } }",
        [
            (
                'Variable "$intArg" of type "Int" used in position expecting type "Int!".',
                [(1, 111), (1, 88)],
            )
        ],
    ),
    (
        "fragment outerFrag on ComplicatedArgs { ...nonNullIntArgFieldFrag } fragment nonNullIntArgFieldFrag on ComplicatedArgs { nonNullIntArgField(nonNullIntArg: $intArg) } query Query($intArg: Int) { complicatedArgs { ...outerFrag } }",
        [
            (
                'Variable "$intArg" of type "Int" used in position expecting type "Int!".',
                [(1, 179), (1, 156)],
            )
        ],
    ),
    (
        "query Query($stringVar: String) { complicatedArgs { booleanArgField(booleanArg: $stringVar) } }",
        [
            (
                'Variable "$stringVar" of type "String" used in position expecting type "Boolean".',
                [(1, 13), (1, 81)],
            )
        ],
    ),
    (
        "query Query($stringVar: String) { complicatedArgs { stringListArgField(stringListArg: $stringVar) } }",
        [
            (
                'Variable "$stringVar" of type "String" used in position expecting type "[String]".',
                [(1, 13), (1, 87)],
            )
        ],
    ),
    (
        "query Query($boolVar: Boolean) { dog @include(if: $boolVar) }",
        [
            (
                'Variable "$boolVar" of type "Boolean" used in position expecting type "Boolean!".',
                [(1, 13), (1, 51)],
            )
        ],
    ),
    (
        "query Query($stringVar: String) { dog @include(if: $stringVar) }",
        [
            (
                'Variable "$stringVar" of type "String" used in position expecting type "Boolean!".',
                [(1, 13), (1, 52)],
            )
        ],
    ),
    (
        "query Query($stringListVar: [String]) { complicatedArgs { stringListNonNullArgField(stringListNonNullArg: $stringListVar) } }",
        [
            (
                'Variable "$stringListVar" of type "[String]" used in position expecting type "[String!]".',
                [(1, 13), (1, 107)],
            )
        ],
    ),
    (
        "query Query($intVar: Int = null) { complicatedArgs { nonNullIntArgField(nonNullIntArg: $intVar) } }",
        [
            (
                'Variable "$intVar" of type "Int" used in position expecting type "Int!".',
                [(1, 13), (1, 88)],
            )
        ],
    ),
    (
        "query Query($intVar: Int) { complicatedArgs { multipleReqs(req1: $intVar, req2: $intVar) } }",
        [
            (
                'Variable "$intVar" of type "Int" used in position expecting type "Int!".',
                [(1, 13), (1, 66)],
            ),
            (
                'Variable "$intVar" of type "Int" used in position expecting type "Int!".',
                [(1, 13), (1, 81)],
            ),
        ],
    ),
    (
        "query Query($string: String) { complicatedArgs { oneOfArgField(oneOfArg: { stringField: $string }) } }",
        [
            (
                'Variable "$string" is of type "String" but must be non-nullable to be used for OneOf Input Object "OneOfInput".',
                [(1, 13), (1, 89)],
            )
        ],
    ),
    (
        "query Query($dog: Dog, $unknown: Unknown) { complicatedArgs { intArgField(intArg: $dog) stringArgField(stringArg: $unknown) } }",
        [
            (
                'Variable "$dog" of type "Dog" used in position expecting type "Int".',
                [(1, 13), (1, 83)],
            )
        ],
    ),
    (
        "query A($i: Int!) { complicatedArgs { ...F } } query B($i: Float) { complicatedArgs { ...F } } fragment F on ComplicatedArgs { intArgField(intArg: $i) }",
        [
            (
                'Variable "$i" of type "Float" used in position expecting type "Int".',
                [(1, 56), (1, 148)],
            )
        ],
    ),
]


@pytest.mark.parametrize("query", VARIABLES_IN_ALLOWED_POSITION_VALID)
def test_variables_in_allowed_position_rule_accepts(query: str) -> None:
    expect_valid(VariablesInAllowedPositionRule, query)


@pytest.mark.parametrize(("query", "expected"), VARIABLES_IN_ALLOWED_POSITION_INVALID)
def test_variables_in_allowed_position_rule_rejects(query: str, expected: list[Expected]) -> None:
    expect_errors(VariablesInAllowedPositionRule, query, expected)


def test_values_of_correct_type_rule_locates_a_list_given_to_a_scalar() -> None:
    # graphql-js locates the scalar's own error at the literal; graphql-core gives
    # the same messages without a location.
    expect_errors(
        ValuesOfCorrectTypeRule,
        "{ dog { isHouseTrained(atOtherHomes: $x) name(surname: [true]) } "
        "complicatedArgs { intArgField(intArg: [1, 2]) } }",
        [
            ("Boolean cannot represent a non boolean value: [true]", [(1, 56)]),
            ("Int cannot represent non-integer value: [1, 2]", [(1, 104)]),
        ],
        oracle_locations=False,
    )
