"""MQTT 3.1.1 and 5.0, Sans-IO.

The codec::

    from wire import mqtt

    data = mqtt.encode(mqtt.Publish("sensors/t1", b"21.5", qos=1, packet_id=7), version=5)
    packet, used = mqtt.decode(data, version=5)

    reader = mqtt.PacketReader(version=5)
    for packet in reader.feed(chunk):
        ...

Errors caused by the peer are :class:`MQTTRemoteError` subclasses carrying the
reason code to answer with; misuse of the API raises
:class:`wire.errors.LocalProtocolError`.
"""

from wire.mqtt._access import AccessControl, PasswordFile, filter_covers, hash_password
from wire.mqtt._broker import Broker, BrokerConfig, BrokerStats
from wire.mqtt._broker_events import (
    BrokerEvent,
    ClientConnected,
    ClientDisconnected,
    MessagesDropped,
)
from wire.mqtt._client import ClientConfig, ClientConnection
from wire.mqtt._client_events import (
    LOSS_CLEAN_START,
    LOSS_NOT_ALLOWED,
    LOSS_SESSION_NOT_PRESENT,
    AuthRequested,
    ClientEvent,
    Connected,
    ConnectionRefused,
    Disconnected,
    MessageReceived,
    MessagesLost,
    PongReceived,
    PublishAcknowledged,
    Reauthenticated,
    RequestsAbandoned,
    Subscribed,
    Unsubscribed,
)
from wire.mqtt._client_state import ClientState
from wire.mqtt._codec import (
    DEFAULT_MAX_PACKET_SIZE,
    MAX_PACKET_SIZE_LIMIT,
    decode,
    encode,
    encode_vbi,
)
from wire.mqtt._errors import (
    MalformedPacket,
    MQTTProtocolError,
    MQTTRemoteError,
    PacketTooLarge,
    TopicNameInvalid,
    UnsupportedProtocolVersion,
)
from wire.mqtt._json import packet_from_json, packet_to_json
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
    RetainHandling,
    Suback,
    Subscribe,
    Subscription,
    Unsuback,
    Unsubscribe,
    Will,
)
from wire.mqtt._properties import (
    WILL_PROPERTIES,
    Properties,
    PropertyId,
    PropertySpec,
    PropertyType,
    PropertyValue,
    property_spec,
)
from wire.mqtt._reader import PacketReader
from wire.mqtt._reason_codes import ConnectReturnCode, PacketType, ReasonCode, reason_codes_for
from wire.mqtt._topics import (
    SharedSubscription,
    TopicMatcher,
    is_valid_topic_filter,
    is_valid_topic_name,
    parse_shared_subscription,
    topic_matches,
)

__all__ = [
    "LOSS_CLEAN_START",
    "LOSS_NOT_ALLOWED",
    "LOSS_SESSION_NOT_PRESENT",
    "AuthRequested",
    "ClientConfig",
    "ClientConnection",
    "ClientEvent",
    "ClientState",
    "Connected",
    "ConnectionRefused",
    "Disconnected",
    "MessageReceived",
    "MessagesLost",
    "PongReceived",
    "PublishAcknowledged",
    "Reauthenticated",
    "RequestsAbandoned",
    "Subscribed",
    "Unsubscribed",
    "DEFAULT_MAX_PACKET_SIZE",
    "MAX_PACKET_SIZE_LIMIT",
    "WILL_PROPERTIES",
    "AccessControl",
    "Auth",
    "Broker",
    "BrokerConfig",
    "BrokerEvent",
    "BrokerStats",
    "ClientConnected",
    "ClientDisconnected",
    "MessagesDropped",
    "Connack",
    "Connect",
    "ConnectReturnCode",
    "Disconnect",
    "MQTTProtocolError",
    "MQTTRemoteError",
    "MalformedPacket",
    "Packet",
    "PacketReader",
    "PacketTooLarge",
    "PacketType",
    "PasswordFile",
    "Pingreq",
    "Pingresp",
    "Properties",
    "PropertyId",
    "PropertySpec",
    "PropertyType",
    "PropertyValue",
    "Puback",
    "Pubcomp",
    "Publish",
    "Pubrec",
    "Pubrel",
    "ReasonCode",
    "RetainHandling",
    "SharedSubscription",
    "Suback",
    "Subscribe",
    "Subscription",
    "TopicMatcher",
    "TopicNameInvalid",
    "Unsuback",
    "Unsubscribe",
    "UnsupportedProtocolVersion",
    "Will",
    "decode",
    "encode",
    "encode_vbi",
    "filter_covers",
    "hash_password",
    "is_valid_topic_filter",
    "is_valid_topic_name",
    "packet_from_json",
    "packet_to_json",
    "parse_shared_subscription",
    "property_spec",
    "reason_codes_for",
    "topic_matches",
]
