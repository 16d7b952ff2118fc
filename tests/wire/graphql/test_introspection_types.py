"""The introspection types and their resolvers, called directly (section 4)."""

from __future__ import annotations

from typing import Any

import pytest
from tests.peers import require_module

from wire.graphql import (
    DirectiveLocation,
    GraphQLArgument,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    GraphQLString,
    SchemaMetaFieldDef,
    TypeMetaFieldDef,
    TypeNameMetaFieldDef,
    build_schema,
    get_introspection_query,
    introspection_types,
    is_introspection_type,
    parse,
)
from wire.graphql._introspection import (
    __Directive,
    __DirectiveLocation,
    __EnumValue,
    __Field,
    __InputValue,
    __Schema,
    __Type,
    __TypeKind,
)

SCHEMA = build_schema(
    '''
    """Schema description"""
    schema { query: Query }
    type Query implements Node {
      id: ID
      old(a: Int, b: Int @deprecated(reason: "b")): Int @deprecated
      u: U
      e(x: E = B): E
      i(in: In = {x: 1, nested: {x: 2}}): [Int!]!
    }
    interface Node { id: ID }
    union U = Query
    enum E { A B @deprecated(reason: "old") }
    input In @oneOf { x: Int, y: String @deprecated, nested: In }
    scalar Url @specifiedBy(url: "https://url.spec.whatwg.org/")
    directive @old(a: Int) @deprecated on FIELD
    directive @new(a: Int, b: Int @deprecated) repeatable on FIELD | QUERY
    ''',
    assume_valid_sdl=True,
)


def info(parent_type: Any = None) -> GraphQLResolveInfo:
    return GraphQLResolveInfo(
        "f",
        [],
        GraphQLInt,
        parent_type,
        None,
        SCHEMA,
        {},
        None,
        None,
        {},
        None,  # type: ignore[arg-type]
    )


def resolve(type_: GraphQLObjectType, field_name: str, parent: Any, **args: Any) -> Any:
    field = type_.fields[field_name]
    assert field.resolve is not None
    return field.resolve(parent, info(), **args)


def test_introspection_types_are_named_and_listed() -> None:
    assert introspection_types == {
        "__Schema": __Schema,
        "__Directive": __Directive,
        "__DirectiveLocation": __DirectiveLocation,
        "__Type": __Type,
        "__Field": __Field,
        "__InputValue": __InputValue,
        "__EnumValue": __EnumValue,
        "__TypeKind": __TypeKind,
    }
    assert all(is_introspection_type(type_) for type_ in introspection_types.values())
    assert not is_introspection_type(GraphQLInt)
    assert list(__DirectiveLocation.values) == [location.name for location in DirectiveLocation]
    assert __DirectiveLocation.serialize(DirectiveLocation.FIELD) == "FIELD"


def test_schema_resolvers() -> None:
    assert resolve(__Schema, "description", SCHEMA) == "Schema description"
    assert resolve(__Schema, "types", SCHEMA) == list(SCHEMA.type_map.values())
    assert resolve(__Schema, "queryType", SCHEMA) is SCHEMA.query_type
    assert resolve(__Schema, "mutationType", SCHEMA) is None
    assert resolve(__Schema, "subscriptionType", SCHEMA) is None
    active = [d.name for d in resolve(__Schema, "directives", SCHEMA)]
    every = [d.name for d in resolve(__Schema, "directives", SCHEMA, includeDeprecated=True)]
    assert "old" not in active
    assert "old" in every
    assert len(every) == len(active) + 1


def test_directive_resolvers() -> None:
    new = SCHEMA.get_directive("new")
    old = SCHEMA.get_directive("old")
    assert resolve(__Directive, "name", new) == "new"
    assert resolve(__Directive, "description", new) is None
    assert resolve(__Directive, "isRepeatable", new) is True
    assert resolve(__Directive, "locations", new) == (
        DirectiveLocation.FIELD,
        DirectiveLocation.QUERY,
    )
    assert [name for name, _ in resolve(__Directive, "args", new)] == ["a"]
    assert [name for name, _ in resolve(__Directive, "args", new, includeDeprecated=True)] == [
        "a",
        "b",
    ]
    assert resolve(__Directive, "isDeprecated", old) is True
    assert resolve(__Directive, "deprecationReason", old) == "No longer supported"


