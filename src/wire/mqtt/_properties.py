"""MQTT 5.0 properties (section 2.2.2).

:class:`Properties` keeps the properties in wire order, so a decoded packet
re-encodes to the same bytes, and enforces the repetition rules: only User
Property and Subscription Identifier may appear more than once.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import NamedTuple, TypeAlias

from wire.errors import LocalProtocolError
from wire.mqtt._reason_codes import PacketType

__all__ = [
    "WILL_PROPERTIES",
    "Properties",
    "PropertyId",
    "PropertySpec",
    "PropertyType",
    "PropertyValue",
    "property_spec",
]

PropertyValue: TypeAlias = int | str | bytes | tuple[str, str]

#: Where Will Properties are checked, as if they were a packet type (section 3.1.3.2).
WILL_PROPERTIES = 0


class PropertyId(enum.IntEnum):
    """Property identifiers (section 2.2.2.2, table 2-4)."""

    PAYLOAD_FORMAT_INDICATOR = 0x01
    MESSAGE_EXPIRY_INTERVAL = 0x02
    CONTENT_TYPE = 0x03
    RESPONSE_TOPIC = 0x08
    CORRELATION_DATA = 0x09
    SUBSCRIPTION_IDENTIFIER = 0x0B
    SESSION_EXPIRY_INTERVAL = 0x11
    ASSIGNED_CLIENT_IDENTIFIER = 0x12
    SERVER_KEEP_ALIVE = 0x13
    AUTHENTICATION_METHOD = 0x15
    AUTHENTICATION_DATA = 0x16
    REQUEST_PROBLEM_INFORMATION = 0x17
    WILL_DELAY_INTERVAL = 0x18
    REQUEST_RESPONSE_INFORMATION = 0x19
    RESPONSE_INFORMATION = 0x1A
    SERVER_REFERENCE = 0x1C
    REASON_STRING = 0x1F
    RECEIVE_MAXIMUM = 0x21
    TOPIC_ALIAS_MAXIMUM = 0x22
    TOPIC_ALIAS = 0x23
    MAXIMUM_QOS = 0x24
    RETAIN_AVAILABLE = 0x25
    USER_PROPERTY = 0x26
    MAXIMUM_PACKET_SIZE = 0x27
    WILDCARD_SUBSCRIPTION_AVAILABLE = 0x28
    SUBSCRIPTION_IDENTIFIER_AVAILABLE = 0x29
    SHARED_SUBSCRIPTION_AVAILABLE = 0x2A

    @property
    def spec_name(self) -> str:
        """The property's name as the specification writes it."""
        return _SPEC_NAMES[self]


class PropertyType(enum.Enum):
    """Data representations a property value uses (section 1.5)."""

    BYTE = "Byte"
    TWO_BYTE_INTEGER = "Two Byte Integer"
    FOUR_BYTE_INTEGER = "Four Byte Integer"
    VARIABLE_BYTE_INTEGER = "Variable Byte Integer"
    UTF8_STRING = "UTF-8 Encoded String"
    BINARY_DATA = "Binary Data"
    UTF8_STRING_PAIR = "UTF-8 String Pair"


class PropertySpec(NamedTuple):
    """What the specification says about one property."""

    id: PropertyId
    type: PropertyType
    packets: frozenset[int]
    repeatable: bool
    #: Smallest and largest allowed value for integer properties; ``None`` for others.
    bounds: tuple[int, int] | None


_P = PacketType
_T = PropertyType
_PUBLISH_WILL = frozenset({_P.PUBLISH, WILL_PROPERTIES})
_ACKS = frozenset(
    {_P.CONNACK, _P.PUBACK, _P.PUBREC, _P.PUBREL, _P.PUBCOMP, _P.SUBACK, _P.UNSUBACK, _P.DISCONNECT}
)
_ALL = frozenset({*(int(t) for t in PacketType if t not in (_P.PINGREQ, _P.PINGRESP)), 0})

_VBI_MAX = 268_435_455
_FLAG = (0, 1)
_U16 = (0, 0xFFFF)
_U16_NONZERO = (1, 0xFFFF)
_U32 = (0, 0xFFFF_FFFF)


