"""One connection object for both HTTP versions: it picks, then delegates.

:class:`HTTPConnection` starts as the machine the driver's knowledge allows
and switches when the bytes say so:

- ``alpn="h2"`` (TLS negotiated it): HTTP/2 from the first byte;
- ``alpn="http/1.1"``: HTTP/1.1 only;
- no ALPN (cleartext), server: the first bytes decide. The HTTP/2 connection
  preface means prior knowledge (RFC 9113 section 3.3); anything else is
  HTTP/1.1, which may upgrade with ``Upgrade: h2c`` (RFC 7540 section 3.2);
- no ALPN, client: HTTP/1.1, or HTTP/2 with ``prior_knowledge=True``, or
  HTTP/1.1 asking ``Upgrade: h2c`` on its first request with ``h2c=True``.

A server takes an h2c offer only on the first request, and only without a
body (RFC 7540 lets a server ignore the offer; carrying a request body
through the switch is not worth the state); a declined offer reaches the
application as a plain request (``protocol=None``). A client makes the offer
on its first plain request, body or not (a server answers 101 only once it
has read the whole request); until the answer, ``next_stream_id`` is
``None``. Either way a taken offer is reported as :class:`ProtocolSwitch`
with ``protocol=b"h2c"`` before the events of stream 1, so drivers can log
it; applications may ignore it.
"""

from __future__ import annotations

from dataclasses import replace

from wire.errors import LocalProtocolError, RemoteProtocolError
from wire.http._events import (
    ConnectionClosed,
    Data,
    EndOfMessage,
    Event,
    ProtocolSwitch,
    Request,
    Response,
)
from wire.http._h1 import H1Config, H1Connection
from wire.http._h2 import PREFACE, H2Config, H2Connection
from wire.http._state import ConnectionState, Role

__all__ = ["HTTPConnection"]

_H2C = b"h2c"


