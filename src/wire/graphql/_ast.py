"""The GraphQL abstract syntax tree.

Every node is a frozen, slotted dataclass named as in graphql-js (``FieldNode``,
``ObjectTypeDefinitionNode``...), with snake_case fields. Where graphql-js
has an optional list, the node has a tuple that is empty when the list is
absent, so there is exactly one AST for each printed document.

Each node has a ``loc``: the ``Location`` (start and end character offsets) of
the text it was parsed from, or ``None`` for a node built by hand. ``loc`` takes
no part in equality, so ``parse(print_ast(node)) == node``. Line and column of an
offset come from :func:`wire.graphql.line_column`.

The abstract classes (``DefinitionNode``, ``SelectionNode``, ``ValueNode``,
``TypeNode``...) group the nodes as the grammar does, for ``isinstance`` checks.
The parser keeps constant values (default values, directive arguments in the type
system) free of variables; the classes do not check it.
"""

from __future__ import annotations

from dataclasses import MISSING, FrozenInstanceError, dataclass, field, fields
from enum import Enum
from typing import Any, NamedTuple

__all__ = [
    "DIRECTIVE_LOCATIONS",
    "ArgumentNode",
    "BooleanValueNode",
    "DefinitionNode",
    "DirectiveDefinitionNode",
    "DirectiveExtensionNode",
    "DirectiveNode",
    "DocumentNode",
    "EnumTypeDefinitionNode",
    "EnumTypeExtensionNode",
    "EnumValueDefinitionNode",
    "EnumValueNode",
    "ExecutableDefinitionNode",
    "FieldDefinitionNode",
    "FieldNode",
    "FloatValueNode",
    "FragmentDefinitionNode",
    "FragmentSpreadNode",
    "InlineFragmentNode",
    "InputObjectTypeDefinitionNode",
    "InputObjectTypeExtensionNode",
    "InputValueDefinitionNode",
    "IntValueNode",
    "InterfaceTypeDefinitionNode",
    "InterfaceTypeExtensionNode",
    "ListTypeNode",
    "ListValueNode",
    "Location",
    "NameNode",
    "NamedTypeNode",
    "Node",
    "NonNullTypeNode",
    "NullValueNode",
    "ObjectFieldNode",
    "ObjectTypeDefinitionNode",
    "ObjectTypeExtensionNode",
    "ObjectValueNode",
    "OperationDefinitionNode",
    "OperationType",
    "OperationTypeDefinitionNode",
    "ScalarTypeDefinitionNode",
    "ScalarTypeExtensionNode",
    "SchemaDefinitionNode",
    "SchemaExtensionNode",
    "SelectionNode",
    "SelectionSetNode",
    "StringValueNode",
    "TypeDefinitionNode",
    "TypeExtensionNode",
    "TypeNode",
    "TypeSystemDefinitionNode",
    "TypeSystemExtensionNode",
    "UnionTypeDefinitionNode",
    "UnionTypeExtensionNode",
    "ValueNode",
    "VariableDefinitionNode",
    "VariableNode",
]


class Location(NamedTuple):
    """Where a node came from: character offsets into the parsed source.

    Attributes:
        start: Offset of the node's first character.
        end: Offset just past the node's last character.
    """

    start: int
    end: int


class OperationType(Enum):
    """OperationType : one of ``query mutation subscription`` (section 2.3)."""

    QUERY = "query"
    MUTATION = "mutation"
    SUBSCRIPTION = "subscription"


#: DirectiveLocation (section 3.13), with FRAGMENT_VARIABLE_DEFINITION and
#: DIRECTIVE_DEFINITION from the working draft as graphql-js 17 has them.
DIRECTIVE_LOCATIONS = frozenset(
    {
        # ExecutableDirectiveLocation
        "QUERY",
        "MUTATION",
        "SUBSCRIPTION",
        "FIELD",
        "FRAGMENT_DEFINITION",
        "FRAGMENT_SPREAD",
        "INLINE_FRAGMENT",
        "VARIABLE_DEFINITION",
        "FRAGMENT_VARIABLE_DEFINITION",
        # TypeSystemDirectiveLocation
        "SCHEMA",
        "SCALAR",
        "OBJECT",
        "FIELD_DEFINITION",
        "ARGUMENT_DEFINITION",
        "INTERFACE",
        "UNION",
        "ENUM",
        "ENUM_VALUE",
        "INPUT_OBJECT",
        "INPUT_FIELD_DEFINITION",
        "DIRECTIVE_DEFINITION",
    }
)


