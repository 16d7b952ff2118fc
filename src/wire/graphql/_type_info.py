"""TypeInfo: the schema types at each point of a walk over an executable document.

As the walk enters and leaves nodes, :class:`TypeInfo` keeps track of the output
type, the parent composite type, the field definition, the directive, the argument,
the expected input type and its default value, and the enum value, as graphql-js's
``TypeInfo`` does (utilities/TypeInfo.ts). It answers for the node being visited:
validation rules read it in their handlers. The current values are plain
attributes (``type``, ``parent_type``...), so a rule reads them without a call.
"""

from __future__ import annotations

from typing import Any

from wire.graphql._ast import (
    ArgumentNode,
    DirectiveNode,
    EnumValueNode,
    FieldNode,
    FragmentDefinitionNode,
    InlineFragmentNode,
    Node,
    ObjectFieldNode,
    OperationDefinitionNode,
    VariableDefinitionNode,
)
from wire.graphql._definition import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLEnumValue,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLUnionType,
    Undefined,
    get_named_type,
    is_input_type,
    is_output_type,
)
from wire.graphql._directives import GraphQLDirective
from wire.graphql._introspection import SchemaMetaFieldDef, TypeMetaFieldDef, TypeNameMetaFieldDef
from wire.graphql._schema import GraphQLSchema, type_from_ast

__all__ = ["TypeInfo", "get_field_def"]

_COMPOSITE = (GraphQLObjectType, GraphQLInterfaceType, GraphQLUnionType)
_WITH_FIELDS = (GraphQLObjectType, GraphQLInterfaceType)


def get_field_def(schema: GraphQLSchema, parent_type: Any, name: str) -> GraphQLField | None:
    """The definition of field ``name`` selected on ``parent_type``, meta fields included.

    ``__typename`` exists on every composite type, ``__schema`` and ``__type`` only
    on the query root type (GraphQL draft section 4.1 "Type Name Introspection",
    4.2 "Schema Introspection").

    Args:
        schema: The schema.
        parent_type: The composite type the field is selected on.
        name: The field's name (not its alias).

    Returns:
        The field definition, or ``None`` when the type has no such field.
    """
    if name[:2] == "__":
        if name == "__typename":
            return TypeNameMetaFieldDef
        if parent_type is schema.query_type:
            if name == "__schema":
                return SchemaMetaFieldDef
            if name == "__type":
                return TypeMetaFieldDef
    if isinstance(parent_type, _WITH_FIELDS):
        found: GraphQLField | None = parent_type.fields.get(name)
        return found
    return None


