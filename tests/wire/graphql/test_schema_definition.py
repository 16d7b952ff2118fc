"""The type system built in Python: named and wrapping types, fields, predicates, errors."""

from __future__ import annotations

import dataclasses
import pickle
from enum import Enum
from typing import Any

import pytest

from wire.graphql import (
    DirectiveLocation,
    GraphQLArgument,
    GraphQLBoolean,
    GraphQLDirective,
    GraphQLEnumType,
    GraphQLEnumValue,
    GraphQLError,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInt,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLString,
    GraphQLSyntaxError,
    GraphQLUnionType,
    IntValueNode,
    InvalidSchemaError,
    Location,
    NameNode,
    SourceLocation,
    StringValueNode,
    Undefined,
    get_named_type,
    get_nullable_type,
    is_abstract_type,
    is_composite_type,
    is_enum_type,
    is_input_object_type,
    is_input_type,
    is_interface_type,
    is_leaf_type,
    is_list_type,
    is_named_type,
    is_non_null_type,
    is_nullable_type,
    is_object_type,
    is_output_type,
    is_required_argument,
    is_required_input_field,
    is_scalar_type,
    is_specified_directive,
    is_type,
    is_union_type,
    is_wrapping_type,
    parse,
    parse_value,
)
from wire.graphql._definition import UndefinedType, assert_enum_value_name, assert_name
from wire.graphql._errors import and_list, did_you_mean, inspect, or_list, suggestion_list

# Undefined -----------------------------------------------------------------------------------


def test_undefined_is_a_falsy_singleton() -> None:
    assert not Undefined
    assert repr(Undefined) == "Undefined"
    assert UndefinedType() is Undefined
    assert pickle.loads(pickle.dumps(Undefined)) is Undefined
    assert Undefined is not None


# Names -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Expected name to be a non-empty string."),
        (1, "Expected name to be a non-empty string."),
        ("a-b", 'Names must only contain [_a-zA-Z0-9] but "a-b" does not.'),
        ("1a", 'Names must start with [_a-zA-Z] but "1a" does not.'),
    ],
)
def test_bad_names_are_refused(name: Any, message: str) -> None:
    with pytest.raises(GraphQLError) as error:
        assert_name(name)
    assert error.value.message == message
    with pytest.raises(GraphQLError):
        GraphQLObjectType(name, {})


def test_names_and_enum_value_names() -> None:
    assert assert_name("_a1") == "_a1"
    assert assert_enum_value_name("TRUE") == "TRUE"
    for reserved in ("true", "false", "null"):
        with pytest.raises(GraphQLError, match=f"Enum values cannot be named: {reserved}"):
            GraphQLEnumType("E", [reserved])


# Named types ---------------------------------------------------------------------------------


def test_object_type_with_thunks_for_cycles() -> None:
    node = GraphQLInterfaceType("Node", lambda: {"id": GraphQLNonNull(GraphQLString)})
    user: GraphQLObjectType = GraphQLObjectType(
        "User",
        lambda: {"id": GraphQLField(GraphQLNonNull(GraphQLString)), "friend": user},
        lambda: [node],
        description="A user",
    )
    assert str(user) == "User"
    assert repr(user) == "<GraphQLObjectType 'User'>"
    assert user.description == "A user"
    assert user.interfaces == [node]
    fields = user.fields
    assert fields is user.fields  # resolved once
    assert fields["friend"].type is user
    assert isinstance(node.fields["id"], GraphQLField)
    assert node.interfaces == []
    assert user.is_type_of is None


def test_fields_must_be_a_mapping() -> None:
    with pytest.raises(TypeError, match="A fields must be a mapping"):
        _ = GraphQLObjectType("A", lambda: [1]).fields  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match="I fields must be a mapping"):
        _ = GraphQLInputObjectType("I", [GraphQLInt]).fields  # type: ignore[arg-type]


