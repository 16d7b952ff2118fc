"""Field Selection Merging (OverlappingFieldsCanBeMergedRule): valid and invalid cases, checked against graphql-core."""

# ruff: noqa: E501

from __future__ import annotations

import pytest
from tests.wire.graphql.validation_harness import Expected, expect_errors, expect_valid

from wire.graphql._rules_overlap import OverlappingFieldsCanBeMergedRule

BOX_SDL = "\ninterface SomeBox { deepBox: SomeBox unrelatedField: String }\ntype StringBox implements SomeBox { scalar: String deepBox: StringBox unrelatedField: String listStringBox: [StringBox] stringBox: StringBox intBox: IntBox }\ntype IntBox implements SomeBox { scalar: Int deepBox: IntBox unrelatedField: String listStringBox: [StringBox] stringBox: StringBox intBox: IntBox }\ninterface NonNullStringBox1 { scalar: String! }\ntype NonNullStringBox1Impl implements SomeBox & NonNullStringBox1 { scalar: String! unrelatedField: String deepBox: SomeBox }\ninterface NonNullStringBox2 { scalar: String! }\ntype NonNullStringBox2Impl implements SomeBox & NonNullStringBox2 { scalar: String! unrelatedField: String deepBox: SomeBox }\ntype Connection { edges: [Edge] }\ntype Edge { node: Node }\ntype Node { id: ID name: String }\ntype Query { someBox: SomeBox connection: Connection f(a: String, b: String, arg: In): String }\ninput In { a: String b: String c: [In] }\n"


OVERLAPPING_FIELDS_CAN_BE_MERGED_VALID = [
    "fragment uniqueFields on Dog { name nickname }",
    "fragment mergeIdenticalFields on Dog { name name }",
    "fragment mergeIdenticalFieldsWithIdenticalArgs on Dog { doesKnowCommand(dogCommand: SIT) doesKnowCommand(dogCommand: SIT) }",
    "fragment mergeSameFieldsWithSameDirectives on Dog { name @include(if: true) name @include(if: true) }",
    "fragment differentArgsWithDifferentAliases on Dog { knowsSit: doesKnowCommand(dogCommand: SIT) knowsDown: doesKnowCommand(dogCommand: DOWN) }",
    "fragment differentDirectivesWithDifferentAliases on Dog { nameIfTrue: name @include(if: true) nameIfFalse: name @include(if: false) }",
    "fragment differentDirectivesWithDifferentAliases on Dog { name @include(if: true) name @include(if: false) }",
    "fragment sameAliasesWithDifferentFieldTargets on Pet { ... on Dog { name } ... on Cat { name: nickname } }",
    "fragment conflictingArgs on Pet { ... on Dog { name(surname: true) } ... on Cat { name } }",
    "{ field ...Unknown ...Known } fragment Known on T { field ...OtherUnknown }",
    "{ ...fragA } fragment fragA on Human { name, relatives { name, ...fragA } }",
    "{ ...fragA } fragment fragA on Human { name, ...fragA }",
    "{ ...fragA fragA } fragment fragA on Query { ...fragA }",
    "{ ...fragA fragB } fragment fragA on Human { name, ...fragB } fragment fragB on Human { name, ...fragC } fragment fragC on Human { name, ...fragA }",
    "{ ...fragA } fragment fragA on Human { relatives { name: pets { name } ...fragA } }",
    "{ pet { ... on Cat { x: meows } ... on Dog { x: barks } } }",
    "{ human { pets { name } } human { relatives { name } } }",
    "query ($a: Boolean) { dog { name(surname: $a) name(surname: $a) } }",
    "{ dog { name(surname: true) name(surname: true) name(surname: true) } }",
]

