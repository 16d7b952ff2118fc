"""Building a schema from SDL (section 3 "Type System"), as graphql-js ``buildASTSchema``.

``build_schema(sdl)`` parses the SDL, checks it with the SDL validation rules
(graphql-js ``specifiedSDLRules``: unique names, known types and directives,
directive locations and arguments, type extensions of defined types), then
builds the types. Types refer to each other through thunks, so definition order
does not matter and cycles are fine. Extensions in the same document are merged
into their types. The built-in scalars, introspection types and directives are
the standard ones even when the SDL redefines them.

Without a ``schema`` definition, the types named ``Query``, ``Mutation`` and
``Subscription`` are the root types. The built schema is not validated here:
``validate_schema`` (run by validation and execution) reports type system errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ListTypeNode,
    ListValueNode,
    NamedTypeNode,
    Node,
    NonNullTypeNode,
    ObjectFieldNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    OperationTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    SelectionSetNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    TypeNode,
    TypeSystemDefinitionNode,
    TypeSystemExtensionNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    VariableDefinitionNode,
)
from wire.graphql._definition import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLEnumValue,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLType,
    GraphQLUnionType,
    Undefined,
    is_required_argument,
)
from wire.graphql._directives import (
    DirectiveLocation,
    GraphQLDeprecatedDirective,
    GraphQLDirective,
    GraphQLOneOfDirective,
    GraphQLSpecifiedByDirective,
    specified_directives,
)
from wire.graphql._errors import (
    GraphQLError,
    InvalidSchemaError,
    did_you_mean,
    suggestion_list,
)
from wire.graphql._introspection import introspection_types
from wire.graphql._parser import parse
from wire.graphql._printer import print_ast
from wire.graphql._scalars import specified_scalar_types
from wire.graphql._schema import GraphQLSchema
from wire.graphql._values import coerce_input_literal, print_path_list, validate_input_literal

__all__ = ["assert_valid_sdl", "build_ast_schema", "build_schema", "validate_sdl"]

#: The types every schema has, whatever the SDL says.
_STANDARD_TYPES: dict[str, GraphQLNamedType] = {**specified_scalar_types, **introspection_types}


def build_schema(
    sdl: str | DocumentNode, *, assume_valid: bool = False, assume_valid_sdl: bool = False
) -> GraphQLSchema:
    """Build a schema from SDL text (or an already parsed document).

    Args:
        sdl: The schema definition language text, or its parsed document.
        assume_valid: Skip the SDL checks and mark the schema valid (no
            ``validate_schema``); for SDL known to be valid.
        assume_valid_sdl: Skip only the SDL checks.

    Returns:
        The schema.

    Raises:
        GraphQLSyntaxError: The text does not parse.
        InvalidSchemaError: The SDL breaks an SDL rule; ``errors`` lists each problem.
        GraphQLError: An argument of ``@deprecated``, ``@specifiedBy`` or ``@oneOf``
            is invalid.
    """
    document = parse(sdl) if isinstance(sdl, str) else sdl
    return build_ast_schema(document, assume_valid=assume_valid, assume_valid_sdl=assume_valid_sdl)


def build_ast_schema(
    document: DocumentNode, *, assume_valid: bool = False, assume_valid_sdl: bool = False
) -> GraphQLSchema:
    """Build a schema from a parsed SDL document (graphql-js ``buildASTSchema``).

    Args:
        document: The parsed SDL.
        assume_valid: Skip the SDL checks and mark the schema valid.
        assume_valid_sdl: Skip only the SDL checks.

    Raises:
        InvalidSchemaError: The SDL breaks an SDL rule.
        GraphQLError: An argument of a built-in directive is invalid, or (with the
            checks skipped) a type is referenced but not defined.
    """
    if not (assume_valid or assume_valid_sdl):
        assert_valid_sdl(document)
    return _Builder(document).build(assume_valid)


# Directive arguments at build time -------------------------------------------------------


def _directive_values(directive: GraphQLDirective, node: Node) -> dict[str, Any] | None:
    """The arguments of ``@directive`` on ``node``, or ``None`` when it is not there."""
    for directive_node in getattr(node, "directives", ()):
        if directive_node.name.value == directive.name:
            break
    else:
        return None
    given = {argument.name.value: argument for argument in directive_node.arguments}
    values: dict[str, Any] = {}
    for name, arg in directive.args.items():
        argument = given.get(name)
        if argument is None:
            if is_required_argument(arg):
                raise GraphQLError(
                    f'Argument "{name}" of required type "{arg.type}" was not provided.',
                    directive_node,
                )
            values[name] = arg.default_value  # built-in directives: optional means defaulted
            continue
        value = coerce_input_literal(argument.value, arg.type)
        if value is Undefined:
            validate_input_literal(argument.value, arg.type, _ArgumentError(name), {})
        values[name] = value
    return values


class _ArgumentError:
    """``on_error`` raising the first problem of an argument, as graphql-js words it."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, error: GraphQLError, path: list[str | int]) -> None:
        raise GraphQLError(
            f'Argument "{self.name}" has invalid value{print_path_list(path)}: {error.message}',
            error.nodes,
        )


