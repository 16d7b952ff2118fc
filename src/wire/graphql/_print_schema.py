"""Printing a schema back to SDL, as graphql-js ``printSchema`` prints it.

``print_schema`` prints the schema definition (only when the root types do not
have the default names, or the schema has a description), the directives that
are not built in, then every type that is neither a built-in scalar nor an
introspection type, in ``type_map`` order, separated by blank lines. Default
values print as the SDL wrote them, or, for definitions made in Python, through
``ast_from_value``. ``print_introspection_schema`` prints the built-in directives
and the introspection types instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from wire.graphql._ast import StringValueNode
from wire.graphql._definition import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
)
from wire.graphql._directives import (
    DEFAULT_DEPRECATION_REASON,
    GraphQLDirective,
    is_specified_directive,
)
from wire.graphql._introspection import default_value_literal, is_introspection_type
from wire.graphql._printer import print_ast, print_string
from wire.graphql._scalars import is_specified_scalar_type
from wire.graphql._schema import GraphQLSchema

__all__ = [
    "print_directive",
    "print_introspection_schema",
    "print_schema",
    "print_type",
]


def print_schema(schema: GraphQLSchema) -> str:
    """The SDL of ``schema``, without the built-in scalars, directives and introspection."""
    return _print_filtered(
        schema,
        lambda directive: not is_specified_directive(directive),
        lambda type_: not is_specified_scalar_type(type_) and not is_introspection_type(type_),
    )


def print_introspection_schema(schema: GraphQLSchema) -> str:
    """The SDL of the built-in directives and the introspection types of ``schema``."""
    return _print_filtered(schema, is_specified_directive, is_introspection_type)


def _print_filtered(
    schema: GraphQLSchema,
    directive_filter: Callable[[GraphQLDirective], bool],
    type_filter: Callable[[GraphQLNamedType], bool],
) -> str:
    parts = [_print_schema_definition(schema)]
    parts += [print_directive(d) for d in schema.directives if directive_filter(d)]
    parts += [print_type(t) for t in schema.type_map.values() if type_filter(t)]
    return "\n\n".join(part for part in parts if part)


def _print_schema_definition(schema: GraphQLSchema) -> str:
    query, mutation, subscription = (
        schema.query_type,
        schema.mutation_type,
        schema.subscription_type,
    )
    if query is None and mutation is None and subscription is None:
        return ""  # no valid schema definition to print
    if (
        schema.description is None
        and query is schema.get_type("Query")
        and mutation is schema.get_type("Mutation")
        and subscription is schema.get_type("Subscription")
    ):
        return ""  # the root types go by their default names
    lines = [
        f"  {operation}: {root.name}"
        for operation, root in (
            ("query", query),
            ("mutation", mutation),
            ("subscription", subscription),
        )
        if root is not None
    ]
    return _description(schema.description) + "schema {\n" + "\n".join(lines) + "\n}"


def print_type(type_: GraphQLNamedType) -> str:
    """The SDL definition of one named type."""
    head = _description(type_.description)
    if isinstance(type_, GraphQLScalarType):
        url = type_.specified_by_url
        specified_by = "" if url is None else f" @specifiedBy(url: {print_string(url)})"
        return f"{head}scalar {type_.name}{specified_by}"
    if isinstance(type_, (GraphQLObjectType, GraphQLInterfaceType)):
        keyword = "type" if isinstance(type_, GraphQLObjectType) else "interface"
        interfaces = type_.interfaces
        implements = " implements " + " & ".join(i.name for i in interfaces) if interfaces else ""
        fields = [
            _description(field.description, "  ", not index)
            + f"  {name}{_print_args(field.args, '  ')}: {field.type}"
            + _deprecated(field.deprecation_reason)
            for index, (name, field) in enumerate(type_.fields.items())
        ]
        return f"{head}{keyword} {type_.name}{implements}{_block(fields)}"
    if isinstance(type_, GraphQLUnionType):
        members = type_.types
        possible = " = " + " | ".join(t.name for t in members) if members else ""
        return f"{head}union {type_.name}{possible}"
    if isinstance(type_, GraphQLEnumType):
        values = [
            _description(value.description, "  ", not index)
            + f"  {name}"
            + _deprecated(value.deprecation_reason)
            for index, (name, value) in enumerate(type_.values.items())
        ]
        return f"{head}enum {type_.name}{_block(values)}"
    assert isinstance(type_, GraphQLInputObjectType)
    input_fields = [
        _description(field.description, "  ", not index) + "  " + _input_value(name, field)
        for index, (name, field) in enumerate(type_.fields.items())
    ]
    one_of = " @oneOf" if type_.is_one_of else ""
    return f"{head}input {type_.name}{one_of}{_block(input_fields)}"


def print_directive(directive: GraphQLDirective) -> str:
    """The SDL definition of a directive."""
    return (
        _description(directive.description)
        + f"directive @{directive.name}"
        + _print_args(directive.args)
        + _deprecated(directive.deprecation_reason)
        + (" repeatable" if directive.is_repeatable else "")
        + " on "
        + " | ".join(location.name for location in directive.locations)
    )


def _block(items: list[str]) -> str:
    return " {\n" + "\n".join(items) + "\n}" if items else ""


def _print_args(args: Mapping[str, GraphQLArgument], indentation: str = "") -> str:
    if not args:
        return ""
    if all(arg.description is None for arg in args.values()):
        return "(" + ", ".join(_input_value(name, arg) for name, arg in args.items()) + ")"
    lines = [
        _description(arg.description, "  " + indentation, not index)
        + f"  {indentation}"
        + _input_value(name, arg)
        for index, (name, arg) in enumerate(args.items())
    ]
    return "(\n" + "\n".join(lines) + f"\n{indentation})"


def _input_value(name: str, arg: GraphQLArgument) -> str:
    default = default_value_literal(arg)
    text = f"{name}: {arg.type}" if default is None else f"{name}: {arg.type} = {default}"
    return text + _deprecated(arg.deprecation_reason)


def _deprecated(reason: str | None) -> str:
    if reason is None:
        return ""
    if reason != DEFAULT_DEPRECATION_REASON:
        return f" @deprecated(reason: {print_string(reason)})"
    return " @deprecated"


def _description(
    description: str | None, indentation: str = "", first_in_block: bool = True
) -> str:
    if description is None:
        return ""
    text = print_ast(StringValueNode(description, block=is_printable_as_block_string(description)))
    prefix = "\n" + indentation if indentation and not first_in_block else indentation
    return prefix + text.replace("\n", "\n" + indentation) + "\n"


def is_printable_as_block_string(value: str) -> bool:
    """Whether a block string can hold ``value`` exactly (graphql-js ``isPrintableAsBlockString``).

    Not when it has control characters (but tab and newline), a carriage return, a
    leading or trailing blank line, or an indentation common to every line: the
    block string's rules (section 2.9.4 BlockStringValue) would change the value.
    """
    if not value:
        return True
    is_empty_line = True
    has_indent = False
    has_common_indent = True
    seen_non_empty_line = False
    for char in value:
        if char == "\n":
            if is_empty_line and not seen_non_empty_line:
                return False  # a leading blank line
            seen_non_empty_line = True
            is_empty_line = True
            has_indent = False
        elif char in " \t":
            has_indent = has_indent or is_empty_line
        elif char < " ":
            return False  # a control character, or a carriage return
        else:
            has_common_indent = has_common_indent and has_indent
            is_empty_line = False
    if is_empty_line:
        return False  # a trailing blank line
    return not (has_common_indent and seen_non_empty_line)