OVERLAPPING_FIELDS_CAN_BE_MERGED_INVALID: list[tuple[str, list[Expected]]] = [
    (
        "fragment sameAliasesWithDifferentFieldTargets on Dog {\n  fido: name\n  fido: nickname\n}",
        [
            (
                'Fields "fido" conflict because "name" and "nickname" are different fields. Use different aliases on the fields to fetch both if this was intentional.',
                [(2, 3), (3, 3)],
            )
        ],
    ),
    (
        "fragment aliasMaskingDirectFieldAccess on Dog { name: nickname name }",
        [
            (
                'Fields "name" conflict because "nickname" and "name" are different fields. Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 49), (1, 64)],
            )
        ],
    ),
    (
        "fragment conflictingArgs on Dog { doesKnowCommand doesKnowCommand(dogCommand: HEEL) }",
        [
            (
                'Fields "doesKnowCommand" conflict because they have differing arguments. Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 35), (1, 51)],
            )
        ],
    ),
    (
        "fragment conflictingArgs on Dog { doesKnowCommand(dogCommand: SIT) doesKnowCommand }",
        [
            (
                'Fields "doesKnowCommand" conflict because they have differing arguments. Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 35), (1, 68)],
            )
        ],
    ),
    (
        "fragment conflictingArgs on Dog { doesKnowCommand(dogCommand: SIT) doesKnowCommand(dogCommand: HEEL) }",
        [
            (
                'Fields "doesKnowCommand" conflict because they have differing arguments. Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 35), (1, 68)],
            )
        ],
    ),
    (
        "fragment conflictingArgs on Dog { isAtLocation(x: 0) isAtLocation(y: 0) }",
        [
            (
                'Fields "isAtLocation" conflict because they have differing arguments. Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 35), (1, 54)],
            )
        ],
    ),
    (
        "{ ...A ...B } fragment A on Type { x: a } fragment B on Type { x: b }",
        [
            (
                'Fields "x" conflict because "a" and "b" are different fields. Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 36), (1, 64)],
            )
        ],
    ),
    (
        "{\n  f1 {\n    ...A\n    ...B\n  }\n  f2 {\n    ...B\n    ...A\n  }\n  f3 {\n    ...A\n    ...B\n    x: c\n  }\n}\nfragment A on Type {\n  x: a\n}\nfragment B on Type {\n  x: b\n}",
        [
            (
                'Fields "x" conflict because "a" and "b" are different fields. Use different aliases on the fields to fetch both if this was intentional.',
                [(17, 3), (20, 3)],
            ),
            (
                'Fields "x" conflict because "c" and "a" are different fields. Use different aliases on the fields to fetch both if this was intentional.',
                [(13, 5), (17, 3)],
            ),
            (
                'Fields "x" conflict because "c" and "b" are different fields. Use different aliases on the fields to fetch both if this was intentional.',
                [(13, 5), (20, 3)],
            ),
        ],
    ),
    (
        "{ field { x: a }, field { x: b } }",
        [
            (
                'Fields "field" conflict because subfields "x" conflict because "a" and "b" are different fields. Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 3), (1, 11), (1, 19), (1, 27)],
            )
        ],
    ),
    (
        "{ field { x: a y: c }, field { x: b y: d } }",
        [
            (
                'Fields "field" conflict because subfields "x" conflict because "a" and "b" are different fields and subfields "y" conflict because "c" and "d" are different fields. Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 3), (1, 11), (1, 16), (1, 24), (1, 32), (1, 37)],
            )
        ],
    ),
    (
        "{ field { deepField { x: a } }, field { deepField { x: b } } }",
        [
            (
                'Fields "field" conflict because subfields "deepField" conflict because subfields "x" conflict because "a" and "b" are different fields. Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 3), (1, 11), (1, 23), (1, 33), (1, 41), (1, 53)],
            )
        ],
    ),
    (
        "{ field { deepField { x: a } deepField { x: b } }, field { deepField { y } } }",
        [
            (
                'Fields "deepField" conflict because subfields "x" conflict because "a" and "b" are different fields. Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 11), (1, 23), (1, 30), (1, 42)],
            )
        ],
    ),
    (
        "{ field { ...F } field { ...F } } fragment F on T { deepField { deeperField { x: a } deeperField { x: b } }, deepField { deeperField { y } } }",
        [
            (
                'Fields "deeperField" conflict because subfields "x" conflict because "a" and "b" are different fields. Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 65), (1, 79), (1, 86), (1, 100)],
            )
        ],
    ),
    (
        "{ field { ...I } field { ...F } } fragment F on T { x: a ...G } fragment G on T { y: c } fragment I on T { y: d ...J } fragment J on T { x: b }",
        [
            (
                'Fields "field" conflict because subfields "y" conflict because "d" and "c" are different fields and subfields "x" conflict because "b" and "a" are different fields. Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 3), (1, 108), (1, 138), (1, 18), (1, 83), (1, 53)],
            )
        ],
    ),
    (
        "fragment F on T { ...G } fragment G on T { ...H } fragment H on T { x: a } { x: b ...F }",
        [
            (
                'Fields "x" conflict because "b" and "a" are different fields. Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 78), (1, 69)],
            )
        ],
    ),
    (
        "{ fragA ...fragA } fragment fragA on Type { fragA: b }",
        [
            (
                'Fields "fragA" conflict because "fragA" and "b" are different fields. Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 3), (1, 45)],
            )
        ],
    ),
    (
        "{ dog { ...on Dog { name } ... on Dog { name: nickname } } }",
        [
            (
                'Fields "name" conflict because "name" and "nickname" are different fields. Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 21), (1, 41)],
            )
        ],
    ),
    (
        "{ dog { name ... { name: barks } } }",
        [
            (
                'Fields "name" conflict because "name" and "barks" are different fields. Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 9), (1, 20)],
            )
        ],
    ),
    (
        "{ catOrDog { ... on Cat { x: name } ... on Dog { x: barkVolume } } }",
        [
            (
                'Fields "x" conflict because they return conflicting types "String" and "Int". Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 27), (1, 50)],
            )
        ],
    ),
    (
        "{ a: dog { name } a: cat { name } }",
        [
            (
                'Fields "a" conflict because "dog" and "cat" are different fields. Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 3), (1, 19)],
            )
        ],
    ),
    (
        "{ human { pets { ... on Dog { x: name } } } human { pets { ... on Dog { x: nickname } } } }",
        [
            (
                'Fields "human" conflict because subfields "pets" conflict because subfields "x" conflict because "name" and "nickname" are different fields. Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 3), (1, 11), (1, 31), (1, 45), (1, 53), (1, 73)],
            )
        ],
    ),
    (
        "query ($a: Boolean, $b: Boolean) { dog { name(surname: $a) name(surname: $b) } }",
        [
            (
                'Fields "name" conflict because they have differing arguments. Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 42), (1, 60)],
            )
        ],
    ),
    (
        "{ dog { __typename x: __typename x: name } }",
        [
            (
                'Fields "x" conflict because "__typename" and "name" are different fields. Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 20), (1, 34)],
            )
        ],
    ),
    (
        "{ dog { alias0: name alias1: name alias2: name alias3: name alias4: name alias5: name alias6: name alias7: name alias8: name alias9: name alias10: name alias11: name alias12: name alias13: name alias14: name alias15: name alias16: name alias17: name alias18: name alias19: name alias20: name alias21: name alias22: name alias23: name alias24: name } dog { alias0: nickname alias1: nickname alias2: nickname alias3: nickname alias4: nickname alias5: nickname alias6: nickname alias7: nickname alias8: nickname alias9: nickname alias10: nickname alias11: nickname alias12: nickname alias13: nickname alias14: nickname alias15: nickname alias16: nickname alias17: nickname alias18: nickname alias19: nickname alias20: nickname alias21: nickname alias22: nickname alias23: nickname alias24: nickname } }",
        [
            (
                'Fields "dog" conflict because subfields "alias0" conflict because "name" and "nickname" are different fields and subfields "alias1" conflict because "name" and "nickname" are different fields and subfields "alias2" conflict because "name" and "nickname" are different fields and subfields "alias3" conflict because "name" and "nickname" are different fields and subfields "alias4" conflict because "name" and "nickname" are different fields and subfields "alias5" conflict because "name" and "nickname" are different fields and subfields "alias6" conflict because "name" and "nickname" are different fields and subfields "alias7" conflict because "name" and "nickname" are different fields and subfields "alias8" conflict because "name" and "nickname" are different fields and subfields "alias9" conflict because "name" and "nickname" are different fields and subfields "alias10" conflict because "name" and "nickname" are different fields and subfields "alias11" conflict because "name" and "nickname" are different fields and su.... Use different aliases on the fields to fetch both if this was intentional.',
                [
                    (1, 3),
                    (1, 9),
                    (1, 22),
                    (1, 35),
                    (1, 48),
                    (1, 61),
                    (1, 74),
                    (1, 87),
                    (1, 100),
                    (1, 113),
                    (1, 126),
                    (1, 139),
                    (1, 153),
                    (1, 167),
                    (1, 181),
                    (1, 195),
                    (1, 209),
                    (1, 223),
                    (1, 237),
                    (1, 251),
                    (1, 351),
                    (1, 357),
                    (1, 374),
                    (1, 391),
                    (1, 408),
                    (1, 425),
                    (1, 442),
                    (1, 459),
                    (1, 476),
                    (1, 493),
                    (1, 510),
                    (1, 527),
                    (1, 545),
                    (1, 563),
                    (1, 581),
                    (1, 599),
                    (1, 617),
                    (1, 635),
                    (1, 653),
                    (1, 671),
                ],
            )
        ],
    ),
    (
        "{ ...A ...B ...A } fragment A on QueryRoot { dog { name } } fragment B on QueryRoot { dog { name: nickname } }",
        [
            (
                'Fields "dog" conflict because subfields "name" conflict because "name" and "nickname" are different fields. Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 46), (1, 52), (1, 87), (1, 93)],
            )
        ],
    ),
    (
        "{ dog { ...A } dog { ...B } cat { ...A } } fragment A on Pet { name } fragment B on Pet { name: nickname }",
        [
            (
                'Fields "dog" conflict because subfields "name" conflict because "name" and "nickname" are different fields. Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 3), (1, 64), (1, 16), (1, 91)],
            )
        ],
    ),
    (
        "{ d1: dog { ...A } d1: dog { ...B } d2: dog { ...B } d2: dog { ...A } } fragment A on Dog { x: name ...C } fragment B on Dog { x: name ...D } fragment C on Dog { y: barks } fragment D on Dog { y: nickname }",
        [
            (
                'Fields "d1" conflict because subfields "y" conflict because "barks" and "nickname" are different fields. Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 3), (1, 163), (1, 20), (1, 194)],
            )
        ],
    ),
    (
        "{ dog { ...A ...B } } fragment A on Dog { ...C } fragment B on Dog { ...D } fragment C on Dog { x: name } fragment D on Dog { x: nickname }",
        [
            (
                'Fields "x" conflict because "name" and "nickname" are different fields. Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 97), (1, 127)],
            )
        ],
    ),
]


