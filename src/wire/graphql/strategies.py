"""Hypothesis strategies for GraphQL ASTs and documents.

Every AST these strategies generate prints to a document that parses back to an
equal AST (``parse(print_ast(ast)) == ast``), so they serve round-trip tests, as
well as fuzzing campaigns against other GraphQL implementations, given the text:

>>> from hypothesis import given
>>> from wire.graphql import parse, print_ast
>>> from wire.graphql.strategies import documents
>>> @given(documents())
... def test_round_trip(document):
...     assert parse(print_ast(document)) == document

:func:`document_sources` gives the text itself, tokens separated by random
ignored tokens (white space, commas, comments, byte order marks).

This module imports hypothesis, which ``wire.graphql`` itself never does.
"""

from __future__ import annotations

import functools
from typing import TypeVar

from hypothesis import strategies as st

from wire.graphql._ast import (
    DIRECTIVE_LOCATIONS,
    ArgumentNode,
    BooleanValueNode,
    DefinitionNode,
    DirectiveDefinitionNode,
    DirectiveExtensionNode,
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    EnumValueDefinitionNode,
    EnumValueNode,
    FieldDefinitionNode,
    FieldNode,
    FloatValueNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    IntValueNode,
    ListTypeNode,
    ListValueNode,
    NamedTypeNode,
    NameNode,
    NonNullTypeNode,
    NullValueNode,
    ObjectFieldNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    OperationTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    SelectionNode,
    SelectionSetNode,
    StringValueNode,
    TypeNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    ValueNode,
    VariableDefinitionNode,
    VariableNode,
)
from wire.graphql._lexer import tokenize
from wire.graphql._printer import print_ast

__all__ = [
    "definitions",
    "directives",
    "document_sources",
    "documents",
    "executable_definitions",
    "names",
    "selection_sets",
    "string_values",
    "type_references",
    "type_system_definitions",
    "values",
]

_T = TypeVar("_T")
_RESERVED_VALUES = frozenset({"true", "false", "null"})
# Keywords turn up often, so documents use them as names too.
_KEYWORDS = (
    *("query", "mutation", "subscription", "fragment", "on", "extend", "implements"),
    *("type", "interface", "union", "enum", "input", "scalar", "schema", "directive"),
    *("repeatable", "true", "false", "null"),
)
# Names drawn from a pool shrink well and generate fast; the pool covers every
# character class a Name may hold (section 2.1.9).
_NAMES = (
    *("a", "b", "f", "x", "_", "__", "__typename", "A", "Z", "T", "User", "node", "id"),
    *("a0", "_9", "camelCase", "PascalCase", "SCREAMING_CASE", "snake_case", "x_1_y"),
    *("onion", "queryType", "null_", "True", "FALSE", "Int", "String", "ID", "_on"),
)


@functools.cache
def names(*, exclude: frozenset[str] = frozenset()) -> st.SearchStrategy[NameNode]:
    """Generate a Name (section 2.1.9), keywords included.

    Args:
        exclude: Names not to generate, e.g. ``{"on"}`` for a FragmentName.

    Returns:
        A strategy of ``NameNode``.
    """
    pool = [name for name in (*_NAMES, *_KEYWORDS) if name not in exclude]
    return st.sampled_from(pool).map(NameNode)


def _is_block_printable(value: str) -> bool:
    """Whether a block string can hold ``value`` (graphql-js isPrintableAsBlockString).

    No control characters but tab and newline, no leading or trailing blank line,
    and not every line indented.
    """
    if not value:
        return True
    lines = value.split("\n")
    if any(c < " " and c not in "\t\n" for c in value):
        return False
    if not lines[0].strip(" \t") and len(lines) > 1:
        return False  # a leading blank line
    if not lines[-1].strip(" \t"):
        return False  # a trailing blank line (or a value of only blanks)
    # Every line indented: dedenting would take the indentation away.
    return len(lines) == 1 or not all(line[0] in " \t" for line in lines if line.strip(" \t"))


_TEXT = st.text(st.characters(exclude_categories=["Cs"]) | st.sampled_from('\n\t "\\'), max_size=20)


@functools.cache
def string_values(*, block: bool | None = None) -> st.SearchStrategy[StringValueNode]:
    """Generate a StringValue: any text, as a quoted string or, where it can be, a block string.

    Args:
        block: Only block strings (``True``), only quoted strings (``False``), or both.

    Returns:
        A strategy of ``StringValueNode``.
    """
    quoted = st.builds(StringValueNode, _TEXT, st.just(False))
    blocks = st.builds(
        StringValueNode,
        st.one_of(
            _TEXT.filter(_is_block_printable),
            st.lists(st.text(" \tab\"\\'", max_size=6), min_size=1, max_size=4)
            .map("\n".join)
            .filter(_is_block_printable),
        ),
        st.just(True),
    )
    if block is None:
        return quoted | blocks
    return blocks if block else quoted


