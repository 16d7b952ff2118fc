"""Differential tests of validation against graphql-core 3.3 (the Python port of graphql-js).

Hypothesis generates schemas and, for each, documents that are mostly right with
mistakes mixed in (unknown fields and arguments, wrong literal types, missing
subselections, clashing aliases, misplaced fragments, undefined and unused
variables, fragment cycles...). Both engines validate every document with all
rules, and with each rule alone; they must report the same errors at the same
locations (in any order for all rules together), graphql-core's single quotes
read as graphql-js's double quotes. Random documents from
:mod:`wire.graphql.strategies` are checked against the shared test schema too.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.wire.graphql.validation_harness import TEST_SDL, Expected, oracle, run

from wire.graphql import print_ast
from wire.graphql._validation import specified_rules
from wire.graphql.strategies import documents

SCALARS = ["Int", "Float", "String", "Boolean", "ID"]


@dataclass
class Model:
    """A generated schema: what the document generator needs to know of it."""

    enums: dict[str, list[str]] = field(default_factory=dict)
    inputs: dict[str, dict[str, str]] = field(default_factory=dict)
    one_of: set[str] = field(default_factory=set)
    # Object and interface types: field name -> (type, arguments name -> type).
    objects: dict[str, dict[str, tuple[str, dict[str, str]]]] = field(default_factory=dict)
    interfaces: dict[str, dict[str, tuple[str, dict[str, str]]]] = field(default_factory=dict)
    implements: dict[str, list[str]] = field(default_factory=dict)
    unions: dict[str, list[str]] = field(default_factory=dict)

    def composite(self) -> list[str]:
        return [*self.objects, *self.interfaces, *self.unions]

    def fields_of(self, name: str) -> dict[str, tuple[str, dict[str, str]]]:
        return self.objects.get(name) or self.interfaces.get(name) or {}

    def sdl(self) -> str:
        lines = []
        for name, values in self.enums.items():
            lines.append(f"enum {name} {{ {' '.join(values)} }}")
        for name, fields in self.inputs.items():
            one_of = " @oneOf" if name in self.one_of else ""
            body = " ".join(f"{key}: {value}" for key, value in fields.items())
            lines.append(f"input {name}{one_of} {{ {body} }}")
        for kind, table in (("interface", self.interfaces), ("type", self.objects)):
            for name, fields in table.items():
                implements = self.implements.get(name)
                clause = f" implements {' & '.join(implements)}" if implements else ""
                body = " ".join(
                    f"{key}{_arguments_sdl(args)}: {type_}" for key, (type_, args) in fields.items()
                )
                lines.append(f"{kind} {name}{clause} {{ {body} }}")
        for name, members in self.unions.items():
            lines.append(f"union {name} = {' | '.join(members)}")
        lines.append("schema { query: Query }")
        return "\n".join(lines)


def _arguments_sdl(args: dict[str, str]) -> str:
    if not args:
        return ""
    return "(" + ", ".join(f"{key}: {value}" for key, value in args.items()) + ")"


def _wrap(draw: st.DrawFn, named: str) -> str:
    shape = draw(st.sampled_from(["", "", "!", "[]", "[!]", "[]!", "[!]!"]))
    inner = named + "!" if shape in ("[!]", "[!]!") else named
    if shape.startswith("["):
        inner = f"[{inner}]"
        return inner + "!" if shape.endswith("]!") else inner
    return inner + shape


@st.composite
def models(draw: st.DrawFn) -> Model:
    """A small valid schema, with every kind of type."""
    model = Model()
    for index in range(draw(st.integers(1, 2))):
        model.enums[f"E{index}"] = [f"V{value}" for value in range(draw(st.integers(1, 3)))]
    leaf_names = SCALARS + list(model.enums)
    for index in range(draw(st.integers(1, 3))):
        name = f"In{index}"
        fields = {}
        for position in range(draw(st.integers(1, 3))):
            options = leaf_names + list(model.inputs)
            fields[f"i{position}"] = _wrap(draw, draw(st.sampled_from(options)))
        if draw(st.booleans()):
            model.one_of.add(name)
            fields = {key: value.rstrip("!") for key, value in fields.items()}
            fields = {key: value.replace("!]", "]") for key, value in fields.items()}
        model.inputs[name] = fields
    input_names = leaf_names + list(model.inputs)

    def arguments() -> dict[str, str]:
        return {
            f"a{index}": _wrap(draw, draw(st.sampled_from(input_names)))
            for index in range(draw(st.integers(0, 2)))
        }

    object_names = [f"O{index}" for index in range(draw(st.integers(2, 4)))]
    interface_names = [f"I{index}" for index in range(draw(st.integers(1, 2)))]
    output_names = leaf_names + object_names + interface_names
    for number, name in enumerate(interface_names):
        # Each interface names its fields apart, so a type may implement several.
        model.interfaces[name] = {
            f"f{number}{index}": (_wrap(draw, draw(st.sampled_from(output_names))), arguments())
            for index in range(draw(st.integers(1, 3)))
        }
    for name in object_names:
        implements = draw(st.lists(st.sampled_from(interface_names), unique=True, max_size=2))
        fields: dict[str, tuple[str, dict[str, str]]] = {}
        for interface in implements:
            fields.update(model.interfaces[interface])
        for index in range(draw(st.integers(1, 4))):
            fields.setdefault(
                f"g{index}", (_wrap(draw, draw(st.sampled_from(output_names))), arguments())
            )
        model.objects[name] = fields
        model.implements[name] = implements
    model.unions["U0"] = draw(
        st.lists(st.sampled_from(object_names), unique=True, min_size=1, max_size=3)
    )
    model.objects["Query"] = {
        f"q{index}": (draw(st.sampled_from(model.composite() + leaf_names)), arguments())
        for index in range(draw(st.integers(2, 4)))
    }
    return model


def _named(type_: str) -> str:
    return type_.replace("[", "").replace("]", "").replace("!", "")


class _Writer:
    """Writes a document for a model, mistakes included."""

    def __init__(self, draw: st.DrawFn, model: Model) -> None:
        self.draw = draw
        self.model = model
        self.variables: dict[str, str] = {}
        self.fragments: dict[str, tuple[str, str]] = {}

    def chance(self, probability: float) -> bool:
        return self.draw(st.integers(0, 99)) < probability * 100

    def pick(self, options: list[str]) -> str:
        return self.draw(st.sampled_from(options))

    def value(self, type_: str, depth: int = 0) -> str:
        model = self.model
        if self.chance(0.1) and self.variables:
            return "$" + self.pick(list(self.variables))
        if self.chance(0.05):
            return self.pick(["null", "1", '"s"', "1.5", "true", "V0", "[]", "{}", "$undefined"])
        named = _named(type_)
        if type_.startswith("[") and depth < 2 and self.chance(0.6):
            inner = type_.rstrip("!")[1:-1]
            count = self.draw(st.integers(0, 2))
            return "[" + ", ".join(self.value(inner, depth + 1) for _ in range(count)) + "]"
        if named in model.inputs and depth < 2:
            fields = model.inputs[named]
            keys = self.draw(st.lists(st.sampled_from([*fields, "zz"]), unique=True, max_size=3))
            return (
                "{"
                + ", ".join(
                    f"{key}: {self.value(fields.get(key, 'Int'), depth + 1)}" for key in keys
                )
                + "}"
            )
        if named in model.enums:
            return self.pick(model.enums[named])
        return {"Int": "7", "Float": "2.5", "String": '"x"', "Boolean": "false", "ID": '"id"'}.get(
            named, "null"
        )

    def arguments(self, args: dict[str, str]) -> str:
        chosen = [name for name in args if not args[name].endswith("!") or self.chance(0.9)]
        chosen = [name for name in chosen if self.chance(0.8)]
        if self.chance(0.1):
            chosen.append(self.pick(["a0", "bogus"]))
        if not chosen:
            return ""
        return (
            "(" + ", ".join(f"{name}: {self.value(args.get(name, 'Int'))}" for name in chosen) + ")"
        )

    def directives(self) -> str:
        if not self.chance(0.1):
            return ""
        condition = self.pick(["true", "false", "$b", "1"])
        return f" @{self.pick(['include', 'skip', 'unknown', 'deprecated'])}(if: {condition})"

    def selection_set(self, type_name: str, depth: int) -> str:
        model = self.model
        if depth > 4:
            return "{ __typename }"
        selections = []
        for _ in range(self.draw(st.integers(1, 3))):
            choice = self.draw(st.integers(0, 9))
            fields = model.fields_of(type_name)
            if choice <= 5 and (fields or self.chance(0.3)):
                names = [*fields, "__typename"] if fields else ["__typename", "nope"]
                name = self.pick(names) if not self.chance(0.05) else "unknownField"
                selections.append(self.field(type_name, name, depth))
            elif choice <= 7:
                condition = self.pick(model.composite())
                header = "..." if self.chance(0.2) else f"... on {condition}"
                inner_type = type_name if header == "..." else condition
                if depth < 3:
                    body = self.selection_set(inner_type, depth + 1)
                    selections.append(f"{header}{self.directives()} {body}")
            else:
                name = f"F{self.draw(st.integers(0, 3))}"
                if name not in self.fragments:
                    self.fragments[name] = (self.pick(model.composite()), "")
                selections.append(f"...{name}{self.directives()}")
        return "{ " + " ".join(selections) + " }"

    def field(self, type_name: str, name: str, depth: int) -> str:
        type_, args = self.model.fields_of(type_name).get(name, ("String", {}))
        alias = f"{self.pick(['x', 'y', 'f00', 'g0'])}: " if self.chance(0.2) else ""
        text = f"{alias}{name}{self.arguments(args)}{self.directives()}"
        named = _named(type_)
        composite = named in self.model.composite()
        if (composite and not self.chance(0.05) and depth < 3) or (
            not composite and self.chance(0.03)
        ):
            text += " " + self.selection_set(named, depth + 1)
        return text

    def document(self) -> str:
        model = self.model
        operations = []
        for index in range(self.draw(st.integers(1, 2))):
            self.variables = {}
            for position in range(self.draw(st.integers(0, 2))):
                self.variables[f"v{position}"] = _wrap(
                    self.draw, self.pick([*SCALARS, *model.inputs, *model.enums, "O0"])
                )
            if self.chance(0.3):
                self.variables["b"] = "Boolean!"
            definitions = ", ".join(f"${key}: {value}" for key, value in self.variables.items())
            header = f"query Q{index}" + (f"({definitions})" if definitions else "")
            operations.append(f"{header} {self.selection_set('Query', 0)}")
        written: set[str] = set()
        while set(self.fragments) - written:
            name = sorted(set(self.fragments) - written)[0]
            written.add(name)
            condition = self.fragments[name][0]
            if self.chance(0.05):
                condition = "Int"
            body = self.selection_set(condition, 2)
            operations.append(f"fragment {name} on {condition} {body}")
        if self.chance(0.05):
            operations.append("fragment Unused on Query { __typename }")
        return "\n".join(operations)


@st.composite
def schemas_and_documents(draw: st.DrawFn) -> tuple[str, str]:
    model = draw(models())
    return model.sdl(), _Writer(draw, model).document()


@functools.cache
def _rule(name: str) -> type:
    return next(rule for rule in specified_rules if rule.__name__ == name)


def _same(ours: list[Expected], theirs: list[Expected]) -> bool:
    """Whether two error lists agree, in any order.

    graphql-core leaves out the location of a scalar's own error about a list
    literal (``Int cannot represent non-integer value: []``), which graphql-js
    gives; such messages are compared without locations.
    """
    unlocated = {message for message, locations in theirs if not locations}

    def comparable(errors: list[Expected]) -> list[Expected]:
        return sorted(
            (message, [] if message in unlocated else locations) for message, locations in errors
        )

    return comparable(ours) == comparable(theirs)


def _agree(sdl: str, document: str) -> None:
    assert _same(run(None, document, sdl), oracle(None, document, sdl))
    # Each rule alone too.
    for rule in specified_rules:
        alone = run([rule], document, sdl)
        assert _same(alone, oracle(rule.__name__, document, sdl)), rule.__name__


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schemas_and_documents())
def test_generated_documents_validate_like_graphql_core(case: tuple[str, str]) -> None:
    sdl, document = case
    _agree(sdl, document)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_random_documents_validate_like_graphql_core(document: object) -> None:
    text = print_ast(document)  # type: ignore[arg-type]
    assert _same(run(None, text), oracle(None, text))


def test_differential_schema_generator_builds_valid_schemas() -> None:
    # The generated schemas must be valid for graphql-core, or the comparison above
    # would only compare two refusals.
    import graphql

    @settings(max_examples=20, deadline=None)
    @given(models())
    def check(model: Model) -> None:
        assert graphql.validate_schema(graphql.build_schema(model.sdl())) == []

    check()
    assert TEST_SDL
