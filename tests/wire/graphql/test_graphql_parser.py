"""The parser: the AST it builds, its error messages, its limits."""

from __future__ import annotations

import copy
import inspect
import pickle
import sys
from collections.abc import Iterator
from dataclasses import FrozenInstanceError, fields
from pathlib import Path

import pytest

import wire.graphql
from wire.errors import LocalProtocolError, RemoteProtocolError
from wire.graphql import (
    DEFAULT_MAX_DEPTH,
    MAX_DEPTH_LIMIT,
    ArgumentNode,
    BooleanValueNode,
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
    GraphQLSyntaxError,
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
    SelectionSetNode,
    StringValueNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    VariableDefinitionNode,
    VariableNode,
    parse,
    parse_type,
    parse_value,
    print_ast,
)

CORPUS = Path(__file__).parent / "corpus"


def n(value: str) -> NameNode:
    return NameNode(value)


def t(name: str) -> NamedTypeNode:
    return NamedTypeNode(NameNode(name))


def error(source: str, **options: object) -> tuple[str, int, int]:
    with pytest.raises(GraphQLSyntaxError) as info:
        parse(source, **options)  # type: ignore[arg-type]
    return info.value.message, info.value.line, info.value.column


# Executable documents ---------------------------------------------------------------


def test_operation_ast() -> None:
    document = parse(
        '"Q" query Q($a: [Int!]! = [1] @d, "v" $b: T) @e(x: $a) '
        "{ alias: f(x: 1, y: $b) @g { h } ... on T { i } ... @j { k } ...F @l }"
    )
    assert document == DocumentNode(
        (
            OperationDefinitionNode(
                OperationType.QUERY,
                SelectionSetNode(
                    (
                        FieldNode(
                            n("f"),
                            n("alias"),
                            (
                                ArgumentNode(n("x"), IntValueNode("1")),
                                ArgumentNode(n("y"), VariableNode(n("b"))),
                            ),
                            (DirectiveNode(n("g")),),
                            SelectionSetNode((FieldNode(n("h")),)),
                        ),
                        InlineFragmentNode(SelectionSetNode((FieldNode(n("i")),)), t("T")),
                        InlineFragmentNode(
                            SelectionSetNode((FieldNode(n("k")),)), None, (DirectiveNode(n("j")),)
                        ),
                        FragmentSpreadNode(n("F"), (DirectiveNode(n("l")),)),
                    )
                ),
                n("Q"),
                (
                    VariableDefinitionNode(
                        VariableNode(n("a")),
                        NonNullTypeNode(ListTypeNode(NonNullTypeNode(t("Int")))),
                        ListValueNode((IntValueNode("1"),)),
                        (DirectiveNode(n("d")),),
                    ),
                    VariableDefinitionNode(
                        VariableNode(n("b")), t("T"), description=StringValueNode("v")
                    ),
                ),
                (DirectiveNode(n("e"), (ArgumentNode(n("x"), VariableNode(n("a"))),)),),
                StringValueNode("Q"),
            ),
        )
    )


def test_shorthand_query_and_other_operations() -> None:
    document = parse("{ a } mutation { b } subscription S { c } query { d {} }")
    operations = [d.operation for d in document.definitions]  # type: ignore[attr-defined]
    assert operations == [
        OperationType.QUERY,
        OperationType.MUTATION,
        OperationType.SUBSCRIPTION,
        OperationType.QUERY,
    ]
    assert document.definitions[0] == OperationDefinitionNode(
        OperationType.QUERY, SelectionSetNode((FieldNode(n("a")),))
    )
    last = document.definitions[3]
    assert last.selection_set.selections[0].selection_set == SelectionSetNode(())  # type: ignore[attr-defined]


def test_keywords_are_names_elsewhere() -> None:
    document = parse(
        "query query($query: query) { query fragment on: on(on: on) ...on on { on } } "
        "fragment fragment on on { type }"
    )
    operation, fragment = document.definitions
    assert operation.name == n("query")  # type: ignore[attr-defined]
    assert fragment == FragmentDefinitionNode(
        n("fragment"), t("on"), SelectionSetNode((FieldNode(n("type")),))
    )


