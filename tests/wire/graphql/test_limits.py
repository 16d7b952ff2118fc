"""Safety limits for untrusted documents: size, tokens, depth, fields and aliases.

Each limit refuses a document with a clear request error before validation or
execution spend anything on it; the structural checks take time linear in the
document, whatever its fragments multiply, and follow fragment cycles safely.
"""

from __future__ import annotations

from typing import Any

import pytest

from wire.errors import LocalProtocolError
from wire.graphql import parse
from wire.graphql._build import build_schema
from wire.graphql._execution import execute_sync
from wire.graphql._introspection import get_introspection_query
from wire.graphql._limits import DEFAULT_QUERY_LIMITS, QueryLimits, check_limits
from wire.graphql._schema import GraphQLSchema


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema("type Query { a: Int node: Node } type Node { a: Int node: Node }")


def messages(text: str, **limits: int) -> list[str]:
    return [error.message for error in check_limits(parse(text), QueryLimits(**limits))]


@pytest.mark.parametrize("value", [0, -1, True, 1.5, "10", None])
@pytest.mark.parametrize(
    "name", ["max_length", "max_tokens", "max_depth", "max_fields", "max_aliases"]
)
def test_limits_are_positive_integers(name: str, value: Any) -> None:
    with pytest.raises(LocalProtocolError, match=f"^{name} must be a positive integer"):
        QueryLimits(**{name: value})


def test_defaults() -> None:
    assert (
        QueryLimits(
            max_length=100_000, max_tokens=20_000, max_depth=20, max_fields=2_000, max_aliases=100
        )
        == DEFAULT_QUERY_LIMITS
    )


def test_the_introspection_query_passes_the_defaults() -> None:
    document = parse(get_introspection_query())
    assert check_limits(document) == []
    assert messages(get_introspection_query(), max_depth=14, max_fields=229) == [
        'Operation "IntrospectionQuery" is nested more than 14 levels deep.',
        'Operation "IntrospectionQuery" selects more than 229 fields.',
    ]
    assert messages(get_introspection_query(), max_depth=15, max_fields=230) == []


def test_depth_counts_fields_through_fragments() -> None:
    text = """
    query Q { node { node { ...F } } }
    fragment F on Node { node { ... on Node { node { a } } } }
    """
    assert messages(text, max_depth=5) == []
    assert messages(text, max_depth=4) == ['Operation "Q" is nested more than 4 levels deep.']
    assert messages("{ a }", max_depth=1) == []
    assert messages("{ node { a } }", max_depth=1) == [
        "The operation is nested more than 1 levels deep."
    ]


def test_fields_and_aliases_count_each_use_of_a_fragment() -> None:
    text = """
    { ...F x: a ...F node { ...F } }
    fragment F on Query { a b: a }
    """
    # 3 spreads of 2 fields, plus x, plus node: 8 fields; 3 + 1 aliases.
    assert messages(text, max_fields=8, max_aliases=4) == []
    assert messages(text, max_fields=7, max_aliases=3) == [
        "The operation selects more than 7 fields.",
        "The operation uses more than 3 aliases.",
    ]


def test_each_operation_is_checked_on_its_own() -> None:
    text = "query A { a a } query B { a a a } mutation C { a }"
    assert messages(text, max_fields=2) == ['Operation "B" selects more than 2 fields.']


def test_exponential_fragments_are_counted_in_linear_time() -> None:
    levels = 200
    fragments = ["fragment F0 on Query { a a }"]
    fragments += [f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, levels)]
    text = f"{{ ...F{levels - 1} }} " + " ".join(reversed(fragments))
    # 2**200 fields: counted by adding per fragment, never by expanding them.
    assert messages(text) == ["The operation selects more than 2000 fields."]


def test_fragment_cycles_and_unknown_fragments_count_as_empty() -> None:
    text = """
    { ...A ...Missing node { ...C } }
    fragment A on Query { a ...B }
    fragment B on Query { a ...A ...C ...Missing }
    fragment C on Node { node { a } ...B }
    fragment A on Query { zzz }
    """
    # C: node, a (+ B, in a cycle: 0) = 2; B: a + C = 3 (+ A, in a cycle); A: a + B = 4;
    # the operation: node + A + C = 7.
    assert messages(text, max_fields=7) == []
    assert messages(text, max_fields=6) == ["The operation selects more than 6 fields."]


def test_a_fragment_reached_twice_is_counted_once_per_use() -> None:
    text = """
    { ...Top }
    fragment Top on Query { ...Left ...Right }
    fragment Left on Query { ...Leaf }
    fragment Right on Query { ...Leaf ...Left }
    fragment Leaf on Query { a }
    """
    assert messages(text, max_fields=3) == []
    assert messages(text, max_fields=2) == ["The operation selects more than 2 fields."]


def test_deep_fragment_chains_do_not_exhaust_the_stack() -> None:
    count = 5_000
    fragments = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(count))
    text = f"{{ ...F0 }} {fragments} fragment F{count} on Query {{ a }}"
    assert messages(text) == []


# Through execute -----------------------------------------------------------------------------


def test_execute_applies_the_limits_to_text(schema: GraphQLSchema) -> None:
    limits = QueryLimits(max_length=20, max_tokens=9, max_depth=2, max_fields=3, max_aliases=1)
    assert execute_sync(schema, "{ a }                    ", limits=limits) == {
        "errors": [
            {
                "message": "Syntax Error: Source contains more than 20 code points."
                " Parsing aborted.",
                "locations": [{"line": 1, "column": 21}],
            }
        ]
    }
    assert execute_sync(schema, "{ a a a a a a a a }", limits=limits) == {
        "errors": [
            {
                "message": "Syntax Error: Document contains more than 9 tokens. Parsing aborted.",
                "locations": [{"line": 1, "column": 19}],
            }
        ]
    }
    assert execute_sync(schema, "{node{node{a}}}", limits=limits) == {
        "errors": [
            {
                "message": "The operation is nested more than 2 levels deep.",
                "locations": [{"line": 1, "column": 1}],
            },
        ]
    }
    assert execute_sync(schema, "{node{node{a}}}", limits=None, root_value={}) == {
        "data": {"node": None}
    }


def test_limits_come_before_validation(schema: GraphQLSchema) -> None:
    limits = QueryLimits(max_aliases=1)
    assert execute_sync(schema, "{ x: zzz y: zzz }", limits=limits) == {
        "errors": [
            {
                "message": "The operation uses more than 1 aliases.",
                "locations": [{"line": 1, "column": 1}],
            }
        ]
    }


def test_execute_applies_the_structural_limits_to_documents(schema: GraphQLSchema) -> None:
    document = parse("{ a b: a c: a }")
    limits = QueryLimits(max_fields=2)
    assert execute_sync(schema, document, limits=limits, source="{ a b: a c: a }") == {
        "errors": [
            {
                "message": "The operation selects more than 2 fields.",
                "locations": [{"line": 1, "column": 1}],
            }
        ]
    }
    assert execute_sync(schema, document, limits=None, root_value={"a": 1}) == {
        "data": {"a": 1, "b": 1, "c": 1}
    }
    assert execute_sync(schema, document, root_value={"a": 1}) == {"data": {"a": 1, "b": 1, "c": 1}}
