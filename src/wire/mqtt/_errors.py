"""Errors raised by the MQTT codec.

Every error the peer can cause is a :class:`wire.errors.RemoteProtocolError`
whose ``code`` (also available as ``reason_code``) is the MQTT 5.0 reason code
to put in the CONNACK or DISCONNECT that answers it (MQTT 5.0 section 4.13).
An MQTT 3.1.1 peer is told by closing the connection (3.1.1 section 4.8).
"""

from __future__ import annotations

from wire.errors import RemoteProtocolError
from wire.mqtt._reason_codes import ReasonCode

__all__ = [
    "MQTTRemoteError",
    "MalformedPacket",
    "MQTTProtocolError",
    "PacketTooLarge",
    "TopicNameInvalid",
    "UnsupportedProtocolVersion",
]


class MQTTRemoteError(RemoteProtocolError):
    """The MQTT peer broke the rules; ``reason_code`` says how to tell it."""

    default_reason: ReasonCode = ReasonCode.UNSPECIFIED_ERROR

    def __init__(self, message: str, *, reason_code: ReasonCode | None = None) -> None:
        code = self.default_reason if reason_code is None else reason_code
        super().__init__(message, code=int(code))
        self.reason_code: ReasonCode = code


class MalformedPacket(MQTTRemoteError):
    """The bytes cannot be parsed as the packet they claim to be (reason code 0x81)."""

    default_reason = ReasonCode.MALFORMED_PACKET


class MQTTProtocolError(MQTTRemoteError):
    """The packet parses but breaks a rule of the protocol (reason code 0x82)."""

    default_reason = ReasonCode.PROTOCOL_ERROR


class PacketTooLarge(MQTTRemoteError):
    """The packet is larger than the receiver's Maximum Packet Size (reason code 0x95)."""

    default_reason = ReasonCode.PACKET_TOO_LARGE


class TopicNameInvalid(MQTTRemoteError):
    """A PUBLISH or Will topic name is empty or holds a wildcard (reason code 0x90)."""

    default_reason = ReasonCode.TOPIC_NAME_INVALID


class UnsupportedProtocolVersion(MQTTRemoteError):
    """CONNECT asks for a protocol name or level we do not speak (reason code 0x84).

    An MQTT 3.1.1 server answers this with CONNACK return code 0x01 instead
    (3.1.1 section 3.1.2.2); ``protocol_level`` holds the level that was asked for.
    """

    default_reason = ReasonCode.UNSUPPORTED_PROTOCOL_VERSION

    def __init__(self, message: str, *, protocol_level: int) -> None:
        super().__init__(message)
        self.protocol_level = protocol_level
