"""Variable and argument coercion for execution (GraphQL spec sections 6.1.2 and 6.4.1).

``coerce_variable_values`` turns a request's variables into internal values or
request errors worded as graphql-js 17 words them; ``get_argument_values`` and
``get_directive_values`` coerce the arguments of a field or directive. Documents
here are parsed but not validated, to reach the checks execution repeats.
"""

from __future__ import annotations

from typing import Any

import pytest

from wire.graphql import parse
from wire.graphql._ast import FieldNode, OperationDefinitionNode, ValueNode
from wire.graphql._build import build_schema
from wire.graphql._definition import GraphQLArgument, GraphQLField, GraphQLScalarType
from wire.graphql._directives import GraphQLIncludeDirective, GraphQLSkipDirective
from wire.graphql._errors import GraphQLError
from wire.graphql._scalars import GraphQLString
from wire.graphql._schema import GraphQLSchema
from wire.graphql._variables import (
    MAX_INPUT_DEPTH,
    coerce_variable_values,
    get_argument_values,
    get_directive_values,
)

SDL = """
enum Color { RED GREEN }
input Point { x: Int! y: Int = 2 tags: [String!] }
input Tree { value: Int children: [Tree] next: Tree }
type Query { f(a: Int, b: Int! = 3, c: Color = RED, p: Point, n: Int!): String tree(t: Tree): Int }
"""


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema(SDL)


def operation(text: str) -> OperationDefinitionNode:
    definition = parse(text).definitions[0]
    assert isinstance(definition, OperationDefinitionNode)
    return definition


def coerce(schema: GraphQLSchema, text: str, inputs: dict[str, Any], **options: Any) -> Any:
    result = coerce_variable_values(schema, operation(text).variable_definitions, inputs, **options)
    if isinstance(result, list):
        return [error.message for error in result]
    return result


def test_values_are_coerced_to_internal_values(schema: GraphQLSchema) -> None:
    text = "query ($a: Int, $c: Color, $p: Point, $l: [Int], $s: String) { f }"
    inputs = {"a": 1, "c": "GREEN", "p": {"x": 1, "tags": "t"}, "l": 4, "s": None}
    assert coerce(schema, text, inputs) == {
        "a": 1,
        "c": "GREEN",
        "p": {"x": 1, "y": 2, "tags": ["t"]},
        "l": [4],
        "s": None,
    }


def test_defaults_and_missing_variables(schema: GraphQLSchema) -> None:
    text = "query ($a: Int = 5, $b: Int, $c: Color = GREEN, $p: Point = {x: 9}) { f }"
    assert coerce(schema, text, {}) == {"a": 5, "c": "GREEN", "p": {"x": 9, "y": 2}}
    assert coerce(schema, text, {"a": None}) == {"a": None, "c": "GREEN", "p": {"x": 9, "y": 2}}


def test_invalid_values_are_request_errors(schema: GraphQLSchema) -> None:
    text = "query ($a: Int!, $b: Int!, $c: Color, $p: Point, $l: [Int!]) { f }"
    inputs = {"b": None, "c": "BLUE", "p": {"y": "x", "z": 1}, "l": [1, None]}
    assert coerce(schema, text, inputs) == [
        'Variable "$a" has invalid value: Expected a value of non-null type "Int!" to be provided.',
        'Variable "$b" has invalid value: Expected value of non-null type "Int!" not to be null.',
        'Variable "$c" has invalid value: Value "BLUE" does not exist in "Color" enum.',
        'Variable "$p" has invalid value: Expected value of type "Point" to include required'
        ' field "x", found: { y: "x", z: 1 }.',
        'Variable "$p" has invalid value at .y: Int cannot represent non-integer value: "x"',
        'Variable "$p" has invalid value: Expected value of type "Point" not to include unknown'
        ' field "z". Did you mean "x" or "y"? Found: { y: "x", z: 1 }.',
        'Variable "$l" has invalid value at [1]: Expected value of non-null type "Int!" not to'
        " be null.",
    ]


def test_errors_are_located_at_the_variable_definition(schema: GraphQLSchema) -> None:
    definitions = operation("query ($a: Int) { f }").variable_definitions
    errors = coerce_variable_values(schema, definitions, {"a": "x"})
    assert isinstance(errors, list)
    assert errors[0].nodes == [definitions[0]]
    assert isinstance(errors[0].original_error, GraphQLError)


def test_variables_of_types_that_are_not_input_types(schema: GraphQLSchema) -> None:
    text = "query ($q: Query, $u: Unknown, $l: [Query!]) { f }"
    assert coerce(schema, text, {}) == [
        'Variable "$q" expected value of type "Query" which cannot be used as an input type.',
        'Variable "$u" expected value of type "Unknown" which cannot be used as an input type.',
        'Variable "$l" expected value of type "[Query!]" which cannot be used as an input type.',
    ]


def test_an_invalid_default_value_is_an_error(schema: GraphQLSchema) -> None:
    text = 'query ($a: Int = "x", $p: Point = {y: 1}) { f }'
    assert coerce(schema, text, {}) == [
        'Variable "$a" has invalid default value: Int cannot represent non-integer value: "x"',
        'Variable "$p" has invalid default value: Expected value of type "Point" to include'
        ' required field "x", found: { y: 1 }.',
    ]