@dataclass(frozen=True, slots=True)
class Node:
    """Base class of every AST node.

    Attributes:
        loc: The source span the node was parsed from; ``None`` when built by hand.
            Not compared.
    """

    loc: Location | None = field(default=None, compare=False, kw_only=True, repr=False)


@dataclass(frozen=True, slots=True)
class NameNode(Node):
    """Name (section 2.1.9)."""

    value: str


# Abstract groups ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DefinitionNode(Node):
    """Definition: an ExecutableDefinition or a type system definition or extension."""


@dataclass(frozen=True, slots=True)
class ExecutableDefinitionNode(DefinitionNode):
    """ExecutableDefinition: an OperationDefinition or a FragmentDefinition."""


@dataclass(frozen=True, slots=True)
class SelectionNode(Node):
    """Selection: a Field, FragmentSpread or InlineFragment."""


@dataclass(frozen=True, slots=True)
class ValueNode(Node):
    """Value (section 2.9)."""


@dataclass(frozen=True, slots=True)
class TypeNode(Node):
    """Type (section 2.11): a NamedType, ListType or NonNullType."""


@dataclass(frozen=True, slots=True)
class TypeSystemDefinitionNode(DefinitionNode):
    """TypeSystemDefinition: schema, type and directive definitions."""


@dataclass(frozen=True, slots=True)
class TypeDefinitionNode(TypeSystemDefinitionNode):
    """TypeDefinition: scalar, object, interface, union, enum and input object types."""


@dataclass(frozen=True, slots=True)
class TypeSystemExtensionNode(DefinitionNode):
    """TypeSystemExtension: schema, type and directive extensions."""


@dataclass(frozen=True, slots=True)
class TypeExtensionNode(TypeSystemExtensionNode):
    """TypeExtension: extensions of the six kinds of named types."""


# Document -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DocumentNode(Node):
    """Document : Definition+ (section 2.2)."""

    definitions: tuple[DefinitionNode, ...]


@dataclass(frozen=True, slots=True)
class OperationDefinitionNode(ExecutableDefinitionNode):
    """OperationDefinition (section 2.3); the shorthand ``{ ... }`` is an anonymous query."""

    operation: OperationType
    selection_set: SelectionSetNode
    name: NameNode | None = None
    variable_definitions: tuple[VariableDefinitionNode, ...] = ()
    directives: tuple[DirectiveNode, ...] = ()
    description: StringValueNode | None = None


@dataclass(frozen=True, slots=True)
class VariableDefinitionNode(Node):
    """VariableDefinition : Description? Variable : Type DefaultValue? Directives[Const]?"""

    variable: VariableNode
    type: TypeNode
    default_value: ValueNode | None = None
    directives: tuple[DirectiveNode, ...] = ()
    description: StringValueNode | None = None


@dataclass(frozen=True, slots=True)
class VariableNode(ValueNode):
    """Variable : $ Name (section 2.10)."""

    name: NameNode


@dataclass(frozen=True, slots=True)
class SelectionSetNode(Node):
    """SelectionSet : { Selection* } (empty allowed, as in the working draft)."""

    selections: tuple[SelectionNode, ...]


@dataclass(frozen=True, slots=True)
class FieldNode(SelectionNode):
    """Field : Alias? Name Arguments? Directives? SelectionSet? (section 2.5)."""

    name: NameNode
    alias: NameNode | None = None
    arguments: tuple[ArgumentNode, ...] = ()
    directives: tuple[DirectiveNode, ...] = ()
    selection_set: SelectionSetNode | None = None


@dataclass(frozen=True, slots=True)
class ArgumentNode(Node):
    """Argument : Name : Value (section 2.6)."""

    name: NameNode
    value: ValueNode


