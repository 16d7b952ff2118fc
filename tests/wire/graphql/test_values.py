"""Input values: literals and variable values to Python values and back (sections 3.10, 5.6)."""

from __future__ import annotations

from typing import Any

import pytest

from wire.graphql import (
    GraphQLEnumType,
    GraphQLError,
    GraphQLID,
    GraphQLInputObjectType,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLString,
    Undefined,
    ast_from_value,
    build_schema,
    coerce_input_literal,
    coerce_input_value,
    parse_value,
    print_ast,
    specified_scalar_types,
    validate_input_literal,
    validate_input_value,
    value_from_ast,
    value_from_ast_untyped,
)
from wire.graphql._values import print_path_list

SCHEMA = build_schema(
    """
    type Query { a(i: In, o: One, e: E, l: [Int!], n: [Int]): Int }
    enum E { RED GREEN }
    input In { req: Int!, opt: String = "dflt", e: E, list: [Int], nested: In }
    input One @oneOf { a: Int, b: String }
    """
)


def type_(name: str) -> Any:
    from wire.graphql import parse_type, type_from_ast

    found = type_from_ast(SCHEMA, parse_type(name))
    return found if found is not None else specified_scalar_types[name]


def errors_of_value(value: Any, name: str) -> list[tuple[str, list[str | int]]]:
    found: list[tuple[str, list[str | int]]] = []
    validate_input_value(
        value, type_(name), lambda error, path: found.append((error.message, path))
    )
    return found


def errors_of_literal(
    text: str, name: str, variables: dict[str, Any] | None = None
) -> list[tuple[str, list[str | int]]]:
    found: list[tuple[str, list[str | int]]] = []
    validate_input_literal(
        parse_value(text), type_(name), lambda e, path: found.append((e.message, path)), variables
    )
    return found


# value_from_ast -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name", "variables", "expected"),
    [
        ("1", "Int", None, 1),
        ("null", "Int", None, None),
        ("null", "Int!", None, Undefined),
        ("$v", "Int", {"v": 3}, 3),
        ("$v", "Int!", {"v": None}, Undefined),
        ("$v", "Int", None, Undefined),
        ("$v", "Int", {"w": 1}, Undefined),
        ("1", "[Int]", None, [1]),
        ('"x"', "[Int]", None, Undefined),
        ("[1, $v, 3]", "[Int]", {}, [1, None, 3]),
        ("[1, $v]", "[Int!]", {}, Undefined),
        ("[1, $v]", "[Int!]", {"v": 2}, [1, 2]),
        ('[1, "x"]', "[Int]", None, Undefined),
        ("RED", "E", None, "RED"),
        ('"RED"', "E", None, Undefined),
        ("{req: 1}", "In", None, {"req": 1, "opt": "dflt"}),
        ("{req: 1, opt: null, e: GREEN}", "In", None, {"req": 1, "opt": None, "e": "GREEN"}),
        ('{opt: "x"}', "In", None, Undefined),
        ("{req: 1, zzz: 2}", "In", None, Undefined),
        ("{req: $v}", "In", {}, Undefined),
        ("{req: 1, opt: $v}", "In", {}, {"req": 1, "opt": "dflt"}),
        ("{req: 1, opt: 2}", "In", None, Undefined),
        ("[1]", "In", None, Undefined),
        ("{a: 1}", "One", None, {"a": 1}),
        ('{a: 1, b: "x"}', "One", None, Undefined),
        ("{a: null}", "One", None, Undefined),
        ("{a: $v}", "One", {"v": None}, Undefined),
        ("{}", "One", None, Undefined),
    ],
)
def test_value_from_ast(text: str, name: str, variables: Any, expected: Any) -> None:
    result = value_from_ast(parse_value(text), type_(name), variables)
    assert result == expected
    assert (result is Undefined) == (expected is Undefined)


def test_value_from_ast_of_nothing_and_of_output_types() -> None:
    assert value_from_ast(None, GraphQLInt) is Undefined
    with pytest.raises(TypeError, match=r"Expected Query to be a GraphQL input type\."):
        value_from_ast(parse_value("1"), type_("Query"))