class TypeInfo:
    """The schema's view of the node being visited.

    Attributes:
        schema: The schema the document is read against.
        type: The output type of the current field, operation or fragment.
        parent_type: The composite type whose fields are being selected.
        field_def: The definition of the current field.
        field_node: The field node being visited (its innermost one).
        input_type: The input type expected at the current argument or value.
        parent_input_type: The input type enclosing ``input_type`` (for a list item,
            the list type).
        default_value: The default of the current argument or input field, or
            ``Undefined``.
        directive: The definition of the current directive.
        directive_node: The directive node being visited, known or not.
        argument: The definition of the current argument.
        enum_value: The definition of the current enum value.

    Args:
        schema: The schema.
    """

    __slots__ = (
        "_default_value_stack",
        "_field_stack",
        "_input_type_stack",
        "_parent_type_stack",
        "_type_stack",
        "argument",
        "default_value",
        "directive",
        "directive_node",
        "enum_value",
        "field_def",
        "field_node",
        "input_type",
        "parent_type",
        "schema",
        "type",
    )

    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        self.type: Any = None
        self.parent_type: Any = None
        self.field_def: GraphQLField | None = None
        self.field_node: FieldNode | None = None
        self.input_type: Any = None
        self.default_value: Any = Undefined
        self.directive: GraphQLDirective | None = None
        self.directive_node: DirectiveNode | None = None
        self.argument: GraphQLArgument | None = None
        self.enum_value: GraphQLEnumValue | None = None
        # Each stack keeps the values to restore on leaving the node that changed them.
        self._type_stack: list[Any] = []
        self._parent_type_stack: list[Any] = []
        self._field_stack: list[tuple[FieldNode | None, GraphQLField | None, Any]] = []
        self._input_type_stack: list[Any] = []
        self._default_value_stack: list[Any] = []

    @property
    def parent_input_type(self) -> Any:
        """The input type enclosing the current one (see the class attributes)."""
        stack = self._input_type_stack
        return stack[-1] if stack else None

    # Handlers, named after the node kinds as the walk expects them.

    def enter_selection_set(self, node: Node) -> None:
        self._parent_type_stack.append(self.parent_type)
        named = get_named_type(self.type) if self.type is not None else None
        self.parent_type = named if isinstance(named, _COMPOSITE) else None

    def leave_selection_set(self, node: Node) -> None:
        self.parent_type = self._parent_type_stack.pop()

    def enter_field(self, node: FieldNode) -> None:
        self._field_stack.append((self.field_node, self.field_def, self.type))
        self.field_node = node
        parent_type = self.parent_type
        field_def = (
            get_field_def(self.schema, parent_type, node.name.value)
            if parent_type is not None
            else None
        )
        self.field_def = field_def
        self.type = field_def.type if field_def is not None else None

    def leave_field(self, node: Node) -> None:
        self.field_node, self.field_def, self.type = self._field_stack.pop()

    def enter_directive(self, node: DirectiveNode) -> None:
        self.directive_node = node
        self.directive = self.schema.get_directive(node.name.value)

    def leave_directive(self, node: Node) -> None:
        self.directive_node = None
        self.directive = None

    def enter_operation_definition(self, node: OperationDefinitionNode) -> None:
        self._type_stack.append(self.type)
        root = self.schema.get_root_type(node.operation)
        self.type = root if isinstance(root, GraphQLObjectType) else None

    def leave_operation_definition(self, node: Node) -> None:
        self.type = self._type_stack.pop()

    def enter_inline_fragment(self, node: InlineFragmentNode | FragmentDefinitionNode) -> None:
        self._type_stack.append(self.type)
        condition = node.type_condition
        if condition is not None:
            found = type_from_ast(self.schema, condition)
        else:
            found = get_named_type(self.type) if self.type is not None else None
        self.type = found if is_output_type(found) else None

    leave_inline_fragment = leave_operation_definition
    enter_fragment_definition = enter_inline_fragment
    leave_fragment_definition = leave_operation_definition

    def enter_variable_definition(self, node: VariableDefinitionNode) -> None:
        self._input_type_stack.append(self.input_type)
        found = type_from_ast(self.schema, node.type)
        self.input_type = found if is_input_type(found) else None

    def leave_variable_definition(self, node: Node) -> None:
        self.input_type = self._input_type_stack.pop()

    def enter_argument(self, node: ArgumentNode) -> None:
        self._input_type_stack.append(self.input_type)
        self._default_value_stack.append(self.default_value)
        owner: GraphQLDirective | GraphQLField | None = (
            self.directive if self.directive_node is not None else self.field_def
        )
        argument = owner.args.get(node.name.value) if owner is not None else None
        self.argument = argument
        if argument is None:
            self.default_value = Undefined
            self.input_type = None
        else:
            self.default_value = argument.default_value
            self.input_type = argument.type if is_input_type(argument.type) else None

    def leave_argument(self, node: Node) -> None:
        self.argument = None
        self.default_value = self._default_value_stack.pop()
        self.input_type = self._input_type_stack.pop()

    def enter_list_value(self, node: Node) -> None:
        self._input_type_stack.append(self.input_type)
        self._default_value_stack.append(self.default_value)
        list_type = self.input_type
        if isinstance(list_type, GraphQLNonNull):
            list_type = list_type.of_type
        self.input_type = list_type.of_type if isinstance(list_type, GraphQLList) else None
        # List positions never have a default value.
        self.default_value = Undefined

    def leave_list_value(self, node: Node) -> None:
        self.default_value = self._default_value_stack.pop()
        self.input_type = self._input_type_stack.pop()

    def enter_object_field(self, node: ObjectFieldNode) -> None:
        self._input_type_stack.append(self.input_type)
        self._default_value_stack.append(self.default_value)
        object_type = get_named_type(self.input_type) if self.input_type is not None else None
        field = (
            object_type.fields.get(node.name.value)
            if isinstance(object_type, GraphQLInputObjectType)
            else None
        )
        if field is None:
            self.default_value = Undefined
            self.input_type = None
        else:
            self.default_value = field.default_value
            self.input_type = field.type if is_input_type(field.type) else None

    leave_object_field = leave_list_value

    def enter_enum_value(self, node: EnumValueNode) -> None:
        enum_type = get_named_type(self.input_type) if self.input_type is not None else None
        self.enum_value = (
            enum_type.values.get(node.value) if isinstance(enum_type, GraphQLEnumType) else None
        )

    def leave_enum_value(self, node: Node) -> None:
        self.enum_value = None