def _spec(
    pid: PropertyId,
    ptype: PropertyType,
    packets: frozenset[int] | set[int],
    *,
    repeatable: bool = False,
    bounds: tuple[int, int] | None = None,
) -> PropertySpec:
    if bounds is None and ptype is _T.TWO_BYTE_INTEGER:
        bounds = _U16
    elif bounds is None and ptype is _T.FOUR_BYTE_INTEGER:
        bounds = _U32
    return PropertySpec(pid, ptype, frozenset(packets), repeatable, bounds)


_I = PropertyId
# Section 2.2.2.2, table 2-4; value ranges from each property's own section.
_SPECS: dict[int, PropertySpec] = {
    s.id: s
    for s in (
        _spec(_I.PAYLOAD_FORMAT_INDICATOR, _T.BYTE, _PUBLISH_WILL, bounds=_FLAG),
        _spec(_I.MESSAGE_EXPIRY_INTERVAL, _T.FOUR_BYTE_INTEGER, _PUBLISH_WILL),
        _spec(_I.CONTENT_TYPE, _T.UTF8_STRING, _PUBLISH_WILL),
        _spec(_I.RESPONSE_TOPIC, _T.UTF8_STRING, _PUBLISH_WILL),
        _spec(_I.CORRELATION_DATA, _T.BINARY_DATA, _PUBLISH_WILL),
        # 3.3.2.3.8: "It is a Protocol Error if the Subscription Identifier has a value of 0".
        _spec(
            _I.SUBSCRIPTION_IDENTIFIER,
            _T.VARIABLE_BYTE_INTEGER,
            {_P.PUBLISH, _P.SUBSCRIBE},
            repeatable=True,
            bounds=(1, _VBI_MAX),
        ),
        _spec(
            _I.SESSION_EXPIRY_INTERVAL,
            _T.FOUR_BYTE_INTEGER,
            {_P.CONNECT, _P.CONNACK, _P.DISCONNECT},
        ),
        _spec(_I.ASSIGNED_CLIENT_IDENTIFIER, _T.UTF8_STRING, {_P.CONNACK}),
        _spec(_I.SERVER_KEEP_ALIVE, _T.TWO_BYTE_INTEGER, {_P.CONNACK}),
        _spec(_I.AUTHENTICATION_METHOD, _T.UTF8_STRING, {_P.CONNECT, _P.CONNACK, _P.AUTH}),
        _spec(_I.AUTHENTICATION_DATA, _T.BINARY_DATA, {_P.CONNECT, _P.CONNACK, _P.AUTH}),
        _spec(_I.REQUEST_PROBLEM_INFORMATION, _T.BYTE, {_P.CONNECT}, bounds=_FLAG),
        _spec(_I.WILL_DELAY_INTERVAL, _T.FOUR_BYTE_INTEGER, {WILL_PROPERTIES}),
        _spec(_I.REQUEST_RESPONSE_INFORMATION, _T.BYTE, {_P.CONNECT}, bounds=_FLAG),
        _spec(_I.RESPONSE_INFORMATION, _T.UTF8_STRING, {_P.CONNACK}),
        _spec(_I.SERVER_REFERENCE, _T.UTF8_STRING, {_P.CONNACK, _P.DISCONNECT}),
        _spec(_I.REASON_STRING, _T.UTF8_STRING, _ACKS | {_P.AUTH}),
        # 3.1.2.11.3 / 3.2.2.3.3: a Receive Maximum of 0 is a Protocol Error.
        _spec(
            _I.RECEIVE_MAXIMUM, _T.TWO_BYTE_INTEGER, {_P.CONNECT, _P.CONNACK}, bounds=_U16_NONZERO
        ),
        _spec(_I.TOPIC_ALIAS_MAXIMUM, _T.TWO_BYTE_INTEGER, {_P.CONNECT, _P.CONNACK}),
        # 3.3.2.3.4: "A Topic Alias of 0 is not permitted".
        _spec(_I.TOPIC_ALIAS, _T.TWO_BYTE_INTEGER, {_P.PUBLISH}, bounds=_U16_NONZERO),
        _spec(_I.MAXIMUM_QOS, _T.BYTE, {_P.CONNACK}, bounds=_FLAG),
        _spec(_I.RETAIN_AVAILABLE, _T.BYTE, {_P.CONNACK}, bounds=_FLAG),
        _spec(_I.USER_PROPERTY, _T.UTF8_STRING_PAIR, _ALL, repeatable=True),
        # 3.1.2.11.4 / 3.2.2.3.6: a Maximum Packet Size of 0 is a Protocol Error.
        _spec(
            _I.MAXIMUM_PACKET_SIZE,
            _T.FOUR_BYTE_INTEGER,
            {_P.CONNECT, _P.CONNACK},
            bounds=(1, 0xFFFF_FFFF),
        ),
        _spec(_I.WILDCARD_SUBSCRIPTION_AVAILABLE, _T.BYTE, {_P.CONNACK}, bounds=_FLAG),
        _spec(_I.SUBSCRIPTION_IDENTIFIER_AVAILABLE, _T.BYTE, {_P.CONNACK}, bounds=_FLAG),
        _spec(_I.SHARED_SUBSCRIPTION_AVAILABLE, _T.BYTE, {_P.CONNACK}, bounds=_FLAG),
    )
}

