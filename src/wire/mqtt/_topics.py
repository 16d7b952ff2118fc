"""Topic names, topic filters and matching (MQTT 5.0 section 4.7, 3.1.1 section 4.7).

A topic name (in PUBLISH) is a list of levels separated by ``/``; a topic filter
(in SUBSCRIBE) may also hold the wildcards ``+`` (exactly one level) and ``#``
(any number of levels, including none, and only as the last level). Topics
starting with ``$`` are not matched by a filter starting with a wildcard
([MQTT-4.7.2-1]). ``$share/{ShareName}/{filter}`` names a shared subscription
(MQTT 5.0 section 4.8.2).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from typing import Generic, NamedTuple, TypeVar

__all__ = [
    "SharedSubscription",
    "TopicMatcher",
    "is_valid_topic_filter",
    "is_valid_topic_name",
    "parse_shared_subscription",
    "topic_matches",
]

_MAX_BYTES = 0xFFFF
_SHARE_PREFIX = "$share/"

V = TypeVar("V", bound=Hashable)


def _is_valid_string(text: str) -> bool:
    if not text or "\x00" in text:
        return False
    try:
        return len(text.encode("utf-8")) <= _MAX_BYTES
    except UnicodeEncodeError:
        return False


def is_valid_topic_name(name: str) -> bool:
    """Whether ``name`` may be used as a PUBLISH topic name.

    It must be non-empty ([MQTT-4.7.3-1]), hold no wildcard ([MQTT-4.7.0-1]),
    no U+0000 and fit in 65535 bytes of UTF-8 ([MQTT-4.7.3-3]).
    """
    return _is_valid_string(name) and "+" not in name and "#" not in name


def is_valid_topic_filter(topic_filter: str) -> bool:
    """Whether ``topic_filter`` may be used in SUBSCRIBE or UNSUBSCRIBE.

    ``#`` must be a whole level and the last one ([MQTT-4.7.1-1]), ``+`` must be a
    whole level ([MQTT-4.7.1-2]). A ``$share/`` filter needs a share name without
    wildcards or ``/`` and a valid filter after it ([MQTT-4.8.2-1], [MQTT-4.8.2-2]).
    """
    if not _is_valid_string(topic_filter):
        return False
    if topic_filter.startswith(_SHARE_PREFIX):
        return parse_shared_subscription(topic_filter) is not None
    return _valid_filter_levels(topic_filter)


def _valid_filter_levels(topic_filter: str) -> bool:
    if "+" not in topic_filter and "#" not in topic_filter:
        return True
    levels = topic_filter.split("/")
    last = len(levels) - 1
    for index, level in enumerate(levels):
        if "#" in level and (level != "#" or index != last):
            return False
        if "+" in level and level != "+":
            return False
    return True


class SharedSubscription(NamedTuple):
    """A parsed ``$share/{share_name}/{topic_filter}``."""

    share_name: str
    topic_filter: str


def parse_shared_subscription(topic_filter: str) -> SharedSubscription | None:
    """Split a shared subscription filter; ``None`` if it is not a valid one."""
    if not topic_filter.startswith(_SHARE_PREFIX):
        return None
    share_name, slash, rest = topic_filter[len(_SHARE_PREFIX) :].partition("/")
    if not slash or not share_name or not rest:
        return None
    if "+" in share_name or "#" in share_name:
        return None
    if not _valid_filter_levels(rest):
        return None
    return SharedSubscription(share_name, rest)


def topic_matches(topic_filter: str, topic_name: str) -> bool:
    """Whether ``topic_filter`` (not shared) matches ``topic_name``."""
    if topic_name.startswith("$") and topic_filter[:1] in ("+", "#"):
        return False  # [MQTT-4.7.2-1]
    filter_levels = topic_filter.split("/")
    name_levels = topic_name.split("/")
    for index, level in enumerate(filter_levels):
        if level == "#":
            return True
        if index >= len(name_levels):
            return False
        if level != "+" and level != name_levels[index]:
            return False
    return len(filter_levels) == len(name_levels)


class _Node(Generic[V]):
    __slots__ = ("children", "values")

    def __init__(self) -> None:
        self.children: dict[str, _Node[V]] = {}
        self.values: dict[V, None] = {}


class TopicMatcher(Generic[V]):
    """Many topic filters, each with values, matched against topic names.

    A trie by topic level: matching costs time proportional to the number of
    levels and of wildcard branches taken, not to the number of filters.
    Values are kept per filter in insertion order, without duplicates.
    """

    __slots__ = ("_count", "_root")

    def __init__(self) -> None:
        self._root: _Node[V] = _Node()
        self._count = 0

    def __len__(self) -> int:
        """The number of (filter, value) entries."""
        return self._count

    def add(self, topic_filter: str, value: V) -> bool:
        """Add ``value`` under ``topic_filter``; ``False`` if it was there already."""
        node = self._root
        for level in topic_filter.split("/"):
            child = node.children.get(level)
            if child is None:
                child = node.children[level] = _Node()
            node = child
        if value in node.values:
            return False
        node.values[value] = None
        self._count += 1
        return True

    def remove(self, topic_filter: str, value: V) -> bool:
        """Remove ``value`` from ``topic_filter``; ``False`` if it was not there."""
        path: list[tuple[_Node[V], str]] = []
        node = self._root
        for level in topic_filter.split("/"):
            child = node.children.get(level)
            if child is None:
                return False
            path.append((node, level))
            node = child
        if value not in node.values:
            return False
        del node.values[value]
        self._count -= 1
        # Prune branches left empty so memory follows the live subscriptions.
        for parent, level in reversed(path):
            child = parent.children[level]
            if child.values or child.children:
                break
            del parent.children[level]
        return True

    def values_of(self, topic_filter: str) -> list[V]:
        """The values stored under exactly ``topic_filter``."""
        node = self._root
        for level in topic_filter.split("/"):
            child = node.children.get(level)
            if child is None:
                return []
            node = child
        return list(node.values)

    def match(self, topic_name: str) -> list[V]:
        """Every value whose filter matches ``topic_name``.

        A value stored under several matching filters appears once per filter.
        """
        out: list[V] = []
        levels = topic_name.split("/")
        nodes = [self._root]
        # [MQTT-4.7.2-1]: wildcards at the first level do not match "$" topics.
        dollar = topic_name.startswith("$")
        for depth, level in enumerate(levels):
            following: list[_Node[V]] = []
            for node in nodes:
                children = node.children
                if not children:
                    continue
                if not (dollar and depth == 0):
                    multi = children.get("#")
                    if multi is not None:
                        out.extend(multi.values)
                    single = children.get("+")
                    if single is not None:
                        following.append(single)
                exact = children.get(level)
                if exact is not None:
                    following.append(exact)
            if not following:
                return out
            nodes = following
        for node in nodes:
            out.extend(node.values)
            # "sport/#" also matches "sport" (section 4.7.1.2).
            multi = node.children.get("#")
            if multi is not None:
                out.extend(multi.values)
        return out

    def __iter__(self) -> Iterator[tuple[str, V]]:
        """Every (filter, value) entry."""
        stack: list[tuple[str | None, _Node[V]]] = [(None, self._root)]
        while stack:
            prefix, node = stack.pop()
            if prefix is not None:
                for value in node.values:
                    yield prefix, value
            for level, child in node.children.items():
                stack.append((level if prefix is None else f"{prefix}/{level}", child))
