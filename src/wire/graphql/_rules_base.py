"""What every validation rule builds on: the rule base class and the validation context.

A rule is a class whose instances get the :class:`ValidationContext` and have
handler methods named after node kinds, ``enter_field(node)``,
``leave_operation_definition(node)`` and so on (the kind of ``FieldNode`` is
``field``; see :func:`wire.graphql._visitor.kind_of`). All rules run in one walk
over the document; while a handler runs, ``context.type_info`` describes the node
in schema terms. Handlers cannot skip subtrees: a rule keeps whatever state it
needs to ignore a part of the tree.

The context also answers the questions rules share, each computed once per
document: the fragments by name, the fragment spreads below a selection set, the
fragments an operation reaches, and the variables used in each definition with
the input type expected where they are used. Variable usages are collected during
the walk, so they are complete for every definition by ``leave_document``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from wire.graphql._ast import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
)
from wire.graphql._errors import GraphQLError
from wire.graphql._schema import GraphQLSchema
from wire.graphql._type_info import TypeInfo

__all__ = [
    "DEFAULT_MAX_FRAGMENT_WORK",
    "ValidationAbortedError",
    "ValidationContext",
    "ValidationRule",
    "VariableUsage",
]

#: Default budget for the work spent following fragment spreads and variable usages
#: across the operations of one document (graphql-core 3.3 uses the same figure). A
#: document reusing many fragments from many operations can otherwise make this
#: work grow as operations x fragments x usages; realistic documents use well under
#: a tenth of it.
DEFAULT_MAX_FRAGMENT_WORK = 50_000

#: The message of the error that ends a validation cut short by a work budget.
ABORTED = "Validation aborted."


class ValidationAbortedError(GraphQLError):
    """The validation was cut short: too many errors, or a work budget ran out.

    It is the last error of the list :func:`wire.graphql.validate` returns.
    """


class VariableUsage(NamedTuple):
    """A variable used somewhere in a definition.

    Attributes:
        node: The variable node.
        type: The input type expected where it is used, or ``None`` if unknown.
        parent_type: The input type enclosing that position (for a list item, the
            list; for an input object field, the input object), or ``None``.
        default_value: The default of the argument or input field it is passed
            to, or ``Undefined``.
    """

    node: VariableNode
    type: Any
    parent_type: Any
    default_value: Any


class ValidationContext:
    """The document, the schema and what the rules share while validating.

    Args:
        schema: The schema to validate against.
        document: The document being validated.
        type_info: The TypeInfo the walk keeps up to date.
        max_errors: How many errors to collect before stopping.
        max_fragment_work: The budget of fragment work (see ``DEFAULT_MAX_FRAGMENT_WORK``).
        max_overlap_work: The budget of the field-merging rule's comparisons.

    Attributes:
        schema: The schema.
        document: The document.
        type_info: The schema's view of the node being visited.
        errors: The errors reported so far.
    """

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        type_info: TypeInfo,
        *,
        max_errors: int,
        max_fragment_work: int = DEFAULT_MAX_FRAGMENT_WORK,
        max_overlap_work: int = 0,
    ) -> None:
        self.schema = schema
        self.document = document
        self.type_info = type_info
        self.errors: list[GraphQLError] = []
        self._max_errors = max_errors
        self._remaining_work = max_fragment_work
        #: The budget of the field-merging rule (read by that rule).
        self.max_overlap_work = max_overlap_work
        fragments: dict[str, FragmentDefinitionNode] = {}
        for definition in document.definitions:
            if isinstance(definition, FragmentDefinitionNode):
                # As in graphql-js, a later definition of a name replaces an earlier one.
                fragments[definition.name.value] = definition
        self.fragments = fragments
        self._spreads: dict[int, list[FragmentSpreadNode]] = {}
        self._reached: dict[frozenset[str], list[FragmentDefinitionNode]] = {}
        self._usages: dict[int, list[VariableUsage]] = {}
        self._recursive_usages: dict[int, list[VariableUsage]] = {}
        self._fragment_usages: dict[tuple[int, ...], list[VariableUsage]] = {}
        self._collecting: list[VariableUsage] | None = None
        self._outside_variable_definitions: list[VariableUsage] | None = None

    def report_error(self, error: GraphQLError) -> None:
        """Record a validation error.

        Raises:
            ValidationAbortedError: The error limit was already reached; the walk
                stops and this error closes the list.
        """
        errors = self.errors
        if len(errors) >= self._max_errors:
            raise ValidationAbortedError(
                "Too many validation errors, error limit reached. Validation aborted."
            )
        errors.append(error)

    def spend_fragment_work(self, cost: int) -> None:
        """Spend from the fragment work budget.

        Raises:
            ValidationAbortedError: The budget ran out.
        """
        self._remaining_work -= cost
        if self._remaining_work < 0:
            raise ValidationAbortedError(ABORTED)

    def get_fragment(self, name: str) -> FragmentDefinitionNode | None:
        """The fragment definition named ``name``, or ``None``."""
        return self.fragments.get(name)

    def get_fragment_spreads(self, selection_set: SelectionSetNode) -> list[FragmentSpreadNode]:
        """The fragment spreads in a selection set and the selection sets nested in it.

        Spreads inside the spread fragments are not followed. The order is
        graphql-js's: a selection set's spreads, then those of its nested selection
        sets, the last nested one first.
        """
        spreads = self._spreads.get(id(selection_set))
        if spreads is None:
            spreads = []
            to_visit = [selection_set]
            while to_visit:
                for selection in to_visit.pop().selections:
                    if isinstance(selection, FragmentSpreadNode):
                        spreads.append(selection)
                    else:
                        nested: SelectionSetNode | None = selection.selection_set  # type: ignore[attr-defined]
                        if nested is not None:
                            to_visit.append(nested)
            self._spreads[id(selection_set)] = spreads
        return spreads

    def get_recursively_referenced_fragments(
        self, operation: OperationDefinitionNode
    ) -> list[FragmentDefinitionNode]:
        """The fragments an operation spreads, directly or through other fragments."""
        return self.get_fragments_reached([operation])

    def get_fragments_reached(
        self, operations: list[OperationDefinitionNode]
    ) -> list[FragmentDefinitionNode]:
        """The fragments any of ``operations`` spreads, directly or indirectly.

        Breadth first, in the order of first spread; undefined names are left out.
        """
        names = list(
            dict.fromkeys(
                spread.name.value
                for operation in operations
                for spread in self.get_fragment_spreads(operation.selection_set)
            )
        )
        key = frozenset(names)
        reached = self._reached.get(key)
        if reached is None:
            reached = []
            self.spend_fragment_work(len(names))
            seen = set(names)
            # The list grows while it is read: a breadth-first walk of the names.
            for name in names:
                fragment = self.fragments.get(name)
                if fragment is None:
                    continue
                reached.append(fragment)
                spreads = self.get_fragment_spreads(fragment.selection_set)
                self.spend_fragment_work(len(spreads))
                for spread in spreads:
                    spread_name = spread.name.value
                    if spread_name not in seen:
                        seen.add(spread_name)
                        names.append(spread_name)
            self._reached[key] = reached
        return reached

    def get_variable_usages(
        self, definition: OperationDefinitionNode | FragmentDefinitionNode
    ) -> list[VariableUsage]:
        """The variables used in a definition itself (not in the fragments it spreads).

        Complete once the walk has left the definition.
        """
        return self._usages.get(id(definition), [])

    def get_recursive_variable_usages(
        self, operation: OperationDefinitionNode
    ) -> list[VariableUsage]:
        """The variables an operation uses, in itself and in every fragment it reaches."""
        usages = self._recursive_usages.get(id(operation))
        if usages is None:
            fragments = self.get_recursively_referenced_fragments(operation)
            key = tuple(id(fragment) for fragment in fragments)
            fragment_usages = self._fragment_usages.get(key)
            if fragment_usages is None:
                self.spend_fragment_work(len(fragments))
                fragment_usages = []
                for fragment in fragments:
                    local = self.get_variable_usages(fragment)
                    self.spend_fragment_work(len(local))
                    fragment_usages.extend(local)
                self._fragment_usages[key] = fragment_usages
            self.spend_fragment_work(len(fragment_usages))
            usages = [*self.get_variable_usages(operation), *fragment_usages]
            self._recursive_usages[id(operation)] = usages
        return usages

    # Handlers collecting the variable usages during the walk.

    def enter_operation_definition(self, node: OperationDefinitionNode) -> None:
        self._collecting = self._usages[id(node)] = []

    enter_fragment_definition = enter_operation_definition

    def enter_variable_definition(self, node: VariableDefinitionNode) -> None:
        # A variable definition declares variables; nothing in it uses one.
        self._outside_variable_definitions = self._collecting
        self._collecting = None

    def leave_variable_definition(self, node: VariableDefinitionNode) -> None:
        self._collecting = self._outside_variable_definitions

    def enter_variable(self, node: VariableNode) -> None:
        collecting = self._collecting
        if collecting is not None:
            type_info = self.type_info
            collecting.append(
                VariableUsage(
                    node,
                    type_info.input_type,
                    type_info.parent_input_type,
                    type_info.default_value,
                )
            )


class ValidationRule:
    """Base class of the validation rules.

    Subclasses add handlers named ``enter_<kind>`` and ``leave_<kind>``, each taking
    the node, and report problems with :meth:`report_error`.

    Args:
        context: The validation context of the document being validated.
    """

    def __init__(self, context: ValidationContext) -> None:
        self.context = context

    def report_error(self, error: GraphQLError) -> None:
        """Report a validation error."""
        self.context.report_error(error)
