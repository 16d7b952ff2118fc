"""Building schemas from SDL: types, extensions, roots, built-in directives, SDL errors."""

from __future__ import annotations

import pytest

from wire.graphql import (
    DirectiveLocation,
    GraphQLEnumType,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInt,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLString,
    GraphQLSyntaxError,
    GraphQLUnionType,
    InvalidSchemaError,
    build_ast_schema,
    build_schema,
    parse,
    specified_directives,
    validate_schema,
)
from wire.graphql._build import assert_valid_sdl, validate_sdl

SDL = '''
"""The API"""
schema { query: Root mutation: Change }

"""The root"""
type Root implements Node & Named {
  id: ID!
  name(upper: Boolean = false): String @deprecated(reason: "use title")
  pet: Pet
  color: Color
}

type Change { add(input: AddInput!): Root }

interface Node { id: ID! }
interface Named implements Node {
  id: ID!
  name(upper: Boolean = false): String @deprecated
}

union Pet = Dog | Cat
type Dog { bark: String }
type Cat { meow: String }

enum Color { RED GREEN @deprecated BLUE }

input AddInput @oneOf { name: String, id: ID }

scalar Date @specifiedBy(url: "https://tools.ietf.org/html/rfc3339")

directive @auth(role: String = "user") repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR

extend type Dog { name: String }
extend enum Color { BLACK }
extend union Pet = Bird
type Bird { tweet: String }
extend input AddInput { other: Int }
extend interface Node @auth
extend scalar Date @auth
'''


def test_everything_is_built() -> None:
    schema = build_schema(SDL)
    assert validate_schema(schema) == []
    root = schema.query_type
    assert isinstance(root, GraphQLObjectType)
    assert root.name == "Root"
    assert root.description == "The root"
    assert schema.description == "The API"
    assert schema.mutation_type is schema.get_type("Change")
    assert schema.subscription_type is None
    assert [i.name for i in root.interfaces] == ["Node", "Named"]
    name = root.fields["name"]
    assert name.deprecation_reason == "use title"
    assert name.args["upper"].default_value is False
    assert name.args["upper"].ast_node is not None
    named = schema.get_type("Named")
    assert isinstance(named, GraphQLInterfaceType)
    assert named.interfaces == [schema.get_type("Node")]
    pet = schema.get_type("Pet")
    assert isinstance(pet, GraphQLUnionType)
    assert [t.name for t in pet.types] == ["Dog", "Cat", "Bird"]
    color = schema.get_type("Color")
    assert isinstance(color, GraphQLEnumType)
    assert list(color.values) == ["RED", "GREEN", "BLUE", "BLACK"]
    assert color.values["GREEN"].deprecation_reason == "No longer supported"
    assert color.parse_value("RED") == "RED"
    add = schema.get_type("AddInput")
    assert isinstance(add, GraphQLInputObjectType)
    assert add.is_one_of
    assert list(add.fields) == ["name", "id", "other"]
    date = schema.get_type("Date")
    assert isinstance(date, GraphQLScalarType)
    assert date.specified_by_url == "https://tools.ietf.org/html/rfc3339"
    assert len(date.extension_ast_nodes) == 1
    dog = schema.get_type("Dog")
    assert isinstance(dog, GraphQLObjectType)
    assert list(dog.fields) == ["bark", "name"]
    auth = schema.get_directive("auth")
    assert auth is not None
    assert auth.is_repeatable
    assert auth.locations[:2] == (DirectiveLocation.FIELD_DEFINITION, DirectiveLocation.OBJECT)
    assert auth.args["role"].default_value == "user"
    assert [d.name for d in schema.directives][1:] == [d.name for d in specified_directives]


def test_root_types_by_name_and_standard_types() -> None:
    schema = build_schema(
        "type Query { a: Int } type Mutation { a: String } type Subscription { a: Int }"
        " scalar String"
    )
    assert schema.query_type is schema.get_type("Query")
    assert schema.mutation_type is schema.get_type("Mutation")
    assert schema.subscription_type is schema.get_type("Subscription")
    assert schema.get_type("String") is GraphQLString
    assert schema.get_type("Int") is GraphQLInt


