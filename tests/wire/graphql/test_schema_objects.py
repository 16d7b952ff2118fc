"""GraphQLSchema: the type map, lookups, possible types and type comparisons."""

from __future__ import annotations

import pytest

from wire.graphql import (
    GraphQLField,
    GraphQLInt,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
    GraphQLUnionType,
    OperationType,
    SchemaMetaFieldDef,
    TypeMetaFieldDef,
    TypeNameMetaFieldDef,
    build_schema,
    do_types_overlap,
    introspection_types,
    is_equal_type,
    is_type_sub_type_of,
    parse_type,
    specified_directives,
    type_from_ast,
)

SCHEMA = build_schema(
    """
    type Query { node: Node pet: Pet entity: Entity }
    type Mutation { a: Int }
    interface Entity { id: ID }
    interface Node implements Entity { id: ID }
    type Dog implements Node & Entity { id: ID bark: String }
    type Cat implements Node & Entity { id: ID }
    type Fish { id: ID }
    union Pet = Dog | Fish
    union Other = Cat
    """
)


def named(name: str) -> object:
    type_ = SCHEMA.get_type(name)
    assert type_ is not None
    return type_


def test_type_map_and_lookups() -> None:
    assert set(introspection_types) <= set(SCHEMA.type_map)
    assert "Float" not in SCHEMA.type_map  # only the scalars in use
    assert SCHEMA.get_type("Nope") is None
    assert SCHEMA.get_directive("skip") is specified_directives[1]
    assert SCHEMA.get_directive("nope") is None
    assert SCHEMA.get_root_type(OperationType.QUERY) is SCHEMA.query_type
    assert SCHEMA.get_root_type(OperationType.MUTATION) is SCHEMA.mutation_type
    assert SCHEMA.get_root_type(OperationType.SUBSCRIPTION) is None
    assert repr(SCHEMA).startswith("<GraphQLSchema with ")


def test_possible_types_and_sub_types() -> None:
    node, entity, pet, other = (named(n) for n in ("Node", "Entity", "Pet", "Other"))
    dog, cat, fish = (named(n) for n in ("Dog", "Cat", "Fish"))
    assert SCHEMA.get_possible_types(node) == [dog, cat]  # type: ignore[arg-type]
    assert SCHEMA.get_possible_types(node) is SCHEMA.get_possible_types(node)  # type: ignore[arg-type]
    assert SCHEMA.get_possible_types(pet) == [dog, fish]  # type: ignore[arg-type]
    assert SCHEMA.get_implementations(entity) == ([dog, cat], [node])  # type: ignore[arg-type]
    assert SCHEMA.get_implementations(GraphQLInterfaceType("X", {"a": GraphQLInt})) == ([], [])
    assert SCHEMA.is_sub_type(entity, node)  # type: ignore[arg-type]
    assert SCHEMA.is_sub_type(entity, dog)  # type: ignore[arg-type]
    assert not SCHEMA.is_sub_type(entity, fish)  # type: ignore[arg-type]
    assert SCHEMA.is_sub_type(pet, fish)  # type: ignore[arg-type]
    assert not SCHEMA.is_sub_type(pet, cat)  # type: ignore[arg-type]
    assert not SCHEMA.is_sub_type(other, dog)  # type: ignore[arg-type]


def test_get_field_includes_meta_fields() -> None:
    query, dog = SCHEMA.query_type, named("Dog")
    assert query is not None
    assert SCHEMA.get_field(query, "__schema") is SchemaMetaFieldDef
    assert SCHEMA.get_field(query, "__type") is TypeMetaFieldDef
    assert SCHEMA.get_field(dog, "__typename") is TypeNameMetaFieldDef  # type: ignore[arg-type]
    assert SCHEMA.get_field(dog, "__schema") is None  # type: ignore[arg-type]
    assert SCHEMA.get_field(query, "__other") is None
    assert SCHEMA.get_field(query, "node") is query.fields["node"]
    assert SCHEMA.get_field(dog, "nope") is None  # type: ignore[arg-type]
    assert SCHEMA.get_field(named("Pet"), "id") is None  # type: ignore[arg-type]


def test_type_comparators() -> None:
    dog, node, entity, pet, fish = (named(n) for n in ("Dog", "Node", "Entity", "Pet", "Fish"))
    assert is_equal_type(GraphQLList(GraphQLNonNull(dog)), GraphQLList(GraphQLNonNull(dog)))  # type: ignore[arg-type]
    assert not is_equal_type(GraphQLList(dog), GraphQLNonNull(dog))  # type: ignore[arg-type]
    assert not is_equal_type(dog, node)  # type: ignore[arg-type]
    sub = is_type_sub_type_of
    assert sub(SCHEMA, dog, dog)  # type: ignore[arg-type]
    assert sub(SCHEMA, GraphQLNonNull(dog), node)  # type: ignore[arg-type]
    assert sub(SCHEMA, GraphQLNonNull(dog), GraphQLNonNull(entity))  # type: ignore[arg-type]
    assert not sub(SCHEMA, dog, GraphQLNonNull(dog))  # type: ignore[arg-type]
    assert sub(SCHEMA, GraphQLList(dog), GraphQLList(node))  # type: ignore[arg-type]
    assert not sub(SCHEMA, dog, GraphQLList(dog))  # type: ignore[arg-type]
    assert not sub(SCHEMA, GraphQLList(dog), dog)  # type: ignore[arg-type]
    assert sub(SCHEMA, fish, pet)  # type: ignore[arg-type]
    assert not sub(SCHEMA, fish, node)  # type: ignore[arg-type]
    assert not sub(SCHEMA, GraphQLInt, GraphQLString)
    overlap = do_types_overlap
    assert overlap(SCHEMA, dog, dog)  # type: ignore[arg-type]
    assert overlap(SCHEMA, node, pet)  # type: ignore[arg-type]
    assert not overlap(SCHEMA, named("Other"), pet)  # type: ignore[arg-type]
    assert overlap(SCHEMA, node, dog)  # type: ignore[arg-type]
    assert not overlap(SCHEMA, node, fish)  # type: ignore[arg-type]
    assert overlap(SCHEMA, fish, pet)  # type: ignore[arg-type]
    assert not overlap(SCHEMA, dog, fish)  # type: ignore[arg-type]


def test_type_from_ast() -> None:
    assert type_from_ast(SCHEMA, parse_type("[Dog!]")) == GraphQLList(GraphQLNonNull(named("Dog")))  # type: ignore[arg-type]
    assert type_from_ast(SCHEMA, parse_type("[Nope!]")) is None
    assert type_from_ast(SCHEMA, parse_type("Nope!")) is None
    assert type_from_ast(SCHEMA, parse_type("Dog")) is named("Dog")


def test_programmatic_schema_order_and_duplicate_names() -> None:
    a = GraphQLObjectType("A", {"b": GraphQLField(GraphQLString)})
    b = GraphQLObjectType("B", {"a": a})
    query = GraphQLObjectType("Query", {"b": b})
    schema = GraphQLSchema(query, types=[a, GraphQLUnionType("U", [b])], description="d")
    assert list(schema.type_map)[:5] == ["A", "String", "U", "B", "Query"]
    assert schema.description == "d"
    assert schema.directives == specified_directives
    assert GraphQLSchema(directives=[]).directives == ()
    with pytest.raises(TypeError, match='multiple types named "A"'):
        GraphQLSchema(query, types=[GraphQLObjectType("A", {"x": GraphQLInt})])
    with pytest.raises(TypeError, match="to be a GraphQL named type"):
        GraphQLSchema(GraphQLObjectType("Q", {"a": "Int"}))  # type: ignore[dict-item]
