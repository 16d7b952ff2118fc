"""Validation rules on operations, fields, fragments and type names: valid and invalid cases for each, checked against graphql-core."""

# ruff: noqa: E501

from __future__ import annotations

import pytest
from tests.wire.graphql.validation_harness import Expected, expect_errors, expect_valid

from wire.graphql._rules_fields import (
    FieldsOnCorrectTypeRule,
    FragmentsOnCompositeTypesRule,
    KnownOperationTypesRule,
    KnownTypeNamesRule,
    MaxIntrospectionDepthRule,
    PossibleFragmentSpreadsRule,
    ScalarLeafsRule,
    SingleFieldSubscriptionsRule,
    VariablesAreInputTypesRule,
)

SUGGESTION_SDL = "\ninterface T { y: String }\ntype A implements T { x: String y: String }\ntype B implements T { x: String y: String }\ninterface Named { name: String }\ninterface Animal implements Named { name: String }\ntype Snake implements Animal & Named { name: String }\ntype Dog2 implements Animal & Named { name: String }\ntype Cat2 { name: String }\nunion Pets = Snake | Dog2 | Cat2\nunion Empty = A\ninterface Z1 { z: Int }\ninterface A1 implements Z1 { z: Int }\ntype T1 implements Z1 & A1 { z: Int }\ntype T2 implements Z1 & A1 { z: Int }\nunion ZU = T1 | T2\ntype Query { t: T pets: Pets animal: Animal named: Named u: Empty f1: String f2: String f10: String zu: ZU }\n"

NO_SUBSCRIPTION_SDL = "type Query { a: String }"


KNOWN_OPERATION_TYPES_VALID = [
    "{ a }",
    "query { a } query Named { a }",
    "fragment F on Query { a }",
]

KNOWN_OPERATION_TYPES_INVALID: list[tuple[str, list[Expected]]] = [
    ("mutation { a }", [("The mutation operation is not supported by the schema.", [(1, 1)])]),
    (
        "subscription S { a } mutation M { a } { a }",
        [
            ("The subscription operation is not supported by the schema.", [(1, 1)]),
            ("The mutation operation is not supported by the schema.", [(1, 22)]),
        ],
    ),
]


@pytest.mark.parametrize("query", KNOWN_OPERATION_TYPES_VALID)
def test_known_operation_types_rule_accepts(query: str) -> None:
    expect_valid(KnownOperationTypesRule, query, sdl=NO_SUBSCRIPTION_SDL)


@pytest.mark.parametrize(("query", "expected"), KNOWN_OPERATION_TYPES_INVALID)
def test_known_operation_types_rule_rejects(query: str, expected: list[Expected]) -> None:
    expect_errors(KnownOperationTypesRule, query, expected, sdl=NO_SUBSCRIPTION_SDL)


SINGLE_FIELD_SUBSCRIPTIONS_VALID = [
    "subscription ImportantEmails { importantEmails }",
    "query ImportantEmails { importantEmails notImportantEmails }",
    "subscription sub { ...newMessageFields } fragment newMessageFields on SubscriptionRoot { newMessage { body sender } }",
    "subscription ImportantEmails { importantEmails ... on QueryRoot { dog { name } } ...NonMatching } fragment NonMatching on QueryRoot { cat { name } }",
    "subscription { ...F ...F } fragment F on SubscriptionRoot { importantEmails }",
    "subscription { ...Missing importantEmails }",
]

