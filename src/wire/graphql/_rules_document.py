"""Validation rules that read the document alone, without the schema.

Each rule is the GraphQL specification's rule of the same name (section 5,
"Validation", of the October 2021 edition and the working draft); messages are
graphql-js's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from wire.graphql._ast import (
    DirectiveNode,
    DocumentNode,
    ExecutableDefinitionNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    NameNode,
    ObjectFieldNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
)
from wire.graphql._errors import GraphQLError
from wire.graphql._rules_base import ValidationContext, ValidationRule

__all__ = [
    "ExecutableDefinitionsRule",
    "KnownFragmentNamesRule",
    "LoneAnonymousOperationRule",
    "NoFragmentCyclesRule",
    "NoUndefinedVariablesRule",
    "NoUnusedFragmentsRule",
    "NoUnusedVariablesRule",
    "UniqueArgumentNamesRule",
    "UniqueFragmentNamesRule",
    "UniqueInputFieldNamesRule",
    "UniqueOperationNamesRule",
    "UniqueVariableNamesRule",
]


def _operations(document: DocumentNode) -> Iterator[OperationDefinitionNode]:
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            yield definition


class ExecutableDefinitionsRule(ValidationRule):
    """Executable Definitions (section 5.1.1).

    A document to execute holds only operations and fragments.
    """

    def enter_document(self, node: DocumentNode) -> None:
        for definition in node.definitions:
            if isinstance(definition, ExecutableDefinitionNode):
                continue
            if isinstance(definition, (SchemaDefinitionNode, SchemaExtensionNode)):
                name = "schema"
            else:
                name = f'"{definition.name.value}"'  # type: ignore[attr-defined]
            self.report_error(GraphQLError(f"The {name} definition is not executable.", definition))


class UniqueOperationNamesRule(ValidationRule):
    """Operation Name Uniqueness (section 5.2.1.1)."""

    def enter_document(self, node: DocumentNode) -> None:
        known: dict[str, NameNode] = {}
        for operation in _operations(node):
            name = operation.name
            if name is None:
                continue
            first = known.setdefault(name.value, name)
            if first is not name:
                self.report_error(
                    GraphQLError(
                        f'There can be only one operation named "{name.value}".', [first, name]
                    )
                )


class LoneAnonymousOperationRule(ValidationRule):
    """Lone Anonymous Operation (section 5.2.2.1)."""

    def enter_document(self, node: DocumentNode) -> None:
        operations = list(_operations(node))
        if len(operations) > 1:
            for operation in operations:
                if operation.name is None:
                    self.report_error(
                        GraphQLError(
                            "This anonymous operation must be the only defined operation.",
                            operation,
                        )
                    )


class UniqueFragmentNamesRule(ValidationRule):
    """Fragment Name Uniqueness (section 5.5.1.1)."""

    def enter_document(self, node: DocumentNode) -> None:
        known: dict[str, NameNode] = {}
        for definition in node.definitions:
            if isinstance(definition, FragmentDefinitionNode):
                name = definition.name
                first = known.setdefault(name.value, name)
                if first is not name:
                    self.report_error(
                        GraphQLError(
                            f'There can be only one fragment named "{name.value}".', [first, name]
                        )
                    )


class KnownFragmentNamesRule(ValidationRule):
    """Fragment Spread Target Defined (section 5.5.2.1)."""

    def enter_fragment_spread(self, node: FragmentSpreadNode) -> None:
        name = node.name
        if name.value not in self.context.fragments:
            self.report_error(GraphQLError(f'Unknown fragment "{name.value}".', name))


class NoUnusedFragmentsRule(ValidationRule):
    """Fragments Must Be Used (section 5.5.1.4)."""

    def leave_document(self, node: DocumentNode) -> None:
        used = {
            fragment.name.value
            for fragment in self.context.get_fragments_reached(list(_operations(node)))
        }
        for definition in node.definitions:
            if isinstance(definition, FragmentDefinitionNode):
                name = definition.name.value
                if name not in used:
                    self.report_error(GraphQLError(f'Fragment "{name}" is never used.', definition))


class NoFragmentCyclesRule(ValidationRule):
    """Fragment Spreads Must Not Form Cycles (section 5.5.2.2).

    A depth-first search over the spreads, with an explicit stack, that reports
    every cycle once, as graphql-js's recursive search does.
    """

    def enter_document(self, node: DocumentNode) -> None:
        visited: set[str] = set()
        for definition in node.definitions:
            if isinstance(definition, FragmentDefinitionNode):
                self._search(definition, visited)

    def _search(self, root: FragmentDefinitionNode, visited: set[str]) -> None:
        context: ValidationContext = self.context
        # The spreads followed from the root, and each fragment's place on that path.
        path: list[FragmentSpreadNode] = []
        place: dict[str, int] = {}
        frames: list[tuple[str, Iterator[FragmentSpreadNode]]] = []

        def start(fragment: FragmentDefinitionNode) -> bool:
            name = fragment.name.value
            if name in visited:
                return False
            visited.add(name)
            spreads = context.get_fragment_spreads(fragment.selection_set)
            if not spreads:
                return False
            place[name] = len(path)
            frames.append((name, iter(spreads)))
            return True

        start(root)
        while frames:
            name, spreads = frames[-1]
            spread = next(spreads, None)
            if spread is None:
                frames.pop()
                del place[name]
                if frames:
                    path.pop()  # the spread that led into the fragment just finished
                continue
            spread_name = spread.name.value
            cycle_start = place.get(spread_name)
            path.append(spread)
            if cycle_start is not None:
                cycle = path[cycle_start:]
                via = ", ".join(f'"{step.name.value}"' for step in cycle[:-1])
                self.report_error(
                    GraphQLError(
                        f'Cannot spread fragment "{spread_name}" within itself'
                        + (f" via {via}." if via else "."),
                        cycle,
                    )
                )
            else:
                fragment = context.fragments.get(spread_name)
                if fragment is not None and start(fragment):
                    continue
            path.pop()


class UniqueVariableNamesRule(ValidationRule):
    """Variable Uniqueness (section 5.8.1)."""

    def enter_operation_definition(self, node: OperationDefinitionNode) -> None:
        _report_repeated(
            self,
            (definition.variable.name for definition in node.variable_definitions),
            'There can be only one variable named "${}".',
        )


class NoUndefinedVariablesRule(ValidationRule):
    """All Variable Uses Defined (section 5.8.3)."""

    def leave_document(self, node: DocumentNode) -> None:
        context = self.context
        for operation in _operations(node):
            defined = {
                definition.variable.name.value for definition in operation.variable_definitions
            }
            for usage in context.get_recursive_variable_usages(operation):
                name = usage.node.name.value
                if name not in defined:
                    self.report_error(
                        GraphQLError(
                            f'Variable "${name}" is not defined by operation '
                            f'"{operation.name.value}".'
                            if operation.name is not None
                            else f'Variable "${name}" is not defined.',
                            [usage.node, operation],
                        )
                    )


class NoUnusedVariablesRule(ValidationRule):
    """All Variables Used (section 5.8.4)."""

    def leave_document(self, node: DocumentNode) -> None:
        context = self.context
        for operation in _operations(node):
            used = {
                usage.node.name.value for usage in context.get_recursive_variable_usages(operation)
            }
            for definition in operation.variable_definitions:
                name = definition.variable.name.value
                if name not in used:
                    self.report_error(
                        GraphQLError(
                            f'Variable "${name}" is never used in operation '
                            f'"{operation.name.value}".'
                            if operation.name is not None
                            else f'Variable "${name}" is never used.',
                            definition,
                        )
                    )


class UniqueArgumentNamesRule(ValidationRule):
    """Argument Uniqueness (section 5.4.2)."""

    def enter_field(self, node: FieldNode | DirectiveNode) -> None:
        if len(node.arguments) > 1:
            _report_repeated(
                self,
                (argument.name for argument in node.arguments),
                'There can be only one argument named "{}".',
            )

    enter_directive = enter_field


class UniqueInputFieldNamesRule(ValidationRule):
    """Input Object Field Uniqueness (section 5.6.3)."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self._known: dict[str, NameNode] = {}
        self._outer: list[dict[str, NameNode]] = []

    def enter_object_value(self, node: ObjectValueNode) -> None:
        self._outer.append(self._known)
        self._known = {}

    def leave_object_value(self, node: ObjectValueNode) -> None:
        self._known = self._outer.pop()

    def enter_object_field(self, node: ObjectFieldNode) -> None:
        name = node.name
        first = self._known.setdefault(name.value, name)
        if first is not name:
            self.report_error(
                GraphQLError(
                    f'There can be only one input field named "{name.value}".', [first, name]
                )
            )


def _report_repeated(rule: ValidationRule, names: Iterable[NameNode], message: str) -> None:
    """Report each name given more than once, with all its nodes, in order of first use."""
    groups: dict[str, list[NameNode]] = {}
    for name in names:
        groups.setdefault(name.value, []).append(name)
    for value, nodes in groups.items():
        if len(nodes) > 1:
            rule.report_error(GraphQLError(message.format(value), nodes))
