"""Topic names, filters, shared subscriptions and the trie matcher."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from wire.mqtt import (
    SharedSubscription,
    TopicMatcher,
    is_valid_topic_filter,
    is_valid_topic_name,
    parse_shared_subscription,
    topic_matches,
)
from wire.mqtt.strategies import topic_filters, topic_names


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("sport/tennis/player1", True),
        ("/", True),
        ("a//b", True),
        ("$SYS/broker/uptime", True),
        ("", False),  # [MQTT-4.7.3-1]
        ("sport/+", False),  # [MQTT-4.7.0-1]
        ("sport/#", False),
        ("a\x00b", False),  # [MQTT-4.7.3-2]
        ("a\ud800", False),  # surrogates cannot be encoded
        ("x" * 65535, True),
        ("x" * 65536, False),  # [MQTT-4.7.3-3]
    ],
)
def test_topic_name_validity(name: str, valid: bool) -> None:
    assert is_valid_topic_name(name) is valid


@pytest.mark.parametrize(
    ("topic_filter", "valid"),
    [
        ("sport/tennis/#", True),
        ("#", True),
        ("+", True),
        ("+/tennis/#", True),
        ("sport/+/player1", True),
        ("sport+", False),  # [MQTT-4.7.1-2]
        ("sport/tennis#", False),  # [MQTT-4.7.1-1]
        ("sport/#/ranking", False),
        ("", False),
        ("$share/group/sport/#", True),
        ("$share/group/+", True),
        ("$share/group/", False),  # [MQTT-4.8.2-2]
        ("$share//sport", False),  # [MQTT-4.8.2-1]
        ("$share/gr+oup/sport", False),
        ("$share/gr#oup/sport", False),
        ("$share/group", False),
        ("$share/group/sp#", False),
        ("$sharex/group/a", True),
    ],
)
def test_topic_filter_validity(topic_filter: str, valid: bool) -> None:
    assert is_valid_topic_filter(topic_filter) is valid


def test_parse_shared_subscription() -> None:
    assert parse_shared_subscription("$share/g1/a/+/c") == SharedSubscription("g1", "a/+/c")
    assert parse_shared_subscription("a/b") is None
    assert parse_shared_subscription("$share/g1") is None


@pytest.mark.parametrize(
    ("topic_filter", "topic", "matches"),
    [
        # Examples from MQTT 5.0 section 4.7.1.
        ("sport/tennis/player1/#", "sport/tennis/player1", True),
        ("sport/tennis/player1/#", "sport/tennis/player1/ranking", True),
        ("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", True),
        ("sport/#", "sport", True),
        ("#", "anything/at/all", True),
        ("sport/tennis/+", "sport/tennis/player1", True),
        ("sport/tennis/+", "sport/tennis/player1/ranking", False),
        ("sport/+", "sport", False),
        ("sport/+", "sport/", True),
        ("+/+", "/finance", True),
        ("/+", "/finance", True),
        ("+", "/finance", False),
        # [MQTT-4.7.2-1]: leading wildcards do not match "$" topics.
        ("#", "$SYS/monitor/Clients", False),
        ("+/monitor/Clients", "$SYS/monitor/Clients", False),
        ("$SYS/#", "$SYS/monitor/Clients", True),
        ("$SYS/monitor/+", "$SYS/monitor/Clients", True),
        ("a/b", "a/b", True),
        ("a/b", "a/b/c", False),
        ("a/b/c", "a/b", False),
    ],
)
def test_topic_matches_examples(topic_filter: str, topic: str, matches: bool) -> None:
    assert topic_matches(topic_filter, topic) is matches
    matcher: TopicMatcher[str] = TopicMatcher()
    matcher.add(topic_filter, "v")
    assert (matcher.match(topic) == ["v"]) is matches


def test_matcher_add_remove_and_iterate() -> None:
    matcher: TopicMatcher[int] = TopicMatcher()
    assert matcher.add("a/+/c", 1)
    assert not matcher.add("a/+/c", 1)
    assert matcher.add("a/+/c", 2)
    assert matcher.add("a/#", 3)
    assert matcher.add("#", 4)
    assert len(matcher) == 4
    assert sorted(matcher.match("a/b/c")) == [1, 2, 3, 4]
    assert matcher.values_of("a/+/c") == [1, 2]
    assert matcher.values_of("a/+") == []
    assert matcher.values_of("zzz/+") == []
    assert sorted(matcher) == [("#", 4), ("a/#", 3), ("a/+/c", 1), ("a/+/c", 2)]
    assert matcher.remove("a/+/c", 1)
    assert not matcher.remove("a/+/c", 1)
    assert not matcher.remove("no/such", 1)
    assert matcher.remove("a/+/c", 2)
    assert matcher.remove("a/#", 3)
    assert matcher.remove("#", 4)
    assert len(matcher) == 0
    assert list(matcher) == []
    assert matcher.match("a/b/c") == []


def test_remove_keeps_branches_still_in_use() -> None:
    matcher: TopicMatcher[str] = TopicMatcher()
    matcher.add("a/b", "short")
    matcher.add("a/b/c", "long")
    assert matcher.remove("a/b/c", "long")
    assert matcher.match("a/b") == ["short"]
    matcher.add("a/b/c", "long")
    assert matcher.remove("a/b", "short")
    assert matcher.match("a/b/c") == ["long"]


_levels = st.sampled_from(["a", "b", "", "$x"])
_small_names = st.lists(_levels, min_size=1, max_size=4).map("/".join).filter(bool)
_small_filters = st.builds(
    lambda levels, multi: "/".join([*levels, "#"] if multi else levels),
    st.lists(st.sampled_from(["a", "b", "", "+", "$x"]), min_size=1, max_size=4),
    st.booleans(),
)


@given(filters=st.lists(_small_filters, max_size=12), topic=_small_names)
def test_matcher_agrees_with_topic_matches(filters: list[str], topic: str) -> None:
    matcher: TopicMatcher[str] = TopicMatcher()
    for topic_filter in filters:
        matcher.add(topic_filter, topic_filter)
    expected = sorted({f for f in filters if topic_matches(f, topic)})
    assert sorted(matcher.match(topic)) == expected


@given(topic_filter=topic_filters(), topic=topic_names())
def test_generated_strings_are_valid(topic_filter: str, topic: str) -> None:
    assert is_valid_topic_filter(topic_filter)
    assert is_valid_topic_name(topic)
    assert topic_matches("#", topic) is not topic.startswith("$")


class MatcherMachine(RuleBasedStateMachine):
    """The trie agrees with a plain set of (filter, value) pairs after any edits."""

    def __init__(self) -> None:
        super().__init__()
        self.matcher: TopicMatcher[int] = TopicMatcher()
        self.model: set[tuple[str, int]] = set()

    entries = Bundle("entries")

    @rule(target=entries, topic_filter=_small_filters, value=st.integers(0, 3))
    def add(self, topic_filter: str, value: int) -> tuple[str, int]:
        added = self.matcher.add(topic_filter, value)
        assert added is ((topic_filter, value) not in self.model)
        self.model.add((topic_filter, value))
        return topic_filter, value

    @rule(entry=entries)
    def remove(self, entry: tuple[str, int]) -> None:
        removed = self.matcher.remove(*entry)
        assert removed is (entry in self.model)
        self.model.discard(entry)

    @rule(topic=_small_names)
    def match(self, topic: str) -> None:
        expected = sorted(v for f, v in self.model if topic_matches(f, topic))
        assert sorted(self.matcher.match(topic)) == expected

    @invariant()
    def same_entries(self) -> None:
        assert len(self.matcher) == len(self.model)
        assert set(self.matcher) == self.model


TestMatcherMachine = MatcherMachine.TestCase
