"""Validation rules on directives, arguments, values and variable usages.

Each rule is the GraphQL specification's rule of the same name (section 5,
"Validation", of the October 2021 edition and the working draft); messages are
graphql-js's.
"""

from __future__ import annotations

from typing import Any

from wire.graphql._ast import (
    ArgumentNode,
    DirectiveDefinitionNode,
    DirectiveExtensionNode,
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    EnumValueDefinitionNode,
    FieldDefinitionNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ListValueNode,
    Node,
    NonNullTypeNode,
    NullValueNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ObjectValueNode,
    OperationDefinitionNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    ValueNode,
    VariableDefinitionNode,
    VariableNode,
)
from wire.graphql._definition import (
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    Undefined,
    get_named_type,
    is_required_argument,
)
from wire.graphql._errors import GraphQLError, did_you_mean, suggestion_list
from wire.graphql._introspection import is_introspection_type
from wire.graphql._printer import print_ast
from wire.graphql._rules_base import ValidationContext, ValidationRule
from wire.graphql._schema import GraphQLSchema, is_type_sub_type_of, type_from_ast
from wire.graphql._visitor import kind_of

__all__ = [
    "KnownArgumentNamesRule",
    "KnownDirectivesRule",
    "ProvidedRequiredArgumentsRule",
    "UniqueDirectivesPerLocationRule",
    "ValuesOfCorrectTypeRule",
    "VariablesInAllowedPositionRule",
]

# DirectiveLocation of the nodes directives apply to (section 2.12, 3.13).
_LOCATIONS: dict[type[Node], str] = {
    FieldNode: "FIELD",
    FragmentSpreadNode: "FRAGMENT_SPREAD",
    InlineFragmentNode: "INLINE_FRAGMENT",
    FragmentDefinitionNode: "FRAGMENT_DEFINITION",
    SchemaDefinitionNode: "SCHEMA",
    SchemaExtensionNode: "SCHEMA",
    ScalarTypeDefinitionNode: "SCALAR",
    ScalarTypeExtensionNode: "SCALAR",
    ObjectTypeDefinitionNode: "OBJECT",
    ObjectTypeExtensionNode: "OBJECT",
    FieldDefinitionNode: "FIELD_DEFINITION",
    InterfaceTypeDefinitionNode: "INTERFACE",
    InterfaceTypeExtensionNode: "INTERFACE",
    UnionTypeDefinitionNode: "UNION",
    UnionTypeExtensionNode: "UNION",
    EnumTypeDefinitionNode: "ENUM",
    EnumTypeExtensionNode: "ENUM",
    EnumValueDefinitionNode: "ENUM_VALUE",
    InputObjectTypeDefinitionNode: "INPUT_OBJECT",
    InputObjectTypeExtensionNode: "INPUT_OBJECT",
    DirectiveDefinitionNode: "DIRECTIVE_DEFINITION",
    DirectiveExtensionNode: "DIRECTIVE_DEFINITION",
}

_INPUT_OBJECT_NODES = (InputObjectTypeDefinitionNode, InputObjectTypeExtensionNode)


def _directive_definitions(document: DocumentNode) -> list[DirectiveDefinitionNode]:
    return [
        definition
        for definition in document.definitions
        if isinstance(definition, DirectiveDefinitionNode)
    ]


def _directive_owners(node: Node) -> list[tuple[Node, str]]:
    """The nodes whose directives to check when entering ``node``, with their locations.

    Variable definitions and input value definitions have no handler of their
    own: the operation, fragment, field or type holding them checks them, in the
    order graphql-js visits them.
    """
    if isinstance(node, OperationDefinitionNode):
        return [
            *((definition, "VARIABLE_DEFINITION") for definition in node.variable_definitions),
            (node, node.operation.name),
        ]
    if isinstance(node, FragmentDefinitionNode):
        return [
            *(
                (definition, "FRAGMENT_VARIABLE_DEFINITION")
                for definition in node.variable_definitions
            ),
            (node, "FRAGMENT_DEFINITION"),
        ]
    if isinstance(node, (FieldDefinitionNode, DirectiveDefinitionNode)):
        return [
            *((argument, "ARGUMENT_DEFINITION") for argument in node.arguments),
            (node, _LOCATIONS[type(node)]),
        ]
    if isinstance(node, _INPUT_OBJECT_NODES):
        return [
            (node, _LOCATIONS[type(node)]),
            *((field, "INPUT_FIELD_DEFINITION") for field in node.fields),
        ]
    return [(node, _LOCATIONS[type(node)])]