def test_type_resolvers() -> None:
    def kind(type_: Any) -> str:
        return resolve(__Type, "kind", type_)  # type: ignore[no-any-return]

    query = SCHEMA.get_type("Query")
    kinds = {name: kind(SCHEMA.get_type(name)) for name in ("Query", "Node", "U", "E", "In", "Url")}
    assert kinds == {
        "Query": "OBJECT",
        "Node": "INTERFACE",
        "U": "UNION",
        "E": "ENUM",
        "In": "INPUT_OBJECT",
        "Url": "SCALAR",
    }
    assert kind(GraphQLList(GraphQLInt)) == "LIST"
    assert kind(GraphQLNonNull(GraphQLInt)) == "NON_NULL"
    assert __TypeKind.serialize("LIST") == "LIST"
    assert resolve(__Type, "name", query) == "Query"
    assert resolve(__Type, "name", GraphQLList(GraphQLInt)) is None
    assert resolve(__Type, "description", GraphQLInt) == GraphQLInt.description
    assert (
        resolve(__Type, "specifiedByURL", SCHEMA.get_type("Url")) == "https://url.spec.whatwg.org/"
    )
    assert resolve(__Type, "specifiedByURL", query) is None
    assert [name for name, _ in resolve(__Type, "fields", query)] == ["id", "u", "e", "i"]
    assert len(resolve(__Type, "fields", query, includeDeprecated=True)) == 5
    assert resolve(__Type, "fields", GraphQLInt) is None
    assert resolve(__Type, "interfaces", query) == [SCHEMA.get_type("Node")]
    assert resolve(__Type, "interfaces", GraphQLInt) is None
    possible = resolve(__Type, "possibleTypes", SCHEMA.get_type("Node"))
    assert possible == [query]
    assert resolve(__Type, "possibleTypes", query) is None
    enum = SCHEMA.get_type("E")
    assert [name for name, _ in resolve(__Type, "enumValues", enum)] == ["A"]
    assert [name for name, _ in resolve(__Type, "enumValues", enum, includeDeprecated=True)] == [
        "A",
        "B",
    ]
    assert resolve(__Type, "enumValues", query) is None
    inp = SCHEMA.get_type("In")
    assert [name for name, _ in resolve(__Type, "inputFields", inp)] == ["x", "nested"]
    assert len(resolve(__Type, "inputFields", inp, includeDeprecated=True)) == 3
    assert resolve(__Type, "inputFields", query) is None
    assert resolve(__Type, "ofType", GraphQLNonNull(GraphQLInt)) is GraphQLInt
    assert resolve(__Type, "ofType", GraphQLInt) is None
    assert resolve(__Type, "isOneOf", inp) is True
    assert resolve(__Type, "isOneOf", query) is None


