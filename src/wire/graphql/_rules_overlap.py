"""Field Selection Merging (GraphQL spec section 5.3.2).

Two fields with the same response name in one selection, however they got there
(directly, through inline fragments or through fragment spreads), must be
mergeable: the same field with the same arguments, unless their parents can never
be the same object; result types of the same shape; and their own subselections
mergeable in turn.

Comparing every pair of fields of the expanded selection is exponential in the
fragments. This follows graphql-js's algorithm, which compares "within" each
selection set once and "between" sets of fields and fragments otherwise, with the
same memoisation: the fields of each selection set are collected once, and each
pair of (fields, fragment) and (fragment, fragment) is compared once (or twice:
once not mutually exclusive, once exclusive). The work is metered by a budget
(``max_overlap_work`` of :func:`wire.graphql.validate`), so no document makes the
rule run away. The steps are lettered (A) to (J) as in graphql-js.
"""

from __future__ import annotations

from typing import Any

from wire.graphql._ast import (
    BooleanValueNode,
    EnumValueNode,
    FieldNode,
    FloatValueNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    SelectionNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableNode,
)
from wire.graphql._definition import (
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
)
from wire.graphql._errors import GraphQLError
from wire.graphql._rules_base import (
    ABORTED,
    ValidationAbortedError,
    ValidationContext,
    ValidationRule,
)
from wire.graphql._schema import type_from_ast

__all__ = ["DEFAULT_MAX_OVERLAP_WORK", "OverlappingFieldsCanBeMergedRule"]

#: Default budget of comparisons for one document (graphql-core 3.3's figure); a
#: realistic query spends a few thousand.
DEFAULT_MAX_OVERLAP_WORK = 500_000

# Bounds on what one error message carries, whatever the document's size.
_MAX_DETAIL = 1000
_MAX_NODES = 20

_WITH_FIELDS = (GraphQLObjectType, GraphQLInterfaceType)
_LEAF = (GraphQLScalarType, GraphQLEnumType)


def _abbreviate(text: str) -> str:
    return text[:_MAX_DETAIL] + "..." if len(text) > _MAX_DETAIL else text


class _Field:
    """A field of a collected selection: the node, its parent type and definition."""

    __slots__ = ("definition", "name", "node", "parent_type", "simple")

    def __init__(self, node: FieldNode, parent_type: Any, definition: Any) -> None:
        self.node = node
        self.name = node.name.value
        self.parent_type = parent_type
        self.definition = definition
        # No arguments and no subselection: two such fields of one name and type
        # cannot conflict.
        self.simple = not node.arguments and node.selection_set is None


class _Collected:
    """The fields of a selection set by response name, and the fragments it spreads."""

    __slots__ = ("fragments", "groups", "overlaps", "spreads")

    def __init__(self, groups: dict[str, list[_Field]], spreads: list[FragmentSpreadNode]) -> None:
        self.groups = groups
        self.spreads = spreads
        self.fragments: list[FragmentDefinitionNode] | None = None
        # Response names shared with another collection, by that collection's id.
        self.overlaps: dict[int, list[tuple[str, list[_Field], list[_Field]]]] = {}


# A conflict: the response name, the reason, and the field nodes on each side.
_Conflict = tuple[str, str, list[FieldNode], list[FieldNode]]

_SCALAR_KINDS: dict[type, str] = {
    IntValueNode: "Int",
    FloatValueNode: "Float",
    EnumValueNode: "Enum",
    BooleanValueNode: "Boolean",
}


