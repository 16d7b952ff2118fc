"""The JSON Schema subset: unit tests, and a differential test against jsonschema (2020-12)."""

from __future__ import annotations

from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wire.errors import LocalProtocolError
from wire.http._rest import SchemaError, check_schema, validate
from wire.http._rest_schema import json_pointer

PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 5},
        "age": {"type": "integer", "minimum": 0, "exclusiveMaximum": 150},
        "tags": {"type": "array", "items": {"enum": ["a", "b"]}, "maxItems": 2},
        "a/b~c": {"const": True},
    },
    "required": ["name"],
    "additionalProperties": False,
}


def pointers(schema: Any, value: Any) -> list[tuple[str, str]]:
    return [(e.pointer, e.detail) for e in validate(schema, value)]


def test_valid() -> None:
    check_schema(PERSON)
    assert validate(PERSON, {"name": "ab", "age": 3.0, "tags": ["a"], "a/b~c": True}) == []


def test_every_error_is_reported_with_a_pointer() -> None:
    errors = pointers(
        PERSON,
        {"name": "", "age": 150, "tags": ["a", "c", "b"], "x": 1, "a/b~c": 1},
    )
    assert errors == [
        ("/name", "must be at least 1 characters long"),
        ("/age", "must be less than 150"),
        ("/tags", "must hold at most 2 items"),
        ("/tags/1", "must be one of the allowed values"),
        ("/x", "is not an allowed property"),
        ("/a~1b~0c", "must be the constant value"),
    ]
    assert pointers(PERSON, {}) == [("/name", "is required")]
    assert pointers(PERSON, []) == [("", "expected object, got array")]
    assert pointers({"type": ["string", "null"]}, 1.5) == [
        ("", "expected string or null, got number")
    ]
    assert pointers({"type": "integer"}, 1.5) == [("", "expected integer, got number")]
    assert pointers({"type": "number"}, True) == [("", "expected number, got boolean")]
    assert pointers({"type": "null"}, object()) == [("", "expected null, got object")]


def test_keyword_details() -> None:
    assert pointers({"minimum": 2, "maximum": 3, "exclusiveMinimum": 2}, 2) == [
        ("", "must be greater than 2")
    ]
    assert pointers({"maximum": 3}, 4) == [("", "must be at most 3")]
    assert pointers({"maxLength": 1, "minItems": 1}, "ab") == [
        ("", "must be at most 1 characters long")
    ]
    assert pointers({"minItems": 2}, [1]) == [("", "must hold at least 2 items")]
    assert pointers({"additionalProperties": {"type": "string"}}, {"a": 1}) == [
        ("/a", "expected string, got integer")
    ]
    assert pointers({"items": False}, [1]) == [("/0", "no value is allowed here")]
    assert validate(True, 1) == [] and validate({}, None) == []
    assert pointers({"enum": [1, [True], {"a": None}]}, 1.0) == []
    assert pointers({"enum": [1]}, True) == [("", "must be one of the allowed values")]
    assert pointers({"enum": [[1]]}, [1.0]) == []
    assert pointers({"enum": [{"a": [1]}]}, {"a": [1, 2]}) != []
    assert pointers({"const": "x"}, "x") == []
    assert pointers({"const": None}, False) != []


def test_error_limit() -> None:
    schema = {"items": {"type": "string"}}
    assert len(validate(schema, list(range(100)), max_errors=7)) == 7
    assert len(validate({"type": "string", "enum": ["a"]}, 1, max_errors=1)) == 1
    assert SchemaError("/a", "bad").to_dict() == {"pointer": "/a", "detail": "bad"}


@pytest.mark.parametrize(
    "schema",
    [
        [],
        {"pattern": "a"},
        {"type": "int"},
        {"type": []},
        {"type": 3},
        {"enum": "a"},
        {"required": "a"},
        {"required": [1]},
        {"minimum": "1"},
        {"minimum": True},
        {"minLength": -1},
        {"maxItems": 1.5},
        {"maxItems": True},
        {"properties": []},
        {"properties": {"a": {"nope": 1}}},
        {"items": {"type": "x"}},
        {"additionalProperties": 1},
    ],
)
def test_check_schema_refuses(schema: Any) -> None:
    with pytest.raises(LocalProtocolError):
        check_schema(schema)


def test_check_schema_accepts_annotations_and_booleans() -> None:
    check_schema(True)
    check_schema({"title": "t", "description": "d", "default": 1, "format": "uuid", "$comment": ""})


def test_json_pointer() -> None:
    assert json_pointer(()) == ""
    assert json_pointer(("a/b", 0, "~")) == "/a~1b/0/~0"


# -- differential: same verdict as jsonschema's Draft 2020-12 validator ----------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.sampled_from([0.5, 1.0, -2.0, 1e300])
    | st.text("ab", max_size=3),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("xyz"), inner, max_size=3)
    ),
    max_leaves=8,
)
numbers = st.integers(-3, 3) | st.sampled_from([0.5, -1.5, 2.0])
counts = st.integers(0, 3)
type_names = st.sampled_from(["null", "boolean", "object", "array", "number", "string", "integer"])


def schemas() -> st.SearchStrategy[Any]:
    leaf = st.fixed_dictionaries(
        {},
        optional={
            "type": type_names | st.lists(type_names, min_size=1, max_size=3, unique=True),
            "enum": st.lists(json_values, min_size=1, max_size=3),
            "const": json_values,
            "minimum": numbers,
            "maximum": numbers,
            "exclusiveMinimum": numbers,
            "exclusiveMaximum": numbers,
            "minLength": counts,
            "maxLength": counts,
            "minItems": counts,
            "maxItems": counts,
            "description": st.just("ignored"),
        },
    )
    return st.recursive(
        leaf | st.booleans(),
        lambda inner: st.fixed_dictionaries(
            {},
            optional={
                "type": type_names,
                "properties": st.dictionaries(st.sampled_from("xyz"), inner, max_size=2),
                "required": st.lists(st.sampled_from("xyz"), max_size=2, unique=True),
                "additionalProperties": inner,
                "items": inner,
            },
        ),
        max_leaves=4,
    )


@given(schemas(), json_values)
def test_agrees_with_jsonschema(schema: Any, instance: Any) -> None:
    check_schema(schema)
    ours = validate(schema, instance, max_errors=1000)
    theirs = list(jsonschema.Draft202012Validator(schema).iter_errors(instance))
    assert (ours == []) == (theirs == []), (ours, [e.message for e in theirs])
