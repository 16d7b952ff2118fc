"""Hypothesis strategies for MQTT packets, for property tests and fuzzing campaigns.

Every strategy generates valid values: ``decode(encode(p, version=v), version=v)``
gives ``p`` back for any ``p`` drawn from ``packets(v)``. Requires ``hypothesis``.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from wire.mqtt._packets import (
    Auth,
    Connack,
    Connect,
    Disconnect,
    Packet,
    Pingreq,
    Pingresp,
    Puback,
    Pubcomp,
    Publish,
    Pubrec,
    Pubrel,
    Suback,
    Subscribe,
    Subscription,
    Unsuback,
    Unsubscribe,
    Will,
)
from wire.mqtt._properties import (
    _SPECS,
    NO_PROPERTIES,
    WILL_PROPERTIES,
    Properties,
    PropertyId,
    PropertySpec,
    PropertyType,
    PropertyValue,
)
from wire.mqtt._reason_codes import PacketType, reason_codes_for

__all__ = [
    "packet_ids",
    "packets",
    "properties",
    "topic_filters",
    "topic_names",
    "utf8_strings",
]

_characters = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")


def utf8_strings(*, min_size: int = 0, max_size: int = 24) -> st.SearchStrategy[str]:
    """Text MQTT allows in a UTF-8 Encoded String: no U+0000, no surrogates."""
    return st.text(_characters, min_size=min_size, max_size=max_size)


_level_chars = st.characters(exclude_categories=["Cs"], exclude_characters="\x00/+#")
_levels = st.text(_level_chars, max_size=8)


def topic_names() -> st.SearchStrategy[str]:
    """Valid PUBLISH topic names: one or more levels, no wildcards, not empty."""
    return st.lists(_levels, min_size=1, max_size=5).map("/".join).filter(bool)


def topic_filters() -> st.SearchStrategy[str]:
    """Valid topic filters, with ``+`` levels and a trailing ``#``."""
    level = st.one_of(_levels, st.just("+"))
    body = st.lists(level, min_size=1, max_size=5)
    return st.builds(
        lambda levels, multi: "/".join([*levels, "#"] if multi else levels),
        body,
        st.booleans(),
    ).filter(bool)


def packet_ids() -> st.SearchStrategy[int]:
    """Non-zero 16-bit packet identifiers."""
    return st.integers(1, 0xFFFF)


def _value(spec: PropertySpec) -> st.SearchStrategy[Any]:
    if spec.bounds is not None:
        return st.integers(*spec.bounds)
    if spec.id is PropertyId.RESPONSE_TOPIC:
        return topic_names()
    if spec.type is PropertyType.UTF8_STRING:
        return utf8_strings()
    if spec.type is PropertyType.BINARY_DATA:
        return st.binary(max_size=24)
    return st.tuples(utf8_strings(max_size=8), utf8_strings(max_size=8))


def properties(
    kind: int, *, exclude: frozenset[PropertyId] = frozenset()
) -> st.SearchStrategy[Properties]:
    """Properties allowed in packet ``kind`` (a :class:`PacketType` or ``WILL_PROPERTIES``)."""
    allowed = [s for s in _SPECS.values() if kind in s.packets and s.id not in exclude]
    item = st.sampled_from(allowed).flatmap(lambda s: st.tuples(st.just(s.id), _value(s)))

    def build(items: list[tuple[PropertyId, PropertyValue]]) -> Properties:
        seen: set[PropertyId] = set()
        kept = []
        for pid, value in items:
            repeatable = _SPECS[pid].repeatable and (
                pid is not PropertyId.SUBSCRIPTION_IDENTIFIER or kind == PacketType.PUBLISH
            )
            if pid in seen and not repeatable:
                continue
            seen.add(pid)
            kept.append((pid, value))
        if PropertyId.AUTHENTICATION_DATA in seen and PropertyId.AUTHENTICATION_METHOD not in seen:
            # Authentication Data needs an Authentication Method (section 3.1.2.11.10).
            kept.append((PropertyId.AUTHENTICATION_METHOD, "SCRAM-SHA-1"))
        return Properties(tuple(kept))

    return st.lists(item, max_size=5).map(build)


def _props(kind: int, version: int) -> st.SearchStrategy[Properties]:
    return properties(kind) if version == 5 else st.just(NO_PROPERTIES)


def _reasons(packet_type: PacketType, version: int) -> st.SearchStrategy[int]:
    codes = sorted(reason_codes_for(packet_type, version))
    return st.sampled_from(codes) if codes else st.just(0)


