"""Encoding and decoding of MQTT control packets (3.1.1 and 5.0).

:func:`decode` parses the first whole packet of a buffer; :func:`encode` turns a
packet into bytes. Neither keeps state: the incremental stream reader in
``_reader.py`` is built on the same functions.

Decoding never raises anything but a subclass of
:class:`~wire.mqtt.MQTTRemoteError` for bad input: every length is checked
before it is used, so no ``IndexError``, ``struct.error`` or
``UnicodeDecodeError`` can escape.
"""

from __future__ import annotations

from collections.abc import Callable
from struct import Struct
from typing import Any, Final

from wire.errors import LocalProtocolError
from wire.mqtt._errors import (
    MalformedPacket,
    MQTTProtocolError,
    PacketTooLarge,
    TopicNameInvalid,
    UnsupportedProtocolVersion,
)
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
    PropertyType,
    PropertyValue,
    trusted_properties,
)
from wire.mqtt._reason_codes import (
    ConnectReturnCode,
    PacketType,
    ReasonCode,
    reason_codes_for,
)

__all__ = [
    "DEFAULT_MAX_PACKET_SIZE",
    "MAX_PACKET_SIZE_LIMIT",
    "decode",
    "decode_at",
    "encode",
]

#: Largest packet the protocol can express: 1 type byte, 4 length bytes and a
#: Remaining Length of at most 268,435,455 (section 1.5.5).
MAX_PACKET_SIZE_LIMIT: Final = 1 + 4 + 268_435_455

#: Default limit on a packet we accept. A peer can make us buffer at most this
#: much per connection; 1 MiB covers telemetry and most file-chunk uses. Raise it
#: explicitly for larger payloads.
DEFAULT_MAX_PACKET_SIZE: Final = 1 << 20

_U16: Final = Struct(">H")
_U32: Final = Struct(">I")
_unpack_u16 = _U16.unpack_from
_unpack_u32 = _U32.unpack_from
_pack_u16 = _U16.pack
_pack_u32 = _U32.pack

_REASONS: Final = {int(code): code for code in ReasonCode}
_RETURN_CODES: Final = {int(code): code for code in ConnectReturnCode}
_PROTOCOL_NAME: Final = b"\x00\x04MQTT"


# ---------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------


def decode(
    data: bytes | bytearray | memoryview,
    *,
    version: int,
    max_packet_size: int = DEFAULT_MAX_PACKET_SIZE,
) -> tuple[Packet, int] | None:
    """Decode the first whole packet in ``data``.

    Args:
        data: Bytes received from the peer, starting at a packet boundary.
        version: The protocol level in use, 4 (3.1.1) or 5 (5.0). A CONNECT is
            decoded by the level it carries, whatever ``version`` says.
        max_packet_size: Reject a packet larger than this many bytes as soon as its
            fixed header says so, before waiting for (and buffering) the rest.

    Returns:
        ``(packet, used)``, where ``used`` is the number of bytes the packet took,
        or ``None`` while ``data`` holds no whole packet yet.

    Raises:
        MalformedPacket: the bytes cannot be parsed (reason code 0x81).
        MQTTProtocolError: a rule of the protocol is broken (0x82).
        PacketTooLarge: the packet is larger than ``max_packet_size`` (0x95).
        TopicNameInvalid: a PUBLISH topic name holds a wildcard (0x90).
        UnsupportedProtocolVersion: CONNECT asks for another protocol (0x84).
        LocalProtocolError: ``version`` is neither 4 nor 5.
    """
    if version not in (4, 5):
        raise LocalProtocolError(f"version must be 4 or 5, got {version!r}")
    if type(data) is not bytes:
        data = bytes(data)
    return decode_at(data, 0, version, max_packet_size)


def decode_at(
    data: bytes, pos: int, version: int, max_packet_size: int
) -> tuple[Packet, int] | None:
    """:func:`decode` for ``data[pos:]`` without copying; arguments are trusted."""
    available = len(data) - pos
    if available < 2:
        if available == 1 and not data[pos] >> 4:
            raise MalformedPacket("packet type 0 is reserved")
        return None
    first = data[pos]
    if first < 0x10:
        raise MalformedPacket("packet type 0 is reserved")
    length = data[pos + 1]
    header = 2
    if length & 0x80:
        length, header = _remaining_length(data, pos)
        if header == 0:
            return None
    total = header + length
    if total > max_packet_size:
        raise PacketTooLarge(
            f"packet of {total} bytes exceeds the maximum packet size of {max_packet_size}"
        )
    if available < total:
        return None
    start = pos + header
    if first >> 4 == 3:
        return _publish_at(data, first & 0x0F, start, start + length, version), total
    body = data[start : start + length]
    parser = _PARSERS[first >> 4]
    return parser(first & 0x0F, body, version), total


def packet_size_hint(data: bytes, pos: int) -> int:
    """How many bytes from ``pos`` the packet there needs before it can be decoded.

    Used by readers that wait for a whole packet without re-parsing each chunk.
    """
    # decode_at has refused over-long lengths already: only complete or short ones remain.
    index = pos + 1
    value = 0
    shift = 0
    end = len(data)
    while index < end:
        byte = data[index]
        value |= (byte & 0x7F) << shift
        index += 1
        if not byte & 0x80:
            return index - pos + value
        shift += 7
    return index - pos + 1


