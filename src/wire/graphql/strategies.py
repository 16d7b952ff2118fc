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
from typing import Any, TypeVar

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
from wire.graphql._definition import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLType,
    get_nullable_type,
)
from wire.graphql._lexer import tokenize
from wire.graphql._printer import print_ast

__all__ = [
    "definitions",
    "directives",
    "document_sources",
    "documents",
    "executable_definitions",
    "input_literals",
    "input_values",
    "names",
    "schema_sdls",
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


# Schemas ---------------------------------------------------------------------------------
#
# SDL documents describing whole schemas: objects, interfaces (implementing other
# interfaces), unions, enums, input objects (OneOf ones too), custom scalars,
# custom directives, arguments with default values, descriptions, deprecations,
# extensions and schema definitions. With ``valid=True`` the schema passes
# validate_schema; with ``valid=False`` types refer to each other freely, so the
# SDL is well formed and its types known, but the type system rules break often.

_BUILT_IN_NAMES = frozenset(
    {"String", "Int", "Float", "Boolean", "ID", "Query", "Mutation", "Subscription"}
)
_TYPE_NAMES = st.from_regex(r"[A-Z][A-Za-z0-9_]{0,6}", fullmatch=True).filter(
    lambda name: name not in _BUILT_IN_NAMES
)
_FIELD_NAMES = st.from_regex(r"[a-z][A-Za-z0-9_]{0,6}", fullmatch=True)
_VALUE_NAMES = st.from_regex(r"[A-Z][A-Z0-9_]{0,5}", fullmatch=True)
_SCALARS = ("String", "Int", "Float", "Boolean", "ID")
# String literals in defaults: no apostrophe, so that messages quoting them compare
# cleanly with graphql-core's, which quotes names with apostrophes.
_LITERAL_TEXT = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="'") | st.sampled_from('\n\t "\\'),
    max_size=10,
)
_DESCRIPTION_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]) | st.sampled_from('\n \t"\\'),
    max_size=12,
)


class _Schema:
    """The plan of a generated schema: kinds of the named types and what they hold."""

    def __init__(self, kinds: dict[str, str], valid: bool) -> None:
        self.kinds = kinds
        self.valid = valid
        self.deep: set[str] = set()  # input objects with a required input object field
        self.fields: dict[str, dict[str, tuple[str, list[tuple[str, str, str | None]]]]] = {}
        self.interfaces: dict[str, list[str]] = {}
        self.members: dict[str, list[str]] = {}
        self.values: dict[str, list[str]] = {}
        self.inputs: dict[str, list[tuple[str, str, str | None]]] = {}
        self.one_of: set[str] = set()

    def named(self, kind: str) -> list[str]:
        return [name for name, k in self.kinds.items() if k == kind]

    def may_default(self, type_text: str) -> bool:
        """Whether a default value may be written for this type (an input type)."""
        return self.kinds.get(type_text.strip("[]!"), "scalar") in ("scalar", "enum", "input")


@st.composite
def _description(draw: st.DrawFn, indent: str = "") -> str:
    if not draw(st.booleans()) or draw(st.booleans()):
        return ""
    text = draw(_DESCRIPTION_TEXT)
    block = draw(st.booleans()) and _is_block_printable(text) and "\\" not in text
    literal = print_ast(StringValueNode(text, block=block))
    return literal.replace("\n", "\n" + indent) + "\n" + indent


@st.composite
def _wrap(draw: st.DrawFn, name: str, non_null: bool | None = None) -> str:
    text = name
    if draw(st.integers(0, 3)) == 0:
        if draw(st.booleans()):
            text += "!"
        text = f"[{text}]"
    if non_null if non_null is not None else draw(st.booleans()):
        text += "!"
    return text


