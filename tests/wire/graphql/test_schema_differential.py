"""Differential tests of the type system against graphql-core 3.3.2 (graphql-js 17).

For hand-written and generated SDL, both engines must agree on: the SDL errors of
``build_schema``; ``print_schema`` and ``print_introspection_schema``, byte for
byte; the errors of ``validate_schema``, in number, order and wording; and input
coercion (results, error messages and paths) of generated values and literals.

Known differences, normalised before comparing: graphql-core quotes names with
'...' where graphql-js (and we) use "...", says "None" for null, and names
directive locations in lower case in one message ("may not be used on object");
its ``inspect`` prints Python reprs, so the tests give it ours (graphql-js's
rendering: ``null``, ``true``, ``{ a: 1 }``).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.peers import require_module

from wire.graphql import (
    GraphQLError,
    GraphQLNamedType,
    GraphQLSyntaxError,
    GraphQLType,
    InvalidSchemaError,
    Undefined,
    build_schema,
    coerce_input_literal,
    coerce_input_value,
    parse_type,
    print_introspection_schema,
    print_schema,
    type_from_ast,
    validate_input_literal,
    validate_input_value,
    validate_schema,
    value_from_ast,
)
from wire.graphql._errors import inspect
from wire.graphql._printer import print_ast
from wire.graphql.strategies import input_literals, input_values, schema_sdls

SLOW = settings(max_examples=60, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def core() -> Iterator[Any]:
    """graphql-core, with graphql-js's ``inspect`` (ours) in place of its Python one."""
    require_module("graphql")
    import graphql
    import graphql.pyutils

    def js_inspect(value: Any) -> str:
        if type(value).__module__.startswith("graphql."):
            return str(value)  # a graphql-core type: its name, as ours
        return inspect(value)

    original = graphql.pyutils.inspect
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name, module in list(sys.modules.items()):
            if name.startswith("graphql") and getattr(module, "inspect", None) is original:
                monkeypatch.setattr(module, "inspect", js_inspect)
        yield graphql


def _outcome(call: Any, value: Any, error: type[Exception]) -> tuple[str, Any]:
    try:
        return ("ok", call(value))
    except error as exc:
        return ("error", normalise(str(getattr(exc, "message", exc))))


_LOCATION = re.compile(r"may not be used on ([a-z ]+)\.")


def normalise(message: str) -> str:
    """graphql-core's wording of a message, in graphql-js's quotes and words."""
    message = message.replace("'", '"').replace("not to be None", "not to be null")
    return _LOCATION.sub(lambda m: f"may not be used on {m[1].upper().replace(' ', '_')}.", message)


def build_both(core: Any, sdl: str) -> tuple[Any, Any]:
    """Both schemas, or both SDL error texts (each engine must fail alike)."""
    try:
        theirs = core.build_schema(sdl)
    except (TypeError, core.GraphQLError) as error:
        with pytest.raises((InvalidSchemaError, GraphQLError)) as ours:
            build_schema(sdl)
        if isinstance(error, core.GraphQLSyntaxError):  # the parser words these as graphql-core
            assert isinstance(ours.value, GraphQLSyntaxError)
            assert ours.value.message == error.message
        else:
            mine = ours.value.message if isinstance(ours.value, GraphQLError) else str(ours.value)
            assert mine == normalise(str(error).split("\n\nGraphQL request")[0])
        return None, None
    return build_schema(sdl), theirs


def assert_schemas_agree(core: Any, sdl: str) -> list[str]:
    ours, theirs = build_both(core, sdl)
    if ours is None:
        return ["<sdl error>"]
    printed = _outcome(print_schema, ours, GraphQLError)
    assert printed == _outcome(core.print_schema, theirs, core.GraphQLError)
    if printed[0] == "error":  # a built-in directive's argument is invalid
        return [printed[1]]
    mine = [error.message for error in validate_schema(ours)]
    other = [normalise(error.message) for error in core.validate_schema(theirs)]
    assert mine == other
    return mine