def _remaining_length(data: bytes, pos: int) -> tuple[int, int]:
    """Read a multi-byte Remaining Length; ``(value, header size)`` or ``(0, 0)`` if short."""
    value = 0
    shift = 0
    index = pos + 1
    end = len(data)
    for _ in range(4):
        if index >= end:
            return 0, 0
        byte = data[index]
        value |= (byte & 0x7F) << shift
        index += 1
        if not byte & 0x80:
            # [MQTT-1.5.5-1]: the minimum number of bytes must be used.
            if byte == 0 and shift:
                raise MalformedPacket("remaining length is not in its shortest form")
            return value, index - pos
        shift += 7
    raise MalformedPacket("remaining length is longer than 4 bytes")


def _read_vbi(body: bytes, pos: int, what: str) -> tuple[int, int]:
    """Read a Variable Byte Integer (section 1.5.5) fully contained in ``body``."""
    value = 0
    shift = 0
    end = len(body)
    for _ in range(4):
        if pos >= end:
            raise MalformedPacket(f"{what} is truncated")
        byte = body[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            if byte == 0 and shift:
                raise MalformedPacket(f"{what} is not in its shortest form")
            return value, pos
        shift += 7
    raise MalformedPacket(f"{what} is longer than 4 bytes")


def _read_u16(body: bytes, pos: int, what: str) -> int:
    if pos + 2 > len(body):
        raise MalformedPacket(f"{what} is truncated")
    value: int = _unpack_u16(body, pos)[0]
    return value


def _read_bytes(body: bytes, pos: int, what: str) -> tuple[bytes, int]:
    """Read Binary Data: a two-byte length and that many bytes (section 1.5.6)."""
    start = pos + 2
    if start > len(body):
        raise MalformedPacket(f"{what} length is truncated")
    stop = start + ((body[pos] << 8) | body[pos + 1])
    if stop > len(body):
        raise MalformedPacket(f"{what} is truncated")
    return body[start:stop], stop


def _read_str(body: bytes, pos: int, what: str) -> tuple[str, int]:
    """Read a UTF-8 Encoded String (section 1.5.4)."""
    raw, pos = _read_bytes(body, pos, what)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        # Includes encoded surrogates, which [MQTT-1.5.4-1] forbids.
        raise MalformedPacket(f"{what} is not well-formed UTF-8") from None
    if "\x00" in text:
        raise MalformedPacket(f"{what} contains U+0000")  # [MQTT-1.5.4-2]
    return text, pos


def _packet_id(body: bytes, pos: int) -> int:
    packet_id = _read_u16(body, pos, "packet identifier")
    if not packet_id:
        raise MalformedPacket("packet identifier must not be 0")  # [MQTT-2.3.1-1]
    return packet_id


# Property data types as small ints: comparing ints is much cheaper than enum
# member lookups on the decoder's hot path.
_BYTE, _TWO, _FOUR, _VBI, _STRING, _BINARY, _PAIR = range(7)
_TYPE_CODES: Final = {
    PropertyType.BYTE: _BYTE,
    PropertyType.TWO_BYTE_INTEGER: _TWO,
    PropertyType.FOUR_BYTE_INTEGER: _FOUR,
    PropertyType.VARIABLE_BYTE_INTEGER: _VBI,
    PropertyType.UTF8_STRING: _STRING,
    PropertyType.BINARY_DATA: _BINARY,
    PropertyType.UTF8_STRING_PAIR: _PAIR,
}
_ENCODE_TYPE: Final = {pid: _TYPE_CODES[spec.type] for pid, spec in _SPECS.items()}
#: Identifier -> (PropertyId, type code, bounds, allowed packet kinds, repeatable).
_DECODE_TABLE: Final = {
    pid: (spec.id, _TYPE_CODES[spec.type], spec.bounds, spec.packets, spec.repeatable)
    for pid, spec in _SPECS.items()
}


def _read_properties(body: bytes, pos: int, kind: int) -> tuple[Properties, int]:
    """Read a property list (section 2.2.2) for packet ``kind``."""
    length, pos = _read_vbi(body, pos, "property length")
    if not length:
        return NO_PROPERTIES, pos
    end = pos + length
    if end > len(body):
        raise MalformedPacket("property length exceeds the packet")
    data = body[pos:end]
    items: list[tuple[PropertyId, PropertyValue]] = []
    seen: set[int] = set()
    index = 0
    size = len(data)
    table = _DECODE_TABLE
    while index < size:
        entry = table.get(data[index])
        if entry is None:
            raise MalformedPacket(f"unknown property identifier 0x{data[index]:02x}")
        index += 1
        pid, code, bounds, packets, repeatable = entry
        if kind not in packets:
            raise MQTTProtocolError(f"property {pid.spec_name} is not allowed in this packet")
        if pid in seen and (not repeatable or (kind != _PUBLISH and pid is _SUB_ID)):
            # Section 2.2.2.2: including a non-repeatable property twice is a Protocol
            # Error; section 3.8.2.1.2: SUBSCRIBE carries at most one Subscription Identifier.
            raise MQTTProtocolError(f"property {pid.spec_name} appears more than once")
        seen.add(pid)
        value: PropertyValue
        if code == _STRING:
            value, index = _read_str(data, index, f"property {pid.spec_name}")
            if pid is _RESPONSE_TOPIC and ("+" in value or "#" in value):
                raise MQTTProtocolError("Response Topic contains a wildcard")  # [MQTT-3.3.2-14]
        elif code == _PAIR:
            name, index = _read_str(data, index, "user property name")
            text, index = _read_str(data, index, "user property value")
            value = (name, text)
        elif code == _FOUR:
            if index + 4 > size:
                raise MalformedPacket(f"property {pid.spec_name} is truncated")
            value = _unpack_u32(data, index)[0]
            index += 4
        elif code == _TWO:
            value = _read_u16(data, index, f"property {pid.spec_name}")
            index += 2
        elif code == _BYTE:
            if index >= size:
                raise MalformedPacket(f"property {pid.spec_name} is truncated")
            value = data[index]
            index += 1
        elif code == _VBI:
            value, index = _read_vbi(data, index, f"property {pid.spec_name}")
        else:
            value, index = _read_bytes(data, index, f"property {pid.spec_name}")
        if bounds is not None and not bounds[0] <= value <= bounds[1]:  # type: ignore[operator]
            raise MQTTProtocolError(f"property {pid.spec_name} has invalid value {value!r}")
        items.append((pid, value))
    if _AUTH_DATA in seen and _AUTH_METHOD not in seen:
        # Section 3.1.2.11.10 / 3.2.2.3.18: Authentication Data needs a Method.
        raise MQTTProtocolError("Authentication Data without Authentication Method")
    return trusted_properties(tuple(items)), end


_PUBLISH: Final = int(PacketType.PUBLISH)
_SUB_ID: Final = PropertyId.SUBSCRIPTION_IDENTIFIER
_RESPONSE_TOPIC: Final = PropertyId.RESPONSE_TOPIC
_AUTH_DATA: Final = PropertyId.AUTHENTICATION_DATA
_AUTH_METHOD: Final = PropertyId.AUTHENTICATION_METHOD


def _reason(code: int, packet_type: PacketType, version: int) -> int:
    if code not in reason_codes_for(packet_type, version):
        raise MalformedPacket(f"0x{code:02x} is not a valid {packet_type.name} reason code")
    if version == 4 and packet_type is PacketType.CONNACK:
        return _RETURN_CODES[code]
    return _REASONS[code]


def _expect_flags(flags: int, expected: int, packet_type: PacketType) -> None:
    if flags != expected:
        # Section 2.1.3: reserved flag bits that are not as specified mean Malformed Packet.
        raise MalformedPacket(f"invalid fixed header flags 0x{flags:x} for {packet_type.name}")


def _expect_end(body: bytes, pos: int, packet_type: PacketType) -> None:
    if pos != len(body):
        raise MalformedPacket(f"{packet_type.name} has {len(body) - pos} unexpected trailing bytes")


def _parse_connect(flags: int, body: bytes, version: int) -> Connect:
    _expect_flags(flags, 0, PacketType.CONNECT)
    name, pos = _read_bytes(body, 0, "protocol name")
    if pos >= len(body):
        raise MalformedPacket("CONNECT is truncated after the protocol name")
    level = body[pos]
    if name != b"MQTT" or level not in (4, 5):
        # [MQTT-3.1.2-1], [MQTT-3.1.2-2]: the server may answer with 0x84 / 3.1.1 code 0x01.
        raise UnsupportedProtocolVersion(
            f"protocol {name[:16]!r} level {level} is not supported", protocol_level=level
        )
    if pos + 4 > len(body):
        raise MalformedPacket("CONNECT variable header is truncated")
    connect_flags = body[pos + 1]
    keep_alive: int = _unpack_u16(body, pos + 2)[0]
    pos += 4
    if connect_flags & 0x01:
        raise MalformedPacket("CONNECT reserved flag must be 0")  # [MQTT-3.1.2-3]
    will_flag = connect_flags & 0x04
    will_qos = (connect_flags >> 3) & 0x03
    will_retain = bool(connect_flags & 0x20)
    if will_qos == 3:
        raise MalformedPacket("Will QoS must not be 3")  # [MQTT-3.1.2-14]
    if not will_flag and (will_qos or will_retain):
        # [MQTT-3.1.2-11], [MQTT-3.1.2-13], [MQTT-3.1.2-15]
        raise MalformedPacket("Will QoS and Will Retain must be 0 without the Will Flag")
    has_username = connect_flags & 0x80
    has_password = connect_flags & 0x40
    if level == 4 and has_password and not has_username:
        raise MalformedPacket("3.1.1 forbids a password without a user name")  # [MQTT-3.1.2-22]
    properties = NO_PROPERTIES
    if level == 5:
        properties, pos = _read_properties(body, pos, PacketType.CONNECT)
    client_id, pos = _read_str(body, pos, "client identifier")
    will = None
    if will_flag:
        will_properties = NO_PROPERTIES
        if level == 5:
            will_properties, pos = _read_properties(body, pos, WILL_PROPERTIES)
        will_topic, pos = _read_str(body, pos, "will topic")
        _check_received_topic(will_topic, allow_empty=False)
        will_payload, pos = _read_bytes(body, pos, "will payload")
        will = Will(will_topic, will_payload, will_qos, will_retain, will_properties)
    username = password = None
    if has_username:
        username, pos = _read_str(body, pos, "user name")
    if has_password:
        password, pos = _read_bytes(body, pos, "password")
    _expect_end(body, pos, PacketType.CONNECT)
    return Connect(
        client_id=client_id,
        clean_start=bool(connect_flags & 0x02),
        keep_alive=keep_alive,
        username=username,
        password=password,
        will=will,
        properties=properties,
        protocol_level=level,
    )


def _parse_connack(flags: int, body: bytes, version: int) -> Connack:
    _expect_flags(flags, 0, PacketType.CONNACK)
    if len(body) < 2:
        raise MalformedPacket("CONNACK is truncated")
    if body[0] & 0xFE:
        raise MalformedPacket("CONNACK acknowledge flags bits 7-1 are reserved")  # [MQTT-3.2.2-1]
    session_present = bool(body[0])
    code = _reason(body[1], PacketType.CONNACK, version)
    if session_present and code:
        raise MalformedPacket("Session Present must be 0 when the connection is refused")
    properties = NO_PROPERTIES
    pos = 2
    if version == 5:
        properties, pos = _read_properties(body, pos, PacketType.CONNACK)
    _expect_end(body, pos, PacketType.CONNACK)
    return Connack(session_present, code, properties)


def _check_received_topic(topic: str, *, allow_empty: bool) -> None:
    if "+" in topic or "#" in topic:
        raise TopicNameInvalid(f"topic name {topic[:64]!r} contains a wildcard")  # [MQTT-3.3.2-2]
    if not topic and not allow_empty:
        raise MalformedPacket("topic name must not be empty")  # [MQTT-4.7.3-1]


def _slot_setter(cls: type, name: str) -> Callable[[object, object], None]:
    """The setter of slot ``name`` of ``cls``, to fill a decoded packet without checks."""
    setter: Callable[[object, object], None] = getattr(cls, name).__set__
    return setter


# Slot setters of the packet classes: building a decoded packet through them skips
# the constructor's checks (the decoder made them already) and costs a third.
_SET_TOPIC = _slot_setter(Publish, "topic_name")
_SET_PAYLOAD = _slot_setter(Publish, "payload")
_SET_QOS = _slot_setter(Publish, "qos")
_SET_RETAIN = _slot_setter(Publish, "retain")
_SET_DUP = _slot_setter(Publish, "dup")
_SET_PUBLISH_ID = _slot_setter(Publish, "packet_id")
_SET_PUBLISH_PROPERTIES = _slot_setter(Publish, "properties")
_new = object.__new__


def _publish_at(data: bytes, flags: int, start: int, end: int, version: int) -> Publish:
    """Decode the PUBLISH body ``data[start:end]`` without copying it first."""
    qos = (flags >> 1) & 0x03
    if qos == 3:
        raise MalformedPacket("PUBLISH QoS must not be 3")  # [MQTT-3.3.1-4]
    dup = flags & 0x08
    if dup and not qos:
        raise MalformedPacket("DUP must be 0 for QoS 0")  # [MQTT-3.3.1-2]
    pos = start + 2
    if pos > end:
        raise MalformedPacket("topic name length is truncated")
    stop = pos + ((data[start] << 8) | data[start + 1])
    if stop > end:
        raise MalformedPacket("topic name is truncated")
    try:
        topic = data[pos:stop].decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedPacket("topic name is not well-formed UTF-8") from None
    if "\x00" in topic:
        raise MalformedPacket("topic name contains U+0000")  # [MQTT-1.5.4-2]
    if "+" in topic or "#" in topic or not topic:
        _check_received_topic(topic, allow_empty=version == 5)
    pos = stop
    packet_id = None
    if qos:
        if pos + 2 > end:
            raise MalformedPacket("packet identifier is truncated")
        packet_id = (data[pos] << 8) | data[pos + 1]
        if not packet_id:
            raise MalformedPacket("packet identifier must not be 0")  # [MQTT-2.3.1-1]
        pos += 2
    properties = NO_PROPERTIES
    if version == 5:
        if pos >= end:
            raise MalformedPacket("property length is truncated")
        if data[pos]:
            body = data[pos:end]
            properties, used = _read_properties(body, 0, _PUBLISH)
            pos += used
            if not topic and properties.get(PropertyId.TOPIC_ALIAS) is None:
                # Section 3.3.2.3.4: an empty topic name needs a Topic Alias.
                raise MQTTProtocolError("empty topic name without a Topic Alias")
        else:
            pos += 1
            if not topic:
                raise MQTTProtocolError("empty topic name without a Topic Alias")
    packet = _new(Publish)
    _SET_TOPIC(packet, topic)
    _SET_PAYLOAD(packet, data[pos:end])
    _SET_QOS(packet, qos)
    _SET_RETAIN(packet, flags & 0x01 == 1)
    _SET_DUP(packet, dup == 8)
    _SET_PUBLISH_ID(packet, packet_id)
    _SET_PUBLISH_PROPERTIES(packet, properties)
    return packet


_SET_ACK_ID = _slot_setter(Puback, "packet_id")
_SET_ACK_CODE = _slot_setter(Puback, "reason_code")
_SET_ACK_PROPERTIES = _slot_setter(Puback, "properties")


def _acknowledgement_parser(
    cls: type[Puback | Pubrec | Pubrel | Pubcomp], expected_flags: int
) -> Callable[[int, bytes, int], Packet]:
    packet_type = cls.packet_type

    success = ReasonCode.SUCCESS

    def parse(flags: int, body: bytes, version: int) -> Packet:
        if flags != expected_flags:
            _expect_flags(flags, expected_flags, packet_type)
        size = len(body)
        if size == 2:
            packet_id = (body[0] << 8) | body[1]
            if not packet_id:
                raise MalformedPacket("packet identifier must not be 0")  # [MQTT-2.3.1-1]
            code: int = success
            properties = NO_PROPERTIES
        else:
            packet_id = _packet_id(body, 0)
            if version == 4:
                _expect_end(body, 2, packet_type)
            code = _reason(body[2], packet_type, 5)
            properties = NO_PROPERTIES
            pos = 3
            if size > 3:
                # Section 3.4.2.2.1: with Remaining Length 3 there are no properties.
                properties, pos = _read_properties(body, pos, packet_type)
            _expect_end(body, pos, packet_type)
        packet = _new(cls)
        _SET_ACK_ID(packet, packet_id)
        _SET_ACK_CODE(packet, code)
        _SET_ACK_PROPERTIES(packet, properties)
        return packet

    return parse


def _parse_subscribe(flags: int, body: bytes, version: int) -> Subscribe:
    _expect_flags(flags, 0x02, PacketType.SUBSCRIBE)  # [MQTT-3.8.1-1]
    packet_id = _packet_id(body, 0)
    pos = 2
    properties = NO_PROPERTIES
    if version == 5:
        properties, pos = _read_properties(body, pos, PacketType.SUBSCRIBE)
    subscriptions = []
    size = len(body)
    while pos < size:
        topic_filter, pos = _read_str(body, pos, "topic filter")
        if pos >= size:
            raise MalformedPacket("subscription options are missing")
        options = body[pos]
        pos += 1
        qos = options & 0x03
        if qos == 3:
            if version == 4:
                raise MalformedPacket("subscription QoS must not be 3")  # [MQTT-3-8.3-4]
            raise MQTTProtocolError("subscription QoS must not be 3")  # 5.0 section 3.8.3.1
        if version == 4:
            if options & 0xFC:
                raise MalformedPacket(
                    "3.1.1 subscription reserved bits must be 0"
                )  # [MQTT-3-8.3-4]
            retain_handling = 0
        else:
            if options & 0xC0:
                raise MalformedPacket(
                    "subscription options bits 7-6 are reserved"
                )  # [MQTT-3.8.3-5]
            retain_handling = (options >> 4) & 0x03
            if retain_handling == 3:
                raise MQTTProtocolError("Retain Handling must not be 3")
        if not topic_filter:
            raise MalformedPacket("topic filter must not be empty")  # [MQTT-4.7.3-1]
        if options & 0x04 and topic_filter.startswith("$share/"):
            raise MQTTProtocolError("No Local on a shared subscription")  # [MQTT-3.8.3-4]
        subscriptions.append(
            Subscription(
                topic_filter,
                qos,
                no_local=bool(options & 0x04),
                retain_as_published=bool(options & 0x08),
                retain_handling=retain_handling,
            )
        )
    if not subscriptions:
        raise MQTTProtocolError("SUBSCRIBE holds no topic filter")  # [MQTT-3.8.3-2]
    return Subscribe(packet_id, tuple(subscriptions), properties)


def _parse_suback(flags: int, body: bytes, version: int) -> Suback:
    _expect_flags(flags, 0, PacketType.SUBACK)
    packet_id = _packet_id(body, 0)
    pos = 2
    properties = NO_PROPERTIES
    if version == 5:
        properties, pos = _read_properties(body, pos, PacketType.SUBACK)
    codes = tuple(_reason(code, PacketType.SUBACK, version) for code in body[pos:])
    if not codes:
        raise MalformedPacket("SUBACK holds no reason code")
    return Suback(packet_id, codes, properties)


def _parse_unsubscribe(flags: int, body: bytes, version: int) -> Unsubscribe:
    _expect_flags(flags, 0x02, PacketType.UNSUBSCRIBE)  # [MQTT-3.10.1-1]
    packet_id = _packet_id(body, 0)
    pos = 2
    properties = NO_PROPERTIES
    if version == 5:
        properties, pos = _read_properties(body, pos, PacketType.UNSUBSCRIBE)
    filters = []
    size = len(body)
    while pos < size:
        topic_filter, pos = _read_str(body, pos, "topic filter")
        if not topic_filter:
            raise MalformedPacket("topic filter must not be empty")  # [MQTT-4.7.3-1]
        filters.append(topic_filter)
    if not filters:
        raise MQTTProtocolError("UNSUBSCRIBE holds no topic filter")  # [MQTT-3.10.3-2]
    return Unsubscribe(packet_id, tuple(filters), properties)


def _parse_unsuback(flags: int, body: bytes, version: int) -> Unsuback:
    _expect_flags(flags, 0, PacketType.UNSUBACK)
    packet_id = _packet_id(body, 0)
    if version == 4:
        _expect_end(body, 2, PacketType.UNSUBACK)
        return Unsuback(packet_id)
    properties, pos = _read_properties(body, 2, PacketType.UNSUBACK)
    codes = tuple(_reason(code, PacketType.UNSUBACK, 5) for code in body[pos:])
    if not codes:
        raise MalformedPacket("UNSUBACK holds no reason code")
    return Unsuback(packet_id, codes, properties)


def _empty_parser(cls: type[Pingreq | Pingresp]) -> Callable[[int, bytes, int], Packet]:
    packet_type = cls.packet_type
    instance = cls()

    def parse(flags: int, body: bytes, version: int) -> Packet:
        _expect_flags(flags, 0, packet_type)
        _expect_end(body, 0, packet_type)
        return instance

    return parse


def _reason_and_properties_parser(
    cls: type[Disconnect | Auth],
) -> Callable[[int, bytes, int], Packet]:
    packet_type = cls.packet_type

    def parse(flags: int, body: bytes, version: int) -> Packet:
        _expect_flags(flags, 0, packet_type)
        if version == 4:
            if packet_type is PacketType.AUTH:
                raise MalformedPacket("AUTH does not exist in MQTT 3.1.1")
            _expect_end(body, 0, packet_type)
            return cls()
        if not body:
            # Sections 3.14.2.1 / 3.15.2.1: Remaining Length 0 means reason code 0x00.
            return cls()
        code = _reason(body[0], packet_type, 5)
        properties = NO_PROPERTIES
        pos = 1
        if len(body) > 1 or packet_type is PacketType.AUTH:
            # Section 3.14.2.2.1: a DISCONNECT with Remaining Length 1 has no Property
            # Length; AUTH has no such rule (3.15.2.2.1), so its Property Length is due.
            properties, pos = _read_properties(body, 1, packet_type)
        _expect_end(body, pos, packet_type)
        return cls(code, properties)

    return parse


# By packet type. Type 0 is refused, and PUBLISH (3) is parsed in place by
# _publish_at, before a parser is chosen from here.
_PARSERS: Final[dict[int, Callable[[int, bytes, int], Packet]]] = {
    1: _parse_connect,
    2: _parse_connack,
    4: _acknowledgement_parser(Puback, 0),
    5: _acknowledgement_parser(Pubrec, 0),
    6: _acknowledgement_parser(Pubrel, 0x02),  # [MQTT-3.6.1-1]
    7: _acknowledgement_parser(Pubcomp, 0),
    8: _parse_subscribe,
    9: _parse_suback,
    10: _parse_unsubscribe,
    11: _parse_unsuback,
    12: _empty_parser(Pingreq),
    13: _empty_parser(Pingresp),
    14: _reason_and_properties_parser(Disconnect),
    15: _reason_and_properties_parser(Auth),
}


# ---------------------------------------------------------------------------
# Encoding
# ---------------------------------------------------------------------------


def encode(packet: Packet, *, version: int = 5) -> bytes:
    """Encode ``packet`` for protocol ``version`` (4 for 3.1.1, 5 for 5.0).

    A :class:`Connect` is encoded by its own ``protocol_level``.

    Raises:
        LocalProtocolError: the packet cannot be expressed in ``version``
            (properties or reason codes in 3.1.1, AUTH in 3.1.1, a property not
            allowed in this packet, a reason code this packet cannot carry, an
            empty topic without a Topic Alias, a packet larger than the protocol
            allows).
    """
    if version not in (4, 5):
        raise LocalProtocolError(f"version must be 4 or 5, got {version!r}")
    encoder = _ENCODERS.get(type(packet))
    if encoder is None:
        raise LocalProtocolError(f"not an MQTT packet: {packet!r}")
    return encoder(packet, version)


def encode_vbi(value: int) -> bytes:
    """Encode a Variable Byte Integer (section 1.5.5)."""
    if value < 0x80:
        return _SMALL_VBI[value]
    if value > 268_435_455:
        raise LocalProtocolError(f"{value} does not fit in a Variable Byte Integer")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


_SMALL_VBI: Final = [bytes((i,)) for i in range(0x80)]


def _frame(first: int, body: bytes) -> bytes:
    size = len(body)
    if size < 0x80:
        return bytes((first, size)) + body
    if size < 0x4000:
        return bytes((first, (size & 0x7F) | 0x80, size >> 7)) + body
    return b"".join((bytes((first,)), encode_vbi(size), body))


def _string(value: str) -> bytes:
    raw = value.encode("utf-8")
    return _pack_u16(len(raw)) + raw


def _binary(value: bytes) -> bytes:
    return _pack_u16(len(value)) + value


def _properties(properties: Properties, kind: int, version: int) -> bytes:
    if version == 4:
        if properties.items:
            raise LocalProtocolError("MQTT 3.1.1 packets carry no properties")
        return b""
    if not properties.items:
        return b"\x00"
    out = []
    sub_ids = 0
    for pid, value in properties.items:
        spec = _SPECS[pid]
        if kind not in spec.packets:
            raise LocalProtocolError(f"property {pid.spec_name} is not allowed in this packet")
        if pid is _SUB_ID:
            sub_ids += 1
            if sub_ids > 1 and kind != _PUBLISH:
                raise LocalProtocolError("SUBSCRIBE carries at most one Subscription Identifier")
        out.append(_SMALL_VBI[pid])
        code = _ENCODE_TYPE[pid]
        if code == _STRING:
            out.append(_string(value))  # type: ignore[arg-type]
        elif code == _PAIR:
            assert isinstance(value, tuple)
            out.append(_string(value[0]) + _string(value[1]))
        elif code == _FOUR:
            out.append(_pack_u32(value))
        elif code == _TWO:
            out.append(_pack_u16(value))
        elif code == _BYTE:
            out.append(bytes((value,)))  # type: ignore[arg-type]
        elif code == _VBI:
            out.append(encode_vbi(value))  # type: ignore[arg-type]
        else:
            out.append(_binary(value))  # type: ignore[arg-type]
    if properties.get(_AUTH_DATA) is not None and properties.get(_AUTH_METHOD) is None:
        raise LocalProtocolError("Authentication Data needs an Authentication Method")
    data = b"".join(out)
    return encode_vbi(len(data)) + data


def _check_reason_code(code: int, packet_type: PacketType, version: int) -> None:
    if code not in reason_codes_for(packet_type, version):
        raise LocalProtocolError(
            f"0x{code:02x} is not a valid {packet_type.name} reason code in version {version}"
        )


def _encode_connect(packet: Any, version: int) -> bytes:
    level: int = packet.protocol_level
    will: Will | None = packet.will
    flags = 0x02 if packet.clean_start else 0
    if will is not None:
        flags |= 0x04 | (will.qos << 3) | (0x20 if will.retain else 0)
    if packet.username is not None:
        flags |= 0x80
    if packet.password is not None:
        if level == 4 and packet.username is None:
            raise LocalProtocolError("MQTT 3.1.1 forbids a password without a user name")
        flags |= 0x40
    parts = [
        _PROTOCOL_NAME,
        bytes((level, flags)),
        _pack_u16(packet.keep_alive),
        _properties(packet.properties, PacketType.CONNECT, level),
        _string(packet.client_id),
    ]
    if will is not None:
        parts += (
            _properties(will.properties, WILL_PROPERTIES, level),
            _string(will.topic),
            _binary(will.payload),
        )
    if packet.username is not None:
        parts.append(_string(packet.username))
    if packet.password is not None:
        parts.append(_binary(packet.password))
    return _frame(0x10, b"".join(parts))


def _encode_connack(packet: Any, version: int) -> bytes:
    _check_reason_code(packet.reason_code, PacketType.CONNACK, version)
    body = bytes((1 if packet.session_present else 0, packet.reason_code))
    return _frame(0x20, body + _properties(packet.properties, PacketType.CONNACK, version))


def _encode_publish(packet: Any, version: int) -> bytes:
    topic: bytes = packet.topic_name.encode("utf-8")
    qos: int = packet.qos
    first = 0x30 | (qos << 1) | (1 if packet.retain else 0) | (8 if packet.dup else 0)
    size = len(topic)
    header = _pack_u16(size) + topic
    if qos:
        header += _pack_u16(packet.packet_id)
    properties: Properties = packet.properties
    if version == 5:
        if properties.items:
            if not topic and properties.get(PropertyId.TOPIC_ALIAS) is None:
                raise LocalProtocolError("an empty topic name needs a Topic Alias property")
            header += _properties(properties, _PUBLISH, 5)
        elif not topic:
            raise LocalProtocolError("an empty topic name needs a Topic Alias property")
        else:
            header += b"\x00"
    elif not topic:
        raise LocalProtocolError("MQTT 3.1.1 PUBLISH needs a topic name")
    elif properties.items:
        raise LocalProtocolError("MQTT 3.1.1 packets carry no properties")
    payload: bytes = packet.payload
    size = len(header) + len(payload)
    # Remaining Length inline for the sizes that matter (section 1.5.5).
    if size < 0x80:
        return bytes((first, size)) + header + payload
    if size < 0x4000:
        return b"".join((bytes((first, (size & 0x7F) | 0x80, size >> 7)), header, payload))
    if size > 268_435_455:
        raise LocalProtocolError("PUBLISH is larger than MQTT allows")
    return b"".join((bytes((first,)), encode_vbi(size), header, payload))


def _acknowledgement_encoder(first: int) -> Callable[[Any, int], bytes]:
    def encode(packet: Any, version: int) -> bytes:
        packet_type: PacketType = packet.packet_type
        code: int = packet.reason_code
        properties: Properties = packet.properties
        packet_id = _pack_u16(packet.packet_id)
        if version == 4:
            if code:
                raise LocalProtocolError(f"MQTT 3.1.1 {packet_type.name} carries no reason code")
            _properties(properties, packet_type, 4)
            return bytes((first, 2)) + packet_id
        _check_reason_code(code, packet_type, 5)
        if not properties.items:
            # Section 3.4.2.1: reason code and properties may be omitted when 0 and empty.
            if not code:
                return bytes((first, 2)) + packet_id
            return bytes((first, 3)) + packet_id + bytes((code,))
        return _frame(first, packet_id + bytes((code,)) + _properties(properties, packet_type, 5))

    return encode


def _encode_subscribe(packet: Any, version: int) -> bytes:
    parts = [
        _pack_u16(packet.packet_id),
        _properties(packet.properties, PacketType.SUBSCRIBE, version),
    ]
    for sub in packet.subscriptions:
        options = sub.qos
        if version == 4:
            if sub.no_local or sub.retain_as_published or sub.retain_handling:
                raise LocalProtocolError("MQTT 3.1.1 subscriptions have only a QoS option")
        else:
            options |= (
                (0x04 if sub.no_local else 0)
                | (0x08 if sub.retain_as_published else 0)
                | (sub.retain_handling << 4)
            )
        parts += (_string(sub.topic_filter), bytes((options,)))
    return _frame(0x82, b"".join(parts))


def _encode_suback(packet: Any, version: int) -> bytes:
    for code in packet.reason_codes:
        _check_reason_code(code, PacketType.SUBACK, version)
    body = _pack_u16(packet.packet_id) + _properties(packet.properties, PacketType.SUBACK, version)
    return _frame(0x90, body + bytes(packet.reason_codes))


def _encode_unsubscribe(packet: Any, version: int) -> bytes:
    parts = [
        _pack_u16(packet.packet_id),
        _properties(packet.properties, PacketType.UNSUBSCRIBE, version),
    ]
    parts += (_string(topic_filter) for topic_filter in packet.topic_filters)
    return _frame(0xA2, b"".join(parts))


def _encode_unsuback(packet: Any, version: int) -> bytes:
    packet_id = _pack_u16(packet.packet_id)
    if version == 4:
        if packet.reason_codes:
            raise LocalProtocolError("MQTT 3.1.1 UNSUBACK carries no reason codes")
        _properties(packet.properties, PacketType.UNSUBACK, 4)
        return b"\xb0\x02" + packet_id
    if not packet.reason_codes:
        raise LocalProtocolError("MQTT 5.0 UNSUBACK needs one reason code per topic filter")
    for code in packet.reason_codes:
        _check_reason_code(code, PacketType.UNSUBACK, 5)
    body = packet_id + _properties(packet.properties, PacketType.UNSUBACK, 5)
    return _frame(0xB0, body + bytes(packet.reason_codes))


def _reason_and_properties_encoder(first: int) -> Callable[[Any, int], bytes]:
    def encode(packet: Any, version: int) -> bytes:
        packet_type: PacketType = packet.packet_type
        code: int = packet.reason_code
        properties: Properties = packet.properties
        if version == 4:
            if packet_type is PacketType.AUTH:
                raise LocalProtocolError("AUTH does not exist in MQTT 3.1.1")
            if code:
                raise LocalProtocolError("MQTT 3.1.1 DISCONNECT carries no reason code")
            _properties(properties, packet_type, 4)
            return bytes((first, 0))
        _check_reason_code(code, packet_type, 5)
        if not properties.items:
            # Sections 3.14.2.1 / 3.15.2.1: Remaining Length 0 means success, no
            # properties; only DISCONNECT may then stop after its reason code.
            if not code:
                return bytes((first, 0))
            if packet_type is PacketType.DISCONNECT:
                return bytes((first, 1, code))
            return bytes((first, 2, code, 0))
        return _frame(first, bytes((code,)) + _properties(properties, packet_type, 5))

    return encode


_ENCODERS: Final[dict[type, Callable[[Any, int], bytes]]] = {
    Connect: _encode_connect,
    Connack: _encode_connack,
    Publish: _encode_publish,
    Puback: _acknowledgement_encoder(0x40),
    Pubrec: _acknowledgement_encoder(0x50),
    Pubrel: _acknowledgement_encoder(0x62),
    Pubcomp: _acknowledgement_encoder(0x70),
    Subscribe: _encode_subscribe,
    Suback: _encode_suback,
    Unsubscribe: _encode_unsubscribe,
    Unsuback: _encode_unsuback,
    Pingreq: lambda packet, version: b"\xc0\x00",
    Pingresp: lambda packet, version: b"\xd0\x00",
    Disconnect: _reason_and_properties_encoder(0xE0),
    Auth: _reason_and_properties_encoder(0xF0),
}