_INT = st.integers(-(10**6), 10**6).map(str) | st.just("-0")
_FLOAT = st.builds(
    str.__add__,
    _INT,
    st.sampled_from([".0", ".5", ".125", ".000", "e0", "E10", "e+3", "e-07", ".5e1", ".25E-2"]),
)


@functools.cache
def values(*, const: bool = False, max_leaves: int = 8) -> st.SearchStrategy[ValueNode]:
    """Generate a Value (section 2.9), nested lists and objects included.

    Args:
        const: Leave out variables, as in default values and type system directives.
        max_leaves: Bound on the number of scalar values in one value.

    Returns:
        A strategy of ``ValueNode``.
    """
    scalars: list[st.SearchStrategy[ValueNode]] = [
        st.builds(IntValueNode, _INT),
        st.builds(FloatValueNode, _FLOAT),
        string_values(),
        st.builds(BooleanValueNode, st.booleans()),
        st.just(NullValueNode()),
        names(exclude=_RESERVED_VALUES).map(lambda name: EnumValueNode(name.value)),
    ]
    if not const:
        scalars.append(st.builds(VariableNode, names()))
    return st.recursive(
        st.one_of(scalars),
        lambda inner: st.one_of(
            st.builds(ListValueNode, st.lists(inner, max_size=4).map(tuple)),
            st.builds(
                ObjectValueNode,
                st.lists(st.builds(ObjectFieldNode, names(), inner), max_size=4).map(tuple),
            ),
        ),
        max_leaves=max_leaves,
    )


@functools.cache
def type_references() -> st.SearchStrategy[TypeNode]:
    """Generate a Type (section 2.11): named, list and non-null types.

    Returns:
        A strategy of ``TypeNode``.
    """
    named = st.builds(NamedTypeNode, names())

    def wrap(inner: st.SearchStrategy[TypeNode]) -> st.SearchStrategy[TypeNode]:
        lists = st.builds(ListTypeNode, inner)
        nullable = named | lists
        return lists | nullable.map(NonNullTypeNode)

    return st.recursive(named | named.map(NonNullTypeNode), wrap, max_leaves=4)


def _tuples(
    strategy: st.SearchStrategy[_T], max_size: int = 2
) -> st.SearchStrategy[tuple[_T, ...]]:
    return st.lists(strategy, max_size=max_size).map(tuple)


@functools.cache
def _arguments(const: bool) -> st.SearchStrategy[tuple[ArgumentNode, ...]]:
    return _tuples(st.builds(ArgumentNode, names(), values(const=const, max_leaves=4)))


@functools.cache
def directives(*, const: bool = False) -> st.SearchStrategy[tuple[DirectiveNode, ...]]:
    """Generate Directives (section 2.12): zero or more ``@name(args)``.

    Args:
        const: Leave out variables from the arguments.

    Returns:
        A strategy of tuples of ``DirectiveNode``.
    """
    return _tuples(st.builds(DirectiveNode, names(), _arguments(const)), max_size=2)


_descriptions = st.none() | string_values()
_fragment_names = names(exclude=frozenset({"on"}))


@functools.cache
def selection_sets(*, fragment_arguments: bool = False) -> st.SearchStrategy[SelectionSetNode]:
    """Generate a SelectionSet of fields, fragment spreads and inline fragments.

    Args:
        fragment_arguments: Give fragment spreads arguments (experimental syntax).

    Returns:
        A strategy of ``SelectionSetNode`` (possibly empty, as the draft allows).
    """
    spread_arguments = _arguments(False) if fragment_arguments else st.just(())
    leaves: st.SearchStrategy[SelectionNode] = st.one_of(
        st.builds(FieldNode, names(), st.none() | names(), _arguments(False), directives()),
        st.builds(FragmentSpreadNode, _fragment_names, directives(), spread_arguments),
    )

    def nest(inner: st.SearchStrategy[SelectionSetNode]) -> st.SearchStrategy[SelectionSetNode]:
        selection = st.one_of(
            leaves,
            st.builds(
                FieldNode, names(), st.none() | names(), _arguments(False), directives(), inner
            ),
            st.builds(
                InlineFragmentNode,
                inner,
                st.none() | st.builds(NamedTypeNode, names()),
                directives(),
            ),
        )
        return st.builds(SelectionSetNode, _tuples(selection, max_size=4))

    return st.recursive(
        st.builds(SelectionSetNode, _tuples(leaves, max_size=4)), nest, max_leaves=8
    )


