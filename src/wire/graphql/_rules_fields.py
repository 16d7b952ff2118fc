"""Validation rules on operations, fields, fragments and the types they name.

Each rule is the GraphQL specification's rule of the same name (section 5,
"Validation", of the October 2021 edition and the working draft); messages are
graphql-js's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cmp_to_key
from typing import Any

from wire.graphql._ast import (
    DirectiveNode,
    DocumentNode,
    ExecutableDefinitionNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    NamedTypeNode,
    Node,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    SelectionSetNode,
    TypeDefinitionNode,
    VariableDefinitionNode,
)
from wire.graphql._definition import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
    get_named_type,
    is_composite_type,
    is_input_type,
    is_leaf_type,
)
from wire.graphql._errors import GraphQLError, did_you_mean, suggestion_list
from wire.graphql._introspection import introspection_types
from wire.graphql._printer import print_ast
from wire.graphql._rules_base import ValidationContext, ValidationRule
from wire.graphql._scalars import specified_scalar_types
from wire.graphql._schema import GraphQLSchema, do_types_overlap, type_from_ast
from wire.graphql._visitor import WalkPlan, walk

__all__ = [
    "FieldsOnCorrectTypeRule",
    "FragmentsOnCompositeTypesRule",
    "KnownOperationTypesRule",
    "KnownTypeNamesRule",
    "MaxIntrospectionDepthRule",
    "PossibleFragmentSpreadsRule",
    "ScalarLeafsRule",
    "SingleFieldSubscriptionsRule",
    "VariablesAreInputTypesRule",
]

_ABSTRACT = (GraphQLInterfaceType, GraphQLUnionType)


class KnownOperationTypesRule(ValidationRule):
    """Operation Type Existence (section 5.2.1; working draft).

    The schema has a root type for each operation's kind.
    """

    def enter_operation_definition(self, node: OperationDefinitionNode) -> None:
        if self.context.schema.get_root_type(node.operation) is None:
            self.report_error(
                GraphQLError(
                    f"The {node.operation.value} operation is not supported by the schema.", node
                )
            )


class SingleFieldSubscriptionsRule(ValidationRule):
    """Single Root Field (section 5.2.3.1).

    A subscription selects exactly one root field, not an introspection field,
    and its root selection uses no ``@skip`` or ``@include`` (working draft).
    """

    def enter_operation_definition(self, node: OperationDefinitionNode) -> None:
        if node.operation is not OperationType.SUBSCRIPTION:
            return
        context = self.context
        root_type = context.schema.subscription_type
        if root_type is None:
            return
        forbidden: list[DirectiveNode] = []
        groups = self._collect(root_type, node.selection_set, forbidden)
        name = (
            f'Subscription "{node.name.value}"'
            if node.name is not None
            else "Anonymous Subscription"
        )
        if forbidden:
            self.report_error(
                GraphQLError(
                    f"{name} must not use `@skip` or `@include` directives in the top level "
                    "selection.",
                    forbidden,
                )
            )
            return
        if not groups:
            self.report_error(
                GraphQLError(f"{name} must select one top level field.", node.selection_set)
            )
        elif len(groups) > 1:
            extra = [field for fields in list(groups.values())[1:] for field in fields]
            self.report_error(GraphQLError(f"{name} must select only one top level field.", extra))
        for fields in groups.values():
            if fields[0].name.value.startswith("__"):
                self.report_error(
                    GraphQLError(
                        f"{name} must not select an introspection top level field.", fields
                    )
                )

    def _collect(
        self,
        root_type: GraphQLObjectType,
        selection_set: SelectionSetNode,
        forbidden: list[DirectiveNode],
    ) -> dict[str, list[FieldNode]]:
        """CollectFields (section 6.3.2) on the root type, refusing @skip and @include."""
        context = self.context
        schema = context.schema
        groups: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()
        stack: list[Iterator[SelectionNode]] = [iter(self._spend(selection_set))]
        while stack:
            selection = next(stack[-1], None)
            if selection is None:
                stack.pop()
                continue
            if _uses_skip_or_include(selection, forbidden):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                groups.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                if _condition_matches(schema, selection.type_condition, root_type):
                    stack.append(iter(self._spend(selection.selection_set)))
            else:
                fragment = context.fragments.get(selection.name.value)  # type: ignore[attr-defined]
                if (
                    fragment is not None
                    and fragment.name.value not in visited
                    and _condition_matches(schema, fragment.type_condition, root_type)
                ):
                    visited.add(fragment.name.value)
                    stack.append(iter(self._spend(fragment.selection_set)))
        return groups

    def _spend(self, selection_set: SelectionSetNode) -> tuple[SelectionNode, ...]:
        selections = selection_set.selections
        self.context.spend_fragment_work(len(selections))
        return selections


def _uses_skip_or_include(selection: SelectionNode, forbidden: list[DirectiveNode]) -> bool:
    directives: tuple[DirectiveNode, ...] = selection.directives  # type: ignore[attr-defined]
    for wanted in ("skip", "include"):
        for directive in directives:
            if directive.name.value == wanted:
                forbidden.append(directive)
                return True
    return False


def _condition_matches(
    schema: GraphQLSchema, condition: NamedTypeNode | None, root_type: GraphQLObjectType
) -> bool:
    if condition is None:
        return True
    found = type_from_ast(schema, condition)
    if found is root_type:
        return True
    return isinstance(found, _ABSTRACT) and schema.is_sub_type(found, root_type)


#: The names a type system definition may use without defining them.
_STANDARD_TYPE_NAMES = frozenset([*specified_scalar_types, *introspection_types])


class KnownTypeNamesRule(ValidationRule):
    """Fragment Spread Type Existence (section 5.5.1.2), and every other named type.

    Variable types and type conditions name types of the schema (or, for a type
    system definition in the document, types the document defines).
    """

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self._type_map = context.schema.type_map
        self._defined: set[str] = set()
        self._in_type_system: set[int] = set()
        self._names: list[str] | None = None

    def enter_document(self, node: DocumentNode) -> None:
        type_system = [
            definition
            for definition in node.definitions
            if not isinstance(definition, ExecutableDefinitionNode)
        ]
        self._defined = {
            definition.name.value  # type: ignore[attr-defined]
            for definition in type_system
            if isinstance(definition, TypeDefinitionNode)
        }
        if type_system:
            # Named types inside type system definitions may also use the standard names.
            inside = self._in_type_system

            def mark(named: Node) -> None:
                inside.add(id(named))

            plan = WalkPlan({NamedTypeNode: [mark]}, {})
            for definition in type_system:
                walk(definition, plan)

    def enter_named_type(self, node: NamedTypeNode) -> None:
        name = node.name.value
        if name in self._type_map or name in self._defined:
            return
        in_type_system = id(node) in self._in_type_system
        if in_type_system and name in _STANDARD_TYPE_NAMES:
            return
        names = self._names
        if names is None:
            names = self._names = list({*self._type_map, *self._defined})
        options = [*_STANDARD_TYPE_NAMES, *names] if in_type_system else names
        self.report_error(
            GraphQLError(
                f'Unknown type "{name}".' + did_you_mean(suggestion_list(name, options)), node
            )
        )


class FragmentsOnCompositeTypesRule(ValidationRule):
    """Fragments On Composite Types (section 5.5.1.3)."""

    def enter_inline_fragment(self, node: InlineFragmentNode) -> None:
        condition = node.type_condition
        if condition is not None:
            found = type_from_ast(self.context.schema, condition)
            if found is not None and not is_composite_type(found):
                self.report_error(
                    GraphQLError(
                        "Fragment cannot condition on non composite type "
                        f'"{print_ast(condition)}".',
                        condition,
                    )
                )

    def enter_fragment_definition(self, node: FragmentDefinitionNode) -> None:
        condition = node.type_condition
        found = type_from_ast(self.context.schema, condition)
        if found is not None and not is_composite_type(found):
            self.report_error(
                GraphQLError(
                    f'Fragment "{node.name.value}" cannot condition on non composite type '
                    f'"{print_ast(condition)}".',
                    condition,
                )
            )


class VariablesAreInputTypesRule(ValidationRule):
    """Variables Are Input Types (section 5.8.2)."""

    def enter_variable_definition(self, node: VariableDefinitionNode) -> None:
        found = type_from_ast(self.context.schema, node.type)
        if found is not None and not is_input_type(found):
            self.report_error(
                GraphQLError(
                    f'Variable "${node.variable.name.value}" cannot be non-input type '
                    f'"{print_ast(node.type)}".',
                    node.type,
                )
            )


class ScalarLeafsRule(ValidationRule):
    """Leaf Field Selections (section 5.3.3)."""

    def enter_field(self, node: FieldNode) -> None:
        type_ = self.context.type_info.type
        if type_ is None:
            return
        selection_set = node.selection_set
        if is_leaf_type(get_named_type(type_)):
            if selection_set is not None:
                self.report_error(
                    GraphQLError(
                        f'Field "{node.name.value}" must not have a selection since type '
                        f'"{type_}" has no subfields.',
                        selection_set,
                    )
                )
        elif selection_set is None:
            name = node.name.value
            self.report_error(
                GraphQLError(
                    f'Field "{name}" of type "{type_}" must have a selection of subfields. '
                    f'Did you mean "{name} {{ ... }}"?',
                    node,
                )
            )


_DIGITS = re.compile(r"(\d+)")


def _natural_key(text: str) -> tuple[Any, ...]:
    """graphql-js's naturalCompare: runs of digits compare as numbers."""
    parts = _DIGITS.split(text)
    return tuple((int(part), part) if index % 2 else part for index, part in enumerate(parts))