def _deprecation_reason(node: Node) -> str | None:
    values = _directive_values(GraphQLDeprecatedDirective, node)
    return None if values is None else values["reason"]


def _description(node: Any) -> str | None:
    return None if node.description is None else node.description.value


# The builder -------------------------------------------------------------------------------


class _Builder:
    """graphql-js ``extendSchemaImpl`` starting from an empty schema."""

    def __init__(self, document: DocumentNode) -> None:
        self.type_defs: list[TypeDefinitionNode] = []
        self.extensions: dict[str, list[TypeExtensionNode]] = {}
        self.directive_defs: list[DirectiveDefinitionNode] = []
        self.directive_extensions: dict[str, list[DirectiveExtensionNode]] = {}
        self.schema_def: SchemaDefinitionNode | None = None
        self.schema_extensions: list[SchemaExtensionNode] = []
        for definition in document.definitions:
            if isinstance(definition, SchemaDefinitionNode):
                self.schema_def = definition
            elif isinstance(definition, SchemaExtensionNode):
                self.schema_extensions.append(definition)
            elif isinstance(definition, DirectiveDefinitionNode):
                self.directive_defs.append(definition)
            elif isinstance(definition, DirectiveExtensionNode):
                self.directive_extensions.setdefault(definition.name.value, []).append(definition)
            elif isinstance(definition, TypeDefinitionNode):
                self.type_defs.append(definition)
            elif isinstance(definition, TypeExtensionNode):
                name = definition.name.value  # type: ignore[attr-defined]
                self.extensions.setdefault(name, []).append(definition)
        self.type_map: dict[str, GraphQLNamedType] = {}

    def build(self, assume_valid: bool) -> GraphQLSchema:
        type_map = self.type_map
        for type_def in self.type_defs:
            name = type_def.name.value  # type: ignore[attr-defined]
            type_map[name] = _STANDARD_TYPES.get(name) or self.build_type(type_def)
        roots: dict[OperationType, Any] = {}
        for node in [self.schema_def, *self.schema_extensions]:
            for operation_type in node.operation_types if node is not None else ():
                roots[operation_type.operation] = self.named_type(operation_type.type)
        if self.schema_def is None:
            for type_ in type_map.values():
                if type_.name == "Query":
                    roots[OperationType.QUERY] = type_
                elif type_.name == "Mutation":
                    roots[OperationType.MUTATION] = type_
                elif type_.name == "Subscription":
                    roots[OperationType.SUBSCRIPTION] = type_
        directives = [self.build_directive(node) for node in self.directive_defs]
        names = {directive.name for directive in directives}
        directives += [d for d in specified_directives if d.name not in names]
        schema_def = self.schema_def
        return GraphQLSchema(
            roots.get(OperationType.QUERY),
            roots.get(OperationType.MUTATION),
            roots.get(OperationType.SUBSCRIPTION),
            list(type_map.values()),
            directives,
            description=None if schema_def is None else _description(schema_def),
            ast_node=schema_def,
            extension_ast_nodes=self.schema_extensions,
            assume_valid=assume_valid,
        )

    # Type references

    def named_type(self, node: NamedTypeNode) -> GraphQLNamedType:
        name = node.name.value
        type_ = _STANDARD_TYPES.get(name) or self.type_map.get(name)
        if type_ is None:
            raise GraphQLError(f'Unknown type: "{name}".', node)
        return type_

    def wrapped_type(self, node: TypeNode) -> GraphQLType:
        if isinstance(node, ListTypeNode):
            return GraphQLList(self.wrapped_type(node.type))
        if isinstance(node, NonNullTypeNode):
            return GraphQLNonNull(self.wrapped_type(node.type))  # type: ignore[arg-type]
        assert isinstance(node, NamedTypeNode)
        return self.named_type(node)

    # Definitions

    def build_directive(self, node: DirectiveDefinitionNode) -> GraphQLDirective:
        extensions = self.directive_extensions.get(node.name.value, [])
        reason = _deprecation_reason(node)
        for extension in extensions:
            if reason is None:
                reason = _deprecation_reason(extension)
        return GraphQLDirective(
            node.name.value,
            [DirectiveLocation[location.value] for location in node.locations],
            self.build_arguments(node.arguments),
            is_repeatable=node.repeatable,
            description=_description(node),
            deprecation_reason=reason,
            ast_node=node,
            extension_ast_nodes=extensions,
        )

    def build_arguments(
        self, nodes: Iterable[InputValueDefinitionNode]
    ) -> dict[str, GraphQLArgument]:
        arguments: dict[str, GraphQLArgument] = {}
        for node in nodes:
            arguments[node.name.value] = GraphQLArgument(
                self.wrapped_type(node.type),
                description=_description(node),
                deprecation_reason=_deprecation_reason(node),
                ast_node=node,
                default_literal=node.default_value,
            )
        return arguments

    def build_fields(self, nodes: Sequence[Any]) -> dict[str, GraphQLField]:
        fields: dict[str, GraphQLField] = {}
        for node in nodes:
            for field in node.fields:
                fields[field.name.value] = GraphQLField(
                    self.wrapped_type(field.type),
                    self.build_arguments(field.arguments),
                    description=_description(field),
                    deprecation_reason=_deprecation_reason(field),
                    ast_node=field,
                )
        return fields

    def build_input_fields(self, nodes: Sequence[Any]) -> dict[str, GraphQLInputField]:
        fields: dict[str, GraphQLInputField] = {}
        for node in nodes:
            for field in node.fields:
                fields[field.name.value] = GraphQLInputField(
                    self.wrapped_type(field.type),
                    description=_description(field),
                    deprecation_reason=_deprecation_reason(field),
                    ast_node=field,
                    default_literal=field.default_value,
                )
        return fields

    def build_interfaces(self, nodes: Sequence[Any]) -> list[Any]:
        return [self.named_type(interface) for node in nodes for interface in node.interfaces]

    def build_type(self, node: TypeDefinitionNode) -> GraphQLNamedType:
        name = node.name.value  # type: ignore[attr-defined]
        extensions: list[Any] = self.extensions.get(name, [])
        nodes = [node, *extensions]
        description = _description(node)
        if isinstance(node, ObjectTypeDefinitionNode):
            return GraphQLObjectType(
                name,
                lambda: self.build_fields(nodes),
                lambda: self.build_interfaces(nodes),
                description=description,
                ast_node=node,
                extension_ast_nodes=extensions,
            )
        if isinstance(node, InterfaceTypeDefinitionNode):
            return GraphQLInterfaceType(
                name,
                lambda: self.build_fields(nodes),
                lambda: self.build_interfaces(nodes),
                description=description,
                ast_node=node,
                extension_ast_nodes=extensions,
            )
        if isinstance(node, UnionTypeDefinitionNode):
            return GraphQLUnionType(
                name,
                lambda: [self.named_type(member) for n in nodes for member in n.types],  # type: ignore[misc]
                description=description,
                ast_node=node,
                extension_ast_nodes=extensions,
            )
        if isinstance(node, EnumTypeDefinitionNode):
            return GraphQLEnumType(
                name,
                lambda: {
                    value.name.value: GraphQLEnumValue(
                        description=_description(value),
                        deprecation_reason=_deprecation_reason(value),
                        ast_node=value,
                    )
                    for n in nodes
                    for value in n.values
                },
                description=description,
                ast_node=node,
                extension_ast_nodes=extensions,
            )
        if isinstance(node, InputObjectTypeDefinitionNode):
            return GraphQLInputObjectType(
                name,
                lambda: self.build_input_fields(nodes),
                description=description,
                is_one_of=_directive_values(GraphQLOneOfDirective, node) is not None,
                ast_node=node,
                extension_ast_nodes=extensions,
            )
        assert isinstance(node, ScalarTypeDefinitionNode)
        url = None
        for scalar_node in nodes:
            specified_by = _directive_values(GraphQLSpecifiedByDirective, scalar_node)
            if specified_by is not None:
                url = specified_by["url"]
        return GraphQLScalarType(
            name,
            description=description,
            specified_by_url=url,
            ast_node=node,
            extension_ast_nodes=extensions,
        )


