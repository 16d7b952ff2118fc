"""Differential tests of execution against graphql-core 3.3 (the Python port of graphql-js).

Hypothesis generates a schema (scalars, enums, input objects, interfaces, unions,
objects, arguments, a mutation root), data for it (mostly right, with wrong
values mixed in: nulls in non-null positions, values a scalar cannot represent,
unknown enum values, non-lists for lists, objects of abstract types without a
``__typename``, resolvers that raise) and documents (aliases, literal and
variable arguments, fragments, inline fragments, ``@skip``/``@include``,
``__typename``; sometimes invalid). Both engines execute each document from its
text, with default resolvers over the same plain dicts; they must agree on
``data``, and on every error's message, ``path`` and ``locations``, in order,
graphql-core's single quotes read as graphql-js's double quotes. The one
documented difference: on a request error graphql-core answers ``"data": null``
where the specification (and graphql-js, and we) leave ``data`` out.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.peers import require_module

from wire.graphql._build import build_schema
from wire.graphql._execution import execute, execute_sync

SCALARS = ["Int", "Float", "String", "Boolean", "ID"]
ENUM_VALUES = ["RED", "GREEN", "BLUE", "NONE"]
MAX_DEPTH = 3


def oracle() -> Any:
    require_module("graphql")
    import graphql

    return graphql


_PYTHON_WORDS = re.compile(r"\b(None|True|False)\b")
_JS_WORDS = {"None": "null", "True": "true", "False": "false"}


_DICT_KEY = re.compile(r'"(\w+)": ')


def normalized(message: str) -> str:
    """Read graphql-core's message as graphql-js words it.

    "..." for '...'; null, true, false for None, True, False; and ``{ a: 1 }``
    for a dict, which graphql-core's ``inspect`` (Python's ``repr``) writes
    ``{'a': 1}``. Applied to both sides.
    """
    message = _PYTHON_WORDS.sub(lambda match: _JS_WORDS[match.group()], message.replace("'", '"'))
    return _DICT_KEY.sub(r"\1: ", message).replace("{ ", "{").replace(" }", "}")


def differential(
    sdl: str,
    query: str,
    root: Any = None,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
) -> dict[str, Any]:
    """Run ``query`` on both engines; assert they agree; return our response."""
    graphql = oracle()
    ours = execute_sync(
        build_schema(sdl),
        query,
        root_value=root,
        variable_values=variables,
        operation_name=operation_name,
    )
    theirs = graphql.graphql_sync(
        graphql.build_schema(sdl),
        query,
        root_value=root,
        variable_values=variables,
        operation_name=operation_name,
    ).formatted
    if "data" in ours:
        assert ours["data"] == theirs["data"], (query, ours, theirs)
    else:  # a request error: graphql-core says "data": null
        assert theirs["data"] is None, (query, ours, theirs)
        assert ours["errors"]
    ours_errors = [
        {**error, "message": normalized(error["message"])} for error in ours.get("errors", [])
    ]
    theirs_errors = [
        {**error, "message": normalized(error["message"])} for error in theirs.get("errors", [])
    ]
    assert ours_errors == theirs_errors, (query, ours, theirs)
    json.dumps(ours)  # JSON-ready
    return ours


# Hand-written cases ----------------------------------------------------------------------

SDL = """
interface Named { name: String }
type Person implements Named {
  name: String
  age: Int!
  friends: [Person!]
  best: Person!
  tags: [String!]!
}
type Robot implements Named { name: String model: String! }
union Thing = Person | Robot
enum Color { RED GREEN }
input Point { x: Int! y: Int = 5 z: [Float] }
type Query {
  me: Person
  nonNullMe: Person!
  people: [Person]
  strictPeople: [Person!]!
  things: [Thing]
  named: [Named!]
  echo(a: Int, b: [String!], c: Color = GREEN, p: Point): String
  color: Color
  number: Float
}
type Mutation { first: Int! second: Int third: Person }
"""


def echo(info: Any, **args: Any) -> str:
    return json.dumps(args, sort_keys=True)


def person(name: str, age: Any = 30, **extra: Any) -> dict[str, Any]:
    return {"__typename": "Person", "name": name, "age": age, "tags": ["a"], **extra}


CASES: list[tuple[str, Any, dict[str, Any] | None]] = [
    ("{ me { name age } }", {"me": person("ann")}, None),
    ("{ me { name age } }", {"me": person("ann", age=None)}, None),
    ("{ nonNullMe { age } color }", {"nonNullMe": person("a", age=None), "color": "RED"}, None),
    (
        "{ me { best { best { age } } } }",
        {"me": person("a", best=person("b", best=person("c", age="x")))},
        None,
    ),
    (
        "{ people { name age } strictPeople { name age } }",
        {
            "people": [person("a"), person("b", age=None), None],
            "strictPeople": [person("c"), person("d", age=2**40)],
        },
        None,
    ),
    (
        "{ me { friends { age } } }",
        {"me": person("a", friends=[person("b"), person("c", age=None)])},
        None,
    ),
    ("{ me { tags } }", {"me": person("a", tags=["x", None])}, None),
    ("{ me { tags } }", {"me": person("a", tags="nope")}, None),
    ("{ me { age } }", {"me": person("a", age=1.5)}, None),
    ("{ me { age } }", {"me": person("a", age="12")}, None),
    ("{ number color }", {"number": "abc", "color": "BLUE"}, None),
    ("{ number }", {"number": 3}, None),
    (
        "{ things { __typename ... on Person { name age } ... on Robot { model } } }",
        {"things": [person("p"), {"__typename": "Robot", "model": "r2"}, {"model": "x"}]},
        None,
    ),
    ("{ things { __typename } }", {"things": [{"__typename": "Color"}]}, None),
    ("{ things { __typename } }", {"things": [{"__typename": "Nope"}]}, None),
    ("{ things { __typename } }", {"things": [{"__typename": "Named"}]}, None),
    ("{ named { name } }", {"named": [person("n"), None]}, None),
    ('{ echo(a: 1, b: ["x"], p: {x: 1, z: [1, 2.5]}) }', {"echo": echo}, None),
    ("{ echo }", {"echo": echo}, None),
    (
        "query Q($a: Int, $p: Point) { echo(a: $a, p: $p) }",
        {"echo": echo},
        {"a": 3, "p": {"x": 2, "z": 4}},
    ),
    ("query Q($a: Int) { echo(a: $a) }", {"echo": echo}, {}),
    ("query Q($a: Int!) { echo(a: $a) }", {"echo": echo}, {}),
    ("query Q($a: Int!) { echo(a: $a) }", {"echo": echo}, {"a": None}),
    ("query Q($a: Int) { echo(a: $a) }", {"echo": echo}, {"a": "x"}),
    ("query Q($p: Point) { echo(p: $p) }", {"echo": echo}, {"p": {"y": "q", "w": 1}}),
    ("query Q($b: [String!]) { echo(b: $b) }", {"echo": echo}, {"b": ["x", None, 3]}),
    ("query Q($c: Color = RED) { echo(c: $c) }", {"echo": echo}, {}),
    (
        "query Q($yes: Boolean!, $no: Boolean!) {"
        " a: color @include(if: $yes) b: color @include(if: $no)"
        " c: color @skip(if: $yes) d: color @skip(if: $no)"
        " ... @include(if: $no) { e: color } ...F @skip(if: $yes) ...F }"
        " fragment F on Query { f: color }",
        {"color": "GREEN"},
        {"yes": True, "no": False},
    ),
    (
        "{ me { ...P best { ...P } } } fragment P on Person { name ... on Named { name } }",
        {"me": person("x", best=person("y"))},
        None,
    ),
    (
        "mutation { first second third { age } }",
        {"first": 1, "second": 2, "third": person("m", age=None)},
        None,
    ),
    ("mutation { first second }", {"first": None, "second": 2}, None),
    ("{ me { name } }", None, None),
    ("{ me { nope } }", {}, None),
    ("{ me { name }", {}, None),
    ("query A { me { name } } query B { color }", {}, None),
    ("subscription { me }", {}, None),
]


@pytest.mark.parametrize(("query", "root", "variables"), CASES)
def test_cases_agree_with_graphql_core(query: str, root: Any, variables: Any) -> None:
    differential(SDL, query, root, variables)


@pytest.mark.parametrize("name", [None, "A", "B", "C"])
def test_operation_selection_agrees(name: str | None) -> None:
    response = differential(
        SDL, "query A { color } query B { number }", {"color": "RED", "number": 1.0}, None, name
    )
    assert ("data" in response) == (name in ("A", "B"))


def test_resolver_errors_agree() -> None:
    def boom(info: Any, **args: Any) -> Any:
        raise ValueError("boom went the resolver")

    differential(
        SDL, "{ me { name age } color }", {"me": {"name": boom, "age": boom}, "color": boom}
    )


# Generated schemas, data and documents ---------------------------------------------------------


@dataclass
class Model:
    """A generated schema, as the data and document generators need to know it."""

    enums: dict[str, list[str]] = field(default_factory=dict)
    inputs: dict[str, dict[str, str]] = field(default_factory=dict)
    interfaces: dict[str, dict[str, tuple[str, dict[str, str]]]] = field(default_factory=dict)
    objects: dict[str, dict[str, tuple[str, dict[str, str]]]] = field(default_factory=dict)
    implements: dict[str, list[str]] = field(default_factory=dict)
    unions: dict[str, list[str]] = field(default_factory=dict)

    def sdl(self) -> str:
        parts = [f"enum {name} {{ {' '.join(values)} }}" for name, values in self.enums.items()]
        for name, fields_ in self.inputs.items():
            parts.append(f"input {name} {{ {' '.join(f'{f}: {t}' for f, t in fields_.items())} }}")
        for keyword, types in (("interface", self.interfaces), ("type", self.objects)):
            for name, fields_ in types.items():
                implements = self.implements.get(name)
                head = f"{keyword} {name}" + (
                    f" implements {' & '.join(implements)}" if implements else ""
                )
                body = " ".join(f"{f}{_args_sdl(args)}: {t}" for f, (t, args) in fields_.items())
                parts.append(f"{head} {{ {body} }}")
        parts.extend(
            f"union {name} = {' | '.join(members)}" for name, members in self.unions.items()
        )
        return "\n".join(parts)

    def possible(self, name: str) -> list[str]:
        if name in self.unions:
            return self.unions[name]
        if name in self.interfaces:
            return [
                obj
                for obj, ifaces in self.implements.items()
                if name in ifaces and obj in self.objects
            ]
        return [name]

    def fields_of(self, name: str) -> dict[str, tuple[str, dict[str, str]]]:
        return self.objects.get(name) or self.interfaces.get(name) or {}


def _args_sdl(args: dict[str, str]) -> str:
    if not args:
        return ""
    return "(" + ", ".join(f"{name}: {type_}" for name, type_ in args.items()) + ")"


def unwrap(type_: str) -> tuple[str, list[str]]:
    """``[Int!]!`` -> ``("Int", ["!", "[]", "!"])``, outermost first."""
    wrappers = []
    while True:
        if type_.endswith("!"):
            wrappers.append("!")
            type_ = type_[:-1]
        elif type_.startswith("["):
            wrappers.append("[]")
            type_ = type_[1:-1]
        else:
            return type_, wrappers


def wrapped(draw: Any, named: str, allow_lists: bool = True) -> str:
    type_ = named
    if draw(st.booleans()):
        type_ += "!"
    if allow_lists and rarely(draw, 4):
        type_ = f"[{type_}]"
        if draw(st.booleans()):
            type_ += "!"
    return type_


@st.composite
def models(draw: Any) -> Model:
    model = Model()
    for index in range(draw(st.integers(0, 2))):
        model.enums[f"E{index}"] = draw(
            st.lists(st.sampled_from(ENUM_VALUES), min_size=1, max_size=3, unique=True)
        )
    input_names: list[str] = []
    for index in range(draw(st.integers(0, 2))):
        name = f"In{index}"
        choices = SCALARS + list(model.enums) + input_names
        model.inputs[name] = {
            f"i{k}": wrapped(draw, draw(st.sampled_from(choices)))
            for k in range(draw(st.integers(1, 3)))
        }
        input_names.append(name)
    input_choices = SCALARS + list(model.enums) + input_names
    object_names = [f"O{index}" for index in range(draw(st.integers(1, 3)))]
    interface_names = [f"I{index}" for index in range(draw(st.integers(0, 2)))]
    union_names = [f"U{index}" for index in range(draw(st.integers(0, 1)))]
    output_choices = SCALARS + list(model.enums) + object_names + interface_names + union_names

    def arguments() -> dict[str, str]:
        return {
            f"a{k}": wrapped(draw, draw(st.sampled_from(input_choices)))
            for k in range(draw(st.integers(0, 2)))
        }

    for name in interface_names:
        model.interfaces[name] = {
            f"k{name[1:]}x{k}": (
                wrapped(draw, draw(st.sampled_from(SCALARS + list(model.enums)))),
                {},
            )
            for k in range(draw(st.integers(1, 2)))
        }
    for name in object_names:
        implements = (
            draw(st.lists(st.sampled_from(interface_names), unique=True)) if interface_names else []
        )
        fields_: dict[str, tuple[str, dict[str, str]]] = {}
        for interface in implements:
            fields_.update(model.interfaces[interface])
        for k in range(draw(st.integers(1, 4))):
            fields_[f"f{k}"] = (wrapped(draw, draw(st.sampled_from(output_choices))), arguments())
        model.objects[name] = fields_
        if implements:
            model.implements[name] = implements
    for name in interface_names:  # every interface gets an implementation
        if not model.possible(name):
            model.implements.setdefault(object_names[0], []).append(name)
            model.objects[object_names[0]].update(model.interfaces[name])
    for name in union_names:
        model.unions[name] = draw(st.lists(st.sampled_from(object_names), min_size=1, unique=True))
    model.objects["Query"] = {
        f"q{k}": (wrapped(draw, draw(st.sampled_from(output_choices))), arguments())
        for k in range(draw(st.integers(1, 4)))
    }
    if draw(st.booleans()):
        model.objects["Mutation"] = {
            f"m{k}": (wrapped(draw, draw(st.sampled_from(SCALARS + object_names))), {})
            for k in range(draw(st.integers(1, 3)))
        }
    return model


# Data --------------------------------------------------------------------------------

TEXT = st.text(alphabet="abcdefxyz ", max_size=6)


def rarely(draw: Any, n: int) -> bool:
    """True about once in ``n`` draws (hypothesis favours the first of the choices)."""
    return bool(draw(st.sampled_from([False] * (n - 1) + [True])))


def leaf_value(draw: Any, model: Model, named: str) -> Any:
    wrong = rarely(draw, 10)
    if named in model.enums:
        return "NOPE" if wrong else draw(st.sampled_from(model.enums[named]))
    if named == "Int":
        return (
            draw(st.sampled_from([1.5, "x", 2**40, "12", True]))
            if wrong
            else draw(st.integers(-(2**31), 2**31 - 1))
        )
    if named == "Float":
        return (
            draw(st.sampled_from(["abc", "1.5", 7, False])) if wrong else draw(st.floats(-1e6, 1e6))
        )
    if named == "String":
        return draw(st.sampled_from([7, True, 2.5, [1]])) if wrong else draw(TEXT)
    if named == "Boolean":
        return draw(st.sampled_from([0, 1, "yes", 2.0])) if wrong else draw(st.booleans())
    return draw(st.sampled_from([5, 2.5, True])) if wrong else draw(TEXT)  # ID


def boom(info: Any, **args: Any) -> Any:
    raise RuntimeError(f"boom at {info.field_name}")


def value_for(draw: Any, model: Model, type_: str, depth: int) -> Any:
    named, wrappers = unwrap(type_)
    return _value(draw, model, named, wrappers, depth)


def _value(draw: Any, model: Model, named: str, wrappers: list[str], depth: int) -> Any:
    if wrappers and wrappers[0] == "!":
        if rarely(draw, 15):
            return None
        return _value(draw, model, named, wrappers[1:], depth)
    if rarely(draw, 10):
        return None
    if wrappers:  # a list
        if rarely(draw, 20):
            return 7  # not a list
        return [
            _value(draw, model, named, wrappers[1:], depth + 1)
            for _ in range(draw(st.integers(0, 2)))
        ]
    if named in model.objects or named in model.interfaces or named in model.unions:
        if depth >= MAX_DEPTH:
            return None
        concrete = draw(st.sampled_from(model.possible(named)))
        value: dict[str, Any] = {}
        if (named != concrete or draw(st.booleans())) and not rarely(draw, 15):
            value["__typename"] = concrete
        for name, (field_type, _args) in model.objects[concrete].items():
            if rarely(draw, 15):
                value[name] = boom
            else:
                value[name] = value_for(draw, model, field_type, depth + 1)
        return value
    return leaf_value(draw, model, named)


# Documents ---------------------------------------------------------------------------


@dataclass
class Document:
    """A document under construction: its variables and fragments."""

    model: Model
    variables: dict[str, tuple[str, Any]] = field(default_factory=dict)
    fragments: list[str] = field(default_factory=list)
    counter: int = 0

    def name(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"


def input_value(draw: Any, model: Model, type_: str, depth: int = 0) -> Any:
    named, wrappers = unwrap(type_)
    return _input(draw, model, named, wrappers, depth)


def _input(draw: Any, model: Model, named: str, wrappers: list[str], depth: int) -> Any:
    nullable = not wrappers or wrappers[0] != "!"
    if not nullable:
        wrappers = wrappers[1:]
    elif rarely(draw, 6):
        return None
    if wrappers:
        return [
            _input(draw, model, named, wrappers[1:], depth + 1)
            for _ in range(draw(st.integers(0, 2)))
        ]
    if named in model.inputs:
        value = {}
        for name, field_type in model.inputs[named].items():
            required = field_type.endswith("!")
            if required and depth > 2:
                return None if nullable else {}  # cut deep recursion
            if required or draw(st.booleans()):
                value[name] = input_value(draw, model, field_type, depth + 1)
        return value
    if named in model.enums:
        return draw(st.sampled_from(model.enums[named]))
    return draw(LEAF_INPUTS[named])


LEAF_INPUTS = {
    "Int": st.integers(-100, 100),
    "Float": st.floats(-100, 100).map(lambda x: round(x, 2)),
    "String": TEXT,
    "Boolean": st.booleans(),
    "ID": TEXT,
}


def literal(model: Model, type_: str, value: Any) -> str:
    named, wrappers = unwrap(type_)
    return _literal(model, named, [w for w in wrappers if w != "!"], value)


def _literal(model: Model, named: str, lists: list[str], value: Any) -> str:
    if value is None:
        return "null"
    if lists:
        return "[" + ", ".join(_literal(model, named, lists[1:], item) for item in value) + "]"
    if named in model.inputs:
        return (
            "{"
            + ", ".join(
                f"{name}: {literal(model, model.inputs[named][name], item)}"
                for name, item in value.items()
            )
            + "}"
        )
    if named in model.enums:
        return value
    return json.dumps(value)


def arguments(draw: Any, document: Document, args: dict[str, str]) -> str:
    written = []
    for name, type_ in args.items():
        if not type_.endswith("!") and draw(st.booleans()):
            continue
        value = input_value(draw, document.model, type_)
        if draw(st.booleans()):
            variable = document.name("v")
            if rarely(draw, 10):
                value = (
                    {"not": "right"} if document.model.inputs.get(unwrap(type_)[0]) is None else 12
                )
            document.variables[variable] = (type_, value)
            written.append(f"{name}: ${variable}")
        else:
            written.append(f"{name}: {literal(document.model, type_, value)}")
    return "(" + ", ".join(written) + ")" if written else ""


def selection_set(draw: Any, document: Document, type_name: str, depth: int) -> str:
    model = document.model
    selections: list[str] = []
    if type_name in model.unions or depth >= MAX_DEPTH or rarely(draw, 5):
        selections.append("__typename")
    if type_name not in model.unions and depth < MAX_DEPTH:
        fields_ = model.fields_of(type_name)
        chosen = draw(
            st.lists(st.sampled_from(sorted(fields_)), min_size=1, max_size=3, unique=True)
        )
        selections.extend(
            field_selection(draw, document, name, *fields_[name], depth) for name in chosen
        )
    if type_name not in model.objects and depth < MAX_DEPTH:
        concretes = draw(
            st.lists(st.sampled_from(model.possible(type_name)), max_size=2, unique=True)
        )
        selections.extend(
            f"... on {concrete} {selection_set(draw, document, concrete, depth + 1)}"
            for concrete in concretes
        )
    if rarely(draw, 6):
        fragment = document.name("F")
        document.fragments.append(
            f"fragment {fragment} on {type_name} {{ {' '.join(selections)} }}"
        )
        selections = [f"...{fragment}", "__typename"]
    return "{ " + " ".join(selections) + " }"


def field_selection(
    draw: Any, document: Document, name: str, type_: str, args: dict[str, str], depth: int
) -> str:
    text = name
    if rarely(draw, 4):
        text = f"{document.name('alias')}: {name}"
    text += arguments(draw, document, args)
    directive = draw(st.integers(0, 9))
    if directive == 0:
        variable = document.name("flag")
        document.variables[variable] = ("Boolean!", draw(st.booleans()))
        text += f" @include(if: ${variable})"
    elif directive == 1:
        text += f" @skip(if: {draw(st.sampled_from(['true', 'false']))})"
    named, _wrappers = unwrap(type_)
    model = document.model
    if named in model.objects or named in model.interfaces or named in model.unions:
        text += " " + selection_set(draw, document, named, depth + 1)
    return text


@st.composite
def scenarios(draw: Any) -> tuple[str, str, Any, dict[str, Any]]:
    model = draw(models())
    document = Document(model)
    mutation = "Mutation" in model.objects and draw(st.booleans())
    root_type = "Mutation" if mutation else "Query"
    body = selection_set(draw, document, root_type, 0)
    mistake = draw(st.sampled_from([None] * 18 + [0, 1]))
    if mistake == 0:
        body = body.replace("{ ", "{ unknownField ", 1)  # a validation error
    elif mistake == 1 and document.variables:
        document.variables.popitem()  # an undefined variable (or an unused flag)
    variables = "".join(
        f"${name}: {type_}, " for name, (type_, _value) in document.variables.items()
    )
    keyword = "mutation" if mutation else "query"
    query = f"{keyword} Op{'(' + variables + ')' if variables else ''} {body} " + " ".join(
        document.fragments
    )
    root = {
        name: value_for(draw, model, type_, 0)
        for name, (type_, _args) in model.objects[root_type].items()
    }
    values = {name: value for name, (_type, value) in document.variables.items()}
    mutation_root = " mutation: Mutation" if "Mutation" in model.objects else ""
    return (
        model.sdl() + f"\nschema {{ query: Query{mutation_root} }}",
        query,
        root,
        values,
    )


@settings(
    max_examples=150, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(scenarios())
def test_generated_documents_agree_with_graphql_core(
    scenario: tuple[str, str, Any, dict[str, Any]],
) -> None:
    sdl, query, root, variables = scenario
    differential(sdl, query, root, variables)


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_hypothesis_graphql_queries_agree(data: st.DataObject) -> None:
    require_module("hypothesis_graphql")
    import hypothesis_graphql

    model = data.draw(models())
    sdl = model.sdl() + "\nschema { query: Query }"
    query = data.draw(hypothesis_graphql.queries(sdl))
    root = {
        name: value_for(data.draw, model, type_, 0)
        for name, (type_, _args) in model.objects["Query"].items()
    }
    differential(sdl, query, root)


# Asynchronous resolvers give the same responses -------------------------------------------


def asynchronous(value: Any) -> Any:
    """The same data, every field resolved by a coroutine (``__typename`` stays plain)."""
    if isinstance(value, dict):
        return {
            key: item if key == "__typename" else _coroutine_field(asynchronous(item))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [asynchronous(item) for item in value]
    return value


def _coroutine_field(value: Any) -> Any:
    async def resolve(info: Any, **args: Any) -> Any:
        return value(info, **args) if callable(value) else value

    return resolve


@settings(
    max_examples=100, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(scenarios())
async def test_async_resolvers_give_the_same_responses(
    scenario: tuple[str, str, Any, dict[str, Any]],
) -> None:
    sdl, query, root, variables = scenario
    schema = build_schema(sdl)
    expected = execute_sync(schema, query, root_value=root, variable_values=variables)
    response = await execute(
        schema, query, root_value=asynchronous(root), variable_values=variables
    )
    assert response == expected
