"""Validation of an executable document against a schema (GraphQL spec section 5).

:func:`validate` runs every rule of the specification's Validation section (the
rules of graphql-js's ``specifiedRules``, in its order) in one walk over the
document, and returns the errors, worded as graphql-js words them, each located
at the nodes it is about.

Limits, each with a safe default:

* ``max_errors`` (100, as graphql-js): the errors collected before validation
  stops; a last error says it stopped. A hostile document full of mistakes costs
  no more than a hundred errors' worth of work and response.
* ``max_fragment_work`` (50,000, as graphql-core): spreads and variable usages
  followed across the operations of a document.
* ``max_overlap_work`` (500,000, as graphql-core): comparisons made by the
  field-merging rule (section 5.3.2), the one rule whose work can grow faster than
  the document.

A document that exhausts a work budget ends with the error "Validation aborted.".
"""

from __future__ import annotations

from collections.abc import Sequence

from wire.graphql._ast import DocumentNode, Node
from wire.graphql._errors import GraphQLError
from wire.graphql._rules_arguments import (
    KnownArgumentNamesRule,
    KnownDirectivesRule,
    ProvidedRequiredArgumentsRule,
    UniqueDirectivesPerLocationRule,
    ValuesOfCorrectTypeRule,
    VariablesInAllowedPositionRule,
)
from wire.graphql._rules_base import (
    ABORTED,
    DEFAULT_MAX_FRAGMENT_WORK,
    ValidationAbortedError,
    ValidationContext,
    ValidationRule,
)
from wire.graphql._rules_document import (
    ExecutableDefinitionsRule,
    KnownFragmentNamesRule,
    LoneAnonymousOperationRule,
    NoFragmentCyclesRule,
    NoUndefinedVariablesRule,
    NoUnusedFragmentsRule,
    NoUnusedVariablesRule,
    UniqueArgumentNamesRule,
    UniqueFragmentNamesRule,
    UniqueInputFieldNamesRule,
    UniqueOperationNamesRule,
    UniqueVariableNamesRule,
)
from wire.graphql._rules_fields import (
    FieldsOnCorrectTypeRule,
    FragmentsOnCompositeTypesRule,
    KnownOperationTypesRule,
    KnownTypeNamesRule,
    MaxIntrospectionDepthRule,
    PossibleFragmentSpreadsRule,
    ScalarLeafsRule,
    SingleFieldSubscriptionsRule,
    VariablesAreInputTypesRule,
)
from wire.graphql._rules_overlap import DEFAULT_MAX_OVERLAP_WORK, OverlappingFieldsCanBeMergedRule
from wire.graphql._schema import GraphQLSchema
from wire.graphql._schema_validation import assert_valid_schema
from wire.graphql._type_info import TypeInfo
from wire.graphql._visitor import NODE_CLASSES, Handler, WalkPlan, kind_of, walk

__all__ = [
    "DEFAULT_MAX_ERRORS",
    "DEFAULT_MAX_FRAGMENT_WORK",
    "DEFAULT_MAX_OVERLAP_WORK",
    "ValidationAbortedError",
    "ValidationContext",
    "ValidationRule",
    "specified_rules",
    "validate",
]

#: Default for ``max_errors``: graphql-js's figure.
DEFAULT_MAX_ERRORS = 100