SINGLE_FIELD_SUBSCRIPTIONS_INVALID: list[tuple[str, list[Expected]]] = [
    (
        "subscription ImportantEmails { importantEmails ... { more: moreImportantEmails } }",
        [('Subscription "ImportantEmails" must select only one top level field.', [(1, 54)])],
    ),
    (
        "subscription ImportantEmails { importantEmails notImportantEmails }",
        [('Subscription "ImportantEmails" must select only one top level field.', [(1, 48)])],
    ),
    (
        "subscription { importantEmails notImportantEmails }",
        [("Anonymous Subscription must select only one top level field.", [(1, 32)])],
    ),
    (
        "subscription ImportantEmails { importantEmails __typename }",
        [
            ('Subscription "ImportantEmails" must select only one top level field.', [(1, 48)]),
            (
                'Subscription "ImportantEmails" must not select an introspection top level field.',
                [(1, 48)],
            ),
        ],
    ),
    (
        "subscription ImportantEmails { importantEmails notImportantEmails spamEmails }",
        [
            (
                'Subscription "ImportantEmails" must select only one top level field.',
                [(1, 48), (1, 67)],
            )
        ],
    ),
    (
        "subscription ImportantEmails { importantEmails ... { more: moreImportantEmails } ...NotImportantEmails } fragment NotImportantEmails on SubscriptionRoot { notImportantEmails deleted: deletedEmails ...SpamEmails } fragment SpamEmails on SubscriptionRoot { spamEmails }",
        [
            (
                'Subscription "ImportantEmails" must select only one top level field.',
                [(1, 54), (1, 156), (1, 175), (1, 256)],
            )
        ],
    ),
    (
        "subscription { __typename }",
        [("Anonymous Subscription must not select an introspection top level field.", [(1, 16)])],
    ),
    (
        "subscription { __schema { queryType { name } } }",
        [("Anonymous Subscription must not select an introspection top level field.", [(1, 16)])],
    ),
    (
        'subscription { __type(name: "X") { name } }',
        [("Anonymous Subscription must not select an introspection top level field.", [(1, 16)])],
    ),
    (
        "subscription ImportantEmails { importantEmails @skip(if: true) }",
        [
            (
                'Subscription "ImportantEmails" must not use `@skip` or `@include` directives in the top level selection.',
                [(1, 48)],
            )
        ],
    ),
    (
        "subscription { importantEmails @include(if: $v) ...F @skip(if: false) }",
        [
            (
                "Anonymous Subscription must not use `@skip` or `@include` directives in the top level selection.",
                [(1, 32), (1, 54)],
            )
        ],
    ),
    (
        "subscription { ... @include(if: false) { importantEmails } }",
        [
            (
                "Anonymous Subscription must not use `@skip` or `@include` directives in the top level selection.",
                [(1, 20)],
            )
        ],
    ),
    ("subscription {}", [("Anonymous Subscription must select one top level field.", [(1, 14)])]),
    (
        "subscription { ... on Pet { name } }",
        [("Anonymous Subscription must select one top level field.", [(1, 14)])],
    ),
]


@pytest.mark.parametrize("query", SINGLE_FIELD_SUBSCRIPTIONS_VALID)
def test_single_field_subscriptions_rule_accepts(query: str) -> None:
    expect_valid(SingleFieldSubscriptionsRule, query)


@pytest.mark.parametrize(("query", "expected"), SINGLE_FIELD_SUBSCRIPTIONS_INVALID)
def test_single_field_subscriptions_rule_rejects(query: str, expected: list[Expected]) -> None:
    expect_errors(SingleFieldSubscriptionsRule, query, expected)


KNOWN_TYPE_NAMES_VALID = [
    "query Foo($var: String, $required: [Int!]!, $introspectionType: __EnumValue) { user(id: 4) { pets { ... on Pet { name }, ...PetFields, ... { name } } } } fragment PetFields on Pet { name }",
    "query Foo($var: Int, $var2: Boolean) { dog }",
    "query ($a: Foo) { x } type Foo { a: Int }",
]