@dataclass(frozen=True, slots=True)
class FragmentSpreadNode(SelectionNode):
    """FragmentSpread : ... FragmentName Arguments? Directives? (section 2.8).

    ``arguments`` is only ever non-empty with the experimental fragment arguments.
    """

    name: NameNode
    directives: tuple[DirectiveNode, ...] = ()
    arguments: tuple[ArgumentNode, ...] = ()


@dataclass(frozen=True, slots=True)
class InlineFragmentNode(SelectionNode):
    """InlineFragment : ... TypeCondition? Directives? SelectionSet (section 2.8.2)."""

    selection_set: SelectionSetNode
    type_condition: NamedTypeNode | None = None
    directives: tuple[DirectiveNode, ...] = ()


@dataclass(frozen=True, slots=True)
class FragmentDefinitionNode(ExecutableDefinitionNode):
    """FragmentDefinition : Description? fragment FragmentName TypeCondition ... (2.8).

    ``variable_definitions`` is only ever non-empty with the experimental fragment
    arguments.
    """

    name: NameNode
    type_condition: NamedTypeNode
    selection_set: SelectionSetNode
    directives: tuple[DirectiveNode, ...] = ()
    variable_definitions: tuple[VariableDefinitionNode, ...] = ()
    description: StringValueNode | None = None


# Values ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IntValueNode(ValueNode):
    """IntValue (section 2.9.1); ``value`` is the source text, e.g. ``"-12"``."""

    value: str


@dataclass(frozen=True, slots=True)
class FloatValueNode(ValueNode):
    """FloatValue (section 2.9.2); ``value`` is the source text, e.g. ``"1.5e3"``."""

    value: str


@dataclass(frozen=True, slots=True)
class StringValueNode(ValueNode):
    """StringValue (section 2.9.4): the decoded ``value``; ``block`` for ``\"\"\"`` strings."""

    value: str
    block: bool = False


@dataclass(frozen=True, slots=True)
class BooleanValueNode(ValueNode):
    """BooleanValue : one of ``true false`` (section 2.9.3)."""

    value: bool


@dataclass(frozen=True, slots=True)
class NullValueNode(ValueNode):
    """NullValue : ``null`` (section 2.9.5)."""


@dataclass(frozen=True, slots=True)
class EnumValueNode(ValueNode):
    """EnumValue : Name but not ``true``, ``false`` or ``null`` (section 2.9.6)."""

    value: str


@dataclass(frozen=True, slots=True)
class ListValueNode(ValueNode):
    """ListValue : [ Value* ] (section 2.9.7)."""

    values: tuple[ValueNode, ...]


@dataclass(frozen=True, slots=True)
class ObjectValueNode(ValueNode):
    """ObjectValue : { ObjectField* } (section 2.9.8)."""

    fields: tuple[ObjectFieldNode, ...]


@dataclass(frozen=True, slots=True)
class ObjectFieldNode(Node):
    """ObjectField : Name : Value."""

    name: NameNode
    value: ValueNode


# Directives and types -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DirectiveNode(Node):
    """Directive : @ Name Arguments? (section 2.12)."""

    name: NameNode
    arguments: tuple[ArgumentNode, ...] = ()


@dataclass(frozen=True, slots=True)
class NamedTypeNode(TypeNode):
    """NamedType : Name."""

    name: NameNode


@dataclass(frozen=True, slots=True)
class ListTypeNode(TypeNode):
    """ListType : [ Type ]."""

    type: TypeNode


@dataclass(frozen=True, slots=True)
class NonNullTypeNode(TypeNode):
    """NonNullType : NamedType ! | ListType !."""

    type: NamedTypeNode | ListTypeNode


# Type system ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SchemaDefinitionNode(TypeSystemDefinitionNode):
    """SchemaDefinition : Description? schema Directives? { RootOperationTypeDefinition+ }."""

    operation_types: tuple[OperationTypeDefinitionNode, ...]
    directives: tuple[DirectiveNode, ...] = ()
    description: StringValueNode | None = None


@dataclass(frozen=True, slots=True)
class OperationTypeDefinitionNode(Node):
    """RootOperationTypeDefinition : OperationType : NamedType."""

    operation: OperationType
    type: NamedTypeNode