class FieldsOnCorrectTypeRule(ValidationRule):
    """Field Selections (section 5.3.1), with graphql-js's "Did you mean" suggestions."""

    def enter_field(self, node: FieldNode) -> None:
        type_info = self.context.type_info
        parent_type = type_info.parent_type
        if parent_type is None or type_info.field_def is not None:
            return
        name = node.name.value
        suggestion = did_you_mean(
            self._suggested_types(parent_type, name), "to use an inline fragment on"
        ) or did_you_mean(
            suggestion_list(name, list(parent_type.fields))
            if isinstance(parent_type, (GraphQLObjectType, GraphQLInterfaceType))
            else []
        )
        self.report_error(
            GraphQLError(
                f'Cannot query field "{name}" on type "{parent_type.name}".' + suggestion, node
            )
        )

    def _suggested_types(self, type_: Any, name: str) -> list[str]:
        """The possible types and interfaces of an abstract type that have the field.

        Sorted as graphql-js sorts them: the most implemented first, an interface
        before the types implementing it, then by name.
        """
        if not isinstance(type_, _ABSTRACT):
            return []
        schema = self.context.schema
        suggested: dict[Any, int] = {}
        for possible in schema.get_possible_types(type_):
            if name not in possible.fields:
                continue
            suggested[possible] = 1
            for interface in possible.interfaces:
                if name in interface.fields:
                    suggested[interface] = suggested.get(interface, 0) + 1

        def compare(a: Any, b: Any) -> int:
            difference = suggested[b] - suggested[a]
            if difference:
                return difference
            if isinstance(a, GraphQLInterfaceType) and schema.is_sub_type(a, b):
                return -1
            if isinstance(b, GraphQLInterfaceType) and schema.is_sub_type(b, a):
                return 1
            key_a, key_b = _natural_key(a.name), _natural_key(b.name)
            return -1 if key_a < key_b else int(key_a > key_b)

        return [found.name for found in sorted(suggested, key=cmp_to_key(compare))]