# SDL validation (graphql-js specifiedSDLRules) -----------------------------------------------


def assert_valid_sdl(document: DocumentNode) -> None:
    """Raise when an SDL document breaks an SDL rule.

    Raises:
        InvalidSchemaError: with every problem, as :func:`validate_sdl` finds them.
    """
    errors = validate_sdl(document)
    if errors:
        raise InvalidSchemaError(errors)


def validate_sdl(document: DocumentNode) -> list[GraphQLError]:
    """The problems of an SDL document, as graphql-js's SDL rules report them.

    The rules (graphql-js ``specifiedSDLRules``, in its order and in one walk, so
    the errors come in the same order): one schema definition; one type per
    operation; unique type, enum value, field, argument and directive names; known
    types and directives; directives in allowed locations and not repeated unless
    repeatable; extensions of defined types of the same kind; known, unique and
    required directive arguments; unique input object fields.

    Args:
        document: The parsed SDL.

    Returns:
        The errors, empty when the document is valid SDL.
    """
    checker = _SDLChecker(document)
    checker.visit(document, ())
    return checker.errors


# Child keys to walk, in graphql-js visit order (QueryDocumentKeys), leaving out names,
# descriptions and other children that hold nothing the rules look at.
_WALK_KEYS: dict[type[Node], tuple[str, ...]] = {
    DocumentNode: ("definitions",),
    OperationDefinitionNode: ("variable_definitions", "directives", "selection_set"),
    VariableDefinitionNode: ("type", "default_value", "directives"),
    FieldNode: ("arguments", "directives", "selection_set"),
    FragmentSpreadNode: ("arguments", "directives"),
    InlineFragmentNode: ("type_condition", "directives", "selection_set"),
    FragmentDefinitionNode: (
        "variable_definitions",
        "type_condition",
        "directives",
        "selection_set",
    ),
    SchemaDefinitionNode: ("directives", "operation_types"),
    SchemaExtensionNode: ("directives", "operation_types"),
    ScalarTypeDefinitionNode: ("directives",),
    ScalarTypeExtensionNode: ("directives",),
    ObjectTypeDefinitionNode: ("interfaces", "directives", "fields"),
    ObjectTypeExtensionNode: ("interfaces", "directives", "fields"),
    InterfaceTypeDefinitionNode: ("interfaces", "directives", "fields"),
    InterfaceTypeExtensionNode: ("interfaces", "directives", "fields"),
    FieldDefinitionNode: ("arguments", "type", "directives"),
    InputValueDefinitionNode: ("type", "default_value", "directives"),
    UnionTypeDefinitionNode: ("directives", "types"),
    UnionTypeExtensionNode: ("directives", "types"),
    EnumTypeDefinitionNode: ("directives", "values"),
    EnumTypeExtensionNode: ("directives", "values"),
    EnumValueDefinitionNode: ("directives",),
    InputObjectTypeDefinitionNode: ("directives", "fields"),
    InputObjectTypeExtensionNode: ("directives", "fields"),
    DirectiveDefinitionNode: ("arguments", "directives"),
    DirectiveExtensionNode: ("directives",),
    OperationTypeDefinitionNode: ("type",),
    SelectionSetNode: ("selections",),
    ArgumentNode: ("value",),
    ListValueNode: ("values",),
    ObjectValueNode: ("fields",),
    ObjectFieldNode: ("value",),
    DirectiveNode: ("arguments",),
    ListTypeNode: ("type",),
    NonNullTypeNode: ("type",),
}