@pytest.mark.parametrize(
    ("text", "name", "variables", "expected"),
    [
        ("$v", "Int!", {}, Undefined),
        ("$v", "Int", {}, Undefined),
        ("[1, $v]", "[Int]", {}, [1, None]),
        ("[1, $v]", "[Int]", {"v": None}, [1, None]),
        ("[1, $v]", "[Int!]", {}, Undefined),
        ('[1, "x"]', "[Int]", None, Undefined),
        ("5", "[Int]", None, [5]),
        ('"x"', "[Int]", None, Undefined),
        ("null", "Int!", None, Undefined),
        ("null", "[Int]", None, None),
        ("{req: 2}", "In!", None, {"req": 2, "opt": "dflt"}),
        ("3", "In", None, Undefined),
        ("{a: $v}", "One", {"v": 1}, {"a": 1}),
    ],
)
def test_coerce_input_literal(text: str, name: str, variables: Any, expected: Any) -> None:
    result = coerce_input_literal(parse_value(text), type_(name), variables)
    assert result == expected
    assert (result is Undefined) == (expected is Undefined)


def test_custom_scalar_literals() -> None:
    def parse_literal(node: Any, variables: Any) -> Any:
        if variables and "boom" in variables:
            raise ValueError("boom")
        return value_from_ast_untyped(node, variables)

    json = GraphQLScalarType("Json", parse_literal=parse_literal)
    assert value_from_ast(parse_value("{a: [$v]}"), json, {"v": 2}) == {"a": [2]}
    assert value_from_ast(parse_value("1"), json, {"boom": 1}) is Undefined
    found: list[str] = []
    validate_input_literal(
        parse_value("1"), json, lambda e, p: found.append(e.message), {"boom": 1}
    )
    assert found == ['Expected value of type "Json", but encountered error "boom"; found: 1.']
    undefined = GraphQLScalarType("Nothing", parse_literal=lambda node, variables: Undefined)
    found.clear()
    validate_input_literal(parse_value("1"), undefined, lambda e, p: found.append(e.message))
    assert found == ['Expected value of type "Nothing", found: 1.']


@pytest.mark.parametrize(
    ("text", "variables", "expected"),
    [
        ("1", None, 1),
        ("1.5", None, 1.5),
        ('"s"', None, "s"),
        ("E", None, "E"),
        ("true", None, True),
        ("null", None, None),
        ("[1, {a: $x}]", {"x": "y"}, [1, {"a": "y"}]),
        ("$x", None, Undefined),
        ("$x", {}, Undefined),
    ],
)
def test_value_from_ast_untyped(text: str, variables: Any, expected: Any) -> None:
    assert value_from_ast_untyped(parse_value(text), variables) == expected


# coerce_input_value / validate_input_value ---------------------------------------------------


@pytest.mark.parametrize(
    ("value", "name", "expected"),
    [
        (1, "Int", 1),
        (None, "Int", None),
        (Undefined, "Int", None),
        (None, "Int!", Undefined),
        (1, "[Int]", [1]),
        ((1, 2), "[Int]", [1, 2]),
        ([1, "x"], "[Int]", Undefined),
        ("x", "[Int]", Undefined),
        ({"req": 1}, "In", {"req": 1, "opt": "dflt"}),
        ({"req": 1, "opt": Undefined, "e": "RED"}, "In", {"req": 1, "opt": "dflt", "e": "RED"}),
        ({"opt": "x"}, "In", Undefined),
        ({"req": 1, "bad": 1}, "In", Undefined),
        ({"req": "x"}, "In", Undefined),
        ([1], "In", Undefined),
        ({"a": 1}, "One", {"a": 1}),
        ({"a": None}, "One", Undefined),
        ({"a": 1, "b": "x"}, "One", Undefined),
        ({"a": 1, "b": Undefined}, "One", {"a": 1}),
        ("GREEN", "E", "GREEN"),
        ("PURPLE", "E", Undefined),
    ],
)
def test_coerce_input_value(value: Any, name: str, expected: Any) -> None:
    result = coerce_input_value(value, type_(name))
    assert result == expected
    assert (result is Undefined) == (expected is Undefined)
    found: list[Any] = []
    again = coerce_input_value(value, type_(name), lambda error, path: found.append(path))
    assert bool(found) == (result is Undefined)
    assert (again is Undefined) == (result is Undefined)