# Hand-written SDL, valid and not: each exercises one rule.
SDL_CASES = [
    "type Query { a: Int }",
    '"""The schema"""\nschema { query: Q } type Q { a: Int }',
    "schema { query: Q mutation: M subscription: S } type Q { a: Int } type M { a: Int }"
    " type S { a: Int }",
    "type Query { a: Int } type Mutation { a: Int } type Subscription { a: Int }",
    "type Query { a: Int } type Mutation { a: Int } schema { query: Query }",
    "type Q { a: Int }",
    "scalar Query",
    "schema { query: Q mutation: Q } type Q { a: Int }",
    "schema { query: I } interface I { a: Int }",
    "type Query { __a: Int } type __B { a: Int }",
    "type Query { a(__x: Int): Int } enum E { __V } input I { __f: Int }"
    " directive @__d(__a: Int) on FIELD",
    "type Query implements I { a: String b(x: Int!): Int } interface I { a: Int b: Int c: Int }",
    "type Query implements I & J { a: Int } interface I implements J { a: Int }"
    " interface J implements I { a: Int }",
    "type Query implements I { a: Int } interface I implements J { a: Int } interface J { a: Int }",
    "type Query implements I & I { a: Int } interface I { a: Int }",
    "type Query implements Query { a: Int }",
    "interface I implements I { a: Int } type Query implements I { a: Int }",
    "type Query implements U { a: Int } union U = Query",
    "type Query { a(x: Int! @deprecated): Int u: U e: E i(i: In): Int } union U = Query | Query"
    " enum E input In @oneOf { a: Int! b: Int = 1 }",
    "type Query { a(i: In): Int } input In { a: In! } input In2 { b: In2! c: In }",
    "type Query { a(i: In): Int } input In @oneOf { a: In } input Ok @oneOf { a: In, b: Int }",
    "type Query { a(i: A): Int } input A { b: B! } input B { a: A! c: C! } input C { c: C }",
    "type Query { a(i: In = {a: {}}): Int } input In { a: In = {} }",
    "type Query { a(i: A): Int } input A { b: B = {} } input B { a: A = {} }",
    "type Query { a(i: A): Int } input A { b: [B] = [{}] } input B { c: C = {} }"
    " input C { a: A = {b: []}, d: A = {} }",
    'type Query { a(x: Int = "x", y: [In] = [{a: 1}], z: In = {b: 2}): Int }'
    " input In { a: Int!, c: String }",
    "type Query { a(x: Int!, y: E = B, z: [Int!]! = [null], w: In = {a: [1, 2]}): Int }"
    " enum E { A } input In { a: [Int!]! }",
    'directive @d(x: Int! @deprecated, __y: Int = "z") on FIELD type Query { a: Int }',
    "type Query implements I { a(x: [Int]): Int @deprecated }"
    " interface I { a(x: Int, y: Int): Int }",
    "type Query implements I { a: Int! b: [Int!]! c: I d: [Query] } "
    "interface I { a: Int b: [Int] c: I d: [I] }",
    "type Query implements I { a(y: Int! = 1): Int } interface I { a: Int }",
    "interface I { a: I } type Query { a: Query }",
    "type Query { a: In i(x: Query): Int } input In { a: Query }",
    "type Query { a: Int } union U enum E input In interface I type T",
    "type Query { a: Int } extend type Query { b: String } extend type Query @d "
    "directive @d on OBJECT",
    'scalar Date @specifiedBy(url: "https://example.com") type Query { a: Date }',
    'scalar Date type Query { a: Date } extend scalar Date @specifiedBy(url: "u")',
    "type Query { a: Int @deprecated(reason: null) }",
    "type Query { a: Int @deprecated(reason: 1) }",
    "scalar S @specifiedBy type Query { a: S }",
    'type Query { a: Int } directive @d("desc" a: Int, "b" b: [String] = ["x"]) repeatable'
    ' on FIELD | QUERY directive @old(a: Int @deprecated) @deprecated(reason: "x") on FIELD',
    "directive @e(a: Int) @deprecated(reason: 1) on FIELD type Query { a: Int }",
    "directive @e(a: Int @deprecated(reason: 1)) on FIELD type Query { a: Int }",
    "type Query { a: E } enum E { A @deprecated(reason: 1) }",
    "type Query { a(x: I): Int } input I { a: Int @deprecated(reason: 1) }",
    "type Query { a: U } union U = X  type X { a: Int @deprecated(reason: 1) }",
    "type Query implements I { a: Int } interface I { a: Int @deprecated(reason: 1) }",
    "input I @oneOf(x: 1) { a: Int } type Query { a(i: I): Int }",
    "type Query { a: Int } directive @old on FIELD extend directive @old @deprecated",
    'type Query { a: Int } directive @old on FIELD extend directive @old @deprecated(reason: "r")',
    "type Query { a: Int } directive @old on FIELD extend directive @old @deprecated(reason: 1)",
    '"""\n  indented\n  block\n"""\ntype Query {\n  "one"\n  a("x" x: Int): Int\n'
    '  """\n  two\n  """\n  b: Int\n}',
    'type Query { a: String } enum E { "d" A @deprecated B @deprecated(reason: "why") }',
    "type Query { a(i: In): Int } input In { a: Int! @deprecated b: Int! = 1 @deprecated }",
    "type Query { a(x: Int! @foo @deprecated): Int } directive @foo on ARGUMENT_DEFINITION",
    "type Query { a(i: A): Int } input A { b: B = null, c: B = 1 } input B { a: A = {} }",
    "type Query { a(i: A): Int } input A { x: Int, b: B = {x: 1} } input B { x: Int, a: A = {} }",
    "type Query { a(i: O): Int } input O @oneOf { a: B } input B { c: C! } input C { x: Int }",
    "type Query { a(i: A): Int } input A { b: B!, c: C! } input B { x: Int } input C { a: A! }",
    "type Query { a(i: A): Int } input A @oneOf { b: B, x: Int } input B { y: Int }",
    "type Query { a(i: A): Int } input A @oneOf { b: B } input B { a: A! }",
    "type Query { a: Int } type M { a: Int } extend schema { mutation: M }",
    'type Query { a: Int @foo @deprecated(reason: "r") } directive @foo on FIELD_DEFINITION',
    "type Query { a: Int } query Q @include(if: true) { a(x: 1, x: 2) }",
    "type Query { a: Int } query Q($v: Int @skip(if: true)) @deprecated { a }",
    "type Query { a: Int } directive @d(a: Int @d) on ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION"
    " input I { f: Int @d }",
    # SDL errors.
    "type Query { a: Int } type Query { b: Int }",
    "type Query { a: Int a: String } enum E { A A } input I { f: Int f: Int }",
    "type Query { a(x: Int, x: Int): Int } directive @d(a: Int, a: Int) on FIELD",
    "schema { query: Query } schema { query: Query } type Query { a: Int }",
    "schema { query: Query query: Query } type Query { a: Int }",
    "directive @d on FIELD directive @d on FIELD type Query { a: Int }",
    "type Query { a: Strin b: Quer c(x: Foo): Int }",
    "type Query { a: Int @unknown @deprecated @deprecated } scalar S @specifiedBy(x: 1)",
    "type Query @deprecated { a: Int } enum E @include(if: true) { A }",
    'type Query { a(x: Int @specifiedBy(url: "u")): Int } input I { f: Int @oneOf }',
    "type Query { a: Int } extend type Nope { a: Int } extend union Query = A",
    "type Query { a: Int } directive @d on SCALAR | INTERFACE | ENUM | INPUT_OBJECT | UNION"
    " extend scalar Query @d extend interface Query @d extend enum Query @d extend input Query @d"
    " extend union Query @d",
    "type Query { a: Int } extend type Qeury { b: Int }",
    "type Query { a: Int @d(a: 1) } directive @d(b: Int!) on FIELD_DEFINITION",
    "type Query { a(x: In = {a: 1, a: 2}): Int @r @r } input In { a: Int }"
    " directive @r repeatable on FIELD_DEFINITION",
    "type Query { a: Int } extend schema @d directive @d on SCHEMA schema @d { query: Query }",
    "type Query { a: Int } query { a @foo }",
    "type Query { a: Int } query($x: String) { a @skip(if: $x) }",
    "type Query { a: Int } fragment F on Query { a } { ...F @include(if: true) }",
    "type Query { a: Int } subscription S($v: Int @deprecated) { a }",
    "type Query { a: Int } mutation { ... on Query { a } }",
]