def test_errors_stop_at_max_errors(schema: GraphQLSchema) -> None:
    text = "query ($a: Int, $b: Int, $c: Int) { f }"
    inputs = {"a": "x", "b": "y", "c": "z"}
    assert coerce(schema, text, inputs, max_errors=2) == [
        'Variable "$a" has invalid value: Int cannot represent non-integer value: "x"',
        'Variable "$b" has invalid value: Int cannot represent non-integer value: "y"',
        "Too many errors processing variables, error limit reached. Execution aborted.",
    ]
    assert len(coerce(schema, "query ($l: [Int]) { f }", {"l": ["x"] * 100})) == 51


def deep_tree(depth: int) -> dict[str, Any]:
    tree: dict[str, Any] = {"value": 0}
    for level in range(depth):
        tree = {"value": level, "next": tree} if level % 2 else {"children": [tree, None]}
    return tree


def test_deeply_nested_values_are_refused(schema: GraphQLSchema) -> None:
    assert coerce(schema, "query ($t: Tree) { f }", {"t": deep_tree(MAX_INPUT_DEPTH // 2 - 2)}) != [
        "Variable values are nested too deeply."
    ]
    assert coerce(schema, "query ($t: Tree) { f }", {"t": deep_tree(MAX_INPUT_DEPTH)}) == [
        "Variable values are nested too deeply."
    ]
    nested_lists: Any = 1
    for _ in range(MAX_INPUT_DEPTH + 5):
        nested_lists = [nested_lists]
    # [Int] follows one level only: the rest is an invalid Int, not a deep value.
    assert coerce(schema, "query ($l: [Int]) { f }", {"l": nested_lists}) == [
        'Variable "$l" has invalid value at [0]: Int cannot represent non-integer value:'
        " [[[Array]]]"
    ]
    # A string for a list of input objects is neither deep nor a list.
    assert coerce(schema, "query ($t: [Tree]) { f }", {"t": "leaf"}) == [
        'Variable "$t" has invalid value: Expected value of type "Tree" to be an object,'
        ' found: "leaf".'
    ]


# Arguments ----------------------------------------------------------------------------------


def field_node(text: str) -> FieldNode:
    node = operation(text).selection_set.selections[0]
    assert isinstance(node, FieldNode)
    return node


def test_argument_values(schema: GraphQLSchema) -> None:
    definition = schema.query_type.fields["f"]  # type: ignore[union-attr]
    node = field_node("{ f(a: 1, p: {x: 2}, n: 3) }")
    assert get_argument_values(definition, node) == {
        "a": 1,
        "b": 3,
        "c": "RED",
        "p": {"x": 2, "y": 2},
        "n": 3,
    }
    node = field_node("query ($a: Int, $b: Int!, $n: Int!) { f(a: $a, b: $b, n: $n, c: GREEN) }")
    assert get_argument_values(definition, node, {"a": None, "n": 1}) == {
        "a": None,
        "b": 3,
        "c": "GREEN",
        "n": 1,
    }
    node = field_node("query ($a: Int, $b: Int!) { f(a: $a, b: $b, n: 1) }")
    assert get_argument_values(definition, node, None) == {"b": 3, "c": "RED", "n": 1}


def test_argument_errors(schema: GraphQLSchema) -> None:
    definition = schema.query_type.fields["f"]  # type: ignore[union-attr]
    with pytest.raises(
        GraphQLError, match=r'^Argument "n" of required type "Int!" was not provided\.$'
    ):
        get_argument_values(definition, field_node("{ f }"))
    node = field_node("query ($n: Int!) { f(n: $n) }")
    with pytest.raises(
        GraphQLError,
        match=r'^Argument "n" has invalid value: Expected variable "\$n" provided to type "Int!"'
        r" to provide a runtime value\.$",
    ):
        get_argument_values(definition, node, None)
    node = field_node("{ f(n: 1, p: {x: 1, tags: [null]}) }")
    with pytest.raises(GraphQLError) as caught:
        get_argument_values(definition, node)
    assert caught.value.message == (
        'Argument "p" has invalid value at .tags[0]: Expected value of non-null type "String!"'
        " not to be null."
    )
    assert caught.value.nodes is not None
    assert (
        caught.value.nodes[0].loc.start
        == node.arguments[1].value.fields[1].value.values[0].loc.start
    )  # type: ignore[attr-defined, union-attr]


def test_argument_of_a_scalar_that_changes_its_mind() -> None:
    calls: list[ValueNode] = []

    def parse_literal(node: ValueNode, variables: Any = None) -> Any:
        calls.append(node)
        if len(calls) == 1:
            raise ValueError("first call fails")
        return "fine"

    fickle = GraphQLScalarType("Fickle", parse_literal=parse_literal)
    definition = GraphQLField(GraphQLString, {"x": GraphQLArgument(fickle)})
    with pytest.raises(GraphQLError, match=r'^Argument "x" has invalid value: 12\.$'):
        get_argument_values(definition, field_node("{ f(x: 12) }"))


def test_directive_values(schema: GraphQLSchema) -> None:
    node = field_node("query ($v: Boolean!) { f @skip(if: true) @include(if: $v) }")
    assert get_directive_values(GraphQLSkipDirective, node) == {"if": True}
    assert get_directive_values(GraphQLIncludeDirective, node, {"v": False}) == {"if": False}
    assert get_directive_values(GraphQLSkipDirective, field_node("{ f }")) is None
    assert get_argument_values(GraphQLIncludeDirective, node.directives[0]) == {"if": True}