@st.composite
def _connect(draw: st.DrawFn, version: int) -> Connect:
    will = draw(
        st.none()
        | st.builds(
            Will,
            topic=topic_names(),
            payload=st.binary(max_size=32),
            qos=st.integers(0, 2),
            retain=st.booleans(),
            properties=_props(WILL_PROPERTIES, version),
        )
    )
    username = draw(st.none() | utf8_strings())
    password = draw(st.none() | st.binary(max_size=16))
    if version == 4 and username is None:
        password = None  # [MQTT-3.1.2-22]
    return Connect(
        client_id=draw(utf8_strings()),
        clean_start=draw(st.booleans()),
        keep_alive=draw(st.integers(0, 0xFFFF)),
        username=username,
        password=password,
        will=will,
        properties=draw(_props(PacketType.CONNECT, version)),
        protocol_level=version,
    )


@st.composite
def _connack(draw: st.DrawFn, version: int) -> Connack:
    code = draw(_reasons(PacketType.CONNACK, version))
    return Connack(
        session_present=draw(st.booleans()) if not code else False,
        reason_code=code,
        properties=draw(_props(PacketType.CONNACK, version)),
    )


@st.composite
def _publish(draw: st.DrawFn, version: int) -> Publish:
    qos = draw(st.integers(0, 2))
    props = draw(_props(PacketType.PUBLISH, version))
    topic = draw(topic_names())
    if version == 5 and props.get(PropertyId.TOPIC_ALIAS) is not None and draw(st.booleans()):
        topic = ""
    return Publish(
        topic_name=topic,
        payload=draw(st.binary(max_size=200)),
        qos=qos,
        retain=draw(st.booleans()),
        dup=draw(st.booleans()) if qos else False,
        packet_id=draw(packet_ids()) if qos else None,
        properties=props,
    )


def _acknowledgement(
    cls: type[Puback | Pubrec | Pubrel | Pubcomp], version: int
) -> st.SearchStrategy[Packet]:
    if version == 4:
        return st.builds(cls, packet_id=packet_ids())
    return st.builds(
        cls,
        packet_id=packet_ids(),
        reason_code=_reasons(cls.packet_type, 5),
        properties=_props(cls.packet_type, 5),
    )


def _subscription(version: int) -> st.SearchStrategy[Subscription]:
    if version == 4:
        return st.builds(Subscription, topic_filter=topic_filters(), qos=st.integers(0, 2))
    return st.builds(
        Subscription,
        topic_filter=topic_filters(),
        qos=st.integers(0, 2),
        no_local=st.booleans(),
        retain_as_published=st.booleans(),
        retain_handling=st.integers(0, 2),
    )


def packets(version: int) -> st.SearchStrategy[Packet]:
    """Any valid packet of protocol ``version`` (4 or 5)."""
    options: list[st.SearchStrategy[Any]] = [
        _connect(version),
        _connack(version),
        _publish(version),
        *(_acknowledgement(cls, version) for cls in (Puback, Pubrec, Pubrel, Pubcomp)),
        st.builds(
            Subscribe,
            packet_id=packet_ids(),
            subscriptions=st.lists(_subscription(version), min_size=1, max_size=4).map(tuple),
            properties=_props(PacketType.SUBSCRIBE, version),
        ),
        st.builds(
            Suback,
            packet_id=packet_ids(),
            reason_codes=st.lists(_reasons(PacketType.SUBACK, version), min_size=1, max_size=4).map(
                tuple
            ),
            properties=_props(PacketType.SUBACK, version),
        ),
        st.builds(
            Unsubscribe,
            packet_id=packet_ids(),
            topic_filters=st.lists(topic_filters(), min_size=1, max_size=4).map(tuple),
            properties=_props(PacketType.UNSUBSCRIBE, version),
        ),
        st.just(Pingreq()),
        st.just(Pingresp()),
    ]
    if version == 4:
        options += [st.builds(Unsuback, packet_id=packet_ids()), st.just(Disconnect())]
    else:
        options += [
            st.builds(
                Unsuback,
                packet_id=packet_ids(),
                reason_codes=st.lists(_reasons(PacketType.UNSUBACK, 5), min_size=1, max_size=4).map(
                    tuple
                ),
                properties=_props(PacketType.UNSUBACK, 5),
            ),
            st.builds(
                Disconnect,
                reason_code=_reasons(PacketType.DISCONNECT, 5),
                properties=_props(PacketType.DISCONNECT, 5),
            ),
            st.builds(
                Auth,
                reason_code=_reasons(PacketType.AUTH, 5),
                properties=_props(PacketType.AUTH, 5),
            ),
        ]
    return st.one_of(options)
