"""The GraphQL printer: an AST back to canonical source text.

The layout is graphql-js 17's ``print``: two-space indentation, one selection
or definition per line, argument lists wrapped onto separate lines when the
single-line form would exceed 80 characters, list and object values likewise,
and block strings printed as block strings. Printing a parsed document and
parsing the result gives an equal AST.

Each nesting level of the AST costs one Python frame, as in the parser.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from wire.errors import LocalProtocolError
from wire.graphql._ast import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveDefinitionNode,
    DirectiveExtensionNode,
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    EnumValueDefinitionNode,
    EnumValueNode,
    FieldDefinitionNode,
    FieldNode,
    FloatValueNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    IntValueNode,
    ListTypeNode,
    ListValueNode,
    NamedTypeNode,
    NameNode,
    Node,
    NonNullTypeNode,
    NullValueNode,
    ObjectFieldNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    SelectionSetNode,
    StringValueNode,
    TypeNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    ValueNode,
    VariableDefinitionNode,
    VariableNode,
)

__all__ = ["print_ast", "print_block_string", "print_string"]

_MAX_LINE_LENGTH = 80
_LINE_TERMINATOR = re.compile(r"\r\n|[\n\r]")

# StringCharacter escapes: `"`, `\`, and the C0 and C1 control characters.
_ESCAPES = {code: f"\\u{code:04X}" for code in (*range(0x20), *range(0x7F, 0xA0))}
_ESCAPES.update(
    {
        ord("\b"): "\\b",
        ord("\t"): "\\t",
        ord("\n"): "\\n",
        ord("\f"): "\\f",
        ord("\r"): "\\r",
        ord('"'): '\\"',
        ord("\\"): "\\\\",
    }
)


def print_ast(node: Node) -> str:
    """Print any AST node as GraphQL source text.

    Args:
        node: A document or any node within one.

    Returns:
        The canonical text, laid out as graphql-js 17 lays it out.

    Raises:
        LocalProtocolError: ``node`` is not a ``wire.graphql`` AST node.
    """
    printer = _PRINTERS.get(type(node))
    if printer is None:
        raise LocalProtocolError(f"cannot print {type(node).__name__}: not a GraphQL AST node")
    return printer(node)


def print_string(value: str) -> str:
    """Print ``value`` as a StringValue: double quotes, control characters escaped.

    Args:
        value: Any string.

    Returns:
        The quoted literal, e.g. ``"a\\nb"``.
    """
    return f'"{value.translate(_ESCAPES)}"'


def print_block_string(value: str) -> str:
    """Print ``value`` as a block string, graphql-js style.

    A value that spans lines gets the triple quotes on lines of their own, unless
    leading whitespace on its only line would then be lost.

    Args:
        value: Any string; ``\"\"\"`` in it is escaped.

    Returns:
        The block string literal.
    """
    escaped = value.replace('"""', '\\"""')
    lines = _LINE_TERMINATOR.split(escaped)
    single_line = len(lines) == 1
    # When every line after the first is indented (or empty), the first line must
    # move down, or dedenting would take that indentation away.
    force_leading_newline = not single_line and all(
        not line or line[0] in " \t" for line in lines[1:]
    )
    trailing_triple_quotes = escaped.endswith('\\"""')
    # A trailing quote or backslash would merge with the closing quotes.
    force_trailing_newline = (value.endswith('"') and not trailing_triple_quotes) or (
        value.endswith("\\")
    )
    multiple_lines = (
        not single_line
        or len(value) > 70
        or force_trailing_newline
        or force_leading_newline
        or trailing_triple_quotes
    )
    skip_leading_newline = single_line and value[:1] in (" ", "\t")
    before = "\n" if (multiple_lines and not skip_leading_newline) or force_leading_newline else ""
    after = "\n" if multiple_lines or force_trailing_newline else ""
    return f'"""{before}{escaped}{after}"""'


# Layout helpers, following graphql-js's printer -------------------------------


def _join(items: Sequence[str], separator: str = "") -> str:
    return separator.join([item for item in items if item])


def _wrap(start: str, text: str, end: str = "") -> str:
    return f"{start}{text}{end}" if text else ""


def _indent(text: str) -> str:
    return "  " + text.replace("\n", "\n  ") if text else ""