_SPEC_NAMES: dict[PropertyId, str] = {
    pid: " ".join(
        {"QOS": "QoS", "UTF8": "UTF-8"}.get(word, word.capitalize()) for word in pid.name.split("_")
    )
    for pid in PropertyId
}

_BY_KEYWORD: dict[str, PropertyId] = {pid.name.lower(): pid for pid in PropertyId}
_BY_SPEC_NAME: dict[str, PropertyId] = {name: pid for pid, name in _SPEC_NAMES.items()}


def property_spec(pid: int) -> PropertySpec | None:
    """What the specification says about property ``pid``, or ``None`` if it has none."""
    return _SPECS.get(pid)


def property_id_from_spec_name(name: str) -> PropertyId:
    """The identifier of the property named ``name`` as the specification writes it."""
    try:
        return _BY_SPEC_NAME[name]
    except KeyError:
        raise LocalProtocolError(f"unknown MQTT property name {name!r}") from None


def check_value(spec: PropertySpec, value: object) -> str | None:
    """Return why ``value`` is not a valid value of property ``spec``, or ``None``."""
    ptype = spec.type
    if spec.bounds is not None or ptype is _T.BYTE:
        if not isinstance(value, int) or isinstance(value, bool):
            return "must be an integer"
        low, high = spec.bounds or (0, 0xFF)
        if not low <= value <= high:
            return f"must be in {low}..{high}, got {value}"
        return None
    if ptype is _T.UTF8_STRING:
        if (
            spec.id is PropertyId.RESPONSE_TOPIC
            and isinstance(value, str)
            and ("+" in value or "#" in value)
        ):
            return "must not contain wildcards"  # [MQTT-3.3.2-14]
        return _check_string(value)
    if ptype is _T.BINARY_DATA:
        if not isinstance(value, bytes):
            return "must be bytes"
        if len(value) > 0xFFFF:
            return "is longer than 65535 bytes"
        return None
    # UTF-8 String Pair
    if not isinstance(value, tuple) or len(value) != 2:
        return "must be a (name, value) pair of strings"
    return _check_string(value[0]) or _check_string(value[1])


def _check_string(value: object) -> str | None:
    if not isinstance(value, str):
        return "must be a str"
    if "\x00" in value:
        return "must not contain U+0000"  # section 1.5.4 [MQTT-1.5.4-2]
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        return "must not contain surrogates"  # section 1.5.4 [MQTT-1.5.4-1]
    if size > 0xFFFF:
        return "is longer than 65535 bytes when encoded"
    return None