def _literal_for(draw: st.DrawFn, plan: _Schema, type_text: str, depth: int = 0) -> str:
    """A literal valid for ``type_text`` (a type reference in SDL) in ``plan``."""
    if type_text.endswith("!"):
        type_text = type_text[:-1]
    elif not draw(st.integers(0, 5)):
        return "null"
    if type_text.startswith("["):
        inner = type_text[1:-1]
        if draw(st.booleans()):  # one item for the list (section 3.11 input coercion)
            return _literal_for(draw, plan, inner.rstrip("!") + "!", depth + 1)
        items = draw(st.integers(0, 0 if depth > 1 else 2))
        return (
            "[" + ", ".join(_literal_for(draw, plan, inner, depth + 1) for _ in range(items)) + "]"
        )
    kind = plan.kinds.get(type_text)
    if kind == "enum":
        return draw(st.sampled_from(plan.values[type_text]))
    if kind == "input":
        # With valid=False, fields may have output types (no literal), and required
        # input object fields may refer to each other forever: both are left out.
        fields = [
            field
            for field in plan.inputs[type_text]
            if plan.may_default(field[1])
            and (plan.valid or plan.kinds.get(field[1].strip("[]!")) != "input")
        ]
        if type_text in plan.one_of and fields:
            name, field_type, _ = draw(st.sampled_from(fields))
            return (
                "{"
                + f"{name}: "
                + _literal_for(draw, plan, field_type.rstrip("!") + "!", depth + 1)
                + "}"
            )
        chosen = []
        for name, field_type, default in fields:
            required = field_type.endswith("!") and default is None
            if required or (depth < 2 and draw(st.booleans())):
                chosen.append(f"{name}: " + _literal_for(draw, plan, field_type, depth + 1))
        return "{" + ", ".join(chosen) + "}"
    if kind == "scalar":
        return draw(st.sampled_from(['"custom"', "1", "[1, 2]", "{a: true}"]))
    if type_text == "Int" or (type_text == "ID" and draw(st.booleans())):
        return str(draw(st.integers(-(2**31), 2**31 - 1)))
    if type_text == "Float":
        return draw(st.sampled_from(["0", "1.5", "-2e3", "3.25E-1", "10"]))
    if type_text == "Boolean":
        return draw(st.sampled_from(["true", "false"]))
    text = draw(_LITERAL_TEXT)
    block = draw(st.booleans()) and _is_block_printable(text)
    return print_ast(StringValueNode(text, block=block))


@st.composite
def _deprecation(draw: st.DrawFn) -> str:
    choice = draw(st.integers(0, 5))
    if choice == 0:
        return " @deprecated"
    if choice == 1:
        return f" @deprecated(reason: {print_ast(draw(string_values(block=False)))})"
    return ""