KNOWN_TYPE_NAMES_INVALID: list[tuple[str, list[Expected]]] = [
    (
        "query Foo($var: [JumbledUpLetters!]!) { user(id: 4) { name pets { ... on Badger { name }, ...PetFields } } } fragment PetFields on Peat { name }",
        [
            ('Unknown type "JumbledUpLetters".', [(1, 18)]),
            ('Unknown type "Badger".', [(1, 74)]),
            ('Unknown type "Peat". Did you mean "Pet" or "Cat"?', [(1, 132)]),
        ],
    ),
    (
        "query ($var: Dgo) { dog { name } }",
        [('Unknown type "Dgo". Did you mean "Dog"?', [(1, 14)])],
    ),
    (
        "query ($var: Intt, $v2: Flot, $v3: Strin) { x }",
        [
            ('Unknown type "Intt". Did you mean "Int"?', [(1, 14)]),
            ('Unknown type "Flot". Did you mean "Float"?', [(1, 25)]),
            ('Unknown type "Strin". Did you mean "String"?', [(1, 36)]),
        ],
    ),
    (
        "type Query { a: Int } extend type Foo { b: Strng } scalar Bar input In { c: [Foo!] d: Int e: __Type } directive @d(x: Bar) on FIELD union U = Query | NotAType schema { query: Query mutation: Nope }",
        [
            ('Unknown type "Strng". Did you mean "String"?', [(1, 44)]),
            ('Unknown type "Foo". Did you mean "Dog"?', [(1, 78)]),
            ('Unknown type "NotAType". Did you mean "__Type"?', [(1, 151)]),
            ('Unknown type "Nope".', [(1, 192)]),
        ],
    ),
]


@pytest.mark.parametrize("query", KNOWN_TYPE_NAMES_VALID)
def test_known_type_names_rule_accepts(query: str) -> None:
    expect_valid(KnownTypeNamesRule, query)


@pytest.mark.parametrize(("query", "expected"), KNOWN_TYPE_NAMES_INVALID)
def test_known_type_names_rule_rejects(query: str, expected: list[Expected]) -> None:
    expect_errors(KnownTypeNamesRule, query, expected)


FRAGMENTS_ON_COMPOSITE_TYPES_VALID = [
    "fragment validFragment on Dog { barks }",
    "fragment validFragment on Pet { name }",
    "fragment validFragment on Pet { ... on Dog { barks } }",
    "fragment validFragment on Pet { ... { name } }",
    "fragment validFragment on CatOrDog { __typename }",
    "fragment unknownType on Unknown { a } { ... on Unknown2 { b } }",
]

FRAGMENTS_ON_COMPOSITE_TYPES_INVALID: list[tuple[str, list[Expected]]] = [
    (
        "fragment scalarFragment on Boolean { bad }",
        [
            (
                'Fragment "scalarFragment" cannot condition on non composite type "Boolean".',
                [(1, 28)],
            )
        ],
    ),
    (
        "fragment scalarFragment on FurColor { bad }",
        [
            (
                'Fragment "scalarFragment" cannot condition on non composite type "FurColor".',
                [(1, 28)],
            )
        ],
    ),
    (
        "fragment inputFragment on ComplexInput { stringField }",
        [
            (
                'Fragment "inputFragment" cannot condition on non composite type "ComplexInput".',
                [(1, 27)],
            )
        ],
    ),
    (
        "fragment invalidFragment on Pet { ... on String { barks } }",
        [('Fragment cannot condition on non composite type "String".', [(1, 42)])],
    ),
]


@pytest.mark.parametrize("query", FRAGMENTS_ON_COMPOSITE_TYPES_VALID)
def test_fragments_on_composite_types_rule_accepts(query: str) -> None:
    expect_valid(FragmentsOnCompositeTypesRule, query)


@pytest.mark.parametrize(("query", "expected"), FRAGMENTS_ON_COMPOSITE_TYPES_INVALID)
def test_fragments_on_composite_types_rule_rejects(query: str, expected: list[Expected]) -> None:
    expect_errors(FragmentsOnCompositeTypesRule, query, expected)


VARIABLES_ARE_INPUT_TYPES_VALID = [
    "query Foo($a: Unknown, $b: [[Unknown!]]!) { field(a: $a, b: $b) }",
    "query Foo($a: String, $b: [Boolean!]!, $c: ComplexInput) { field(a: $a, b: $b, c: $c) }",
]