@dataclass(frozen=True, slots=True)
class ScalarTypeDefinitionNode(TypeDefinitionNode):
    """ScalarTypeDefinition : Description? scalar Name Directives?."""

    name: NameNode
    directives: tuple[DirectiveNode, ...] = ()
    description: StringValueNode | None = None


@dataclass(frozen=True, slots=True)
class ObjectTypeDefinitionNode(TypeDefinitionNode):
    """ObjectTypeDefinition : Description? type Name ImplementsInterfaces? ... Fields?."""

    name: NameNode
    interfaces: tuple[NamedTypeNode, ...] = ()
    directives: tuple[DirectiveNode, ...] = ()
    fields: tuple[FieldDefinitionNode, ...] = ()
    description: StringValueNode | None = None


@dataclass(frozen=True, slots=True)
class FieldDefinitionNode(Node):
    """FieldDefinition : Description? Name ArgumentsDefinition? : Type Directives?."""

    name: NameNode
    type: TypeNode
    arguments: tuple[InputValueDefinitionNode, ...] = ()
    directives: tuple[DirectiveNode, ...] = ()
    description: StringValueNode | None = None


@dataclass(frozen=True, slots=True)
class InputValueDefinitionNode(Node):
    """InputValueDefinition : Description? Name : Type DefaultValue? Directives?."""

    name: NameNode
    type: TypeNode
    default_value: ValueNode | None = None
    directives: tuple[DirectiveNode, ...] = ()
    description: StringValueNode | None = None


@dataclass(frozen=True, slots=True)
class InterfaceTypeDefinitionNode(TypeDefinitionNode):
    """InterfaceTypeDefinition : Description? interface Name ImplementsInterfaces? ..."""

    name: NameNode
    interfaces: tuple[NamedTypeNode, ...] = ()
    directives: tuple[DirectiveNode, ...] = ()
    fields: tuple[FieldDefinitionNode, ...] = ()
    description: StringValueNode | None = None


@dataclass(frozen=True, slots=True)
class UnionTypeDefinitionNode(TypeDefinitionNode):
    """UnionTypeDefinition : Description? union Name Directives? UnionMemberTypes?."""

    name: NameNode
    directives: tuple[DirectiveNode, ...] = ()
    types: tuple[NamedTypeNode, ...] = ()
    description: StringValueNode | None = None


@dataclass(frozen=True, slots=True)
class EnumTypeDefinitionNode(TypeDefinitionNode):
    """EnumTypeDefinition : Description? enum Name Directives? EnumValuesDefinition?."""

    name: NameNode
    directives: tuple[DirectiveNode, ...] = ()
    values: tuple[EnumValueDefinitionNode, ...] = ()
    description: StringValueNode | None = None


@dataclass(frozen=True, slots=True)
class EnumValueDefinitionNode(Node):
    """EnumValueDefinition : Description? EnumValue Directives?."""

    name: NameNode
    directives: tuple[DirectiveNode, ...] = ()
    description: StringValueNode | None = None


@dataclass(frozen=True, slots=True)
class InputObjectTypeDefinitionNode(TypeDefinitionNode):
    """InputObjectTypeDefinition : Description? input Name Directives? InputFields?."""

    name: NameNode
    directives: tuple[DirectiveNode, ...] = ()
    fields: tuple[InputValueDefinitionNode, ...] = ()
    description: StringValueNode | None = None


@dataclass(frozen=True, slots=True)
class DirectiveDefinitionNode(TypeSystemDefinitionNode):
    """DirectiveDefinition : Description? directive @ Name Args? repeatable? on Locations.

    ``directives`` (directives on a directive definition) is from the working draft.
    """

    name: NameNode
    locations: tuple[NameNode, ...]
    arguments: tuple[InputValueDefinitionNode, ...] = ()
    repeatable: bool = False
    directives: tuple[DirectiveNode, ...] = ()
    description: StringValueNode | None = None


@dataclass(frozen=True, slots=True)
class SchemaExtensionNode(TypeSystemExtensionNode):
    """SchemaExtension : extend schema Directives? { RootOperationTypeDefinition+ }?."""

    directives: tuple[DirectiveNode, ...] = ()
    operation_types: tuple[OperationTypeDefinitionNode, ...] = ()