def test_redefined_built_in_directives_replace_them() -> None:
    schema = build_schema("type Query { a: Int } directive @skip(unless: Boolean) on FIELD")
    skip = schema.get_directive("skip")
    assert skip is not None
    assert list(skip.args) == ["unless"]
    assert len(schema.directives) == len(specified_directives)


def test_schema_extension_adds_roots() -> None:
    schema = build_schema("type Query { a: Int } type M { a: Int } extend schema { mutation: M }")
    assert schema.mutation_type is schema.get_type("M")
    assert schema.query_type is schema.get_type("Query")
    assert len(schema.extension_ast_nodes) == 1


def test_directive_deprecation_from_definitions_and_extensions() -> None:
    schema = build_schema(
        'type Query { a: Int } directive @old @deprecated(reason: "no") on FIELD'
        ' extend directive @old @deprecated(reason: "later")'
        " directive @late on FIELD extend directive @late @deprecated"
        " directive @kept on FIELD",
        assume_valid_sdl=True,
    )
    assert schema.get_directive("old").deprecation_reason == "no"  # type: ignore[union-attr]
    late = schema.get_directive("late")
    assert late is not None
    assert late.deprecation_reason == "No longer supported"
    assert len(late.extension_ast_nodes) == 1
    assert schema.get_directive("kept").deprecation_reason is None  # type: ignore[union-attr]


def test_a_document_node_builds_too() -> None:
    document = parse("type Query { a: Int }")
    assert build_ast_schema(document).query_type is not None
    assert build_schema(document).query_type is not None


def test_syntax_errors_and_sdl_errors() -> None:
    with pytest.raises(GraphQLSyntaxError):
        build_schema("type Query {")
    with pytest.raises(InvalidSchemaError) as caught:
        build_schema("type Query { a: Nope } type Query { b: Int }")
    assert [error.message for error in caught.value.errors] == [
        'Unknown type "Nope".',
        'There can be only one type named "Query".',
    ]
    assert str(caught.value) == 'Unknown type "Nope".\n\nThere can be only one type named "Query".'
    assert validate_sdl(parse("type Query { a: Int }")) == []
    with pytest.raises(InvalidSchemaError):
        assert_valid_sdl(parse("directive @d on FIELD directive @d on FIELD"))


def test_assume_valid_skips_the_checks() -> None:
    schema = build_schema("type Query { a: Int } type Query { b: String }", assume_valid=True)
    assert schema.validation_errors == []
    assert validate_schema(schema) == []
    with pytest.raises(GraphQLError) as caught:
        build_schema("type Query { a: Nope }", assume_valid_sdl=True)
    assert caught.value.message == 'Query fields cannot be resolved. Unknown type: "Nope".'


def test_invalid_built_in_directive_arguments() -> None:
    with pytest.raises(GraphQLError) as caught:
        build_schema("scalar S @specifiedBy type Query { a: S }", assume_valid_sdl=True)
    assert caught.value.message == 'Argument "url" of required type "String!" was not provided.'
    with pytest.raises(GraphQLError) as caught:
        build_schema('scalar S @specifiedBy(url: ["a", 1]) type Query { a: S }')
    assert caught.value.message == (
        'Argument "url" has invalid value: String cannot represent a non string value: ["a", 1]'
    )


def test_fragment_variable_directive_locations() -> None:
    document = parse(
        "type Query { a: Int } directive @v on VARIABLE_DEFINITION"
        " fragment F($x: Query @v @skip(if: true)) on Query { a }",
        experimental_fragment_arguments=True,
    )
    assert [error.message for error in validate_sdl(document)] == [
        'Directive "@v" may not be used on FRAGMENT_VARIABLE_DEFINITION.',
        'Directive "@skip" may not be used on FRAGMENT_VARIABLE_DEFINITION.',
    ]
