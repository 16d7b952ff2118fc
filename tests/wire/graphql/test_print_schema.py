"""print_schema on schemas built in Python (SDL-built ones are checked against graphql-core)."""

from __future__ import annotations

import pytest
from tests.peers import require_module

from wire.graphql import (
    GraphQLArgument,
    GraphQLDirective,
    GraphQLEnumType,
    GraphQLEnumValue,
    GraphQLField,
    GraphQLFloat,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInt,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLString,
    GraphQLUnionType,
    build_schema,
    print_directive,
    print_schema,
    print_type,
)
from wire.graphql._print_schema import is_printable_as_block_string


def test_a_schema_made_in_python() -> None:
    color = GraphQLEnumType(
        "Color",
        {
            "RED": GraphQLEnumValue(0, description="Red"),
            "BLUE": GraphQLEnumValue(1, deprecation_reason="x"),
        },
    )
    point = GraphQLInputObjectType(
        "Point",
        {
            "x": GraphQLInputField(GraphQLNonNull(GraphQLFloat), 1.0, description="X"),
            "c": GraphQLInputField(color, 1),
            "tags": GraphQLInputField(GraphQLList(GraphQLString), ["a"], deprecation_reason="tags"),
        },
    )
    node = GraphQLInterfaceType("Node", {"id": GraphQLNonNull(GraphQLInt)}, description="Node")
    query = GraphQLObjectType(
        "Query",
        {
            "id": GraphQLNonNull(GraphQLInt),
            "near": GraphQLField(
                GraphQLList(node),
                {
                    "at": GraphQLArgument(point, {"x": 2.5, "c": 0}, description="Where"),
                    "limit": GraphQLArgument(
                        GraphQLInt, 10, deprecation_reason="No longer supported"
                    ),
                },
                description="Nearby\nthings",
            ),
        },
        [node],
    )
    schema = GraphQLSchema(
        query,
        types=[GraphQLUnionType("Any", [query]), GraphQLScalarType("Date", specified_by_url="u")],
        directives=[GraphQLDirective("cached", ["FIELD"], {"ttl": GraphQLArgument(GraphQLInt, 60)},
                                     deprecation_reason="gone", description="Cache it")],
    )  # fmt: skip
    assert (
        print_schema(schema)
        == '''"""Cache it"""
directive @cached(ttl: Int = 60) @deprecated(reason: "gone") on FIELD

union Any = Query

type Query implements Node {
  id: Int!

  """
  Nearby
  things
  """
  near(
    """Where"""
    at: Point = { x: 2.5, c: RED }
    limit: Int = 10 @deprecated
  ): [Node]
}

"""Node"""
interface Node {
  id: Int!
}

input Point {
  """X"""
  x: Float! = 1
  c: Color = BLUE
  tags: [String] = ["a"] @deprecated(reason: "tags")
}

enum Color {
  """Red"""
  RED
  BLUE @deprecated(reason: "x")
}

scalar Date @specifiedBy(url: "u")'''
    )


@pytest.mark.parametrize(
    ("sdl", "schema_part"),
    [
        ("type Query { a: Int }", None),
        ("schema { query: Root } type Root { a: Int }", "schema {\n  query: Root\n}"),
        ('"""d"""\nschema { query: Query } type Query { a: Int }',
         '"""d"""\nschema {\n  query: Query\n}'),
        ("schema { query: Q mutation: M subscription: S } type Q { a: Int } type M { a: Int }"
         " type S { a: Int }",
         "schema {\n  query: Q\n  mutation: M\n  subscription: S\n}"),
        ("schema { query: Query } type Query { a: Int } type Mutation { a: Int }",
         "schema {\n  query: Query\n}"),
    ],
)  # fmt: skip
def test_schema_definition_printed_only_when_needed(sdl: str, schema_part: str | None) -> None:
    printed = print_schema(build_schema(sdl))
    if schema_part is None:
        assert not printed.startswith("schema")
    else:
        assert printed.startswith(schema_part)


def test_no_root_types_no_schema_definition() -> None:
    schema = GraphQLSchema(types=[GraphQLObjectType("Query", {"a": GraphQLInt})], description="d")
    assert print_schema(schema) == "type Query {\n  a: Int\n}"


def test_print_type_and_directive() -> None:
    assert print_type(GraphQLInputObjectType("I", {}, is_one_of=True)) == "input I @oneOf"
    assert print_type(GraphQLEnumType("E", [])) == "enum E"
    assert print_type(GraphQLUnionType("U", [])) == "union U"
    assert print_type(GraphQLObjectType("T", {})) == "type T"
    assert print_directive(GraphQLDirective("d", ["FIELD", "QUERY"], is_repeatable=True)) == (
        "directive @d repeatable on FIELD | QUERY"
    )


@pytest.mark.parametrize(
    ("text", "printable"),
    [
        ("", True),
        ("plain", True),
        ("two\nlines", True),
        ("  indented\nnot", True),
        ("\nleading newline", False),
        ("trailing\n", False),
        ("trailing blank\n  ", False),
        ("  all\n  indented", False),
        ("tab\there", True),
        ("carriage\rreturn", False),
        ("bell\x07", False),
        ("escape\x1b", False),
    ],
)
def test_block_string_printability(text: str, printable: bool) -> None:
    assert is_printable_as_block_string(text) is printable


@pytest.mark.parametrize(
    "description", ["", "x", "a\nb", "\nx", "x\n", "  a\n  b", 'q"""q', "back\\slash", "é ☃"]
)
def test_descriptions_print_like_graphql_core(description: str) -> None:
    require_module("graphql")
    import graphql

    ours = print_schema(
        GraphQLSchema(GraphQLObjectType("Query", {"a": GraphQLInt}, description=description))
    )
    query = graphql.GraphQLObjectType(
        "Query", {"a": graphql.GraphQLField(graphql.GraphQLInt)}, description=description
    )
    theirs = graphql.print_schema(graphql.GraphQLSchema(query))
    assert ours == theirs