# Selections hold directives and nothing else that has some: most have none.
_SELECTIONS = (FieldNode, FragmentSpreadNode, InlineFragmentNode)


def _on_directive_holders(method: Any) -> Any:
    """Install ``method`` as the enter handler of every node class with directives."""

    def on_selection(self: ValidationRule, node: Any) -> None:
        if node.directives:
            method(self, node)

    def install(cls: type) -> type:
        holders: list[type[Node]] = [OperationDefinitionNode, *_LOCATIONS]
        for node_class in holders:
            handler = on_selection if node_class in _SELECTIONS else method
            setattr(cls, "enter_" + kind_of(node_class), handler)
        return cls

    return install


def _check_known_directives(self: KnownDirectivesRule, node: Node) -> None:
    locations = self._locations
    for owner, location in _directive_owners(node):
        for directive in owner.directives:  # type: ignore[attr-defined]
            name = directive.name.value
            allowed = locations.get(name)
            if allowed is None:
                self.report_error(GraphQLError(f'Unknown directive "@{name}".', directive))
            elif location not in allowed:
                self.report_error(
                    GraphQLError(f'Directive "@{name}" may not be used on {location}.', directive)
                )


@_on_directive_holders(_check_known_directives)
class KnownDirectivesRule(ValidationRule):
    """Directives Are Defined (section 5.7.1) and Directives Are In Valid Locations (5.7.2)."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self._locations: dict[str, frozenset[str]] = {
            directive.name: frozenset(location.name for location in directive.locations)
            for directive in context.schema.directives
        }
        for definition in _directive_definitions(context.document):
            self._locations[definition.name.value] = frozenset(
                location.value for location in definition.locations
            )


def _check_unique_directives(self: UniqueDirectivesPerLocationRule, node: Node) -> None:
    unique = self._unique
    for owner, _ in _directive_owners(node):
        directives: tuple[DirectiveNode, ...] = owner.directives  # type: ignore[attr-defined]
        if not directives:
            continue
        # Definitions and extensions of one type (or the schema) share a location.
        if isinstance(owner, (SchemaDefinitionNode, SchemaExtensionNode)):
            seen = self._shared.setdefault(("schema", ""), {})
        elif isinstance(owner, (DirectiveDefinitionNode, DirectiveExtensionNode)):
            seen = self._shared.setdefault(("directive", owner.name.value), {})
        elif type(owner).__name__.endswith(("TypeDefinitionNode", "TypeExtensionNode")):
            seen = self._shared.setdefault(("type", owner.name.value), {})  # type: ignore[attr-defined]
        else:
            seen = {}
        for directive in directives:
            name = directive.name.value
            if unique.get(name):
                first = seen.setdefault(name, directive)
                if first is not directive:
                    self.report_error(
                        GraphQLError(
                            f'The directive "@{name}" can only be used once at this location.',
                            [first, directive],
                        )
                    )


@_on_directive_holders(_check_unique_directives)
class UniqueDirectivesPerLocationRule(ValidationRule):
    """Directives Are Unique Per Location (section 5.7.3)."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self._unique: dict[str, bool] = {
            directive.name: not directive.is_repeatable for directive in context.schema.directives
        }
        for definition in _directive_definitions(context.document):
            self._unique[definition.name.value] = not definition.repeatable
        self._shared: dict[tuple[str, str], dict[str, DirectiveNode]] = {}