def test_values_ast() -> None:
    value = parse_value('[1, -2.5e3, "s", """b""", true, false, null, ENUM, $v, {a: [], b: {}}]')
    assert value == ListValueNode(
        (
            IntValueNode("1"),
            FloatValueNode("-2.5e3"),
            StringValueNode("s"),
            StringValueNode("b", block=True),
            BooleanValueNode(True),
            BooleanValueNode(False),
            NullValueNode(),
            EnumValueNode("ENUM"),
            VariableNode(n("v")),
            ObjectValueNode(
                (
                    ObjectFieldNode(n("a"), ListValueNode(())),
                    ObjectFieldNode(n("b"), ObjectValueNode(())),
                )
            ),
        )
    )


def test_types_ast() -> None:
    assert parse_type("String") == t("String")
    assert parse_type("[String!]!") == NonNullTypeNode(ListTypeNode(NonNullTypeNode(t("String"))))
    assert parse_type("[[A]]") == ListTypeNode(ListTypeNode(t("A")))


def test_locations() -> None:
    source = "query Q { a(b: [1]) }"
    document = parse(source)
    operation = document.definitions[0]
    field = operation.selection_set.selections[0]  # type: ignore[attr-defined]
    assert document.loc == Location(0, len(source))
    assert operation.loc == Location(0, len(source))
    assert field.loc == Location(10, 19)
    assert field.arguments[0].loc == Location(12, 18)
    assert field.arguments[0].value.loc == Location(15, 18)
    assert operation.selection_set.loc == Location(8, 21)  # type: ignore[attr-defined]
    assert parse_type("[A!]").loc == Location(0, 4)
    assert parse_type("[A!]").type.loc == Location(1, 3)  # type: ignore[attr-defined]


def walk(node: object) -> Iterator[Node]:
    """Every node in ``node``, depth first, in field order."""
    if isinstance(node, Node):
        yield node
        for spec in fields(node):
            yield from walk(getattr(node, spec.name))
    elif isinstance(node, tuple):
        for item in node:
            yield from walk(item)


EVERY_SELECTION = (
    '{ a x: b(c: $d, e: "f", g: [1, 2.5], h: {i: J}) @k(l: null) { m } '
    "...N @o ... on P { q } ... @r { s } }"
)


def test_location_of_every_node() -> None:
    spans = [
        (type(node).__name__, EVERY_SELECTION[node.loc.start : node.loc.end])  # type: ignore[union-attr]
        for node in walk(parse(EVERY_SELECTION))
    ]
    assert spans == [
        ("DocumentNode", EVERY_SELECTION),
        ("OperationDefinitionNode", EVERY_SELECTION),
        ("SelectionSetNode", EVERY_SELECTION),
        ("FieldNode", "a"),
        ("NameNode", "a"),
        ("FieldNode", 'x: b(c: $d, e: "f", g: [1, 2.5], h: {i: J}) @k(l: null) { m }'),
        ("NameNode", "b"),
        ("NameNode", "x"),
        ("ArgumentNode", "c: $d"),
        ("NameNode", "c"),
        ("VariableNode", "$d"),
        ("NameNode", "d"),
        ("ArgumentNode", 'e: "f"'),
        ("NameNode", "e"),
        ("StringValueNode", '"f"'),
        ("ArgumentNode", "g: [1, 2.5]"),
        ("NameNode", "g"),
        ("ListValueNode", "[1, 2.5]"),
        ("IntValueNode", "1"),
        ("FloatValueNode", "2.5"),
        ("ArgumentNode", "h: {i: J}"),
        ("NameNode", "h"),
        ("ObjectValueNode", "{i: J}"),
        ("ObjectFieldNode", "i: J"),
        ("NameNode", "i"),
        ("EnumValueNode", "J"),
        ("DirectiveNode", "@k(l: null)"),
        ("NameNode", "k"),
        ("ArgumentNode", "l: null"),
        ("NameNode", "l"),
        ("NullValueNode", "null"),
        ("SelectionSetNode", "{ m }"),
        ("FieldNode", "m"),
        ("NameNode", "m"),
        ("FragmentSpreadNode", "...N @o"),
        ("NameNode", "N"),
        ("DirectiveNode", "@o"),
        ("NameNode", "o"),
        ("InlineFragmentNode", "... on P { q }"),
        ("SelectionSetNode", "{ q }"),
        ("FieldNode", "q"),
        ("NameNode", "q"),
        ("NamedTypeNode", "P"),
        ("NameNode", "P"),
        ("InlineFragmentNode", "... @r { s }"),
        ("SelectionSetNode", "{ s }"),
        ("FieldNode", "s"),
        ("NameNode", "s"),
        ("DirectiveNode", "@r"),
        ("NameNode", "r"),
    ]