VARIABLES_ARE_INPUT_TYPES_INVALID: list[tuple[str, list[Expected]]] = [
    (
        "query Foo($a: Dog, $b: [[CatOrDog!]]!, $c: Pet) { field(a: $a, b: $b, c: $c) }",
        [
            ('Variable "$a" cannot be non-input type "Dog".', [(1, 15)]),
            ('Variable "$b" cannot be non-input type "[[CatOrDog!]]!".', [(1, 24)]),
            ('Variable "$c" cannot be non-input type "Pet".', [(1, 44)]),
        ],
    ),
]


@pytest.mark.parametrize("query", VARIABLES_ARE_INPUT_TYPES_VALID)
def test_variables_are_input_types_rule_accepts(query: str) -> None:
    expect_valid(VariablesAreInputTypesRule, query)


@pytest.mark.parametrize(("query", "expected"), VARIABLES_ARE_INPUT_TYPES_INVALID)
def test_variables_are_input_types_rule_rejects(query: str, expected: list[Expected]) -> None:
    expect_errors(VariablesAreInputTypesRule, query, expected)


SCALAR_LEAFS_VALID = [
    "fragment scalarSelection on Dog { barks }",
    "fragment scalarSelectionWithArgs on Dog { doesKnowCommand(dogCommand: SIT) }",
    "{ dog { unknown { x } } human { name } }",
    "{ dog { } }",
]

SCALAR_LEAFS_INVALID: list[tuple[str, list[Expected]]] = [
    (
        "query directQueryOnObjectWithoutSubFields { human }",
        [
            (
                'Field "human" of type "Human" must have a selection of subfields. Did you mean "human { ... }"?',
                [(1, 45)],
            )
        ],
    ),
    (
        "query directQueryOnInterfaceWithoutSubFields { pet }",
        [
            (
                'Field "pet" of type "Pet" must have a selection of subfields. Did you mean "pet { ... }"?',
                [(1, 48)],
            )
        ],
    ),
    (
        "query directQueryOnUnionWithoutSubFields { catOrDog }",
        [
            (
                'Field "catOrDog" of type "CatOrDog" must have a selection of subfields. Did you mean "catOrDog { ... }"?',
                [(1, 44)],
            )
        ],
    ),
    (
        "fragment objectFieldSelection on Human { pets relatives }",
        [
            (
                'Field "pets" of type "[Pet]" must have a selection of subfields. Did you mean "pets { ... }"?',
                [(1, 42)],
            ),
            (
                'Field "relatives" of type "[Human]!" must have a selection of subfields. Did you mean "relatives { ... }"?',
                [(1, 47)],
            ),
        ],
    ),
    (
        "fragment scalarSelectionsNotAllowedOnBoolean on Dog { barks { sinceWhen } }",
        [
            (
                'Field "barks" must not have a selection since type "Boolean" has no subfields.',
                [(1, 61)],
            )
        ],
    ),
    (
        "fragment scalarSelectionsNotAllowedOnEnum on Cat { furColor { inHexDecimal } }",
        [
            (
                'Field "furColor" must not have a selection since type "FurColor" has no subfields.',
                [(1, 61)],
            )
        ],
    ),
    (
        "fragment scalarSelectionsNotAllowedWithArgs on Dog { doesKnowCommand(dogCommand: SIT) { sinceWhen } }",
        [
            (
                'Field "doesKnowCommand" must not have a selection since type "Boolean" has no subfields.',
                [(1, 87)],
            )
        ],
    ),
    (
        "fragment scalarSelectionsNotAllowedWithDirectives on Dog { name @include(if: true) { isAlsoHumanName } }",
        [
            (
                'Field "name" must not have a selection since type "String" has no subfields.',
                [(1, 84)],
            )
        ],
    ),
    (
        "fragment scalarSelectionsNotAllowedWithDirectivesAndArgs on Dog { doesKnowCommand(dogCommand: SIT) @include(if: true) { sinceWhen } }",
        [
            (
                'Field "doesKnowCommand" must not have a selection since type "Boolean" has no subfields.',
                [(1, 119)],
            )
        ],
    ),
]