@pytest.mark.parametrize("query", OVERLAPPING_FIELDS_CAN_BE_MERGED_VALID)
def test_overlapping_fields_can_be_merged_rule_accepts(query: str) -> None:
    expect_valid(OverlappingFieldsCanBeMergedRule, query)


@pytest.mark.parametrize(("query", "expected"), OVERLAPPING_FIELDS_CAN_BE_MERGED_INVALID)
def test_overlapping_fields_can_be_merged_rule_rejects(
    query: str, expected: list[Expected]
) -> None:
    expect_errors(OverlappingFieldsCanBeMergedRule, query, expected)


OVERLAPPING_FIELDS_CAN_BE_MERGED_WITH_BOX_VALID = [
    "{ f(a: null, b: null) f(b: null, a: null) }",
    "{ f(arg: { a: null, b: null }) f(arg: { b: null, a: null }) }",
    '{ f(arg: { a: "x", c: [{a: "y"}] }) f(arg: { c: [{a: "y"}], a: "x" }) }',
    "{ someBox { ... on SomeBox { deepBox { unrelatedField } } ... on StringBox { deepBox { unrelatedField } } } }",
    "{ someBox { ... on IntBox { scalar: unrelatedField } ... on StringBox { scalar } } }",
    "{ someBox { ...on NonNullStringBox1 { scalar } ...on NonNullStringBox2 { scalar } } }",
    "{ a ... { a } }",
    "{ someBox { ...on UnknownType { scalar } ...on NonNullStringBox2 { scalar } } }",
    "{ someBox { ... on IntBox { b: listStringBox { scalar } } ... on StringBox { b: listStringBox { scalar } } } }",
]