@st.composite
def schema_sdls(draw: st.DrawFn, *, valid: bool = True) -> str:
    """Generate the SDL of a whole schema.

    Args:
        valid: Keep to the type system rules, so ``validate_schema`` finds nothing;
            when false, types refer to each other freely and rules break often (the
            SDL itself always passes the SDL rules: every type it names is defined).

    Returns:
        A strategy of SDL text.
    """
    names = draw(st.lists(_TYPE_NAMES, min_size=1, max_size=9, unique=True))
    kinds = {"Query": "object"}
    for name in names:
        kinds[name] = draw(
            st.sampled_from(["object", "object", "interface", "union", "enum", "input", "scalar"])
        )
    plan = _Schema(kinds, valid)
    output_names = [*_SCALARS, *(n for n, k in kinds.items() if k != "input")]
    input_names = [*_SCALARS, *(n for n, k in kinds.items() if k in ("enum", "input", "scalar"))]
    if not valid:
        output_names = input_names = [*_SCALARS, *kinds]

    for name in plan.named("enum"):
        plan.values[name] = draw(st.lists(_VALUE_NAMES, min_size=1, max_size=4, unique=True))
    # Input objects: a non-null field may only hold an earlier input object, so every
    # input object can be given a finite value.
    inputs = plan.named("input")
    for index, name in enumerate(inputs):
        one_of = draw(st.integers(0, 3)) == 0
        if one_of:
            plan.one_of.add(name)
        fields: list[tuple[str, str, str | None]] = []
        for field_name in draw(st.lists(_FIELD_NAMES, min_size=1, max_size=4, unique=True)):
            named = draw(st.sampled_from(input_names))
            if (
                valid
                and kinds.get(named) == "input"
                and (inputs.index(named) >= index or named in plan.deep)
            ):
                # A later input object (or this one, or one that itself needs another)
                # only in a nullable field, and in a OneOf input object only in a list:
                # every input object has a finite value, and a small one.
                field_type = f"[{named}]" if one_of else draw(_wrap(named, non_null=False))
            else:
                field_type = draw(_wrap(named, non_null=False if valid and one_of else None))
                if kinds.get(named) == "input" and field_type.endswith("!"):
                    plan.deep.add(name)
            fields.append((field_name, field_type, None))
        plan.inputs[name] = fields
    for name in inputs:
        if name in plan.one_of and valid:
            continue
        with_defaults = []
        for field_name, field_type, _ in plan.inputs[name]:
            default = None
            named = field_type.strip("[]!")
            if (
                kinds.get(named) != "input"
                and plan.may_default(named)
                and draw(st.integers(0, 3)) == 0
            ):
                default = _literal_for(draw, plan, field_type)
            with_defaults.append((field_name, field_type, default))
        plan.inputs[name] = with_defaults

    # Interfaces implement earlier interfaces (and everything those implement).
    interfaces = plan.named("interface")
    for index, name in enumerate(interfaces):
        chosen = (
            draw(st.lists(st.sampled_from(interfaces), max_size=2, unique=True))
            if (interfaces)
            else []
        )
        if valid:
            chosen = _closure(plan, [i for i in chosen if interfaces.index(i) < index])
        plan.interfaces[name] = chosen
        own = draw(_fields(plan, output_names, input_names, valid))
        if valid:  # unrelated interfaces never share a field name
            own = {f"{field}_{index}": definition for field, definition in own.items()}
        plan.fields[name] = own
        if valid:
            _inherit(plan, name)
    for name in plan.named("object"):
        chosen = (
            draw(st.lists(st.sampled_from(interfaces), max_size=3, unique=True))
            if interfaces
            else []
        )
        plan.interfaces[name] = _closure(plan, chosen) if valid else chosen
        plan.fields[name] = draw(_fields(plan, output_names, input_names, valid))
        if valid:
            _inherit(plan, name)
    objects = plan.named("object")
    for name in plan.named("union"):
        pool = objects if valid else [*kinds]
        plan.members[name] = draw(
            st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=valid)
        )

    parts = [draw(_definition(plan, name, valid)) for name in draw(st.permutations(list(kinds)))]
    directive_count = draw(st.integers(0, 2))
    for index in range(directive_count):
        args = draw(_argument_list(plan, input_names, valid))
        repeatable = " repeatable" if draw(st.booleans()) else ""
        locations = draw(
            st.lists(
                st.sampled_from(sorted(DIRECTIVE_LOCATIONS)), min_size=1, max_size=3, unique=True
            )
        )
        parts.append(
            draw(_description())
            + f"directive @dir{index}{args}{repeatable} on {' | '.join(locations)}"
        )
    if draw(st.integers(0, 3)) == 0:
        parts.append(draw(_description()) + "schema {\n  query: Query\n}")
    return "\n\n".join(parts) + "\n"


def _closure(plan: _Schema, chosen: list[str]) -> list[str]:
    result: list[str] = []
    for interface in chosen:
        for inherited in [*plan.interfaces.get(interface, []), interface]:
            if inherited not in result:
                result.append(inherited)
    return result


def _inherit(plan: _Schema, name: str) -> None:
    """Give a type every field of the interfaces it implements (same types and arguments)."""
    fields = plan.fields[name]
    for interface in plan.interfaces[name]:
        for field_name, definition in plan.fields[interface].items():
            fields[field_name] = definition


@st.composite
def _fields(
    draw: st.DrawFn, plan: _Schema, output_names: list[str], input_names: list[str], valid: bool
) -> dict[str, tuple[str, list[tuple[str, str, str | None]]]]:
    fields = {}
    for field_name in draw(
        st.lists(_FIELD_NAMES, min_size=0 if not valid else 1, max_size=4, unique=True)
    ):
        field_type = draw(_wrap(draw(st.sampled_from(output_names))))
        arguments = []
        for arg_name in draw(st.lists(_FIELD_NAMES, max_size=2, unique=True)):
            arg_type = draw(_wrap(draw(st.sampled_from(input_names))))
            default = None
            if plan.may_default(arg_type) and draw(st.integers(0, 2)) == 0:
                default = _literal_for(draw, plan, arg_type)
            arguments.append((arg_name, arg_type, default))
        fields[field_name] = (field_type, arguments)
    return fields