class KnownArgumentNamesRule(ValidationRule):
    """Argument Names (section 5.4.1), on fields and directives."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self._directive_args: dict[str, list[str]] = {
            directive.name: list(directive.args) for directive in context.schema.directives
        }
        for definition in _directive_definitions(context.document):
            self._directive_args[definition.name.value] = [
                argument.name.value for argument in definition.arguments
            ]

    def enter_directive(self, node: DirectiveNode) -> None:
        known = self._directive_args.get(node.name.value)
        if known is None:
            return
        for argument in node.arguments:
            name = argument.name.value
            if name not in known:
                self.report_error(
                    GraphQLError(
                        f'Unknown argument "{name}" on directive "@{node.name.value}".'
                        + did_you_mean(suggestion_list(name, known)),
                        argument,
                    )
                )

    def enter_argument(self, node: ArgumentNode) -> None:
        type_info = self.context.type_info
        field_def = type_info.field_def
        if (
            type_info.argument is not None
            or type_info.directive_node is not None
            or field_def is None
            or type_info.field_node is None
        ):
            return
        name = node.name.value
        self.report_error(
            GraphQLError(
                f'Unknown argument "{name}" on field '
                f'"{type_info.parent_type}.{type_info.field_node.name.value}".'
                + did_you_mean(suggestion_list(name, list(field_def.args))),
                node,
            )
        )


class ProvidedRequiredArgumentsRule(ValidationRule):
    """Required Arguments (section 5.4.2.1), on fields and directives."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        # Directive name -> its required arguments: name and type as text.
        self._required: dict[str, list[tuple[str, str]]] = {
            directive.name: [
                (name, str(argument.type))
                for name, argument in directive.args.items()
                if is_required_argument(argument)
            ]
            for directive in context.schema.directives
        }
        for definition in _directive_definitions(context.document):
            self._required[definition.name.value] = [
                (argument.name.value, print_ast(argument.type))
                for argument in definition.arguments
                if isinstance(argument.type, NonNullTypeNode) and argument.default_value is None
            ]

    # Checked on leaving, so that errors deeper in the node come first (graphql-js).

    def leave_field(self, node: FieldNode) -> None:
        type_info = self.context.type_info
        field_def = type_info.field_def
        if field_def is None or not field_def.args:
            return
        given = {argument.name.value for argument in node.arguments}
        for name, argument in field_def.args.items():
            if name not in given and is_required_argument(argument):
                named = get_named_type(type_info.type)
                if named is not None and is_introspection_type(named):
                    parent = "<meta>."
                else:
                    parent = f"{type_info.parent_type}."
                self.report_error(
                    GraphQLError(
                        f'Argument "{parent}{node.name.value}({name}:)" of type '
                        f'"{argument.type}" is required, but it was not provided.',
                        node,
                    )
                )

    def leave_directive(self, node: DirectiveNode) -> None:
        required = self._required.get(node.name.value)
        if not required:
            return
        given = {argument.name.value for argument in node.arguments}
        for name, type_text in required:
            if name not in given:
                self.report_error(
                    GraphQLError(
                        f'Argument "@{node.name.value}({name}:)" of type "{type_text}" is '
                        "required, but it was not provided.",
                        node,
                    )
                )


class ValuesOfCorrectTypeRule(ValidationRule):
    """Values of Correct Type (section 5.6.1), and OneOf Input Objects (working draft).

    Every literal given to an argument or as a variable's default value is checked
    against the input type of its position.
    """

    def enter_argument(self, node: ArgumentNode) -> None:
        input_type = self.context.type_info.input_type
        if input_type is not None:
            validate_input_literal(node.value, input_type, self.report_error)

    def enter_variable_definition(self, node: VariableDefinitionNode) -> None:
        default = node.default_value
        if default is not None:
            input_type = self.context.type_info.input_type
            if input_type is not None:
                validate_input_literal(default, input_type, self.report_error)


def _one_of_message(type_: GraphQLInputObjectType) -> str:
    return (
        f'Within OneOf Input Object type "{type_}", exactly one field must be specified, '
        "and the value for that field must be non-null."
    )


def validate_input_literal(node: ValueNode, type_: Any, report: Any) -> None:
    """Check a literal against an input type, reporting each problem found.

    Variables are not checked (their usage is checked by other rules). Works as
    graphql-js's ``validateInputLiteral`` does statically, with its messages and
    in its order.

    Args:
        node: The literal.
        type_: The input type expected.
        report: Called with each ``GraphQLError``.
    """
    # Depth-first with an explicit stack, since literals nest as deep as the parser
    # allows. An item is a (literal, type) pair to check, or an error to report when
    # its turn comes, which keeps graphql-js's order.
    stack: list[tuple[ValueNode, Any] | GraphQLError] = [(node, type_)]
    while stack:
        item = stack.pop()
        if isinstance(item, GraphQLError):
            report(item)
            continue
        node, type_ = item
        if isinstance(node, VariableNode):
            continue
        if isinstance(type_, GraphQLNonNull):
            if isinstance(node, NullValueNode):
                report(
                    GraphQLError(f'Expected value of non-null type "{type_}" not to be null.', node)
                )
                continue
            type_ = type_.of_type
        if isinstance(node, NullValueNode):
            continue
        if isinstance(type_, GraphQLList):
            if isinstance(node, ListValueNode):
                stack.extend((item, type_.of_type) for item in reversed(node.values))
            else:
                # A list type accepts a single item as a list of one (section 3.11).
                stack.append((node, type_.of_type))
        elif isinstance(type_, GraphQLInputObjectType):
            stack.extend(reversed(_input_object_steps(node, type_)))
        else:
            _check_leaf(node, type_, report)


