"""The SQLite store behaves like the in-memory reference store."""

from __future__ import annotations

import pathlib
import sqlite3
import tempfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servers.mqtt_store import SqliteStore
from wire.mqtt import Properties
from wire.mqtt._broker_store import (
    BrokerSnapshot,
    IncomingReleased,
    IncomingStored,
    MemoryStore,
    MessageDone,
    MessageInFlight,
    MessageQueued,
    RetainedCleared,
    RetainedSet,
    SessionDeleted,
    SessionSaved,
    StoreChange,
    StoredMessage,
    SubscriptionDeleted,
    SubscriptionSaved,
    decode_message_properties,
    encode_message_properties,
)

clients = st.sampled_from(["a", "b", "c"])
topics = st.sampled_from(["t/1", "t/2", "x"])
numbers = st.integers(1, 4)


def messages(retain: st.SearchStrategy[bool]) -> st.SearchStrategy[StoredMessage]:
    return st.builds(
        StoredMessage,
        topic=topics,
        payload=st.binary(max_size=8),
        qos=st.integers(0, 2),
        retain=retain,
        properties=st.just(encode_message_properties(Properties.build(content_type="a"))),
        expires_at=st.none() | st.floats(0, 1e9, allow_nan=False),
        origin=clients,
    )


changes: st.SearchStrategy[StoreChange] = st.one_of(
    st.builds(
        SessionSaved,
        clients,
        st.sampled_from([4, 5]),
        st.none() | st.floats(0, 1e6, allow_nan=False),
        st.none() | st.floats(0, 1e9, allow_nan=False),
    ),
    st.builds(SessionDeleted, clients),
    st.builds(
        SubscriptionSaved,
        clients,
        topics,
        st.integers(0, 2),
        st.booleans(),
        st.booleans(),
        st.integers(0, 2),
        st.none() | st.integers(1, 100),
    ),
    st.builds(SubscriptionDeleted, clients, topics),
    st.builds(RetainedSet, messages(st.just(True))),
    st.builds(RetainedCleared, topics),
    st.builds(
        MessageQueued,
        clients,
        numbers,
        messages(st.booleans()),
        st.integers(1, 2),
        st.booleans(),
        st.lists(st.integers(1, 9), max_size=2).map(tuple),
    ),
    st.builds(MessageInFlight, clients, numbers, st.integers(1, 65535), st.booleans()),
    st.builds(MessageDone, clients, numbers),
    st.builds(IncomingStored, clients, st.integers(1, 5)),
    st.builds(IncomingReleased, clients, st.integers(1, 5)),
)


def normalise(snapshot: BrokerSnapshot) -> object:
    sessions = {
        s.client_id: (
            s.version,
            s.expiry_interval,
            s.expires_at,
            sorted(s.subscriptions, key=lambda x: x.topic_filter),
            s.deliveries,
            s.incoming_qos2,
        )
        for s in snapshot.sessions
    }
    return sessions, sorted(snapshot.retained, key=lambda m: m.topic)


@settings(max_examples=30)  # each example creates a database; keep the file fast
@given(batches=st.lists(st.lists(changes, max_size=8), max_size=6))
def test_sqlite_store_agrees_with_memory_store(batches: list[list[StoreChange]]) -> None:
    memory = MemoryStore()
    with tempfile.TemporaryDirectory() as directory:
        sqlite = SqliteStore(directory)
        try:
            for batch in batches:
                memory.apply(batch)
                sqlite.apply(batch)
            assert normalise(sqlite.load()) == normalise(memory.load())
        finally:
            sqlite.close()
        # A fresh process sees the same state.
        reopened = SqliteStore(directory)
        try:
            assert normalise(reopened.load()) == normalise(memory.load())
        finally:
            reopened.close()


def test_failed_batch_is_rolled_back(tmp_path: pathlib.Path) -> None:
    store = SqliteStore(str(tmp_path))
    store.apply([SessionSaved("a", 5, 10.0, None)])
    batch: list[StoreChange] = [
        SessionSaved("b", 5, 10.0, None),
        SubscriptionSaved("a", "t", 1, False, False, 0, None),
        RetainedSet(StoredMessage("t", b"x", 0, True, b"\x00", None, "a")),
        SessionSaved("c", 5, object(), None),  # type: ignore[arg-type]  # not storable
    ]
    with pytest.raises(sqlite3.ProgrammingError):
        store.apply(batch)
    names = {s.client_id for s in store.load().sessions}
    assert names == {"a"}
    assert store.load().retained == []
    store.close()


def test_message_properties_round_trip() -> None:
    props = Properties.build(message_expiry_interval=5, user_property=[("k", "v")])
    assert decode_message_properties(encode_message_properties(props)) == props
    assert decode_message_properties(encode_message_properties(Properties())) == Properties()