class PossibleFragmentSpreadsRule(ValidationRule):
    """Fragment Spread Is Possible (section 5.5.2.3)."""

    def enter_inline_fragment(self, node: InlineFragmentNode) -> None:
        type_info = self.context.type_info
        fragment_type = type_info.type
        parent_type = type_info.parent_type
        if (
            is_composite_type(fragment_type)
            and parent_type is not None
            and not do_types_overlap(self.context.schema, fragment_type, parent_type)
        ):
            self.report_error(
                GraphQLError(
                    f'Fragment cannot be spread here as objects of type "{parent_type}" '
                    f'can never be of type "{fragment_type}".',
                    node,
                )
            )

    def enter_fragment_spread(self, node: FragmentSpreadNode) -> None:
        context = self.context
        name = node.name.value
        fragment = context.fragments.get(name)
        if fragment is None:
            return
        fragment_type = type_from_ast(context.schema, fragment.type_condition)
        parent_type = context.type_info.parent_type
        if (
            is_composite_type(fragment_type)
            and parent_type is not None
            and not do_types_overlap(context.schema, fragment_type, parent_type)
        ):
            self.report_error(
                GraphQLError(
                    f'Fragment "{name}" cannot be spread here as objects of type '
                    f'"{parent_type}" can never be of type "{fragment_type}".',
                    node,
                )
            )


