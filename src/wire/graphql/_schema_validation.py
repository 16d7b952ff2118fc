"""Schema validation: the "Type Validation" rules of the type system (section 3).

``validate_schema`` checks what constructing a schema does not: a query root
type exists and the root types are distinct object types; names do not start
with ``__``; every object, interface, enum, union and input object has members;
field and argument types are output and input types; implementations of
interfaces are valid (section 3.6.3 IsValidImplementation, including interfaces
implementing interfaces); unions hold only object types; OneOf input objects
have nullable fields without defaults; default values are valid; and input
objects can be given a finite value. Messages are graphql-js 17's.

The result is kept on the schema, so validation and execution can call it on
every request for free.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from wire.graphql._ast import (
    ListValueNode,
    Node,
    ObjectValueNode,
    OperationType,
    ValueNode,
)
from wire.graphql._definition import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLUnionType,
    get_named_type,
    is_input_type,
    is_output_type,
    is_required_argument,
)
from wire.graphql._directives import GraphQLDeprecatedDirective
from wire.graphql._errors import GraphQLError, InvalidSchemaError, and_list, inspect
from wire.graphql._introspection import is_introspection_type
from wire.graphql._schema import GraphQLSchema, is_equal_type, is_type_sub_type_of
from wire.graphql._values import print_path_list, validate_input_literal

__all__ = ["assert_valid_schema", "validate_schema"]


def validate_schema(schema: GraphQLSchema) -> list[GraphQLError]:
    """The type system errors of ``schema`` (empty when it is valid), computed once.

    Args:
        schema: The schema.

    Returns:
        The errors, each located at the definitions it is about when the schema
        was built from SDL.
    """
    errors = schema.validation_errors
    if errors is None:
        context = _SchemaValidation(schema)
        context.validate_root_types()
        context.validate_directives()
        context.validate_types()
        errors = schema.validation_errors = context.errors
    return errors


def assert_valid_schema(schema: GraphQLSchema) -> None:
    """Raise unless ``schema`` is valid.

    Raises:
        InvalidSchemaError: with every error :func:`validate_schema` found.
    """
    errors = validate_schema(schema)
    if errors:
        raise InvalidSchemaError(errors)


def _deprecated_directive(node: Any) -> Any:
    for directive in getattr(node, "directives", ()):
        if directive.name.value == GraphQLDeprecatedDirective.name:
            return directive
    return None


def _type_node(definition: Any) -> Any:
    return None if definition.ast_node is None else definition.ast_node.type


class _SchemaValidation:
    """graphql-js ``SchemaValidationContext``."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        self.errors: list[GraphQLError] = []

    def report(self, message: str, nodes: Node | Iterable[Node | None] | None = None) -> None:
        if nodes is not None and not isinstance(nodes, Node):
            nodes = [node for node in nodes if node is not None]
        self.errors.append(GraphQLError(message, nodes))

    def validate_name(self, definition: Any, name: str) -> None:
        if name.startswith("__"):
            self.report(
                f'Name "{name}" must not begin with "__", which is reserved by GraphQL'
                " introspection.",
                definition.ast_node,
            )

    # Root operation types (section 3.3.1) ---------------------------------------------------

    def operation_type_node(self, operation: OperationType) -> Node | None:
        schema = self.schema
        for node in [schema.ast_node, *schema.extension_ast_nodes]:
            for operation_type in node.operation_types if node is not None else ():
                if operation_type.operation is operation:
                    return operation_type.type
        return None

    def validate_root_types(self) -> None:
        schema = self.schema
        if schema.query_type is None:
            self.report("Query root type must be provided.", schema.ast_node)
        operations_by_root: dict[GraphQLObjectType, list[OperationType]] = {}
        for operation in OperationType:
            # Typed as object types, but SDL may name any type as a root: check.
            root: Any = schema.get_root_type(operation)
            if root is None:
                continue
            if isinstance(root, GraphQLObjectType):
                operations_by_root.setdefault(root, []).append(operation)
                continue
            if_provided = "" if operation is OperationType.QUERY else " if provided"
            self.report(
                f"{operation.value.capitalize()} root type must be Object type{if_provided},"
                f" it cannot be {inspect(root)}.",
                self.operation_type_node(operation) or root.ast_node,
            )
        for root, operations in operations_by_root.items():
            if len(operations) > 1:
                names = and_list([operation.value for operation in operations])
                self.report(
                    f'All root types must be different, "{root.name}" type is used as {names}'
                    " root types.",
                    [self.operation_type_node(operation) for operation in operations],
                )

    # Directives (section 3.13) ---------------------------------------------------------------

    def validate_directives(self) -> None:
        for directive in self.schema.directives:
            self.validate_name(directive, directive.name)
            if not directive.locations:
                self.report(
                    f"Directive @{directive.name} must include 1 or more locations.",
                    directive.ast_node,
                )
            for name, arg in directive.args.items():
                self.validate_argument(arg, name, f"@{directive.name}({name}:)")

    def validate_argument(self, arg: GraphQLArgument, name: str, arg_text: str) -> None:
        self.validate_name(arg, name)
        if not is_input_type(arg.type):
            self.report(
                f"The type of {arg_text} must be Input Type but got: {inspect(arg.type)}.",
                _type_node(arg),
            )
        if is_required_argument(arg) and arg.deprecation_reason is not None:
            self.report(
                f"Required argument {arg_text} cannot be deprecated.",
                [_deprecated_directive(arg.ast_node), _type_node(arg)],
            )
        self.validate_default_value(arg, arg_text)

    def validate_default_value(self, value: GraphQLArgument, text: str) -> None:
        # A default written in SDL is checked as a literal; one given in Python is an
        # internal value, trusted as graphql-js trusts ``defaultValue``.
        literal = value.default_literal
        if literal is None or not is_input_type(value.type):
            return

        def on_error(error: GraphQLError, path: list[str | int]) -> None:
            self.report(
                f"{text} has invalid default value{print_path_list(path)}: {error.message}",
                error.nodes or literal,
            )

        validate_input_literal(literal, value.type, on_error)

    # Named types -----------------------------------------------------------------------------

    def validate_types(self) -> None:
        input_objects: list[GraphQLInputObjectType] = []
        default_cycles = _DefaultValueCycles(self)
        for type_ in self.schema.type_map.values():
            if not is_introspection_type(type_):
                self.validate_name(type_, type_.name)
            if isinstance(type_, (GraphQLObjectType, GraphQLInterfaceType)):
                self.validate_fields(type_)
                self.validate_interfaces(type_)
            elif isinstance(type_, GraphQLUnionType):
                self.validate_union_members(type_)
            elif isinstance(type_, GraphQLEnumType):
                if not type_.values:
                    self.report(
                        f"Enum type {type_.name} must define one or more values.",
                        [type_.ast_node, *type_.extension_ast_nodes],
                    )
                for name, value in type_.values.items():
                    self.validate_name(value, name)
            elif isinstance(type_, GraphQLInputObjectType):
                self.validate_input_fields(type_)
                input_objects.append(type_)
                default_cycles.check(type_)
        _report_unbreakable_cycles(self, input_objects)

    def validate_fields(self, type_: GraphQLObjectType | GraphQLInterfaceType) -> None:
        fields = type_.fields
        if not fields:
            self.report(
                f"Type {type_.name} must define one or more fields.",
                [type_.ast_node, *type_.extension_ast_nodes],
            )
        for field_name, field in fields.items():
            self.validate_name(field, field_name)
            if not is_output_type(field.type):
                self.report(
                    f"The type of {type_.name}.{field_name} must be Output Type but got:"
                    f" {inspect(field.type)}.",
                    _type_node(field),
                )
            for arg_name, arg in field.args.items():
                self.validate_argument(arg, arg_name, f"{type_.name}.{field_name}({arg_name}:)")

    def validate_interfaces(self, type_: GraphQLObjectType | GraphQLInterfaceType) -> None:
        seen: set[str] = set()
        interfaces: list[Any] = type_.interfaces  # SDL may list any type here
        for interface in interfaces:
            if not isinstance(interface, GraphQLInterfaceType):
                self.report(
                    f"Type {type_.name} must only implement Interface types, it cannot"
                    f" implement {inspect(interface)}.",
                    _implements_nodes(type_, interface),
                )
                continue
            if type_ is interface:
                self.report(
                    f"Type {type_.name} cannot implement itself because it would create a"
                    " circular reference.",
                    _implements_nodes(type_, interface),
                )
            if interface.name in seen:
                self.report(
                    f"Type {type_.name} can only implement {interface.name} once.",
                    _implements_nodes(type_, interface),
                )
                continue
            seen.add(interface.name)
            self.validate_ancestors(type_, interface)
            self.validate_implementation(type_, interface)

    def validate_ancestors(
        self, type_: GraphQLObjectType | GraphQLInterfaceType, interface: GraphQLInterfaceType
    ) -> None:
        # Section 3.7 IsValidImplementation 1: the interfaces of an interface are
        # implemented too.
        implemented = type_.interfaces
        for transitive in interface.interfaces:
            if transitive not in implemented:
                message = (
                    f"Type {type_.name} cannot implement {interface.name} because it would"
                    " create a circular reference."
                    if transitive is type_
                    else f"Type {type_.name} must implement {transitive.name} because it is"
                    f" implemented by {interface.name}."
                )
                self.report(
                    message,
                    [
                        *_implements_nodes(interface, transitive),
                        *_implements_nodes(type_, interface),
                    ],
                )

    def validate_implementation(
        self, type_: GraphQLObjectType | GraphQLInterfaceType, interface: GraphQLInterfaceType
    ) -> None:
        # Section 3.6.3 IsValidImplementation 2.
        type_fields = type_.fields
        for field_name, interface_field in interface.fields.items():
            type_field = type_fields.get(field_name)
            if type_field is None:
                self.report(
                    f"Interface field {interface.name}.{field_name} expected but {type_.name}"
                    " does not provide it.",
                    [interface_field.ast_node, type_.ast_node, *type_.extension_ast_nodes],
                )
                continue
            if not is_type_sub_type_of(self.schema, type_field.type, interface_field.type):
                self.report(
                    f"Interface field {interface.name}.{field_name} expects type"
                    f" {interface_field.type} but {type_.name}.{field_name} is type"
                    f" {type_field.type}.",
                    [_type_node(interface_field), _type_node(type_field)],
                )
            for arg_name, interface_arg in interface_field.args.items():
                type_arg = type_field.args.get(arg_name)
                if type_arg is None:
                    self.report(
                        f"Interface field argument {interface.name}.{field_name}({arg_name}:)"
                        f" expected but {type_.name}.{field_name} does not provide it.",
                        [interface_arg.ast_node, type_field.ast_node],
                    )
                    continue
                if not is_equal_type(interface_arg.type, type_arg.type):
                    self.report(
                        f"Interface field argument {interface.name}.{field_name}({arg_name}:)"
                        f" expects type {interface_arg.type} but"
                        f" {type_.name}.{field_name}({arg_name}:) is type {type_arg.type}.",
                        [_type_node(interface_arg), _type_node(type_arg)],
                    )
            for arg_name, type_arg in type_field.args.items():
                if arg_name not in interface_field.args and is_required_argument(type_arg):
                    self.report(
                        f'Argument "{type_.name}.{field_name}({arg_name}:)" must not be required'
                        f' type "{type_arg.type}" if not provided by the Interface field'
                        f' "{interface.name}.{field_name}".',
                        [type_arg.ast_node, interface_field.ast_node],
                    )
            if (
                type_field.deprecation_reason is not None
                and interface_field.deprecation_reason is None
            ):
                self.report(
                    f"Interface field {interface.name}.{field_name} is not deprecated, so"
                    f" implementation field {type_.name}.{field_name} must not be deprecated.",
                    [_deprecated_directive(type_field.ast_node), _type_node(type_field)],
                )

    def validate_union_members(self, union: GraphQLUnionType) -> None:
        members = union.types
        if not members:
            self.report(
                f"Union type {union.name} must define one or more member types.",
                [union.ast_node, *union.extension_ast_nodes],
            )
        seen: set[str] = set()
        member: Any  # SDL may list any type here
        for member in members:
            if not isinstance(member, GraphQLObjectType):
                self.report(
                    f"Union type {union.name} can only include Object types, it cannot include"
                    f" {inspect(member)}.",
                    _member_nodes(union, str(member)),
                )
            elif member.name in seen:
                self.report(
                    f"Union type {union.name} can only include type {member.name} once.",
                    _member_nodes(union, member.name),
                )
            else:
                seen.add(member.name)

    def validate_input_fields(self, input_object: GraphQLInputObjectType) -> None:
        fields = input_object.fields
        if not fields:
            self.report(
                f"Input Object type {input_object.name} must define one or more fields.",
                [input_object.ast_node, *input_object.extension_ast_nodes],
            )
        for name, field in fields.items():
            text = f"{input_object.name}.{name}"
            self.validate_name(field, name)
            if not is_input_type(field.type):
                self.report(
                    f"The type of {text} must be Input Type but got: {inspect(field.type)}.",
                    _type_node(field),
                )
            if is_required_argument(field) and field.deprecation_reason is not None:
                self.report(
                    f"Required input field {text} cannot be deprecated.",
                    [_deprecated_directive(field.ast_node), _type_node(field)],
                )
            self.validate_default_value(field, text)
            if input_object.is_one_of:
                # OneOf Input Objects (working draft, section 3.10): nullable fields, no defaults.
                if isinstance(field.type, GraphQLNonNull):
                    self.report(f"OneOf input field {text} must be nullable.", _type_node(field))
                if field.has_default:
                    self.report(
                        f"OneOf input field {text} cannot have a default value.", field.ast_node
                    )


