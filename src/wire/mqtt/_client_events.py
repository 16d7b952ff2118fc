"""Events the MQTT client session machine reports to its caller.

Every event is a frozen, slotted dataclass that checks its fields in the
constructor (:class:`~wire.errors.LocalProtocolError` when they are wrong), so
tests and drivers can build them too. :class:`ConnectionRefused` and
:class:`Disconnected` are terminal for the network connection; the session
(in-flight messages) survives them for the next ``connect()``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, TypeAlias

from wire.errors import LocalProtocolError, RemoteProtocolError
from wire.mqtt._packets import Connack, Publish, Subscribe, Unsubscribe
from wire.mqtt._properties import NO_PROPERTIES, Properties

__all__ = [
    "AuthRequested",
    "ClientEvent",
    "Connected",
    "ConnectionRefused",
    "Disconnected",
    "LOSS_CLEAN_START",
    "LOSS_NOT_ALLOWED",
    "LOSS_SESSION_NOT_PRESENT",
    "MessageReceived",
    "MessagesLost",
    "PongReceived",
    "PublishAcknowledged",
    "Reauthenticated",
    "RequestsAbandoned",
    "Subscribed",
    "Unsubscribed",
]

#: :attr:`MessagesLost.reason`: ``connect(clean_start=True)`` discarded the session.
LOSS_CLEAN_START: Final = "clean-start"
#: :attr:`MessagesLost.reason`: the broker answered CONNACK with Session Present 0.
LOSS_SESSION_NOT_PRESENT: Final = "session-not-present"
#: :attr:`MessagesLost.reason`: the new connection's CONNACK limits forbid sending them.
LOSS_NOT_ALLOWED: Final = "not-allowed"


def _check_type(name: str, value: object, kind: type) -> None:
    if type(value) is not kind:
        raise LocalProtocolError(f"{name} must be a {kind.__name__}, got {type(value).__name__}")


def _check_code(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise LocalProtocolError(f"{name} must be an int, got {type(value).__name__}")
    if not 0 <= value <= 0xFF:
        raise LocalProtocolError(f"{name} must be in 0..255, got {value}")


def _check_packet_id(value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 0xFFFF:
        raise LocalProtocolError(f"packet_id must be an int in 1..65535, got {value!r}")


def _codes(obj: object, value: Iterable[int]) -> None:
    try:
        codes = tuple(value)
    except TypeError:
        raise LocalProtocolError("reason_codes must be a sequence of int") from None
    for code in codes:
        _check_code("reason code", code)
    object.__setattr__(obj, "reason_codes", codes)


@dataclass(frozen=True, slots=True)
class Connected:
    """CONNACK 0x00: the session is live.

    ``session_present`` repeats ``connack.session_present``. The broker's limits
    (Receive Maximum, Maximum Packet Size, Maximum QoS, ...) are in
    ``connack.properties`` and already applied by the machine.
    """

    session_present: bool
    connack: Connack

    def __post_init__(self) -> None:
        _check_type("connack", self.connack, Connack)
        if self.connack.reason_code:
            raise LocalProtocolError("Connected needs a CONNACK with reason code 0x00")
        if self.session_present is not self.connack.session_present:
            raise LocalProtocolError("session_present must match connack.session_present")


@dataclass(frozen=True, slots=True)
class ConnectionRefused:
    """CONNACK with a failure code (3.1.1 return code or 5.0 reason code >= 0x80).

    Terminal for the network connection; the machine has queued ``b""``.
    """

    reason_code: int
    properties: Properties = NO_PROPERTIES

    def __post_init__(self) -> None:
        _check_code("reason_code", self.reason_code)
        if not self.reason_code:
            raise LocalProtocolError("a refusal has a non-zero reason code")
        _check_type("properties", self.properties, Properties)


@dataclass(frozen=True, slots=True)
class MessageReceived:
    """An application message from the broker, delivered once per PUBLISH.

    ``publish.topic_name`` is resolved from the Topic Alias when the broker used
    one. A QoS 2 message is delivered when its PUBLISH arrives and never again
    for the same packet identifier until PUBREL ([MQTT-4.3.3-10] method B).
    """

    publish: Publish

    def __post_init__(self) -> None:
        _check_type("publish", self.publish, Publish)
        if not self.publish.topic_name:
            raise LocalProtocolError("a received message has a resolved topic name")


@dataclass(frozen=True, slots=True)
class PublishAcknowledged:
    """The end of the flow of one of our QoS 1 or 2 messages.

    Sent for PUBACK (QoS 1), PUBCOMP (QoS 2), or a PUBREC with a failure reason
    code (>= 0x80), which ends a QoS 2 flow early. ``packet_id`` is the one
    ``publish()`` returned; it is free again once this event is reported.
    """

    packet_id: int
    reason_code: int = 0
    properties: Properties = NO_PROPERTIES

    def __post_init__(self) -> None:
        _check_packet_id(self.packet_id)
        _check_code("reason_code", self.reason_code)
        _check_type("properties", self.properties, Properties)


@dataclass(frozen=True, slots=True)
class Subscribed:
    """SUBACK: one reason code (granted QoS or failure) per requested filter."""

    packet_id: int
    reason_codes: tuple[int, ...]
    properties: Properties = NO_PROPERTIES

    def __post_init__(self) -> None:
        _check_packet_id(self.packet_id)
        _codes(self, self.reason_codes)
        if not self.reason_codes:
            raise LocalProtocolError("Subscribed needs at least one reason code")
        _check_type("properties", self.properties, Properties)


@dataclass(frozen=True, slots=True)
class Unsubscribed:
    """UNSUBACK: one reason code per filter in 5.0, none in 3.1.1."""

    packet_id: int
    reason_codes: tuple[int, ...] = ()
    properties: Properties = NO_PROPERTIES

    def __post_init__(self) -> None:
        _check_packet_id(self.packet_id)
        _codes(self, self.reason_codes)
        _check_type("properties", self.properties, Properties)


@dataclass(frozen=True, slots=True)
class AuthRequested:
    """AUTH 0x18 from the broker: answer with ``auth(0x18, ...)`` (section 4.12)."""

    properties: Properties

    def __post_init__(self) -> None:
        _check_type("properties", self.properties, Properties)


@dataclass(frozen=True, slots=True)
class Reauthenticated:
    """AUTH 0x00 from the broker: re-authentication succeeded (section 4.12.1)."""

    properties: Properties = NO_PROPERTIES

    def __post_init__(self) -> None:
        _check_type("properties", self.properties, Properties)


@dataclass(frozen=True, slots=True)
class PongReceived:
    """PINGRESP: the broker is alive."""


@dataclass(frozen=True, slots=True)
class MessagesLost:
    """QoS 1/2 messages whose flow will not complete; their packet ids are free.

    ``reason`` is :data:`LOSS_CLEAN_START` (``connect(clean_start=True)`` ended
    the session), :data:`LOSS_SESSION_NOT_PRESENT` (the broker has no session for
    us) or :data:`LOSS_NOT_ALLOWED` (after a reconnect, the broker's new Maximum
    Packet Size, Maximum QoS or Retain Available forbids sending them). Messages
    lost in flight may or may not have reached the broker.
    """

    publishes: tuple[Publish, ...]
    reason: str

    def __post_init__(self) -> None:
        publishes = self.publishes
        if type(publishes) is not tuple:
            publishes = tuple(publishes)
            object.__setattr__(self, "publishes", publishes)
        if not publishes:
            raise LocalProtocolError("MessagesLost needs at least one message")
        for publish in publishes:
            _check_type("publishes item", publish, Publish)
            if not publish.qos:
                raise LocalProtocolError("only QoS 1 and 2 messages can be lost in flight")
        if self.reason not in (LOSS_CLEAN_START, LOSS_SESSION_NOT_PRESENT, LOSS_NOT_ALLOWED):
            raise LocalProtocolError(f"unknown loss reason {self.reason!r}")


@dataclass(frozen=True, slots=True)
class RequestsAbandoned:
    """SUBSCRIBE/UNSUBSCRIBE requests whose acknowledgement will never come.

    The network connection ended before SUBACK/UNSUBACK; unlike PUBLISH, these
    are not resent on reconnect ([MQTT-4.4.0-1]). The broker may or may not have
    applied them. Their packet ids are free.
    """

    requests: tuple[Subscribe | Unsubscribe, ...]

    def __post_init__(self) -> None:
        requests = self.requests
        if type(requests) is not tuple:
            requests = tuple(requests)
            object.__setattr__(self, "requests", requests)
        if not requests:
            raise LocalProtocolError("RequestsAbandoned needs at least one request")
        for request in requests:
            if type(request) not in (Subscribe, Unsubscribe):
                raise LocalProtocolError(
                    f"requests must hold Subscribe or Unsubscribe, got {type(request).__name__}"
                )


@dataclass(frozen=True, slots=True)
class Disconnected:
    """The broker ended the network connection, or made us end it.

    Reported when the broker sends DISCONNECT, closes the stream, breaks the
    protocol or goes silent; not for the caller's own ``disconnect()`` or
    ``connection_lost()``. The machine has queued ``b""``.

    Attributes:
        reason_code: The reason code of the DISCONNECT received from the broker
            or sent to it; ``None`` when none was exchanged (end of stream,
            timeout, MQTT 3.1.1).
        properties: The properties of the DISCONNECT received.
        error: Why we ended it: the broker's protocol violation, or an
            :class:`~wire.mqtt.MQTTRemoteError` with reason code 0x8D (Keep Alive
            timeout) when it did not answer in time. ``None`` when the broker
            ended it.
    """

    reason_code: int | None = None
    properties: Properties = NO_PROPERTIES
    error: RemoteProtocolError | None = None

    def __post_init__(self) -> None:
        if self.reason_code is not None:
            _check_code("reason_code", self.reason_code)
        _check_type("properties", self.properties, Properties)
        if self.error is not None and not isinstance(self.error, RemoteProtocolError):
            raise LocalProtocolError("error must be a RemoteProtocolError")


ClientEvent: TypeAlias = (
    Connected
    | ConnectionRefused
    | MessageReceived
    | PublishAcknowledged
    | Subscribed
    | Unsubscribed
    | AuthRequested
    | Reauthenticated
    | PongReceived
    | MessagesLost
    | RequestsAbandoned
    | Disconnected
)