#: How many nested introspection lists a query may select (graphql-js's figure):
#: deep enough for every introspection query tools send, shallow enough that a
#: query cannot make the server build an exponentially large response.
MAX_INTROSPECTION_LIST_DEPTH = 3

_INTROSPECTION_LISTS = frozenset({"fields", "interfaces", "possibleTypes", "inputFields"})


class MaxIntrospectionDepthRule(ValidationRule):
    """Maximum introspection depth (graphql-js 17 and graphql-core 3.3; no spec section).

    Below ``__schema`` or ``__type``, at most two of the introspection list fields
    ``fields``, ``interfaces``, ``possibleTypes`` and ``inputFields`` may nest,
    counting through fragments.
    """

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        # Per fragment: the deepest entry depth at which its check stayed in the
        # limit, and the shallowest at which it reached the limit.
        self._passed: dict[str, int] = {}
        self._exceeded: dict[str, int] = {}
        self._skipping: FieldNode | None = None

    def enter_field(self, node: FieldNode) -> None:
        if self._skipping is not None or node.name.value not in ("__schema", "__type"):
            return
        if self._too_deep(node):
            self.report_error(GraphQLError("Maximum introspection depth exceeded", [node]))
            # Like graphql-js, nothing below this field is checked again.
            self._skipping = node

    def leave_field(self, node: FieldNode) -> None:
        if node is self._skipping:
            self._skipping = None

    def _too_deep(self, root: FieldNode) -> bool:
        fragments = self.context.fragments
        passed = self._passed
        exceeded = self._exceeded
        # For each fragment, the deepest entry depth at which this check entered it.
        entered: dict[str, int] = {}
        # Depth-first, in document order: (selections left, depth, fragment entered).
        stack: list[tuple[Iterator[SelectionNode], int, str | None]] = [(iter((root,)), 0, None)]
        while stack:
            selections, depth, fragment_name = stack[-1]
            selection = next(selections, None)
            if selection is None:
                stack.pop()
                if fragment_name is not None:
                    passed[fragment_name] = depth
                continue
            if isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                limit_at = exceeded.get(name)
                if limit_at is not None and limit_at <= depth:
                    self._mark_exceeded(stack)
                    return True
                fragment = fragments.get(name)
                if (
                    entered.get(name, -1) >= depth
                    or passed.get(name, -1) >= depth
                    or fragment is None
                ):
                    continue
                entered[name] = depth
                stack.append((iter(fragment.selection_set.selections), depth, name))
                continue
            if isinstance(selection, FieldNode) and selection.name.value in _INTROSPECTION_LISTS:
                depth += 1
                if depth >= MAX_INTROSPECTION_LIST_DEPTH:
                    self._mark_exceeded(stack)
                    return True
            nested: SelectionSetNode | None = selection.selection_set  # type: ignore[attr-defined]
            if nested is not None:
                stack.append((iter(nested.selections), depth, None))
        return False

    def _mark_exceeded(self, stack: list[tuple[Iterator[SelectionNode], int, str | None]]) -> None:
        for _, depth, fragment_name in reversed(stack):
            if fragment_name is not None:
                self._exceeded[fragment_name] = depth
