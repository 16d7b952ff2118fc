"""The document strategy leaves out documents that do not survive printing."""

from __future__ import annotations

import pytest

from wire.graphql import DocumentNode, GraphQLSyntaxError, parse, print_ast
from wire.graphql.strategies import _unambiguous


def _joined(*sources: str) -> DocumentNode:
    definitions = tuple(d for source in sources for d in parse(source).definitions)
    return DocumentNode(definitions)


def test_a_shorthand_query_after_a_blockless_extension_is_left_out() -> None:
    """``extend schema @a`` then ``{ a }`` prints as text whose `{` continues the extension."""
    document = _joined("extend schema @a", "{ a }")
    with pytest.raises(GraphQLSyntaxError, match="Unexpected Name"):
        parse(print_ast(document))  # `{ a }` read as the extension's operation types
    assert not _unambiguous(document)


def test_the_same_definitions_in_the_other_order_are_kept() -> None:
    document = _joined("{ a }", "extend schema @a")
    assert len(parse(print_ast(document)).definitions) == 2
    assert _unambiguous(document)