@functools.cache
def _variable_definitions() -> st.SearchStrategy[tuple[VariableDefinitionNode, ...]]:
    return _tuples(
        st.builds(
            VariableDefinitionNode,
            st.builds(VariableNode, names()),
            type_references(),
            st.none() | values(const=True, max_leaves=4),
            directives(const=True),
            _descriptions,
        )
    )


@functools.cache
def executable_definitions(
    *, fragment_arguments: bool = False
) -> st.SearchStrategy[DefinitionNode]:
    """Generate an ExecutableDefinition: an operation or a fragment definition.

    Args:
        fragment_arguments: Use the experimental fragment variables and arguments.

    Returns:
        A strategy of ``OperationDefinitionNode`` and ``FragmentDefinitionNode``.
    """
    selections = selection_sets(fragment_arguments=fragment_arguments)
    operation = st.builds(
        OperationDefinitionNode,
        st.sampled_from(OperationType),
        selections,
        st.none() | names(),
        _variable_definitions(),
        directives(),
        _descriptions,
    )
    fragment = st.builds(
        FragmentDefinitionNode,
        _fragment_names,
        st.builds(NamedTypeNode, names()),
        selections,
        directives(),
        _variable_definitions() if fragment_arguments else st.just(()),
        _descriptions,
    )
    return operation | fragment


@functools.cache
def _input_values() -> st.SearchStrategy[tuple[InputValueDefinitionNode, ...]]:
    return _tuples(
        st.builds(
            InputValueDefinitionNode,
            names(),
            type_references(),
            st.none() | values(const=True, max_leaves=4),
            directives(const=True),
            _descriptions,
        )
    )


def _non_empty(strategy: st.SearchStrategy[_T]) -> st.SearchStrategy[tuple[_T, ...]]:
    return st.lists(strategy, min_size=1, max_size=3).map(tuple)


@functools.cache
def type_system_definitions() -> st.SearchStrategy[DefinitionNode]:
    """Generate a type system definition or extension (section 3), every kind of both.

    Returns:
        A strategy of schema, type and directive definitions and extensions.
    """
    const_directives = directives(const=True)
    some_directives = _non_empty(st.builds(DirectiveNode, names(), _arguments(True)))
    named_types = _tuples(st.builds(NamedTypeNode, names()))
    fields = _tuples(
        st.builds(
            FieldDefinitionNode,
            names(),
            type_references(),
            _input_values(),
            const_directives,
            _descriptions,
        )
    )
    enum_values = _tuples(
        st.builds(
            EnumValueDefinitionNode,
            names(exclude=_RESERVED_VALUES),
            const_directives,
            _descriptions,
        )
    )
    operation_types = _non_empty(
        st.builds(
            OperationTypeDefinitionNode,
            st.sampled_from(OperationType),
            st.builds(NamedTypeNode, names()),
        )
    )
    locations = _non_empty(st.builds(NameNode, st.sampled_from(sorted(DIRECTIVE_LOCATIONS))))
    definitions = st.one_of(
        st.builds(SchemaDefinitionNode, operation_types, const_directives, _descriptions),
        st.builds(ScalarTypeDefinitionNode, names(), const_directives, _descriptions),
        st.builds(
            ObjectTypeDefinitionNode, names(), named_types, const_directives, fields, _descriptions
        ),
        st.builds(
            InterfaceTypeDefinitionNode,
            names(),
            named_types,
            const_directives,
            fields,
            _descriptions,
        ),
        st.builds(UnionTypeDefinitionNode, names(), const_directives, named_types, _descriptions),
        st.builds(EnumTypeDefinitionNode, names(), const_directives, enum_values, _descriptions),
        st.builds(
            InputObjectTypeDefinitionNode, names(), const_directives, _input_values(), _descriptions
        ),
        st.builds(
            DirectiveDefinitionNode,
            names(),
            locations,
            _input_values(),
            st.booleans(),
            const_directives,
            _descriptions,
        ),
    )
    # An extension must add something (the grammar requires it).
    extensions = st.one_of(
        st.builds(SchemaExtensionNode, const_directives, operation_types)
        | st.builds(SchemaExtensionNode, some_directives),
        st.builds(ScalarTypeExtensionNode, names(), some_directives),
        st.builds(ObjectTypeExtensionNode, names(), named_types, const_directives, fields),
        st.builds(InterfaceTypeExtensionNode, names(), named_types, const_directives, fields),
        st.builds(UnionTypeExtensionNode, names(), const_directives, named_types),
        st.builds(EnumTypeExtensionNode, names(), const_directives, enum_values),
        st.builds(InputObjectTypeExtensionNode, names(), const_directives, _input_values()),
        st.builds(DirectiveExtensionNode, names(), some_directives),
    ).filter(_extension_adds_something)
    return definitions | extensions