@pytest.mark.parametrize("query", SCALAR_LEAFS_VALID)
def test_scalar_leafs_rule_accepts(query: str) -> None:
    expect_valid(ScalarLeafsRule, query)


@pytest.mark.parametrize(("query", "expected"), SCALAR_LEAFS_INVALID)
def test_scalar_leafs_rule_rejects(query: str, expected: list[Expected]) -> None:
    expect_errors(ScalarLeafsRule, query, expected)


FIELDS_ON_CORRECT_TYPE_VALID = [
    "fragment objectFieldSelection on Dog { __typename name }",
    "fragment aliasedObjectFieldSelection on Dog { tn : __typename otherName : name }",
    "fragment interfaceFieldSelection on Pet { __typename name }",
    "fragment lyingAliasSelection on Dog { name : nickname }",
    "fragment unknownSelection on UnknownType { unknownField }",
    "fragment directFieldSelectionOnUnion on CatOrDog { __typename }",
    "fragment validFieldInInlineFragment on Pet { ... on Dog { name } ... { name } }",
]

FIELDS_ON_CORRECT_TYPE_INVALID: list[tuple[str, list[Expected]]] = [
    (
        "fragment typeKnownAgain on Pet { unknown_pet_field { ... on Cat { unknown_cat_field } } }",
        [
            ('Cannot query field "unknown_pet_field" on type "Pet".', [(1, 34)]),
            ('Cannot query field "unknown_cat_field" on type "Cat".', [(1, 67)]),
        ],
    ),
    (
        "fragment fieldNotDefined on Dog { meowVolume }",
        [('Cannot query field "meowVolume" on type "Dog". Did you mean "barkVolume"?', [(1, 35)])],
    ),
    (
        "fragment deepFieldNotDefined on Dog { unknown_field { deeper_unknown_field } }",
        [('Cannot query field "unknown_field" on type "Dog".', [(1, 39)])],
    ),
    (
        "fragment subFieldNotDefined on Human { pets { unknown_field } }",
        [('Cannot query field "unknown_field" on type "Pet".', [(1, 47)])],
    ),
    (
        "fragment fieldNotDefined on Pet { ... on Dog { meowVolume } }",
        [('Cannot query field "meowVolume" on type "Dog". Did you mean "barkVolume"?', [(1, 48)])],
    ),
    (
        "fragment aliasedFieldTargetNotDefined on Dog { volume : mooVolume }",
        [('Cannot query field "mooVolume" on type "Dog". Did you mean "barkVolume"?', [(1, 48)])],
    ),
    (
        "fragment aliasedLyingFieldTargetNotDefined on Dog { barkVolume : kawVolume }",
        [('Cannot query field "kawVolume" on type "Dog". Did you mean "barkVolume"?', [(1, 53)])],
    ),
    (
        "fragment notDefinedOnInterface on Pet { tailLength }",
        [('Cannot query field "tailLength" on type "Pet".', [(1, 41)])],
    ),
    (
        "fragment definedOnImplementorsButNotInterface on Pet { nickname }",
        [
            (
                'Cannot query field "nickname" on type "Pet". Did you mean to use an inline fragment on "Cat" or "Dog"?',
                [(1, 56)],
            )
        ],
    ),
    (
        "fragment directFieldSelectionOnUnion on CatOrDog { directField }",
        [('Cannot query field "directField" on type "CatOrDog".', [(1, 52)])],
    ),
    (
        "fragment definedOnImplementorsQueriedOnUnion on CatOrDog { name }",
        [
            (
                'Cannot query field "name" on type "CatOrDog". Did you mean to use an inline fragment on "Pet", "Canine", "Cat", or "Dog"?',
                [(1, 60)],
            )
        ],
    ),
    (
        '{ __schema { queryType { name } } __type(name: "Dog") { name } dog { __schema { a } } }',
        [('Cannot query field "__schema" on type "Dog".', [(1, 70)])],
    ),
    (
        '{ dog { __typename } human { __type(name: "X") { name } } }',
        [('Cannot query field "__type" on type "Human".', [(1, 30)])],
    ),
]