def test_parsed_nodes_are_ordinary_nodes() -> None:
    # The parser builds nodes without calling their classes; what it builds is the
    # same as what the classes build, frozen alike.
    for node in walk(parse(EVERY_SELECTION, experimental_fragment_arguments=True)):
        cls = type(node)
        assert getattr(wire.graphql, cls.__name__) is cls
        assert node.__class__ is cls
        values = {spec.name: getattr(node, spec.name) for spec in fields(node)}
        assert cls(**values) == node
        assert hash(cls(**values)) == hash(node)
        assert pickle.loads(pickle.dumps(node)) == node
        assert copy.copy(node) == node
        with pytest.raises(FrozenInstanceError):
            node.loc = None  # type: ignore[misc]
        with pytest.raises(FrozenInstanceError):
            del node.loc  # type: ignore[misc]
        with pytest.raises(FrozenInstanceError):
            node.extra = 1  # type: ignore[attr-defined]
        assert not hasattr(node, "__dict__")


def test_loc_does_not_take_part_in_equality() -> None:
    spaced = parse("  {   a  }  ")
    tight = parse("{a}")
    assert spaced == tight
    assert spaced.loc != tight.loc
    assert hash(spaced) == hash(tight)


def test_fragment_arguments_need_the_flag() -> None:
    source = "{ ...F(a: 1) } fragment F($a: Int = 2) on T { a }"
    document = parse(source, experimental_fragment_arguments=True)
    spread = document.definitions[0].selection_set.selections[0]  # type: ignore[attr-defined]
    fragment = document.definitions[1]
    assert spread == FragmentSpreadNode(n("F"), (), (ArgumentNode(n("a"), IntValueNode("1")),))
    assert fragment.variable_definitions == (  # type: ignore[attr-defined]
        VariableDefinitionNode(VariableNode(n("a")), t("Int"), IntValueNode("2")),
    )
    assert error(source) == ("Syntax Error: Expected Name, found '('.", 1, 7)
    assert error("fragment F($a: Int) on T { a }") == (
        "Syntax Error: Expected 'on', found '('.",
        1,
        11,
    )
    plain = parse("{ ...F @d }", experimental_fragment_arguments=True)
    assert plain == parse("{ ...F @d }")


# Type system documents ----------------------------------------------------------------