def test_thunk_errors_name_the_type() -> None:
    def broken() -> dict[str, Any]:
        raise GraphQLError("boom", [NameNode("x", loc=Location(0, 1))], source="x")

    for type_, attribute, what in (
        (GraphQLObjectType("A", broken), "fields", "fields"),
        (GraphQLObjectType("A", {}, broken), "interfaces", "interfaces"),
        (GraphQLUnionType("A", broken), "types", "types"),
        (GraphQLInputObjectType("A", broken), "fields", "fields"),
    ):
        with pytest.raises(GraphQLError) as error:
            getattr(type_, attribute)
        assert error.value.message == f"A {what} cannot be resolved. boom"
        assert error.value.locations == [SourceLocation(1, 1)]
        assert isinstance(error.value.original_error, GraphQLError)
    with pytest.raises(ZeroDivisionError):
        _ = GraphQLObjectType("A", lambda: {"a": 1 / 0}).fields  # type: ignore[dict-item]


def test_union_and_interface() -> None:
    a = GraphQLObjectType("A", {"a": GraphQLInt})
    union = GraphQLUnionType("U", lambda: [a], resolve_type=lambda value, info, type_: "A")
    assert union.types == [a]
    assert union.types is union.types
    assert union.resolve_type is not None
    base = GraphQLInterfaceType("Base", {"a": GraphQLInt})
    child = GraphQLInterfaceType("Child", {"a": GraphQLInt}, [base])
    assert child.interfaces == [base]


def test_scalar_defaults() -> None:
    scalar = GraphQLScalarType("Json", specified_by_url="https://example.com")
    assert scalar.serialize({"a": 1}) == {"a": 1}
    assert scalar.parse_value([1]) == [1]
    node = parse_value('{a: [1, 2.5, "x", true, null, E, $v]}')
    assert scalar.parse_literal(node, {"v": 3}) == {"a": [1, 2.5, "x", True, None, "E", 3]}
    assert scalar.specified_by_url == "https://example.com"
    upper = GraphQLScalarType("Upper", str.upper, str.lower)
    assert upper.serialize("a") == "A"
    assert upper.parse_literal(parse_value('"ABC"'), None) == "abc"


class Color(Enum):
    RED = 1
    GREEN = 2


def test_enum_from_names_mapping_and_python_enum() -> None:
    names = GraphQLEnumType("E", ["A", "B"])
    assert list(names.values) == ["A", "B"]
    assert names.serialize("A") == "A"
    assert names.parse_value("B") == "B"
    mapping = GraphQLEnumType("RGB", {"RED": 0, "GREEN": GraphQLEnumValue(1, description="g")})
    assert mapping.serialize(1) == "GREEN"
    assert mapping.parse_value("RED") == 0
    assert mapping.values["GREEN"].description == "g"
    assert repr(mapping.values["RED"]) == "GraphQLEnumValue(0)"
    python = GraphQLEnumType("Color", Color)
    assert python.serialize(Color.RED) == "RED"
    assert python.parse_literal(parse_value("GREEN")) is Color.GREEN


def test_enum_values_from_a_thunk_resolve_on_first_use() -> None:
    calls: list[int] = []

    def values() -> dict[str, Any]:
        calls.append(1)
        return {"A": None}

    for use in ("values", "serialize", "parse_value", "parse_literal"):
        calls.clear()
        enum = GraphQLEnumType("E", values)
        assert calls == []
        if use == "values":
            assert list(enum.values) == ["A"]
        elif use == "serialize":
            assert enum.serialize("A") == "A"
        elif use == "parse_value":
            assert enum.parse_value("A") == "A"
        else:
            assert enum.parse_literal(parse_value("A")) == "A"
        assert enum.values is enum.values
        assert calls == [1]