@pytest.mark.parametrize("query", FIELDS_ON_CORRECT_TYPE_VALID)
def test_fields_on_correct_type_rule_accepts(query: str) -> None:
    expect_valid(FieldsOnCorrectTypeRule, query)


@pytest.mark.parametrize(("query", "expected"), FIELDS_ON_CORRECT_TYPE_INVALID)
def test_fields_on_correct_type_rule_rejects(query: str, expected: list[Expected]) -> None:
    expect_errors(FieldsOnCorrectTypeRule, query, expected)


POSSIBLE_FRAGMENT_SPREADS_VALID = [
    "fragment objectWithinObject on Dog { ...dogFragment } fragment dogFragment on Dog { barkVolume }",
    "fragment objectWithinObjectAnon on Dog { ... on Dog { barkVolume } }",
    "fragment objectWithinInterface on Pet { ...dogFragment } fragment dogFragment on Dog { barkVolume }",
    "fragment objectWithinUnion on CatOrDog { ...dogFragment } fragment dogFragment on Dog { barkVolume }",
    "fragment unionWithinObject on Dog { ...catOrDogFragment } fragment catOrDogFragment on CatOrDog { __typename }",
    "fragment unionWithinInterface on Pet { ...catOrDogFragment } fragment catOrDogFragment on CatOrDog { __typename }",
    "fragment unionWithinUnion on CatOrDog { ...catOrDogFragment } fragment catOrDogFragment on CatOrDog { __typename }",
    "fragment interfaceWithinObject on Dog { ...petFragment } fragment petFragment on Pet { name }",
    "fragment interfaceWithinInterface on Pet { ...beingFragment } fragment beingFragment on Pet { name }",
    "fragment interfaceWithinInterfaceAnon on Pet { ... on Pet { name } }",
    "fragment interfaceWithinUnion on CatOrDog { ...petFragment } fragment petFragment on Pet { name }",
    "fragment invalidInterfaceWithinInterface on Pet { ...mammalFragment } fragment mammalFragment on Mammal { mother { name } }",
    "fragment invalidInterfaceWithinInterfaceAnon on Pet { ...on Mammal { mother { name } } }",
    "fragment unknown on Dog { ...Missing ... on Unknown { a } ...onScalar } fragment onScalar on Int { a }",
]

POSSIBLE_FRAGMENT_SPREADS_INVALID: list[tuple[str, list[Expected]]] = [
    (
        "fragment invalidObjectWithinObject on Cat { ...dogFragment } fragment dogFragment on Dog { barkVolume }",
        [
            (
                'Fragment "dogFragment" cannot be spread here as objects of type "Cat" can never be of type "Dog".',
                [(1, 45)],
            )
        ],
    ),
    (
        "fragment invalidObjectWithinObjectAnon on Cat { ... on Dog { barkVolume } }",
        [
            (
                'Fragment cannot be spread here as objects of type "Cat" can never be of type "Dog".',
                [(1, 49)],
            )
        ],
    ),
    (
        "fragment invalidObjectWithinInterface on Pet { ...humanFragment } fragment humanFragment on Human { pets { name } }",
        [
            (
                'Fragment "humanFragment" cannot be spread here as objects of type "Pet" can never be of type "Human".',
                [(1, 48)],
            )
        ],
    ),
    (
        "fragment invalidObjectWithinUnion on CatOrDog { ...humanFragment } fragment humanFragment on Human { pets { name } }",
        [
            (
                'Fragment "humanFragment" cannot be spread here as objects of type "CatOrDog" can never be of type "Human".',
                [(1, 49)],
            )
        ],
    ),
    (
        "fragment invalidUnionWithinObject on Human { ...catOrDogFragment } fragment catOrDogFragment on CatOrDog { __typename }",
        [
            (
                'Fragment "catOrDogFragment" cannot be spread here as objects of type "Human" can never be of type "CatOrDog".',
                [(1, 46)],
            )
        ],
    ),
    (
        "fragment invalidInterfaceWithinObject on Cat { ...mammalFragment } fragment mammalFragment on Mammal { mother { name } }",
        [
            (
                'Fragment "mammalFragment" cannot be spread here as objects of type "Cat" can never be of type "Mammal".',
                [(1, 48)],
            )
        ],
    ),
    (
        "fragment invalidInterfaceWithinUnion on CatOrDog { ...humanFragment } fragment humanFragment on Human { name }",
        [
            (
                'Fragment "humanFragment" cannot be spread here as objects of type "CatOrDog" can never be of type "Human".',
                [(1, 52)],
            )
        ],
    ),
    (
        "fragment canine on Canine { ... on Mammal { mother { name } } ... on Dog { name } ...catF } fragment catF on Cat { name }",
        [
            (
                'Fragment "catF" cannot be spread here as objects of type "Canine" can never be of type "Cat".',
                [(1, 83)],
            )
        ],
    ),
]


