"""Property tests: printing is the inverse of parsing."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wire.graphql import (
    DefinitionNode,
    DocumentNode,
    ExecutableDefinitionNode,
    StringValueNode,
    TypeNode,
    ValueNode,
    parse,
    parse_type,
    parse_value,
    print_ast,
)
from wire.graphql.strategies import (
    definitions,
    document_sources,
    documents,
    names,
    string_values,
    type_references,
    values,
)

slow = settings(suppress_health_check=[HealthCheck.too_slow])


@slow
@given(documents())
def test_parse_inverts_print(document: DocumentNode) -> None:
    assert parse(print_ast(document)) == document


@slow
@given(documents(type_system=False, fragment_arguments=True))
def test_parse_inverts_print_with_fragment_arguments(document: DocumentNode) -> None:
    assert parse(print_ast(document), experimental_fragment_arguments=True) == document


@slow
@given(document_sources())
def test_printing_a_parsed_document_is_canonical(source: str) -> None:
    printed = print_ast(parse(source))
    assert print_ast(parse(printed)) == printed
    assert parse(printed) == parse(source)


@slow
@given(definitions())
def test_definitions_round_trip(definition: DefinitionNode) -> None:
    assert parse(print_ast(definition)).definitions == (definition,)


@slow
@given(documents(executable=False))
def test_type_system_documents_round_trip(document: DocumentNode) -> None:
    assert parse(print_ast(document)) == document
    assert not any(isinstance(d, ExecutableDefinitionNode) for d in document.definitions)


@slow
@given(documents(type_system=False))
def test_executable_documents_round_trip(document: DocumentNode) -> None:
    assert parse(print_ast(document)) == document
    assert all(isinstance(d, ExecutableDefinitionNode) for d in document.definitions)


@given(values())
def test_values_round_trip(value: ValueNode) -> None:
    assert parse_value(print_ast(value)) == value


@given(type_references())
def test_types_round_trip(type_: TypeNode) -> None:
    assert parse_type(print_ast(type_)) == type_


@given(string_values(block=True))
def test_block_strings_round_trip(string: StringValueNode) -> None:
    printed = print_ast(string)
    assert printed.startswith('"""')
    assert parse_value(printed) == string


@given(string_values(block=False))
def test_strings_round_trip(string: StringValueNode) -> None:
    printed = print_ast(string)
    assert "\n" not in printed
    assert parse_value(printed) == string


@given(names(exclude=frozenset({"on"})))
def test_names_exclude(name: object) -> None:
    assert name.value != "on"  # type: ignore[attr-defined]


@given(st.data())
def test_locations_point_into_the_source(data: st.DataObject) -> None:
    source = data.draw(document_sources())
    document = parse(source)
    for definition in document.definitions:
        assert definition.loc is not None
        text = source[definition.loc.start : definition.loc.end]
        # Each definition's text parses to that definition alone.
        assert parse(text).definitions == (definition,)