def test_enum_errors_and_unhashable_values() -> None:
    enum = GraphQLEnumType("Level", {"LOW": [1], "HIGH": [2], "HIGHER": 3})
    assert enum.serialize([2]) == "HIGH"
    assert enum.parse_value("LOW") == [1]
    with pytest.raises(GraphQLError, match=r'^Enum "Level" cannot represent value: \[3\]$'):
        enum.serialize([3])
    with pytest.raises(GraphQLError, match=r'^Enum "Level" cannot represent value: 4$'):
        enum.serialize(4)
    with pytest.raises(GraphQLError) as error:
        enum.parse_value("HIHG")
    assert error.value.message == (
        'Value "HIHG" does not exist in "Level" enum. Did you mean the enum value "HIGH"?'
    )
    with pytest.raises(GraphQLError) as error:
        enum.parse_value(3)
    assert error.value.message == 'Enum "Level" cannot represent non-string value: 3.'
    with pytest.raises(GraphQLError) as error:
        enum.parse_literal(parse_value('"LOW"'))
    assert error.value.message == (
        'Enum "Level" cannot represent non-enum value: "LOW". Did you mean the enum value "LOW"?'
    )
    with pytest.raises(GraphQLError) as error:
        enum.parse_literal(parse_value("NOPE"))
    assert error.value.message == 'Value "NOPE" does not exist in "Level" enum.'
    assert error.value.nodes is not None


def test_input_object_and_fields() -> None:
    point = GraphQLInputObjectType(
        "Point",
        lambda: {"x": GraphQLInputField(GraphQLNonNull(GraphQLInt), 0), "y": GraphQLInt},
        is_one_of=False,
    )
    assert point.fields is point.fields
    assert point.fields["x"].default_value == 0
    assert isinstance(point.fields["y"], GraphQLInputField)
    assert not is_required_input_field(point.fields["x"])
    assert not is_required_input_field(point.fields["y"])
    assert is_required_input_field(GraphQLInputField(GraphQLNonNull(GraphQLInt)))
    assert repr(point.fields["y"]) == "<GraphQLInputField Int>"


def test_arguments_defaults_and_literals() -> None:
    field = GraphQLField(
        GraphQLInt,
        {"a": GraphQLInt, "b": GraphQLArgument(GraphQLNonNull(GraphQLInt))},
        resolve=lambda parent, info, **args: 1,
        description="d",
        deprecation_reason="old",
    )
    assert repr(field) == "<GraphQLField Int>"
    assert set(field.args) == {"a", "b"}
    assert not is_required_argument(field.args["a"])
    assert is_required_argument(field.args["b"])
    literal = GraphQLArgument(GraphQLNonNull(GraphQLInt), default_literal=IntValueNode("7"))
    assert literal.has_default
    assert not is_required_argument(literal)
    assert literal.default_value == 7
    assert literal.default_value == 7  # coerced once
    literal.default_value = 8
    assert literal.default_value == 8
    bad = GraphQLArgument(GraphQLInt, default_literal=StringValueNode("x"))
    assert bad.default_value is Undefined
    given = GraphQLArgument(GraphQLInt, 1, default_literal=IntValueNode("2"))
    assert given.default_value == 1
    assert GraphQLField(GraphQLInt).args == {}


# Wrapping types ------------------------------------------------------------------------------


def test_wrapping_types() -> None:
    list_type = GraphQLList(GraphQLNonNull(GraphQLInt))
    assert str(list_type) == "[Int!]"
    assert repr(list_type) == "<GraphQLList [Int!]>"
    assert list_type == GraphQLList(GraphQLNonNull(GraphQLInt))
    assert hash(list_type) == hash(GraphQLList(GraphQLNonNull(GraphQLInt)))
    assert list_type != GraphQLNonNull(GraphQLList(GraphQLInt))
    assert list_type != "[Int!]"
    assert GraphQLList(GraphQLInt) != GraphQLList(GraphQLString)
    with pytest.raises(TypeError, match=r"Expected Int! to be a GraphQL nullable type\."):
        GraphQLNonNull(GraphQLNonNull(GraphQLInt))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r'Expected "Int" to be a GraphQL type\.'):
        GraphQLList("Int")