@st.composite
def _argument_list(draw: st.DrawFn, plan: _Schema, input_names: list[str], valid: bool) -> str:
    arguments = []
    for arg_name in draw(st.lists(_FIELD_NAMES, max_size=2, unique=True)):
        arg_type = draw(_wrap(draw(st.sampled_from(input_names))))
        default = ""
        if plan.may_default(arg_type) and draw(st.integers(0, 2)) == 0:
            default = f" = {_literal_for(draw, plan, arg_type)}"
        arguments.append(f"{arg_name}: {arg_type}{default}")
    return f"({', '.join(arguments)})" if arguments else ""


def _input_value_text(draw: st.DrawFn, name: str, type_text: str, default: str | None) -> str:
    text = f"{name}: {type_text}"
    if default is not None:
        text += f" = {default}"
    if not type_text.endswith("!") or default is not None:
        text += draw(_deprecation())
    return text


@st.composite
def _definition(draw: st.DrawFn, plan: _Schema, name: str, valid: bool) -> str:
    kind = plan.kinds[name]
    head = draw(_description())
    if kind == "scalar":
        url = draw(st.sampled_from(["", ' @specifiedBy(url: "https://example.com/spec")']))
        return f"{head}scalar {name}{url}"
    if kind == "enum":
        lines = [
            draw(_description("  ")) + value + draw(_deprecation()) for value in plan.values[name]
        ]
        return f"{head}enum {name} {{\n  " + "\n  ".join(lines) + "\n}"
    if kind == "union":
        return f"{head}union {name} = " + " | ".join(plan.members[name])
    if kind == "input":
        one_of = " @oneOf" if name in plan.one_of else ""
        lines = [
            draw(_description("  ")) + _input_value_text(draw, field, type_text, default)
            for field, type_text, default in plan.inputs[name]
        ]
        return f"{head}input {name}{one_of} {{\n  " + "\n  ".join(lines) + "\n}"
    keyword = "type" if kind == "object" else "interface"
    implements = " implements " + " & ".join(plan.interfaces[name]) if plan.interfaces[name] else ""
    fields = plan.fields[name]
    if not fields:
        return f"{head}{keyword} {name}{implements}"
    lines = []
    for field_name, (field_type, arguments) in fields.items():
        args = ""
        if arguments:
            args = (
                "("
                + ", ".join(
                    draw(_description()) + _input_value_text(draw, arg, arg_type, default)
                    for arg, arg_type, default in arguments
                )
                + ")"
            )
        deprecated = draw(_deprecation()) if not valid or not plan.interfaces[name] else ""
        lines.append(draw(_description("  ")) + f"{field_name}{args}: {field_type}{deprecated}")
    split = draw(st.integers(1, len(lines))) if draw(st.integers(0, 4)) == 0 else len(lines)
    text = f"{head}{keyword} {name}{implements} {{\n  " + "\n  ".join(lines[:split]) + "\n}"
    if split < len(lines):
        text += f"\n\nextend {keyword} {name} {{\n  " + "\n  ".join(lines[split:]) + "\n}"
    return text


# Input values ------------------------------------------------------------------------------

_JSON_TEXT = st.text(st.sampled_from("abAB_ 1é\n\\"), max_size=4)
_JSON_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _JSON_TEXT
)
_ANY_JSON = st.recursive(
    _JSON_LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b", "x", "value"]), inner, max_size=3)
    ),
    max_leaves=6,
)


def input_values(type_: GraphQLType, *, junk: bool = True) -> st.SearchStrategy[Any]:
    """Generate variable values (JSON-like Python data) for an input type.

    Values follow the type, so most are valid; with ``junk`` any part may be any
    JSON value instead, or lack a required field, so coercion errors turn up too.

    Args:
        type_: An input type of a schema.
        junk: Mix in invalid values.

    Returns:
        A strategy of ``None``, booleans, numbers, strings, lists and dicts.
    """
    strategy = _typed_value(type_, junk, 0)
    return st.one_of(strategy, _ANY_JSON) if junk else strategy


