"""Walking a GraphQL AST with many visitors at once, without recursion.

Validation runs every rule over the document in one traversal, as graphql-js's
``ParallelVisitor`` does. What each rule sees is decided once per set of rules,
not per node:

* every node class has a fixed list of child fields (taken from the dataclass
  fields at import, in source order, ``loc`` and ``description`` left out:
  descriptions take no part in validation, GraphQL draft section 2.2);
* a :class:`WalkPlan` knows, for each node class, the handlers to call on entering
  and leaving it, and only the child fields whose subtree can hold a node some
  handler wants; the rest of the tree is never touched (no rule reads ``NameNode``,
  so no name is ever visited);
* the walk keeps its own stack, so nesting depth costs memory, never Python frames.

Handlers are plain callables taking the node; they return nothing and cannot
skip a subtree: a rule that wants to ignore part of the tree keeps that state
itself. The ``variable`` of a ``VariableDefinitionNode`` is not visited: it
declares a variable and is no usage of one. Neither are the experimental fragment
arguments (see ``_KEYS``).
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence

from wire.graphql import _ast
from wire.graphql._ast import Node

__all__ = ["NODE_CLASSES", "Handler", "WalkPlan", "kind_of", "walk"]

#: A visitor callback: called with the node entered or left.
Handler = Callable[[Node], None]


def _concrete_classes() -> tuple[type[Node], ...]:
    classes = [
        value
        for name in _ast.__all__
        if isinstance(value := getattr(_ast, name), type) and issubclass(value, Node)
    ]
    return tuple(cls for cls in classes if not any(other.__base__ is cls for other in classes))


#: Every node class the parser can produce (the abstract groups left out).
NODE_CLASSES: tuple[type[Node], ...] = _concrete_classes()

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def kind_of(cls: type[Node]) -> str:
    """The snake_case kind of a node class, as in handler names: ``FieldNode`` -> ``field``."""
    return _CAMEL.sub("_", cls.__name__.removesuffix("Node")).lower()


def _node_classes_in(annotation: object) -> set[type[Node]]:
    if isinstance(annotation, type):
        if issubclass(annotation, Node):
            return {cls for cls in NODE_CLASSES if issubclass(cls, annotation)}
        return set()
    found: set[type[Node]] = set()
    for argument in typing.get_args(annotation):
        found |= _node_classes_in(argument)
    return found


# The order graphql-js visits the child fields in (language/ast.ts QueryDocumentKeys),
# which the dataclass field order does not follow. Descriptions are left out (they
# take no part in validation), and so is the variable a VariableDefinition declares.
# So are the experimental fragment arguments (the arguments of a fragment spread and
# the variables of a fragment definition): their validation rules are not
# implemented, and walking them as field arguments would misreport them.
_KEYS: Mapping[str, tuple[str, ...]] = types.MappingProxyType(
    {
        "document": ("definitions",),
        "operation_definition": ("name", "variable_definitions", "directives", "selection_set"),
        "variable_definition": ("type", "default_value", "directives"),
        "variable": ("name",),
        "selection_set": ("selections",),
        "field": ("alias", "name", "arguments", "directives", "selection_set"),
        "argument": ("name", "value"),
        "fragment_spread": ("name", "directives"),
        "inline_fragment": ("type_condition", "directives", "selection_set"),
        "fragment_definition": ("name", "type_condition", "directives", "selection_set"),
        "list_value": ("values",),
        "object_value": ("fields",),
        "object_field": ("name", "value"),
        "directive": ("name", "arguments"),
        "named_type": ("name",),
        "list_type": ("type",),
        "non_null_type": ("type",),
        "schema_definition": ("directives", "operation_types"),
        "operation_type_definition": ("type",),
        "scalar_type_definition": ("name", "directives"),
        "object_type_definition": ("name", "interfaces", "directives", "fields"),
        "field_definition": ("name", "arguments", "type", "directives"),
        "input_value_definition": ("name", "type", "default_value", "directives"),
        "interface_type_definition": ("name", "interfaces", "directives", "fields"),
        "union_type_definition": ("name", "directives", "types"),
        "enum_type_definition": ("name", "directives", "values"),
        "enum_value_definition": ("name", "directives"),
        "input_object_type_definition": ("name", "directives", "fields"),
        "directive_definition": ("name", "arguments", "directives", "locations"),
        "schema_extension": ("directives", "operation_types"),
        "directive_extension": ("name", "directives"),
        "scalar_type_extension": ("name", "directives"),
        "object_type_extension": ("name", "interfaces", "directives", "fields"),
        "interface_type_extension": ("name", "interfaces", "directives", "fields"),
        "union_type_extension": ("name", "directives", "types"),
        "enum_type_extension": ("name", "directives", "values"),
        "input_object_type_extension": ("name", "directives", "fields"),
    }
)


def _child_fields() -> dict[type[Node], tuple[tuple[str, frozenset[type[Node]]], ...]]:
    table: dict[type[Node], tuple[tuple[str, frozenset[type[Node]]], ...]] = {}
    namespace = vars(_ast)
    for cls in NODE_CLASSES:
        hints = typing.get_type_hints(cls, namespace)
        keys = _KEYS.get(kind_of(cls), ())
        table[cls] = tuple((name, frozenset(_node_classes_in(hints[name]))) for name in keys)
    return table


# For each node class, its child fields and the node classes each may hold.
_CHILDREN = _child_fields()


def _descendants() -> dict[type[Node], frozenset[type[Node]]]:
    """The node classes that can occur anywhere below each node class."""
    below: dict[type[Node], set[type[Node]]] = {
        cls: set().union(*(classes for _, classes in children))
        for cls, children in _CHILDREN.items()
    }
    changed = True
    while changed:
        changed = False
        for cls, found in below.items():
            grown = found.union(*(below[child] for child in found))
            if len(grown) != len(found):
                below[cls] = grown
                changed = True
    return {cls: frozenset(found) for cls, found in below.items()}


_DESCENDANTS = _descendants()

#: What the walk knows about one node class: handlers on entering, handlers on
#: leaving, and the child fields to descend into, last first.
_Entry = tuple[tuple[Handler, ...], tuple[Handler, ...], tuple[str, ...]]


class WalkPlan:
    """The handlers of a set of visitors, arranged per node class for :func:`walk`.

    Args:
        enter: For each node class, the handlers to call when a node is entered, in order.
        leave: For each node class, the handlers to call when a node is left, in order.
    """

    __slots__ = ("entries",)

    entries: dict[type[Node], _Entry]

    def __init__(
        self,
        enter: Mapping[type[Node], Sequence[Handler]],
        leave: Mapping[type[Node], Sequence[Handler]],
    ) -> None:
        wanted = {cls for cls in NODE_CLASSES if enter.get(cls) or leave.get(cls)}
        # A class is worth visiting when it or something below it has a handler.
        useful = {cls for cls in NODE_CLASSES if cls in wanted or _DESCENDANTS[cls] & wanted}
        self.entries = {
            cls: (
                tuple(enter.get(cls, ())),
                tuple(leave.get(cls, ())),
                tuple(name for name, classes in reversed(_CHILDREN[cls]) if classes & useful),
            )
            for cls in NODE_CLASSES
        }


def walk(root: Node, plan: WalkPlan) -> None:
    """Visit ``root`` and its subtree depth-first, calling the plan's handlers.

    Children are visited in field order; a node's leave handlers run after its
    whole subtree. Exceptions raised by handlers propagate and end the walk.

    Args:
        root: The node to start from, usually a ``DocumentNode``.
        plan: The handlers, from :class:`WalkPlan`.
    """
    entries = plan.entries
    # The stack holds nodes still to enter and (leave handlers, node) pairs.
    stack: list[object] = [root]
    pop = stack.pop
    push = stack.append
    extend = stack.extend
    while stack:
        item = pop()
        if item.__class__ is tuple:
            leaves, left = typing.cast(tuple[tuple[Handler, ...], Node], item)
            for handler in leaves:
                handler(left)
            continue
        node = typing.cast(Node, item)
        enters, leaves, children = entries[node.__class__]
        for handler in enters:
            handler(node)
        if leaves:
            push((leaves, node))
        for name in children:
            child = getattr(node, name)
            if child.__class__ is tuple:
                extend(reversed(child))
            elif child is not None:
                push(child)
