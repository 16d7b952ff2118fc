"""A JSON Schema (2020-12) subset for request validation, implemented here.

Validation keywords: ``type`` (a name or a list), ``enum``, ``const``,
``properties``, ``required``, ``additionalProperties`` (bool or schema),
``items``, ``minItems``, ``maxItems``, ``minimum``, ``maximum``,
``exclusiveMinimum``, ``exclusiveMaximum``, ``minLength``, ``maxLength``.
Annotations (``title``, ``description``, ``default``, ``examples``, ``format``,
``deprecated``, ``readOnly``, ``writeOnly``, ``$comment``) are accepted and do
not validate, as in 2020-12 (``format`` is an annotation by default). Any other
keyword is refused by :func:`check_schema`, so a route never believes it
validates something it does not.

The semantics follow the specification: every keyword applies on its own and
only to the instance types it is about (``minimum`` ignores strings), ``1.0``
is an integer, ``true`` is not a number, and ``enum``/``const`` compare JSON
values (``1 == 1.0``, ``true != 1``). Errors carry an RFC 6901 JSON pointer to
the offending value (for ``required``, to the missing member).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from wire.errors import LocalProtocolError

__all__ = ["Schema", "SchemaError", "check_schema", "json_pointer", "validate"]

Schema: TypeAlias = Mapping[str, Any]

_TYPES = frozenset({"null", "boolean", "object", "array", "number", "string", "integer"})
_ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "default",
        "examples",
        "format",
        "deprecated",
        "readOnly",
        "writeOnly",
        "$comment",
    }
)
_NUMBER_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_COUNT_KEYWORDS = ("minLength", "maxLength", "minItems", "maxItems")
_KEYWORDS = (
    frozenset(
        {
            "type",
            "enum",
            "const",
            "properties",
            "required",
            "additionalProperties",
            "items",
            *_NUMBER_KEYWORDS,
            *_COUNT_KEYWORDS,
        }
    )
    | _ANNOTATIONS
)


@dataclass(frozen=True, slots=True)
class SchemaError:
    """One validation failure: where (an RFC 6901 pointer) and what."""

    pointer: str
    detail: str

    def to_dict(self) -> dict[str, str]:
        """The ``errors`` member entry of a 422 problem (RFC 9457 §3 example)."""
        return {"pointer": self.pointer, "detail": self.detail}


def json_pointer(parts: tuple[str | int, ...]) -> str:
    """An RFC 6901 pointer: ``~`` is written ``~0`` and ``/`` is written ``~1``."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _type_of(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return type(value).__name__


def _has_type(value: object, name: str) -> bool:
    if name == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if name == "number":
        return _is_number(value)
    return _type_of(value) == name


def _json_equal(a: object, b: object) -> bool:
    """Equality of JSON values: numbers by value, but booleans are not numbers."""
    if _is_number(a) and _is_number(b):
        return a == b
    if isinstance(a, bool) or isinstance(b, bool) or _is_number(a) or _is_number(b):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[key], b[key]) for key in a)
    return a == b


