"""The public surface of wire.graphql, pinned."""

from __future__ import annotations

import dataclasses

import pytest

import wire.graphql
from wire.graphql import Node

EXPECTED = {
    "DEFAULT_MAX_DEPTH", "DEFAULT_MAX_LENGTH", "DEFAULT_MAX_TOKENS", "DIRECTIVE_LOCATIONS",
    "MAX_DEPTH_LIMIT", "ArgumentNode", "BooleanValueNode", "DefinitionNode",
    "DirectiveDefinitionNode", "DirectiveExtensionNode", "DirectiveNode", "DocumentNode",
    "EnumTypeDefinitionNode", "EnumTypeExtensionNode", "EnumValueDefinitionNode",
    "EnumValueNode", "ExecutableDefinitionNode", "FieldDefinitionNode", "FieldNode",
    "FloatValueNode", "FragmentDefinitionNode", "FragmentSpreadNode", "GraphQLSyntaxError",
    "InlineFragmentNode", "InputObjectTypeDefinitionNode", "InputObjectTypeExtensionNode",
    "InputValueDefinitionNode", "IntValueNode", "InterfaceTypeDefinitionNode",
    "InterfaceTypeExtensionNode", "ListTypeNode", "ListValueNode", "Location", "NameNode",
    "NamedTypeNode", "Node", "NonNullTypeNode", "NullValueNode", "ObjectFieldNode",
    "ObjectTypeDefinitionNode", "ObjectTypeExtensionNode", "ObjectValueNode",
    "OperationDefinitionNode", "OperationType", "OperationTypeDefinitionNode",
    "ScalarTypeDefinitionNode", "ScalarTypeExtensionNode", "SchemaDefinitionNode",
    "SchemaExtensionNode", "SelectionNode", "SelectionSetNode", "StringValueNode",
    "TypeDefinitionNode", "TypeExtensionNode", "TypeNode", "TypeSystemDefinitionNode",
    "TypeSystemExtensionNode", "UnionTypeDefinitionNode", "UnionTypeExtensionNode",
    "ValueNode", "VariableDefinitionNode", "VariableNode", "line_column", "parse",
    "parse_type", "parse_value", "print_ast", "print_block_string", "print_string",
}  # fmt: skip


def test_public_names() -> None:
    assert set(wire.graphql.__all__) == EXPECTED
    for name in EXPECTED:
        value = getattr(wire.graphql, name)
        if callable(value):
            assert value.__module__.startswith("wire.graphql._"), name


def test_strategies_are_public() -> None:
    from wire.graphql import strategies

    assert set(strategies.__all__) == {
        "definitions", "directives", "document_sources", "documents", "executable_definitions",
        "names", "selection_sets", "string_values", "type_references",
        "type_system_definitions", "values",
    }  # fmt: skip


def test_package_does_not_import_hypothesis() -> None:
    import subprocess
    import sys

    code = "import sys, wire.graphql; print('hypothesis' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


NODE_CLASSES = [
    value
    for name in wire.graphql.__all__
    if isinstance(value := getattr(wire.graphql, name), type) and issubclass(value, Node)
]


@pytest.mark.parametrize("cls", NODE_CLASSES, ids=lambda cls: cls.__name__)
def test_nodes_are_frozen_slotted_dataclasses(cls: type[Node]) -> None:
    assert dataclasses.is_dataclass(cls)
    assert "__slots__" in cls.__dict__
    assert cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
    loc = next(f for f in dataclasses.fields(cls) if f.name == "loc")
    assert loc.compare is False
    assert loc.kw_only is True


def test_node_construction_matches_the_dataclass_signature() -> None:
    from wire.graphql import FieldNode, Location, NameNode

    field = FieldNode(NameNode("f"), loc=Location(1, 2))
    assert field.alias is None
    assert field.arguments == ()
    assert field.loc == Location(1, 2)
    assert field.loc.start == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        field.alias = NameNode("a")  # type: ignore[misc]
    with pytest.raises(TypeError):
        FieldNode()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        FieldNode(NameNode("f"), None, (), (), None, Location(1, 2))  # type: ignore[call-arg]
    with pytest.raises(dataclasses.FrozenInstanceError):
        field.extra = 1  # type: ignore[attr-defined]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del field.name
    assert dataclasses.replace(field, alias=NameNode("a")).alias == NameNode("a")