@pytest.mark.parametrize("query", POSSIBLE_FRAGMENT_SPREADS_VALID)
def test_possible_fragment_spreads_rule_accepts(query: str) -> None:
    expect_valid(PossibleFragmentSpreadsRule, query)


@pytest.mark.parametrize(("query", "expected"), POSSIBLE_FRAGMENT_SPREADS_INVALID)
def test_possible_fragment_spreads_rule_rejects(query: str, expected: list[Expected]) -> None:
    expect_errors(PossibleFragmentSpreadsRule, query, expected)


MAX_INTROSPECTION_DEPTH_VALID = [
    "{ __schema { types { fields { type { fields { name } } } } } }",
    "{ __schema { types { interfaces { possibleTypes { name } } } } }",
    "{ __schema { types { ...F } } } fragment F on __Type { fields { type { ...G } } } fragment G on __Type { fields { type { name } } }",
    "{ a: __schema { types { ...F } } b: __schema { types { ...F } } } fragment F on __Type { fields { type { interfaces { name } } } }",
    "{ __schema { types { ...F } } } fragment F on __Type { ...G ...H } fragment G on __Type { fields { name } } fragment H on __Type { interfaces { fields { name } } }",
    "{ __schema { types { ...Missing } } }",
    '{ __schema { types { ...F } } __type(name: "a") { ...F } } fragment F on __Type { fields { type { ... on __Type { possibleTypes { name } } } } }',
]

MAX_INTROSPECTION_DEPTH_INVALID: list[tuple[str, list[Expected]]] = [
    (
        "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }",
        [("Maximum introspection depth exceeded", [(1, 3)])],
    ),
    (
        '{ __type(name: "Query") { inputFields { type { inputFields { type { inputFields { name } } } } } } }',
        [("Maximum introspection depth exceeded", [(1, 3)])],
    ),
    (
        "{ __schema { types { ...F } } } fragment F on __Type { fields { type { ...G } } } fragment G on __Type { fields { type { fields { name } } } }",
        [("Maximum introspection depth exceeded", [(1, 3)])],
    ),
    (
        "{ __schema { types { ...F ...F } } } fragment F on __Type { fields { type { ...F } } }",
        [("Maximum introspection depth exceeded", [(1, 3)])],
    ),
    (
        '{ __schema { queryType { fields { type { fields { type { fields { name __type(name: "X") { fields { fields { fields { name } } } } } } } } } } } }',
        [("Maximum introspection depth exceeded", [(1, 3)])],
    ),
    (
        "{ a: __schema { types { ...F } } b: __schema { types { ...F } } } fragment F on __Type { fields { type { fields { type { fields { name } } } } } }",
        [
            ("Maximum introspection depth exceeded", [(1, 3)]),
            ("Maximum introspection depth exceeded", [(1, 34)]),
        ],
    ),
]


@pytest.mark.parametrize("query", MAX_INTROSPECTION_DEPTH_VALID)
def test_max_introspection_depth_rule_accepts(query: str) -> None:
    expect_valid(MaxIntrospectionDepthRule, query)