class OverlappingFieldsCanBeMergedRule(ValidationRule):
    """Field Selection Merging (section 5.3.2)."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self._remaining = context.max_overlap_work
        self._collected: dict[tuple[int, int], _Collected] = {}
        # (fields collection id, fragment id) -> compared as mutually exclusive only?
        self._fields_fragment_pairs: dict[tuple[int, int], bool] = {}
        # (fragment id, fragment id) -> compared as mutually exclusive only?
        self._fragment_pairs: dict[tuple[int, int], bool] = {}
        self._value_keys: dict[int, object] = {}
        self._in_inline_fragment = False

    # Handlers ----------------------------------------------------------------

    def enter_inline_fragment(self, node: InlineFragmentNode) -> None:
        # Its fields are compared with those of the enclosing selection set.
        self._in_inline_fragment = True

    def enter_selection_set(self, node: SelectionSetNode) -> None:
        if self._in_inline_fragment:
            self._in_inline_fragment = False
            return
        selections = node.selections
        if len(selections) <= 1 and not (
            selections and isinstance(selections[0], InlineFragmentNode)
        ):
            return
        for name, reason, fields1, fields2 in self._within(
            self.context.type_info.parent_type, node
        ):
            self.report_error(
                GraphQLError(
                    f'Fields "{_abbreviate(name)}" conflict because {reason}. '
                    "Use different aliases on the fields to fetch both if this was intentional.",
                    fields1 + fields2,
                )
            )

    # The algorithm -----------------------------------------------------------

    def _spend(self, cost: int) -> None:
        self._remaining -= cost
        if self._remaining < 0:
            raise ValidationAbortedError(ABORTED)

    def _within(self, parent_type: Any, selection_set: SelectionSetNode) -> list[_Conflict]:
        """The conflicts within one selection set, fragments spread in it included."""
        conflicts: list[_Conflict] = []
        collected = self._collect(parent_type, selection_set)
        # (A) Compare the fields of this selection set with each other; the only
        # place fields of one collection are compared among themselves.
        for name, fields in collected.groups.items():
            count = len(fields)
            for first in range(count - 1):
                for second in range(first + 1, count):
                    conflict = self._find_conflict(False, name, fields[first], fields[second])
                    if conflict is not None:
                        conflicts.append(conflict)
        spreads = collected.spreads
        if spreads and (collected.groups or len(spreads) > 1):
            fragments = self._fragments_of(collected)
            for index, fragment in enumerate(fragments):
                # (B) These fields against those of each fragment spread here.
                self._fields_and_fragment(conflicts, False, collected, fragment)
                # (C) Each fragment spread here against each other one.
                for other in fragments[index + 1 :]:
                    self._fragments(conflicts, False, fragment, other)
        return conflicts

    def _fields_and_fragment(
        self,
        conflicts: list[_Conflict],
        exclusive: bool,
        collected: _Collected,
        fragment: FragmentDefinitionNode,
    ) -> None:
        """Conflicts between a collection of fields and a fragment (and what it spreads)."""
        self._spend(1)
        if not collected.groups:
            return
        key = (id(collected), id(fragment))
        compared = self._fields_fragment_pairs.get(key)
        if compared is not None and (exclusive or not compared):
            return
        self._fields_fragment_pairs[key] = exclusive
        other = self._collect_fragment(fragment)
        if other is collected:
            return
        # (D) The fields against the fragment's fields.
        self._between(conflicts, exclusive, collected, other)
        # (E) The fields against the fragments the fragment spreads.
        for nested in self._fragments_of(other):
            self._fields_and_fragment(conflicts, exclusive, collected, nested)

    def _fragments(
        self,
        conflicts: list[_Conflict],
        exclusive: bool,
        fragment1: FragmentDefinitionNode,
        fragment2: FragmentDefinitionNode,
    ) -> None:
        """Conflicts between two fragments, and what each of them spreads."""
        self._spend(2)
        if fragment1 is fragment2:
            return
        pairs = self._fragment_pairs
        for key in ((id(fragment1), id(fragment2)), (id(fragment2), id(fragment1))):
            compared = pairs.get(key)
            if compared is not None and (exclusive or not compared):
                return
        pairs[(id(fragment1), id(fragment2))] = exclusive
        collected1 = self._collect_fragment(fragment1)
        collected2 = self._collect_fragment(fragment2)
        # (F) The fields of one against the fields of the other.
        self._between(conflicts, exclusive, collected1, collected2)
        # (G) Each fragment against the fragments the other spreads.
        for nested in self._fragments_of(collected2):
            self._fragments(conflicts, exclusive, fragment1, nested)
        for nested in self._fragments_of(collected1):
            self._fragments(conflicts, exclusive, nested, fragment2)

    def _between_sub_selections(
        self,
        exclusive: bool,
        parent_type1: Any,
        selection_set1: SelectionSetNode,
        parent_type2: Any,
        selection_set2: SelectionSetNode,
    ) -> list[_Conflict]:
        """The conflicts between the subselections of two fields of one response name."""
        conflicts: list[_Conflict] = []
        collected1 = self._collect(parent_type1, selection_set1)
        fragments1 = self._fragments_of(collected1)
        collected2 = self._collect(parent_type2, selection_set2)
        fragments2 = self._fragments_of(collected2)
        # (H) The two sets of fields.
        self._between(conflicts, exclusive, collected1, collected2)
        # (I) Each set of fields against the fragments the other spreads.
        for fragment in fragments2:
            self._fields_and_fragment(conflicts, exclusive, collected1, fragment)
        for fragment in fragments1:
            self._fields_and_fragment(conflicts, exclusive, collected2, fragment)
        # (J) The fragments of one against the fragments of the other.
        for fragment1 in fragments1:
            for fragment2 in fragments2:
                self._fragments(conflicts, exclusive, fragment1, fragment2)
        return conflicts

    def _between(
        self,
        conflicts: list[_Conflict],
        exclusive: bool,
        collected1: _Collected,
        collected2: _Collected,
    ) -> None:
        """Conflicts between two collections of fields (each already checked within)."""
        if not collected1.groups or not collected2.groups:
            return
        overlaps = collected1.overlaps.get(id(collected2))
        if overlaps is None:
            groups2 = collected2.groups
            self._spend(len(collected1.groups))
            overlaps = [
                (name, fields1, groups2[name])
                for name, fields1 in collected1.groups.items()
                if name in groups2
            ]
            collected1.overlaps[id(collected2)] = overlaps
        for name, fields1, fields2 in overlaps:
            for field1 in fields1:
                for field2 in fields2:
                    conflict = self._find_conflict(exclusive, name, field1, field2)
                    if conflict is not None:
                        conflicts.append(conflict)

    def _find_conflict(
        self, parent_exclusive: bool, name: str, field1: _Field, field2: _Field
    ) -> _Conflict | None:
        """Whether two fields of one response name conflict, subfields included."""
        self._spend(2)
        definition1 = field1.definition
        definition2 = field2.definition
        type1 = definition1.type if definition1 is not None else None
        type2 = definition2.type if definition2 is not None else None
        if field1.simple and field2.simple and type1 is type2 and field1.name == field2.name:
            return None
        node1 = field1.node
        node2 = field2.node
        # Parents that are different object types can never be the same object, so
        # the fields may then differ in name and arguments.
        parent1 = field1.parent_type
        parent2 = field2.parent_type
        exclusive = parent_exclusive or (
            parent1 is not parent2
            and isinstance(parent1, GraphQLObjectType)
            and isinstance(parent2, GraphQLObjectType)
        )
        if not exclusive:
            if field1.name != field2.name:
                return (
                    name,
                    f'"{_abbreviate(field1.name)}" and "{_abbreviate(field2.name)}" '
                    "are different fields",
                    [node1],
                    [node2],
                )
            if not self._same_arguments(node1, node2):
                return (name, "they have differing arguments", [node1], [node2])
        if type1 is not None and type2 is not None and self._types_conflict(type1, type2):
            return (
                name,
                f'they return conflicting types "{type1}" and "{type2}"',
                [node1],
                [node2],
            )
        selection_set1 = node1.selection_set
        selection_set2 = node2.selection_set
        if selection_set1 is not None and selection_set2 is not None:
            conflicts = self._between_sub_selections(
                exclusive,
                get_named_type(type1),
                selection_set1,
                get_named_type(type2),
                selection_set2,
            )
            if conflicts:
                return _subfield_conflicts(conflicts, name, node1, node2)
        return None

    def _types_conflict(self, type1: Any, type2: Any) -> bool:
        """Whether two result types differ in shape: lists and non-nulls must match,
        and leaf types must be the same type. Composite types are compared later
        through their subfields."""
        while True:
            if type1 is type2:
                return False
            self._spend(1)
            if isinstance(type1, GraphQLList) or isinstance(type2, GraphQLList):
                if not (isinstance(type1, GraphQLList) and isinstance(type2, GraphQLList)):
                    return True
            elif isinstance(type1, GraphQLNonNull) or isinstance(type2, GraphQLNonNull):
                if not (isinstance(type1, GraphQLNonNull) and isinstance(type2, GraphQLNonNull)):
                    return True
            else:
                return isinstance(type1, _LEAF) or isinstance(type2, _LEAF)
            type1 = type1.of_type
            type2 = type2.of_type

    def _same_arguments(self, node1: FieldNode, node2: FieldNode) -> bool:
        arguments1 = node1.arguments
        arguments2 = node2.arguments
        if not arguments1:
            return not arguments2
        if len(arguments1) != len(arguments2):
            return False
        values2 = {argument.name.value: argument.value for argument in arguments2}
        for argument in arguments1:
            self._spend(1)
            value2 = values2.get(argument.name.value)
            if value2 is None or self._value_key(argument.value) != self._value_key(value2):
                return False
        return True

    def _value_key(self, node: ValueNode) -> object:
        """A hashable form of a literal; input object fields in name order."""
        key = self._value_keys.get(id(node))
        if key is None:
            key = self._value_keys[id(node)] = _value_key(node)
        return key

    def _collect(self, parent_type: Any, selection_set: SelectionSetNode) -> _Collected:
        """The fields (with inline fragments expanded) and spreads of a selection set."""
        cache_key = (id(parent_type), id(selection_set))
        collected = self._collected.get(cache_key)
        if collected is None:
            groups: dict[str, list[_Field]] = {}
            spreads: list[FragmentSpreadNode] = []
            schema = self.context.schema
            stack: list[tuple[Any, Any]] = [(iter(selection_set.selections), parent_type)]
            while stack:
                selections, current_type = stack[-1]
                selection: SelectionNode | None = next(selections, None)
                if selection is None:
                    stack.pop()
                elif isinstance(selection, FieldNode):
                    name = selection.name.value
                    definition = (
                        current_type.fields.get(name)
                        if isinstance(current_type, _WITH_FIELDS)
                        else None
                    )
                    key = selection.alias.value if selection.alias is not None else name
                    field = _Field(selection, current_type, definition)
                    group = groups.get(key)
                    if group is None:
                        groups[key] = [field]
                    else:
                        group.append(field)
                elif isinstance(selection, FragmentSpreadNode):
                    spreads.append(selection)
                else:
                    condition = selection.type_condition  # type: ignore[attr-defined]
                    inner_type = (
                        type_from_ast(schema, condition) if condition is not None else current_type
                    )
                    stack.append((iter(selection.selection_set.selections), inner_type))  # type: ignore[attr-defined]
            collected = self._collected[cache_key] = _Collected(groups, spreads)
        return collected

    def _collect_fragment(self, fragment: FragmentDefinitionNode) -> _Collected:
        return self._collect(
            type_from_ast(self.context.schema, fragment.type_condition), fragment.selection_set
        )

    def _fragments_of(self, collected: _Collected) -> list[FragmentDefinitionNode]:
        """The defined fragments a collection spreads, each once, in order of first spread."""
        fragments = collected.fragments
        if fragments is None:
            found: dict[int, FragmentDefinitionNode] = {}
            lookup = self.context.fragments
            for spread in collected.spreads:
                self._spend(1)
                fragment = lookup.get(spread.name.value)
                if fragment is not None:
                    found.setdefault(id(fragment), fragment)
            fragments = collected.fragments = list(found.values())
        return fragments


def _subfield_conflicts(
    conflicts: list[_Conflict], name: str, node1: FieldNode, node2: FieldNode
) -> _Conflict:
    """One conflict for two fields whose subfields conflict."""
    reason = ""
    for sub_name, sub_reason, _, _ in conflicts:
        reason += (" and " if reason else "") + (
            f'subfields "{_abbreviate(sub_name)}" conflict because {sub_reason}'
        )
        if len(reason) > _MAX_DETAIL:
            break
    return (
        name,
        _abbreviate(reason),
        _conflict_nodes(node1, [conflict[2] for conflict in conflicts]),
        _conflict_nodes(node2, [conflict[3] for conflict in conflicts]),
    )


def _conflict_nodes(node: FieldNode, nested: list[list[FieldNode]]) -> list[FieldNode]:
    """The field, then the conflicting subfields, at most ``_MAX_NODES`` in all."""
    nodes = [node]
    for fields in nested:
        nodes += fields[len(nodes) - _MAX_NODES :]
        if len(nodes) == _MAX_NODES:
            break
    return nodes


def _value_key(node: ValueNode) -> object:
    """A hashable form of a literal that equals another's when they mean the same."""
    if isinstance(node, VariableNode):
        return ("$", node.name.value)
    if isinstance(node, ObjectValueNode):
        fields = sorted(node.fields, key=lambda field: field.name.value)
        return ("{", tuple((field.name.value, _value_key(field.value)) for field in fields))
    if isinstance(node, ListValueNode):
        return ("[", tuple(_value_key(item) for item in node.values))
    if isinstance(node, StringValueNode):
        return ("String", node.value, node.block)
    if isinstance(node, NullValueNode):
        return ("Null",)
    return (_SCALAR_KINDS[type(node)], node.value)  # type: ignore[attr-defined]