def test_type_system_ast() -> None:
    document = parse(
        '"s" schema @a { query: Q mutation: M } '
        "scalar S @b "
        '"o" type O implements & I & J @c { "f" f("a" a: Int = 1 @d): [O!] } '
        "interface I implements J { g: Int } "
        "union U @e = | A | B "
        'enum E @f { "v" V @g W } '
        "input In { x: Int = 2 } "
        '"d" directive @dir(a: Int) @h repeatable on | FIELD | QUERY'
    )
    assert document.definitions == (
        SchemaDefinitionNode(
            (
                OperationTypeDefinitionNode(OperationType.QUERY, t("Q")),
                OperationTypeDefinitionNode(OperationType.MUTATION, t("M")),
            ),
            (DirectiveNode(n("a")),),
            StringValueNode("s"),
        ),
        ScalarTypeDefinitionNode(n("S"), (DirectiveNode(n("b")),)),
        ObjectTypeDefinitionNode(
            n("O"),
            (t("I"), t("J")),
            (DirectiveNode(n("c")),),
            (
                FieldDefinitionNode(
                    n("f"),
                    ListTypeNode(NonNullTypeNode(t("O"))),
                    (
                        InputValueDefinitionNode(
                            n("a"),
                            t("Int"),
                            IntValueNode("1"),
                            (DirectiveNode(n("d")),),
                            StringValueNode("a"),
                        ),
                    ),
                    description=StringValueNode("f"),
                ),
            ),
            StringValueNode("o"),
        ),
        InterfaceTypeDefinitionNode(
            n("I"), (t("J"),), (), (FieldDefinitionNode(n("g"), t("Int")),)
        ),
        UnionTypeDefinitionNode(n("U"), (DirectiveNode(n("e")),), (t("A"), t("B"))),
        EnumTypeDefinitionNode(
            n("E"),
            (DirectiveNode(n("f")),),
            (
                EnumValueDefinitionNode(n("V"), (DirectiveNode(n("g")),), StringValueNode("v")),
                EnumValueDefinitionNode(n("W")),
            ),
        ),
        InputObjectTypeDefinitionNode(
            n("In"), (), (InputValueDefinitionNode(n("x"), t("Int"), IntValueNode("2")),)
        ),
        DirectiveDefinitionNode(
            n("dir"),
            (n("FIELD"), n("QUERY")),
            (InputValueDefinitionNode(n("a"), t("Int")),),
            True,
            (DirectiveNode(n("h")),),
            StringValueNode("d"),
        ),
    )


def test_extensions_ast() -> None:
    document = parse(
        "extend schema @a { subscription: S } extend schema @b "
        "extend scalar S @c "
        "extend type T implements I extend type T @d extend type T { f: Int } "
        "extend interface I implements J extend interface I @e "
        "extend union U = A extend union U @f "
        "extend enum E { V } extend enum E @g "
        "extend input In { x: Int } extend input In @h "
        "extend directive @dir @i"
    )
    d = DirectiveNode
    assert document.definitions == (
        SchemaExtensionNode(
            (d(n("a")),), (OperationTypeDefinitionNode(OperationType.SUBSCRIPTION, t("S")),)
        ),
        SchemaExtensionNode((d(n("b")),)),
        ScalarTypeExtensionNode(n("S"), (d(n("c")),)),
        ObjectTypeExtensionNode(n("T"), (t("I"),)),
        ObjectTypeExtensionNode(n("T"), (), (d(n("d")),)),
        ObjectTypeExtensionNode(n("T"), (), (), (FieldDefinitionNode(n("f"), t("Int")),)),
        InterfaceTypeExtensionNode(n("I"), (t("J"),)),
        InterfaceTypeExtensionNode(n("I"), (), (d(n("e")),)),
        UnionTypeExtensionNode(n("U"), (), (t("A"),)),
        UnionTypeExtensionNode(n("U"), (d(n("f")),)),
        EnumTypeExtensionNode(n("E"), (), (EnumValueDefinitionNode(n("V")),)),
        EnumTypeExtensionNode(n("E"), (d(n("g")),)),
        InputObjectTypeExtensionNode(n("In"), (), (InputValueDefinitionNode(n("x"), t("Int")),)),
        InputObjectTypeExtensionNode(n("In"), (d(n("h")),)),
        DirectiveExtensionNode(n("dir"), (d(n("i")),)),
    )
    assert document.definitions[0].loc == Location(0, 36)


def test_corpus_parses() -> None:
    for path in CORPUS.glob("*.graphql"):
        document = parse(path.read_text())
        assert document.definitions