def check_schema(schema: object, where: str = "#") -> None:
    """Check that ``schema`` uses only the supported subset, correctly.

    Raises:
        LocalProtocolError: An unknown keyword or a keyword with a wrong value,
            naming where in the schema it is.
    """
    if isinstance(schema, bool):
        return
    if not isinstance(schema, Mapping):
        raise LocalProtocolError(f"{where}: a schema is an object or a boolean")
    unknown = set(schema) - _KEYWORDS
    if unknown:
        raise LocalProtocolError(f"{where}: unsupported keywords {sorted(unknown)}")
    if "type" in schema:
        names = schema["type"]
        names = [names] if isinstance(names, str) else names
        if not isinstance(names, list) or not names or not set(names) <= _TYPES:
            raise LocalProtocolError(f"{where}/type: expected type names from {sorted(_TYPES)}")
    if "enum" in schema and not isinstance(schema["enum"], list):
        raise LocalProtocolError(f"{where}/enum: expected an array")
    if "required" in schema and (
        not isinstance(schema["required"], list)
        or not all(isinstance(name, str) for name in schema["required"])
    ):
        raise LocalProtocolError(f"{where}/required: expected an array of strings")
    for keyword in _NUMBER_KEYWORDS:
        if keyword in schema and not _is_number(schema[keyword]):
            raise LocalProtocolError(f"{where}/{keyword}: expected a number")
    for keyword in _COUNT_KEYWORDS:
        value = schema.get(keyword, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise LocalProtocolError(f"{where}/{keyword}: expected a non-negative integer")
    properties = schema.get("properties", {})
    if not isinstance(properties, Mapping):
        raise LocalProtocolError(f"{where}/properties: expected an object")
    for name, subschema in properties.items():
        check_schema(subschema, f"{where}/properties/{name}")
    for keyword in ("additionalProperties", "items"):
        if keyword in schema:
            check_schema(schema[keyword], f"{where}/{keyword}")


def validate(schema: Schema | bool, instance: object, *, max_errors: int = 50) -> list[SchemaError]:
    """Every way ``instance`` fails ``schema`` (at most ``max_errors``); empty if valid.

    ``schema`` must have passed :func:`check_schema`.
    """
    errors: list[SchemaError] = []
    _validate(schema, instance, (), errors, max_errors)
    return errors


def _validate(
    schema: Schema | bool,
    value: object,
    path: tuple[str | int, ...],
    errors: list[SchemaError],
    limit: int,
) -> None:
    if len(errors) >= limit:
        return

    def fail(detail: str, at: tuple[str | int, ...] = path) -> None:
        if len(errors) < limit:
            errors.append(SchemaError(json_pointer(at), detail))

    if schema is True:
        return
    if schema is False:
        fail("no value is allowed here")
        return
    if "type" in schema:
        names = schema["type"]
        names = [names] if isinstance(names, str) else names
        if not any(_has_type(value, name) for name in names):
            fail(f"expected {' or '.join(names)}, got {_type_of(value)}")
    if "enum" in schema and not any(_json_equal(value, option) for option in schema["enum"]):
        fail("must be one of the allowed values")
    if "const" in schema and not _json_equal(value, schema["const"]):
        fail("must be the constant value")
    if _is_number(value):
        _validate_number(schema, value, fail)
    elif isinstance(value, str):
        length = len(value)  # code points, as JSON Schema counts them
        if length < schema.get("minLength", 0):
            fail(f"must be at least {schema['minLength']} characters long")
        if "maxLength" in schema and length > schema["maxLength"]:
            fail(f"must be at most {schema['maxLength']} characters long")
    elif isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            fail(f"must hold at least {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            fail(f"must hold at most {schema['maxItems']} items")
        if "items" in schema:
            for index, item in enumerate(value):
                _validate(schema["items"], item, (*path, index), errors, limit)
    elif isinstance(value, dict):
        for name in schema.get("required", ()):
            if name not in value:
                fail("is required", (*path, name))
        properties = schema.get("properties", {})
        additional = schema.get("additionalProperties", True)
        for name, member in value.items():
            if name in properties:
                _validate(properties[name], member, (*path, name), errors, limit)
            elif additional is False:
                fail("is not an allowed property", (*path, name))
            else:
                _validate(additional, member, (*path, name), errors, limit)


def _validate_number(schema: Schema, value: Any, fail: Any) -> None:
    if "minimum" in schema and value < schema["minimum"]:
        fail(f"must be at least {schema['minimum']}")
    if "maximum" in schema and value > schema["maximum"]:
        fail(f"must be at most {schema['maximum']}")
    if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
        fail(f"must be greater than {schema['exclusiveMinimum']}")
    if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
        fail(f"must be less than {schema['exclusiveMaximum']}")
