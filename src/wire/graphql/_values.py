"""Input values: literals and variable values to Python values, and back (section 5.6, 6.1.2).

Coercion and validation are split as graphql-js 17 splits them, so the common
case is fast and the error case is thorough:

* :func:`coerce_input_value` (a variable's JSON value) and
  :func:`coerce_input_literal` / :func:`value_from_ast` (a literal in the document)
  return the coerced Python value, or ``Undefined`` when the value is invalid.
* :func:`validate_input_value` and :func:`validate_input_literal` explain *why* a
  value is invalid: they call ``on_error(error, path)`` once per problem, with
  graphql-js 17's messages and the path (field names and list indexes) inside the
  value.

Enum values coerce to their ``GraphQLEnumValue.value`` (the name when that is
``None``); input objects coerce to dicts, with the fields' default values filled in.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from wire.graphql._ast import (
    BooleanValueNode,
    EnumValueNode,
    FloatValueNode,
    IntValueNode,
    ListValueNode,
    NameNode,
    NullValueNode,
    ObjectFieldNode,
    ObjectValueNode,
    StringValueNode,
    ValueNode,
    VariableNode,
)
from wire.graphql._definition import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLType,
    Undefined,
    is_required_input_field,
)
from wire.graphql._errors import GraphQLError, did_you_mean, inspect, suggestion_list
from wire.graphql._printer import print_ast
from wire.graphql._scalars import GraphQLID

__all__ = [
    "ast_from_value",
    "coerce_input_literal",
    "coerce_input_value",
    "print_path_list",
    "validate_input_literal",
    "validate_input_value",
    "value_from_ast",
    "value_from_ast_untyped",
]

#: ``on_error(error, path)``: one problem in a value, at ``path`` inside it.
OnError = Callable[[GraphQLError, list[str | int]], None]

_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")


def _is_iterable(value: Any) -> bool:
    # A list value may be any iterable but a string or a mapping (as graphql-core).
    return isinstance(value, Iterable) and not isinstance(value, (str, bytes, Mapping))


def print_path_list(path: Iterable[str | int]) -> str:
    """`` at .a[0].b`` for a path inside a value, or ``""`` for the value itself."""
    text = "".join(f"[{key}]" if isinstance(key, int) else f".{key}" for key in path)
    return f" at {text}" if text else ""


# Literals without a type -----------------------------------------------------------


def value_from_ast_untyped(
    value_node: ValueNode, variables: Mapping[str, Any] | None = None
) -> Any:
    """The plain Python value a literal spells: dict, list, str, int, float, bool, None.

    Enum values become their name. A variable becomes its value from ``variables``,
    or ``Undefined`` when it has none.
    """
    if isinstance(value_node, IntValueNode):
        return int(value_node.value)
    if isinstance(value_node, FloatValueNode):
        return float(value_node.value)
    if isinstance(value_node, (StringValueNode, EnumValueNode, BooleanValueNode)):
        return value_node.value
    if isinstance(value_node, ListValueNode):
        return [value_from_ast_untyped(item, variables) for item in value_node.values]
    if isinstance(value_node, ObjectValueNode):
        return {
            field.name.value: value_from_ast_untyped(field.value, variables)
            for field in value_node.fields
        }
    if isinstance(value_node, VariableNode):
        return variables.get(value_node.name.value, Undefined) if variables else Undefined
    return None  # NullValueNode


# Literals with a type ------------------------------------------------------------------


def _is_missing_variable(value_node: ValueNode, variables: Mapping[str, Any] | None) -> bool:
    return isinstance(value_node, VariableNode) and (
        not variables or variables.get(value_node.name.value, Undefined) is Undefined
    )


def value_from_ast(
    value_node: ValueNode | None, type_: GraphQLType, variables: Mapping[str, Any] | None = None
) -> Any:
    """Coerce a literal to a Python value of ``type_`` (graphql-js ``valueFromAST``).

    Args:
        value_node: The literal (``None`` gives ``Undefined``).
        type_: The input type to coerce to.
        variables: The coerced variable values, for variables in the literal.

    Returns:
        The value, or ``Undefined`` when the literal is not a valid ``type_`` value
        (or is a variable without a value).
    """
    if value_node is None:
        return Undefined
    if isinstance(value_node, VariableNode):
        value = variables.get(value_node.name.value, Undefined) if variables else Undefined
        if value is None and isinstance(type_, GraphQLNonNull):
            return Undefined
        return value
    if isinstance(type_, GraphQLNonNull):
        if isinstance(value_node, NullValueNode):
            return Undefined
        return value_from_ast(value_node, type_.of_type, variables)
    if isinstance(value_node, NullValueNode):
        return None
    if isinstance(type_, GraphQLList):
        item_type = type_.of_type
        if not isinstance(value_node, ListValueNode):
            item = value_from_ast(value_node, item_type, variables)
            return Undefined if item is Undefined else [item]
        items: list[Any] = []
        for item_node in value_node.values:
            if _is_missing_variable(item_node, variables):
                if isinstance(item_type, GraphQLNonNull):
                    return Undefined
                items.append(None)
                continue
            item = value_from_ast(item_node, item_type, variables)
            if item is Undefined:
                return Undefined
            items.append(item)
        return items
    if isinstance(type_, GraphQLInputObjectType):
        if not isinstance(value_node, ObjectValueNode):
            return Undefined
        return _object_from_ast(value_node, type_, variables, value_from_ast)
    return _leaf_from_ast(value_node, type_, variables)


def _object_from_ast(
    value_node: ObjectValueNode,
    type_: GraphQLInputObjectType,
    variables: Mapping[str, Any] | None,
    coerce: Callable[[ValueNode, GraphQLType, Mapping[str, Any] | None], Any],
) -> Any:
    field_defs = type_.fields
    field_nodes = {field.name.value: field for field in value_node.fields}
    if any(name not in field_defs for name in field_nodes):
        return Undefined
    result: dict[str, Any] = {}
    for name, field in field_defs.items():
        field_node = field_nodes.get(name)
        if field_node is None or _is_missing_variable(field_node.value, variables):
            if field.default_value is not Undefined:
                result[name] = field.default_value
            elif isinstance(field.type, GraphQLNonNull):
                return Undefined
            continue
        value = coerce(field_node.value, field.type, variables)
        if value is Undefined:
            return Undefined
        result[name] = value
    if type_.is_one_of:
        # OneOf Input Objects (working draft): exactly one field, and not null.
        if len(field_nodes) != 1 or len(result) != 1:
            return Undefined
        ((name, field_node),) = field_nodes.items()
        if isinstance(field_node.value, NullValueNode) or result.get(name, Undefined) is None:
            return Undefined
    return result


def _leaf_from_ast(
    value_node: ValueNode, type_: GraphQLType, variables: Mapping[str, Any] | None
) -> Any:
    if not isinstance(type_, (GraphQLScalarType, GraphQLEnumType)):
        raise TypeError(f"Expected {inspect(type_)} to be a GraphQL input type.")
    try:
        return type_.parse_literal(value_node, dict(variables) if variables else None)
    except Exception:  # any failure of a custom scalar means "invalid"
        return Undefined


def coerce_input_literal(
    value_node: ValueNode, type_: GraphQLType, variables: Mapping[str, Any] | None = None
) -> Any:
    """Coerce a literal to a Python value of ``type_`` (graphql-js 17 ``coerceInputLiteral``).

    Like :func:`value_from_ast`, except that a variable without a value stands for
    ``null`` in a nullable list item, and is invalid where a non-null value is needed.

    Returns:
        The value, or ``Undefined`` when the literal is invalid.
    """
    if isinstance(value_node, VariableNode):
        value = variables.get(value_node.name.value, Undefined) if variables else Undefined
        if (value is None or value is Undefined) and isinstance(type_, GraphQLNonNull):
            return Undefined
        return value
    if isinstance(type_, GraphQLNonNull):
        if isinstance(value_node, NullValueNode):
            return Undefined
        return coerce_input_literal(value_node, type_.of_type, variables)
    if isinstance(value_node, NullValueNode):
        return None
    if isinstance(type_, GraphQLList):
        item_type = type_.of_type
        if not isinstance(value_node, ListValueNode):
            item = coerce_input_literal(value_node, item_type, variables)
            return Undefined if item is Undefined else [item]
        items: list[Any] = []
        for item_node in value_node.values:
            item = coerce_input_literal(item_node, item_type, variables)
            if item is Undefined:
                if isinstance(item_node, VariableNode) and not isinstance(
                    item_type, GraphQLNonNull
                ):
                    items.append(None)
                    continue
                return Undefined
            items.append(item)
        return items
    if isinstance(type_, GraphQLInputObjectType):
        if not isinstance(value_node, ObjectValueNode):
            return Undefined
        return _object_from_ast(value_node, type_, variables, coerce_input_literal)
    return _leaf_from_ast(value_node, type_, variables)


# Variable values --------------------------------------------------------------------------


def coerce_input_value(value: Any, type_: GraphQLType, on_error: OnError | None = None) -> Any:
    """Coerce a variable's value (JSON-like Python data) to ``type_`` (section 3.10, 6.1.2).

    Args:
        value: The external value: dicts, lists, strings, numbers, booleans, None.
        type_: The input type to coerce to.
        on_error: When given and the value is invalid, called as
            ``on_error(error, path)`` for each problem (see :func:`validate_input_value`).

    Returns:
        The coerced value, or ``Undefined`` when it is invalid.
    """
    result = _coerce_input_value(value, type_)
    if result is Undefined and on_error is not None:
        validate_input_value(value, type_, on_error)
    return result


def _coerce_input_value(value: Any, type_: GraphQLType) -> Any:
    if isinstance(type_, GraphQLNonNull):
        if value is None or value is Undefined:
            return Undefined
        return _coerce_input_value(value, type_.of_type)
    if value is None or value is Undefined:
        return None
    if isinstance(type_, GraphQLList):
        item_type = type_.of_type
        if not _is_iterable(value):
            item = _coerce_input_value(value, item_type)
            return Undefined if item is Undefined else [item]
        items: list[Any] = []
        for item_value in value:
            item = _coerce_input_value(item_value, item_type)
            if item is Undefined:
                return Undefined
            items.append(item)
        return items
    if isinstance(type_, GraphQLInputObjectType):
        if not isinstance(value, Mapping):
            return Undefined
        field_defs = type_.fields
        given = 0
        for name, field_value in value.items():
            if field_value is Undefined:
                continue
            given += 1
            if name not in field_defs:
                return Undefined
        result: dict[str, Any] = {}
        for name, field in field_defs.items():
            field_value = value.get(name, Undefined)
            if field_value is Undefined:
                if field.default_value is not Undefined:
                    result[name] = field.default_value
                elif isinstance(field.type, GraphQLNonNull):
                    return Undefined
                continue
            coerced = _coerce_input_value(field_value, field.type)
            if coerced is Undefined:
                return Undefined
            result[name] = coerced
        if type_.is_one_of and (given != 1 or len(result) != 1 or None in result.values()):
            return Undefined
        return result
    if not isinstance(type_, (GraphQLScalarType, GraphQLEnumType)):
        raise TypeError(f"Expected {inspect(type_)} to be a GraphQL input type.")
    try:
        return type_.parse_value(value)
    except Exception:  # any failure of a custom scalar means "invalid"
        return Undefined


def _one_of_message(type_: GraphQLInputObjectType) -> str:
    return (
        f'Within OneOf Input Object type "{type_.name}", exactly one field must be specified,'
        " and the value for that field must be non-null."
    )


def validate_input_value(value: Any, type_: GraphQLType, on_error: OnError) -> None:
    """Report each reason why ``value`` is not a valid variable value of ``type_``.

    Args:
        value: The external value.
        type_: The input type.
        on_error: Called as ``on_error(error, path)`` per problem; ``path`` is the
            list of keys and indexes to the offending part of ``value``.
    """
    _validate_value(value, type_, on_error, [])


def _report(
    on_error: OnError,
    message: str,
    path: list[str | int],
    node: Any = None,
    original_error: Exception | None = None,
) -> None:
    on_error(GraphQLError(message, node, original_error=original_error), path)


def _validate_value(
    value: Any, type_: GraphQLType, on_error: OnError, path: list[str | int]
) -> None:
    if isinstance(type_, GraphQLNonNull):
        if value is Undefined:
            _report(on_error, f'Expected a value of non-null type "{type_}" to be provided.', path)
        elif value is None:
            _report(on_error, f'Expected value of non-null type "{type_}" not to be null.', path)
        else:
            _validate_value(value, type_.of_type, on_error, path)
        return
    if value is None or value is Undefined:
        return
    if isinstance(type_, GraphQLList):
        if not _is_iterable(value):
            _validate_value(value, type_.of_type, on_error, path)
            return
        for index, item in enumerate(value):
            _validate_value(item, type_.of_type, on_error, [*path, index])
        return
    if isinstance(type_, GraphQLInputObjectType):
        if not isinstance(value, Mapping):
            _report(
                on_error,
                f'Expected value of type "{type_}" to be an object, found: {inspect(value)}.',
                path,
            )
            return
        field_defs = type_.fields
        for name, field in field_defs.items():
            field_value = value.get(name, Undefined)
            if field_value is Undefined:
                if is_required_input_field(field):
                    _report(
                        on_error,
                        f'Expected value of type "{type_}" to include required field "{name}",'
                        f" found: {inspect(value)}.",
                        path,
                    )
            else:
                _validate_value(field_value, field.type, on_error, [*path, name])
        known: list[str] = []
        for name, field_value in value.items():
            if field_value is Undefined:
                continue
            if name not in field_defs:
                suggestion = did_you_mean(suggestion_list(name, list(field_defs)))
                _report(
                    on_error,
                    f'Expected value of type "{type_}" not to include unknown field "{name}"'
                    + (f".{suggestion} Found" if suggestion else ", found")
                    + f": {inspect(value)}.",
                    path,
                )
                continue
            known.append(name)
        if type_.is_one_of:
            if len(known) != 1:
                _report(on_error, _one_of_message(type_), path)
            if known and value[known[0]] is None:
                _report(on_error, _one_of_message(type_), [*path, known[0]])
        return
    if not isinstance(type_, (GraphQLScalarType, GraphQLEnumType)):
        raise TypeError(f"Expected {inspect(type_)} to be a GraphQL input type.")
    try:
        type_.parse_value(value)
    except GraphQLError as error:
        on_error(error, path)
    except Exception as error:  # a custom scalar's own failure
        _report(
            on_error,
            f'Expected value of type "{type_}", but encountered error "{error}";'
            f" found: {inspect(value)}.",
            path,
            original_error=error,
        )


def validate_input_literal(
    value_node: ValueNode,
    type_: GraphQLType,
    on_error: OnError,
    variables: Mapping[str, Any] | None = None,
) -> None:
    """Report each reason why a literal is not a valid value of ``type_``.

    Without ``variables`` the check is static: variables are assumed valid (the
    rule "All Variable Usages Are Allowed" checks them). With ``variables`` (the
    coerced values), a variable without a value where one is needed is reported.

    Args:
        value_node: The literal.
        type_: The input type.
        on_error: Called as ``on_error(error, path)`` per problem; the error's node
            is the offending part of the literal.
        variables: The coerced variable values, or ``None`` for a static check.
    """
    _validate_literal(value_node, type_, on_error, variables, [])


def _validate_literal(
    value_node: ValueNode,
    type_: GraphQLType,
    on_error: OnError,
    variables: Mapping[str, Any] | None,
    path: list[str | int],
) -> None:
    if isinstance(value_node, VariableNode):
        if variables is None:
            return
        if isinstance(type_, GraphQLNonNull):
            name = value_node.name.value
            value = variables.get(name, Undefined)
            if value is Undefined:
                _report(
                    on_error,
                    f'Expected variable "${name}" provided to type "{type_}" to provide a'
                    " runtime value.",
                    path,
                    value_node,
                )
            elif value is None:
                _report(
                    on_error,
                    f'Expected variable "${name}" provided to non-null type "{type_}" not to'
                    " be null.",
                    path,
                    value_node,
                )
        return
    if isinstance(type_, GraphQLNonNull):
        if isinstance(value_node, NullValueNode):
            _report(
                on_error,
                f'Expected value of non-null type "{type_}" not to be null.',
                path,
                value_node,
            )
            return
        _validate_literal(value_node, type_.of_type, on_error, variables, path)
        return
    if isinstance(value_node, NullValueNode):
        return
    if isinstance(type_, GraphQLList):
        if not isinstance(value_node, ListValueNode):
            _validate_literal(value_node, type_.of_type, on_error, variables, path)
            return
        for index, item_node in enumerate(value_node.values):
            _validate_literal(item_node, type_.of_type, on_error, variables, [*path, index])
        return
    if isinstance(type_, GraphQLInputObjectType):
        _validate_object_literal(value_node, type_, on_error, variables, path)
        return
    if not isinstance(type_, (GraphQLScalarType, GraphQLEnumType)):
        raise TypeError(f"Expected {inspect(type_)} to be a GraphQL input type.")
    try:
        result = type_.parse_literal(value_node, dict(variables) if variables else None)
    except GraphQLError as error:
        on_error(error, path)
        return
    except Exception as error:  # a custom scalar's own failure
        _report(
            on_error,
            f'Expected value of type "{type_}", but encountered error "{error}"; found:'
            f" {print_ast(value_node)}.",
            path,
            value_node,
            error,
        )
        return
    if result is Undefined:
        _report(
            on_error,
            f'Expected value of type "{type_}", found: {print_ast(value_node)}.',
            path,
            value_node,
        )


def _validate_object_literal(
    value_node: ValueNode,
    type_: GraphQLInputObjectType,
    on_error: OnError,
    variables: Mapping[str, Any] | None,
    path: list[str | int],
) -> None:
    if not isinstance(value_node, ObjectValueNode):
        _report(
            on_error,
            f'Expected value of type "{type_}" to be an object, found: {print_ast(value_node)}.',
            path,
            value_node,
        )
        return
    field_defs = type_.fields
    field_nodes = {field.name.value: field for field in value_node.fields}
    for name, field in field_defs.items():
        field_node = field_nodes.get(name)
        if field_node is None:
            if is_required_input_field(field):
                _report(
                    on_error,
                    f'Expected value of type "{type_}" to include required field "{name}",'
                    f" found: {print_ast(value_node)}.",
                    path,
                    value_node,
                )
            continue
        field_value = field_node.value
        if isinstance(field_value, VariableNode) and variables is not None:
            variable = field_value.name.value
            value = variables.get(variable, Undefined)
            if type_.is_one_of:
                if value is Undefined:
                    _report(
                        on_error,
                        f'Expected variable "${variable}" provided to field "{name}" for OneOf'
                        f' Input Object type "{type_}" to provide a runtime value.',
                        path,
                        value_node,
                    )
                elif value is None:
                    _report(
                        on_error,
                        f'Expected variable "${variable}" provided to field "{name}" for OneOf'
                        f' Input Object type "{type_}" not to be null.',
                        path,
                        value_node,
                    )
            elif value is Undefined and not is_required_input_field(field):
                continue
        _validate_literal(field_value, field.type, on_error, variables, [*path, name])
    known: list[ObjectFieldNode] = []
    for field_node in value_node.fields:
        name = field_node.name.value
        if name not in field_defs:
            suggestion = did_you_mean(suggestion_list(name, list(field_defs)))
            _report(
                on_error,
                f'Expected value of type "{type_}" not to include unknown field "{name}"'
                + (f".{suggestion} Found" if suggestion else ", found")
                + f": {print_ast(value_node)}.",
                path,
                field_node,
            )
        else:
            known.append(field_node)
    if type_.is_one_of:
        if len(known) != 1:
            _report(on_error, _one_of_message(type_), path, value_node)
        elif isinstance(known[0].value, NullValueNode):
            _report(on_error, _one_of_message(type_), [*path, known[0].name.value], value_node)


# Python values to literals ---------------------------------------------------------------


def ast_from_value(value: Any, type_: GraphQLType) -> ValueNode | None:
    """The literal for an internal value of ``type_`` (graphql-js ``astFromValue``).

    Leaf values go through the type's ``serialize``; enum names become enum
    literals; ID strings of digits become Int literals.

    Returns:
        The literal, or ``None`` when ``value`` is ``Undefined`` or cannot be
        written as a ``type_`` literal (null for a non-null type).

    Raises:
        GraphQLError: a leaf value does not serialize.
        TypeError: a serialized leaf value is not a string, number or boolean.
    """
    if isinstance(type_, GraphQLNonNull):
        node = ast_from_value(value, type_.of_type)
        return None if isinstance(node, NullValueNode) else node
    if value is None:
        return NullValueNode()
    if value is Undefined:
        return None
    if isinstance(type_, GraphQLList):
        if _is_iterable(value):
            items = [ast_from_value(item, type_.of_type) for item in value]
            return ListValueNode(tuple(item for item in items if item is not None))
        return ast_from_value(value, type_.of_type)
    if isinstance(type_, GraphQLInputObjectType):
        if not isinstance(value, Mapping):
            return None
        fields: list[ObjectFieldNode] = []
        for name, field in type_.fields.items():
            if name in value:
                node = ast_from_value(value[name], field.type)
                if node is not None:
                    fields.append(ObjectFieldNode(NameNode(name), node))
        return ObjectValueNode(tuple(fields))
    if not isinstance(type_, (GraphQLScalarType, GraphQLEnumType)):
        raise TypeError(f"Expected {inspect(type_)} to be a GraphQL input type.")
    serialized = type_.serialize(value)
    if serialized is None or serialized is Undefined:
        return None
    if isinstance(serialized, bool):
        return BooleanValueNode(serialized)
    if isinstance(serialized, int):
        return IntValueNode(str(serialized))
    if isinstance(serialized, float) and math.isfinite(serialized):
        text = str(serialized)
        return FloatValueNode(text.removesuffix(".0"))
    if isinstance(serialized, str):
        if isinstance(type_, GraphQLEnumType):
            return EnumValueNode(serialized)
        if type_ is GraphQLID and _INTEGER.match(serialized):
            return IntValueNode(serialized)
        return StringValueNode(serialized)
    raise TypeError(f"Cannot convert value to AST: {inspect(serialized)}.")
