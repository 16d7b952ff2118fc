"""The five built-in scalar types: Int, Float, String, Boolean, ID (section 3.5).

Each has result coercion (``serialize``: a resolver's value -> a JSON value) and
input coercion (``parse_value`` for a variable's JSON value, ``parse_literal``
for a literal in the document), with the rules of sections 3.5.1-3.5.5 and the
error messages of graphql-js (``Int cannot represent non-integer value: 1.5``).

Python values map as graphql-core maps them: ``bool`` is not a number on input,
an integral ``float`` is an Int, numbers of other types (``Decimal``,
``Fraction``, NumPy scalars, objects with ``__index__``) serialize as numbers,
and objects of non-builtin types serialize as String or ID through ``str()``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from operator import index
from typing import Any

from wire.graphql._ast import (
    BooleanValueNode,
    FloatValueNode,
    IntValueNode,
    StringValueNode,
    ValueNode,
)
from wire.graphql._definition import GraphQLNamedType, GraphQLScalarType
from wire.graphql._errors import GraphQLError, inspect
from wire.graphql._printer import print_ast

__all__ = [
    "GRAPHQL_MAX_INT",
    "GRAPHQL_MIN_INT",
    "GraphQLBoolean",
    "GraphQLFloat",
    "GraphQLID",
    "GraphQLInt",
    "GraphQLString",
    "is_specified_scalar_type",
    "specified_scalar_types",
]

#: Int is a signed 32-bit integer (section 3.5.1).
GRAPHQL_MAX_INT = 2_147_483_647
#: The smallest Int (section 3.5.1).
GRAPHQL_MIN_INT = -2_147_483_648


def _is_builtin(value: Any) -> bool:
    return type(value).__module__ == "builtins"


def _is_numeric_object(value: Any) -> bool:
    # Decimal, Fraction, NumPy scalars: numbers that do not subclass int or float.
    return not _is_builtin(value) and hasattr(type(value), "__float__")


def _is_integer_object(value: Any) -> bool:
    # Objects that declare a lossless int conversion through __index__.
    return not _is_builtin(value) and hasattr(type(value), "__index__")


# Int (section 3.5.1) ----------------------------------------------------------------


def _int_error(value: Any) -> GraphQLError:
    return GraphQLError("Int cannot represent non-integer value: " + inspect(value))


def _int_in_range(number: int, value: Any) -> int:
    if GRAPHQL_MIN_INT <= number <= GRAPHQL_MAX_INT:
        return number
    raise GraphQLError("Int cannot represent non 32-bit signed integer value: " + inspect(value))


def _int_from_number(value: int | float) -> int:
    if isinstance(value, float) and (not math.isfinite(value) or int(value) != value):
        raise _int_error(value)
    return _int_in_range(int(value), value)


def serialize_int(output_value: Any) -> int:
    """Result coercion to Int.

    Raises:
        GraphQLError: the value is not an integer, or not a 32-bit one.
    """
    if type(output_value) is int and GRAPHQL_MIN_INT <= output_value <= GRAPHQL_MAX_INT:
        return output_value  # the common case, first
    if isinstance(output_value, bool):
        return int(output_value)
    if isinstance(output_value, (int, float)):
        return _int_from_number(output_value)
    if isinstance(output_value, str):
        try:
            number = int(output_value) if output_value else None
        except ValueError:
            number = None
        if number is None:
            raise _int_error(output_value)
        return _int_in_range(number, output_value)
    if _is_numeric_object(output_value):
        try:
            number = int(output_value)
        except (OverflowError, TypeError, ValueError):
            raise _int_error(output_value) from None
        if number != output_value:
            raise _int_error(output_value)
        return _int_in_range(number, output_value)
    if _is_integer_object(output_value):
        return _int_in_range(index(output_value), output_value)
    raise _int_error(output_value)


def coerce_int(input_value: Any) -> int:
    """Input coercion of a variable's value to Int.

    Raises:
        GraphQLError: the value is not an integral number, or not a 32-bit one.
    """
    if isinstance(input_value, (int, float)) and not isinstance(input_value, bool):
        return _int_from_number(input_value)
    raise _int_error(input_value)


def parse_int_literal(value_node: ValueNode, _variables: Mapping[str, Any] | None = None) -> int:
    """Input coercion of a literal to Int: only an IntValue in 32 bits.

    Raises:
        GraphQLError: the literal is not an IntValue or out of range.
    """
    if not isinstance(value_node, IntValueNode):
        raise GraphQLError(
            "Int cannot represent non-integer value: " + print_ast(value_node), value_node
        )
    number = int(value_node.value)
    if not GRAPHQL_MIN_INT <= number <= GRAPHQL_MAX_INT:
        raise GraphQLError(
            "Int cannot represent non 32-bit signed integer value: " + value_node.value,
            value_node,
        )
    return number


# Float (section 3.5.2) -------------------------------------------------------------


def _float_error(value: Any, detail: str = "") -> GraphQLError:
    return GraphQLError("Float cannot represent non numeric value: " + inspect(value) + detail)


def _float_from_float(value: float) -> float:
    if not math.isfinite(value):
        raise _float_error(value)
    return float(value)


def _float_from_int(value: int) -> float:
    # A Python int may be too large for a float, or lose precision in one.
    try:
        number = float(value)
    except OverflowError:
        raise _float_error(value, " (value is too large)") from None
    if int(number) != value:
        raise _float_error(value, " (value would lose precision)")
    return number


def serialize_float(output_value: Any) -> float:
    """Result coercion to Float.

    Raises:
        GraphQLError: the value is not a finite number.
    """
    if type(output_value) is float and math.isfinite(output_value):
        return output_value  # the common case, first
    if isinstance(output_value, bool):
        return 1.0 if output_value else 0.0
    if isinstance(output_value, float):
        return _float_from_float(output_value)
    if isinstance(output_value, int):
        return _float_from_int(output_value)
    if isinstance(output_value, str):
        try:
            number = float(output_value) if output_value else math.nan
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise _float_error(output_value)
        return number
    if _is_numeric_object(output_value):
        try:
            number = float(output_value)
        except (OverflowError, ValueError):
            number = math.nan
        if math.isfinite(number):
            return number
    elif _is_integer_object(output_value):
        return _float_from_int(index(output_value))
    raise _float_error(output_value)


def coerce_float(input_value: Any) -> float:
    """Input coercion of a variable's value to Float.

    Raises:
        GraphQLError: the value is not a finite number.
    """
    if isinstance(input_value, float):
        return _float_from_float(input_value)
    if isinstance(input_value, int) and not isinstance(input_value, bool):
        return _float_from_int(input_value)
    raise _float_error(input_value)


def parse_float_literal(
    value_node: ValueNode, _variables: Mapping[str, Any] | None = None
) -> float:
    """Input coercion of a literal to Float: a FloatValue or IntValue.

    Raises:
        GraphQLError: the literal is not a number.
    """
    if not isinstance(value_node, (FloatValueNode, IntValueNode)):
        raise GraphQLError(
            "Float cannot represent non numeric value: " + print_ast(value_node), value_node
        )
    return float(value_node.value)


# String (section 3.5.3) ------------------------------------------------------------


def serialize_string(output_value: Any) -> str:
    """Result coercion to String: strings, booleans, numbers, and non-builtin objects.

    Raises:
        GraphQLError: the value is a builtin value that is not text.
    """
    if isinstance(output_value, str):
        return output_value
    if isinstance(output_value, bool):
        return "true" if output_value else "false"
    if isinstance(output_value, float):
        if not math.isfinite(output_value):
            raise GraphQLError("String cannot represent value: " + inspect(output_value))
        return str(output_value)
    if isinstance(output_value, int):
        return str(output_value)
    if _is_builtin(output_value):
        raise GraphQLError("String cannot represent value: " + inspect(output_value))
    return str(output_value)


def coerce_string(input_value: Any) -> str:
    """Input coercion of a variable's value to String: only a string.

    Raises:
        GraphQLError: the value is not a string.
    """
    if not isinstance(input_value, str):
        raise GraphQLError("String cannot represent a non string value: " + inspect(input_value))
    return input_value


def parse_string_literal(value_node: ValueNode, _variables: Mapping[str, Any] | None = None) -> str:
    """Input coercion of a literal to String: only a StringValue.

    Raises:
        GraphQLError: the literal is not a string.
    """
    if not isinstance(value_node, StringValueNode):
        raise GraphQLError(
            "String cannot represent a non string value: " + print_ast(value_node), value_node
        )
    return value_node.value


# Boolean (section 3.5.4) --------------------------------------------------------------


def _boolean_error(value: Any) -> GraphQLError:
    return GraphQLError("Boolean cannot represent a non boolean value: " + inspect(value))


def serialize_boolean(output_value: Any) -> bool:
    """Result coercion to Boolean: booleans, and finite numbers (non-zero is true).

    Raises:
        GraphQLError: the value is neither a boolean nor a finite number.
    """
    if isinstance(output_value, bool):
        return output_value
    if isinstance(output_value, float):
        if not math.isfinite(output_value):
            raise _boolean_error(output_value)
        return output_value != 0
    if isinstance(output_value, int):
        return output_value != 0
    if _is_numeric_object(output_value):
        try:
            number = float(output_value)
        except (OverflowError, ValueError):
            number = math.nan
        if math.isfinite(number):
            return number != 0
    raise _boolean_error(output_value)


def coerce_boolean(input_value: Any) -> bool:
    """Input coercion of a variable's value to Boolean: only a boolean.

    Raises:
        GraphQLError: the value is not a boolean.
    """
    if not isinstance(input_value, bool):
        raise _boolean_error(input_value)
    return input_value


def parse_boolean_literal(
    value_node: ValueNode, _variables: Mapping[str, Any] | None = None
) -> bool:
    """Input coercion of a literal to Boolean: only a BooleanValue.

    Raises:
        GraphQLError: the literal is not a boolean.
    """
    if not isinstance(value_node, BooleanValueNode):
        raise GraphQLError(
            "Boolean cannot represent a non boolean value: " + print_ast(value_node), value_node
        )
    return value_node.value


# ID (section 3.5.5) -----------------------------------------------------------------


def _id_from_number(value: int | float) -> str:
    if isinstance(value, float) and (not math.isfinite(value) or int(value) != value):
        raise GraphQLError("ID cannot represent value: " + inspect(value))
    return str(int(value))


def serialize_id(output_value: Any) -> str:
    """Result coercion to ID: strings, integral numbers, and non-builtin objects.

    Raises:
        GraphQLError: the value cannot stand for an identifier.
    """
    if isinstance(output_value, str):
        return output_value
    if type(output_value) is int:
        return str(output_value)
    if isinstance(output_value, (int, float)) and not isinstance(output_value, bool):
        return _id_from_number(output_value)
    if _is_builtin(output_value):
        raise GraphQLError("ID cannot represent value: " + inspect(output_value))
    return str(output_value)


def coerce_id(input_value: Any) -> str:
    """Input coercion of a variable's value to ID: a string or an integral number.

    Raises:
        GraphQLError: the value is neither.
    """
    if isinstance(input_value, str):
        return input_value
    if isinstance(input_value, (int, float)) and not isinstance(input_value, bool):
        return _id_from_number(input_value)
    raise GraphQLError("ID cannot represent value: " + inspect(input_value))


def parse_id_literal(value_node: ValueNode, _variables: Mapping[str, Any] | None = None) -> str:
    """Input coercion of a literal to ID: a StringValue or an IntValue.

    Raises:
        GraphQLError: the literal is neither.
    """
    if not isinstance(value_node, (StringValueNode, IntValueNode)):
        raise GraphQLError(
            "ID cannot represent a non-string and non-integer value: " + print_ast(value_node),
            value_node,
        )
    return value_node.value


GraphQLInt = GraphQLScalarType(
    "Int",
    serialize_int,
    coerce_int,
    parse_int_literal,
    description="The `Int` scalar type represents non-fractional signed whole numeric values."
    " Int can represent values between -(2^31) and 2^31 - 1.",
)
GraphQLFloat = GraphQLScalarType(
    "Float",
    serialize_float,
    coerce_float,
    parse_float_literal,
    description="The `Float` scalar type represents signed double-precision fractional values"
    " as specified by [IEEE 754](https://en.wikipedia.org/wiki/IEEE_floating_point).",
)
GraphQLString = GraphQLScalarType(
    "String",
    serialize_string,
    coerce_string,
    parse_string_literal,
    description="The `String` scalar type represents textual data, represented as UTF-8"
    " character sequences. The String type is most often used by GraphQL to represent"
    " free-form human-readable text.",
)
GraphQLBoolean = GraphQLScalarType(
    "Boolean",
    serialize_boolean,
    coerce_boolean,
    parse_boolean_literal,
    description="The `Boolean` scalar type represents `true` or `false`.",
)
GraphQLID = GraphQLScalarType(
    "ID",
    serialize_id,
    coerce_id,
    parse_id_literal,
    description="The `ID` scalar type represents a unique identifier, often used to refetch"
    " an object or as key for a cache. The ID type appears in a JSON response as a String;"
    " however, it is not intended to be human-readable. When expected as an input type,"
    ' any string (such as `"4"`) or integer (such as `4`) input value will be accepted'
    " as an ID.",
)

#: The built-in scalars by name.
specified_scalar_types: dict[str, GraphQLScalarType] = {
    scalar.name: scalar
    for scalar in (GraphQLString, GraphQLInt, GraphQLFloat, GraphQLBoolean, GraphQLID)
}


def is_specified_scalar_type(type_: GraphQLNamedType) -> bool:
    """Whether ``type_`` is one of the five built-in scalars (by name, as graphql-js)."""
    return type_.name in specified_scalar_types