@dataclass(frozen=True, slots=True)
class ScalarTypeExtensionNode(TypeExtensionNode):
    """ScalarTypeExtension : extend scalar Name Directives."""

    name: NameNode
    directives: tuple[DirectiveNode, ...] = ()


@dataclass(frozen=True, slots=True)
class ObjectTypeExtensionNode(TypeExtensionNode):
    """ObjectTypeExtension : extend type Name ImplementsInterfaces? Directives? Fields?."""

    name: NameNode
    interfaces: tuple[NamedTypeNode, ...] = ()
    directives: tuple[DirectiveNode, ...] = ()
    fields: tuple[FieldDefinitionNode, ...] = ()


@dataclass(frozen=True, slots=True)
class InterfaceTypeExtensionNode(TypeExtensionNode):
    """InterfaceTypeExtension : extend interface Name ImplementsInterfaces? ..."""

    name: NameNode
    interfaces: tuple[NamedTypeNode, ...] = ()
    directives: tuple[DirectiveNode, ...] = ()
    fields: tuple[FieldDefinitionNode, ...] = ()


@dataclass(frozen=True, slots=True)
class UnionTypeExtensionNode(TypeExtensionNode):
    """UnionTypeExtension : extend union Name Directives? UnionMemberTypes?."""

    name: NameNode
    directives: tuple[DirectiveNode, ...] = ()
    types: tuple[NamedTypeNode, ...] = ()


@dataclass(frozen=True, slots=True)
class EnumTypeExtensionNode(TypeExtensionNode):
    """EnumTypeExtension : extend enum Name Directives? EnumValuesDefinition?."""

    name: NameNode
    directives: tuple[DirectiveNode, ...] = ()
    values: tuple[EnumValueDefinitionNode, ...] = ()


@dataclass(frozen=True, slots=True)
class InputObjectTypeExtensionNode(TypeExtensionNode):
    """InputObjectTypeExtension : extend input Name Directives? InputFieldsDefinition?."""

    name: NameNode
    directives: tuple[DirectiveNode, ...] = ()
    fields: tuple[InputValueDefinitionNode, ...] = ()


@dataclass(frozen=True, slots=True)
class DirectiveExtensionNode(TypeSystemExtensionNode):
    """DirectiveExtension : extend directive @ Name Directives (working draft)."""

    name: NameNode
    directives: tuple[DirectiveNode, ...] = ()


# Construction speed and immutability -------------------------------------------
#
# A frozen dataclass's generated __init__ stores each field through
# object.__setattr__, which costs about twice what the parser spends on the rest
# of a node. Each node class gets an equivalent __init__ (same parameters and
# defaults) that stores through the slot descriptors instead.
#
# Frozen and slotted dataclasses on Python 3.11 answer an assignment to an unknown
# attribute with a TypeError from a stale super() call; each node class refuses
# every assignment and deletion with FrozenInstanceError instead.


def _refuse_assignment(self: Node, name: str, value: object) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _refuse_deletion(self: Node, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _install_fast_init(cls: type[Node]) -> None:
    namespace: dict[str, Any] = {}
    positional: list[str] = []
    keyword: list[str] = []
    body: list[str] = []
    for number, spec in enumerate(fields(cls)):
        default = ""
        if spec.default is not MISSING:
            namespace[f"_default{number}"] = spec.default
            default = f"=_default{number}"
        (keyword if spec.kw_only else positional).append(f"{spec.name}{default}")
        namespace[f"_set{number}"] = getattr(cls, spec.name).__set__
        body.append(f"    _set{number}(self, {spec.name})\n")
    signature = ", ".join(["self", *positional, *(["*", *keyword] if keyword else [])])
    exec(f"def __init__({signature}):\n{''.join(body)}", namespace)
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__init__.__doc__
    cls.__init__ = init  # type: ignore[method-assign]
    cls.__setattr__ = _refuse_assignment  # type: ignore[method-assign,assignment]
    cls.__delattr__ = _refuse_deletion  # type: ignore[method-assign,assignment]


for _name in __all__:
    _class = globals()[_name]
    if isinstance(_class, type) and issubclass(_class, Node):
        _install_fast_init(_class)
del _name, _class
