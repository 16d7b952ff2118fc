"""The HTTP/2 connection machine, client and server, over h2.

h2 does the framing, HPACK, the stream state machines and flow-control
arithmetic; this machine adds:

- the event vocabulary shared with HTTP/1.1 (``wire.http._events``) and the
  exchange table (``wire.http._state``);
- SETTINGS as explicit limits (:class:`H2Config`), sent in the preface;
- flow control at the application's reading pace: a stream's window is given
  back only when the application calls :meth:`H2Connection.acknowledge_data`,
  and the connection window is sized so that the stream windows, not the
  connection window, bind (no stream starves another). Outbound data waits in
  a per-stream queue until the peer's windows open (:meth:`pending_send`);
- a graceful GOAWAY (RFC 9113 section 6.8: a first GOAWAY with the largest
  stream id, a PING for the round trip, then the real last stream id), which
  h2 cannot do because its own GOAWAY closes its state machine; the peer's
  graceful GOAWAY is handled here for the same reason;
- the denial-of-service defences h2 leaves to its user, each an explicit
  limit: rapid reset (CVE-2023-44487, a budget of peer resets per window of
  time), CONTINUATION floods (a cap on a header block's encoded size before
  h2 buffers it), SETTINGS/PING floods (a cap on acknowledgements queued but
  not drained), empty-frame floods (CVE-2019-9518), HPACK bombs (the
  decoded header list size), and zero-window stalls (a timer);
- timers through :meth:`next_deadline`/:meth:`tick`: SETTINGS acknowledgement
  timeout, flow-control stall timeout, graceful-drain timeout.

A peer that breaks a connection rule gets GOAWAY with the error code (h2 queues
it, or this machine does) and the machine reports :class:`ConnectionClosed`
carrying an :class:`H2RemoteError`. A stream rule gets RST_STREAM and, if the
application knew the stream, a :class:`StreamReset` carrying an
:class:`H2StreamError`.

Inbound bytes are split into frames here (9-octet headers; payloads only of
GOAWAY, and of header blocks h2 must not see) and given to h2 one frame at a
time, so that the checks above run before h2 buffers anything, what a frame
did is reported even if a later frame of the same read breaks a rule, and
the events never depend on how the bytes were split. The same pass corrects
h2 where RFC 9113 says otherwise:

- FRAME_SIZE_ERROR for every PING, SETTINGS, RST_STREAM, WINDOW_UPDATE and
  GOAWAY frame of a wrong length (h2 says PROTOCOL_ERROR for some, such as a
  SETTINGS acknowledgement with a payload), and for an oversized frame as soon
  as its header is in, before its payload is buffered;
- stream errors, not connection errors, for a PRIORITY frame of a wrong length
  and a WINDOW_UPDATE of 0 on an open stream (sections 6.3, 6.9);
- COMPRESSION_ERROR for a field block that does not decode (section 4.3);
- frames on a stream we reset are ignored (section 5.1): h2 makes a 1xx
  HEADERS there a connection error, so such header blocks are decoded here (to
  keep HPACK in step) and dropped.
"""

from __future__ import annotations

import logging
import re
import struct
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
import h2.stream
import hpack.exceptions
import hyperframe.exceptions
from hyperframe.frame import Frame, GoAwayFrame, HeadersFrame

from wire.errors import LocalProtocolError
from wire.http._errors import H2ErrorCode, H2RemoteError, H2StreamError
from wire.http._events import (
    CONNECTION_FIELDS,
    MAX_STREAM_ID,
    ConnectionClosed,
    Data,
    EndOfMessage,
    Event,
    GoAway,
    Header,
    Headers,
    InformationalResponse,
    ProtocolSwitch,
    Request,
    Response,
    StreamReset,
    Trailers,
    content_length,
)
from wire.http._state import (
    CONNECTION_TRANSITIONS,
    ConnectionInput,
    ConnectionState,
    Exchange,
    MessageInput,
    MessageState,
    Role,
    Side,
    check_role,
    check_send,
    commit_receive,
    commit_send,
    reset,
)

__all__ = ["H2Config", "H2Connection", "PREFACE"]

_log = logging.getLogger(__name__)

_CI = ConnectionInput
_CS = ConnectionState
_MI = MessageInput
_E = H2ErrorCode
_SC = h2.settings.SettingCodes

#: The client connection preface (RFC 9113 section 3.4).
PREFACE: Final = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
_FRAME_HEADER: Final = struct.Struct(">HBBBL")  # length (24 bits as 16+8), type, flags, stream
_GOAWAY_BODY: Final = struct.Struct(">LL")
_BASE64URL: Final = re.compile(rb"[A-Za-z0-9_-]*={0,2}")
#: The header of a GOAWAY frame without debug data, as h2 writes it.
_GOAWAY_HEADER: Final = b"\x00\x00\x08\x07\x00\x00\x00\x00\x00"
_DEFAULT_WINDOW: Final = 65535
_MAX_WINDOW: Final = 2**31 - 1
_MIN_FRAME_SIZE: Final = 16384
_MAX_FRAME_SIZE: Final = 2**24 - 1
#: The payload of the PING that times the first GOAWAY of a graceful shutdown.
_DRAIN_PING: Final = b"wire-gw1"
#: Debug data we put in GOAWAY, and keep from the peer's, is cut to this.
_MAX_DEBUG: Final = 256
#: Streams a client opens before the server's first SETTINGS says how many it
#: takes: SETTINGS_MAX_CONCURRENT_STREAMS starts unlimited, but RFC 9113
#: section 6.5.2 recommends servers allow at least 100, and a server that
#: allows fewer may treat the excess as a connection error (h2 does).
_INITIAL_PEER_STREAMS: Final = 100

# Frame types (RFC 9113 section 6) and flags the scan needs.
_DATA, _HEADERS, _PRIORITY, _RST_STREAM, _SETTINGS = 0x0, 0x1, 0x2, 0x3, 0x4
_PUSH_PROMISE, _PING, _GOAWAY, _WINDOW_UPDATE, _CONTINUATION = 0x5, 0x6, 0x7, 0x8, 0x9
#: Frames of a fixed length (RFC 9113 sections 6.3, 6.4, 6.7, 6.9); another
#: length is FRAME_SIZE_ERROR, which hyperframe reports as a parse failure.
_FIXED_LENGTH: Final = {_PRIORITY: 5, _RST_STREAM: 4, _PING: 8, _WINDOW_UPDATE: 4}
_END_STREAM, _ACK, _END_HEADERS = 0x1, 0x1, 0x4