def test_field_input_value_and_enum_value_resolvers() -> None:
    query = SCHEMA.get_type("Query")
    assert isinstance(query, GraphQLObjectType)
    old = ("old", query.fields["old"])
    assert resolve(__Field, "name", old) == "old"
    assert resolve(__Field, "description", old) is None
    assert [name for name, _ in resolve(__Field, "args", old)] == ["a"]
    assert len(resolve(__Field, "args", old, includeDeprecated=True)) == 2
    assert resolve(__Field, "type", old) is GraphQLInt
    assert resolve(__Field, "isDeprecated", old) is True
    assert resolve(__Field, "deprecationReason", old) == "No longer supported"
    b = ("b", query.fields["old"].args["b"])
    assert resolve(__InputValue, "name", b) == "b"
    assert resolve(__InputValue, "description", b) is None
    assert resolve(__InputValue, "type", b) is GraphQLInt
    assert resolve(__InputValue, "defaultValue", b) is None
    assert resolve(__InputValue, "isDeprecated", b) is True
    assert resolve(__InputValue, "deprecationReason", b) == "b"
    x = ("x", query.fields["e"].args["x"])
    assert resolve(__InputValue, "defaultValue", x) == "B"
    in_ = ("in", query.fields["i"].args["in"])
    assert resolve(__InputValue, "defaultValue", in_) == "{ x: 1, nested: { x: 2 } }"
    enum = SCHEMA.get_type("E")
    b_value = ("B", enum.values["B"])  # type: ignore[union-attr]
    assert resolve(__EnumValue, "name", b_value) == "B"
    assert resolve(__EnumValue, "description", b_value) is None
    assert resolve(__EnumValue, "isDeprecated", b_value) is True
    assert resolve(__EnumValue, "deprecationReason", b_value) == "old"


def test_default_values_made_in_python_print_through_ast_from_value() -> None:
    point = GraphQLInputObjectType("Point", {"x": GraphQLInt, "y": GraphQLInt})
    field = GraphQLField(
        GraphQLInt,
        {
            "p": GraphQLArgument(point, {"x": 1}),
            "n": GraphQLArgument(GraphQLString, None),
            "bad": GraphQLArgument(GraphQLNonNull(GraphQLInt), None),
            "none": GraphQLArgument(GraphQLInt),
        },
    )
    values = {
        name: resolve(__InputValue, "defaultValue", (name, arg)) for name, arg in field.args.items()
    }
    assert values == {"p": "{ x: 1 }", "n": "null", "bad": None, "none": None}


def test_meta_fields() -> None:
    query = SCHEMA.query_type
    assert SchemaMetaFieldDef.resolve is not None
    assert SchemaMetaFieldDef.resolve(None, info()) is SCHEMA
    assert TypeMetaFieldDef.resolve is not None
    assert TypeMetaFieldDef.resolve(None, info(), name="E") is SCHEMA.get_type("E")
    assert TypeMetaFieldDef.resolve(None, info(), name="Nope") is None
    assert TypeNameMetaFieldDef.resolve is not None
    assert TypeNameMetaFieldDef.resolve(None, info(query)) == "Query"
    assert str(SchemaMetaFieldDef.type) == "__Schema!"
    assert str(TypeMetaFieldDef.args["name"].type) == "String!"
    assert str(TypeNameMetaFieldDef.type) == "String!"


def test_introspection_query_parses() -> None:
    for query in (
        get_introspection_query(),
        get_introspection_query(False, False, False, False, False, False, type_depth=0),
        get_introspection_query(directive_deprecation=True, type_depth=100),
    ):
        assert parse(query).definitions
    assert "isOneOf" in get_introspection_query()
    assert "description" not in get_introspection_query(descriptions=False)
    with pytest.raises(ValueError, match="between 0 and 100"):
        get_introspection_query(type_depth=101)


@pytest.mark.parametrize("flags", range(0, 256, 7))
def test_introspection_query_is_graphql_cores(flags: int) -> None:
    require_module("graphql")
    import graphql

    bits = [bool(flags & (1 << bit)) for bit in range(8)]
    depth = 3 if bits[7] else 9
    ours = get_introspection_query(*bits[:6], directive_deprecation=bits[6], type_depth=depth)
    theirs = graphql.get_introspection_query(
        descriptions=bits[0],
        specified_by_url=bits[1],
        directive_is_repeatable=bits[2],
        schema_description=bits[3],
        input_value_deprecation=bits[4],
        one_of=bits[5],
        experimental_directive_deprecation=bits[6],
        type_depth=depth,
    )
    assert ours == theirs


def test_introspection_types_in_a_schema_without_them_referenced() -> None:
    schema = GraphQLSchema(GraphQLObjectType("Query", {"a": GraphQLInt}))
    assert set(introspection_types) <= set(schema.type_map)