def _extension_adds_something(node: DefinitionNode) -> bool:
    return any(
        getattr(node, field, ())
        for field in ("directives", "operation_types", "interfaces", "fields", "types", "values")
    )


@functools.cache
def definitions(*, fragment_arguments: bool = False) -> st.SearchStrategy[DefinitionNode]:
    """Generate any Definition: executable or type system.

    Args:
        fragment_arguments: Use the experimental fragment variables and arguments.

    Returns:
        A strategy of ``DefinitionNode``.
    """
    return executable_definitions(fragment_arguments=fragment_arguments) | type_system_definitions()


@functools.cache
def documents(
    *, executable: bool = True, type_system: bool = True, fragment_arguments: bool = False
) -> st.SearchStrategy[DocumentNode]:
    """Generate a Document of one to three definitions.

    Args:
        executable: Include operations and fragments.
        type_system: Include type system definitions and extensions.
        fragment_arguments: Use the experimental fragment variables and arguments
            (parse with ``experimental_fragment_arguments=True``).

    Returns:
        A strategy of ``DocumentNode``.
    """
    kinds = []
    if executable:
        kinds.append(executable_definitions(fragment_arguments=fragment_arguments))
    if type_system:
        kinds.append(type_system_definitions())
    return st.builds(
        DocumentNode, st.lists(st.one_of(kinds), min_size=1, max_size=3).map(tuple)
    ).filter(_unambiguous)


def _unambiguous(document: DocumentNode) -> bool:
    """Whether no shorthand query follows a definition its `{` would continue.

    ``extend schema @a`` followed by ``{ a }`` reads as one schema extension, in
    graphql-js as here: such a document does not survive printing.
    """
    previous: DefinitionNode | None = None
    for definition in document.definitions:
        if (
            previous is not None
            and type(previous) in _BLOCK_OPTIONAL
            and not getattr(previous, _BLOCK_OPTIONAL[type(previous)])
            and print_ast(definition).startswith("{")
        ):
            return False
        previous = definition
    return True


# Definitions that may end before an optional `{ ... }` block, and that block's field.
_BLOCK_OPTIONAL: dict[type[DefinitionNode], str] = {
    SchemaExtensionNode: "operation_types",
    ObjectTypeDefinitionNode: "fields",
    InterfaceTypeDefinitionNode: "fields",
    EnumTypeDefinitionNode: "values",
    InputObjectTypeDefinitionNode: "fields",
    ObjectTypeExtensionNode: "fields",
    InterfaceTypeExtensionNode: "fields",
    EnumTypeExtensionNode: "values",
    InputObjectTypeExtensionNode: "fields",
}


# Ignored tokens (section 2.1.7): UnicodeBOM, WhiteSpace, LineTerminator, Comment, Comma.
_IGNORED = st.lists(
    st.sampled_from([" ", "\t", ",", "\n", "\r", "\r\n", "\ufeff", "# comment\n", "#\r"]),
    min_size=1,
    max_size=3,
).map("".join)


@st.composite
def _reformat(draw: st.DrawFn, document: DocumentNode) -> str:
    text = print_ast(document)
    tokens = tokenize(text, len(text) + 1)
    pieces = []
    for index in range(len(tokens.kinds) - 1):  # all but the EOF
        pieces.append(draw(_IGNORED))
        pieces.append(text[tokens.starts[index] : tokens.ends[index]])
    pieces.append(draw(_IGNORED))
    return "".join(pieces)


@functools.cache
def document_sources(
    *, executable: bool = True, type_system: bool = True, fragment_arguments: bool = False
) -> st.SearchStrategy[str]:
    """Generate the text of a valid document, with random ignored tokens between tokens.

    Args:
        executable: Include operations and fragments.
        type_system: Include type system definitions and extensions.
        fragment_arguments: Use the experimental fragment variables and arguments.

    Returns:
        A strategy of GraphQL source text.
    """
    return documents(
        executable=executable, type_system=type_system, fragment_arguments=fragment_arguments
    ).flatmap(_reformat)