# Syntax errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "message", "position"),
    [
        ("", "Unexpected <EOF>.", (1, 1)),
        ("{", "Expected Name, found <EOF>.", (1, 2)),
        ("{ a", "Expected Name, found <EOF>.", (1, 4)),
        ("{ ...MissingOn }\nfragment MissingOn Type", "Expected 'on', found Name 'Type'.", (2, 20)),
        ("{ field: {} }", "Expected Name, found '{'.", (1, 10)),
        ("notAnOperation Foo { field }", "Unexpected Name 'notAnOperation'.", (1, 1)),
        ("...", "Unexpected '...'.", (1, 1)),
        ('{ ""', "Expected Name, found String ''.", (1, 3)),
        ('{ """x"""', "Expected Name, found BlockString 'x'.", (1, 3)),
        ("{ 1 }", "Expected Name, found Int '1'.", (1, 3)),
        ("{ 1.5 }", "Expected Name, found Float '1.5'.", (1, 3)),
        ("{ a(b: ) }", "Unexpected ')'.", (1, 8)),
        ("{ a(b ) }", "Expected ':', found ')'.", (1, 7)),
        ("{ a() }", "Expected Name, found ')'.", (1, 5)),
        ("{ a(b: 1 }", "Expected Name, found '}'.", (1, 10)),
        ("{ a(b: {c 1}) }", "Expected ':', found Int '1'.", (1, 11)),
        ("{ a(b: [1 }", "Unexpected '}'.", (1, 11)),
        ("{ ...on }", "Expected Name, found '}'.", (1, 9)),
        ("{ ... on T }", "Expected '{', found '}'.", (1, 12)),
        ("fragment on on on { on }", "Unexpected Name 'on'.", (1, 10)),
        ("{ ...on }", "Expected Name, found '}'.", (1, 9)),
        ("query Foo($a Int) { a }", "Expected ':', found Name 'Int'.", (1, 14)),
        ("query Foo(a: Int) { a }", "Expected '$', found Name 'a'.", (1, 11)),
        ("query Foo($: Int) { a }", "Expected Name, found ':'.", (1, 12)),
        ("query Foo($a: Int = $b) { a }", "Unexpected variable '$b' in constant value.", (1, 21)),
        ("query Foo($a: Int = $) { a }", "Unexpected '$'.", (1, 21)),
        ("query Foo($a: Int = @) { a }", "Unexpected '@'.", (1, 21)),
        ("query Foo($a: [Int) { a }", "Expected ']', found ')'.", (1, 19)),
        ("query Foo($a: Int!!) { a }", "Expected '$', found '!'.", (1, 19)),
        ("query Foo { a } }", "Unexpected '}'.", (1, 17)),
        (
            '"desc" { a }',
            "Unexpected description, descriptions are not supported on shorthand queries.",
            (1, 1),
        ),
        (
            '"desc" extend type T @a',
            "Unexpected description, only GraphQL definitions support descriptions.",
            (1, 1),
        ),
        (
            '"desc" unknown',
            "Unexpected description, only GraphQL definitions support descriptions.",
            (1, 1),
        ),
        ('"desc"', "Unexpected <EOF>.", (1, 7)),
        ('"desc" "more"', "Unexpected String 'more'.", (1, 8)),
        ('"desc" ~', "Unexpected character: '~'.", (1, 8)),
        ("type T @d(a: $v)", "Unexpected variable '$v' in constant value.", (1, 14)),
        ("type T { f: Int = 1 }", "Expected Name, found '='.", (1, 17)),
        ("type T { f(): Int }", "Expected Name, found ')'.", (1, 12)),
        ("type T implements", "Expected Name, found <EOF>.", (1, 18)),
        ("type T {}", "Expected Name, found '}'.", (1, 9)),
        (
            "enum E { true }",
            "Name 'true' is reserved and cannot be used for an enum value.",
            (1, 10),
        ),
        (
            "enum E { false }",
            "Name 'false' is reserved and cannot be used for an enum value.",
            (1, 10),
        ),
        (
            'enum E { "d" null }',
            "Name 'null' is reserved and cannot be used for an enum value.",
            (1, 14),
        ),
        ("enum E { 1 }", "Expected Name, found Int '1'.", (1, 10)),
        ("union U = ", "Expected Name, found <EOF>.", (1, 11)),
        ("union U = A |", "Expected Name, found <EOF>.", (1, 14)),
        ("schema { }", "Expected Name, found '}'.", (1, 10)),
        ("schema { query }", "Expected ':', found '}'.", (1, 16)),
        ("schema { other: T }", "Unexpected Name 'other'.", (1, 10)),
        ("schema { other ~", "Unexpected character: '~'.", (1, 16)),
        ("schema @d", "Expected '{', found <EOF>.", (1, 10)),
        ("directive @d on UNKNOWN", "Unexpected Name 'UNKNOWN'.", (1, 17)),
        ("directive @d on FIELD | UNKNOWN ~", "Unexpected character: '~'.", (1, 33)),
        ("directive @d repeatable FIELD", "Expected 'on', found Name 'FIELD'.", (1, 25)),
        ("directive d on FIELD", "Expected '@', found Name 'd'.", (1, 11)),
        ("directive @d on", "Expected Name, found <EOF>.", (1, 16)),
        ("extend", "Unexpected <EOF>.", (1, 7)),
        ("extend unknown T", "Unexpected Name 'unknown'.", (1, 8)),
        ("extend {", "Unexpected '{'.", (1, 8)),
        ("extend ~", "Unexpected character: '~'.", (1, 8)),
        ("extend schema", "Unexpected <EOF>.", (1, 14)),
        ("extend scalar S", "Unexpected <EOF>.", (1, 16)),
        ("extend type T", "Unexpected <EOF>.", (1, 14)),
        ("extend type T ~", "Unexpected character: '~'.", (1, 15)),
        ("extend interface I", "Unexpected <EOF>.", (1, 19)),
        ("extend union U", "Unexpected <EOF>.", (1, 15)),
        ("extend enum E", "Unexpected <EOF>.", (1, 14)),
        ("extend input I", "Unexpected <EOF>.", (1, 15)),
        ("extend directive @d", "Unexpected <EOF>.", (1, 20)),
        ("extend directive d", "Expected '@', found Name 'd'.", (1, 18)),
        ('{ a(b: "x" "y") }', "Expected Name, found String 'y'.", (1, 12)),
        ("{ a(b: $) }", "Expected Name, found ')'.", (1, 9)),
        ("{ a(b: $ ~) }", "Unexpected character: '~'.", (1, 10)),
        ("{ a(x: {1: 2}) }", "Expected Name, found Int '1'.", (1, 9)),
        ("{ a(x: {b 2}) }", "Expected ':', found Int '2'.", (1, 11)),
        ("{ a\n  b(c:\n    ~) }", "Unexpected character: '~'.", (3, 5)),
    ],
)
def test_syntax_errors(source: str, message: str, position: tuple[int, int]) -> None:
    assert error(source) == (f"Syntax Error: {message}", *position)


