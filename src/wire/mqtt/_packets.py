"""MQTT control packets, one frozen dataclass each (MQTT 3.1.1 and 5.0, chapter 3).

The same classes describe packets we send and packets we receive. Constructors
check everything that does not depend on the protocol version and raise
:class:`~wire.errors.LocalProtocolError` for an impossible packet; the rules
that differ between 3.1.1 and 5.0 are checked by :func:`wire.mqtt.encode`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar, TypeAlias

from wire.errors import LocalProtocolError
from wire.mqtt._properties import NO_PROPERTIES, Properties
from wire.mqtt._reason_codes import PacketType, ReasonCode

__all__ = [
    "Auth",
    "Connack",
    "Connect",
    "Disconnect",
    "Packet",
    "Pingreq",
    "Pingresp",
    "Puback",
    "Pubcomp",
    "Publish",
    "Pubrec",
    "Pubrel",
    "RetainHandling",
    "Suback",
    "Subscribe",
    "Subscription",
    "Unsuback",
    "Unsubscribe",
    "Will",
]


def _fail(message: str) -> LocalProtocolError:
    return LocalProtocolError(message)


def check_string(name: str, value: object, *, allow_empty: bool = True) -> None:
    """UTF-8 Encoded String rules (section 1.5.4): no U+0000, no surrogates, <= 65535 bytes."""
    if type(value) is not str:
        raise _fail(f"{name} must be a str, got {type(value).__name__}")
    if not value:
        if not allow_empty:
            raise _fail(f"{name} must not be empty")
        return
    if "\x00" in value:
        raise _fail(f"{name} must not contain U+0000")
    if len(value) > 0x3FFF or not value.isascii():
        try:
            size = len(value.encode("utf-8"))
        except UnicodeEncodeError:
            raise _fail(f"{name} must not contain surrogate code points") from None
        if size > 0xFFFF:
            raise _fail(f"{name} is longer than 65535 bytes when encoded")


def check_topic_name(name: str, value: object, *, allow_empty: bool) -> None:
    """Topic Name rules (section 4.7.3 and [MQTT-3.3.2-2]): no wildcards."""
    check_string(name, value, allow_empty=allow_empty)
    assert isinstance(value, str)
    if "+" in value or "#" in value:
        raise _fail(f"{name} must not contain the wildcards '+' or '#': {value!r}")


def _check_binary(name: str, value: object, limit: int | None = 0xFFFF) -> bytes:
    if type(value) is bytes:
        data = value
    elif isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
    else:
        raise _fail(f"{name} must be bytes, got {type(value).__name__}")
    if limit is not None and len(data) > limit:
        raise _fail(f"{name} is longer than {limit} bytes")
    return data


def _check_int(name: str, value: object, low: int, high: int) -> None:
    if type(value) is not int and (not isinstance(value, int) or isinstance(value, bool)):
        raise _fail(f"{name} must be an int, got {type(value).__name__}")
    if not low <= value <= high:
        raise _fail(f"{name} must be in {low}..{high}, got {value}")


def _check_flag(name: str, value: object) -> None:
    if type(value) is not bool:
        raise _fail(f"{name} must be a bool, got {type(value).__name__}")


def _check_packet_id(value: object) -> None:
    # [MQTT-2.3.1-1]: a packet identifier is a non-zero 16-bit integer.
    _check_int("packet_id", value, 1, 0xFFFF)


def _check_properties(value: object) -> None:
    if type(value) is not Properties:
        raise _fail(f"properties must be a Properties, got {type(value).__name__}")


def _check_reason(value: object) -> None:
    _check_int("reason_code", value, 0, 0xFF)


class RetainHandling:
    """Retain Handling subscription option values (section 3.8.3.1)."""

    SEND_ON_SUBSCRIBE = 0
    SEND_IF_NEW_SUBSCRIPTION = 1
    DO_NOT_SEND = 2


@dataclass(frozen=True, slots=True)
class Will:
    """The Will Message of a CONNECT (section 3.1.2.5, 3.1.3.2-3.1.3.4)."""

    topic: str
    payload: bytes = b""
    qos: int = 0
    retain: bool = False
    properties: Properties = NO_PROPERTIES

    def __post_init__(self) -> None:
        check_topic_name("will topic", self.topic, allow_empty=False)
        object.__setattr__(self, "payload", _check_binary("will payload", self.payload))
        _check_int("will qos", self.qos, 0, 2)
        _check_flag("will retain", self.retain)
        _check_properties(self.properties)


@dataclass(frozen=True, slots=True)
class Connect:
    """CONNECT: the client asks to open a session (section 3.1).

    ``protocol_level`` (4 for 3.1.1, 5 for 5.0) decides how the packet is encoded;
    ``clean_start`` is 3.1.1's Clean Session flag.
    """

    packet_type: ClassVar[PacketType] = PacketType.CONNECT

    client_id: str = ""
    clean_start: bool = True
    keep_alive: int = 60
    username: str | None = None
    password: bytes | None = None
    will: Will | None = None
    properties: Properties = NO_PROPERTIES
    protocol_level: int = 5

    def __post_init__(self) -> None:
        if self.protocol_level not in (4, 5):
            raise _fail(f"protocol_level must be 4 or 5, got {self.protocol_level!r}")
        check_string("client_id", self.client_id)
        _check_flag("clean_start", self.clean_start)
        _check_int("keep_alive", self.keep_alive, 0, 0xFFFF)
        if self.username is not None:
            check_string("username", self.username)
        if self.password is not None:
            object.__setattr__(self, "password", _check_binary("password", self.password))
        if self.will is not None and type(self.will) is not Will:
            raise _fail(f"will must be a Will, got {type(self.will).__name__}")
        _check_properties(self.properties)


@dataclass(frozen=True, slots=True)
class Connack:
    """CONNACK: the server's answer to CONNECT (section 3.2).

    ``reason_code`` is a :class:`ReasonCode` in 5.0 and a
    :class:`ConnectReturnCode` in 3.1.1.
    """

    packet_type: ClassVar[PacketType] = PacketType.CONNACK

    session_present: bool = False
    reason_code: int = ReasonCode.SUCCESS
    properties: Properties = NO_PROPERTIES

    def __post_init__(self) -> None:
        _check_flag("session_present", self.session_present)
        _check_reason(self.reason_code)
        _check_properties(self.properties)
        # [MQTT-3.2.2-6]: a non-zero reason code requires Session Present 0.
        if self.reason_code and self.session_present:
            raise _fail("session_present must be False when reason_code is not success")


@dataclass(frozen=True, slots=True)
class Publish:
    """PUBLISH: an application message (section 3.3).

    ``packet_id`` is required for QoS 1 and 2 and absent for QoS 0. An empty
    ``topic_name`` is only valid in 5.0 together with a Topic Alias property.
    """

    packet_type: ClassVar[PacketType] = PacketType.PUBLISH

    topic_name: str
    payload: bytes = b""
    qos: int = 0
    retain: bool = False
    dup: bool = False
    packet_id: int | None = None
    properties: Properties = NO_PROPERTIES

    def __post_init__(self) -> None:
        topic = self.topic_name
        if type(topic) is not str or "+" in topic or "#" in topic or "\x00" in topic:
            check_topic_name("topic_name", topic, allow_empty=True)
        elif len(topic) > 0x3FFF or not topic.isascii():
            check_string("topic_name", topic)
        if type(self.payload) is not bytes:
            object.__setattr__(self, "payload", _check_binary("payload", self.payload, None))
        qos = self.qos
        if qos == 0 and type(qos) is int:
            if self.packet_id is not None:
                raise _fail("a QoS 0 PUBLISH has no packet_id")
            if self.dup:
                raise _fail("DUP must be False for QoS 0")  # [MQTT-3.3.1-2]
        else:
            _check_int("qos", qos, 0, 2)
            _check_packet_id(self.packet_id)
        _check_flag("retain", self.retain)
        _check_flag("dup", self.dup)
        _check_properties(self.properties)


@dataclass(frozen=True, slots=True)
class _Acknowledgement:
    packet_id: int
    reason_code: int = ReasonCode.SUCCESS
    properties: Properties = NO_PROPERTIES

    def __post_init__(self) -> None:
        _check_packet_id(self.packet_id)
        _check_reason(self.reason_code)
        _check_properties(self.properties)


@dataclass(frozen=True, slots=True)
class Puback(_Acknowledgement):
    """PUBACK: acknowledges a QoS 1 PUBLISH (section 3.4)."""

    packet_type: ClassVar[PacketType] = PacketType.PUBACK


@dataclass(frozen=True, slots=True)
class Pubrec(_Acknowledgement):
    """PUBREC: first acknowledgement of a QoS 2 PUBLISH (section 3.5)."""

    packet_type: ClassVar[PacketType] = PacketType.PUBREC


@dataclass(frozen=True, slots=True)
class Pubrel(_Acknowledgement):
    """PUBREL: releases a QoS 2 message after PUBREC (section 3.6)."""

    packet_type: ClassVar[PacketType] = PacketType.PUBREL


@dataclass(frozen=True, slots=True)
class Pubcomp(_Acknowledgement):
    """PUBCOMP: completes the QoS 2 flow (section 3.7)."""

    packet_type: ClassVar[PacketType] = PacketType.PUBCOMP


@dataclass(frozen=True, slots=True)
class Subscription:
    """One topic filter of a SUBSCRIBE with its Subscription Options (section 3.8.3.1).

    In 3.1.1 only ``qos`` exists; the other options must keep their defaults.
    """

    topic_filter: str
    qos: int = 0
    no_local: bool = False
    retain_as_published: bool = False
    retain_handling: int = RetainHandling.SEND_ON_SUBSCRIBE

    def __post_init__(self) -> None:
        check_string("topic_filter", self.topic_filter, allow_empty=False)
        _check_int("qos", self.qos, 0, 2)
        _check_flag("no_local", self.no_local)
        _check_flag("retain_as_published", self.retain_as_published)
        _check_int("retain_handling", self.retain_handling, 0, 2)
        if self.no_local and self.topic_filter.startswith("$share/"):
            raise _fail("No Local cannot be set on a shared subscription")  # [MQTT-3.8.3-4]


@dataclass(frozen=True, slots=True)
class Subscribe:
    """SUBSCRIBE: one or more subscriptions (section 3.8)."""

    packet_type: ClassVar[PacketType] = PacketType.SUBSCRIBE

    packet_id: int
    subscriptions: tuple[Subscription, ...]
    properties: Properties = NO_PROPERTIES

    def __post_init__(self) -> None:
        _check_packet_id(self.packet_id)
        subs = self.subscriptions
        if type(subs) is not tuple:
            subs = tuple(subs)
            object.__setattr__(self, "subscriptions", subs)
        if not subs:
            raise _fail("SUBSCRIBE needs at least one subscription")  # [MQTT-3.8.3-2]
        for sub in subs:
            if type(sub) is not Subscription:
                raise _fail(f"subscriptions must hold Subscription, got {type(sub).__name__}")
        _check_properties(self.properties)


def _reason_tuple(value: Iterable[int]) -> tuple[int, ...]:
    codes = value if type(value) is tuple else tuple(value)
    for code in codes:
        _check_reason(code)
    return codes


@dataclass(frozen=True, slots=True)
class Suback:
    """SUBACK: one reason code per requested subscription (section 3.9)."""

    packet_type: ClassVar[PacketType] = PacketType.SUBACK

    packet_id: int
    reason_codes: tuple[int, ...]
    properties: Properties = NO_PROPERTIES

    def __post_init__(self) -> None:
        _check_packet_id(self.packet_id)
        object.__setattr__(self, "reason_codes", _reason_tuple(self.reason_codes))
        if not self.reason_codes:
            raise _fail("SUBACK needs at least one reason code")
        _check_properties(self.properties)


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    """UNSUBSCRIBE: one or more topic filters to remove (section 3.10)."""

    packet_type: ClassVar[PacketType] = PacketType.UNSUBSCRIBE

    packet_id: int
    topic_filters: tuple[str, ...]
    properties: Properties = NO_PROPERTIES

    def __post_init__(self) -> None:
        _check_packet_id(self.packet_id)
        filters: object = self.topic_filters
        if type(filters) is not tuple:
            if isinstance(filters, str) or not isinstance(filters, Iterable):
                raise _fail("topic_filters must be a sequence of str")
            filters = tuple(filters)
            object.__setattr__(self, "topic_filters", filters)
        if not filters:
            raise _fail("UNSUBSCRIBE needs at least one topic filter")  # [MQTT-3.10.3-2]
        for topic_filter in filters:
            check_string("topic_filter", topic_filter, allow_empty=False)
        _check_properties(self.properties)


@dataclass(frozen=True, slots=True)
class Unsuback:
    """UNSUBACK (section 3.11). 5.0 carries one reason code per filter; 3.1.1 none."""

    packet_type: ClassVar[PacketType] = PacketType.UNSUBACK

    packet_id: int
    reason_codes: tuple[int, ...] = ()
    properties: Properties = NO_PROPERTIES

    def __post_init__(self) -> None:
        _check_packet_id(self.packet_id)
        object.__setattr__(self, "reason_codes", _reason_tuple(self.reason_codes))
        _check_properties(self.properties)


@dataclass(frozen=True, slots=True)
class Pingreq:
    """PINGREQ: keep-alive probe from the client (section 3.12)."""

    packet_type: ClassVar[PacketType] = PacketType.PINGREQ


@dataclass(frozen=True, slots=True)
class Pingresp:
    """PINGRESP: the server's answer to PINGREQ (section 3.13)."""

    packet_type: ClassVar[PacketType] = PacketType.PINGRESP


@dataclass(frozen=True, slots=True)
class Disconnect:
    """DISCONNECT (section 3.14). In 3.1.1 it has no reason code or properties."""

    packet_type: ClassVar[PacketType] = PacketType.DISCONNECT

    reason_code: int = ReasonCode.NORMAL_DISCONNECTION
    properties: Properties = NO_PROPERTIES

    def __post_init__(self) -> None:
        _check_reason(self.reason_code)
        _check_properties(self.properties)


@dataclass(frozen=True, slots=True)
class Auth:
    """AUTH: enhanced authentication exchange, MQTT 5.0 only (section 3.15)."""

    packet_type: ClassVar[PacketType] = PacketType.AUTH

    reason_code: int = ReasonCode.SUCCESS
    properties: Properties = NO_PROPERTIES

    def __post_init__(self) -> None:
        _check_reason(self.reason_code)
        _check_properties(self.properties)


Packet: TypeAlias = (
    Connect
    | Connack
    | Publish
    | Puback
    | Pubrec
    | Pubrel
    | Pubcomp
    | Subscribe
    | Suback
    | Unsubscribe
    | Unsuback
    | Pingreq
    | Pingresp
    | Disconnect
    | Auth
)