# KnownDirectivesRule: the location a directive is used at, by the node it is on.
_LOCATIONS: dict[type[Node], DirectiveLocation] = {
    FieldNode: DirectiveLocation.FIELD,
    FragmentSpreadNode: DirectiveLocation.FRAGMENT_SPREAD,
    InlineFragmentNode: DirectiveLocation.INLINE_FRAGMENT,
    FragmentDefinitionNode: DirectiveLocation.FRAGMENT_DEFINITION,
    SchemaDefinitionNode: DirectiveLocation.SCHEMA,
    SchemaExtensionNode: DirectiveLocation.SCHEMA,
    ScalarTypeDefinitionNode: DirectiveLocation.SCALAR,
    ScalarTypeExtensionNode: DirectiveLocation.SCALAR,
    ObjectTypeDefinitionNode: DirectiveLocation.OBJECT,
    ObjectTypeExtensionNode: DirectiveLocation.OBJECT,
    FieldDefinitionNode: DirectiveLocation.FIELD_DEFINITION,
    InterfaceTypeDefinitionNode: DirectiveLocation.INTERFACE,
    InterfaceTypeExtensionNode: DirectiveLocation.INTERFACE,
    UnionTypeDefinitionNode: DirectiveLocation.UNION,
    UnionTypeExtensionNode: DirectiveLocation.UNION,
    EnumTypeDefinitionNode: DirectiveLocation.ENUM,
    EnumTypeExtensionNode: DirectiveLocation.ENUM,
    EnumValueDefinitionNode: DirectiveLocation.ENUM_VALUE,
    InputObjectTypeDefinitionNode: DirectiveLocation.INPUT_OBJECT,
    InputObjectTypeExtensionNode: DirectiveLocation.INPUT_OBJECT,
    DirectiveDefinitionNode: DirectiveLocation.DIRECTIVE_DEFINITION,
    DirectiveExtensionNode: DirectiveLocation.DIRECTIVE_DEFINITION,
}