def _implements_nodes(type_: Any, interface: Any) -> list[Node]:
    nodes = (
        [type_.ast_node, *type_.extension_ast_nodes]
        if type_.ast_node
        else type_.extension_ast_nodes
    )
    return [
        named for node in nodes for named in node.interfaces if named.name.value == interface.name
    ]


def _member_nodes(union: GraphQLUnionType, name: str) -> list[Node]:
    nodes: Sequence[Any] = (
        [union.ast_node, *union.extension_ast_nodes]
        if union.ast_node
        else union.extension_ast_nodes
    )
    return [named for node in nodes for named in node.types if named.name.value == name]


class _DefaultValueCycles:
    """Defaults of input fields that default, through each other, to themselves.

    graphql-js ``createInputObjectDefaultValueCircularRefsValidator``: following the
    default values written in SDL from field to field must end.
    """

    def __init__(self, context: _SchemaValidation) -> None:
        self.context = context
        self.visited: set[str] = set()
        self.path: list[tuple[str, Node | None]] = []
        self.path_index: dict[str, int] = {}

    def check(self, input_object: GraphQLInputObjectType) -> None:
        for name, field in input_object.fields.items():
            named = get_named_type(field.type)
            if isinstance(named, GraphQLInputObjectType):
                self.follow_field(field, named, f"{input_object.name}.{name}")

    def follow_literal(self, input_object: GraphQLInputObjectType, literal: ValueNode) -> None:
        if isinstance(literal, ListValueNode):
            for item in literal.values:
                self.follow_literal(input_object, item)
            return
        if not isinstance(literal, ObjectValueNode):
            return
        given = {field.name.value: field.value for field in literal.fields}
        for name, field in input_object.fields.items():
            named = get_named_type(field.type)
            if not isinstance(named, GraphQLInputObjectType):
                continue
            if name in given:
                self.follow_literal(named, given[name])
            else:
                self.follow_field(field, named, f"{input_object.name}.{name}")

    def follow_field(
        self, field: GraphQLInputField, field_type: GraphQLInputObjectType, text: str
    ) -> None:
        literal = field.default_literal
        if literal is None:
            return
        index = self.path_index.get(text)
        if index is not None:
            cycle = self.path[index:]
            via = (
                " via the default values of: " + ", ".join(name for name, _ in cycle)
                if cycle
                else ""
            )
            self.context.report(
                "Invalid circular reference. The default value of Input Object field"
                f" {text} references itself{via}.",
                [node for _, node in self.path[index - 1 :]],
            )
            return
        if text in self.visited:
            return
        self.visited.add(text)
        self.path.append((text, literal))
        self.path_index[text] = len(self.path)
        self.follow_literal(field_type, literal)
        self.path.pop()
        del self.path_index[text]


