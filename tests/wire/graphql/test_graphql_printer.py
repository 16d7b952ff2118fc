"""The printer: graphql-js's layout, node by node."""

from __future__ import annotations

from pathlib import Path

import pytest

from wire.errors import LocalProtocolError
from wire.graphql import (
    ArgumentNode,
    DirectiveNode,
    FieldNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NamedTypeNode,
    NameNode,
    Node,
    ObjectFieldNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableDefinitionNode,
    VariableNode,
    parse,
    parse_type,
    parse_value,
    print_ast,
    print_block_string,
    print_string,
)

CORPUS = Path(__file__).parent / "corpus"


def reprint(source: str) -> str:
    return print_ast(parse(source))


def test_shorthand_query() -> None:
    assert reprint("query { a }") == "{\n  a\n}"
    assert reprint("query Q { a }") == "query Q {\n  a\n}"
    assert reprint("query @d { a }") == "query @d {\n  a\n}"
    assert reprint("query ($v: Int) { a }") == "query ($v: Int) {\n  a\n}"
    assert reprint('"d" query { a }') == '"d"\nquery {\n  a\n}'
    assert reprint("mutation { a }") == "mutation {\n  a\n}"


def test_selections() -> None:
    source = "{ a: b(c: 1) @d { e ...F @g ... on T @h { i } ... { j } k {} } }"
    assert reprint(source) == (
        "{\n"
        "  a: b(c: 1) @d {\n"
        "    e\n"
        "    ...F @g\n"
        "    ... on T @h {\n"
        "      i\n"
        "    }\n"
        "    ... {\n"
        "      j\n"
        "    }\n"
        "    k {}\n"
        "  }\n"
        "}"
    )


def test_variable_definitions() -> None:
    source = 'query Q($a: [Int!]! = [1] @d, $b: String = "x") { a }'
    assert reprint(source) == 'query Q($a: [Int!]! = [1] @d, $b: String = "x") {\n  a\n}'
    # A variable with a block description puts each on its own line (graphql-js 17).
    described = 'query Q("""\nabout\na\n""" $a: Int, $b: Int) { a }'
    assert reprint(described) == 'query Q(\n"""\nabout\na\n"""\n$a: Int\n$b: Int\n) {\n  a\n}'


def test_long_arguments_wrap() -> None:
    short = "{ f(a: 1, b: 2) }"
    assert reprint(short) == "{\n  f(a: 1, b: 2)\n}"
    long = '{ field(argumentOne: "some much longer value", argumentTwo: "another long value!!") }'
    assert reprint(long) == (
        "{\n  field(\n"
        '    argumentOne: "some much longer value"\n'
        '    argumentTwo: "another long value!!"\n'
        "  )\n}"
    )
    # Exactly at the limit stays on one line: prefix + arguments + 2 == 80.
    arguments = "a: " + '"' + "x" * 72 + '"'
    assert len("f") + len(arguments) + 2 == 80
    assert reprint(f"{{ f({arguments}) }}") == f"{{\n  f({arguments})\n}}"
    assert "(\n" in reprint(f"{{ fg({arguments}) }}")


def test_long_values_wrap() -> None:
    items = ", ".join(f'"item{i:02}"' for i in range(10))
    assert len(items) + 2 == 100
    assert (
        print_ast(parse_value(f"[{items}]"))
        == "[\n" + ",\n".join(f'  "item{i:02}"' for i in range(10)).replace(",", "") + "\n]"
    )
    assert print_ast(parse_value("[1, 2]")) == "[1, 2]"
    fields = ", ".join(f"field{i}: {i}" for i in range(9))
    assert (
        print_ast(parse_value(f"{{{fields}}}"))
        == "{\n" + "\n".join(f"  field{i}: {i}" for i in range(9)) + "\n}"
    )
    assert print_ast(parse_value("{a: 1, b: [2]}")) == "{ a: 1, b: [2] }"
    assert print_ast(parse_value("{}")) == "{  }"
    assert print_ast(parse_value("[]")) == "[]"


def test_wrapped_values_indent_inside_fields() -> None:
    fields = ", ".join(f"field{i}: {i}" for i in range(9))
    printed = reprint(f"{{ f(x: {{{fields}}}) }}")
    assert printed.startswith("{\n  f(\n    x: {\n      field0: 0\n")
    assert printed.endswith("      field8: 8\n    }\n  )\n}")


def test_strings_and_block_strings() -> None:
    assert print_ast(parse_value('"a\\"b\\\\c\\n\\u0001\\u007F\\u009F\\u00A0"')) == (
        '"a\\"b\\\\c\\n\\u0001\\u007F\\u009F\u00a0"'
    )
    assert print_ast(parse_value('"""a"""')) == '"""a"""'
    assert print_ast(parse_value('""" a"""')) == '""" a"""'
    assert print_ast(parse_value('"""a\nb"""')) == '"""\na\nb\n"""'


@pytest.mark.parametrize(
    ("value", "printed"),
    [
        ("", '""""""'),
        ("simple", '"""simple"""'),
        ("  leading space", '"""  leading space"""'),
        ("\tleading tab", '"""\tleading tab"""'),
        ('trailing quote"', '"""\ntrailing quote"\n"""'),
        ("trailing backslash\\", '"""\ntrailing backslash\\\n"""'),
        ('triple """ inside', '"""triple \\""" inside"""'),
        ('ends in """', '"""\nends in \\"""\n"""'),
        ("multi\nline", '"""\nmulti\nline\n"""'),
        ("first\n  indented rest", '"""\nfirst\n  indented rest\n"""'),
        ("  both\n  indented", '"""\n  both\n  indented\n"""'),
        ("a" * 70, '"""' + "a" * 70 + '"""'),
        ("a" * 71, '"""\n' + "a" * 71 + '\n"""'),
        ("cr\rline", '"""\ncr\rline\n"""'),
    ],
)
def test_print_block_string(value: str, printed: str) -> None:
    assert print_block_string(value) == printed


