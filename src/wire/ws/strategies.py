"""Hypothesis strategies for WebSocket events, for property tests and fuzzing campaigns.

Every strategy generates valid values: any event drawn here can be sent by
a :class:`~wire.ws.WSConnection` that is open, and arrives as itself at the
peer (a message split by :func:`fragmented` arrives whole, or as the same
fragments when the peer streams). Requires ``hypothesis``.
"""

from __future__ import annotations

from itertools import pairwise

from hypothesis import strategies as st

from wire.ws._deflate import DeflateParams
from wire.ws._events import (
    MAX_CLOSE_REASON,
    MAX_CONTROL_PAYLOAD,
    BytesMessage,
    Close,
    MessageFragment,
    Ping,
    Pong,
    TextMessage,
)

__all__ = [
    "bytes_messages",
    "chunked",
    "close_codes",
    "closes",
    "control_events",
    "deflate_params",
    "fragmented",
    "messages",
    "text",
    "text_messages",
]

#: Any character with a UTF-8 form (no lone surrogates).
_characters = st.characters(exclude_categories=["Cs"])


def text(*, max_size: int = 64) -> st.SearchStrategy[str]:
    """Text a text message may carry."""
    return st.text(_characters, max_size=max_size)


def text_messages(*, max_size: int = 64) -> st.SearchStrategy[TextMessage]:
    return st.builds(TextMessage, text(max_size=max_size))


def bytes_messages(*, max_size: int = 64) -> st.SearchStrategy[BytesMessage]:
    return st.builds(BytesMessage, st.binary(max_size=max_size))


def messages(*, max_size: int = 64) -> st.SearchStrategy[TextMessage | BytesMessage]:
    return text_messages(max_size=max_size) | bytes_messages(max_size=max_size)


def control_events() -> st.SearchStrategy[Ping | Pong]:
    payloads = st.binary(max_size=MAX_CONTROL_PAYLOAD)
    return st.builds(Ping, payloads) | st.builds(Pong, payloads)


def close_codes() -> st.SearchStrategy[int]:
    """Codes a Close frame may carry (RFC 6455 section 7.4), 1005 for "no code" included."""
    return st.sampled_from([1000, 1001, 1002, 1003, 1005, *range(1007, 1015)]) | st.integers(
        3000, 4999
    )


def closes() -> st.SearchStrategy[Close]:
    """Close events: 1005 without a reason, any other code with one (no branch to miss)."""
    coded = close_codes().filter(lambda code: code != 1005)
    return st.just(Close(1005)) | st.builds(Close, coded, text(max_size=MAX_CLOSE_REASON // 4))


@st.composite
def fragmented(
    draw: st.DrawFn, message: TextMessage | BytesMessage, *, max_fragments: int = 8
) -> list[MessageFragment]:
    """``message`` cut at any points into fragments (text at character boundaries)."""
    data = message.data
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=max_fragments - 1)))
    bounds = [0, *cuts, len(data)]
    pieces = [data[a:b] for a, b in pairwise(bounds)]
    return [MessageFragment(piece, i == len(pieces) - 1) for i, piece in enumerate(pieces)]


@st.composite
def chunked(draw: st.DrawFn, data: bytes) -> list[bytes]:
    """``data`` split at any points (empty chunks included), as a stream may deliver it."""
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=8)))
    bounds = [0, *cuts, len(data)]
    return [data[a:b] for a, b in pairwise(bounds)]


def deflate_params() -> st.SearchStrategy[DeflateParams]:
    """Any permessage-deflate agreement (8-bit windows included: sent uncompressed)."""
    bits = st.integers(8, 15)
    return st.builds(
        DeflateParams,
        server_no_context_takeover=st.booleans(),
        client_no_context_takeover=st.booleans(),
        server_max_window_bits=bits,
        client_max_window_bits=bits,
        level=st.integers(1, 9),
        memory_level=st.integers(1, 9),
        min_size=st.integers(0, 64),
    )