def _report_unbreakable_cycles(
    context: _SchemaValidation, input_objects: list[GraphQLInputObjectType]
) -> None:
    """Report input objects no finite value satisfies (3.10 InputObjectHasUnbreakableCycle).

    A field of a plain input object that is a non-null input object must be given;
    a OneOf input object needs one field it can be given. Types that can be given a
    finite value are found by propagating from the ones that obviously can; each
    cycle among the rest is reported once.
    """
    targets: dict[
        GraphQLInputObjectType, list[tuple[str, GraphQLInputField, GraphQLInputObjectType]]
    ]
    targets = {}
    dependents: dict[GraphQLInputObjectType, list[GraphQLInputObjectType]] = {
        input_object: [] for input_object in input_objects
    }
    unresolved: dict[GraphQLInputObjectType, int] = {}
    finite: set[GraphQLInputObjectType] = set()
    ready: list[GraphQLInputObjectType] = []

    def mark(input_object: GraphQLInputObjectType) -> None:
        finite.add(input_object)
        ready.append(input_object)

    for input_object in input_objects:
        fields = input_object.fields
        edges = targets[input_object] = []
        for name, field in fields.items():
            field_type = field.type
            if input_object.is_one_of:
                target = field_type if isinstance(field_type, GraphQLInputObjectType) else None
            elif isinstance(field_type, GraphQLNonNull) and isinstance(
                field_type.of_type, GraphQLInputObjectType
            ):
                target = field_type.of_type
            else:
                target = None
            if target is None:
                continue
            edges.append((name, field, target))
            dependents[target].append(input_object)  # every input object is in the type map
        if input_object.is_one_of:
            if len(edges) < len(fields) or not fields:
                mark(input_object)
        else:
            unresolved[input_object] = len(edges)
            if not edges:
                mark(input_object)
    while ready:
        for dependent in dependents[ready.pop()]:
            if dependent in finite:
                continue
            if dependent.is_one_of:
                mark(dependent)
                continue
            unresolved[dependent] -= 1
            if not unresolved[dependent]:
                mark(dependent)

    visited: set[GraphQLInputObjectType] = set()
    path: list[tuple[str, Node | None]] = []
    path_index: dict[GraphQLInputObjectType, int] = {}

    def report_cycles(input_object: GraphQLInputObjectType) -> None:
        if input_object in visited:
            return
        visited.add(input_object)
        path_index[input_object] = len(path)
        for name, field, target in targets[input_object]:
            if target in finite or target not in targets:
                continue
            path.append((f"{input_object.name}.{name}", field.ast_node))
            index = path_index.get(target)
            if index is None:
                report_cycles(target)
            else:
                cycle = path[index:]
                context.report(
                    f"Input Object {target.name} cannot be provided a finite value because it"
                    " references itself through fields: "
                    + ", ".join(text for text, _ in cycle)
                    + ".",
                    [node for _, node in cycle],
                )
            path.pop()
        del path_index[input_object]

    for input_object in input_objects:
        if input_object not in finite:
            report_cycles(input_object)
