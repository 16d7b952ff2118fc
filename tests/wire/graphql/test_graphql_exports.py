"""The public surface of wire.graphql, pinned."""

from __future__ import annotations

import dataclasses
import typing

import pytest

import wire.graphql
from wire.graphql import Node

EXPECTED = {
    "ArgumentNode", "assert_valid_schema", "ast_from_value", "BooleanValueNode",
    "build_ast_schema", "build_schema", "coerce_input_literal", "coerce_input_value",
    "DEFAULT_DEPRECATION_REASON", "DEFAULT_MAX_DEPTH", "DEFAULT_MAX_LENGTH",
    "DEFAULT_MAX_TOKENS", "DefinitionNode", "DIRECTIVE_LOCATIONS", "DirectiveDefinitionNode",
    "DirectiveExtensionNode", "DirectiveLocation", "DirectiveNode", "do_types_overlap",
    "DocumentNode", "EnumTypeDefinitionNode", "EnumTypeExtensionNode",
    "EnumValueDefinitionNode", "EnumValueNode", "ExecutableDefinitionNode",
    "FieldDefinitionNode", "FieldNode", "FloatValueNode", "FragmentDefinitionNode",
    "FragmentSpreadNode", "get_introspection_query", "get_named_type", "get_nullable_type",
    "GRAPHQL_MAX_INT", "GRAPHQL_MIN_INT", "GraphQLArgument", "GraphQLBoolean",
    "GraphQLDeprecatedDirective", "GraphQLDirective", "GraphQLEnumType", "GraphQLEnumValue",
    "GraphQLError", "GraphQLField", "GraphQLFloat", "GraphQLID", "GraphQLIncludeDirective",
    "GraphQLInputField", "GraphQLInputObjectType", "GraphQLInputType", "GraphQLInt",
    "GraphQLInterfaceType", "GraphQLList", "GraphQLNamedType", "GraphQLNonNull",
    "GraphQLObjectType", "GraphQLOneOfDirective", "GraphQLOutputType", "GraphQLResolveInfo",
    "GraphQLScalarType", "GraphQLSchema", "GraphQLSkipDirective", "GraphQLSpecifiedByDirective",
    "GraphQLString", "GraphQLSyntaxError", "GraphQLType", "GraphQLUnionType",
    "GraphQLWrappingType", "InlineFragmentNode", "InputObjectTypeDefinitionNode",
    "InputObjectTypeExtensionNode", "InputValueDefinitionNode", "InterfaceTypeDefinitionNode",
    "InterfaceTypeExtensionNode", "introspection_types", "IntValueNode", "InvalidSchemaError",
    "is_abstract_type", "is_composite_type", "is_enum_type", "is_equal_type",
    "is_input_object_type", "is_input_type", "is_interface_type", "is_introspection_type",
    "is_leaf_type", "is_list_type", "is_named_type", "is_non_null_type", "is_nullable_type",
    "is_object_type", "is_output_type", "is_required_argument", "is_required_input_field",
    "is_scalar_type", "is_specified_directive", "is_specified_scalar_type", "is_type",
    "is_type_sub_type_of", "is_union_type", "is_wrapping_type", "line_column", "ListTypeNode",
    "ListValueNode", "Location", "MAX_DEPTH_LIMIT", "NamedTypeNode", "NameNode", "Node",
    "NonNullTypeNode", "NullValueNode", "ObjectFieldNode", "ObjectTypeDefinitionNode",
    "ObjectTypeExtensionNode", "ObjectValueNode", "OperationDefinitionNode", "OperationType",
    "OperationTypeDefinitionNode", "parse", "parse_type", "parse_value", "print_ast",
    "print_block_string", "print_directive", "print_introspection_schema", "print_schema",
    "print_string", "print_type", "ScalarTypeDefinitionNode", "ScalarTypeExtensionNode",
    "SchemaDefinitionNode", "SchemaExtensionNode", "SchemaMetaFieldDef", "SelectionNode",
    "SelectionSetNode", "SourceLocation", "specified_directives", "specified_scalar_types",
    "StringValueNode", "type_from_ast", "TypeDefinitionNode", "TypeExtensionNode",
    "TypeMetaFieldDef", "TypeNameMetaFieldDef", "TypeNode", "TypeSystemDefinitionNode",
    "TypeSystemExtensionNode", "Undefined", "UnionTypeDefinitionNode", "UnionTypeExtensionNode",
    "validate_input_literal", "validate_input_value", "validate_schema", "value_from_ast",
    "value_from_ast_untyped", "ValueNode", "VariableDefinitionNode", "VariableNode",
} | {
    "DEFAULT_MAX_ERRORS",
    "DEFAULT_MAX_FRAGMENT_WORK",
    "DEFAULT_MAX_OVERLAP_WORK",
    "DEFAULT_MAX_VARIABLE_ERRORS",
    "DEFAULT_QUERY_LIMITS",
    "ExecutableDefinitionsRule",
    "FieldsOnCorrectTypeRule",
    "FragmentsOnCompositeTypesRule",
    "Gather",
    "KnownArgumentNamesRule",
    "KnownDirectivesRule",
    "KnownFragmentNamesRule",
    "KnownOperationTypesRule",
    "KnownTypeNamesRule",
    "LoneAnonymousOperationRule",
    "MAX_INPUT_DEPTH",
    "MaxIntrospectionDepthRule",
    "NoFragmentCyclesRule",
    "NoUndefinedVariablesRule",
    "NoUnusedFragmentsRule",
    "NoUnusedVariablesRule",
    "OverlappingFieldsCanBeMergedRule",
    "Path",
    "PossibleFragmentSpreadsRule",
    "ProvidedRequiredArgumentsRule",
    "QueryLimits",
    "ScalarLeafsRule",
    "SingleFieldSubscriptionsRule",
    "TypeInfo",
    "UniqueArgumentNamesRule",
    "UniqueDirectivesPerLocationRule",
    "UniqueFragmentNamesRule",
    "UniqueInputFieldNamesRule",
    "UniqueOperationNamesRule",
    "UniqueVariableNamesRule",
    "ValidationAbortedError",
    "ValidationContext",
    "ValidationRule",
    "ValuesOfCorrectTypeRule",
    "VariableUsage",
    "VariablesAreInputTypesRule",
    "VariablesInAllowedPositionRule",
    "check_limits",
    "coerce_variable_values",
    "default_field_resolver",
    "default_type_resolver",
    "execute",
    "execute_sync",
    "get_argument_values",
    "get_directive_values",
    "specified_rules",
    "subscribe",
    "validate",
}  # fmt: skip


def test_public_names() -> None:
    assert set(wire.graphql.__all__) == EXPECTED
    for name in EXPECTED:
        value = getattr(wire.graphql, name)
        # Type aliases (``Gather``) are typing constructs; everything else is ours.
        if callable(value) and typing.get_origin(value) is None:
            assert value.__module__.startswith("wire.graphql._"), name


def test_strategies_are_public() -> None:
    from wire.graphql import strategies

    assert set(strategies.__all__) == {
        "definitions", "directives", "document_sources", "documents", "executable_definitions",
        "input_literals", "input_values", "names", "schema_sdls", "selection_sets",
        "string_values", "type_references", "type_system_definitions", "values",
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