@pytest.mark.parametrize("sdl", SDL_CASES)
def test_hand_written_schema(core: Any, sdl: str) -> None:
    assert_schemas_agree(core, sdl)


def test_hand_written_schemas_cover_each_outcome(core: Any) -> None:
    outcomes = [assert_schemas_agree(core, sdl) for sdl in SDL_CASES]
    assert [] in outcomes
    assert ["<sdl error>"] in outcomes
    assert sum(1 for outcome in outcomes if outcome and outcome != ["<sdl error>"]) > 20


def test_introspection_schema_prints_like_graphql_core(core: Any) -> None:
    sdl = "type Query { a: Int }"
    assert print_introspection_schema(build_schema(sdl)) == core.print_introspection_schema(
        core.build_schema(sdl)
    )


@SLOW
@given(schema_sdls())
def test_generated_valid_schemas(core: Any, sdl: str) -> None:
    assert assert_schemas_agree(core, sdl) == []


@SLOW
@given(schema_sdls(valid=False))
def test_generated_invalid_schemas(core: Any, sdl: str) -> None:
    assert_schemas_agree(core, sdl)


# Input coercion -----------------------------------------------------------------------------


def _input_types(schema: Any) -> list[str]:
    """Every argument type of the schema, as SDL writes it."""
    found = {
        str(arg.type)
        for type_ in schema.type_map.values()
        if not type_.name.startswith("__")
        for field in getattr(type_, "fields", {}).values()
        for arg in getattr(field, "args", {}).values()
    }
    found |= {"Int", "Float", "String", "Boolean", "ID", "[Int!]!"}
    return sorted(text for text in found if type_from_ast(schema, parse_type(text)) is not None)


