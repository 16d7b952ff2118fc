"""Introspection through execution (GraphQL spec section 4): the full query tools send.

The introspection query as GraphiQL and code generators send it (graphql-js's
``getIntrospectionQuery``, with every option) runs against schemas built from
SDL, hand-written and generated, and must give exactly graphql-core's result;
``__type`` and ``__typename`` are checked on their own.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from tests.wire.graphql.test_execution_differential import differential, models, oracle
from tests.wire.graphql.validation_harness import TEST_SDL

from wire.graphql._build import build_schema
from wire.graphql._definition import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLObjectType,
)
from wire.graphql._execution import execute, execute_sync
from wire.graphql._introspection import get_introspection_query
from wire.graphql._scalars import GraphQLInt, GraphQLString
from wire.graphql._schema import GraphQLSchema

RICH_SDL = '''
"""The schema"""
schema { query: Query mutation: Mutation subscription: Subscription }
"A date" scalar Date @specifiedBy(url: "https://example.com/date")
interface Node { id: ID! }
"Has a name"
interface Named implements Node { id: ID! name(upper: Boolean = false): String }
type User implements Node & Named {
  id: ID!
  name(upper: Boolean = false): String
  "Friends, first first"
  friends(first: Int = 10, after: String): [User!]! @deprecated(reason: "use connection")
  born: Date
  matrix: [[[Int!]]!]
}
type Bot implements Node { id: ID! model: String @deprecated }
union Actor = User | Bot
enum Color { RED GREEN @deprecated(reason: "no") "blue!" BLUE }
input Filter @oneOf { id: ID name: String }
input Range {
  lo: Int = 0
  hi: Int = 100
  color: Color = RED
  tags: [String!] = ["a", "b"]
  nested: Range
  old: Int @deprecated
}
type Query {
  node(id: ID!): Node
  actors(filter: Filter, range: Range = {lo: 1, tags: "x"}): [Actor]
  color(c: Color = GREEN): Color
  search(text: String!, deprecatedArg: Int @deprecated(reason: "x")): [Named!]
}
type Mutation { setColor(c: Color!): Color }
type Subscription { ticks: Int }
"Cache it" directive @cache(ttl: Int = 60, scopes: [String!]) repeatable on FIELD | QUERY
directive @old(why: String) on FIELD_DEFINITION
'''

QUERIES = [
    get_introspection_query(),
    get_introspection_query(
        descriptions=False,
        specified_by_url=False,
        directive_is_repeatable=False,
        schema_description=False,
        input_value_deprecation=False,
        one_of=False,
    ),
]


@pytest.mark.parametrize("sdl", [RICH_SDL, TEST_SDL, "type Query { a: Int }"])
@pytest.mark.parametrize("query", QUERIES)
def test_the_introspection_query_agrees_with_graphql_core(sdl: str, query: str) -> None:
    response = differential(sdl, query)
    assert "errors" not in response
    assert response["data"]["__schema"]["types"]


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(models())
def test_introspection_of_generated_schemas_agrees(model: Any) -> None:
    sdl = model.sdl() + "\nschema { query: Query }"
    differential(sdl, get_introspection_query())


def test_introspection_of_a_schema_built_in_python() -> None:
    graphql = oracle()
    color = GraphQLEnumType("Color", {"RED": 1, "GREEN": 2}, description="Colours")
    where = GraphQLInputObjectType(
        "Where",
        {
            "color": GraphQLInputField(color, 2, description="which"),
            "limit": GraphQLInputField(GraphQLInt, 10),
            "names": GraphQLInputField(GraphQLList(GraphQLString), ["a", "b"]),
        },
    )
    query = GraphQLObjectType(
        "Query",
        {"find": GraphQLField(GraphQLString, {"where": GraphQLArgument(where, {"limit": 3})})},
        description="Entry points",
    )
    ours = execute_sync(GraphQLSchema(query), get_introspection_query())
    theirs_color = graphql.GraphQLEnumType("Color", {"RED": 1, "GREEN": 2}, description="Colours")
    theirs_where = graphql.GraphQLInputObjectType(
        "Where",
        {
            "color": graphql.GraphQLInputField(theirs_color, default_value=2, description="which"),
            "limit": graphql.GraphQLInputField(graphql.GraphQLInt, default_value=10),
            "names": graphql.GraphQLInputField(
                graphql.GraphQLList(graphql.GraphQLString), default_value=["a", "b"]
            ),
        },
    )
    theirs_query = graphql.GraphQLObjectType(
        "Query",
        {
            "find": graphql.GraphQLField(
                graphql.GraphQLString,
                {"where": graphql.GraphQLArgument(theirs_where, default_value={"limit": 3})},
            )
        },
        description="Entry points",
    )
    theirs = graphql.graphql_sync(graphql.GraphQLSchema(theirs_query), get_introspection_query())
    assert theirs.errors is None
    assert ours == {"data": theirs.data}


@pytest.mark.parametrize(
    "query",
    [
        '{ __type(name: "User") { name kind fields { name type { name kind ofType { name } } } } }',
        '{ __type(name: "Nope") { name } }',
        '{ __type(name: "Color") { enumValues(includeDeprecated: true) {'
        " name isDeprecated deprecationReason } } }",
        '{ __type(name: "Range") { inputFields { name defaultValue } } }',
        "{ __typename __schema { queryType { name } mutationType { name }"
        " subscriptionType { name } } }",
        "{ actors { __typename ... on User { __typename id } } }",
        "{ __schema { directives { name locations args { name defaultValue } isRepeatable } } }",
    ],
)
def test_meta_fields_agree(query: str) -> None:
    root = {"actors": [{"__typename": "User", "id": "1"}, {"__typename": "Bot"}]}
    differential(RICH_SDL, query, root)


async def test_introspection_through_execute() -> None:
    schema = build_schema(RICH_SDL)
    assert await execute(schema, get_introspection_query()) == execute_sync(
        schema, get_introspection_query()
    )