def test_long_token_values_are_shortened_in_messages() -> None:
    long = "x" * 500
    message = error(f"{{ a }} {long}")[0]
    assert message == f"Syntax Error: Unexpected Name '{'x' * 57}...'."
    message = error(f"query Q($a: Int = ${long}) {{ a }}")[0]
    assert message == f"Syntax Error: Unexpected variable '${'x' * 57}...' in constant value."


def test_error_attributes() -> None:
    with pytest.raises(GraphQLSyntaxError) as info:
        parse("{\n  a(b: ~)\n}")
    exc = info.value
    assert isinstance(exc, RemoteProtocolError)
    assert exc.code == 400
    assert exc.position == 9
    assert (exc.line, exc.column) == (2, 8)
    assert exc.message == "Syntax Error: Unexpected character: '~'."
    assert str(exc) == "Syntax Error: Unexpected character: '~'. (2:8)"


@pytest.mark.parametrize(
    ("source", "message", "column"),
    [
        ("", "Unexpected <EOF>.", 1),
        ("1 2", "Expected <EOF>, found Int '2'.", 3),
        ("{a: $v}", "Expected <EOF>, found '}'.", 1 + len("{a: $v}") - 1),
        ("[1", "Unexpected <EOF>.", 3),
    ],
)
def test_parse_value_errors(source: str, message: str, column: int) -> None:
    if source == "{a: $v}":
        assert parse_value(source) == ObjectValueNode(
            (ObjectFieldNode(n("a"), VariableNode(n("v"))),)
        )
        return
    with pytest.raises(GraphQLSyntaxError) as info:
        parse_value(source)
    assert (info.value.message, info.value.column) == (f"Syntax Error: {message}", column)