def _theirs(core: Any, schema: Any, type_text: str) -> Any:
    return core.utilities.type_from_ast(schema, core.parse_type(type_text))


def _ours(schema: Any, type_text: str) -> GraphQLType:
    type_ = type_from_ast(schema, parse_type(type_text))
    assert type_ is not None
    return type_


def _same(ours: Any, theirs: Any, core: Any) -> bool:
    if theirs is core.Undefined:
        return ours is Undefined
    return bool(ours == theirs)


@st.composite
def typed_inputs(draw: st.DrawFn, literal: bool) -> tuple[str, str, Any]:
    sdl = draw(schema_sdls())
    schema = build_schema(sdl)
    type_text = draw(st.sampled_from(_input_types(schema)))
    type_ = _ours(schema, type_text)
    value = draw(input_literals(type_) if literal else input_values(type_))
    return sdl, type_text, value


@SLOW
@given(typed_inputs(literal=False))
def test_variable_values_coerce_like_graphql_core(core: Any, case: tuple[str, str, Any]) -> None:
    sdl, type_text, value = case
    ours_type = _ours(build_schema(sdl), type_text)
    theirs_type = _theirs(core, core.build_schema(sdl), type_text)
    mine = coerce_input_value(value, ours_type)
    other = core.utilities.coerce_input_value(value, theirs_type)
    assert _same(mine, other, core), (mine, other)
    my_errors: list[tuple[str, list[str | int]]] = []
    validate_input_value(value, ours_type, lambda e, path: my_errors.append((e.message, path)))
    their_errors: list[tuple[str, list[str | int]]] = []
    core.utilities.validate_input_value(
        value, theirs_type, lambda e, path: their_errors.append((normalise(e.message), path))
    )
    assert my_errors == their_errors
    assert bool(my_errors) == (mine is Undefined)


