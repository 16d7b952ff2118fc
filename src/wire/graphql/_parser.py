"""The GraphQL parser: recursive descent over the lexer's token lists.

Grammar references are to GraphQL October 2021 (section 2 "Language" and
section 3 "Type System"), with the working-draft additions graphql-js 17 parses:
descriptions on operations, fragments and variable definitions, directives on
directive definitions, ``extend directive``, empty selection sets and, behind a
flag, fragment arguments.

Limits: every parse is bounded by ``max_length`` characters, ``max_tokens``
tokens and ``max_depth`` levels of nesting (selection sets, list and object
values and list types together). Each nesting level costs one Python frame, so
the depth limit also bounds the recursion.

Error order is graphql-js's: the lexer reads a token when the parser moves onto
it (or looks ahead to it), so a lexical error in the current token wins over
any parse error. Every error is built by ``_fail``, ``_unexpected`` or
``_expected``, which return the lexical error instead whenever the current
token is the lexer's ``ERROR`` sentinel.

Speed: the productions of executable documents (selection sets, fields,
fragments, arguments, values, directives) keep the token cursor in a local
variable, compare token kinds as ints and take names from the lexer's token
texts; their nodes are built by ``_constructor`` functions, without the class
call. A field that is only a name (the common case) costs one comparison after
its name. A 10 KB query parses about 4x faster than with graphql-core
(``python -m benchmarks.graphql``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import ClassVar, TypeVar

from wire.errors import LocalProtocolError
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
    Location,
    NamedTypeNode,
    NameNode,
    Node,
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
    TypeSystemExtensionNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    ValueNode,
    VariableDefinitionNode,
    VariableNode,
)
from wire.graphql._errors import GraphQLSyntaxError, excerpt
from wire.graphql._lexer import (
    AMP,
    AT,
    BANG,
    BLOCK_STRING,
    BRACE_L,
    BRACE_R,
    BRACKET_L,
    BRACKET_R,
    COLON,
    DOLLAR,
    EOF,
    EQUALS,
    ERROR,
    FLOAT,
    INT,
    NAME,
    PAREN_L,
    PAREN_R,
    PIPE,
    SPREAD,
    STRING,
    describe,
    kind_name,
    tokenize,
)

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_LENGTH",
    "DEFAULT_MAX_TOKENS",
    "MAX_DEPTH_LIMIT",
    "parse",
    "parse_type",
    "parse_value",
]

#: Default for ``max_length``: characters (code points) of source.
DEFAULT_MAX_LENGTH = 1_000_000
#: Default for ``max_tokens``: lexical tokens, comments and the end not counted.
DEFAULT_MAX_TOKENS = 100_000
#: Default for ``max_depth``: nested selection sets, list/object values and list types.
DEFAULT_MAX_DEPTH = 256
#: The largest ``max_depth`` accepted: parsing (and printing) use one Python frame per
#: level, and this stays well inside CPython's default recursion limit of 1000.
MAX_DEPTH_LIMIT = 512

_OPERATION_TYPES = {
    "query": OperationType.QUERY,
    "mutation": OperationType.MUTATION,
    "subscription": OperationType.SUBSCRIPTION,
}
_STRINGS = (STRING, BLOCK_STRING)
_T = TypeVar("_T")
_N = TypeVar("_N", bound=Node)
# Location(start, end) without the NamedTuple's Python-level __new__.
_new = tuple.__new__


def _constructor(cls: type[_N]) -> Callable[..., _N]:
    """Return a function building a ``cls`` node from all its fields, ``loc`` last.

    ``_constructor(FieldNode)(name, alias, arguments, directives, selection_set, loc)``
    is ``FieldNode(name, alias, arguments, directives, selection_set, loc=loc)``, in
    half the time or less: building nodes is most of what the parser does for a
    large query.

    A node class refuses attribute assignment, so its ``__init__`` stores each field
    through the slot's descriptor, a call each. The function builds an instance of
    a twin class instead: the same base and the same slots, nothing refused, so
    each field is one plain attribute store. Then the instance becomes a ``cls``
    (``__class__`` assignment, which Python allows between classes with the same
    layout and checks): nothing of the twin is left.
    """
    twin = type(
        f"_Building{cls.__name__}",
        cls.__bases__,
        {
            "__slots__": cls.__slots__,
            "__init__": object.__init__,
            "__setattr__": object.__setattr__,
            "__delattr__": object.__delattr__,
        },
    )
    names = [spec.name for spec in fields(cls) if spec.name != "loc"]
    names.append("loc")
    lines = [f"def new_{cls.__name__}({', '.join(names)}):", "    node = _twin()"]
    lines.extend(f"    node.{name} = {name}" for name in names)
    lines.extend(("    node.__class__ = _cls", "    return node"))
    namespace: dict[str, object] = {"_twin": twin, "_cls": cls}
    exec("\n".join(lines), namespace)  # our own text, from the node's fields
    return namespace[f"new_{cls.__name__}"]  # type: ignore[return-value]


# The nodes of executable documents, the parser's hot path.
_new_name = _constructor(NameNode)
_new_field = _constructor(FieldNode)
_new_selection_set = _constructor(SelectionSetNode)
_new_argument = _constructor(ArgumentNode)
_new_fragment_spread = _constructor(FragmentSpreadNode)
_new_inline_fragment = _constructor(InlineFragmentNode)
_new_named_type = _constructor(NamedTypeNode)
_new_directive = _constructor(DirectiveNode)
_new_variable = _constructor(VariableNode)
_new_string = _constructor(StringValueNode)
_new_int = _constructor(IntValueNode)
_new_float = _constructor(FloatValueNode)
_new_enum = _constructor(EnumValueNode)
_new_object_field = _constructor(ObjectFieldNode)


def parse(
    source: str,
    *,
    max_length: int = DEFAULT_MAX_LENGTH,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    max_depth: int = DEFAULT_MAX_DEPTH,
    experimental_fragment_arguments: bool = False,
) -> DocumentNode:
    """Parse a GraphQL document: executable definitions, type system, or both.

    Args:
        source: The document text.
        max_length: Reject sources longer than this many characters.
        max_tokens: Reject documents with more lexical tokens than this.
        max_depth: Reject documents nested deeper than this (selection sets,
            list and object values and list types, counted together); at most
            ``MAX_DEPTH_LIMIT``.
        experimental_fragment_arguments: Accept variable definitions on fragment
            definitions and arguments on fragment spreads (working-draft RFC).

    Returns:
        The document's AST, each node's ``loc`` set.

    Raises:
        GraphQLSyntaxError: The source is not a valid document or exceeds a limit.
        LocalProtocolError: A limit argument is not a positive integer or
            ``max_depth`` exceeds ``MAX_DEPTH_LIMIT``.
    """
    parser = _Parser(source, max_length, max_tokens, max_depth, experimental_fragment_arguments)
    return parser.run(parser.document)


def parse_value(
    source: str,
    *,
    max_length: int = DEFAULT_MAX_LENGTH,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> ValueNode:
    """Parse a GraphQL value literal, such as ``[1, {a: $var}]``, alone.

    Args:
        source: The value text.
        max_length: Reject sources longer than this many characters.
        max_tokens: Reject values with more lexical tokens than this.
        max_depth: Reject values nested deeper than this.

    Returns:
        The value's AST (variables allowed).

    Raises:
        GraphQLSyntaxError: The source is not exactly one value or exceeds a limit.
        LocalProtocolError: A limit argument is out of range.
    """
    parser = _Parser(source, max_length, max_tokens, max_depth, False)
    return parser.run(parser.lone_value)


def parse_type(
    source: str,
    *,
    max_length: int = DEFAULT_MAX_LENGTH,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> TypeNode:
    """Parse a GraphQL type reference, such as ``[String!]!``, alone.

    Args:
        source: The type text.
        max_length: Reject sources longer than this many characters.
        max_tokens: Reject types with more lexical tokens than this.
        max_depth: Reject list types nested deeper than this.

    Returns:
        The type's AST.

    Raises:
        GraphQLSyntaxError: The source is not exactly one type or exceeds a limit.
        LocalProtocolError: A limit argument is out of range.
    """
    parser = _Parser(source, max_length, max_tokens, max_depth, False)
    return parser.run(parser.lone_type)


def _check_limit(name: str, value: int, maximum: int | None = None) -> None:
    if type(value) is not int or value < 1:
        raise LocalProtocolError(f"{name} must be a positive int, got {value!r}")
    if maximum is not None and value > maximum:
        raise LocalProtocolError(f"{name} must be at most {maximum}, got {value}")


class _Parser:
    __slots__ = (
        "_depth",
        "_ends",
        "_fragment_arguments",
        "_i",
        "_kinds",
        "_max_depth",
        "_source",
        "_starts",
        "_strings",
        "_texts",
        "_tokens",
    )

    def __init__(
        self,
        source: str,
        max_length: int,
        max_tokens: int,
        max_depth: int,
        fragment_arguments: bool,
    ) -> None:
        if not isinstance(source, str):
            raise LocalProtocolError(f"source must be a str, got {type(source).__name__}")
        _check_limit("max_length", max_length)
        _check_limit("max_tokens", max_tokens)
        _check_limit("max_depth", max_depth, MAX_DEPTH_LIMIT)
        if len(source) > max_length:
            raise GraphQLSyntaxError(
                source,
                max_length,
                f"Source contains more than {max_length} code points. Parsing aborted.",
            )
        tokens = tokenize(source, max_tokens)
        self._tokens = tokens
        self._source = source
        self._kinds = tokens.kinds
        self._starts = tokens.starts
        self._ends = tokens.ends
        self._texts = tokens.texts
        self._strings = tokens.strings
        self._i = 0
        self._depth = 0
        self._max_depth = max_depth
        self._fragment_arguments = fragment_arguments

    def run(self, rule: Callable[[], _T]) -> _T:
        try:
            return rule()
        except RecursionError:
            pass
        # Only reachable when the caller's own stack was nearly exhausted: the depth
        # limit keeps the parser's recursion bounded. Raised outside the except block
        # so the huge traceback is not kept as the context.
        raise self._fail(self._starts[self._i], "Document is nested too deeply. Parsing aborted.")

    # Helpers ----------------------------------------------------------------

    def _fail(self, position: int, message: str) -> GraphQLSyntaxError:
        """Build the error to raise; a lexical error in the current token wins."""
        if self._kinds[self._i] == ERROR:
            return self._tokens.error  # type: ignore[return-value]
        return GraphQLSyntaxError(self._source, position, message)

    def _unexpected(self, index: int | None = None) -> GraphQLSyntaxError:
        if self._kinds[self._i] == ERROR:
            return self._tokens.error  # type: ignore[return-value]
        if index is None:
            index = self._i
        description = describe(self._tokens, index)
        return GraphQLSyntaxError(self._source, self._starts[index], f"Unexpected {description}.")

    def _expected(self, what: str) -> GraphQLSyntaxError:
        i = self._i
        if self._kinds[i] == ERROR:
            return self._tokens.error  # type: ignore[return-value]
        description = describe(self._tokens, i)
        return GraphQLSyntaxError(
            self._source, self._starts[i], f"Expected {what}, found {description}."
        )

    def _expect(self, kind: int) -> None:
        if self._kinds[self._i] != kind:
            raise self._expected(kind_name(kind))
        self._i += 1

    def _peek_keyword(self, keyword: str) -> bool:
        i = self._i
        return self._kinds[i] == NAME and self._texts[i] == keyword

    def _expect_keyword(self, keyword: str) -> None:
        if not self._peek_keyword(keyword):
            raise self._expected(f"'{keyword}'")
        self._i += 1

    def _lookahead(self) -> int:
        """Return the index of the token after the current one, reading it first."""
        i = self._i + 1
        if self._kinds[i] == ERROR:
            raise self._tokens.error  # type: ignore[misc]
        return i

    def _loc(self, start: int) -> Location:
        return _new(Location, (start, self._ends[self._i - 1]))

    def _enter(self, position: int) -> None:
        self._depth += 1
        if self._depth > self._max_depth:
            raise self._too_deep(position)

    def _too_deep(self, position: int) -> GraphQLSyntaxError:
        return self._fail(
            position,
            f"Document is nested more than {self._max_depth} levels deep. Parsing aborted.",
        )

    def _name(self) -> NameNode:
        i = self._i
        if self._kinds[i] != NAME:
            raise self._expected("Name")
        self._i = i + 1
        return _new_name(self._texts[i], _new(Location, (self._starts[i], self._ends[i])))

    def _named_type(self) -> NamedTypeNode:
        name = self._name()
        return _new_named_type(name, name.loc)

    def _description(self) -> StringValueNode | None:
        if self._kinds[self._i] in _STRINGS:
            return self._string()
        return None

    def _string(self) -> StringValueNode:
        i = self._i
        self._i = i + 1
        return _new_string(
            self._tokens.value(i),
            self._kinds[i] == BLOCK_STRING,
            _new(Location, (self._starts[i], self._ends[i])),
        )

    # Document (section 2.2) --------------------------------------------------

    def document(self) -> DocumentNode:
        definitions = [self._definition()]
        while self._kinds[self._i] != EOF:
            definitions.append(self._definition())
        return DocumentNode(tuple(definitions), loc=_new(Location, (0, len(self._source))))

    def lone_value(self) -> ValueNode:
        value = self._value(False)
        self._expect(EOF)
        return value

    def lone_type(self) -> TypeNode:
        type_ = self._type()
        self._expect(EOF)
        return type_

    def _definition(self) -> DefinitionNode:
        i = self._i
        kinds = self._kinds
        if kinds[i] == BRACE_L:
            return self._operation_definition()
        has_description = kinds[i] in _STRINGS
        keyword_index = self._lookahead() if has_description else i
        if kinds[keyword_index] == NAME:
            keyword = self._texts[keyword_index]
            rule = self._DEFINITIONS.get(keyword)
            if rule is not None:
                return rule(self)
            if has_description:
                raise self._fail(
                    self._starts[i],
                    "Unexpected description, only GraphQL definitions support descriptions.",
                )
            if keyword == "extend":
                return self._extension()
        elif has_description and kinds[keyword_index] == BRACE_L:
            raise self._fail(
                self._starts[i],
                "Unexpected description, descriptions are not supported on shorthand queries.",
            )
        raise self._unexpected(keyword_index)

    # Operations (section 2.3) ------------------------------------------------

    def _operation_definition(self) -> OperationDefinitionNode:
        start = self._starts[self._i]
        if self._kinds[self._i] == BRACE_L:
            selection_set = self._selection_set()
            return OperationDefinitionNode(OperationType.QUERY, selection_set, loc=self._loc(start))
        description = self._description()
        operation = self._operation_type()
        name = self._name() if self._kinds[self._i] == NAME else None
        variable_definitions = self._variable_definitions()
        directives = self._directives(False)
        selection_set = self._selection_set()
        return OperationDefinitionNode(
            operation,
            selection_set,
            name,
            variable_definitions,
            directives,
            description,
            loc=self._loc(start),
        )

    def _operation_type(self) -> OperationType:
        i = self._i
        name = self._name()
        operation = _OPERATION_TYPES.get(name.value)
        if operation is None:
            raise self._unexpected(i)
        return operation

    def _optional_many(
        self, open_kind: int, parse: Callable[[], _T], close_kind: int
    ) -> tuple[_T, ...]:
        """``open parse+ close``, or nothing when the next token is not ``open``."""
        if self._kinds[self._i] != open_kind:
            return ()
        self._i += 1
        items = [parse()]
        while self._kinds[self._i] != close_kind:
            items.append(parse())
        self._i += 1
        return tuple(items)

    def _variable_definitions(self) -> tuple[VariableDefinitionNode, ...]:
        return self._optional_many(PAREN_L, self._variable_definition, PAREN_R)

    def _variable_definition(self) -> VariableDefinitionNode:
        start = self._starts[self._i]
        description = self._description()
        variable = self._variable()
        self._expect(COLON)
        type_ = self._type()
        default_value = None
        if self._kinds[self._i] == EQUALS:
            self._i += 1
            default_value = self._value(True)
        return VariableDefinitionNode(
            variable,
            type_,
            default_value,
            self._directives(True),
            description,
            loc=self._loc(start),
        )

    def _variable(self) -> VariableNode:
        start = self._starts[self._i]
        self._expect(DOLLAR)
        return VariableNode(self._name(), loc=self._loc(start))

    # Selections (sections 2.4, 2.5, 2.8) --------------------------------------

    def _selection_set(self) -> SelectionSetNode:
        """SelectionSet, with fields and fragments inline: one frame per nesting level.

        The hottest code of the parser: the token cursor lives in the local ``i``
        and goes back to ``self._i`` around calls.
        """
        kinds = self._kinds
        starts = self._starts
        ends = self._ends
        texts = self._texts
        i = self._i
        start = starts[i]
        depth = self._depth + 1
        if depth > self._max_depth:
            raise self._too_deep(start)
        if kinds[i] != BRACE_L:
            raise self._expected("'{'")
        self._depth = depth
        i += 1
        selections: list[SelectionNode] = []
        append = selections.append
        while True:
            kind = kinds[i]
            if kind == NAME:
                # Field : Alias? Name Arguments? Directives? SelectionSet?
                field_start = starts[i]
                loc = _new(Location, (field_start, ends[i]))
                name = _new_name(texts[i], loc)
                i += 1
                kind = kinds[i]
                if kind > COLON:
                    # Only a name (the common case): the field shares its location.
                    append(_new_field(name, None, (), (), None, loc))
                    continue
                alias = None
                if kind == COLON:
                    i += 1
                    if kinds[i] != NAME:
                        self._i = i
                        raise self._expected("Name")
                    alias = name
                    name = _new_name(texts[i], _new(Location, (starts[i], ends[i])))
                    i += 1
                    kind = kinds[i]
                arguments: tuple[ArgumentNode, ...] = ()
                if kind == PAREN_L:
                    self._i = i
                    arguments = self._arguments(False)
                    i = self._i
                    kind = kinds[i]
                directives: tuple[DirectiveNode, ...] = ()
                if kind == AT:
                    self._i = i
                    directives = self._directives(False)
                    i = self._i
                    kind = kinds[i]
                selection_set = None
                if kind == BRACE_L:
                    self._i = i
                    selection_set = self._selection_set()
                    i = self._i
                append(
                    _new_field(
                        name,
                        alias,
                        arguments,
                        directives,
                        selection_set,
                        _new(Location, (field_start, ends[i - 1])),
                    )
                )
            elif kind == BRACE_R:
                break
            elif kind == SPREAD:
                fragment_start = starts[i]
                i += 1
                kind = kinds[i]
                if kind == NAME and texts[i] != "on":
                    # FragmentSpread : ... FragmentName Arguments? Directives?
                    name = _new_name(texts[i], _new(Location, (starts[i], ends[i])))
                    i += 1
                    kind = kinds[i]
                    arguments = ()
                    if kind == PAREN_L and self._fragment_arguments:
                        self._i = i
                        arguments = self._arguments(False)
                        i = self._i
                        kind = kinds[i]
                    directives = ()
                    if kind == AT:
                        self._i = i
                        directives = self._directives(False)
                        i = self._i
                    append(
                        _new_fragment_spread(
                            name,
                            directives,
                            arguments,
                            _new(Location, (fragment_start, ends[i - 1])),
                        )
                    )
                    continue
                # InlineFragment : ... TypeCondition? Directives? SelectionSet
                type_condition = None
                if kind == NAME:  # on
                    i += 1
                    if kinds[i] != NAME:
                        self._i = i
                        raise self._expected("Name")
                    loc = _new(Location, (starts[i], ends[i]))
                    type_condition = _new_named_type(_new_name(texts[i], loc), loc)
                    i += 1
                    kind = kinds[i]
                directives = ()
                if kind == AT:
                    self._i = i
                    directives = self._directives(False)
                    i = self._i
                self._i = i
                selection_set = self._selection_set()
                i = self._i
                append(
                    _new_inline_fragment(
                        selection_set,
                        type_condition,
                        directives,
                        _new(Location, (fragment_start, ends[i - 1])),
                    )
                )
            else:
                self._i = i
                raise self._expected("Name")
        self._i = i + 1
        self._depth = depth - 1
        return _new_selection_set(tuple(selections), _new(Location, (start, ends[i])))

    def _arguments(self, const: bool) -> tuple[ArgumentNode, ...]:
        """Arguments : ( Argument+ ), the current token being the `(`."""
        kinds = self._kinds
        starts = self._starts
        ends = self._ends
        i = self._i + 1
        arguments = []
        while True:
            # Argument : Name : Value
            if kinds[i] != NAME:
                self._i = i
                raise self._expected("Name")
            start = starts[i]
            name = _new_name(self._texts[i], _new(Location, (start, ends[i])))
            i += 1
            if kinds[i] != COLON:
                self._i = i
                raise self._expected("':'")
            self._i = i + 1
            value = self._value(const)
            i = self._i
            arguments.append(_new_argument(name, value, _new(Location, (start, ends[i - 1]))))
            if kinds[i] == PAREN_R:
                self._i = i + 1
                return tuple(arguments)

    def _fragment_definition(self) -> FragmentDefinitionNode:
        start = self._starts[self._i]
        description = self._description()
        self._i += 1  # fragment
        if self._peek_keyword("on"):
            raise self._unexpected()
        name = self._name()
        variable_definitions = self._variable_definitions() if self._fragment_arguments else ()
        self._expect_keyword("on")
        type_condition = self._named_type()
        directives = self._directives(False)
        return FragmentDefinitionNode(
            name,
            type_condition,
            self._selection_set(),
            directives,
            variable_definitions,
            description,
            loc=self._loc(start),
        )

    # Values (section 2.9) ----------------------------------------------------

    def _value(self, const: bool) -> ValueNode:
        i = self._i
        kind = self._kinds[i]
        start = self._starts[i]
        if kind == DOLLAR:
            if const:
                self._i = i + 1
                if self._kinds[i + 1] == NAME:
                    raise self._fail(
                        start,
                        f"Unexpected variable '${excerpt(self._texts[i + 1])}' in constant value.",
                    )
                raise self._unexpected(i)
            # Variable : $ Name
            i += 1
            if self._kinds[i] != NAME:
                self._i = i
                raise self._expected("Name")
            self._i = i + 1
            end = self._ends[i]
            name = _new_name(self._texts[i], _new(Location, (self._starts[i], end)))
            return _new_variable(name, _new(Location, (start, end)))
        if kind == STRING:
            self._i = i + 1
            string = self._strings.get(i)
            if string is None:
                string = self._texts[i][1:-1]
            return _new_string(string, False, _new(Location, (start, self._ends[i])))
        if kind == INT:
            self._i = i + 1
            return _new_int(self._texts[i], _new(Location, (start, self._ends[i])))
        if kind == NAME:
            self._i = i + 1
            loc = _new(Location, (start, self._ends[i]))
            text = self._texts[i]
            if text == "true":
                return BooleanValueNode(True, loc=loc)
            if text == "false":
                return BooleanValueNode(False, loc=loc)
            if text == "null":
                return NullValueNode(loc=loc)
            return _new_enum(text, loc)
        if kind == FLOAT:
            self._i = i + 1
            return _new_float(self._texts[i], _new(Location, (start, self._ends[i])))
        if kind == BRACE_L:
            # ObjectValue : { ObjectField* }
            self._enter(start)
            kinds = self._kinds
            starts = self._starts
            ends = self._ends
            fields = []
            i += 1
            while kinds[i] != BRACE_R:
                # ObjectField : Name : Value
                if kinds[i] != NAME:
                    self._i = i
                    raise self._expected("Name")
                field_start = starts[i]
                name = _new_name(self._texts[i], _new(Location, (field_start, ends[i])))
                if kinds[i + 1] != COLON:
                    self._i = i + 1
                    raise self._expected("':'")
                self._i = i + 2
                value = self._value(const)
                i = self._i
                fields.append(
                    _new_object_field(name, value, _new(Location, (field_start, ends[i - 1])))
                )
            self._i = i + 1
            self._depth -= 1
            return ObjectValueNode(tuple(fields), loc=_new(Location, (start, ends[i])))
        if kind == BRACKET_L:
            # ListValue : [ Value* ]
            self._enter(start)
            self._i = i + 1
            values = []
            while self._kinds[self._i] != BRACKET_R:
                values.append(self._value(const))
            self._i += 1
            self._depth -= 1
            return ListValueNode(tuple(values), loc=self._loc(start))
        if kind == BLOCK_STRING:
            return self._string()
        raise self._unexpected()

    # Directives and types (sections 2.12, 2.11) -------------------------------

    def _directives(self, const: bool) -> tuple[DirectiveNode, ...]:
        kinds = self._kinds
        starts = self._starts
        ends = self._ends
        directives = []
        i = self._i
        while kinds[i] == AT:
            # Directive : @ Name Arguments?
            start = starts[i]
            i += 1
            if kinds[i] != NAME:
                self._i = i
                raise self._expected("Name")
            name = _new_name(self._texts[i], _new(Location, (starts[i], ends[i])))
            i += 1
            arguments: tuple[ArgumentNode, ...] = ()
            if kinds[i] == PAREN_L:
                self._i = i
                arguments = self._arguments(const)
                i = self._i
            directives.append(_new_directive(name, arguments, _new(Location, (start, ends[i - 1]))))
        self._i = i
        return tuple(directives)

    def _type(self) -> TypeNode:
        start = self._starts[self._i]
        type_: NamedTypeNode | ListTypeNode
        if self._kinds[self._i] == BRACKET_L:
            self._i += 1
            self._enter(self._starts[self._i])
            inner = self._type()
            self._depth -= 1
            self._expect(BRACKET_R)
            type_ = ListTypeNode(inner, loc=self._loc(start))
        else:
            type_ = self._named_type()
        if self._kinds[self._i] == BANG:
            self._i += 1
            return NonNullTypeNode(type_, loc=self._loc(start))
        return type_

    # Type system (section 3) -------------------------------------------------

    def _schema_definition(self) -> SchemaDefinitionNode:
        start = self._starts[self._i]
        description = self._description()
        self._i += 1  # schema
        directives = self._directives(True)
        self._expect(BRACE_L)
        operation_types = [self._operation_type_definition()]
        while self._kinds[self._i] != BRACE_R:
            operation_types.append(self._operation_type_definition())
        self._i += 1
        return SchemaDefinitionNode(
            tuple(operation_types), directives, description, loc=self._loc(start)
        )

    def _operation_types(self) -> tuple[OperationTypeDefinitionNode, ...]:
        return self._optional_many(BRACE_L, self._operation_type_definition, BRACE_R)

    def _operation_type_definition(self) -> OperationTypeDefinitionNode:
        start = self._starts[self._i]
        operation = self._operation_type()
        self._expect(COLON)
        return OperationTypeDefinitionNode(operation, self._named_type(), loc=self._loc(start))

    def _scalar_type_definition(self) -> ScalarTypeDefinitionNode:
        start = self._starts[self._i]
        description = self._description()
        self._i += 1  # scalar
        name = self._name()
        return ScalarTypeDefinitionNode(
            name, self._directives(True), description, loc=self._loc(start)
        )

    def _object_type_definition(self) -> ObjectTypeDefinitionNode:
        start = self._starts[self._i]
        description = self._description()
        self._i += 1  # type
        name = self._name()
        interfaces = self._implements_interfaces()
        directives = self._directives(True)
        fields = self._fields_definition()
        return ObjectTypeDefinitionNode(
            name, interfaces, directives, fields, description, loc=self._loc(start)
        )

    def _interface_type_definition(self) -> InterfaceTypeDefinitionNode:
        start = self._starts[self._i]
        description = self._description()
        self._i += 1  # interface
        name = self._name()
        interfaces = self._implements_interfaces()
        directives = self._directives(True)
        fields = self._fields_definition()
        return InterfaceTypeDefinitionNode(
            name, interfaces, directives, fields, description, loc=self._loc(start)
        )

    def _implements_interfaces(self) -> tuple[NamedTypeNode, ...]:
        if not self._peek_keyword("implements"):
            return ()
        self._i += 1
        return self._delimited_named_types(AMP)

    def _delimited_named_types(self, delimiter: int) -> tuple[NamedTypeNode, ...]:
        # A leading delimiter is allowed: `implements & A & B`, `= | A | B`.
        if self._kinds[self._i] == delimiter:
            self._i += 1
        types = [self._named_type()]
        while self._kinds[self._i] == delimiter:
            self._i += 1
            types.append(self._named_type())
        return tuple(types)

    def _fields_definition(self) -> tuple[FieldDefinitionNode, ...]:
        return self._optional_many(BRACE_L, self._field_definition, BRACE_R)

    def _field_definition(self) -> FieldDefinitionNode:
        start = self._starts[self._i]
        description = self._description()
        name = self._name()
        arguments = self._input_values(PAREN_L, PAREN_R)
        self._expect(COLON)
        type_ = self._type()
        return FieldDefinitionNode(
            name, type_, arguments, self._directives(True), description, loc=self._loc(start)
        )

    def _input_values(
        self, open_kind: int, close_kind: int
    ) -> tuple[InputValueDefinitionNode, ...]:
        return self._optional_many(open_kind, self._input_value_definition, close_kind)

    def _input_value_definition(self) -> InputValueDefinitionNode:
        start = self._starts[self._i]
        description = self._description()
        name = self._name()
        self._expect(COLON)
        type_ = self._type()
        default_value = None
        if self._kinds[self._i] == EQUALS:
            self._i += 1
            default_value = self._value(True)
        return InputValueDefinitionNode(
            name,
            type_,
            default_value,
            self._directives(True),
            description,
            loc=self._loc(start),
        )

    def _union_type_definition(self) -> UnionTypeDefinitionNode:
        start = self._starts[self._i]
        description = self._description()
        self._i += 1  # union
        name = self._name()
        directives = self._directives(True)
        types = self._union_member_types()
        return UnionTypeDefinitionNode(name, directives, types, description, loc=self._loc(start))

    def _union_member_types(self) -> tuple[NamedTypeNode, ...]:
        if self._kinds[self._i] != EQUALS:
            return ()
        self._i += 1
        return self._delimited_named_types(PIPE)

    def _enum_type_definition(self) -> EnumTypeDefinitionNode:
        start = self._starts[self._i]
        description = self._description()
        self._i += 1  # enum
        name = self._name()
        directives = self._directives(True)
        values = self._enum_values()
        return EnumTypeDefinitionNode(name, directives, values, description, loc=self._loc(start))

    def _enum_values(self) -> tuple[EnumValueDefinitionNode, ...]:
        return self._optional_many(BRACE_L, self._enum_value_definition, BRACE_R)

    def _enum_value_definition(self) -> EnumValueDefinitionNode:
        start = self._starts[self._i]
        description = self._description()
        i = self._i
        if self._kinds[i] == NAME and self._texts[i] in ("true", "false", "null"):
            raise self._fail(
                self._starts[i],
                f"{describe(self._tokens, i)} is reserved and cannot be used for an enum value.",
            )
        name = self._name()
        return EnumValueDefinitionNode(
            name, self._directives(True), description, loc=self._loc(start)
        )

    def _input_object_type_definition(self) -> InputObjectTypeDefinitionNode:
        start = self._starts[self._i]
        description = self._description()
        self._i += 1  # input
        name = self._name()
        directives = self._directives(True)
        fields = self._input_values(BRACE_L, BRACE_R)
        return InputObjectTypeDefinitionNode(
            name, directives, fields, description, loc=self._loc(start)
        )

    def _directive_definition(self) -> DirectiveDefinitionNode:
        start = self._starts[self._i]
        description = self._description()
        self._i += 1  # directive
        self._expect(AT)
        name = self._name()
        arguments = self._input_values(PAREN_L, PAREN_R)
        directives = self._directives(True)
        repeatable = self._peek_keyword("repeatable")
        if repeatable:
            self._i += 1
        self._expect_keyword("on")
        if self._kinds[self._i] == PIPE:
            self._i += 1
        locations = [self._directive_location()]
        while self._kinds[self._i] == PIPE:
            self._i += 1
            locations.append(self._directive_location())
        return DirectiveDefinitionNode(
            name,
            tuple(locations),
            arguments,
            repeatable,
            directives,
            description,
            loc=self._loc(start),
        )

    def _directive_location(self) -> NameNode:
        i = self._i
        name = self._name()
        if name.value not in DIRECTIVE_LOCATIONS:
            raise self._unexpected(i)
        return name

    # Extensions (sections 3.3.2, 3.4.3, 3.6.3, 3.7.2, 3.8.1, 3.9.1, 3.10.1) ---

    def _extension(self) -> DefinitionNode:
        keyword_index = self._lookahead()
        if self._kinds[keyword_index] == NAME:
            rule = self._EXTENSIONS.get(self._texts[keyword_index])
            if rule is not None:
                start = self._starts[self._i]
                self._i += 2  # extend <keyword>
                return rule(self, start)
        raise self._unexpected(keyword_index)

    def _schema_extension(self, start: int) -> TypeSystemExtensionNode:
        directives = self._directives(True)
        operation_types = self._operation_types()
        if not (directives or operation_types):
            raise self._unexpected()
        return SchemaExtensionNode(directives, operation_types, loc=self._loc(start))

    def _scalar_type_extension(self, start: int) -> TypeSystemExtensionNode:
        name = self._name()
        directives = self._directives(True)
        if not directives:
            raise self._unexpected()
        return ScalarTypeExtensionNode(name, directives, loc=self._loc(start))

    def _object_type_extension(self, start: int) -> TypeSystemExtensionNode:
        name = self._name()
        interfaces = self._implements_interfaces()
        directives = self._directives(True)
        fields = self._fields_definition()
        if not (interfaces or directives or fields):
            raise self._unexpected()
        return ObjectTypeExtensionNode(name, interfaces, directives, fields, loc=self._loc(start))

    def _interface_type_extension(self, start: int) -> TypeSystemExtensionNode:
        name = self._name()
        interfaces = self._implements_interfaces()
        directives = self._directives(True)
        fields = self._fields_definition()
        if not (interfaces or directives or fields):
            raise self._unexpected()
        return InterfaceTypeExtensionNode(
            name, interfaces, directives, fields, loc=self._loc(start)
        )

    def _union_type_extension(self, start: int) -> TypeSystemExtensionNode:
        name = self._name()
        directives = self._directives(True)
        types = self._union_member_types()
        if not (directives or types):
            raise self._unexpected()
        return UnionTypeExtensionNode(name, directives, types, loc=self._loc(start))

    def _enum_type_extension(self, start: int) -> TypeSystemExtensionNode:
        name = self._name()
        directives = self._directives(True)
        values = self._enum_values()
        if not (directives or values):
            raise self._unexpected()
        return EnumTypeExtensionNode(name, directives, values, loc=self._loc(start))

    def _input_object_type_extension(self, start: int) -> TypeSystemExtensionNode:
        name = self._name()
        directives = self._directives(True)
        fields = self._input_values(BRACE_L, BRACE_R)
        if not (directives or fields):
            raise self._unexpected()
        return InputObjectTypeExtensionNode(name, directives, fields, loc=self._loc(start))

    def _directive_extension(self, start: int) -> TypeSystemExtensionNode:
        self._expect(AT)
        name = self._name()
        directives = self._directives(True)
        if not directives:
            raise self._unexpected()
        return DirectiveExtensionNode(name, directives, loc=self._loc(start))

    _DEFINITIONS: ClassVar[dict[str, Callable[[_Parser], DefinitionNode]]] = {
        "query": _operation_definition,
        "mutation": _operation_definition,
        "subscription": _operation_definition,
        "fragment": _fragment_definition,
        "schema": _schema_definition,
        "scalar": _scalar_type_definition,
        "type": _object_type_definition,
        "interface": _interface_type_definition,
        "union": _union_type_definition,
        "enum": _enum_type_definition,
        "input": _input_object_type_definition,
        "directive": _directive_definition,
    }
    _EXTENSIONS: ClassVar[dict[str, Callable[[_Parser, int], TypeSystemExtensionNode]]] = {
        "schema": _schema_extension,
        "scalar": _scalar_type_extension,
        "type": _object_type_extension,
        "interface": _interface_type_extension,
        "union": _union_type_extension,
        "enum": _enum_type_extension,
        "input": _input_object_type_extension,
        "directive": _directive_extension,
    }