#: The rules of the specification's Validation section, in graphql-js's order
#: (graphql-js 17 ``specifiedRules``; ``MaxIntrospectionDepthRule`` included as in
#: graphql-core 3.3; the ``@defer``/``@stream`` rules left out: those directives are
#: not supported).
specified_rules: tuple[type[ValidationRule], ...] = (
    ExecutableDefinitionsRule,
    KnownOperationTypesRule,
    UniqueOperationNamesRule,
    LoneAnonymousOperationRule,
    SingleFieldSubscriptionsRule,
    KnownTypeNamesRule,
    FragmentsOnCompositeTypesRule,
    VariablesAreInputTypesRule,
    ScalarLeafsRule,
    FieldsOnCorrectTypeRule,
    UniqueFragmentNamesRule,
    KnownFragmentNamesRule,
    NoUnusedFragmentsRule,
    PossibleFragmentSpreadsRule,
    NoFragmentCyclesRule,
    UniqueVariableNamesRule,
    NoUndefinedVariablesRule,
    NoUnusedVariablesRule,
    KnownDirectivesRule,
    UniqueDirectivesPerLocationRule,
    KnownArgumentNamesRule,
    UniqueArgumentNamesRule,
    ValuesOfCorrectTypeRule,
    ProvidedRequiredArgumentsRule,
    VariablesInAllowedPositionRule,
    OverlappingFieldsCanBeMergedRule,
    UniqueInputFieldNamesRule,
    MaxIntrospectionDepthRule,
)


_HandlerNames = tuple[tuple[type[Node], bool, str], ...]
_handler_names_by_class: dict[type, _HandlerNames] = {}


def _handler_names(cls: type) -> _HandlerNames:
    """The handler methods a visitor class has: (node class, on enter?, method name)."""
    found = _handler_names_by_class.get(cls)
    if found is None:
        found = _handler_names_by_class[cls] = tuple(
            (node_class, on_enter, prefix + kind_of(node_class))
            for node_class in NODE_CLASSES
            for on_enter, prefix in ((True, "enter_"), (False, "leave_"))
            if callable(getattr(cls, prefix + kind_of(node_class), None))
        )
    return found


def _plan(system: Sequence[object], rules: Sequence[object]) -> WalkPlan:
    """Arrange the handlers: the system visitors (TypeInfo first) enter before the
    rules and leave after them, so every rule sees TypeInfo up to date."""
    enter: dict[type[Node], list[Handler]] = {}
    leave: dict[type[Node], list[Handler]] = {}
    for visitors, on in (((*system, *rules), True), ((*rules, *reversed(system)), False)):
        table = enter if on else leave
        for visitor in visitors:
            for node_class, on_enter, name in _handler_names(type(visitor)):
                if on_enter is on:
                    table.setdefault(node_class, []).append(getattr(visitor, name))
    return WalkPlan(enter, leave)


def validate(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: Sequence[type[ValidationRule]] | None = None,
    *,
    max_errors: int = DEFAULT_MAX_ERRORS,
    max_fragment_work: int = DEFAULT_MAX_FRAGMENT_WORK,
    max_overlap_work: int = DEFAULT_MAX_OVERLAP_WORK,
    source: str | None = None,
) -> list[GraphQLError]:
    """Check that a document is valid against a schema (GraphQL spec section 5).

    Args:
        schema: The schema; it must be valid (its validity is checked once and
            remembered by the schema).
        document: The parsed document.
        rules: The rules to apply; by default :data:`specified_rules`.
        max_errors: Stop after this many errors (a last error then says so).
        max_fragment_work: Budget for following fragments across operations.
        max_overlap_work: Budget for the comparisons of the field-merging rule.
        source: The text the document was parsed from; when given, every error
            gets it, so it reports line and column ``locations``.

    Returns:
        The errors found, in the order found; empty when the document is valid.

    Raises:
        InvalidSchemaError: The schema breaks the type system's rules (as
            graphql-js, validation refuses to work against an invalid schema).
    """
    assert_valid_schema(schema)
    if rules is None:
        rules = specified_rules
    type_info = TypeInfo(schema)
    context = ValidationContext(
        schema,
        document,
        type_info,
        max_errors=max_errors,
        max_fragment_work=max_fragment_work,
        max_overlap_work=max_overlap_work,
    )
    plan = _plan((type_info, context), [rule(context) for rule in rules])
    errors = context.errors
    try:
        walk(document, plan)
    except ValidationAbortedError as aborted:
        errors.append(aborted)
    except RecursionError:
        # A rule that follows fragments recursively met a document nested past
        # Python's recursion limit: stop, keeping the errors found so far.
        errors.append(ValidationAbortedError(ABORTED))
    if source is not None:
        for found in errors:
            found.source = source
    return errors