@SLOW
@given(typed_inputs(literal=True))
def test_literals_coerce_like_graphql_core(core: Any, case: tuple[str, str, Any]) -> None:
    sdl, type_text, node = case
    ours_type = _ours(build_schema(sdl), type_text)
    theirs_type = _theirs(core, core.build_schema(sdl), type_text)
    their_node = core.parse_value(print_ast(node))
    # Without variables, value_from_ast and coerce_input_literal agree. graphql-core's
    # own (deprecated) value_from_ast takes the legacy parse_literal path, which lets
    # an Int accept 1.0: graphql-js 17's coerceInputLiteral is the reference.
    mine = value_from_ast(node, ours_type)
    theirs = core.utilities.coerce_input_literal(their_node, theirs_type)
    assert _same(mine, theirs, core)
    assert _same(coerce_input_literal(node, ours_type), theirs, core)
    my_errors: list[tuple[str, list[str | int]]] = []
    validate_input_literal(node, ours_type, lambda e, path: my_errors.append((e.message, path)))
    their_errors: list[tuple[str, list[str | int]]] = []
    core.utilities.validate_input_literal(
        their_node, theirs_type, lambda e, path: their_errors.append((normalise(e.message), path))
    )
    assert my_errors == their_errors
    assert bool(my_errors) == (mine is Undefined)


# Built-in scalars ----------------------------------------------------------------------------

_SCALAR_INPUTS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**60), 2**60),
    st.floats(allow_nan=False),
    st.sampled_from([float("nan"), 2**2000, 10**400, -(2**31) - 1, 2**31, 1e20, 1.0, -0.0]),
    st.text(st.sampled_from("0123456789.eE-+ ab"), max_size=8),
    st.lists(st.integers(0, 3), max_size=2),
    st.dictionaries(st.sampled_from(["a"]), st.integers(0, 3), max_size=1),
)


@pytest.mark.parametrize("name", ["Int", "Float", "String", "Boolean", "ID"])
@settings(max_examples=150)
@given(value=_SCALAR_INPUTS)
def test_scalars_like_graphql_core(core: Any, name: str, value: Any) -> None:
    from wire.graphql import specified_scalar_types

    ours: GraphQLNamedType = specified_scalar_types[name]
    theirs = core.specified_scalar_types[name]
    for mine_call, their_call in (
        (ours.serialize, theirs.serialize),  # type: ignore[attr-defined]
        (ours.parse_value, theirs.parse_value),  # type: ignore[attr-defined]
    ):
        mine = _outcome(mine_call, value, GraphQLError)
        other = _outcome(their_call, value, core.GraphQLError)
        if mine[0] == other[0] == "ok" and isinstance(other[1], float) and other[1] != other[1]:
            continue
        assert mine == other
        assert type(mine[1]) is type(other[1]) or (mine[0] == "ok" and mine[1] == other[1])


@pytest.mark.parametrize("name", ["Int", "Float", "String", "Boolean", "ID"])
@settings(max_examples=60)
@given(
    node=st.sampled_from(
        [
            "1",
            "-0",
            "2147483648",
            "1.5",
            '"s"',
            "true",
            "null",
            "E",
            "[1]",
            "{a: 1}",
            "1e3",
            "-2147483648",
            '"""b"""',
        ]
    )
)
def test_scalar_literals_like_graphql_core(core: Any, name: str, node: str) -> None:
    from wire.graphql import parse_value, specified_scalar_types

    ours = specified_scalar_types[name]
    theirs = core.specified_scalar_types[name]
    mine = _outcome(lambda text: ours.parse_literal(parse_value(text), None), node, GraphQLError)
    other = _outcome(
        lambda text: theirs.coerce_input_literal(core.parse_value(text)), node, core.GraphQLError
    )
    assert mine == other