class HTTPConnection:
    """An HTTP connection, client or server, over whichever version fits.

    It has the contract of :class:`~wire.http.H1Connection` and
    :class:`~wire.http.H2Connection` and forwards to the one in use.

    Args:
        role: Which end this machine is.
        alpn: The protocol TLS negotiated (``"h2"`` or ``"http/1.1"``), or
            ``None`` on cleartext.
        prior_knowledge: Client: speak HTTP/2 at once on cleartext. Server:
            accept the HTTP/2 preface on cleartext (default true).
        h2c: Client: offer ``Upgrade: h2c`` on the first request. Server:
            accept such an offer (default true).
        h1_config: Limits of HTTP/1.1.
        h2_config: Limits of HTTP/2.
        scheme: ``b"https"`` behind TLS, else ``b"http"``.
        now: The current time, for the timers.
    """

    __slots__ = (
        "_events",
        "_h1_config",
        "_h2_config",
        "_h2c",
        "_inner",
        "_now",
        "_out",
        "_role",
        "_scheme",
        "_sniff",
        "_upgrading",
    )

    def __init__(
        self,
        role: Role,
        *,
        alpn: str | None = None,
        prior_knowledge: bool | None = None,
        h2c: bool | None = None,
        h1_config: H1Config | None = None,
        h2_config: H2Config | None = None,
        scheme: bytes = b"http",
        now: float = 0.0,
    ) -> None:
        if not isinstance(role, Role):
            raise LocalProtocolError("role must be a Role")
        if alpn not in (None, "h2", "http/1.1"):
            raise LocalProtocolError('alpn must be None, "h2" or "http/1.1"')
        server = role is Role.SERVER
        if prior_knowledge is None:
            prior_knowledge = server
        if h2c is None:
            h2c = server
        self._role = role
        self._h1_config = h1_config
        self._h2_config = h2_config
        self._scheme = scheme
        self._now = now
        self._events: list[Event] = []
        self._out: list[bytes] = []
        self._upgrading: H2Connection | None = None
        # Server on cleartext: bytes kept until they tell the preface apart.
        self._sniff: bytearray | None = None
        self._h2c = h2c and alpn is None
        self._inner: H1Connection | H2Connection
        if alpn == "h2" or (alpn is None and prior_knowledge and not server):
            self._inner = H2Connection(role, config=h2_config, scheme=scheme, now=now)
        else:
            self._inner = H1Connection(role, config=h1_config, scheme=scheme, now=now)
            if server and alpn is None and prior_knowledge:
                self._sniff = bytearray()

    # ------------------------------------------------------------------
    # What the caller may look at
    # ------------------------------------------------------------------

    @property
    def role(self) -> Role:
        """Which end of the connection this machine is."""
        return self._role

    @property
    def http_version(self) -> str:
        """``"1.1"`` or ``"2"``: the version in use (it may change once, to ``"2"``)."""
        return self._inner.http_version

    @property
    def state(self) -> ConnectionState:
        """Open, draining after a GoAway, or closed."""
        return self._inner.state

    @property
    def next_stream_id(self) -> int | None:
        """The ``stream_id`` of the next request a client may send, or ``None`` now."""
        if self._upgrading is not None:
            return None
        return self._inner.next_stream_id

    @property
    def extended_connect(self) -> bool | None:
        """Whether the peer takes extended CONNECT requests (RFC 8441): ``None``
        on HTTP/2 until its first SETTINGS frame; always false on HTTP/1.1."""
        if self._upgrading is not None:
            return None
        return self._inner.extended_connect

    @property
    def reading_paused(self) -> bool:
        """Whether the driver should stop reading from the peer for now."""
        return self._inner.reading_paused

    def pending_send(self, stream_id: int) -> int:
        """Body octets accepted by ``send()`` that wait for the peer's window."""
        return self._inner.pending_send(stream_id)

    # ------------------------------------------------------------------
    # The Sans-IO contract
    # ------------------------------------------------------------------

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Feed bytes received from the peer; never raises for what the peer sends."""
        if self._sniff is not None:
            self._sniff += data
            sniffed = bytes(self._sniff)
            if PREFACE.startswith(sniffed) and len(sniffed) < len(PREFACE):
                return
            self._sniff = None
            if sniffed.startswith(PREFACE):
                self._inner = H2Connection(
                    self._role, config=self._h2_config, scheme=self._scheme, now=self._now
                )
            data = sniffed
        self._inner.receive_data(data)
        self._after_receive()

    def receive_eof(self) -> None:
        """The peer closed its side of the stream."""
        if self._sniff is not None:
            sniffed, self._sniff = bytes(self._sniff), None
            self._inner.receive_data(sniffed)
        self._inner.receive_eof()
        self._after_receive()

    def events(self) -> list[Event]:
        """Take the events reported since the last call."""
        self._events.extend(self._inner.events())
        events, self._events = self._events, []
        return events

    def data_to_send(self) -> list[bytes]:
        """Take the bytes to write; ``b""`` means close the stream now."""
        self._out.extend(self._inner.data_to_send())
        out, self._out = self._out, []
        return out

    def next_deadline(self) -> float | None:
        """When :meth:`tick` must be called next, or ``None``."""
        return self._inner.next_deadline()

    def tick(self, now: float) -> None:
        """Let time pass."""
        self._now = now
        self._inner.tick(now)

    def send(self, event: Event) -> None:
        """Queue an event for the peer.

        Raises:
            LocalProtocolError: the event is not valid now; nothing changed.
        """
        inner = self._inner
        if (
            self._h2c
            and self._role is Role.CLIENT
            and isinstance(inner, H1Connection)
            and isinstance(event, Request)
            and event.protocol is None
            and event.method != b"CONNECT"
            and event.stream_id == 1
            and inner.next_stream_id == 1
        ):
            # The first request offers h2c; if the server takes it, the
            # response comes over HTTP/2 on stream 1.
            upgrading = H2Connection.upgrading_client(event, config=self._h2_config, now=self._now)
            settings = upgrading.upgrade_settings
            assert settings is not None
            inner.send_h2c_upgrade(event, settings)
            self._h2c = False
            self._upgrading = upgrading
            return
        inner.send(event)

    def acknowledge_data(self, stream_id: int, size: int) -> None:
        """The application consumed ``size`` flow-controlled octets of ``stream_id``."""
        self._inner.acknowledge_data(stream_id, size)

    # ------------------------------------------------------------------
    # h2c
    # ------------------------------------------------------------------

    def _after_receive(self) -> None:
        inner = self._inner
        if not isinstance(inner, H1Connection):
            return
        if self._role is Role.CLIENT:
            if self._upgrading is not None:
                self._client_switch(inner)
        elif self._h2c:
            self._server_switch(inner)

    def _client_switch(self, h1: H1Connection) -> None:
        events = h1.events()
        for index, event in enumerate(events):
            if isinstance(event, ProtocolSwitch) and event.protocol == _H2C:
                h2 = self._upgrading
                assert h2 is not None
                self._upgrading = None
                self._events.append(event)
                self._out.extend(h1.data_to_send())
                self._inner = h2
                h2.started(self._now)
                # What came with the 101 is HTTP/2 already, as tunnel data.
                for rest in events[index + 1 :]:
                    assert isinstance(rest, Data)
                    h2.receive_data(rest.data)
                return
            if isinstance(event, Response | ConnectionClosed):
                # Declined (or over): the exchange goes on over HTTP/1.1.
                self._upgrading = None
            self._events.append(event)

    def _server_switch(self, h1: H1Connection) -> None:
        events = h1.events()
        if not events:
            return
        # Only the first request may upgrade.
        self._h2c = False
        first = events[0]
        if not isinstance(first, Request) or first.protocol != _H2C:
            self._events.extend(events)
            return
        bodiless = len(events) > 1 and isinstance(events[1], EndOfMessage)
        settings = h1.h2c_settings
        request = replace(first, protocol=None)
        h2 = None
        if bodiless and settings is not None:
            try:
                h2 = H2Connection.upgraded_server(
                    settings, request, config=self._h2_config, now=self._now
                )
            except RemoteProtocolError:
                h2 = None
        if h2 is None:
            # Declined: the application answers over HTTP/1.1.
            self._events.append(request)
            self._events.extend(events[1:])
            return
        h1.send(ProtocolSwitch(1, _H2C))
        self._out.extend(h1.data_to_send())
        self._inner = h2
        self._events += [ProtocolSwitch(1, _H2C), request, events[1]]
        # h11 parsed nothing past the upgrade request; what followed it is
        # HTTP/2 (the client preface), delivered as tunnel data.
        for rest in h1.events():
            assert isinstance(rest, Data)
            h2.receive_data(rest.data)