@dataclass(frozen=True, slots=True)
class H2Config:
    """Limits of an HTTP/2 connection; each has a safe default.

    Attributes:
        max_concurrent_streams: SETTINGS_MAX_CONCURRENT_STREAMS we announce.
            100 is the minimum RFC 9113 section 6.5.2 recommends and h2's
            default: enough parallelism for a browser, bounded work per peer.
        initial_window_size: SETTINGS_INITIAL_WINDOW_SIZE: how much a peer
            may send on one stream before the application reads it. The RFC
            default 65535 bounds what a slow application buffers per stream.
        max_frame_size: SETTINGS_MAX_FRAME_SIZE; the protocol minimum 16384:
            larger frames only raise what one read has to hold.
        max_header_list_size: SETTINGS_MAX_HEADER_LIST_SIZE and the HPACK
            decoder's cap on a decoded header list (HPACK bombs get
            ENHANCE_YOUR_CALM). 64 KiB is h2's default and fits large cookies.
        header_table_size: SETTINGS_HEADER_TABLE_SIZE: HPACK dynamic table
            memory the peer may make us keep; 4096 is the protocol default.
        max_header_block_size: Encoded octets of one header block (HEADERS
            plus CONTINUATION frames) buffered before decoding; more is a
            CONTINUATION flood (ENHANCE_YOUR_CALM). 64 KiB: an honest block
            is smaller than the decoded list it carries.
        max_body_size: Largest inbound message body per stream, in octets
            (tunnels excepted); larger gets 413 and RST_STREAM (NO_ERROR) on a
            server, RST_STREAM (CANCEL) on a client. 1 MiB as for HTTP/1.1;
            ``None`` means no limit.
        reset_budget: Streams the peer may reset while they are open, per
            ``abuse_window`` seconds, before a server answers GOAWAY
            ENHANCE_YOUR_CALM (rapid reset, CVE-2023-44487). 100 is far above
            what a browser cancels and far below what an attack needs.
        empty_frame_budget: Frames without payload or end (DATA without
            END_STREAM, HEADERS or CONTINUATION without END_HEADERS) allowed
            per ``abuse_window`` (CVE-2019-9518). Honest peers send few.
        abuse_window: Seconds after which the two budgets above refill.
        max_queued_control_frames: SETTINGS and PING frames the peer may make
            us acknowledge between two ``data_to_send()`` calls; more is a
            flood (ENHANCE_YOUR_CALM). 1000 is more than any honest batch.
        settings_timeout: Seconds the peer has to acknowledge our SETTINGS
            (RFC 9113 section 6.5.3, SETTINGS_TIMEOUT). 10 s covers slow links.
        stall_timeout: Seconds data may wait for the peer to open a window
            before the stream (CANCEL) or, for the connection window, the
            connection (ENHANCE_YOUR_CALM) is given up. 30 s, as common
            write timeouts.
        drain_timeout: Seconds streams get to finish after a graceful GoAway.
        enable_connect_protocol: A server announces RFC 8441 extended CONNECT
            (SETTINGS_ENABLE_CONNECT_PROTOCOL), for WebSocket over HTTP/2.
    """

    max_concurrent_streams: int = 100
    initial_window_size: int = _DEFAULT_WINDOW
    max_frame_size: int = _MIN_FRAME_SIZE
    max_header_list_size: int = 65536
    header_table_size: int = 4096
    max_header_block_size: int = 65536
    max_body_size: int | None = 1 << 20
    reset_budget: int = 100
    empty_frame_budget: int = 100
    abuse_window: float = 30.0
    max_queued_control_frames: int = 1000
    settings_timeout: float = 10.0
    stall_timeout: float = 30.0
    drain_timeout: float = 30.0
    enable_connect_protocol: bool = True

    def __post_init__(self) -> None:
        ranges: tuple[tuple[str, int, int], ...] = (
            ("max_concurrent_streams", 1, 2**31 - 1),
            ("initial_window_size", 1, _MAX_WINDOW),
            ("max_frame_size", _MIN_FRAME_SIZE, _MAX_FRAME_SIZE),
            ("max_header_list_size", 1, 2**31 - 1),
            ("header_table_size", 0, 2**31 - 1),
            ("max_header_block_size", 1, 2**31 - 1),
            ("reset_budget", 1, 2**31 - 1),
            ("empty_frame_budget", 1, 2**31 - 1),
            ("max_queued_control_frames", 1, 2**31 - 1),
        )
        for name, low, high in ranges:
            value = getattr(self, name)
            if type(value) is not int or not low <= value <= high:
                raise LocalProtocolError(f"{name} must be an int in {low}..{high}")
        if self.max_body_size is not None and (
            type(self.max_body_size) is not int or self.max_body_size < 0
        ):
            raise LocalProtocolError("max_body_size must be None or an int >= 0")
        for name in ("abuse_window", "settings_timeout", "stall_timeout", "drain_timeout"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not value > 0:
                raise LocalProtocolError(f"{name} must be a positive number")
        if type(self.enable_connect_protocol) is not bool:
            raise LocalProtocolError("enable_connect_protocol must be a bool")


class _Budget:
    """A count allowed per window of time; the window restarts when it has passed."""

    __slots__ = ("_left", "_limit", "_period", "_start")

    def __init__(self, limit: int, period: float, now: float) -> None:
        self._limit = self._left = limit
        self._period = period
        self._start = now

    def spend(self, now: float) -> bool:
        """Spend one; ``False`` when the budget of the current window is gone."""
        if now - self._start >= self._period:
            self._start = now
            self._left = self._limit
        self._left -= 1
        return self._left >= 0


class _Stream:
    """What this machine keeps per stream besides the exchange state."""

    __slots__ = ("end", "exchange", "queue", "queued", "received", "stalled", "unacked")

    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange
        #: Outbound data waiting for a window, and whether the end follows it.
        self.queue: deque[bytes] = deque()
        self.queued = 0
        self.end = False
        #: Since when data waits on a closed window (for stall_timeout).
        self.stalled: float | None = None
        #: Inbound body octets (for max_body_size) and flow-controlled octets
        #: delivered but not acknowledged by the application.
        self.received = 0
        self.unacked = 0

    @property
    def settled(self) -> bool:
        """Both messages complete and nothing of ours left to write."""
        return self.exchange.finished and not self.queue and not self.end


def _goaway(last_stream_id: int, error_code: int, message: str) -> bytes:
    frame = GoAwayFrame(
        stream_id=0,
        last_stream_id=last_stream_id,
        error_code=error_code,
        additional_data=message.encode()[:_MAX_DEBUG],
    )
    return bytes(frame.serialize())


def _split(headers: list[tuple[bytes, bytes]]) -> tuple[dict[bytes, bytes], Headers]:
    """Pseudo-header fields (validated by h2: each at most once) and the rest."""
    pseudo: dict[bytes, bytes] = {}
    regular: list[Header] = []
    for name, value in headers:
        if name.startswith(b":"):
            pseudo[name] = value
        elif name not in CONNECTION_FIELDS:
            regular.append((name, value))
    return pseudo, tuple(regular)


class H2Connection:
    """One HTTP/2 connection, client or server, Sans-IO.

    The preface and our SETTINGS are queued at construction (ALPN ``h2`` or
    prior knowledge). For ``Upgrade: h2c`` use :meth:`upgraded_server` and
    :meth:`upgrading_client`.

    Args:
        role: Which end this machine is.
        config: Limits; the defaults of :class:`H2Config` when omitted.
        scheme: The scheme a server assumes for a CONNECT request, which has
            no ``:scheme`` (``b"https"`` behind TLS).
        now: The current time, for the timers.
    """

    __slots__ = (
        "_announced_last",
        "_block_size",
        "_config",
        "_control_queued",
        "_dead_block",
        "_drain_deadline",
        "_draining_phase",
        "_empty_budget",
        "_events",
        "_h2",
        "_highest",
        "_in_block",
        "_now",
        "_out",
        "_peer_last",
        "_peer_settings_seen",
        "_preface_left",
        "_reset_budget",
        "_role",
        "_scan_buffer",
        "_scheme",
        "_settings_sent",
        "_state",
        "_streams",
        "_upgrade_settings",
        "_windows_moved",
    )

    def __init__(
        self,
        role: Role,
        *,
        config: H2Config | None = None,
        scheme: bytes = b"http",
        now: float = 0.0,
        _upgrade: bytes | None = None,
    ) -> None:
        if not isinstance(role, Role):
            raise LocalProtocolError("role must be a Role")
        if scheme not in (b"http", b"https"):
            raise LocalProtocolError('scheme must be b"http" or b"https"')
        if config is None:
            config = H2Config()
        elif type(config) is not H2Config:
            raise LocalProtocolError("config must be an H2Config")
        client = role is Role.CLIENT
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=client))
        self._role = role
        self._config = config
        self._scheme = scheme
        self._h2 = conn
        self._now = now
        self._events: list[Event] = []
        self._out: list[bytes] = []
        self._state = _CS.OPEN
        self._streams: dict[int, _Stream] = {}
        self._highest = 0
        self._preface_left = len(PREFACE) if role is Role.SERVER else 0
        self._scan_buffer = bytearray()
        self._in_block: int | None = None
        #: A header block on a stream we reset, collected to keep HPACK in step.
        self._dead_block: bytearray | None = None
        self._block_size = 0
        self._control_queued = 0
        self._reset_budget = _Budget(config.reset_budget, config.abuse_window, now)
        self._empty_budget = _Budget(config.empty_frame_budget, config.abuse_window, now)
        self._settings_sent: deque[float] = deque()
        self._announced_last: int | None = None  # our GOAWAY's last stream id
        self._peer_last: int | None = None  # the peer's GOAWAY's last stream id
        self._peer_settings_seen = False
        self._draining_phase = 0
        self._drain_deadline: float | None = None
        self._upgrade_settings: bytes | None = None
        self._windows_moved = False

        # Limits in force at once (safe before the peer's acknowledgement:
        # they only loosen the protocol defaults, or bind only us), sent in
        # the first SETTINGS frame.
        immediate = {
            _SC.MAX_CONCURRENT_STREAMS: config.max_concurrent_streams,
            _SC.MAX_HEADER_LIST_SIZE: config.max_header_list_size,
            _SC.MAX_FRAME_SIZE: config.max_frame_size,
        }
        if client:
            immediate[_SC.ENABLE_PUSH] = 0
        elif config.enable_connect_protocol:
            immediate[_SC.ENABLE_CONNECT_PROTOCOL] = 1
        deferred: dict[h2.settings.SettingCodes | int, int] = {}
        if config.initial_window_size >= _DEFAULT_WINDOW:
            immediate[_SC.INITIAL_WINDOW_SIZE] = config.initial_window_size
        else:
            # Tightening it before the peer knows would fault an honest peer.
            deferred[_SC.INITIAL_WINDOW_SIZE] = config.initial_window_size
        if config.header_table_size != 4096:
            deferred[_SC.HEADER_TABLE_SIZE] = config.header_table_size
        conn.local_settings = h2.settings.Settings(client=client, initial_values=immediate)
        conn.max_inbound_frame_size = config.max_frame_size
        conn.decoder.max_header_list_size = config.max_header_list_size
        if client and _upgrade is not None:
            self._upgrade_settings = conn.initiate_upgrade_connection()
        elif _upgrade is not None:
            conn.initiate_upgrade_connection(_upgrade)
        else:
            conn.initiate_connection()
        self._settings_sent.append(now)
        if deferred:
            conn.update_settings(deferred)
            self._settings_sent.append(now)
        # The connection window: large enough that stream windows bind.
        window = min(config.max_concurrent_streams * config.initial_window_size, _MAX_WINDOW)
        if window > _DEFAULT_WINDOW:
            conn.increment_flow_control_window(window - _DEFAULT_WINDOW)
        self._collect()

    @classmethod
    def upgraded_server(
        cls,
        settings_header: bytes,
        request: Request,
        *,
        config: H2Config | None = None,
        now: float = 0.0,
    ) -> H2Connection:
        """The server side of ``Upgrade: h2c`` (RFC 7540 section 3.2).

        Call it once the HTTP/1.1 upgrade request (without a body) is in and
        101 is queued; feed it the bytes that follow. The request continues as
        stream 1, complete on the client's side.

        Args:
            settings_header: The client's ``HTTP2-Settings`` value.
            request: The upgrade request, as stream 1.
            config: Limits.
            now: The current time.

        Raises:
            RemoteProtocolError: the settings header is invalid (an h2
                ``ProtocolError`` or a decoding error): do not upgrade.
        """
        # RFC 7540 section 3.2.1: base64url with the padding omitted; h2
        # decodes with padding, so restore it.
        if _BASE64URL.fullmatch(settings_header) is None:
            raise H2RemoteError("invalid HTTP2-Settings: not base64url")
        unpadded = settings_header.rstrip(b"=")
        settings_header = unpadded + b"=" * (-len(unpadded) % 4)
        try:
            machine = cls(Role.SERVER, config=config, now=now, _upgrade=settings_header)
        except (
            ValueError,
            h2.exceptions.ProtocolError,
            hyperframe.exceptions.HyperframeError,
        ) as exc:
            raise H2RemoteError(f"invalid HTTP2-Settings: {exc}") from None
        exchange = Exchange(1)
        commit_receive(exchange, Side.REQUEST, _MI.HEAD, request)
        commit_receive(exchange, Side.REQUEST, _MI.END, EndOfMessage(1))
        machine._streams[1] = _Stream(exchange)
        machine._highest = 1
        return machine

    @classmethod
    def upgrading_client(
        cls, request: Request, *, config: H2Config | None = None, now: float = 0.0
    ) -> H2Connection:
        """The client side of ``Upgrade: h2c``.

        The request (sent over HTTP/1.1 with :attr:`upgrade_settings` in
        ``HTTP2-Settings``, and complete) becomes stream 1. Nothing of this
        machine may be written before the server's 101: call
        :meth:`data_to_send` only then.
        """
        machine = cls(Role.CLIENT, config=config, now=now, _upgrade=b"")
        exchange = Exchange(1)
        commit_send(exchange, Side.REQUEST, _MI.HEAD, request)
        commit_send(exchange, Side.REQUEST, _MI.END, EndOfMessage(1))
        machine._streams[1] = _Stream(exchange)
        machine._highest = 1
        return machine

    def started(self, now: float) -> None:
        """The preface goes out now: an upgrading client, once the 101 came.

        The SETTINGS acknowledgement timer counts from here, not from the
        construction of the machine.
        """
        self._now = now
        self._settings_sent = deque(now for _ in self._settings_sent)

    # ------------------------------------------------------------------
    # What the caller may look at
    # ------------------------------------------------------------------

    @property
    def role(self) -> Role:
        """Which end of the connection this machine is."""
        return self._role

    @property
    def http_version(self) -> str:
        """``"2"``, for drivers and logs; applications need not ask."""
        return "2"

    @property
    def state(self) -> ConnectionState:
        """Open, draining after a GOAWAY, or closed."""
        return self._state

    @property
    def upgrade_settings(self) -> bytes | None:
        """The ``HTTP2-Settings`` value of an upgrading client, else ``None``.

        Base64url without padding (RFC 7540 section 3.2.1).
        """
        settings = self._upgrade_settings
        return None if settings is None else settings.rstrip(b"=")

    @property
    def next_stream_id(self) -> int | None:
        """The ``stream_id`` of the next request a client may send, or ``None`` now.

        ``None`` on a server, once a GOAWAY went either way, while the peer's
        SETTINGS_MAX_CONCURRENT_STREAMS is reached (assumed to be 100 until
        the peer's first SETTINGS frame arrives), or when ids run out.
        """
        conn = self._h2
        if self._role is Role.SERVER or self._state is not _CS.OPEN:
            return None
        limit = conn.remote_settings.max_concurrent_streams
        if not self._peer_settings_seen:
            limit = min(limit, _INITIAL_PEER_STREAMS)
        if conn.open_outbound_streams >= limit:
            return None
        stream_id = conn.highest_outbound_stream_id + 2 if conn.highest_outbound_stream_id else 1
        return stream_id if stream_id <= MAX_STREAM_ID else None

    @property
    def extended_connect(self) -> bool | None:
        """Whether the peer takes extended CONNECT requests (RFC 8441 section 3).

        ``None`` until the peer's first SETTINGS frame has arrived (the first
        frame it sends, RFC 9113 section 3.4), then whether it carried
        SETTINGS_ENABLE_CONNECT_PROTOCOL = 1: a client knows from ``False``
        that a WebSocket over this connection will never be accepted.
        """
        if not self._peer_settings_seen:
            return None
        return self._h2.remote_settings.enable_connect_protocol == 1

    @property
    def reading_paused(self) -> bool:
        """Always false: HTTP/2 flow control bounds what the peer may send."""
        return False

    def pending_send(self, stream_id: int) -> int:
        """Body octets accepted by ``send()`` that wait for the peer's window."""
        stream = self._streams.get(stream_id)
        return 0 if stream is None else stream.queued

    # ------------------------------------------------------------------
    # The Sans-IO contract
    # ------------------------------------------------------------------

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Feed bytes received from the peer; never raises for what the peer sends."""
        if self._state is _CS.CLOSED or not data:
            return
        try:
            self._scan(bytes(data))
        except Exception:
            # House style rule 9: a bug of ours must not reach the driver.
            _log.error("unexpected internal error in the HTTP/2 machine", exc_info=True)
            self._terminate(H2RemoteError("internal error", error_code=_E.INTERNAL_ERROR))

    def receive_eof(self) -> None:
        """The peer closed its side of the stream."""
        if self._state is _CS.CLOSED:
            return
        done = self._state is _CS.DRAINING and all(
            stream.settled for stream in self._streams.values()
        )
        self._close(
            ConnectionClosed(
                error_code=0 if done else None,
                last_stream_id=self._last_processed(),
                message="" if done else "the peer closed the connection",
            )
        )

    def events(self) -> list[Event]:
        """Take the events reported since the last call."""
        events, self._events = self._events, []
        return events

    def data_to_send(self) -> list[bytes]:
        """Take the bytes to write; ``b""`` means close the stream now."""
        self._collect()
        self._control_queued = 0
        out, self._out = self._out, []
        return out

    def next_deadline(self) -> float | None:
        """When :meth:`tick` must be called next, or ``None``."""
        if self._state is _CS.CLOSED:
            return None
        config = self._config
        deadlines = [
            stream.stalled + config.stall_timeout
            for stream in self._streams.values()
            if stream.stalled is not None
        ]
        if self._settings_sent:
            deadlines.append(self._settings_sent[0] + config.settings_timeout)
        if self._drain_deadline is not None:
            deadlines.append(self._drain_deadline)
        return min(deadlines, default=None)

    def tick(self, now: float) -> None:
        """Let time pass: SETTINGS timeout, flow-control stalls, the end of a drain."""
        self._now = now
        if self._state is _CS.CLOSED:
            return
        config = self._config
        if self._settings_sent and now >= self._settings_sent[0] + config.settings_timeout:
            self._terminate(
                H2RemoteError("SETTINGS not acknowledged in time", error_code=_E.SETTINGS_TIMEOUT)
            )
            return
        if self._drain_deadline is not None and now >= self._drain_deadline:
            self._finish_drain(message="drain timeout")
            return
        for stream_id, stream in list(self._streams.items()):
            if stream.stalled is None or now < stream.stalled + config.stall_timeout:
                continue
            if self._h2.outbound_flow_control_window <= 0:
                self._terminate(
                    H2RemoteError(
                        "the peer kept the connection window closed",
                        error_code=_E.ENHANCE_YOUR_CALM,
                    )
                )
                return
            self._stream_error(
                H2StreamError(
                    "the peer kept the stream window closed",
                    stream_id=stream_id,
                    error_code=_E.CANCEL,
                )
            )
        self._collect()

    def send(self, event: Event) -> None:
        """Queue an event for the peer.

        Raises:
            LocalProtocolError: the event is not valid now; nothing changed.
        """
        if isinstance(event, GoAway):
            self._send_goaway(event)
        elif isinstance(event, ConnectionClosed):
            if self._state is not _CS.CLOSED:
                self._collect()
                code = 0 if event.error_code is None else event.error_code
                self._out.append(_goaway(self._h2.highest_inbound_stream_id, code, event.message))
                self._close(None)
        else:
            check_role(self._role, event)
            stream = self._find(event)
            if stream is not None:
                self._send_stream_event(stream, event)
        self._collect()

    def acknowledge_data(self, stream_id: int, size: int) -> None:
        """The application consumed ``size`` flow-controlled octets of ``stream_id``.

        The peer gets the window back (batched by h2's window manager).
        Acknowledging a stream that ended is a no-op.

        Raises:
            LocalProtocolError: more than was received and not yet acknowledged.
        """
        if type(size) is not int or size < 0:
            raise LocalProtocolError("size must be an int >= 0")
        stream = self._streams.get(stream_id)
        if stream is None or self._state is _CS.CLOSED:
            if type(stream_id) is not int or not 1 <= stream_id <= self._highest:
                raise LocalProtocolError(f"no stream {stream_id!r} on this connection")
            return
        if size > stream.unacked:
            raise LocalProtocolError(
                f"{size} octets acknowledged, {stream.unacked} outstanding on {stream_id}"
            )
        if size:
            stream.unacked -= size
            self._h2.acknowledge_received_data(size, stream_id)
            self._collect()
        self._forget_if_finished(stream_id, stream)

    # ------------------------------------------------------------------
    # Receiving: the frame scan
    # ------------------------------------------------------------------

    def _scan(self, data: bytes) -> None:
        """Split ``data`` into frames, check each, and feed h2 one frame at a time.

        One frame at a time, so that what a frame did is reported even when a
        later frame of the same read breaks a rule: the events do not depend
        on how the bytes were split.
        """
        if self._preface_left:
            head = data[: self._preface_left]
            self._preface_left -= len(head)
            data = data[len(head) :]
            if not self._feed(head):
                return
        buffer = self._scan_buffer
        buffer += data
        limit = self._h2.max_inbound_frame_size
        position = 0
        while len(buffer) - position >= 9:
            high, low, kind, flags, stream_id = _FRAME_HEADER.unpack_from(buffer, position)
            length = (high << 8) | low
            if length > limit:
                # RFC 9113 section 4.2; answered now, without waiting for the
                # payload (h2 would buffer it first).
                self._terminate(
                    H2RemoteError(
                        f"frame of {length} octets above SETTINGS_MAX_FRAME_SIZE",
                        error_code=_E.FRAME_SIZE_ERROR,
                    )
                )
                return
            end = position + 9 + length
            if end > len(buffer):
                break
            frame = bytes(buffer[position:end])
            position = end
            if not self._frame(kind, flags, stream_id & 0x7FFFFFFF, frame):
                return
        del buffer[:position]

    def _frame(self, kind: int, flags: int, stream_id: int, frame: bytes) -> bool:
        """Check one frame before h2 sees it; ``False`` once the connection is over."""
        config = self._config
        length = len(frame) - 9
        problem: H2RemoteError | None = None
        if self._in_block is not None:
            # Anything but this block's CONTINUATION: h2 answers PROTOCOL_ERROR
            # (and so do we for a block h2 does not know about).
            if kind == _CONTINUATION and stream_id == self._in_block:
                self._block_size += length
                if flags & _END_HEADERS:
                    self._in_block = None
                elif not length and not self._empty_budget.spend(self._now):
                    problem = H2RemoteError(
                        "empty CONTINUATION flood", error_code=_E.ENHANCE_YOUR_CALM
                    )
                if self._block_size > config.max_header_block_size:
                    problem = H2RemoteError(
                        "header block too large (CONTINUATION flood)",
                        error_code=_E.ENHANCE_YOUR_CALM,
                    )
                if self._dead_block is not None and problem is None:
                    self._dead_block += frame[9:]
                    return self._end_dead_block() if flags & _END_HEADERS else True
            elif self._dead_block is not None:
                problem = H2RemoteError("a frame inside a header block")
        elif (
            _FIXED_LENGTH.get(kind, length) != length
            or (kind == _SETTINGS and (length % 6 or (flags & _ACK and length)))
            or (kind == _GOAWAY and length < 8)
        ):
            message = f"frame type {kind} of wrong size {length}"
            if kind == _PRIORITY and stream_id in self._streams:
                # RFC 9113 section 6.3: a stream error; the frame is dropped.
                self._stream_error(
                    H2StreamError(message, stream_id=stream_id, error_code=_E.FRAME_SIZE_ERROR)
                )
                self._collect()
                return True
            problem = H2RemoteError(message, error_code=_E.FRAME_SIZE_ERROR)
        elif (
            kind == _WINDOW_UPDATE
            and stream_id in self._streams
            and not int.from_bytes(frame[9:], "big") & 0x7FFFFFFF
        ):
            # RFC 9113 section 6.9: an increment of 0 on a stream is a stream
            # error (h2 makes it a connection error); the frame is dropped.
            self._stream_error(H2StreamError("WINDOW_UPDATE of 0", stream_id=stream_id))
            self._collect()
            return True
        elif kind == _HEADERS and self._reset_by_us(stream_id):
            return self._ignore_headers(flags, stream_id, frame)
        elif kind in (_HEADERS, _PUSH_PROMISE):
            if length > config.max_header_block_size:
                problem = H2RemoteError("header block too large", error_code=_E.ENHANCE_YOUR_CALM)
            elif not flags & _END_HEADERS:
                self._in_block = stream_id
                self._block_size = length
        elif kind == _DATA:
            if not length and not flags & _END_STREAM and not self._empty_budget.spend(self._now):
                problem = H2RemoteError("empty DATA flood", error_code=_E.ENHANCE_YOUR_CALM)
        elif kind in (_PING, _SETTINGS):
            if not flags & _ACK:
                self._control_queued += 1
                if self._control_queued > config.max_queued_control_frames:
                    problem = H2RemoteError(
                        f"{'PING' if kind == _PING else 'SETTINGS'} flood",
                        error_code=_E.ENHANCE_YOUR_CALM,
                    )
        elif kind == _RST_STREAM:
            if (
                self._role is Role.SERVER
                and stream_id in self._streams
                and not self._reset_budget.spend(self._now)
            ):
                problem = H2RemoteError(
                    "too many streams reset (rapid reset)", error_code=_E.ENHANCE_YOUR_CALM
                )
        elif kind == _GOAWAY and not stream_id:
            last, code = _GOAWAY_BODY.unpack_from(frame, 9)
            debug = frame[17:][:_MAX_DEBUG].decode("utf-8", "replace")
            self._on_goaway(last & 0x7FFFFFFF, code, debug)
            self._collect()
            return self._state is not _CS.CLOSED
        if problem is not None:
            self._terminate(problem)
            return False
        return self._feed(frame)

    def _reset_by_us(self, stream_id: int) -> bool:
        """Whether we reset ``stream_id`` (and no longer track it)."""
        stream = self._h2.streams.get(stream_id)
        return (
            stream is not None
            and stream_id not in self._streams
            and stream.closed_by is h2.stream.StreamClosedBy.SEND_RST_STREAM
        )

    def _ignore_headers(self, flags: int, stream_id: int, frame: bytes) -> bool:
        """A header block on a stream we reset: decode it (HPACK state), then drop it.

        RFC 9113 section 5.1: frames on a stream we reset are ignored. h2
        turns a 1xx HEADERS there into a connection error, so it is not asked.
        """
        parsed, _ = Frame.parse_frame_header(memoryview(frame[:9]))
        assert isinstance(parsed, HeadersFrame)
        try:
            parsed.parse_body(memoryview(frame[9:]))
        except hyperframe.exceptions.HyperframeError:
            return self._feed(frame)  # malformed: h2 says how
        self._dead_block = bytearray(parsed.data)
        if flags & _END_HEADERS:
            return self._end_dead_block()
        self._in_block = stream_id
        self._block_size = len(frame) - 9
        return True

    def _end_dead_block(self) -> bool:
        block = bytes(self._dead_block or b"")
        self._dead_block = None
        try:
            self._h2.decoder.decode(block, raw=True)
        except hpack.exceptions.OversizedHeaderListError as exc:
            self._terminate(H2RemoteError(str(exc), error_code=_E.ENHANCE_YOUR_CALM))
            return False
        except hpack.exceptions.HPACKError as exc:
            self._terminate(H2RemoteError(str(exc), error_code=_E.COMPRESSION_ERROR))
            return False
        return True

    def _feed(self, data: bytes) -> bool:
        """Give h2 whole frames; ``False`` once the connection is over."""
        try:
            events = self._h2.receive_data(data)
        except h2.exceptions.ProtocolError as exc:
            # h2 queued GOAWAY with the error code (house style rule 8),
            # except for a bad preface, which it refuses before its own
            # error handling: we tell the peer then.
            code = int(exc.error_code)
            queued = bytes(self._h2.data_to_send())
            if isinstance(exc.__cause__, hpack.exceptions.HPACKError) and not isinstance(
                exc, h2.exceptions.DenialOfServiceError
            ):
                # RFC 9113 section 4.3: a field block that does not decode is
                # COMPRESSION_ERROR; h2 says PROTOCOL_ERROR. Replace its GOAWAY.
                # h2's GOAWAY, without debug data, is the last frame it queued.
                code = _E.COMPRESSION_ERROR
                last = _GOAWAY_BODY.unpack_from(queued, len(queued) - 8)[0]
                queued = queued[: -len(_GOAWAY_HEADER) - 8] + _goaway(last, code, str(exc))
            if queued:
                self._out.append(queued)
            if self._h2.state_machine.state is not h2.connection.ConnectionState.CLOSED:
                self._out.append(_goaway(0, code, str(exc)))
            self._close(
                ConnectionClosed(
                    error_code=code,
                    last_stream_id=self._h2.highest_inbound_stream_id,
                    message=str(exc),
                    error=H2RemoteError(str(exc), error_code=code),
                )
            )
            return False
        self._dispatch(events)
        self._collect()
        return self._state is not _CS.CLOSED

    def _dispatch(self, events: list[h2.events.Event]) -> None:
        for event in events:
            handler = _HANDLERS.get(type(event))
            if handler is not None:
                handler(self, event)
            elif type(event) in _WINDOW_EVENTS:
                self._windows_moved = True
                if type(event) is h2.events.RemoteSettingsChanged:
                    self._peer_settings_seen = True
        if self._windows_moved:
            self._windows_moved = False
            self._flush_all()

    def _on_request(self, event: h2.events.RequestReceived) -> None:
        stream_id = event.stream_id
        self._highest = max(self._highest, stream_id)
        if self._announced_last is not None and stream_id > self._announced_last:
            # RFC 9113 section 6.8: after our GOAWAY, newer streams are refused.
            self._refuse(stream_id)
            return
        pseudo, headers = _split(event.headers or [])
        method = pseudo[b":method"]
        authority = pseudo.get(b":authority")
        if authority is None:
            authority = next((v for n, v in event.headers or [] if n == b"host"), b"")
        protocol = pseudo.get(b":protocol")
        target = authority if method == b"CONNECT" and protocol is None else pseudo[b":path"]
        exchange = Exchange(stream_id)
        stream = _Stream(exchange)
        self._streams[stream_id] = stream
        try:
            request = Request(
                method,
                target,
                authority,
                pseudo.get(b":scheme", self._scheme).lower(),
                headers,
                stream_id,
                protocol,
            )
        except LocalProtocolError as exc:
            # RFC 9113 section 8.1.1: a malformed request is a stream error.
            self._stream_error(
                H2StreamError(f"malformed request: {exc}", stream_id=stream_id), tell=False
            )
            return
        commit_receive(exchange, Side.REQUEST, _MI.HEAD, request)
        limit = self._config.max_body_size
        declared = content_length(headers)
        if limit is not None and declared is not None and declared > limit:
            self._too_large(stream_id, stream, tell=False)
            return
        self._events.append(request)

    def _on_response(self, event: h2.events.ResponseReceived) -> None:
        stream = self._streams[event.stream_id]
        exchange = stream.exchange
        pseudo, headers = _split(event.headers or [])
        status = int(pseudo[b":status"])
        try:
            if exchange.method == b"CONNECT" and 200 <= status <= 299:
                head: Response | ProtocolSwitch = ProtocolSwitch(
                    event.stream_id, exchange.protocol, headers
                )
                inp = _MI.SWITCH
            else:
                head = Response(status, headers, event.stream_id)
                inp = _MI.HEAD
        except LocalProtocolError as exc:
            self._stream_error(
                H2StreamError(f"malformed response: {exc}", stream_id=event.stream_id)
            )
            return
        commit_receive(exchange, Side.RESPONSE, inp, head)
        self._events.append(head)

    def _on_informational(self, event: h2.events.InformationalResponseReceived) -> None:
        stream = self._streams[event.stream_id]
        pseudo, headers = _split(event.headers or [])
        try:
            info = InformationalResponse(int(pseudo[b":status"]), headers, event.stream_id)
        except LocalProtocolError as exc:
            self._stream_error(
                H2StreamError(f"malformed response: {exc}", stream_id=event.stream_id)
            )
            return
        commit_receive(stream.exchange, Side.RESPONSE, _MI.INFORMATIONAL, info)
        self._events.append(info)

    def _on_trailers(self, event: h2.events.TrailersReceived) -> None:
        stream = self._streams[event.stream_id]
        _, headers = _split(event.headers or [])
        if not headers:
            return  # an empty trailer section: nothing to report, the end follows
        try:
            trailers = Trailers(event.stream_id, headers)
        except LocalProtocolError as exc:
            self._stream_error(
                H2StreamError(f"malformed trailers: {exc}", stream_id=event.stream_id)
            )
            return
        commit_receive(stream.exchange, self._peer_side, _MI.TRAILERS, trailers)
        self._events.append(trailers)

    def _on_data(self, event: h2.events.DataReceived) -> None:
        stream_id = event.stream_id
        length = event.flow_controlled_length or 0
        stream = self._streams[stream_id]
        data = event.data or b""
        exchange = stream.exchange
        side = self._peer_side
        stream.received += len(data)
        limit = self._config.max_body_size
        if (
            limit is not None
            and stream.received > limit
            and exchange.state(side) is not MessageState.TUNNEL
        ):
            stream.unacked += length
            self._too_large(stream_id, stream, tell=True)
            return
        if not length:
            return
        stream.unacked += length
        chunk = Data(stream_id, data, length)
        commit_receive(exchange, side, _MI.DATA, chunk)
        self._events.append(chunk)

    def _on_stream_ended(self, event: h2.events.StreamEnded) -> None:
        stream = self._streams.get(event.stream_id)
        if stream is None:
            return
        end = EndOfMessage(event.stream_id)
        commit_receive(stream.exchange, self._peer_side, _MI.END, end)
        self._events.append(end)
        self._forget_if_finished(event.stream_id, stream)

    def _on_stream_reset(self, event: h2.events.StreamReset) -> None:
        stream_id = event.stream_id
        # h2 reports resets only of streams open on its side, which we track.
        stream = self._streams[stream_id]
        code = int(event.error_code or 0)
        error = None
        if not event.remote_reset:
            # h2 reset it: the peer broke a rule of the stream.
            error = H2StreamError("stream error", stream_id=stream_id, error_code=code)
        self._abandon(stream_id, stream)
        self._events.append(StreamReset(stream_id, code, error))

    def _on_settings_acked(self, event: h2.events.SettingsAcknowledged) -> None:
        if self._settings_sent:
            self._settings_sent.popleft()

    def _on_ping_ack(self, event: h2.events.PingAckReceived) -> None:
        if event.ping_data == _DRAIN_PING and self._draining_phase == 1:
            self._final_goaway()

    def _on_goaway(self, last_stream_id: int, error_code: int, message: str) -> None:
        """The peer's GOAWAY (intercepted before h2, which would close its state)."""
        if error_code != _E.NO_ERROR:
            self._close(
                ConnectionClosed(
                    error_code=error_code, last_stream_id=last_stream_id, message=message
                )
            )
            return
        if self._state is _CS.OPEN:
            self._state = CONNECTION_TRANSITIONS[self._state, _CI.RECV_GOAWAY]
        if self._peer_last is None or last_stream_id < self._peer_last:
            self._peer_last = last_stream_id
            self._events.append(GoAway(error_code, last_stream_id, message))
        # Our streams above last_stream_id were not processed: safe to retry.
        ours = 1 if self._role is Role.CLIENT else 0
        for stream_id in sorted(self._streams):
            if stream_id > last_stream_id and stream_id % 2 == ours:
                self._reset_h2_stream(stream_id, _E.REFUSED_STREAM)
                self._abandon(stream_id, self._streams[stream_id])
                self._events.append(StreamReset(stream_id, _E.REFUSED_STREAM))
        self._maybe_drained()

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------

    @property
    def _peer_side(self) -> Side:
        return Side.RESPONSE if self._role is Role.CLIENT else Side.REQUEST

    def _find(self, event: Event) -> _Stream | None:
        """The stream ``event`` belongs to; ``None`` when it is already gone."""
        stream_id = getattr(event, "stream_id", 0)
        if isinstance(event, Request):
            expected = self.next_stream_id
            if expected is None:
                raise LocalProtocolError("no new request can start on this connection now")
            if stream_id != expected:
                raise LocalProtocolError(f"the next request is stream {expected}, not {stream_id}")
            self._check_request(event)
            return _Stream(Exchange(stream_id))
        stream = self._streams.get(stream_id)
        if stream is not None and self._state is not _CS.CLOSED:
            return stream
        if 1 <= stream_id <= self._highest:
            # Finished, reset, or the connection ended under it: the
            # application learns it from its events; a late send is no error.
            return None
        raise LocalProtocolError(f"no stream {stream_id} on this connection")

    def _check_request(self, event: Request) -> None:
        if not event.authority:
            # RFC 9113 section 8.3.1 (h2 insists): say which origin is meant.
            raise LocalProtocolError("an HTTP/2 request needs an authority")
        if event.protocol is not None:
            if event.method != b"CONNECT":
                raise LocalProtocolError("HTTP/2 asks for a protocol with extended CONNECT")
            if not self._h2.remote_settings.enable_connect_protocol:
                raise LocalProtocolError("the server did not enable extended CONNECT")

    def _send_stream_event(self, stream: _Stream, event: Event) -> None:
        conn = self._h2
        exchange = stream.exchange
        stream_id = exchange.stream_id
        if isinstance(event, StreamReset):
            self._reset_h2_stream(stream_id, event.error_code)
            self._abandon(stream_id, stream)
            return
        side, inp = check_send(exchange, self._role, event)
        if isinstance(event, Request):
            headers: list[Header] = [(b":method", event.method)]
            if event.method != b"CONNECT" or event.protocol is not None:
                headers.append((b":scheme", event.scheme))
                headers.append((b":path", event.target))
            headers.append((b":authority", event.authority))
            if event.protocol is not None:
                headers.append((b":protocol", event.protocol))
            commit_send(exchange, side, inp, event)
            self._streams[stream_id] = stream
            self._highest = stream_id
            conn.send_headers(stream_id, [*headers, *event.headers])
        elif isinstance(event, InformationalResponse | Response | ProtocolSwitch):
            status = 200 if isinstance(event, ProtocolSwitch) else event.status
            commit_send(exchange, side, inp, event)
            conn.send_headers(stream_id, [(b":status", b"%d" % status), *event.headers])
        elif isinstance(event, Data):
            commit_send(exchange, side, inp, event)
            if event.data:
                stream.queue.append(event.data)
                stream.queued += len(event.data)
                self._flush_stream(stream_id, stream)
        elif isinstance(event, Trailers):
            commit_send(exchange, side, inp, event)
        else:
            commit_send(exchange, side, inp, event)
            stream.end = True
            self._flush_stream(stream_id, stream)

    def _flush(self, stream_id: int, stream: _Stream) -> bool:
        """Send what the windows allow (one frame); ``True`` if anything went."""
        conn = self._h2
        if stream.queue:
            window = conn.local_flow_control_window(stream_id)
            if window <= 0:
                if stream.stalled is None:
                    stream.stalled = self._now
                return False
            stream.stalled = None
            chunk = stream.queue.popleft()
            size = min(len(chunk), window, conn.max_outbound_frame_size)
            if size < len(chunk):
                stream.queue.appendleft(chunk[size:])
            stream.queued -= size
            conn.send_data(stream_id, chunk[:size])
            if stream.queue:
                return True
        if stream.end:
            stream.end = False
            trailers = stream.exchange.trailers
            if trailers:
                conn.send_headers(stream_id, list(trailers), end_stream=True)
            else:
                conn.end_stream(stream_id)
            self._forget_if_finished(stream_id, stream)
            return True
        return False

    def _flush_stream(self, stream_id: int, stream: _Stream) -> None:
        """Send what the windows allow of one stream."""
        while self._flush(stream_id, stream):
            pass

    def _flush_all(self) -> None:
        """Share the windows between the streams with data waiting, a frame each."""
        progress = True
        while progress:
            progress = False
            for stream_id, stream in list(self._streams.items()):
                if (stream.queue or stream.end) and self._flush(stream_id, stream):
                    progress = True

    def _send_goaway(self, event: GoAway) -> None:
        if self._state is _CS.CLOSED:
            return
        if self._state is _CS.OPEN:
            self._state = CONNECTION_TRANSITIONS[self._state, _CI.SEND_GOAWAY]
        if self._draining_phase:
            return
        self._collect()
        self._drain_deadline = self._now + self._config.drain_timeout
        if self._role is Role.SERVER:
            # RFC 9113 section 6.8: announce, let in-flight streams arrive
            # (one round trip, timed by a PING), then name the last stream.
            self._draining_phase = 1
            self._out.append(_goaway(MAX_STREAM_ID, _E.NO_ERROR, event.message))
            self._h2.ping(_DRAIN_PING)
        else:
            # A client's GOAWAY names the last pushed stream: none.
            self._draining_phase = 2
            self._announced_last = 0
            self._out.append(_goaway(0, _E.NO_ERROR, event.message))
        self._maybe_drained()

    def _final_goaway(self) -> None:
        self._draining_phase = 2
        self._announced_last = self._highest
        self._collect()
        self._out.append(_goaway(self._highest, _E.NO_ERROR, ""))
        self._maybe_drained()

    # ------------------------------------------------------------------
    # Streams ending, errors, closing
    # ------------------------------------------------------------------

    def _forget_if_finished(self, stream_id: int, stream: _Stream) -> None:
        if stream.settled and not stream.unacked:
            del self._streams[stream_id]
        self._maybe_drained()

    def _abandon(self, stream_id: int, stream: _Stream) -> None:
        """Drop a stream: give back its unacknowledged window, forget its queue."""
        reset(stream.exchange)
        if stream.unacked:
            self._h2.acknowledge_received_data(stream.unacked, stream_id)
        del self._streams[stream_id]
        self._maybe_drained()

    def _reset_h2_stream(self, stream_id: int, error_code: int) -> None:
        h2_stream = self._h2.streams.get(stream_id)
        if h2_stream is not None and not h2_stream.closed:
            self._h2.reset_stream(stream_id, error_code)

    def _refuse(self, stream_id: int) -> None:
        self._reset_h2_stream(stream_id, _E.REFUSED_STREAM)

    def _stream_error(self, error: H2StreamError, *, tell: bool = True) -> None:
        """The peer broke a rule of one stream: RST_STREAM, and tell the application."""
        stream_id = error.stream_id
        self._reset_h2_stream(stream_id, error.error_code)
        self._abandon(stream_id, self._streams[stream_id])
        if tell:
            self._events.append(StreamReset(stream_id, int(error.error_code), error))

    def _too_large(self, stream_id: int, stream: _Stream, *, tell: bool) -> None:
        """A body over ``max_body_size``: 413 if a server still can, and RST_STREAM."""
        code = _E.CANCEL
        if self._role is Role.SERVER and stream.exchange.response is MessageState.IDLE:
            self._h2.send_headers(
                stream_id, [(b":status", b"413"), (b"content-length", b"0")], end_stream=True
            )
            code = _E.NO_ERROR
        self._stream_error(
            H2StreamError("body too large", stream_id=stream_id, error_code=code), tell=tell
        )

    def _maybe_drained(self) -> None:
        if (
            self._state is _CS.DRAINING
            and self._draining_phase != 1
            and all(stream.settled for stream in self._streams.values())
        ):
            self._finish_drain(message="")

    def _finish_drain(self, *, message: str) -> None:
        self._collect()
        self._close(
            ConnectionClosed(error_code=0, last_stream_id=self._last_processed(), message=message)
        )

    def _last_processed(self) -> int:
        """The last request stream the server takes: what a GOAWAY named, if any."""
        named = self._peer_last if self._role is Role.CLIENT else self._announced_last
        return self._highest if named is None else min(named, self._highest)

    def _collect(self) -> None:
        data = self._h2.data_to_send()
        if data:
            self._out.append(bytes(data))

    def _terminate(self, error: H2RemoteError) -> None:
        """End the connection for a rule the peer broke: GOAWAY, close, report."""
        self._collect()
        last = self._h2.highest_inbound_stream_id
        self._out.append(_goaway(last, error.error_code, str(error)))
        self._close(
            ConnectionClosed(
                error_code=int(error.error_code),
                last_stream_id=last,
                message=str(error),
                error=error,
            )
        )

    def _close(self, event: ConnectionClosed | None) -> None:
        self._out.append(b"")
        self._state = _CS.CLOSED
        self._drain_deadline = None
        self._settings_sent.clear()
        for stream in self._streams.values():
            reset(stream.exchange)
        self._streams.clear()
        if event is not None:
            self._events.append(event)


#: What opens the peer's windows to us: data waiting for them may go.
_WINDOW_EVENTS: Final = (h2.events.WindowUpdated, h2.events.RemoteSettingsChanged)

_HANDLERS: Final[dict[type, Callable[[H2Connection, Any], None]]] = {
    h2.events.RequestReceived: H2Connection._on_request,
    h2.events.ResponseReceived: H2Connection._on_response,
    h2.events.InformationalResponseReceived: H2Connection._on_informational,
    h2.events.TrailersReceived: H2Connection._on_trailers,
    h2.events.DataReceived: H2Connection._on_data,
    h2.events.StreamEnded: H2Connection._on_stream_ended,
    h2.events.StreamReset: H2Connection._on_stream_reset,
    h2.events.SettingsAcknowledged: H2Connection._on_settings_acked,
    h2.events.PingAckReceived: H2Connection._on_ping_ack,
}