def _block(items: Sequence[str]) -> str:
    return _wrap("{\n", _indent(_join(items, "\n")), "\n}")


def _description(node: Any) -> str:
    description: StringValueNode | None = node.description
    return _print_string_value(description) + "\n" if description is not None else ""


def _directives(directives: Sequence[DirectiveNode]) -> str:
    return " ".join([_print_directive(directive) for directive in directives])


def _arguments_line(prefix: str, arguments: Sequence[ArgumentNode]) -> str:
    if not arguments:
        return prefix
    printed = [_print_argument(argument) for argument in arguments]
    line = ", ".join(printed)
    if len(prefix) + len(line) + 2 > _MAX_LINE_LENGTH:
        return f"{prefix}(\n{_indent(chr(10).join(printed))}\n)"
    return f"{prefix}({line})"


def _argument_definitions(arguments: Sequence[InputValueDefinitionNode]) -> str:
    printed = [_print_input_value_definition(argument) for argument in arguments]
    if any("\n" in argument for argument in printed):
        return _wrap("(\n", _indent("\n".join(printed)), "\n)")
    return _wrap("(", ", ".join(printed), ")")


# Executable definitions ---------------------------------------------------------


def _print_document(node: DocumentNode) -> str:
    return _join([print_ast(definition) for definition in node.definitions], "\n\n")


def _print_operation_definition(node: OperationDefinitionNode) -> str:
    variables = [_print_variable_definition(v) for v in node.variable_definitions]
    if any("\n" in variable for variable in variables):
        variable_definitions = _wrap("(\n", "\n".join(variables), "\n)")
    else:
        variable_definitions = _wrap("(", ", ".join(variables), ")")
    operation = node.operation.value
    name = node.name.value if node.name is not None else ""
    prefix = _description(node) + _join(
        [operation, name + variable_definitions, _directives(node.directives)], " "
    )
    selection_set = _print_selection_set(node.selection_set)
    # An anonymous query with nothing more to say prints in the shorthand form.
    if prefix == "query":
        return selection_set
    return f"{prefix} {selection_set}"


def _print_variable_definition(node: VariableDefinitionNode) -> str:
    default = _print_value(node.default_value) if node.default_value is not None else ""
    return (
        _description(node)
        + f"${node.variable.name.value}: {_print_type(node.type)}"
        + _wrap(" = ", default)
        + _wrap(" ", _directives(node.directives))
    )


def _print_selection_set(node: SelectionSetNode) -> str:
    if not node.selections:
        return "{}"
    lines = []
    for selection in node.selections:
        if type(selection) is FieldNode:
            prefix = selection.name.value
            if selection.alias is not None:
                prefix = f"{selection.alias.value}: {prefix}"
            line = _arguments_line(prefix, selection.arguments)
            if selection.directives:
                line += " " + _directives(selection.directives)
            if selection.selection_set is not None:
                line += " " + _print_selection_set(selection.selection_set)
        elif type(selection) is FragmentSpreadNode:
            line = _arguments_line("..." + selection.name.value, selection.arguments)
            line += _wrap(" ", _directives(selection.directives))
        else:
            fragment: InlineFragmentNode = selection  # type: ignore[assignment]
            type_condition = fragment.type_condition
            line = _join(
                [
                    "...",
                    "on " + type_condition.name.value if type_condition is not None else "",
                    _directives(fragment.directives),
                    _print_selection_set(fragment.selection_set),
                ],
                " ",
            )
        lines.append(line)
    return "{\n" + _indent("\n".join(lines)) + "\n}"


def _print_selection(node: FieldNode | FragmentSpreadNode | InlineFragmentNode) -> str:
    # A selection alone prints as the one line it would have in a selection set.
    return _print_selection_set(SelectionSetNode((node,)))[4:-2].replace("\n  ", "\n")


def _print_argument(node: ArgumentNode | ObjectFieldNode) -> str:
    return f"{node.name.value}: {_print_value(node.value)}"


def _print_fragment_definition(node: FragmentDefinitionNode) -> str:
    variables = ", ".join([_print_variable_definition(v) for v in node.variable_definitions])
    return (
        _description(node)
        + f"fragment {node.name.value}"
        + _wrap("(", variables, ")")
        + f" on {node.type_condition.name.value} "
        + _wrap("", _directives(node.directives), " ")
        + _print_selection_set(node.selection_set)
    )