def test_coerce_input_value_refuses_output_types() -> None:
    with pytest.raises(TypeError):
        coerce_input_value(1, GraphQLObjectType("O", {"a": GraphQLInt}))
    with pytest.raises(TypeError):
        validate_input_value(1, GraphQLObjectType("O", {"a": GraphQLInt}), lambda e, p: None)
    with pytest.raises(TypeError):
        validate_input_literal(
            parse_value("1"), GraphQLObjectType("O", {"a": GraphQLInt}), lambda e, p: None
        )


def test_validate_input_value_messages() -> None:
    assert errors_of_value(Undefined, "Int!") == [
        ('Expected a value of non-null type "Int!" to be provided.', [])
    ]
    assert errors_of_value(None, "Int!") == [
        ('Expected value of non-null type "Int!" not to be null.', [])
    ]
    assert errors_of_value([1, "x", None], "[Int!]") == [
        ('Int cannot represent non-integer value: "x"', [1]),
        ('Expected value of non-null type "Int!" not to be null.', [2]),
    ]
    assert errors_of_value("x", "[Int]") == [('Int cannot represent non-integer value: "x"', [])]
    assert errors_of_value({"opt": 1, "nested": {"req": 1, "reqq": 2}}, "In") == [
        ('Expected value of type "In" to include required field "req", found:'
         ' { opt: 1, nested: { req: 1, reqq: 2 } }.', []),
        ("String cannot represent a non string value: 1", ["opt"]),
        ('Expected value of type "In" not to include unknown field "reqq". Did you mean "req"?'
         " Found: { req: 1, reqq: 2 }.", ["nested"]),
    ]  # fmt: skip
    assert errors_of_value({"req": 1, "zzzzz": Undefined, "qqqqqq": 1}, "In") == [
        ('Expected value of type "In" not to include unknown field "qqqqqq", found:'
         " { req: 1, zzzzz: Undefined, qqqqqq: 1 }.", []),
    ]  # fmt: skip
    assert errors_of_value(3, "In") == [
        ('Expected value of type "In" to be an object, found: 3.', [])
    ]
    one_of = (
        'Within OneOf Input Object type "One", exactly one field must be specified, and the'
        " value for that field must be non-null."
    )
    assert errors_of_value({}, "One") == [(one_of, [])]
    assert errors_of_value({"a": None}, "One") == [(one_of, ["a"])]
    assert errors_of_value({"a": 1, "b": "x"}, "One") == [(one_of, [])]
    assert errors_of_value("BLUE", "E") == [('Value "BLUE" does not exist in "E" enum.', [])]


def test_custom_scalar_values() -> None:
    def parse(value: Any) -> Any:
        if value == "boom":
            raise ValueError("kaboom")
        return value

    custom = GraphQLScalarType("Custom", parse_value=parse)
    assert coerce_input_value("ok", custom) == "ok"
    assert coerce_input_value("boom", custom) is Undefined
    found: list[Any] = []
    validate_input_value("boom", custom, lambda error, path: found.append(error))
    assert [error.message for error in found] == [
        'Expected value of type "Custom", but encountered error "kaboom"; found: "boom".'
    ]
    assert isinstance(found[0].original_error, ValueError)