OVERLAPPING_FIELDS_CAN_BE_MERGED_WITH_BOX_INVALID: list[tuple[str, list[Expected]]] = [
    (
        '{ f(arg: { a: "x" }) f(arg: { a: """x""" }) }',
        [
            (
                'Fields "f" conflict because they have differing arguments. Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 3), (1, 22)],
            )
        ],
    ),
    (
        '{ f(a: "1") f(a: "2") }',
        [
            (
                'Fields "f" conflict because they have differing arguments. Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 3), (1, 13)],
            )
        ],
    ),
    (
        '{ f(a: "1", b: "2") f(a: "1") }',
        [
            (
                'Fields "f" conflict because they have differing arguments. Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 3), (1, 21)],
            )
        ],
    ),
    (
        '{ f(a: ENUM) f(a: "ENUM") }',
        [
            (
                'Fields "f" conflict because they have differing arguments. Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 3), (1, 14)],
            )
        ],
    ),
    (
        "{ f(a: 1) f(a: 1.0) }",
        [
            (
                'Fields "f" conflict because they have differing arguments. Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 3), (1, 11)],
            )
        ],
    ),
    (
        "{ f(a: [1, 2]) f(a: [1, 2]) f(b: null) }",
        [
            (
                'Fields "f" conflict because they have differing arguments. Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 3), (1, 29)],
            ),
            (
                'Fields "f" conflict because they have differing arguments. Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 16), (1, 29)],
            ),
        ],
    ),
    (
        "{ someBox { ...on IntBox { scalar } ...on NonNullStringBox1 { scalar } } }",
        [
            (
                'Fields "scalar" conflict because they return conflicting types "Int" and "String!". Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 28), (1, 63)],
            )
        ],
    ),
    (
        "{ someBox { ... on IntBox { scalar } ... on StringBox { scalar } } }",
        [
            (
                'Fields "scalar" conflict because they return conflicting types "Int" and "String". Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 29), (1, 57)],
            )
        ],
    ),
    (
        "{\n  someBox {\n    ... on IntBox {\n      deepBox {\n        ...X\n      }\n    }\n  }\n  someBox {\n    ... on StringBox {\n      deepBox {\n        ...Y\n      }\n    }\n  }\n  memoed: someBox {\n    ... on IntBox {\n      deepBox {\n        ...X\n      }\n    }\n  }\n  memoed: someBox {\n    ... on StringBox {\n      deepBox {\n        ...Y\n      }\n    }\n  }\n  other: someBox {\n    ...X\n  }\n  other: someBox {\n    ...Y\n  }\n}\nfragment X on SomeBox {\n  scalar\n}\nfragment Y on SomeBox {\n  scalar: unrelatedField\n}",
        [
            (
                'Fields "other" conflict because subfields "scalar" conflict because "scalar" and "unrelatedField" are different fields. Use different aliases on the fields to fetch both if this was intentional.',
                [(30, 3), (38, 3), (33, 3), (41, 3)],
            )
        ],
    ),
    (
        "{ someBox { ... on NonNullStringBox1 { scalar } ... on StringBox { scalar } } }",
        [
            (
                'Fields "scalar" conflict because they return conflicting types "String!" and "String". Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 40), (1, 68)],
            )
        ],
    ),
    (
        "{ someBox { ... on IntBox { box: listStringBox { scalar } } ... on StringBox { box: stringBox { scalar } } } }",
        [
            (
                'Fields "box" conflict because they return conflicting types "[StringBox]" and "StringBox". Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 29), (1, 80)],
            )
        ],
    ),
    (
        "{ someBox { ... on IntBox { box: stringBox { scalar } } ... on StringBox { box: listStringBox { scalar } } } }",
        [
            (
                'Fields "box" conflict because they return conflicting types "StringBox" and "[StringBox]". Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 29), (1, 76)],
            )
        ],
    ),
    (
        "{ someBox { ... on IntBox { box: stringBox { val: scalar val: unrelatedField } } ... on StringBox { box: stringBox { val: scalar } } } }",
        [
            (
                'Fields "val" conflict because "scalar" and "unrelatedField" are different fields. Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 46), (1, 58)],
            )
        ],
    ),
    (
        "{ someBox { ... on IntBox { box: stringBox { scalar } } ... on StringBox { box: intBox { scalar } } } }",
        [
            (
                'Fields "box" conflict because subfields "scalar" conflict because they return conflicting types "String" and "Int". Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 29), (1, 46), (1, 76), (1, 90)],
            )
        ],
    ),
    (
        "{ connection { ...edgeID edges { node { id: name } } } } fragment edgeID on Connection { edges { node { id } } }",
        [
            (
                'Fields "edges" conflict because subfields "node" conflict because subfields "id" conflict because "name" and "id" are different fields. Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 26), (1, 34), (1, 41), (1, 90), (1, 98), (1, 105)],
            )
        ],
    ),
    (
        "{ someBox { ... on IntBox { deepBox { deepBox { scalar } } } ... on StringBox { deepBox { deepBox { scalar } } } } }",
        [
            (
                'Fields "deepBox" conflict because subfields "deepBox" conflict because subfields "scalar" conflict because they return conflicting types "Int" and "String". Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 29), (1, 39), (1, 49), (1, 81), (1, 91), (1, 101)],
            )
        ],
    ),
    (
        "{ someBox { ... on NonNullStringBox1Impl { scalar } ... on NonNullStringBox1 { scalar } ... on StringBox { s: scalar } ... on IntBox { s: scalar } } }",
        [
            (
                'Fields "s" conflict because they return conflicting types "String" and "Int". Use different aliases on the fields to fetch both if this was intentional.',
                [(1, 108), (1, 136)],
            )
        ],
    ),
]


@pytest.mark.parametrize("query", OVERLAPPING_FIELDS_CAN_BE_MERGED_WITH_BOX_VALID)
def test_overlapping_fields_can_be_merged_rule_with_box_accepts(query: str) -> None:
    expect_valid(OverlappingFieldsCanBeMergedRule, query, sdl=BOX_SDL)


@pytest.mark.parametrize(("query", "expected"), OVERLAPPING_FIELDS_CAN_BE_MERGED_WITH_BOX_INVALID)
def test_overlapping_fields_can_be_merged_rule_with_box_rejects(
    query: str, expected: list[Expected]
) -> None:
    expect_errors(OverlappingFieldsCanBeMergedRule, query, expected, sdl=BOX_SDL)
