"""Safety limits for documents from untrusted clients.

A GraphQL document is small, but the work it asks for need not be: fragments
spread inside fragments multiply the selections an operation makes, aliases
repeat one expensive field as many times as the client likes, and nesting
follows cycles in the schema as deep as the client writes. :class:`QueryLimits`
bounds each of these before the document is validated or executed, so a hostile
document is refused for the price of reading it.

* ``max_length`` and ``max_tokens`` bound the text; the parser enforces them
  (``Syntax Error: Document contains more than 20000 tokens. Parsing aborted.``).
* ``max_depth``, ``max_fields`` and ``max_aliases`` bound each operation with its
  fragments expanded; :func:`check_limits` measures them in time linear in the
  size of the document, however much the fragments multiply (counts saturate just
  above their limit, and the walk is iterative, so no document can exhaust the
  stack either).

The defaults let through every query a real client sends, the full
introspection query included (depth 15, 230 fields), with room to spare.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, cast

from wire.errors import LocalProtocolError
from wire.graphql._ast import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from wire.graphql._errors import GraphQLError

__all__ = ["DEFAULT_QUERY_LIMITS", "QueryLimits", "check_limits"]


@dataclass(frozen=True, slots=True)
class QueryLimits:
    """Limits on the documents a server accepts from untrusted clients.

    Attributes:
        max_length: Characters of document text (100,000: the introspection query
            is about 1,650 and large generated queries rarely reach 20,000).
        max_tokens: Lexical tokens of the text (20,000: a 10 KB query of short
            names has about 3,000; parsing costs grow with tokens, not characters).
        max_depth: Levels of nested field selections in one operation, fragments
            expanded (20: the full introspection query needs 15, application
            queries rarely 10; each level can multiply the work by a list's length).
        max_fields: Field selections in one operation, fragments expanded, each
            spread counted each time it is used (2,000: the introspection query
            makes 230; fragments spread within fragments multiply this count
            exponentially, and this is the limit that stops them).
        max_aliases: Aliased fields in one operation, fragments expanded (100:
            batching a few dozen lookups under aliases is normal; thousands of
            aliases of one expensive field are an attack).

    Raises:
        LocalProtocolError: A limit is not a positive integer.
    """

    max_length: int = 100_000
    max_tokens: int = 20_000
    max_depth: int = 20
    max_fields: int = 2_000
    max_aliases: int = 100

    def __post_init__(self) -> None:
        for spec in fields(self):
            value = getattr(self, spec.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise LocalProtocolError(f"{spec.name} must be a positive integer, not {value!r}")


#: The limits ``execute``, ``execute_sync`` and ``subscribe`` apply by default.
DEFAULT_QUERY_LIMITS = QueryLimits()


class _Shape:
    """What one selection set (of an operation or a fragment) selects.

    ``depth`` is the level of its deepest field (its own fields are level 1),
    ``fields`` and ``aliases`` count its field selections, and ``spreads`` lists
    each fragment spread with the level its fields would have.
    """

    __slots__ = ("aliases", "depth", "fields", "spreads")

    def __init__(self, selection_set: SelectionSetNode) -> None:
        depth = fields_ = aliases = 0
        spreads: list[tuple[str, int]] = []
        stack = [(selection_set, 1)]
        while stack:
            selection_set, level = stack.pop()
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    fields_ += 1
                    if selection.alias is not None:
                        aliases += 1
                    depth = max(depth, level)
                    if selection.selection_set is not None:
                        stack.append((selection.selection_set, level + 1))
                elif isinstance(selection, InlineFragmentNode):
                    stack.append((selection.selection_set, level))
                else:
                    spread = cast(FragmentSpreadNode, selection)
                    spreads.append((spread.name.value, level))
        self.depth = depth
        self.fields = fields_
        self.aliases = aliases
        self.spreads = spreads


_IN_PROGRESS = object()


def check_limits(
    document: DocumentNode, limits: QueryLimits = DEFAULT_QUERY_LIMITS
) -> list[GraphQLError]:
    """Check each operation of a parsed document against the structural limits.

    ``max_length`` and ``max_tokens`` are for the parser (pass them to ``parse``);
    this checks ``max_depth``, ``max_fields`` and ``max_aliases`` of each operation,
    with its fragments expanded. Unknown fragments and fragment cycles count as
    empty: validation reports them.

    Args:
        document: The parsed document (not necessarily validated).
        limits: The limits.

    Returns:
        One error per limit an operation exceeds, located at the operation.
    """
    shapes: dict[str, _Shape] = {}
    operations: list[tuple[OperationDefinitionNode, _Shape]] = []
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            shapes.setdefault(definition.name.value, _Shape(definition.selection_set))
        elif isinstance(definition, OperationDefinitionNode):
            operations.append((definition, _Shape(definition.selection_set)))
    caps = (limits.max_depth + 1, limits.max_fields + 1, limits.max_aliases + 1)
    totals: dict[str, Any] = {}
    errors: list[GraphQLError] = []
    for operation, shape in operations:
        for name, _level in shape.spreads:
            _total(name, shapes, totals, caps)
        depth, fields_, aliases = _combine(shape, totals, caps)
        what = f'Operation "{operation.name.value}"' if operation.name else "The operation"
        if depth > limits.max_depth:
            errors.append(
                GraphQLError(
                    f"{what} is nested more than {limits.max_depth} levels deep.", operation
                )
            )
        if fields_ > limits.max_fields:
            errors.append(
                GraphQLError(f"{what} selects more than {limits.max_fields} fields.", operation)
            )
        if aliases > limits.max_aliases:
            errors.append(
                GraphQLError(f"{what} uses more than {limits.max_aliases} aliases.", operation)
            )
    return errors


def _total(
    start: str, shapes: dict[str, _Shape], totals: dict[str, Any], caps: tuple[int, int, int]
) -> None:
    """Compute the expanded (depth, fields, aliases) of fragment ``start`` and what it spreads.

    An iterative depth-first walk: a fragment is in progress while the fragments
    it spreads are computed, so a spread of a fragment in progress closes a cycle
    and counts as empty.
    """
    stack = [start]
    while stack:
        name = stack[-1]
        state = totals.get(name)
        shape = shapes.get(name)
        if shape is None or (state is not None and state is not _IN_PROGRESS):
            stack.pop()  # unknown, or already computed
        elif state is None:
            totals[name] = _IN_PROGRESS
            stack.extend(spread for spread, _level in shape.spreads if spread not in totals)
        else:
            stack.pop()
            totals[name] = _combine(shape, totals, caps)


def _combine(
    shape: _Shape, totals: dict[str, Any], caps: tuple[int, int, int]
) -> tuple[int, int, int]:
    depth, fields_, aliases = shape.depth, shape.fields, shape.aliases
    for name, level in shape.spreads:
        total = totals.get(name)
        if isinstance(total, tuple):
            depth = max(depth, level - 1 + total[0])
            fields_ += total[1]
            aliases += total[2]
    return min(depth, caps[0]), min(fields_, caps[1]), min(aliases, caps[2])