def test_print_string() -> None:
    assert print_string("") == '""'
    assert print_string('"\\/\b\f\n\r\t') == '"\\"\\\\/\\b\\f\\n\\r\\t"'
    assert print_string("\x00\x1f\x7f\x9f\xa0é😀") == '"\\u0000\\u001F\\u007F\\u009F\xa0é😀"'


def test_type_system_layout() -> None:
    source = (
        '"""\nThe\ntype\n"""\ntype T implements A & B @d { "f" f(a: Int = 1, b: [T!]!): T @e }\n'
        "directive @x(a: Int) repeatable on FIELD | QUERY\n"
        "union U @d = A | B\n"
        "extend union U = C\n"
        "extend directive @x @y\n"
    )
    assert reprint(source) == (
        '"""\nThe\ntype\n"""\n'
        "type T implements A & B @d {\n"
        '  "f"\n'
        "  f(a: Int = 1, b: [T!]!): T @e\n"
        "}\n\n"
        "directive @x(a: Int) repeatable on FIELD | QUERY\n\n"
        "union U @d = A | B\n\n"
        "extend union U = C\n\n"
        "extend directive @x @y"
    )


def test_block_descriptions_spread_arguments_over_lines() -> None:
    source = 'type T { f("""\nabout\na\n""" a: Int, b: Int): T }'
    assert reprint(source) == (
        'type T {\n  f(\n    """\n    about\n    a\n    """\n    a: Int\n    b: Int\n  ): T\n}'
    )
    directive = 'directive @d("""\nabout\na\n""" a: Int) on FIELD'
    assert reprint(directive) == 'directive @d(\n  """\n  about\n  a\n  """\n  a: Int\n) on FIELD'
    # Any description puts a newline in the item, so the arguments spread out.
    assert (
        reprint('type T { f("a" a: Int): T }') == 'type T {\n  f(\n    "a"\n    a: Int\n  ): T\n}'
    )


@pytest.mark.parametrize(
    ("node", "printed"),
    [
        (NameNode("n"), "n"),
        (FieldNode(NameNode("f"), NameNode("a")), "a: f"),
        (
            FieldNode(NameNode("f"), selection_set=SelectionSetNode((FieldNode(NameNode("g")),))),
            "f {\n  g\n}",
        ),
        (FragmentSpreadNode(NameNode("F"), (DirectiveNode(NameNode("d")),)), "...F @d"),
        (InlineFragmentNode(SelectionSetNode(()), NamedTypeNode(NameNode("T"))), "... on T {}"),
        (ArgumentNode(NameNode("a"), IntValueNode("1")), "a: 1"),
        (ObjectFieldNode(NameNode("a"), IntValueNode("1")), "a: 1"),
        (
            DirectiveNode(
                NameNode("d"), (ArgumentNode(NameNode("a"), VariableNode(NameNode("v"))),)
            ),
            "@d(a: $v)",
        ),
        (
            VariableDefinitionNode(VariableNode(NameNode("v")), NamedTypeNode(NameNode("T"))),
            "$v: T",
        ),
        (SelectionSetNode(()), "{}"),
        (StringValueNode("s", block=True), '"""s"""'),
        (ListValueNode((ObjectValueNode(()),)), "[{  }]"),
    ],
)
def test_print_any_node(node: Node, printed: str) -> None:
    assert print_ast(node) == printed


def test_print_types() -> None:
    for source in ("A", "[A]", "A!", "[A!]!", "[[A]!]"):
        assert print_ast(parse_type(source)) == source


def test_print_rejects_what_is_not_a_node() -> None:
    with pytest.raises(LocalProtocolError, match="cannot print str"):
        print_ast("{ a }")  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError, match="cannot print ValueNode"):
        print_ast(ValueNode())


@pytest.mark.parametrize("name", sorted(path.name for path in CORPUS.glob("*.graphql")))
def test_corpus_prints_canonically(name: str) -> None:
    printed = reprint((CORPUS / name).read_text())
    assert reprint(printed) == printed
    assert "\n\n\n" not in printed
    assert not printed.endswith("\n")


def test_deepest_documents_print_within_the_stack() -> None:
    depth = 512
    document = parse("{ a " * (depth - 1) + "{ b }" + " }" * (depth - 1), max_depth=depth)
    assert print_ast(document).count("{") == depth
    inline = parse("{ ... on T " * (depth - 1) + "{ b }" + " }" * (depth - 1), max_depth=depth)
    assert print_ast(inline).count("... on T") == depth - 1
    value = parse_value("{a: " * depth + "1" + "}" * depth, max_depth=depth)
    assert print_ast(value).count("a:") == depth
    assert (
        print_ast(parse_type("[" * depth + "A" + "]" * depth, max_depth=depth)).count("[") == depth
    )


def test_operation_definition_without_name_keeps_keyword() -> None:
    node = OperationDefinitionNode(
        OperationType.SUBSCRIPTION, SelectionSetNode((FieldNode(NameNode("a")),))
    )
    assert print_ast(node) == "subscription {\n  a\n}"