def test_predicates() -> None:
    obj = GraphQLObjectType("O", {"a": GraphQLInt})
    iface = GraphQLInterfaceType("I", {"a": GraphQLInt})
    union = GraphQLUnionType("U", [obj])
    enum = GraphQLEnumType("E", ["A"])
    inp = GraphQLInputObjectType("In", {"a": GraphQLInt})
    wrapped = GraphQLNonNull(GraphQLList(obj))
    table = {
        is_type: [GraphQLInt, obj, iface, union, enum, inp, wrapped, wrapped.of_type],
        is_scalar_type: [GraphQLInt],
        is_object_type: [obj],
        is_interface_type: [iface],
        is_union_type: [union],
        is_enum_type: [enum],
        is_input_object_type: [inp],
        is_list_type: [wrapped.of_type],
        is_non_null_type: [wrapped],
        is_wrapping_type: [wrapped, wrapped.of_type],
        is_named_type: [GraphQLInt, obj, iface, union, enum, inp],
        is_nullable_type: [GraphQLInt, obj, iface, union, enum, inp, wrapped.of_type],
        is_input_type: [GraphQLInt, enum, inp, GraphQLList(GraphQLNonNull(inp))],
        is_output_type: [GraphQLInt, obj, iface, union, enum, wrapped, wrapped.of_type],
        is_leaf_type: [GraphQLInt, enum],
        is_composite_type: [obj, iface, union],
        is_abstract_type: [iface, union],
    }
    everything = [GraphQLInt, obj, iface, union, enum, inp, wrapped, wrapped.of_type, "x"]
    for predicate, accepted in table.items():
        for candidate in everything:
            expected = any(candidate is item for item in accepted)
            assert predicate(candidate) is expected, (predicate.__name__, candidate)
    assert not is_input_type(GraphQLList(obj))
    assert not is_output_type(GraphQLNonNull(inp))
    assert get_named_type(wrapped) is obj
    assert get_named_type(None) is None
    assert get_nullable_type(wrapped) is wrapped.of_type
    assert get_nullable_type(obj) is obj


