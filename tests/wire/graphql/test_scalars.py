"""The built-in scalars with Python's numbers and objects (section 3.5)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from tests.peers import require_module

from wire.graphql import (
    GraphQLBoolean,
    GraphQLError,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLScalarType,
    GraphQLString,
    is_specified_scalar_type,
    parse_value,
    specified_scalar_types,
)

INT = "Int cannot represent non-integer value: "
INT32 = "Int cannot represent non 32-bit signed integer value: "
FLOAT = "Float cannot represent non numeric value: "
BOOLEAN = "Boolean cannot represent a non boolean value: "


class Index:
    """An integer of a non-builtin type (declares ``__index__``)."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __index__(self) -> int:
        return self.value


class BadFloat:
    """A number whose conversions fail."""

    def __float__(self) -> float:
        raise ValueError("no")


class Named:
    def __str__(self) -> str:
        return "named"


@pytest.mark.parametrize(
    ("scalar", "value", "result"),
    [
        (GraphQLInt, Decimal(3), 3),
        (GraphQLInt, Fraction(4, 1), 4),
        (GraphQLInt, Index(5), 5),
        (GraphQLInt, True, 1),
        (GraphQLInt, "12", 12),
        (GraphQLFloat, Decimal("1.5"), 1.5),
        (GraphQLFloat, Index(2), 2.0),
        (GraphQLFloat, False, 0.0),
        (GraphQLFloat, " 2.5 ", 2.5),
        (GraphQLString, Named(), "named"),
        (GraphQLString, 1.5, "1.5"),
        (GraphQLString, True, "true"),
        (GraphQLString, 7, "7"),
        (GraphQLBoolean, Decimal(0), False),
        (GraphQLBoolean, Fraction(1, 2), True),
        (GraphQLBoolean, 2, True),
        (GraphQLBoolean, 0.0, False),
        (GraphQLID, Named(), "named"),
        (GraphQLID, 3.0, "3"),
        (GraphQLID, "x", "x"),
    ],
)
def test_serialize(scalar: GraphQLScalarType, value: Any, result: Any) -> None:
    assert scalar.serialize(value) == result
    assert type(scalar.serialize(value)) is type(result)


@pytest.mark.parametrize(
    ("scalar", "value", "message"),
    [
        (GraphQLInt, Decimal("1.5"), INT + "<Decimal instance>"),
        (GraphQLInt, Decimal("NaN"), INT + "<Decimal instance>"),
        (GraphQLInt, Decimal("Infinity"), INT + "<Decimal instance>"),
        (GraphQLInt, BadFloat(), INT + "<BadFloat instance>"),
        (GraphQLInt, Index(2**40), INT32 + "<Index instance>"),
        (GraphQLInt, Decimal(2**40), INT32 + "<Decimal instance>"),
        (GraphQLInt, "", INT + '""'),
        (GraphQLInt, "1.5", INT + '"1.5"'),
        (GraphQLInt, "9999999999", INT32 + '"9999999999"'),
        (GraphQLInt, 1.5, "Int cannot represent non-integer value: 1.5"),
        (GraphQLInt, float("inf"), "Int cannot represent non-integer value: Infinity"),
        (GraphQLInt, None, "Int cannot represent non-integer value: null"),
        (GraphQLFloat, BadFloat(), FLOAT + "<BadFloat instance>"),
        (GraphQLFloat, Decimal("NaN"), FLOAT + "<Decimal instance>"),
        (GraphQLFloat, "", FLOAT + '""'),
        (GraphQLFloat, "x", FLOAT + '"x"'),
        (GraphQLFloat, "inf", FLOAT + '"inf"'),
        (GraphQLFloat, 10**400, FLOAT + "1" + "0" * 117
         + "..." + "0" * 119 + " (value is too large)"),
        (GraphQLFloat, 2**53 + 1, FLOAT + "9007199254740993"
         " (value would lose precision)"),
        (GraphQLFloat, [1], FLOAT + "[1]"),
        (GraphQLString, float("nan"), "String cannot represent value: NaN"),
        (GraphQLString, [1], "String cannot represent value: [1]"),
        (GraphQLBoolean, float("inf"), BOOLEAN + "Infinity"),
        (GraphQLBoolean, Decimal("NaN"), BOOLEAN + "<Decimal instance>"),
        (GraphQLBoolean, BadFloat(), BOOLEAN + "<BadFloat instance>"),
        (GraphQLBoolean, "true", BOOLEAN + '"true"'),
        (GraphQLID, 1.5, "ID cannot represent value: 1.5"),
        (GraphQLID, float("nan"), "ID cannot represent value: NaN"),
        (GraphQLID, None, "ID cannot represent value: null"),
    ],
)  # fmt: skip
def test_serialize_errors(scalar: GraphQLScalarType, value: Any, message: str) -> None:
    with pytest.raises(GraphQLError) as error:
        scalar.serialize(value)
    assert error.value.message == message


