"""Events the broker core reports to its driver, for logs and metrics."""

from __future__ import annotations

from dataclasses import dataclass

from wire.errors import RemoteProtocolError

__all__ = ["BrokerEvent", "ClientConnected", "ClientDisconnected", "MessagesDropped"]


@dataclass(frozen=True, slots=True)
class ClientConnected:
    """A CONNECT was accepted."""

    connection: int
    client_id: str
    version: int
    session_present: bool


@dataclass(frozen=True, slots=True)
class ClientDisconnected:
    """A network connection ended.

    ``reason_code`` is the DISCONNECT reason sent or received (0 for a clean
    DISCONNECT), ``error`` the protocol error of the client that caused it, if
    any. ``exception`` is set when the broker itself failed while handling this
    connection (an authorizer that raised, a bug): the connection is closed with
    reason 0x83 and the rest of the broker carries on.
    """

    connection: int
    client_id: str | None
    reason_code: int
    error: RemoteProtocolError | None = None
    exception: Exception | None = None


@dataclass(frozen=True, slots=True)
class MessagesDropped:
    """Messages for ``client_id`` were dropped by a stated policy.

    ``reason`` is one of ``"queue-full"`` (the session's queue of QoS 1/2 messages
    is at ``max_queued_messages``), ``"qos0-backlog"`` (the connection has
    ``max_pending_qos0`` undelivered QoS 0 messages), ``"expired"`` (Message Expiry
    Interval passed while queued) or ``"too-large"`` (larger than the client's
    Maximum Packet Size).
    """

    client_id: str
    count: int
    qos: int
    reason: str


BrokerEvent = ClientConnected | ClientDisconnected | MessagesDropped