# Values and types -----------------------------------------------------------------


def _print_value(node: ValueNode) -> str:
    # Loops, not comprehensions: a comprehension is a frame of its own before
    # Python 3.12, and nested values must cost one frame per level.
    if isinstance(node, IntValueNode | FloatValueNode | EnumValueNode):
        return node.value
    if isinstance(node, StringValueNode):
        return _print_string_value(node)
    if isinstance(node, VariableNode):
        return "$" + node.name.value
    if isinstance(node, BooleanValueNode):
        return "true" if node.value else "false"
    if isinstance(node, ListValueNode):
        values = []
        for value in node.values:
            values.append(_print_value(value))  # noqa: PERF401
        line = ", ".join(values)
        if 2 + len(line) > _MAX_LINE_LENGTH:
            return "[\n" + _indent("\n".join(values)) + "\n]"
        return f"[{line}]"
    if isinstance(node, ObjectValueNode):
        fields = []
        for field in node.fields:
            fields.append(f"{field.name.value}: {_print_value(field.value)}")  # noqa: PERF401
        line = ", ".join(fields)
        if 4 + len(line) > _MAX_LINE_LENGTH:
            return _block(fields)
        return f"{{ {line} }}" if line else "{  }"
    return "null"


def _print_string_value(node: StringValueNode) -> str:
    return print_block_string(node.value) if node.block else print_string(node.value)


def _print_type(node: TypeNode) -> str:
    if type(node) is NonNullTypeNode:
        return _print_type(node.type) + "!"
    if type(node) is ListTypeNode:
        return f"[{_print_type(node.type)}]"
    return node.name.value  # type: ignore[attr-defined,no-any-return]


def _print_directive(node: DirectiveNode) -> str:
    arguments = ", ".join([_print_argument(argument) for argument in node.arguments])
    return f"@{node.name.value}" + _wrap("(", arguments, ")")


# Type system ------------------------------------------------------------------------


def _names(nodes: Sequence[NamedTypeNode], separator: str) -> str:
    return separator.join([node.name.value for node in nodes])


def _print_schema_definition(node: SchemaDefinitionNode) -> str:
    return _description(node) + _join(
        [
            "schema",
            _directives(node.directives),
            _block([_print_operation_type_definition(t) for t in node.operation_types]),
        ],
        " ",
    )


def _print_operation_type_definition(node: OperationTypeDefinitionNode) -> str:
    return f"{node.operation.value}: {node.type.name.value}"


def _print_scalar_type_definition(node: ScalarTypeDefinitionNode) -> str:
    return _description(node) + _join(
        ["scalar", node.name.value, _directives(node.directives)], " "
    )


def _print_object_like(
    keyword: str,
    node: ObjectTypeDefinitionNode
    | InterfaceTypeDefinitionNode
    | ObjectTypeExtensionNode
    | InterfaceTypeExtensionNode,
) -> str:
    return _join(
        [
            keyword,
            node.name.value,
            _wrap("implements ", _names(node.interfaces, " & ")),
            _directives(node.directives),
            _block([_print_field_definition(field) for field in node.fields]),
        ],
        " ",
    )


def _print_field_definition(node: FieldDefinitionNode) -> str:
    return (
        _description(node)
        + node.name.value
        + _argument_definitions(node.arguments)
        + f": {_print_type(node.type)}"
        + _wrap(" ", _directives(node.directives))
    )


def _print_input_value_definition(node: InputValueDefinitionNode) -> str:
    default = _print_value(node.default_value) if node.default_value is not None else ""
    return (
        _description(node)
        + f"{node.name.value}: {_print_type(node.type)}"
        + _wrap(" = ", default)
        + _wrap(" ", _directives(node.directives))
    )


def _print_union_like(keyword: str, node: UnionTypeDefinitionNode | UnionTypeExtensionNode) -> str:
    return _join(
        [
            keyword,
            node.name.value,
            _directives(node.directives),
            _wrap("= ", _names(node.types, " | ")),
        ],
        " ",
    )


