"""Directive definitions and the built-in directives (section 3.13).

``@skip`` and ``@include`` (section 3.13.1-2) steer execution; ``@deprecated``
(3.13.3), ``@specifiedBy`` (3.13.4) and ``@oneOf`` (working draft, "OneOf Input
Objects") annotate the type system. Their descriptions and arguments are
graphql-js 17's, so a schema prints and introspects the same in both engines:
``@deprecated(reason: String! = "No longer supported")`` also applies to
directive definitions, as in the working draft.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Any

from wire.graphql._ast import DirectiveDefinitionNode, DirectiveExtensionNode
from wire.graphql._definition import (
    GraphQLArgument,
    GraphQLNonNull,
    GraphQLType,
    _argument_map,
    assert_name,
)
from wire.graphql._errors import inspect
from wire.graphql._scalars import GraphQLBoolean, GraphQLString

__all__ = [
    "DEFAULT_DEPRECATION_REASON",
    "DirectiveLocation",
    "GraphQLDeprecatedDirective",
    "GraphQLDirective",
    "GraphQLIncludeDirective",
    "GraphQLOneOfDirective",
    "GraphQLSkipDirective",
    "GraphQLSpecifiedByDirective",
    "is_specified_directive",
    "specified_directives",
]


class DirectiveLocation(Enum):
    """DirectiveLocation (section 3.13), with the working draft's additions.

    Each member's value is its name, as it appears in SDL and introspection.
    """

    # ExecutableDirectiveLocation
    QUERY = "QUERY"
    MUTATION = "MUTATION"
    SUBSCRIPTION = "SUBSCRIPTION"
    FIELD = "FIELD"
    FRAGMENT_DEFINITION = "FRAGMENT_DEFINITION"
    FRAGMENT_SPREAD = "FRAGMENT_SPREAD"
    INLINE_FRAGMENT = "INLINE_FRAGMENT"
    VARIABLE_DEFINITION = "VARIABLE_DEFINITION"
    FRAGMENT_VARIABLE_DEFINITION = "FRAGMENT_VARIABLE_DEFINITION"
    # TypeSystemDirectiveLocation
    SCHEMA = "SCHEMA"
    SCALAR = "SCALAR"
    OBJECT = "OBJECT"
    FIELD_DEFINITION = "FIELD_DEFINITION"
    ARGUMENT_DEFINITION = "ARGUMENT_DEFINITION"
    INTERFACE = "INTERFACE"
    UNION = "UNION"
    ENUM = "ENUM"
    ENUM_VALUE = "ENUM_VALUE"
    INPUT_OBJECT = "INPUT_OBJECT"
    INPUT_FIELD_DEFINITION = "INPUT_FIELD_DEFINITION"
    DIRECTIVE_DEFINITION = "DIRECTIVE_DEFINITION"


class GraphQLDirective:
    """A directive definition (section 3.13).

    Args:
        name: The directive's name, without ``@``.
        locations: Where it may appear: ``DirectiveLocation`` members or their names.
        args: Argument name -> ``GraphQLArgument`` (or a bare input type).
        is_repeatable: Whether it may appear more than once at one location.
        description: Its description.
        deprecation_reason: Why it is deprecated (working draft), or ``None``.
        ast_node: The definition it was built from.
        extension_ast_nodes: The extensions it was built from (working draft).

    Raises:
        TypeError: a location is not a ``DirectiveLocation`` or its name.
    """

    __slots__ = (
        "args",
        "ast_node",
        "deprecation_reason",
        "description",
        "extension_ast_nodes",
        "is_repeatable",
        "locations",
        "name",
    )

    name: str
    locations: tuple[DirectiveLocation, ...]
    args: dict[str, GraphQLArgument]

    def __init__(
        self,
        name: str,
        locations: Iterable[DirectiveLocation | str],
        args: Mapping[str, GraphQLArgument | GraphQLType] | None = None,
        *,
        is_repeatable: bool = False,
        description: str | None = None,
        deprecation_reason: str | None = None,
        ast_node: DirectiveDefinitionNode | None = None,
        extension_ast_nodes: Iterable[DirectiveExtensionNode] = (),
    ) -> None:
        self.name = assert_name(name)
        self.locations = tuple(_location(location) for location in locations)
        self.args = _argument_map(args)
        self.is_repeatable = is_repeatable
        self.description = description
        self.deprecation_reason = deprecation_reason
        self.ast_node = ast_node
        self.extension_ast_nodes = tuple(extension_ast_nodes)

    def __str__(self) -> str:
        return f"@{self.name}"

    def __repr__(self) -> str:
        return f"<GraphQLDirective @{self.name}>"


def _location(location: Any) -> DirectiveLocation:
    if isinstance(location, DirectiveLocation):
        return location
    try:
        return DirectiveLocation[location]
    except (KeyError, TypeError):
        raise TypeError(f"Expected {inspect(location)} to be a directive location.") from None


_EXECUTABLE_FRAGMENT_LOCATIONS = (
    DirectiveLocation.FIELD,
    DirectiveLocation.FRAGMENT_SPREAD,
    DirectiveLocation.INLINE_FRAGMENT,
)

#: ``@include(if: Boolean!)`` (section 3.13.2).
GraphQLIncludeDirective = GraphQLDirective(
    "include",
    _EXECUTABLE_FRAGMENT_LOCATIONS,
    {"if": GraphQLArgument(GraphQLNonNull(GraphQLBoolean), description="Included when true.")},
    description="Directs the executor to include this field or fragment only when the `if`"
    " argument is true.",
)

#: ``@skip(if: Boolean!)`` (section 3.13.1).
GraphQLSkipDirective = GraphQLDirective(
    "skip",
    _EXECUTABLE_FRAGMENT_LOCATIONS,
    {"if": GraphQLArgument(GraphQLNonNull(GraphQLBoolean), description="Skipped when true.")},
    description="Directs the executor to skip this field or fragment when the `if` argument"
    " is true.",
)

#: The reason ``@deprecated`` gives when none is written (section 3.13.3).
DEFAULT_DEPRECATION_REASON = "No longer supported"

#: ``@deprecated(reason: String! = "No longer supported")`` (section 3.13.3).
GraphQLDeprecatedDirective = GraphQLDirective(
    "deprecated",
    (
        DirectiveLocation.FIELD_DEFINITION,
        DirectiveLocation.ARGUMENT_DEFINITION,
        DirectiveLocation.INPUT_FIELD_DEFINITION,
        DirectiveLocation.ENUM_VALUE,
        DirectiveLocation.DIRECTIVE_DEFINITION,
    ),
    {
        "reason": GraphQLArgument(
            GraphQLNonNull(GraphQLString),
            DEFAULT_DEPRECATION_REASON,
            description="Explains why this element was deprecated, usually also including a"
            " suggestion for how to access supported similar data. Formatted using the"
            " Markdown syntax, as specified by [CommonMark](https://commonmark.org/).",
        )
    },
    description="Marks an element of a GraphQL schema as no longer supported.",
)

#: ``@specifiedBy(url: String!)`` (section 3.13.4).
GraphQLSpecifiedByDirective = GraphQLDirective(
    "specifiedBy",
    (DirectiveLocation.SCALAR,),
    {
        "url": GraphQLArgument(
            GraphQLNonNull(GraphQLString),
            description="The URL that specifies the behavior of this scalar.",
        )
    },
    description="Exposes a URL that specifies the behavior of this scalar.",
)

#: ``@oneOf`` (working draft, "OneOf Input Objects").
GraphQLOneOfDirective = GraphQLDirective(
    "oneOf",
    (DirectiveLocation.INPUT_OBJECT,),
    description="Indicates exactly one field must be supplied and this field must not be `null`.",
)

#: The built-in directives, in the order graphql-js lists them.
specified_directives: tuple[GraphQLDirective, ...] = (
    GraphQLIncludeDirective,
    GraphQLSkipDirective,
    GraphQLDeprecatedDirective,
    GraphQLSpecifiedByDirective,
    GraphQLOneOfDirective,
)

_SPECIFIED_NAMES = frozenset(directive.name for directive in specified_directives)


def is_specified_directive(directive: GraphQLDirective) -> bool:
    """Whether ``directive`` is one of the built-in directives (by name, as graphql-js)."""
    return directive.name in _SPECIFIED_NAMES