@pytest.mark.parametrize(
    ("scalar", "value", "outcome"),
    [
        (GraphQLInt, 1.0, 1),
        (GraphQLInt, True, "Int cannot represent non-integer value: true"),
        (GraphQLInt, 2**31, INT32 + "2147483648"),
        (GraphQLFloat, 1, 1.0),
        (GraphQLFloat, float("nan"), FLOAT + "NaN"),
        (GraphQLFloat, "1", FLOAT + '"1"'),
        (GraphQLString, "s", "s"),
        (GraphQLString, 1, "String cannot represent a non string value: 1"),
        (GraphQLBoolean, False, False),
        (GraphQLBoolean, 0, BOOLEAN + "0"),
        (GraphQLID, 12, "12"),
        (GraphQLID, True, "ID cannot represent value: true"),
    ],
)
def test_parse_value(scalar: GraphQLScalarType, value: Any, outcome: Any) -> None:
    try:
        assert scalar.parse_value(value) == outcome
    except GraphQLError as error:
        assert error.message == outcome


@pytest.mark.parametrize(
    ("scalar", "literal", "outcome"),
    [
        (GraphQLInt, "-12", -12),
        (GraphQLInt, "2147483648", INT32 + "2147483648"),
        (GraphQLInt, "1.0", "Int cannot represent non-integer value: 1.0"),
        (GraphQLFloat, "2", 2.0),
        (GraphQLFloat, "true", FLOAT + "true"),
        (GraphQLString, '"""x"""', "x"),
        (GraphQLString, "ENUM", "String cannot represent a non string value: ENUM"),
        (GraphQLBoolean, "false", False),
        (GraphQLBoolean, "[true]", BOOLEAN + "[true]"),
        (GraphQLID, '"007"', "007"),
        (GraphQLID, "7", "7"),
        (GraphQLID, "1.5", "ID cannot represent a non-string and non-integer value: 1.5"),
    ],
)  # fmt: skip
def test_parse_literal(scalar: GraphQLScalarType, literal: str, outcome: Any) -> None:
    node = parse_value(literal)
    try:
        assert scalar.parse_literal(node, None) == outcome
    except GraphQLError as error:
        assert error.message == outcome
        assert error.nodes == [node]


def test_specified_scalars() -> None:
    assert list(specified_scalar_types) == ["String", "Int", "Float", "Boolean", "ID"]
    assert all(is_specified_scalar_type(scalar) for scalar in specified_scalar_types.values())
    assert not is_specified_scalar_type(GraphQLScalarType("Date"))
    assert GraphQLInt.description is not None


@pytest.mark.parametrize("name", ["Int", "Float", "String", "Boolean", "ID"])
@pytest.mark.parametrize(
    "value",
    [Decimal(3), Decimal("1.5"), Decimal("NaN"), Fraction(1, 2), Index(5), Index(2**40),
     BadFloat(), Named(), 10**400],
    ids=repr,
)  # fmt: skip
def test_python_numbers_serialize_like_graphql_core(name: str, value: Any) -> None:
    require_module("graphql")
    import graphql

    ours = specified_scalar_types[name]
    theirs = graphql.specified_scalar_types[name]
    try:
        expected: Any = ("ok", theirs.serialize(value))
    except graphql.GraphQLError as error:
        expected = ("error", error.message.replace("'", '"'))
    try:
        actual: Any = ("ok", ours.serialize(value))
    except GraphQLError as error:
        actual = ("error", error.message)
    assert actual == expected