def test_validate_input_literal_messages() -> None:
    assert errors_of_literal("null", "Int!") == [
        ('Expected value of non-null type "Int!" not to be null.', [])
    ]
    assert errors_of_literal("[1, null]", "[Int!]") == [
        ('Expected value of non-null type "Int!" not to be null.', [1])
    ]
    assert errors_of_literal('"x"', "[Int]") == [
        ('Int cannot represent non-integer value: "x"', [])
    ]
    assert errors_of_literal("[1]", "In") == [
        ('Expected value of type "In" to be an object, found: [1].', [])
    ]
    assert errors_of_literal("{opt: 1, nested: {req: 1, rq: 2}}", "In") == [
        ('Expected value of type "In" to include required field "req", found:'
         " { opt: 1, nested: { req: 1, rq: 2 } }.", []),
        ("String cannot represent a non string value: 1", ["opt"]),
        ('Expected value of type "In" not to include unknown field "rq". Did you mean "req"?'
         " Found: { req: 1, rq: 2 }.", ["nested"]),
    ]  # fmt: skip
    assert errors_of_literal("{req: 1, qqqqqq: 2}", "In") == [
        ('Expected value of type "In" not to include unknown field "qqqqqq", found:'
         " { req: 1, qqqqqq: 2 }.", []),
    ]  # fmt: skip
    one_of = (
        'Within OneOf Input Object type "One", exactly one field must be specified, and the'
        " value for that field must be non-null."
    )
    assert errors_of_literal("{}", "One") == [(one_of, [])]
    assert errors_of_literal("{a: null}", "One") == [(one_of, ["a"])]
    # Variables: skipped in a static check, checked against values otherwise.
    assert errors_of_literal("$v", "Int!") == []
    assert errors_of_literal("$v", "Int") == []
    assert errors_of_literal("$v", "Int", {}) == []
    assert errors_of_literal("$v", "Int!", {}) == [
        ('Expected variable "$v" provided to type "Int!" to provide a runtime value.', [])
    ]
    assert errors_of_literal("$v", "Int!", {"v": None}) == [
        ('Expected variable "$v" provided to non-null type "Int!" not to be null.', [])
    ]
    assert errors_of_literal("$v", "Int!", {"v": 1}) == []
    assert errors_of_literal("{req: $v}", "In", {}) == [
        ('Expected variable "$v" provided to type "Int!" to provide a runtime value.', ["req"])
    ]
    assert errors_of_literal("{req: 1, opt: $v}", "In", {}) == []
    assert errors_of_literal("{req: 1, opt: $v}", "In", {"v": "x"}) == []
    assert errors_of_literal("{a: $v}", "One", {}) == [
        ('Expected variable "$v" provided to field "a" for OneOf Input Object type "One" to'
         " provide a runtime value.", []),
    ]  # fmt: skip
    assert errors_of_literal("{a: $v}", "One", {"v": None}) == [
        ('Expected variable "$v" provided to field "a" for OneOf Input Object type "One" not'
         " to be null.", []),
    ]  # fmt: skip
    assert errors_of_literal("{a: $v}", "One", {"v": 1}) == []


def test_print_path_list() -> None:
    assert print_path_list([]) == ""
    assert print_path_list(["a", 0, "b"]) == " at .a[0].b"


# ast_from_value ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "name", "printed"),
    [
        (None, "Int", "null"),
        (None, "Int!", None),
        (Undefined, "Int", None),
        (1, "Int", "1"),
        (True, "Boolean", "true"),
        (1.0, "Float", "1"),
        (1.5, "Float", "1.5"),
        (1e20, "Float", "1e+20"),
        ("x", "String", '"x"'),
        ("RED", "E", "RED"),
        ("12", "ID", "12"),
        ("0x", "ID", '"0x"'),
        ([1, None], "[Int]", "[1, null]"),
        ([1, Undefined], "[Int]", "[1]"),
        (1, "[Int]", "1"),
        ({"req": 1, "e": "RED", "x": 1, "opt": Undefined}, "In", "{ req: 1, e: RED }"),
        ([1], "In", None),
    ],
)
def test_ast_from_value(value: Any, name: str, printed: str | None) -> None:
    node = ast_from_value(value, type_(name))
    assert (None if node is None else print_ast(node)) == printed


def test_ast_from_value_of_odd_values() -> None:
    assert ast_from_value("1", GraphQLID) is not None
    nothing = GraphQLScalarType("Nothing", serialize=lambda value: None)
    assert ast_from_value(1, nothing) is None
    listy = GraphQLScalarType("Listy", serialize=lambda value: [value])
    with pytest.raises(TypeError, match=r"Cannot convert value to AST: \[1\]."):
        ast_from_value(1, listy)
    with pytest.raises(GraphQLError):
        ast_from_value("PURPLE", GraphQLEnumType("E", ["RED"]))
    with pytest.raises(TypeError):
        ast_from_value(1, GraphQLObjectType("O", {"a": GraphQLInt}))
    with pytest.raises(TypeError, match=r"Cannot convert value to AST: Infinity\."):
        ast_from_value(float("inf"), GraphQLScalarType("Any"))


def test_python_objects_make_literals() -> None:
    point = GraphQLInputObjectType(
        "Point", {"x": GraphQLNonNull(GraphQLInt), "tags": GraphQLList(GraphQLString)}
    )
    node = ast_from_value({"x": 1, "tags": ["a"]}, point)
    assert node is not None
    assert print_ast(node) == '{ x: 1, tags: ["a"] }'