def test_resolve_info_is_a_frozen_slotted_dataclass() -> None:
    info = GraphQLResolveInfo(
        "a",
        [],
        GraphQLInt,
        None,
        None,
        None,
        {},
        None,
        None,
        {},
        context="c",  # type: ignore[arg-type]
    )
    assert info.field_name == "a"
    assert info.context == "c"
    assert dataclasses.is_dataclass(info)
    assert not hasattr(info, "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.field_name = "b"  # type: ignore[misc]
    assert dataclasses.replace(info, field_name="b").field_name == "b"


# Directives -------------------------------------------------------------------------------------


def test_directives() -> None:
    directive = GraphQLDirective(
        "auth", ["FIELD", DirectiveLocation.OBJECT], {"role": GraphQLString}, is_repeatable=True
    )
    assert directive.locations == (DirectiveLocation.FIELD, DirectiveLocation.OBJECT)
    assert str(directive) == "@auth"
    assert repr(directive) == "<GraphQLDirective @auth>"
    assert directive.args["role"].type is GraphQLString
    assert not is_specified_directive(directive)
    assert DirectiveLocation.FIELD.value == "FIELD"
    for bad in ("NOWHERE", 3):
        with pytest.raises(TypeError, match="to be a directive location"):
            GraphQLDirective("d", [bad])  # type: ignore[list-item]
    assert inspect(directive) == "@auth"


# Errors -----------------------------------------------------------------------------------------


def test_graphql_error_formatting() -> None:
    document = parse("{ a\n  b }")
    field_b = document.definitions[0].selection_set.selections[1]  # type: ignore[attr-defined]
    error = GraphQLError("bad", field_b, path=["a", 0], extensions={"code": "X"})
    assert error.nodes == [field_b]
    assert error.locations is None
    assert error.formatted == {"message": "bad", "path": ["a", 0], "extensions": {"code": "X"}}
    error.source = "{ a\n  b }"
    assert error.locations == [SourceLocation(2, 3)]
    assert error.formatted["locations"] == [{"line": 2, "column": 3}]
    assert str(error) == "bad"
    assert repr(error) == "GraphQLError('bad')"
    many = GraphQLError("m", (field_b, NameNode("x")), source="x")
    assert many.positions == [field_b.loc.start]
    assert GraphQLError("p", positions=[0], source="x").formatted == {
        "message": "p",
        "locations": [{"line": 1, "column": 1}],
    }
    assert GraphQLError("none", []).nodes is None
    cause = ValueError("boom")
    cause.extensions = {"why": 1}  # type: ignore[attr-defined]
    assert GraphQLError("wrapped", original_error=cause).extensions == {"why": 1}
    assert GraphQLError("plain", original_error=ValueError()).extensions is None


def test_syntax_errors_are_graphql_errors() -> None:
    with pytest.raises(GraphQLSyntaxError) as caught:
        parse("{ a\n }}")
    error = caught.value
    assert isinstance(error, GraphQLError)
    assert error.formatted == {
        "message": "Syntax Error: Unexpected '}'.",
        "locations": [{"line": 2, "column": 3}],
    }
    assert str(error) == "Syntax Error: Unexpected '}'. (2:3)"
    assert error.code == 400


def test_syntax_errors_shorten_long_tokens() -> None:
    with pytest.raises(GraphQLSyntaxError) as caught:
        parse("{ a } " + "b" * 100)
    assert "..." in caught.value.message
    assert len(caught.value.message) < 120
    with pytest.raises(GraphQLSyntaxError) as caught:
        parse("{ a } bb")
    assert caught.value.message == "Syntax Error: Unexpected Name 'bb'."


def test_invalid_schema_error_joins_messages() -> None:
    error = InvalidSchemaError([GraphQLError("one"), GraphQLError("two")])
    assert str(error) == "one\n\ntwo"
    assert [e.message for e in error.errors] == ["one", "two"]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "null"),
        (True, "true"),
        (False, "false"),
        ('a"\n\x01', '"a\\"\\n\\u0001"'),
        (3, "3"),
        (10**300, "1" + "0" * 117 + "..." + "0" * 119),
        ("x" * 300, '"' + "x" * 117 + "..." + "x" * 118 + '"'),
        (1.5, "1.5"),
        (float("nan"), "NaN"),
        (float("inf"), "Infinity"),
        (float("-inf"), "-Infinity"),
        ({}, "{}"),
        ({"a": [1, {"b": {"c": 1}}]}, "{ a: [1, [Object]] }"),
        ([], "[]"),
        ([[[1]]], "[[[Array]]]"),
        (list(range(11)), "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ... 1 more item]"),
        (list(range(12)), "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ... 2 more items]"),
        ((1, 2), "[1, 2]"),
        (len, "[function len]"),
        (object(), "<object instance>"),
        (GraphQLNonNull(GraphQLInt), "Int!"),
        (GraphQLBoolean, "Boolean"),
    ],
)
def test_inspect_words_values_like_graphql_js(value: Any, text: str) -> None:
    assert inspect(value) == text


def test_inspect_nameless_callable() -> None:
    class Callable:
        def __call__(self) -> None: ...

        __name__ = None

    assert inspect(Callable()) == "[function]"


def test_suggestions() -> None:
    assert suggestion_list("ab", ["ab", "AB", "abc", "ba", "xyz", "a"]) == [
        "ab",
        "AB",
        "a",
        "abc",
        "ba",
    ]
    assert suggestion_list("item2", ["item10", "item2x", "item1"]) == ["item1", "item2x", "item10"]
    assert suggestion_list("greeting", ["greetings", "x"]) == ["greetings"]
    assert suggestion_list("abcdefghij", ["a"]) == []
    assert suggestion_list("zzzz", ["aaaa"]) == []
    assert did_you_mean([]) == ""
    assert did_you_mean(["a"]) == ' Did you mean "a"?'
    assert did_you_mean(list("abcdefg"), "the field") == (
        ' Did you mean the field "a", "b", "c", "d", or "e"?'
    )
    assert or_list(["a", "b"]) == "a or b"
    assert and_list(["a", "b", "c"]) == "a, b, and c"
    assert and_list(["a"]) == "a"