@pytest.mark.parametrize(("query", "expected"), MAX_INTROSPECTION_DEPTH_INVALID)
def test_max_introspection_depth_rule_rejects(query: str, expected: list[Expected]) -> None:
    expect_errors(MaxIntrospectionDepthRule, query, expected)


FIELDS_ON_CORRECT_TYPE_WITH_SUGGESTION_VALID = [
    "{ t { ... on A { x } } }",
]

FIELDS_ON_CORRECT_TYPE_WITH_SUGGESTION_INVALID: list[tuple[str, list[Expected]]] = [
    (
        "{ t { x } }",
        [
            (
                'Cannot query field "x" on type "T". Did you mean to use an inline fragment on "A" or "B"?',
                [(1, 7)],
            )
        ],
    ),
    (
        "{ pets { name } }",
        [
            (
                'Cannot query field "name" on type "Pets". Did you mean to use an inline fragment on "Named", "Animal", "Cat2", "Dog2", or "Snake"?',
                [(1, 10)],
            )
        ],
    ),
    (
        "{ animal { name } named { nam } }",
        [('Cannot query field "nam" on type "Named". Did you mean "name"?', [(1, 27)])],
    ),
    (
        "{ u { x } }",
        [
            (
                'Cannot query field "x" on type "Empty". Did you mean to use an inline fragment on "A"?',
                [(1, 7)],
            )
        ],
    ),
    (
        "{ f { x } f3 }",
        [
            (
                'Cannot query field "f" on type "Query". Did you mean "f1", "f2", "t", or "u"?',
                [(1, 3)],
            ),
            ('Cannot query field "f3" on type "Query". Did you mean "f1" or "f2"?', [(1, 11)]),
        ],
    ),
    (
        "{ zu { z } }",
        [
            (
                'Cannot query field "z" on type "ZU". Did you mean to use an inline fragment on "Z1", "A1", "T1", or "T2"?',
                [(1, 8)],
            )
        ],
    ),
]


@pytest.mark.parametrize("query", FIELDS_ON_CORRECT_TYPE_WITH_SUGGESTION_VALID)
def test_fields_on_correct_type_rule_with_suggestion_accepts(query: str) -> None:
    expect_valid(FieldsOnCorrectTypeRule, query, sdl=SUGGESTION_SDL)


@pytest.mark.parametrize(("query", "expected"), FIELDS_ON_CORRECT_TYPE_WITH_SUGGESTION_INVALID)
def test_fields_on_correct_type_rule_with_suggestion_rejects(
    query: str, expected: list[Expected]
) -> None:
    expect_errors(FieldsOnCorrectTypeRule, query, expected, sdl=SUGGESTION_SDL)


SINGLE_FIELD_SUBSCRIPTIONS_WITH_NO_SUBSCRIPTION_VALID = [
    "subscription { a }",
]


@pytest.mark.parametrize("query", SINGLE_FIELD_SUBSCRIPTIONS_WITH_NO_SUBSCRIPTION_VALID)
def test_single_field_subscriptions_rule_with_no_subscription_accepts(query: str) -> None:
    expect_valid(SingleFieldSubscriptionsRule, query, sdl=NO_SUBSCRIPTION_SDL)


KNOWN_TYPE_NAMES_WITH_NO_SUBSCRIPTION_VALID = []

KNOWN_TYPE_NAMES_WITH_NO_SUBSCRIPTION_INVALID: list[tuple[str, list[Expected]]] = [
    ("{ a } type X { f: Float } query ($v: Float) { a }", [('Unknown type "Float".', [(1, 38)])]),
]


@pytest.mark.parametrize(("query", "expected"), KNOWN_TYPE_NAMES_WITH_NO_SUBSCRIPTION_INVALID)
def test_known_type_names_rule_with_no_subscription_rejects(
    query: str, expected: list[Expected]
) -> None:
    expect_errors(KnownTypeNamesRule, query, expected, sdl=NO_SUBSCRIPTION_SDL)