def _input_object_steps(
    node: ValueNode, type_: GraphQLInputObjectType
) -> list[tuple[ValueNode, Any] | GraphQLError]:
    """What checking a literal against an input object type takes, in order."""
    if not isinstance(node, ObjectValueNode):
        return [
            GraphQLError(
                f'Expected value of type "{type_}" to be an object, found: {print_ast(node)}.',
                node,
            )
        ]
    steps: list[tuple[ValueNode, Any] | GraphQLError] = []
    definitions = type_.fields
    given = {field.name.value: field for field in node.fields}
    for name, definition in definitions.items():
        field = given.get(name)
        if field is not None:
            steps.append((field.value, definition.type))
        elif isinstance(definition.type, GraphQLNonNull) and definition.default_value is Undefined:
            steps.append(
                GraphQLError(
                    f'Expected value of type "{type_}" to include required field "{name}", '
                    f"found: {print_ast(node)}.",
                    node,
                )
            )
    known = []
    for field in node.fields:
        name = field.name.value
        if name in definitions:
            known.append(field)
            continue
        suggestion = did_you_mean(suggestion_list(name, list(definitions)))
        steps.append(
            GraphQLError(
                f'Expected value of type "{type_}" not to include unknown field "{name}"'
                + (f".{suggestion} Found" if suggestion else ", found")
                + f": {print_ast(node)}.",
                field,
            )
        )
    if type_.is_one_of and (len(known) != 1 or isinstance(known[0].value, NullValueNode)):
        steps.append(GraphQLError(_one_of_message(type_), node))
    return steps


def _check_leaf(node: ValueNode, type_: Any, report: Any) -> None:
    caught: Exception | None = None
    try:
        result = type_.parse_literal(node, None)
    except GraphQLError as error:
        if error.nodes is None:
            error = GraphQLError(error.message, node, original_error=error.original_error)
        report(error)
        return
    except Exception as error:
        caught = error
        result = Undefined
    if result is Undefined:
        found = print_ast(node)
        report(
            GraphQLError(
                f'Expected value of type "{type_}"'
                + (
                    f', but encountered error "{caught}"; found'
                    if caught is not None
                    else ", found"
                )
                + f": {found}.",
                node,
                original_error=caught,
            )
        )


class VariablesInAllowedPositionRule(ValidationRule):
    """All Variable Usages Are Allowed (section 5.8.5), and OneOf Input Objects."""

    def leave_document(self, node: DocumentNode) -> None:
        context = self.context
        schema = context.schema
        for operation in node.definitions:
            if not isinstance(operation, OperationDefinitionNode):
                continue
            definitions = {
                definition.variable.name.value: definition
                for definition in operation.variable_definitions
            }
            for usage in context.get_recursive_variable_usages(operation):
                name = usage.node.name.value
                definition = definitions.get(name)
                if definition is None or usage.type is None:
                    continue
                variable_type = type_from_ast(schema, definition.type)
                if variable_type is None:
                    continue
                if not _allowed(schema, variable_type, definition, usage.type, usage.default_value):
                    self.report_error(
                        GraphQLError(
                            f'Variable "${name}" of type "{variable_type}" used in position '
                            f'expecting type "{usage.type}".',
                            [definition, usage.node],
                        )
                    )
                parent = usage.parent_type
                if (
                    isinstance(parent, GraphQLInputObjectType)
                    and parent.is_one_of
                    and not isinstance(variable_type, GraphQLNonNull)
                ):
                    self.report_error(
                        GraphQLError(
                            f'Variable "${name}" is of type "{variable_type}" but must be '
                            f'non-nullable to be used for OneOf Input Object "{parent}".',
                            [definition, usage.node],
                        )
                    )


def _allowed(
    schema: GraphQLSchema,
    variable_type: Any,
    definition: VariableDefinitionNode,
    location_type: Any,
    location_default: Any,
) -> bool:
    """IsVariableUsageAllowed (section 5.8.5): a nullable variable may fill a non-null
    position when it or the position has a default value."""
    if isinstance(location_type, GraphQLNonNull) and not isinstance(variable_type, GraphQLNonNull):
        default = definition.default_value
        if (default is None or isinstance(default, NullValueNode)) and (
            location_default is Undefined
        ):
            return False
        return is_type_sub_type_of(schema, variable_type, location_type.of_type)
    return is_type_sub_type_of(schema, variable_type, location_type)