_EXTENSION_KINDS: dict[type[Node], tuple[type[Node], str]] = {
    ScalarTypeExtensionNode: (ScalarTypeDefinitionNode, "scalar"),
    ObjectTypeExtensionNode: (ObjectTypeDefinitionNode, "object"),
    InterfaceTypeExtensionNode: (InterfaceTypeDefinitionNode, "interface"),
    UnionTypeExtensionNode: (UnionTypeDefinitionNode, "union"),
    EnumTypeExtensionNode: (EnumTypeDefinitionNode, "enum"),
    InputObjectTypeExtensionNode: (InputObjectTypeDefinitionNode, "input object"),
}

_FIELDS_OWNERS = (
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
)
_ARGUMENT_OWNERS = _FIELDS_OWNERS[:4]


class _SDLChecker:
    """The SDL rules as one walk; each ``enter`` runs the rules in graphql-js's order."""

    def __init__(self, document: DocumentNode) -> None:
        self.errors: list[GraphQLError] = []
        self.schema_definitions = 0
        self.operation_types: dict[OperationType, Node] = {}
        self.type_names: dict[str, Node] = {}
        self.enum_values: dict[str, dict[str, Node]] = {}
        self.field_names: dict[str, dict[str, Node]] = {}
        self.directive_names: dict[str, Node] = {}
        self.defined_types: dict[str, TypeDefinitionNode] = {}
        self.directive_locations: dict[str, frozenset[DirectiveLocation]] = {}
        self.directive_unique: dict[str, bool] = {}
        self.directive_args: dict[str, set[str]] = {}
        self.directive_required: dict[str, dict[str, str]] = {}
        self.seen_directives: dict[tuple[str, str], dict[str, DirectiveNode]] = {}
        self.input_field_names: list[dict[str, Node]] = []
        for directive in specified_directives:
            self.directive_locations[directive.name] = frozenset(directive.locations)
            self.directive_unique[directive.name] = not directive.is_repeatable
            self.directive_args[directive.name] = set(directive.args)
            self.directive_required[directive.name] = {
                name: str(arg.type)
                for name, arg in directive.args.items()
                if is_required_argument(arg)
            }
        for definition in document.definitions:
            if isinstance(definition, TypeDefinitionNode):
                self.defined_types.setdefault(definition.name.value, definition)  # type: ignore[attr-defined]
            elif isinstance(definition, DirectiveDefinitionNode):
                name = definition.name.value
                self.directive_locations[name] = frozenset(
                    DirectiveLocation[location.value] for location in definition.locations
                )
                self.directive_unique[name] = not definition.repeatable
                self.directive_args[name] = {arg.name.value for arg in definition.arguments}
                self.directive_required[name] = {
                    arg.name.value: print_ast(arg.type)
                    for arg in definition.arguments
                    if isinstance(arg.type, NonNullTypeNode) and arg.default_value is None
                }
        self.type_suggestions = [*_STANDARD_TYPES, *self.defined_types]

    def report(self, message: str, nodes: Any) -> None:
        self.errors.append(GraphQLError(message, nodes))

    def visit(self, node: Node, ancestors: tuple[Node, ...]) -> None:
        self.enter(node, ancestors)
        keys = _WALK_KEYS.get(type(node), ())
        inner = (*ancestors, node)
        for key in keys:
            child = getattr(node, key)
            if isinstance(child, tuple):
                for item in child:
                    self.visit(item, inner)
            elif child is not None:
                self.visit(child, inner)
        if isinstance(node, DirectiveNode):
            self.provided_required_arguments(node)
        elif isinstance(node, ObjectValueNode):
            self.input_field_names.pop()

    def enter(self, node: Node, ancestors: tuple[Node, ...]) -> None:
        if isinstance(node, NamedTypeNode):
            self.known_type_name(node, ancestors)
            return
        if isinstance(node, DirectiveNode):
            self.known_directive(node, ancestors)
            self.known_directive_arguments(node)
            self.unique_argument_names(node.arguments)
            return
        if isinstance(node, FieldNode):
            self.unique_argument_names(node.arguments)
            return
        if isinstance(node, ObjectValueNode):
            self.input_field_names.append({})
            return
        if isinstance(node, ObjectFieldNode):
            self.unique_input_field_name(node)
            return
        if isinstance(node, SchemaDefinitionNode):
            if self.schema_definitions:
                self.report("Must provide only one schema definition.", node)
            self.schema_definitions += 1
        if isinstance(node, (SchemaDefinitionNode, SchemaExtensionNode)):
            self.unique_operation_types(node)
        if isinstance(node, TypeDefinitionNode):
            self.unique_type_name(node)
        if isinstance(node, (EnumTypeDefinitionNode, EnumTypeExtensionNode)):
            self.unique_enum_values(node)
        if isinstance(node, _FIELDS_OWNERS):
            self.unique_field_names(node)
        if isinstance(node, _ARGUMENT_OWNERS):
            for field in node.fields:
                self.unique_argument_definitions(
                    f"{node.name.value}.{field.name.value}", field.arguments
                )
        if isinstance(node, DirectiveDefinitionNode):
            self.unique_argument_definitions(f"@{node.name.value}", node.arguments)
            self.unique_directive_name(node)
        self.unique_directives_per_location(node)
        if isinstance(node, TypeExtensionNode):
            self.possible_type_extension(node)

    # LoneSchemaDefinition .. UniqueDirectiveNames

    def unique_operation_types(self, node: SchemaDefinitionNode | SchemaExtensionNode) -> None:
        for operation_type in node.operation_types:
            operation = operation_type.operation
            previous = self.operation_types.get(operation)
            if previous is not None:
                self.report(
                    f"There can be only one {operation.value} type in schema.",
                    [previous, operation_type],
                )
            else:
                self.operation_types[operation] = operation_type

    def unique_type_name(self, node: TypeDefinitionNode) -> None:
        name_node = node.name  # type: ignore[attr-defined]
        previous = self.type_names.get(name_node.value)
        if previous is not None:
            self.report(
                f'There can be only one type named "{name_node.value}".', [previous, name_node]
            )
        else:
            self.type_names[name_node.value] = name_node

    def unique_enum_values(self, node: EnumTypeDefinitionNode | EnumTypeExtensionNode) -> None:
        type_name = node.name.value
        known = self.enum_values.setdefault(type_name, {})
        for value in node.values:
            previous = known.get(value.name.value)
            if previous is not None:
                self.report(
                    f'Enum value "{type_name}.{value.name.value}" can only be defined once.',
                    [previous, value.name],
                )
            else:
                known[value.name.value] = value.name

    def unique_field_names(self, node: Any) -> None:
        type_name = node.name.value
        known = self.field_names.setdefault(type_name, {})
        for field in node.fields:
            previous = known.get(field.name.value)
            if previous is not None:
                self.report(
                    f'Field "{type_name}.{field.name.value}" can only be defined once.',
                    [previous, field.name],
                )
            else:
                known[field.name.value] = field.name

    def unique_argument_definitions(
        self, parent: str, arguments: Sequence[InputValueDefinitionNode]
    ) -> None:
        by_name: dict[str, list[Node]] = {}
        for argument in arguments:
            by_name.setdefault(argument.name.value, []).append(argument.name)
        for name, nodes in by_name.items():
            if len(nodes) > 1:
                self.report(f'Argument "{parent}({name}:)" can only be defined once.', nodes)

    def unique_directive_name(self, node: DirectiveDefinitionNode) -> None:
        name = node.name.value
        previous = self.directive_names.get(name)
        if previous is not None:
            self.report(f'There can be only one directive named "@{name}".', [previous, node.name])
        else:
            self.directive_names[name] = node.name

    # KnownTypeNames, KnownDirectives, UniqueDirectivesPerLocation, PossibleTypeExtensions

    def known_type_name(self, node: NamedTypeNode, ancestors: tuple[Node, ...]) -> None:
        name = node.name.value
        if name in self.defined_types:
            return
        definition = ancestors[1]  # the top-level definition (ancestors[0] is the document)
        is_sdl = isinstance(definition, (TypeSystemDefinitionNode, TypeSystemExtensionNode))
        if is_sdl and name in _STANDARD_TYPES:
            return
        options = self.type_suggestions if is_sdl else list(self.defined_types)
        self.report(f'Unknown type "{name}".' + did_you_mean(suggestion_list(name, options)), node)

    def known_directive(self, node: DirectiveNode, ancestors: tuple[Node, ...]) -> None:
        name = node.name.value
        locations = self.directive_locations.get(name)
        if locations is None:
            self.report(f'Unknown directive "@{name}".', node)
            return
        location = _directive_location(ancestors)
        if location is not None and location not in locations:
            self.report(f'Directive "@{name}" may not be used on {location.value}.', node)

    def unique_directives_per_location(self, node: Node) -> None:
        directives: tuple[DirectiveNode, ...] = getattr(node, "directives", ())
        if not directives:
            return
        seen: dict[str, DirectiveNode]
        if isinstance(node, (SchemaDefinitionNode, SchemaExtensionNode)):
            seen = self.seen_directives.setdefault(("schema", ""), {})
        elif isinstance(node, (TypeDefinitionNode, TypeExtensionNode)):
            seen = self.seen_directives.setdefault(("type", node.name.value), {})  # type: ignore[union-attr]
        elif isinstance(node, (DirectiveDefinitionNode, DirectiveExtensionNode)):
            seen = self.seen_directives.setdefault(("directive", node.name.value), {})
        else:
            seen = {}
        for directive in directives:
            name = directive.name.value
            if self.directive_unique.get(name):
                if name in seen:
                    self.report(
                        f'The directive "@{name}" can only be used once at this location.',
                        [seen[name], directive],
                    )
                else:
                    seen[name] = directive

    def possible_type_extension(self, node: TypeExtensionNode) -> None:
        name_node = node.name  # type: ignore[attr-defined]
        definition = self.defined_types.get(name_node.value)
        if definition is None:
            suggestions = suggestion_list(name_node.value, list(self.defined_types))
            self.report(
                f'Cannot extend type "{name_node.value}" because it is not defined.'
                + did_you_mean(suggestions),
                name_node,
            )
            return
        expected, kind = _EXTENSION_KINDS[type(node)]
        if not isinstance(definition, expected):
            self.report(f'Cannot extend non-{kind} type "{name_node.value}".', [definition, node])

    # KnownArgumentNamesOnDirectives, UniqueArgumentNames, UniqueInputFieldNames,
    # ProvidedRequiredArgumentsOnDirectives

    def known_directive_arguments(self, node: DirectiveNode) -> None:
        name = node.name.value
        known = self.directive_args.get(name)
        if known is None:
            return
        for argument in node.arguments:
            if argument.name.value not in known:
                suggestions = suggestion_list(argument.name.value, list(known))
                self.report(
                    f'Unknown argument "{argument.name.value}" on directive "@{name}".'
                    + did_you_mean(suggestions),
                    argument,
                )

    def unique_argument_names(self, arguments: Sequence[Any]) -> None:
        by_name: dict[str, list[Node]] = {}
        for argument in arguments:
            by_name.setdefault(argument.name.value, []).append(argument.name)
        for name, nodes in by_name.items():
            if len(nodes) > 1:
                self.report(f'There can be only one argument named "{name}".', nodes)

    def unique_input_field_name(self, node: ObjectFieldNode) -> None:
        known = self.input_field_names[-1]
        name = node.name.value
        if name in known:
            self.report(
                f'There can be only one input field named "{name}".', [known[name], node.name]
            )
        else:
            known[name] = node.name

    def provided_required_arguments(self, node: DirectiveNode) -> None:
        required = self.directive_required.get(node.name.value)
        if not required:
            return
        given = {argument.name.value for argument in node.arguments}
        for name, type_text in required.items():
            if name not in given:
                self.report(
                    f'Argument "@{node.name.value}({name}:)" of type "{type_text}" is required,'
                    " but it was not provided.",
                    node,
                )


def _directive_location(ancestors: tuple[Node, ...]) -> DirectiveLocation | None:
    """graphql-js ``getDirectiveLocationForASTPath``: where the directive is applied."""
    applied_to = ancestors[-1]
    if isinstance(applied_to, OperationDefinitionNode):
        return DirectiveLocation[applied_to.operation.name]
    if isinstance(applied_to, InputValueDefinitionNode):
        parent = ancestors[-2]
        if isinstance(parent, (InputObjectTypeDefinitionNode, InputObjectTypeExtensionNode)):
            return DirectiveLocation.INPUT_FIELD_DEFINITION
        return DirectiveLocation.ARGUMENT_DEFINITION
    if isinstance(applied_to, VariableDefinitionNode):
        if isinstance(ancestors[-2], OperationDefinitionNode):
            return DirectiveLocation.VARIABLE_DEFINITION
        return DirectiveLocation.FRAGMENT_VARIABLE_DEFINITION
    return _LOCATIONS.get(type(applied_to))