def _print_enum_like(keyword: str, node: EnumTypeDefinitionNode | EnumTypeExtensionNode) -> str:
    return _join(
        [
            keyword,
            node.name.value,
            _directives(node.directives),
            _block([_print_enum_value_definition(value) for value in node.values]),
        ],
        " ",
    )


def _print_enum_value_definition(node: EnumValueDefinitionNode) -> str:
    return _description(node) + _join([node.name.value, _directives(node.directives)], " ")


def _print_input_object_like(
    keyword: str, node: InputObjectTypeDefinitionNode | InputObjectTypeExtensionNode
) -> str:
    return _join(
        [
            keyword,
            node.name.value,
            _directives(node.directives),
            _block([_print_input_value_definition(field) for field in node.fields]),
        ],
        " ",
    )


def _print_directive_definition(node: DirectiveDefinitionNode) -> str:
    return (
        _description(node)
        + f"directive @{node.name.value}"
        + _argument_definitions(node.arguments)
        + _wrap(" ", _directives(node.directives))
        + (" repeatable" if node.repeatable else "")
        + " on "
        + " | ".join([location.value for location in node.locations])
    )


def _print_schema_extension(node: SchemaExtensionNode) -> str:
    return _join(
        [
            "extend schema",
            _directives(node.directives),
            _block([_print_operation_type_definition(t) for t in node.operation_types]),
        ],
        " ",
    )


def _print_directive_extension(node: DirectiveExtensionNode) -> str:
    return _join([f"extend directive @{node.name.value}", _directives(node.directives)], " ")


_PRINTERS: dict[type[Node], Callable[[Any], str]] = {
    NameNode: lambda node: node.value,
    DocumentNode: _print_document,
    OperationDefinitionNode: _print_operation_definition,
    VariableDefinitionNode: _print_variable_definition,
    SelectionSetNode: _print_selection_set,
    FieldNode: _print_selection,
    FragmentSpreadNode: _print_selection,
    InlineFragmentNode: _print_selection,
    ArgumentNode: _print_argument,
    ObjectFieldNode: _print_argument,
    FragmentDefinitionNode: _print_fragment_definition,
    DirectiveNode: _print_directive,
    OperationTypeDefinitionNode: _print_operation_type_definition,
    SchemaDefinitionNode: _print_schema_definition,
    ScalarTypeDefinitionNode: _print_scalar_type_definition,
    ObjectTypeDefinitionNode: lambda node: _description(node) + _print_object_like("type", node),
    InterfaceTypeDefinitionNode: lambda node: (
        _description(node) + _print_object_like("interface", node)
    ),
    FieldDefinitionNode: _print_field_definition,
    InputValueDefinitionNode: _print_input_value_definition,
    UnionTypeDefinitionNode: lambda node: _description(node) + _print_union_like("union", node),
    EnumTypeDefinitionNode: lambda node: _description(node) + _print_enum_like("enum", node),
    EnumValueDefinitionNode: _print_enum_value_definition,
    InputObjectTypeDefinitionNode: lambda node: (
        _description(node) + _print_input_object_like("input", node)
    ),
    DirectiveDefinitionNode: _print_directive_definition,
    SchemaExtensionNode: _print_schema_extension,
    ScalarTypeExtensionNode: lambda node: _join(
        ["extend scalar", node.name.value, _directives(node.directives)], " "
    ),
    ObjectTypeExtensionNode: lambda node: _print_object_like("extend type", node),
    InterfaceTypeExtensionNode: lambda node: _print_object_like("extend interface", node),
    UnionTypeExtensionNode: lambda node: _print_union_like("extend union", node),
    EnumTypeExtensionNode: lambda node: _print_enum_like("extend enum", node),
    InputObjectTypeExtensionNode: lambda node: _print_input_object_like("extend input", node),
    DirectiveExtensionNode: _print_directive_extension,
}
for _value_node in (
    IntValueNode,
    FloatValueNode,
    StringValueNode,
    BooleanValueNode,
    NullValueNode,
    EnumValueNode,
    ListValueNode,
    ObjectValueNode,
    VariableNode,
):
    _PRINTERS[_value_node] = _print_value
for _type_node in (NamedTypeNode, ListTypeNode, NonNullTypeNode):
    _PRINTERS[_type_node] = _print_type
del _value_node, _type_node
