"""Password and ACL files."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wire.errors import LocalProtocolError
from wire.mqtt import AccessControl, PasswordFile, filter_covers, hash_password, topic_matches

SALT = bytes(range(16))
# A small scrypt cost keeps the tests fast; the default is checked once below.
FAST = {"n": 1 << 4, "r": 8, "p": 1}


def test_hash_and_verify() -> None:
    hashed = hash_password("s3cret", salt=SALT, **FAST)
    assert hashed.startswith("$scrypt$n=16,r=8,p=1$")
    passwords = PasswordFile()
    passwords.set("alice", hashed)
    assert passwords.verify("alice", b"s3cret")
    assert passwords.verify("alice", b"s3cret")  # from the cache
    assert not passwords.verify("alice", b"wrong")
    assert not passwords.verify("bob", b"s3cret")
    assert not passwords.verify(None, b"s3cret")
    assert not passwords.verify("alice", None)
    assert passwords.authenticate("alice", b"s3cret", "client")
    assert "alice" in passwords and len(passwords) == 1


def test_default_cost_and_bytes_password() -> None:
    hashed = hash_password(b"pw", salt=SALT)
    assert hashed.startswith("$scrypt$n=16384,r=8,p=1$")
    assert PasswordFile([("u", hashed)]).verify("u", b"pw")


def test_salt_must_be_long_enough() -> None:
    with pytest.raises(LocalProtocolError, match="16 bytes"):
        hash_password("pw", salt=b"short")


def test_file_round_trip_and_edits() -> None:
    text = "# users\n\nalice:" + hash_password("a", salt=SALT, **FAST) + "\n"
    passwords = PasswordFile.parse(text)
    passwords.set("bob", hash_password("b", salt=SALT, **FAST))
    again = PasswordFile.parse(passwords.dump())
    assert again.verify("alice", b"a") and again.verify("bob", b"b")
    assert again.remove("alice")
    assert not again.remove("alice")
    assert not again.verify("alice", b"a")


@pytest.mark.parametrize("text", ["alice", "alice:plain", ":$scrypt$x"])
def test_bad_password_lines(text: str) -> None:
    with pytest.raises(LocalProtocolError, match="line 1"):
        PasswordFile.parse(text)


@pytest.mark.parametrize("name", ["", "a:b", "a\nb"])
def test_bad_user_names(name: str) -> None:
    with pytest.raises(LocalProtocolError):
        PasswordFile().set(name, hash_password("x", salt=SALT, **FAST))


@pytest.mark.parametrize(
    "hashed",
    [
        "$bcrypt$n=16,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAA",
        "$scrypt$n=16,r=8$AAAAAAAAAAAAAAAAAAAAAA$AAAA",
        "$scrypt$n=16,r=8,p=1$!!!$AAAA",
        "$scrypt$broken",
        "$scrypt$n=15,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAA",  # not a power of two
        "$scrypt$n=4194304,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAA",  # too costly
        "$scrypt$n=16,r=99,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAA",
    ],
)
def test_unusable_hashes_never_verify(hashed: str) -> None:
    assert not PasswordFile([("u", hashed)]).verify("u", b"pw")


def test_cache_is_bounded() -> None:
    passwords = PasswordFile([("u", hash_password("pw", salt=SALT, **FAST))], cache_size=2)
    for attempt in (b"a", b"b", b"c", b"pw"):
        passwords.verify("u", attempt)
    assert len(passwords._cache) == 2
    assert passwords.verify("u", b"pw")


ACL = """
# anonymous clients
topic read public/#

user alice
topic readwrite alice/#
topic write shared/alice

client sensor-7
topic write sensors/7/#

pattern read devices/%u/#
pattern write clients/%c/out
"""


def test_acl_rules() -> None:
    acl = AccessControl.parse(ACL)
    assert acl.can_subscribe(None, "anon", "public/news")
    assert acl.can_subscribe(None, "anon", "public/#")
    assert not acl.can_publish(None, "anon", "public/news")
    assert not acl.can_subscribe("alice", "c", "public/news")  # anonymous rules only
    assert acl.can_publish("alice", "c", "alice/x/y")
    assert acl.can_subscribe("alice", "c", "alice/+/y")
    assert acl.can_subscribe("alice", "c", "$share/g/alice/#")
    assert not acl.can_subscribe("alice", "c", "#")
    assert acl.can_publish("alice", "c", "shared/alice")
    assert not acl.can_subscribe("alice", "c", "shared/alice")
    assert acl.can_publish("bob", "sensor-7", "sensors/7/t")
    assert not acl.can_publish("bob", "sensor-8", "sensors/7/t")
    assert acl.can_subscribe("bob", "x", "devices/bob/temp")
    assert not acl.can_subscribe("bob", "x", "devices/alice/temp")
    assert not acl.can_subscribe(None, "x", "devices/none/temp")
    assert acl.can_publish("bob", "c9", "clients/c9/out")
    assert not acl.can_publish("bob", "c9", "clients/c8/out")


def test_substitution_cannot_widen_a_rule() -> None:
    acl = AccessControl.parse("pattern readwrite devices/%u/%c\n")
    assert not acl.can_publish("a/b", "c", "devices/a/b/c")
    assert not acl.can_publish("+", "c", "devices/x/c")
    assert not acl.can_publish("u", "c/d", "devices/u/c/d")
    assert not acl.can_publish("u", "#", "devices/u/x")
    assert acl.can_publish("u", "c", "devices/u/c")


@pytest.mark.parametrize(
    "text", ["topic fly a/b", "topic read a/#/b", "bogus line", "user", "user a b"]
)
def test_bad_acl_lines(text: str) -> None:
    with pytest.raises(LocalProtocolError, match="ACL line 1"):
        AccessControl.parse(text)


def test_topic_without_access_means_readwrite() -> None:
    acl = AccessControl.parse("topic a/b")
    assert acl.can_publish(None, "c", "a/b") and acl.can_subscribe(None, "c", "a/b")


@pytest.mark.parametrize(
    ("general", "specific", "covers"),
    [
        ("#", "a/b", True),
        ("a/#", "a", True),
        ("a/#", "a/+/c", True),
        ("a/+", "a/b", True),
        ("a/+", "a/+", True),
        ("a/+", "a/#", False),
        ("a/b", "a/+", False),
        ("a/b", "a/b/c", False),
        ("a/b/c", "a/b", False),
        ("#", "$SYS/x", False),
        ("+/x", "$SYS/x", False),
        ("$SYS/#", "$SYS/broker/uptime", True),
    ],
)
def test_filter_covers(general: str, specific: str, covers: bool) -> None:
    assert filter_covers(general, specific) is covers


_levels = st.sampled_from(["a", "b", "+", "$s"])
_filters = st.builds(
    lambda levels, multi: "/".join([*levels, "#"] if multi else levels),
    st.lists(_levels, min_size=1, max_size=3),
    st.booleans(),
)
_topics = st.lists(st.sampled_from(["a", "b", "$s", ""]), min_size=1, max_size=4).map("/".join)


@given(general=_filters, specific=_filters, topic=_topics)
def test_covering_filter_matches_whatever_the_covered_one_matches(
    general: str, specific: str, topic: str
) -> None:
    if filter_covers(general, specific) and topic_matches(specific, topic):
        assert topic_matches(general, topic)