def _typed_value(type_: GraphQLType, junk: bool, depth: int) -> st.SearchStrategy[Any]:
    if isinstance(type_, GraphQLNonNull):
        inner = _typed_value(type_.of_type, junk, depth).filter(lambda value: value is not None)
        return st.one_of(inner, st.none()) if junk and depth else inner
    if isinstance(type_, GraphQLList):
        item = _typed_value(type_.of_type, junk, depth + 1)
        if depth > 2:
            return st.just([])
        return st.none() | item | st.lists(item, max_size=3)
    if isinstance(type_, GraphQLInputObjectType):
        if depth > 2:
            return st.none()
        return _object_value(type_, junk, depth)
    if isinstance(type_, GraphQLEnumType):
        names = st.sampled_from(sorted(type_.values))
        return names | st.sampled_from(["NOPE", "a"]) if junk else names
    name = getattr(type_, "name", "")
    scalar = _SCALAR_VALUES.get(name, _ANY_JSON)
    if junk:
        scalar = scalar | _SCALAR_JUNK.get(name, st.nothing())
    return st.none() | scalar


_SCALAR_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "Int": st.integers(-(2**31), 2**31 - 1),
    "Float": st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2**53), 2**53),
    "String": _JSON_TEXT,
    "Boolean": st.booleans(),
    "ID": _JSON_TEXT | st.integers(),
}
_SCALAR_JUNK: dict[str, st.SearchStrategy[Any]] = {
    "Int": st.integers() | st.sampled_from([1.0, 1.5, "1", True]),
    "Float": st.just("1.5") | st.integers(),
    "String": st.sampled_from([1, True, 1.5]),
    "Boolean": st.sampled_from([0, 1, "true"]),
    "ID": st.sampled_from([1.0, 1.5, False]),
}


@st.composite
def _object_value(
    draw: st.DrawFn, type_: GraphQLInputObjectType, junk: bool, depth: int
) -> dict[str, Any]:
    value: dict[str, Any] = {}
    fields = type_.fields
    if type_.is_one_of and fields and not (junk and draw(st.booleans())):
        name = draw(st.sampled_from(sorted(fields)))
        # The one field of a OneOf value is not null.
        field_type = GraphQLNonNull(get_nullable_type(fields[name].type))  # type: ignore[arg-type]
        value[name] = draw(_typed_value(field_type, junk, depth + 1))
        return value
    for name, field in fields.items():
        required = isinstance(field.type, GraphQLNonNull) and not field.has_default
        if (required and not (junk and draw(st.integers(0, 5)) == 0)) or draw(st.booleans()):
            value[name] = draw(_typed_value(field.type, junk, depth + 1))
    if junk and draw(st.integers(0, 5)) == 0:
        value[draw(st.sampled_from(["unknown", "nope"]))] = 1
    return value


def input_literals(type_: GraphQLType, *, junk: bool = True) -> st.SearchStrategy[ValueNode]:
    """Generate literals (constant value nodes) for an input type.

    Args:
        type_: An input type of a schema.
        junk: Mix in literals of the wrong kind.

    Returns:
        A strategy of ``ValueNode`` without variables.
    """
    return input_values(type_, junk=junk).map(lambda value: _literal(value, type_))


def _literal(value: Any, type_: GraphQLType) -> ValueNode:
    """The literal spelling ``value``; strings naming an enum value become enum literals."""
    named = type_
    while isinstance(named, (GraphQLNonNull, GraphQLList)):
        named = named.of_type
    if value is None:
        return NullValueNode()
    if isinstance(value, bool):
        return BooleanValueNode(value)
    if isinstance(value, int):
        return IntValueNode(str(value))
    if isinstance(value, float):
        text = repr(value)
        return FloatValueNode(text if "." in text or "e" in text else text + ".0")
    if isinstance(value, str):
        if (
            isinstance(named, GraphQLEnumType)
            and value.isidentifier()
            and value not in (_RESERVED_VALUES)
        ):
            return EnumValueNode(value)
        return StringValueNode(value)
    item_type = type_.of_type if isinstance(type_, GraphQLList) else type_
    if isinstance(value, list):
        return ListValueNode(tuple(_literal(item, item_type) for item in value))
    fields = named.fields if isinstance(named, GraphQLInputObjectType) else {}
    return ObjectValueNode(
        tuple(
            ObjectFieldNode(
                NameNode(key), _literal(item, fields[key].type if key in fields else named)
            )
            for key, item in value.items()
        )
    )
