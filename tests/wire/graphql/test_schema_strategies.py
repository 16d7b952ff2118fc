"""The schema and input value strategies generate what they promise."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wire.graphql import (
    EnumValueNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLString,
    Undefined,
    build_schema,
    coerce_input_value,
    print_schema,
    validate_schema,
    value_from_ast,
)
from wire.graphql.strategies import input_literals, input_values, schema_sdls

MANY = settings(max_examples=250, suppress_health_check=list(HealthCheck))


@MANY
@given(schema_sdls())
def test_valid_schemas_are_valid(sdl: str) -> None:
    schema = build_schema(sdl)
    assert validate_schema(schema) == []
    assert print_schema(build_schema(print_schema(schema))) == print_schema(schema)


@MANY
@given(schema_sdls(valid=False))
def test_invalid_schemas_still_pass_the_sdl_rules(sdl: str) -> None:
    schema = build_schema(sdl, assume_valid_sdl=False)
    assert isinstance(validate_schema(schema), list)


LIST4 = GraphQLList(GraphQLList(GraphQLList(GraphQLList(GraphQLInt))))
COLOR = GraphQLEnumType("Color", ["RED", "GREEN"])
ONE_OF = GraphQLInputObjectType("One", {"a": GraphQLInt, "b": GraphQLString}, is_one_of=True)
NESTED: GraphQLInputObjectType = GraphQLInputObjectType(
    "Nested", lambda: {"n": NESTED, "req": GraphQLNonNull(GraphQLInt), "c": COLOR}
)


@settings(max_examples=150)
@given(st.sampled_from([LIST4, COLOR, ONE_OF, NESTED, GraphQLNonNull(NESTED)]), st.data())
def test_clean_input_values_coerce(type_: Any, data: st.DataObject) -> None:
    value = data.draw(input_values(type_, junk=False))
    if isinstance(type_, GraphQLList):
        assert isinstance(value, list) or value is None
    assert coerce_input_value(value, type_) is not Undefined


@settings(max_examples=150)
@given(st.sampled_from([LIST4, COLOR, ONE_OF, NESTED]), st.data())
def test_literals_spell_values(type_: Any, data: st.DataObject) -> None:
    node = data.draw(input_literals(type_, junk=False))
    assert value_from_ast(node, type_) is not Undefined
    if type_ is COLOR and node.__class__ is not EnumValueNode:
        assert value_from_ast(node, type_) is None


@settings(max_examples=100)
@given(input_values(NESTED), input_literals(ONE_OF))
def test_junk_is_allowed(value: Any, node: Any) -> None:
    coerce_input_value(value, NESTED)
    value_from_ast(node, ONE_OF)
