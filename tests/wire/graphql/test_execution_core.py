"""Execution with synchronous resolvers: ``execute_sync`` (GraphQL spec section 6).

Resolvers (default, per field, pluggable), the resolve info, value completion of
every kind of type with its errors, null propagation, mutations, fragments and
directives, request errors, and the response map. The differential tests check
the same behaviour against graphql-core on generated schemas; these tests pin
each rule on its own, with the exact response.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any, ClassVar

import pytest

from wire.errors import LocalProtocolError
from wire.graphql import parse
from wire.graphql._build import build_schema
from wire.graphql._definition import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLUnionType,
    Undefined,
)
from wire.graphql._errors import GraphQLError, InvalidSchemaError
from wire.graphql._execution import (
    Path,
    default_field_resolver,
    default_type_resolver,
    execute_sync,
)
from wire.graphql._scalars import GraphQLFloat, GraphQLInt, GraphQLString
from wire.graphql._schema import GraphQLSchema

SDL = """
type Query {
  a: String
  b: Int
  c: Float
  d: Boolean
  e: ID
  nn: String!
  nnInt: Int!
  obj: Obj
  objs: [Obj]
  strictObjs: [Obj!]
  strings: [String]
  strictStrings: [String!]
  ints: [Int]
  matrix: [[Int!]]
  color: Color
  hello(name: String = "world", times: Int): String
  need(x: Int!): Int
}
type Obj { x: Int y: String! self: Obj }
enum Color { RED GREEN }
type Mutation { one: Int two: Int! three: Int }
"""


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema(SDL)


def run(schema: GraphQLSchema, query: str, root: Any = None, **kwargs: Any) -> dict[str, Any]:
    return execute_sync(schema, query, root_value=root, **kwargs)


def error(message: str, line: int, column: int, path: list[Any] | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"message": message, "locations": [{"line": line, "column": column}]}
    if path is not None:
        found["path"] = path
    return found


# The response map (section 7.1) -----------------------------------------------------------


def test_data_only_when_no_errors(schema: GraphQLSchema) -> None:
    assert run(schema, "{ a b }", {"a": "x", "b": 1}) == {"data": {"a": "x", "b": 1}}


def test_errors_come_first_with_data(schema: GraphQLSchema) -> None:
    response = run(schema, "{ nn a }", {"a": "x"})
    assert list(response) == ["errors", "data"]
    assert response == {
        "errors": [error("Cannot return null for non-nullable field Query.nn.", 1, 3, ["nn"])],
        "data": None,
    }


def test_request_errors_leave_data_out(schema: GraphQLSchema) -> None:
    assert run(schema, "{ a") == {
        "errors": [error("Syntax Error: Expected Name, found <EOF>.", 1, 4)]
    }
    assert run(schema, "{ zzz }") == {
        "errors": [error('Cannot query field "zzz" on type "Query".', 1, 3)]
    }


# Resolvers ---------------------------------------------------------------------------------


class Record:
    a = "attr"
    b = 7

    def hello(self, info: GraphQLResolveInfo, name: str, times: int | None = None) -> str:
        return f"{name} x{times} at {info.path.as_list()}"

    @property
    def c(self) -> float:
        raise ValueError("no c today")


def test_default_resolver_reads_dicts_mappings_and_attributes(schema: GraphQLSchema) -> None:
    assert run(schema, "{ a b }", {"a": "x", "b": 2}) == {"data": {"a": "x", "b": 2}}
    proxy = MappingProxyType({"a": "y", "b": 3})
    assert run(schema, "{ a b }", proxy) == {"data": {"a": "y", "b": 3}}
    assert run(schema, "{ a b d }", Record()) == {"data": {"a": "attr", "b": 7, "d": None}}


def test_default_resolver_calls_callables_with_info_and_arguments(schema: GraphQLSchema) -> None:
    response = run(schema, '{ hello(times: 2) h: hello(name: "you") }', Record())
    assert response == {"data": {"hello": "world x2 at ['hello']", "h": "you xNone at ['h']"}}
    root = {"hello": lambda info, name, times=None: f"{info.field_name}:{name}:{times}"}
    assert run(schema, "{ hello(times: 3) }", root) == {"data": {"hello": "hello:world:3"}}


def test_an_attribute_that_raises_is_a_field_error(schema: GraphQLSchema) -> None:
    assert run(schema, "{ a c }", Record()) == {
        "errors": [error("no c today", 1, 5, ["c"])],
        "data": {"a": "attr", "c": None},
    }


def test_default_field_resolver_is_public() -> None:
    info: Any = type("Info", (), {"field_name": "f"})()
    assert default_field_resolver({"f": 1}, info) == 1
    assert default_field_resolver(Record(), type("Info", (), {"field_name": "a"})()) == "attr"
    assert default_field_resolver({"f": lambda info, x: x * 2}, info, x=4) == 8
    assert default_field_resolver(None, info) is None


def test_field_resolver_replaces_the_default(schema: GraphQLSchema) -> None:
    seen: list[tuple[Any, str, dict[str, Any]]] = []

    def resolver(parent: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
        seen.append((parent, info.field_name, args))
        return f"{info.field_name}!" if info.field_name != "obj" else {"y": "inner"}

    response = run(schema, "{ a hello(times: 1) obj { y } }", "ROOT", field_resolver=resolver)
    assert response == {"data": {"a": "a!", "hello": "hello!", "obj": {"y": "y!"}}}
    assert seen == [
        ("ROOT", "a", {}),
        ("ROOT", "hello", {"name": "world", "times": 1}),
        ("ROOT", "obj", {}),
        ({"y": "inner"}, "y", {}),
    ]
    # Passing the default resolver explicitly changes nothing.
    assert run(schema, "{ a }", {"a": "x"}, field_resolver=default_field_resolver) == {
        "data": {"a": "x"}
    }


def test_field_resolvers_win_over_the_pluggable_default() -> None:
    query = GraphQLObjectType(
        "Query",
        {
            "own": GraphQLField(GraphQLString, resolve=lambda parent, info: "own"),
            "other": GraphQLField(GraphQLString),
        },
    )
    response = execute_sync(
        GraphQLSchema(query), "{ own other }", field_resolver=lambda parent, info: "default"
    )
    assert response == {"data": {"own": "own", "other": "default"}}


def test_resolve_info_carries_the_execution() -> None:
    captured: list[GraphQLResolveInfo] = []

    def resolve(parent: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
        captured.append(info)
        return [{"leaf": 1}] if info.field_name == "node" else 1

    leaf_type = GraphQLObjectType("Leaf", {"leaf": GraphQLField(GraphQLInt, resolve=resolve)})
    query = GraphQLObjectType(
        "Query", {"node": GraphQLField(GraphQLList(leaf_type), {"n": GraphQLInt}, resolve=resolve)}
    )
    schema = GraphQLSchema(query)
    text = "query Q($n: Int) { node(n: $n) { ...F } } fragment F on Leaf { alias: leaf }"
    document = parse(text)
    execute_sync(schema, document, root_value="root", variable_values={"n": 2}, context="ctx")
    outer, inner = captured
    assert isinstance(outer, GraphQLResolveInfo)
    assert outer.field_name == "node"
    assert outer.field_nodes[0].name.value == "node"
    assert outer.return_type == GraphQLList(leaf_type)
    assert outer.parent_type is query
    assert outer.path == Path(None, "node")
    assert outer.schema is schema
    assert list(outer.fragments) == ["F"]
    assert outer.root_value == "root"
    assert outer.operation is document.definitions[0]
    assert outer.variable_values == {"n": 2}
    assert outer.context == "ctx"
    assert inner.field_name == "leaf"
    assert inner.parent_type is leaf_type
    assert inner.path.as_list() == ["node", 0, "alias"]
    assert inner.path.key == "alias"
    assert inner.path.prev == Path(Path(None, "node"), 0)


# Leaves (section 6.4.3, 3.5) -----------------------------------------------------------------


def test_builtin_scalars_from_plain_values(schema: GraphQLSchema) -> None:
    root = {"a": "s", "b": -(2**31), "c": 1.5, "d": True, "e": "id"}
    assert run(schema, "{ a b c d e }", root) == {"data": root}


def test_builtin_scalars_coerce_other_values(schema: GraphQLSchema) -> None:
    root = {"a": 12, "b": True, "c": 3, "d": 0, "e": 42}
    assert run(schema, "{ a b c d e }", root) == {
        "data": {"a": "12", "b": 1, "c": 3.0, "d": False, "e": "42"}
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("b", 2**31, "Int cannot represent non 32-bit signed integer value: 2147483648"),
        ("b", 1.5, "Int cannot represent non-integer value: 1.5"),
        ("c", math.inf, "Float cannot represent non numeric value: Infinity"),
        ("c", math.nan, "Float cannot represent non numeric value: NaN"),
        ("c", "x", 'Float cannot represent non numeric value: "x"'),
        ("d", "x", 'Boolean cannot represent a non boolean value: "x"'),
        ("a", [1], "String cannot represent value: [1]"),
    ],
)
def test_values_a_scalar_cannot_represent(
    schema: GraphQLSchema, field: str, value: Any, message: str
) -> None:
    for source in ({field: value}, type("Source", (), {field: value})()):
        assert run(schema, f"{{ {field} }}", source) == {
            "errors": [error(message, 1, 3, [field])],
            "data": {field: None},
        }


def test_leaves_from_resolvers() -> None:
    nothing = GraphQLScalarType("Nothing", serialize=lambda value: None)
    query = GraphQLObjectType(
        "Query",
        {
            "fast": GraphQLField(GraphQLInt, resolve=lambda p, i: 5),
            "coerced": GraphQLField(GraphQLFloat, resolve=lambda p, i: 5),
            "big": GraphQLField(GraphQLInt, resolve=lambda p, i: 2**33),
            "inf": GraphQLField(GraphQLFloat, resolve=lambda p, i: math.inf),
            "none": GraphQLField(GraphQLString, resolve=lambda p, i: None),
            "undefined": GraphQLField(GraphQLString, resolve=lambda p, i: Undefined),
            "strictNone": GraphQLField(GraphQLNonNull(GraphQLString), resolve=lambda p, i: None),
            "nothing": GraphQLField(nothing, resolve=lambda p, i: 1),
            "nothingObject": GraphQLField(nothing, resolve=lambda p, i: Record()),
            "exception": GraphQLField(GraphQLString, resolve=lambda p, i: ValueError("returned")),
        },
    )
    schema = GraphQLSchema(query)
    response = execute_sync(
        schema, "{ fast coerced big inf none undefined nothing nothingObject exception }"
    )
    assert response == {
        "errors": [
            error(
                "Int cannot represent non 32-bit signed integer value: 8589934592", 1, 16, ["big"]
            ),
            error("Float cannot represent non numeric value: Infinity", 1, 20, ["inf"]),
            error(
                "Expected `Nothing.serialize(1)` to return non-nullable value, returned: null",
                1,
                39,
                ["nothing"],
            ),
            error(
                "Expected `Nothing.serialize(<Record instance>)` to return non-nullable value,"
                " returned: null",
                1,
                47,
                ["nothingObject"],
            ),
            error("returned", 1, 61, ["exception"]),
        ],
        "data": {
            "fast": 5,
            "coerced": 5.0,
            "big": None,
            "inf": None,
            "none": None,
            "undefined": None,
            "nothing": None,
            "nothingObject": None,
            "exception": None,
        },
    }
    assert execute_sync(schema, "{ strictNone }") == {
        "errors": [
            error(
                "Cannot return null for non-nullable field Query.strictNone.", 1, 3, ["strictNone"]
            )
        ],
        "data": None,
    }


def test_enums_serialize_their_values() -> None:
    color = GraphQLEnumType("Color", {"RED": 1, "GREEN": 2})
    query = GraphQLObjectType("Query", {"c": GraphQLField(color), "cs": GraphQLList(color)})
    response = execute_sync(GraphQLSchema(query), "{ c cs }", root_value={"c": 2, "cs": [1, 3]})
    assert response == {
        "errors": [error('Enum "Color" cannot represent value: 3', 1, 5, ["cs", 1])],
        "data": {"c": "GREEN", "cs": ["RED", None]},
    }


def test_a_subclass_of_a_type_class_completes_like_its_base() -> None:
    class Money(GraphQLScalarType):
        pass

    money = Money("Money", serialize=lambda value: f"${value.amount}")
    query = GraphQLObjectType("Query", {"price": GraphQLField(money)})
    root = {"price": type("Price", (), {"amount": 3})()}
    assert execute_sync(GraphQLSchema(query), "{ price }", root_value=root) == {
        "data": {"price": "$3"}
    }


# Lists (section 6.4.3) ----------------------------------------------------------------------


def test_lists_of_leaves(schema: GraphQLSchema) -> None:
    def numbers() -> Iterator[int]:
        yield from (1, 2)

    root = {"strings": ("a", None, 3), "ints": numbers(), "matrix": [[1], [2, 3], None]}
    assert run(schema, "{ strings ints matrix }", root) == {
        "data": {"strings": ["a", None, "3"], "ints": [1, 2], "matrix": [[1], [2, 3], None]}
    }


def test_null_items_propagate_to_the_nearest_nullable_position(schema: GraphQLSchema) -> None:
    root = {"strictStrings": ["a", None], "matrix": [[1, None], [2]]}
    assert run(schema, "{ strictStrings matrix }", root) == {
        "errors": [
            error(
                "Cannot return null for non-nullable field Query.strictStrings.",
                1,
                3,
                ["strictStrings", 1],
            ),
            error(
                "Cannot return null for non-nullable field Query.matrix.", 1, 17, ["matrix", 0, 1]
            ),
        ],
        "data": {"strictStrings": None, "matrix": [None, [2]]},
    }


@pytest.mark.parametrize("value", ["abc", b"abc", {"a": 1}, 5])
def test_a_list_needs_an_iterable(schema: GraphQLSchema, value: Any) -> None:
    assert run(schema, "{ strings }", {"strings": value}) == {
        "errors": [
            error(
                'Expected Iterable, but did not find one for field "Query.strings".',
                1,
                3,
                ["strings"],
            )
        ],
        "data": {"strings": None},
    }


def test_an_iterator_that_fails_fails_the_field(schema: GraphQLSchema) -> None:
    def failing() -> Iterator[str]:
        yield "a"
        raise RuntimeError("iteration failed")

    assert run(schema, "{ strings }", {"strings": failing()}) == {
        "errors": [error("iteration failed", 1, 3, ["strings"])],
        "data": {"strings": None},
    }


class Point:
    def __init__(self, x: int) -> None:
        self.x = x
        self.y = f"y{x}"


def test_lists_of_objects(schema: GraphQLSchema) -> None:
    objs = [{"x": 1, "y": "a"}, None, Point(2), ("tuple",), Undefined, ValueError("item failed")]
    response = run(schema, "{ objs { x y } }", {"objs": objs})
    assert response == {
        "errors": [
            error("Cannot return null for non-nullable field Obj.y.", 1, 12, ["objs", 3, "y"]),
            error("item failed", 1, 3, ["objs", 5]),
        ],
        "data": {"objs": [{"x": 1, "y": "a"}, None, {"x": 2, "y": "y2"}, None, None, None]},
    }


def test_a_null_in_a_list_of_non_null_objects_nulls_the_list(schema: GraphQLSchema) -> None:
    response = run(
        schema, "{ strictObjs { y } a }", {"strictObjs": [{"y": "a"}, {"y": None}], "a": "x"}
    )
    assert response == {
        "errors": [
            error("Cannot return null for non-nullable field Obj.y.", 1, 16, ["strictObjs", 1, "y"])
        ],
        "data": {"strictObjs": None, "a": "x"},
    }
    response = run(schema, "{ strictObjs { y } }", {"strictObjs": [None]})
    assert response["errors"] == [
        error(
            "Cannot return null for non-nullable field Query.strictObjs.", 1, 3, ["strictObjs", 0]
        )
    ]


def test_nested_non_null_errors_null_the_whole_response(schema: GraphQLSchema) -> None:
    assert run(schema, "{ a nnInt }", {"a": "x", "nnInt": "q"}) == {
        "errors": [error('Int cannot represent non-integer value: "q"', 1, 5, ["nnInt"])],
        "data": None,
    }


def test_only_the_first_error_of_a_nulled_object_is_reported(schema: GraphQLSchema) -> None:
    root = {"obj": {"y": None, "self": {"y": None}}}
    assert run(schema, "{ obj { self { y } y } }", root) == {
        "errors": [
            error("Cannot return null for non-nullable field Obj.y.", 1, 16, ["obj", "self", "y"]),
            error("Cannot return null for non-nullable field Obj.y.", 1, 20, ["obj", "y"]),
        ],
        "data": {"obj": None},
    }


# Objects and abstract types (sections 6.4.3, 3.7, 3.8) -------------------------------------


def abstract_schema(**options: Any) -> GraphQLSchema:
    named = GraphQLInterfaceType(
        "Named", {"name": GraphQLString}, resolve_type=options.get("resolve_type")
    )
    dog = GraphQLObjectType(
        "Dog",
        {"name": GraphQLString, "barks": GraphQLString},
        [named],
        is_type_of=options.get("dog_is_type_of"),
    )
    cat = GraphQLObjectType(
        "Cat",
        {"name": GraphQLString},
        [named],
        is_type_of=options.get("cat_is_type_of"),
    )
    pet = GraphQLUnionType("Pet", [dog, cat], resolve_type=options.get("pet_resolve_type"))
    query = GraphQLObjectType(
        "Query",
        {
            "named": GraphQLList(named),
            "pets": GraphQLList(pet),
            "dog": dog,
            "query": GraphQLObjectType("Other", {"x": GraphQLInt}),
        },
    )
    return GraphQLSchema(query, types=[cat, dog])


def test_abstract_types_by_typename() -> None:
    class Cat:
        __typename = "Cat"
        name = "Tom"

    root = {"pets": [{"__typename": "Dog", "name": "Rex", "barks": "woof"}, Cat()]}
    response = execute_sync(
        abstract_schema(),
        "{ pets { __typename ... on Dog { barks } ... on Named { name } } }",
        root_value=root,
    )
    assert response == {
        "data": {
            "pets": [
                {"__typename": "Dog", "barks": "woof", "name": "Rex"},
                {"__typename": "Cat", "name": "Tom"},
            ]
        }
    }


def test_abstract_types_by_is_type_of() -> None:
    schema = abstract_schema(
        dog_is_type_of=lambda value, info: "barks" in value,
        cat_is_type_of=lambda value, info: "meows" in value,
    )
    root = {"named": [{"name": "a", "barks": "w"}, {"name": "b", "meows": 1}, {"name": "c"}]}
    response = execute_sync(schema, "{ named { __typename name } }", root_value=root)
    assert response == {
        "errors": [
            error(
                'Abstract type "Named" must resolve to an Object type at runtime for field'
                ' "Query.named". Either the "Named" type should provide a "resolve_type"'
                ' function or each possible type should provide an "is_type_of" function.',
                1,
                3,
                ["named", 2],
            )
        ],
        "data": {
            "named": [{"__typename": "Dog", "name": "a"}, {"__typename": "Cat", "name": "b"}, None]
        },
    }
    # is_type_of also guards fields of the object type itself.
    response = execute_sync(schema, "{ dog { name } }", root_value={"dog": {"name": "cat"}})
    assert response == {
        "errors": [error('Expected value of type "Dog" but got: { name: "cat" }.', 1, 3, ["dog"])],
        "data": {"dog": None},
    }


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("Dog", None),
        ("Cat", None),
        (
            5,
            'Abstract type "Pet" must resolve to an Object type at runtime for field "Query.pets"'
            ' with value { name: "x" }, received "5", which is not a valid Object type name.',
        ),
        (
            "Nope",
            'Abstract type "Pet" was resolved to a type "Nope" that does not exist inside the'
            " schema.",
        ),
        ("Named", 'Abstract type "Pet" was resolved to a non-object type "Named".'),
        ("Other", 'Runtime Object type "Other" is not a possible type for "Pet".'),
    ],
)
def test_resolve_type_answers(answer: Any, message: str | None) -> None:
    current: list[Any] = [answer]
    schema = abstract_schema(pet_resolve_type=lambda value, info, type_: current[0])
    # A name, or the object type itself.
    answers = [answer, schema.get_type(answer)] if answer in ("Dog", "Cat") else [answer]
    for returned in answers:
        current[0] = returned
        response = execute_sync(
            schema, "{ pets { __typename } }", root_value={"pets": [{"name": "x"}]}
        )
        if message is None:
            assert response == {"data": {"pets": [{"__typename": answer}]}}
        else:
            assert response == {
                "errors": [error(message, 1, 3, ["pets", 0])],
                "data": {"pets": [None]},
            }


def test_default_type_resolver_is_public() -> None:
    schema = abstract_schema(dog_is_type_of=lambda value, info: value == "dog")
    info: Any = type("Info", (), {"schema": schema})()
    pet = schema.get_type("Pet")
    assert default_type_resolver({"__typename": "Cat"}, info, pet) == "Cat"  # type: ignore[arg-type]
    assert default_type_resolver("dog", info, pet) == "Dog"  # type: ignore[arg-type]
    assert default_type_resolver("cat", info, pet) is None  # type: ignore[arg-type]


# Fields, fragments and directives (section 6.3) -------------------------------------------------


def test_fields_merge_and_fragments_apply(schema: GraphQLSchema) -> None:
    query = """
    { obj { x ...F ... on Obj { y } ...F ... { x } self { x } self { y } } }
    fragment F on Obj { x y }
    """
    root = {"obj": {"x": 1, "y": "a", "self": {"x": 2, "y": "b"}}}
    assert run(schema, query, root) == {
        "data": {"obj": {"x": 1, "y": "a", "self": {"x": 2, "y": "b"}}}
    }


def test_skip_and_include(schema: GraphQLSchema) -> None:
    query = """
    query Q($yes: Boolean!, $no: Boolean = false) {
      a @skip(if: $yes) b @skip(if: $no) c @include(if: $yes) d @include(if: $no)
      ... @skip(if: $yes) { e } ...F @include(if: $yes) ...G @include(if: $no) ...G
    }
    fragment F on Query { nn: a }
    fragment G on Query { g: a }
    """
    root = {"a": "A", "b": 1, "c": 2.0, "d": True, "e": "E"}
    assert run(schema, query, root, variable_values={"yes": True}) == {
        "data": {"b": 1, "c": 2.0, "nn": "A", "g": "A"}
    }


def test_documents_are_trusted_but_never_crash_execution(schema: GraphQLSchema) -> None:
    # A DocumentNode is assumed valid; what validation would reject is left out.
    document = parse(
        "{ a zzz ...Missing ... on Obj { b } ... on Color { c } ...OnObj }"
        " fragment OnObj on Obj { d } type Ignored { x: Int } query Other { b }"
    )
    root = {"a": "x", "b": 1, "c": 1.0, "d": True}
    assert execute_sync(schema, document, root_value=root, operation_name="Other") == {
        "data": {"b": 1}
    }
    document = parse(
        "{ a zzz ...Missing ... on Obj { b } ... on Color { c } ...OnObj }"
        " fragment OnObj on Obj { d }"
    )
    assert execute_sync(schema, document, root_value=root) == {"data": {"a": "x"}}


def test_fragments_on_interfaces_apply_to_their_objects() -> None:
    schema = abstract_schema()
    root = {"dog": {"name": "Rex", "barks": "w"}}
    query = "{ dog { ... on Named { name } ... on Pet { ... on Dog { barks } } } }"
    assert execute_sync(schema, query, root_value=root) == {
        "data": {"dog": {"name": "Rex", "barks": "w"}}
    }


def test_a_directive_with_an_invalid_argument_is_an_error(schema: GraphQLSchema) -> None:
    document = parse("{ a @skip(if: 3) obj { x @include(if: $missing) } }")
    assert execute_sync(schema, document, root_value={"a": "x", "obj": {"x": 1}}) == {
        "errors": [
            {
                "message": 'Argument "if" has invalid value: Boolean cannot represent a non'
                " boolean value: 3"
            }
        ],
        "data": None,
    }
    document = parse("{ obj { x @include(if: $missing) } }")
    response = execute_sync(schema, document, root_value={"obj": {"x": 1}})
    assert response == {
        "errors": [
            {
                "message": 'Argument "if" has invalid value: Expected variable "$missing" provided'
                ' to type "Boolean!" to provide a runtime value.',
                "path": ["obj"],
            }
        ],
        "data": {"obj": None},
    }


def test_argument_errors_are_field_errors(schema: GraphQLSchema) -> None:
    document = parse('{ need hello(times: "x") ok: hello }')
    response = execute_sync(
        schema,
        document,
        root_value={"need": 1, "hello": lambda info, **args: "hi"},
        source='{ need hello(times: "x") ok: hello }',
    )
    assert response == {
        "errors": [
            error('Argument "x" of required type "Int!" was not provided.', 1, 3, ["need"]),
            error(
                'Argument "times" has invalid value: Int cannot represent non-integer value: "x"',
                1,
                21,
                ["hello"],
            ),
        ],
        "data": {"need": None, "hello": None, "ok": "hi"},
    }


def test_locations_need_the_source_of_a_document(schema: GraphQLSchema) -> None:
    document = parse("{ nn }")
    assert execute_sync(schema, document) == {
        "errors": [
            {"message": "Cannot return null for non-nullable field Query.nn.", "path": ["nn"]}
        ],
        "data": None,
    }
    assert execute_sync(schema, document, source="{ nn }")["errors"][0]["locations"] == [
        {"line": 1, "column": 3}
    ]


# Errors resolvers raise (section 6.4.4, 7.1.2) ---------------------------------------------


def test_graphql_errors_keep_their_nodes_extensions_and_paths(schema: GraphQLSchema) -> None:
    document = parse("{ a b c d }")
    a_node = document.definitions[0].selection_set.selections[0]  # type: ignore[attr-defined]

    def located(info: Any) -> Any:
        raise GraphQLError("already located", path=["elsewhere"])

    def with_nodes(info: Any) -> Any:
        raise GraphQLError("at a", a_node, extensions={"code": "A"})

    class Coded(Exception):
        extensions: ClassVar[dict[str, str]] = {"code": "CODED"}

    def coded(info: Any) -> Any:
        raise Coded("coded")

    def empty(info: Any) -> Any:
        raise RuntimeError

    def elsewhere(info: Any) -> Any:
        raise GraphQLError("in another text", source="\n  x", positions=[3])

    root = {"a": located, "b": with_nodes, "c": coded, "d": empty, "e": elsewhere}
    response = execute_sync(schema, "{ e }", root_value=root)
    assert response["errors"] == [
        {"message": "in another text", "locations": [{"line": 2, "column": 3}], "path": ["e"]}
    ]
    assert execute_sync(schema, document, root_value=root, source="{ a b c d }") == {
        "errors": [
            {"message": "already located", "path": ["elsewhere"]},
            {
                "message": "at a",
                "locations": [{"line": 1, "column": 3}],
                "path": ["b"],
                "extensions": {"code": "A"},
            },
            {
                "message": "coded",
                "locations": [{"line": 1, "column": 7}],
                "path": ["c"],
                "extensions": {"code": "CODED"},
            },
            {"message": "", "locations": [{"line": 1, "column": 9}], "path": ["d"]},
        ],
        "data": {"a": None, "b": None, "c": None, "d": None},
    }


# Mutations (section 6.2.2) -----------------------------------------------------------------------


def test_mutation_fields_run_in_order(schema: GraphQLSchema) -> None:
    log: list[str] = []

    def step(name: str, value: Any) -> Any:
        def resolve(info: Any) -> Any:
            log.append(name)
            return value

        return resolve

    root = {"one": step("one", 1), "two": step("two", 2), "three": step("three", 3)}
    assert run(schema, "mutation { three one two }", root) == {
        "data": {"three": 3, "one": 1, "two": 2}
    }
    assert log == ["three", "one", "two"]
    log.clear()
    root["two"] = step("two", None)
    assert run(schema, "mutation { one two three }", root) == {
        "errors": [
            error("Cannot return null for non-nullable field Mutation.two.", 1, 16, ["two"])
        ],
        "data": None,
    }
    assert log == ["one", "two"]  # a failed non-null field ends the mutation


def test_an_operation_without_a_root_type_fails_at_the_root() -> None:
    schema = build_schema("type Query { a: Int }")
    assert execute_sync(schema, parse("mutation { a }"), source="mutation { a }") == {
        "errors": [error("Schema is not configured to execute mutation operation.", 1, 1)],
        "data": None,
    }


# Request errors (section 6.1) ---------------------------------------------------------------------


def test_operation_selection(schema: GraphQLSchema) -> None:
    document = "query A { a } query B { b }"
    assert run(schema, document, {"a": "x"}, operation_name="A") == {"data": {"a": "x"}}
    assert run(schema, document) == {
        "errors": [
            {"message": "Must provide operation name if query contains multiple operations."}
        ]
    }
    assert run(schema, document, operation_name="C") == {
        "errors": [{"message": 'Unknown operation named "C".'}]
    }
    assert run(schema, "{ a }", operation_name="A") == {
        "errors": [{"message": 'Unknown operation named "A".'}]
    }
    assert execute_sync(schema, parse("fragment F on Query { a }")) == {
        "errors": [{"message": "Must provide an operation."}]
    }


def test_variables_must_be_a_mapping(schema: GraphQLSchema) -> None:
    response = run(schema, "{ a }", variable_values='{"a": 1}')  # type: ignore[arg-type]
    assert response == {
        "errors": [
            {
                "message": "Variables must be provided as an Object where each property is a"
                " variable value. Perhaps look to see if an unparsed JSON string was provided."
            }
        ]
    }


def test_variable_errors_are_request_errors(schema: GraphQLSchema) -> None:
    response = run(schema, "query Q($t: Int) { hello(times: $t) }", variable_values={"t": "x"})
    assert response == {
        "errors": [
            error(
                'Variable "$t" has invalid value: Int cannot represent non-integer value: "x"', 1, 9
            )
        ]
    }


def test_the_document_must_be_text_or_a_document(schema: GraphQLSchema) -> None:
    with pytest.raises(LocalProtocolError, match="not bytes"):
        execute_sync(schema, b"{ a }")  # type: ignore[arg-type]


def test_an_invalid_schema_is_refused() -> None:
    schema = GraphQLSchema(GraphQLObjectType("Query", {}))
    with pytest.raises(InvalidSchemaError, match="Query must define one or more fields"):
        execute_sync(schema, "{ __typename }")


def test_awaitables_are_refused_by_execute_sync() -> None:
    async def coroutine(parent: Any, info: Any) -> int:
        return 1

    class Future:
        def __await__(self) -> Iterator[Any]:
            yield
            return 1

    query = GraphQLObjectType(
        "Query",
        {
            "co": GraphQLField(GraphQLInt, resolve=coroutine),
            "future": GraphQLField(GraphQLInt, resolve=lambda p, i: Future()),
            "items": GraphQLField(GraphQLList(GraphQLInt), resolve=lambda p, i: [Future()]),
        },
    )
    schema = GraphQLSchema(query)
    for field in ("co", "future", "items"):
        with pytest.raises(
            LocalProtocolError, match=f'Field "Query.{field}" returned an awaitable'
        ):
            execute_sync(schema, f"{{ {field} }}")


def test_awaitables_from_type_resolution_are_refused_by_execute_sync() -> None:
    class Answer:
        def __init__(self, value: Any) -> None:
            self.value = value

        def __await__(self) -> Iterator[Any]:
            yield
            return self.value

    for options in (
        {"pet_resolve_type": lambda value, info, type_: Answer("Dog")},
        {"dog_is_type_of": lambda value, info: Answer(True)},
    ):
        schema = abstract_schema(**options)
        with pytest.raises(LocalProtocolError, match=r'Field "Query\.pets" returned an awaitable'):
            execute_sync(schema, "{ pets { __typename } }", root_value={"pets": [{}]})
    schema = abstract_schema(dog_is_type_of=lambda value, info: Answer(True))
    with pytest.raises(LocalProtocolError, match=r'Field "Query\.dog" returned an awaitable'):
        execute_sync(schema, "{ dog { name } }", root_value={"dog": {}})


def test_a_mapping_that_is_not_a_dict_is_read_by_key() -> None:
    class Lookup(Mapping[str, Any]):
        def __getitem__(self, key: str) -> Any:
            return key.upper()

        def __iter__(self) -> Iterator[str]:
            return iter(())

        def __len__(self) -> int:
            return 0

    query = GraphQLObjectType(
        "Query",
        {
            "a": GraphQLString,
            "args": GraphQLField(GraphQLString, {"x": GraphQLArgument(GraphQLInt)}),
        },
    )
    assert execute_sync(GraphQLSchema(query), "{ a args(x: 1) }", root_value=Lookup()) == {
        "data": {"a": "A", "args": "ARGS"}
    }


def test_mutation_leaves_are_completed_like_query_leaves() -> None:
    nothing = GraphQLScalarType("Nothing", serialize=lambda value: None)
    fields = {
        "big": GraphQLField(GraphQLInt, resolve=lambda p, i: 2**40),
        "nothing": GraphQLField(nothing, resolve=lambda p, i: 1),
        "fine": GraphQLField(GraphQLFloat, resolve=lambda p, i: 0.5),
        "none": GraphQLField(GraphQLFloat, resolve=lambda p, i: None),
    }
    schema = GraphQLSchema(
        GraphQLObjectType("Query", {"a": GraphQLInt}), GraphQLObjectType("Mutation", fields)
    )
    assert execute_sync(schema, "mutation { big nothing fine none }") == {
        "errors": [
            error(
                "Int cannot represent non 32-bit signed integer value: 1099511627776",
                1,
                12,
                ["big"],
            ),
            error(
                "Expected `Nothing.serialize(1)` to return non-nullable value, returned: null",
                1,
                16,
                ["nothing"],
            ),
        ],
        "data": {"big": None, "nothing": None, "fine": 0.5, "none": None},
    }


def test_objects_of_many_classes() -> None:
    # Many classes of values: the executor's cache of types that are not awaitable
    # stays bounded and every value is still completed.
    classes = [type(f"Class{n}", (), {"x": n}) for n in range(1_200)]
    item = GraphQLObjectType("Item", {"x": GraphQLInt})
    query = GraphQLObjectType("Query", {"items": GraphQLList(item)})
    response = execute_sync(
        GraphQLSchema(query), "{ items { x } }", root_value={"items": [cls() for cls in classes]}
    )
    assert response == {"data": {"items": [{"x": n} for n in range(1_200)]}}


def test_long_fragment_chains_do_not_exhaust_the_stack(schema: GraphQLSchema) -> None:
    count = 3_000  # far more levels than Python's recursion limit
    fragments = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(count))
    document = parse(f"{{ ...F0 }} {fragments} fragment F{count} on Query {{ a }}")
    assert execute_sync(schema, document, root_value={"a": "deep"}) == {"data": {"a": "deep"}}