@dataclass(frozen=True, slots=True)
class Properties:
    """An ordered, immutable list of MQTT 5.0 properties.

    Build one from keywords named after the properties,
    ``Properties.build(message_expiry_interval=30, user_property=[("k", "v")])``,
    or from ``(PropertyId, value)`` pairs in wire order. Values are ``int`` for the
    integer types, ``str`` for UTF-8 strings, ``bytes`` for binary data and
    ``(name, value)`` for a User Property.

    Raises:
        LocalProtocolError: an unknown identifier, a value of the wrong type or
            range, or a non-repeatable property given twice.
    """

    items: tuple[tuple[PropertyId, PropertyValue], ...] = ()

    def __post_init__(self) -> None:
        if type(self.items) is not tuple:
            object.__setattr__(self, "items", tuple(self.items))
        seen: set[int] = set()
        normalised = []
        items: tuple[object, ...] = self.items
        for item in items:
            if not isinstance(item, tuple) or len(item) != 2:
                raise LocalProtocolError(f"property {item!r} is not an (id, value) pair")
            pid, value = item
            spec = _SPECS.get(pid)
            if spec is None:
                raise LocalProtocolError(f"unknown MQTT property identifier {pid!r}")
            problem = check_value(spec, value)
            if problem is not None:
                raise LocalProtocolError(f"property {spec.id.spec_name} {problem}")
            if pid in seen and not spec.repeatable:
                raise LocalProtocolError(f"property {spec.id.spec_name} may appear only once")
            seen.add(pid)
            normalised.append((spec.id, value))
        object.__setattr__(self, "items", tuple(normalised))

    @classmethod
    def build(
        cls, **values: PropertyValue | list[PropertyValue] | tuple[PropertyValue, ...]
    ) -> Properties:
        """Build from keyword arguments named after the properties in snake case.

        Repeatable properties (``user_property``, ``subscription_identifier``) take
        a list. A pair for ``user_property`` may be given alone.
        """
        items: list[tuple[PropertyId, PropertyValue]] = []
        for keyword, value in values.items():
            pid = _BY_KEYWORD.get(keyword)
            if pid is None:
                raise LocalProtocolError(f"unknown MQTT property {keyword!r}")
            if (
                _SPECS[pid].repeatable
                and isinstance(value, list | tuple)
                and not _is_pair(pid, value)
            ):
                items.extend((pid, v) for v in value)
            else:
                items.append((pid, value))  # type: ignore[arg-type]
        return cls(tuple(items))

    def get(self, pid: PropertyId, default: PropertyValue | None = None) -> PropertyValue | None:
        """The first value of property ``pid``, or ``default``."""
        for key, value in self.items:
            if key == pid:
                return value
        return default

    def get_all(self, pid: PropertyId) -> list[PropertyValue]:
        """Every value of property ``pid``, in wire order."""
        return [value for key, value in self.items if key == pid]

    @property
    def user_properties(self) -> list[tuple[str, str]]:
        """The User Property pairs, in wire order."""
        return [v for k, v in self.items if k == PropertyId.USER_PROPERTY]  # type: ignore[misc]

    def as_mapping(self) -> Mapping[PropertyId, PropertyValue | list[PropertyValue]]:
        """A dict view: repeatable properties map to lists, the others to their value."""
        out: dict[PropertyId, PropertyValue | list[PropertyValue]] = {}
        for key, value in self.items:
            if _SPECS[key].repeatable:
                out.setdefault(key, []).append(value)  # type: ignore[union-attr]
            else:
                out[key] = value
        return out

    def __iter__(self) -> Iterator[tuple[PropertyId, PropertyValue]]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k.name.lower()}={v!r}" for k, v in self.items)
        return f"Properties({inner})"


def _is_pair(pid: PropertyId, value: object) -> bool:
    return (
        pid is PropertyId.USER_PROPERTY
        and isinstance(value, tuple)
        and len(value) == 2
        and all(isinstance(v, str) for v in value)
    )


def trusted_properties(items: tuple[tuple[PropertyId, PropertyValue], ...]) -> Properties:
    """Wrap items the decoder has already validated, skipping validation."""
    props = object.__new__(Properties)
    object.__setattr__(props, "items", items)
    return props


NO_PROPERTIES = trusted_properties(())