@pytest.mark.parametrize(
    ("source", "message", "column"),
    [
        ("", "Expected Name, found <EOF>.", 1),
        ("A B", "Expected <EOF>, found Name 'B'.", 3),
        ("[A", "Expected ']', found <EOF>.", 3),
        ("A!!", "Expected <EOF>, found '!'.", 3),
        ("!", "Expected Name, found '!'.", 1),
    ],
)
def test_parse_type_errors(source: str, message: str, column: int) -> None:
    with pytest.raises(GraphQLSyntaxError) as info:
        parse_type(source)
    assert (info.value.message, info.value.column) == (f"Syntax Error: {message}", column)


def test_lexical_error_wins_over_parse_error_in_the_same_token() -> None:
    # The lexer reads a token when the parser moves onto it: what is wrong with
    # the token comes before what the parser would say about it.
    assert error('{ a(x: "\\q") }')[0] == "Syntax Error: Invalid character escape sequence: '\\q'."
    assert error('{ a "\\q" }')[0] == "Syntax Error: Invalid character escape sequence: '\\q'."
    assert error("{ a }} ~")[0] == "Syntax Error: Unexpected '}'."
    assert error('{ a }} "\\q"')[0] == "Syntax Error: Unexpected '}'."
    assert error('{ a }} "unterminated')[0] == "Syntax Error: Unexpected '}'."
    assert error('U"')[0] == "Syntax Error: Unexpected Name 'U'."


# Limits -------------------------------------------------------------------------------


def test_max_length() -> None:
    assert parse("{ a }", max_length=5) == parse("{ a }")
    assert error("{ a  }", max_length=5) == (
        "Syntax Error: Source contains more than 5 code points. Parsing aborted.",
        1,
        6,
    )


def test_default_max_length_is_a_million_characters() -> None:
    assert len(parse("{ a }" + " " * (1_000_000 - 5)).definitions) == 1
    assert error("{ a }" + " " * 1_000_000)[0].endswith(
        "Source contains more than 1000000 code points. Parsing aborted."
    )


def test_max_tokens() -> None:
    assert parse("{ a b }", max_tokens=4) == parse("{ a b }")
    assert error("{ a b c }", max_tokens=4) == (
        "Syntax Error: Document contains more than 4 tokens. Parsing aborted.",
        1,
        9,
    )
    # Comments and other ignored tokens do not count; a lexical error comes first.
    assert parse("{ a # b c d e\n , , , }", max_tokens=3) == parse("{a}")
    assert error('{ a "\\q" }', max_tokens=2)[0].startswith("Syntax Error: Invalid character")
    assert error("{ a ~ }", max_tokens=2)[0].startswith("Syntax Error: Unexpected character")
    assert error("{ a } ~", max_tokens=2) == (
        "Syntax Error: Document contains more than 2 tokens. Parsing aborted.",
        1,
        5,
    )
    # A parse error before the limit wins.
    assert error("{ } } a b c", max_tokens=3)[0] == "Syntax Error: Unexpected '}'."


def test_default_max_tokens() -> None:
    document = parse("{" + " a" * 99_998 + "}")
    assert len(document.definitions[0].selection_set.selections) == 99_998  # type: ignore[attr-defined]
    assert error("{" + " a" * 99_999 + "}")[0] == (
        "Syntax Error: Document contains more than 100000 tokens. Parsing aborted."
    )


def nested_selections(depth: int) -> str:
    return "{ a " * (depth - 1) + "{ b }" + " }" * (depth - 1)


def nested_lists(depth: int) -> str:
    return "{ a(x: " + "[" * (depth - 1) + "]" * (depth - 1) + ") }"


@pytest.mark.parametrize(
    ("allowed", "too_deep", "column"),
    [
        # The error is at the token that opens one level too many; for list types,
        # at the token after the `[`.
        ("{ a { b } }", "{ a { b { c } } }", 9),
        ("{ ... on T { c } }", "{ ... on T { ... on U { c } } }", 23),
        ("{ a(x: [1]) }", "{ a(x: [[1]]) }", 9),
        ("{ a(x: {b: 1}) }", "{ a(x: {b: [1]}) }", 12),
    ],
)
def test_max_depth(allowed: str, too_deep: str, column: int) -> None:
    assert parse(allowed, max_depth=2) == parse(allowed)
    assert error(too_deep, max_depth=2) == (
        "Syntax Error: Document is nested more than 2 levels deep. Parsing aborted.",
        1,
        column,
    )


