"""validate_schema on schemas built in Python, and the error locations of SDL-built ones."""

from __future__ import annotations

from typing import Any

import pytest

from wire.graphql import (
    GraphQLArgument,
    GraphQLDirective,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInt,
    GraphQLInterfaceType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InvalidSchemaError,
    SourceLocation,
    assert_valid_schema,
    build_schema,
    validate_schema,
)


def messages(schema: GraphQLSchema) -> list[str]:
    return [error.message for error in validate_schema(schema)]


def test_valid_schema_and_caching() -> None:
    schema = build_schema("type Query { a: Int }")
    assert schema.validation_errors is None
    assert validate_schema(schema) == []
    assert validate_schema(schema) is schema.validation_errors
    assert_valid_schema(schema)


def test_assert_valid_schema_raises_with_every_error() -> None:
    schema = build_schema("type Query { a: Int } interface I")
    with pytest.raises(InvalidSchemaError) as caught:
        assert_valid_schema(schema)
    assert str(caught.value) == "Type I must define one or more fields."
    assert caught.value.errors == validate_schema(schema)


def test_errors_are_located_in_the_sdl() -> None:
    sdl = "type Query implements I {\n  a: String\n}\ninterface I {\n  a: Int\n}"
    schema = build_schema(sdl)
    (error,) = validate_schema(schema)
    error.source = sdl
    assert error.message == "Interface field I.a expects type Int but Query.a is type String."
    assert error.locations == [SourceLocation(5, 6), SourceLocation(2, 6)]


def test_programmatic_root_types() -> None:
    query: Any = GraphQLInterfaceType("Query", {"a": GraphQLInt})
    assert messages(GraphQLSchema(query)) == [
        "Query root type must be Object type, it cannot be Query."
    ]
    shared = GraphQLObjectType("Root", {"a": GraphQLInt})
    schema = GraphQLSchema(shared, shared, shared)
    assert messages(schema) == [
        'All root types must be different, "Root" type is used as query, mutation, and'
        " subscription root types."
    ]
    assert validate_schema(schema)[0].nodes is None
    assert messages(GraphQLSchema(mutation=GraphQLObjectType("M", {"a": GraphQLInt}))) == [
        "Query root type must be provided."
    ]
    subscription: Any = GraphQLEnumType("S", ["A"])
    assert messages(GraphQLSchema(shared, subscription=subscription)) == [
        "Subscription root type must be Object type if provided, it cannot be S."
    ]


def test_programmatic_directives() -> None:
    query = GraphQLObjectType("Query", {"a": GraphQLInt})
    schema = GraphQLSchema(
        query,
        directives=[
            GraphQLDirective("nowhere", []),
            GraphQLDirective("__reserved", ["FIELD"]),
            GraphQLDirective(
                "d",
                ["FIELD"],
                {
                    "out": GraphQLArgument(query),  # type: ignore[arg-type]
                    "req": GraphQLArgument(GraphQLNonNull(GraphQLInt), deprecation_reason="x"),
                    "__arg": GraphQLInt,
                },
            ),
        ],
    )
    assert messages(schema) == [
        "Directive @nowhere must include 1 or more locations.",
        'Name "__reserved" must not begin with "__", which is reserved by GraphQL introspection.',
        "The type of @d(out:) must be Input Type but got: Query.",
        "Required argument @d(req:) cannot be deprecated.",
        'Name "__arg" must not begin with "__", which is reserved by GraphQL introspection.',
    ]


def test_programmatic_types() -> None:
    inp = GraphQLInputObjectType("In", {"a": GraphQLInt})
    obj = GraphQLObjectType("Obj", {"a": GraphQLInt})
    iface: Any = obj
    members: Any = [inp, obj, obj]
    query = GraphQLObjectType(
        "Query",
        {
            "bad": GraphQLField(inp),  # type: ignore[arg-type]
            "arg": GraphQLField(GraphQLInt, {"o": GraphQLArgument(obj)}),  # type: ignore[arg-type]
            "u": GraphQLUnionType("U", members),
            "e": GraphQLEnumType("E", {}),
            "i": GraphQLField(
                GraphQLInt,
                {
                    "x": GraphQLInputObjectType(
                        "X",
                        {
                            "o": GraphQLInputField(obj),  # type: ignore[arg-type]
                            "r": GraphQLInputField(
                                GraphQLNonNull(GraphQLInt), deprecation_reason="r"
                            ),
                        },
                    ),
                    "one": GraphQLInputObjectType(
                        "One",
                        {"n": GraphQLNonNull(GraphQLInt), "d": GraphQLInputField(GraphQLInt, 1)},
                        is_one_of=True,
                    ),
                },
            ),
        },
        [iface],
    )  # fmt: skip
    assert messages(GraphQLSchema(query)) == [
        "The type of Query.bad must be Output Type but got: In.",
        "The type of Query.arg(o:) must be Input Type but got: Obj.",
        "Type Query must only implement Interface types, it cannot implement Obj.",
        "Union type U can only include Object types, it cannot include In.",
        "Union type U can only include type Obj once.",
        "Enum type E must define one or more values.",
        "The type of X.o must be Input Type but got: Obj.",
        "Required input field X.r cannot be deprecated.",
        "OneOf input field One.n must be nullable.",
        "OneOf input field One.d cannot have a default value.",
    ]


def test_unreachable_interfaces_and_deprecations() -> None:
    base = GraphQLInterfaceType("Base", {"a": GraphQLInt})
    middle = GraphQLInterfaceType("Middle", {"a": GraphQLInt}, [base])
    query = GraphQLObjectType(
        "Query", {"a": GraphQLField(GraphQLInt, deprecation_reason="old")}, [middle]
    )
    assert messages(GraphQLSchema(query)) == [
        "Type Query must implement Base because it is implemented by Middle.",
        "Interface field Middle.a is not deprecated, so implementation field Query.a must not be"
        " deprecated.",
    ]
