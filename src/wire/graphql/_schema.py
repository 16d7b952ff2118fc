"""The schema: root operation types, every named type, and the directives (section 3.3).

Building a ``GraphQLSchema`` walks every type reachable from the roots, the given
types and the directives' arguments (plus the introspection types), the way
graphql-js does, in the same order, so ``type_map`` (and hence ``print_schema``)
lists types as graphql-js would. It also computes once what validation and
execution ask for repeatedly: the implementations of each interface and the
possible types of each abstract type, as lists and as sets.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from wire.graphql._ast import (
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    OperationType,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    TypeNode,
)
from wire.graphql._definition import (
    GraphQLAbstractType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLType,
    GraphQLUnionType,
    GraphQLWrappingType,
)
from wire.graphql._directives import GraphQLDirective, specified_directives
from wire.graphql._errors import GraphQLError, inspect
from wire.graphql._introspection import (
    SchemaMetaFieldDef,
    TypeMetaFieldDef,
    TypeNameMetaFieldDef,
    introspection_types,
)

__all__ = [
    "GraphQLSchema",
    "do_types_overlap",
    "is_equal_type",
    "is_type_sub_type_of",
    "type_from_ast",
]


class GraphQLSchema:
    """A GraphQL schema.

    Args:
        query: The query root type (required for a valid schema).
        mutation: The mutation root type, if any.
        subscription: The subscription root type, if any.
        types: More named types to include (types not reachable from the roots,
            such as implementations of an interface).
        directives: The directives; default: the built-in ones.
        description: The schema's description.
        ast_node: The schema definition it was built from.
        extension_ast_nodes: The schema extensions it was built from.
        assume_valid: Skip ``validate_schema`` (for schemas known to be valid).

    Attributes:
        query_type: The query root type, or ``None``.
        mutation_type: The mutation root type, or ``None``.
        subscription_type: The subscription root type, or ``None``.
        type_map: Name -> named type, for every type in the schema.
        directives: The directives.
        description: The description, or ``None``.

    Raises:
        TypeError: Two different types have the same name.
    """

    __slots__ = (
        "_directive_map",
        "_implementations",
        "_possible_names",
        "_possible_types",
        "assume_valid",
        "ast_node",
        "description",
        "directives",
        "extension_ast_nodes",
        "mutation_type",
        "query_type",
        "subscription_type",
        "type_map",
        "validation_errors",
    )

    query_type: GraphQLObjectType | None
    mutation_type: GraphQLObjectType | None
    subscription_type: GraphQLObjectType | None
    type_map: dict[str, GraphQLNamedType]
    directives: tuple[GraphQLDirective, ...]
    #: The errors ``validate_schema`` found, once it has run (``[]`` when assumed valid).
    validation_errors: list[GraphQLError] | None

    def __init__(
        self,
        query: GraphQLObjectType | None = None,
        mutation: GraphQLObjectType | None = None,
        subscription: GraphQLObjectType | None = None,
        types: Collection[GraphQLNamedType] | None = None,
        directives: Iterable[GraphQLDirective] | None = None,
        *,
        description: str | None = None,
        ast_node: SchemaDefinitionNode | None = None,
        extension_ast_nodes: Iterable[SchemaExtensionNode] = (),
        assume_valid: bool = False,
    ) -> None:
        self.query_type = query
        self.mutation_type = mutation
        self.subscription_type = subscription
        self.description = description
        self.ast_node = ast_node
        self.extension_ast_nodes = tuple(extension_ast_nodes)
        self.assume_valid = assume_valid
        self.validation_errors = [] if assume_valid else None
        self.directives = specified_directives if directives is None else tuple(directives)
        self._directive_map = {directive.name: directive for directive in self.directives}

        # graphql-js GraphQLSchema constructor: the given types first (each moved
        # after the types collected before it), then everything reachable.
        collected: dict[GraphQLNamedType, None] = dict.fromkeys(types or ())
        for type_ in types or ():
            del collected[type_]
            _collect(type_, collected)
        for root in (query, mutation, subscription):
            if root is not None:
                _collect(root, collected)
        for directive in self.directives:
            for arg in directive.args.values():
                _collect(arg.type, collected)
        _collect(introspection_types["__Schema"], collected)

        type_map: dict[str, GraphQLNamedType] = {}
        implementations: dict[str, tuple[list[GraphQLObjectType], list[GraphQLInterfaceType]]]
        implementations = {}
        for named_type in collected:
            name = named_type.name
            if name in type_map:
                raise TypeError(
                    "Schema must contain uniquely named types but contains multiple types"
                    f' named "{name}".'
                )
            type_map[name] = named_type
            if isinstance(named_type, (GraphQLObjectType, GraphQLInterfaceType)):
                for interface in named_type.interfaces:
                    if isinstance(interface, GraphQLInterfaceType):
                        objects, interfaces = implementations.setdefault(interface.name, ([], []))
                        if isinstance(named_type, GraphQLObjectType):
                            objects.append(named_type)
                        else:
                            interfaces.append(named_type)
        self.type_map = type_map
        self._implementations = implementations
        self._possible_types: dict[str, list[GraphQLObjectType]] = {}
        self._possible_names: dict[str, frozenset[str]] = {}

    def __repr__(self) -> str:
        return f"<GraphQLSchema with {len(self.type_map)} types>"

    def get_type(self, name: str) -> GraphQLNamedType | None:
        """The named type called ``name``, or ``None``."""
        return self.type_map.get(name)

    def get_directive(self, name: str) -> GraphQLDirective | None:
        """The directive called ``name`` (without ``@``), or ``None``."""
        return self._directive_map.get(name)

    def get_root_type(self, operation: OperationType) -> GraphQLObjectType | None:
        """The root type of ``operation`` (query, mutation or subscription), or ``None``."""
        if operation is OperationType.QUERY:
            return self.query_type
        if operation is OperationType.MUTATION:
            return self.mutation_type
        return self.subscription_type

    def get_possible_types(self, abstract_type: GraphQLAbstractType) -> list[GraphQLObjectType]:
        """The object types a value of an interface or union type may have."""
        possible = self._possible_types.get(abstract_type.name)
        if possible is None:
            if isinstance(abstract_type, GraphQLUnionType):
                possible = abstract_type.types
            else:
                possible = self.get_implementations(abstract_type)[0]
            self._possible_types[abstract_type.name] = possible
        return possible

    def get_implementations(
        self, interface_type: GraphQLInterfaceType
    ) -> tuple[list[GraphQLObjectType], list[GraphQLInterfaceType]]:
        """The object types and the interfaces that implement ``interface_type``."""
        return self._implementations.get(interface_type.name, ([], []))

    def is_sub_type(
        self, abstract_type: GraphQLAbstractType, maybe_sub_type: GraphQLNamedType
    ) -> bool:
        """Whether ``maybe_sub_type`` is a member of a union or implements an interface."""
        names = self._possible_names.get(abstract_type.name)
        if names is None:
            if isinstance(abstract_type, GraphQLUnionType):
                names = frozenset(member.name for member in abstract_type.types)
            else:
                objects, interfaces = self.get_implementations(abstract_type)
                names = frozenset(type_.name for type_ in [*objects, *interfaces])
            self._possible_names[abstract_type.name] = names
        return maybe_sub_type.name in names

    def get_field(self, parent_type: GraphQLNamedType, field_name: str) -> GraphQLField | None:
        """The definition of ``parent_type.field_name``, including the meta fields.

        ``__typename`` exists on every composite type; ``__schema`` and ``__type``
        only on the query root type (section 4.1).
        """
        if field_name.startswith("__"):
            if field_name == "__typename":
                return TypeNameMetaFieldDef
            if parent_type is self.query_type:
                if field_name == "__schema":
                    return SchemaMetaFieldDef
                if field_name == "__type":
                    return TypeMetaFieldDef
        fields = getattr(parent_type, "fields", None)
        return fields.get(field_name) if fields is not None else None


def _collect(type_: GraphQLType, collected: dict[GraphQLNamedType, None]) -> None:
    """Add the named type under ``type_`` and everything it refers to."""
    while isinstance(type_, GraphQLWrappingType):
        type_ = type_.of_type
    if type_ in collected:
        return
    if not isinstance(type_, GraphQLNamedType):
        raise TypeError(f"Expected {inspect(type_)} to be a GraphQL named type.")
    collected[type_] = None
    if isinstance(type_, GraphQLUnionType):
        for member in type_.types:
            _collect(member, collected)
    elif isinstance(type_, (GraphQLObjectType, GraphQLInterfaceType)):
        for interface in type_.interfaces:
            _collect(interface, collected)
        for field in type_.fields.values():
            _collect(field.type, collected)
            for arg in field.args.values():
                _collect(arg.type, collected)
    elif isinstance(type_, GraphQLInputObjectType):
        for input_field in type_.fields.values():
            _collect(input_field.type, collected)


# Type comparators (graphql-js utilities/typeComparators.ts) -----------------------------


def is_equal_type(type_a: GraphQLType, type_b: GraphQLType) -> bool:
    """Whether two types are the same (same named type under the same wrappers)."""
    if type_a is type_b:
        return True
    if isinstance(type_a, GraphQLNonNull) and isinstance(type_b, GraphQLNonNull):
        return is_equal_type(type_a.of_type, type_b.of_type)
    if isinstance(type_a, GraphQLList) and isinstance(type_b, GraphQLList):
        return is_equal_type(type_a.of_type, type_b.of_type)
    return False


def is_type_sub_type_of(
    schema: GraphQLSchema, maybe_sub_type: GraphQLType, super_type: GraphQLType
) -> bool:
    """Whether a value of ``maybe_sub_type`` is always a valid ``super_type`` value.

    Section 3.6.3 IsValidImplementationFieldType: non-null is a subtype of
    nullable, lists are covariant, and an object or interface is a subtype of the
    interfaces it implements (and of the unions it belongs to).
    """
    if maybe_sub_type is super_type:
        return True
    if isinstance(super_type, GraphQLNonNull):
        if isinstance(maybe_sub_type, GraphQLNonNull):
            return is_type_sub_type_of(schema, maybe_sub_type.of_type, super_type.of_type)
        return False
    if isinstance(maybe_sub_type, GraphQLNonNull):
        return is_type_sub_type_of(schema, maybe_sub_type.of_type, super_type)
    if isinstance(super_type, GraphQLList):
        if isinstance(maybe_sub_type, GraphQLList):
            return is_type_sub_type_of(schema, maybe_sub_type.of_type, super_type.of_type)
        return False
    if isinstance(maybe_sub_type, GraphQLList):
        return False
    return (
        isinstance(super_type, (GraphQLInterfaceType, GraphQLUnionType))
        and isinstance(maybe_sub_type, (GraphQLInterfaceType, GraphQLObjectType))
        and schema.is_sub_type(super_type, maybe_sub_type)
    )


def do_types_overlap(
    schema: GraphQLSchema, type_a: GraphQLNamedType, type_b: GraphQLNamedType
) -> bool:
    """Whether some object type could be both ``type_a`` and ``type_b``.

    For composite types: equal, or abstract with a common possible type, or one
    a possible type of the other (used by fragment-spread validation, 5.5.2.3).
    """
    if type_a is type_b:
        return True
    if isinstance(type_a, (GraphQLInterfaceType, GraphQLUnionType)):
        if isinstance(type_b, (GraphQLInterfaceType, GraphQLUnionType)):
            return any(
                schema.is_sub_type(type_b, possible)
                for possible in schema.get_possible_types(type_a)
            )
        return schema.is_sub_type(type_a, type_b)
    if isinstance(type_b, (GraphQLInterfaceType, GraphQLUnionType)):
        return schema.is_sub_type(type_b, type_a)
    return False


def type_from_ast(schema: GraphQLSchema, type_node: TypeNode) -> GraphQLType | None:
    """The schema type a type reference names (``[Int!]``...), or ``None`` if unknown."""
    if isinstance(type_node, ListTypeNode):
        inner = type_from_ast(schema, type_node.type)
        return GraphQLList(inner) if inner is not None else None
    if isinstance(type_node, NonNullTypeNode):
        inner = type_from_ast(schema, type_node.type)
        return GraphQLNonNull(inner) if inner is not None else None  # type: ignore[arg-type]
    assert isinstance(type_node, NamedTypeNode)
    return schema.type_map.get(type_node.name.value)