@pytest.mark.parametrize(
    ("allowed", "too_deep", "column"),
    [
        ("query ($v: [Int]) { a }", "query ($v: [[Int]]) { a }", 14),
        ("type T { f: [Int] }", "type T { f: [[Int]] }", 15),
        ("input I { f: [Int] = [] }", "input I { f: [Int] = [[]] }", 23),
    ],
)
def test_max_depth_of_types(allowed: str, too_deep: str, column: int) -> None:
    assert parse(allowed, max_depth=1) == parse(allowed)
    assert error(too_deep, max_depth=1) == (
        "Syntax Error: Document is nested more than 1 levels deep. Parsing aborted.",
        1,
        column,
    )


def test_lexical_error_wins_over_depth_error() -> None:
    assert error("type T { f: [[~]] }", max_depth=1) == (
        "Syntax Error: Unexpected character: '~'.",
        1,
        15,
    )


def test_depth_counts_selections_and_values_together() -> None:
    source = "{ a { b(x: [[1]]) } }"  # 2 selection sets + 2 lists
    assert parse(source, max_depth=4) == parse(source)
    assert error(source, max_depth=3)[0].startswith("Syntax Error: Document is nested more")


def test_default_max_depth() -> None:
    assert print_ast(parse(nested_selections(DEFAULT_MAX_DEPTH))).count("{") == DEFAULT_MAX_DEPTH
    assert "more than 256 levels" in error(nested_selections(DEFAULT_MAX_DEPTH + 1))[0]
    assert print_ast(parse_value("[" * 256 + "]" * 256)).count("[") == 256
    with pytest.raises(GraphQLSyntaxError, match="more than 256 levels"):
        parse_value("[" * 257 + "]" * 257)
    with pytest.raises(GraphQLSyntaxError, match="more than 256 levels"):
        parse_type("[" * 257 + "A" + "]" * 257)


def test_deepest_allowed_documents_parse_within_the_stack() -> None:
    depth = MAX_DEPTH_LIMIT
    for source in (
        nested_selections(depth),
        "{ ... on T " * (depth - 1) + "{ b }" + " }" * (depth - 1),
        nested_lists(depth),
        "{ a(x: " + "{b: " * (depth - 2) + "[1]" + "}" * (depth - 2) + ") }",
    ):
        printed = print_ast(parse(source, max_depth=depth))
        # Printed and parsed again at the limit: no frame to spare is needed anywhere.
        assert print_ast(parse(printed, max_depth=depth)) == printed
    deep_type = "[" * depth + "A" + "]" * depth
    assert print_ast(parse_type(deep_type, max_depth=depth)) == deep_type


def test_exhausted_stack_becomes_a_syntax_error() -> None:
    # The depth limit keeps the parser well inside the stack, unless the caller
    # has used most of it already.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 60)
    try:
        with pytest.raises(GraphQLSyntaxError) as info:
            parse(nested_selections(200))
    finally:
        sys.setrecursionlimit(limit)
    assert info.value.message == "Syntax Error: Document is nested too deeply. Parsing aborted."


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_length": 0}, "max_length must be a positive int, got 0"),
        ({"max_tokens": -1}, "max_tokens must be a positive int, got -1"),
        ({"max_depth": 1.5}, "max_depth must be a positive int, got 1.5"),
        ({"max_depth": True}, "max_depth must be a positive int, got True"),
        ({"max_depth": MAX_DEPTH_LIMIT + 1}, f"max_depth must be at most {MAX_DEPTH_LIMIT}"),
    ],
)
def test_limit_arguments_are_checked(options: dict[str, object], message: str) -> None:
    with pytest.raises(LocalProtocolError, match=message):
        parse("{ a }", **options)  # type: ignore[arg-type]


def test_source_must_be_text() -> None:
    with pytest.raises(LocalProtocolError, match="source must be a str, got bytes"):
        parse(b"{ a }")  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError):
        parse_value(None)  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError):
        parse_type(1)  # type: ignore[arg-type]
