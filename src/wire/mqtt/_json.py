"""A JSON view of MQTT packets, for the ``wire decode``/``wire encode`` commands.

Each packet becomes an object with ``"type"`` (the packet's name in the
specification, such as ``"PUBLISH"``) and one key per field. Binary fields
(payloads, passwords, Correlation Data, Authentication Data) are hex strings;
properties are a list of ``[spec name, value]`` pairs in wire order; reason
codes are numbers with their names beside them for reading.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from wire.errors import LocalProtocolError
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
    Properties,
    PropertyId,
    PropertyType,
    PropertyValue,
    property_id_from_spec_name,
    property_spec,
)
from wire.mqtt._reason_codes import ConnectReturnCode, ReasonCode

__all__ = ["packet_from_json", "packet_to_json"]

_CLASSES: dict[str, type[Any]] = {
    cls.packet_type.name: cls
    for cls in (
        Connect,
        Connack,
        Publish,
        Puback,
        Pubrec,
        Pubrel,
        Pubcomp,
        Subscribe,
        Suback,
        Unsubscribe,
        Unsuback,
        Pingreq,
        Pingresp,
        Disconnect,
        Auth,
    )
}
_RETURN_CODE_VALUES = frozenset(int(code) for code in ConnectReturnCode)
_BINARY_FIELDS = frozenset({"payload", "password"})


def _properties_to_json(properties: Properties) -> list[list[Any]]:
    out: list[list[Any]] = []
    for pid, value in properties:
        if isinstance(value, bytes):
            out.append([pid.spec_name, value.hex()])
        elif isinstance(value, tuple):
            out.append([pid.spec_name, list(value)])
        else:
            out.append([pid.spec_name, value])
    return out


def _reason_name(packet: Packet, code: int, version: int) -> str:
    if isinstance(packet, Connack) and version == 4:
        return ConnectReturnCode(code).name if code in _RETURN_CODE_VALUES else "UNKNOWN"
    if code in ReasonCode._value2member_map_:
        return ReasonCode(code).name
    return "UNKNOWN"


def packet_to_json(packet: Packet, *, version: int = 5) -> dict[str, Any]:
    """A JSON-ready dict describing ``packet``."""
    out: dict[str, Any] = {"type": packet.packet_type.name}
    for field in fields(packet):
        value = getattr(packet, field.name)
        if field.name in _BINARY_FIELDS and value is not None:
            value = value.hex()
        elif isinstance(value, Properties):
            value = _properties_to_json(value)
        elif isinstance(value, Will):
            value = {
                "topic": value.topic,
                "payload": value.payload.hex(),
                "qos": value.qos,
                "retain": value.retain,
                "properties": _properties_to_json(value.properties),
            }
        elif field.name == "subscriptions":
            value = [
                {
                    "topic_filter": sub.topic_filter,
                    "qos": sub.qos,
                    "no_local": sub.no_local,
                    "retain_as_published": sub.retain_as_published,
                    "retain_handling": sub.retain_handling,
                }
                for sub in value
            ]
        elif field.name == "reason_code":
            out["reason_name"] = _reason_name(packet, value, version)
            value = int(value)
        elif field.name == "reason_codes":
            out["reason_names"] = [_reason_name(packet, code, version) for code in value]
            value = [int(code) for code in value]
        elif isinstance(value, tuple):
            value = list(value)
        out[field.name] = value
    return out


def _properties_from_json(value: Any) -> Properties:
    if not isinstance(value, list):
        raise LocalProtocolError("properties must be a list of [name, value] pairs")
    items: list[tuple[PropertyId, PropertyValue]] = []
    for entry in value:
        if not isinstance(entry, list) or len(entry) != 2 or not isinstance(entry[0], str):
            raise LocalProtocolError(f"property {entry!r} is not a [name, value] pair")
        pid = property_id_from_spec_name(entry[0])
        spec = property_spec(pid)
        assert spec is not None
        raw = entry[1]
        if spec.type is PropertyType.BINARY_DATA:
            raw = _hex(raw, entry[0])
        elif spec.type is PropertyType.UTF8_STRING_PAIR:
            if not isinstance(raw, list) or len(raw) != 2:
                raise LocalProtocolError(f"{entry[0]} must be a [name, value] pair")
            raw = (raw[0], raw[1])
        items.append((pid, raw))
    return Properties(tuple(items))


def _hex(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise LocalProtocolError(f"{what} must be a hex string")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise LocalProtocolError(f"{what} is not valid hex: {value[:32]!r}") from None


def packet_from_json(data: Any) -> Packet:
    """Build a packet from the dict :func:`packet_to_json` produces.

    Raises:
        LocalProtocolError: the dict does not describe a valid packet.
    """
    if not isinstance(data, dict):
        raise LocalProtocolError("a packet must be a JSON object")
    cls = _CLASSES.get(data.get("type"))  # type: ignore[arg-type]
    if cls is None:
        raise LocalProtocolError(f"unknown packet type {data.get('type')!r}")
    known = {field.name for field in fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("type", "reason_name", "reason_names"):
            continue
        if key not in known:
            raise LocalProtocolError(f"{cls.packet_type.name} has no field {key!r}")
        if key in _BINARY_FIELDS and value is not None:
            value = _hex(value, key)
        elif key == "properties":
            value = _properties_from_json(value)
        elif key == "will" and value is not None:
            if not isinstance(value, dict):
                raise LocalProtocolError("will must be an object")
            value = Will(
                topic=value.get("topic"),  # type: ignore[arg-type]
                payload=_hex(value.get("payload", ""), "will payload"),
                qos=value.get("qos", 0),
                retain=value.get("retain", False),
                properties=_properties_from_json(value.get("properties", [])),
            )
        elif key == "subscriptions":
            if not isinstance(value, list) or not all(isinstance(s, dict) for s in value):
                raise LocalProtocolError("subscriptions must be a list of objects")
            try:
                value = tuple(Subscription(**sub) for sub in value)
            except TypeError as exc:
                raise LocalProtocolError(f"invalid subscription: {exc}") from None
        elif isinstance(value, list):
            value = tuple(value)
        kwargs[key] = value
    try:
        packet: Packet = cls(**kwargs)
    except TypeError as exc:
        raise LocalProtocolError(f"invalid {cls.packet_type.name}: {exc}") from None
    return packet
