"""The HTTP/1.1 connection machine, client and server, over h11.

h11 parses and writes the messages; this machine adds what a server facing
the Internet needs and h11 leaves to its caller:

- the event vocabulary shared with HTTP/2 (``wire.http._events``) and the
  exchange table (``wire.http._state``);
- limits: request-line length (414), head size and field count (431), body
  size (413, from Content-Length up front or counted while streaming);
- the RFC 9112 rules h11 is lenient about, refused because they are how
  requests get smuggled past another parser: both Content-Length and
  Transfer-Encoding (section 6.1), Transfer-Encoding in an HTTP/1.0 request
  (section 6.1), obsolete line folding (section 5.2), bare LF or bare CR as a
  line ending in the head (section 2.2), and versions other than 1.x (505);
- the RFC 9112 rules h11 leaves to its caller or reads otherwise: a request
  whose final transfer coding is not chunked gets 400, not h11's 501
  (section 6.3), an invalid ``Host`` gets 400 (section 3.2), a few empty
  lines before a request line are ignored (section 2.2), whatever follows a
  request that ends the connection is discarded rather than refused
  (section 9.6), and a client checks that a 101 switches to the protocol it
  asked for (RFC 9110 section 7.8);
- error responses queued by the machine itself (house style rule 8): a server
  that meets a broken request queues 400/413/414/431/501/505 with
  ``Connection: close`` and then closes; a client just closes;
- keep-alive and pipelining with one response at a time, in order: the next
  pipelined request is parsed only after the response to the previous one;
- a reading pace: ``reading_paused`` tells the driver to stop reading while
  the application has not acknowledged ``read_window`` octets of body, or
  while a pipelined request waits for the response in progress;
- protocol switches (``Upgrade`` with 101, CONNECT with 2xx) as events, after
  which the connection is a tunnel of :class:`~wire.http.Data` events;
- an idle timer (keep-alive idle time and slow request heads: 408) and a
  drain timer after a graceful :class:`~wire.http.GoAway`;
- a strict fast path for the server (``wire.http._h1_fast``): a complete,
  plainly well-formed request head is read without h11, and its response
  written as h11 would write it; any other request goes to h11 from its
  first byte, and the connection returns to the fast path at the next
  exchange. Both paths give the same events and the same bytes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import h11

from wire.errors import LocalProtocolError
from wire.http._errors import H1RemoteError
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
from wire.http._h1_fast import (
    chunk,
    host_is_valid,
    informational_head,
    last_chunk,
    parse_request_head,
    reason,
    request_event,
    response_head,
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
)

__all__ = ["H1Config", "H1Connection"]

_log = logging.getLogger(__name__)

_CI = ConnectionInput
_CS = ConnectionState
_MI = MessageInput

#: The end of a head: h11 takes LF LF as well as CRLF CRLF (we refuse bare LF).
_HEAD_END: Final = re.compile(rb"\n\r?\n")
#: A line ending that is not CRLF, or a CR that ends nothing (RFC 9112 section 2.2).
_BARE_LF: Final = re.compile(rb"(?<!\r)\n")
_BARE_CR: Final = re.compile(rb"\r(?!\n)")
#: A field line that starts with whitespace continues the previous one: obs-fold.
_OBS_FOLD: Final = re.compile(rb"\r\n[ \t]")
#: The value of each Transfer-Encoding line of a head that has no bare CR or LF.
_TRANSFER_ENCODING: Final = re.compile(rb"\ntransfer-encoding:([^\r]*)", re.IGNORECASE)
#: Empty lines (CRLF) a server skips before a request line (RFC 9112 section
#: 2.2: it SHOULD ignore at least one). The habit this rule tolerates is an
#: old client's extra CRLF after a request body, one per request; four leave
#: room for more padding than any client is known to send, and the bound makes
#: a stream of empty lines, which is no HTTP client, a prompt 400 rather than
#: a connection that reads forever without a request. The count restarts at
#: each request.
_MAX_LEADING_EMPTY_LINES: Final = 4


@dataclass(frozen=True, slots=True)
class H1Config:
    """Limits of an HTTP/1.1 connection; each has a safe default.

    Attributes:
        max_request_line: Longest request line; longer gets 414. RFC 9112
            section 3 recommends supporting at least 8000 octets.
        max_head_size: Largest start line plus header section; larger gets
            431. 16 KiB is h11's own default and above what browsers send.
        max_header_count: Most header fields in a head (or trailer section);
            more gets 431. 100 matches common servers (Go, nginx-like limits)
            and keeps per-request work bounded.
        max_body_size: Largest inbound body, in octets; larger gets 413 (a
            server checks Content-Length before the body is read). ``None``
            means no limit; the 1 MiB default matches nginx's.
        read_window: Unacknowledged inbound body octets after which
            ``reading_paused`` is true: the HTTP/2 default stream window, so
            both versions buffer the same for a slow application.
        idle_timeout: Seconds a server waits for a complete request head on
            an idle connection (keep-alive idle time, and slow heads, which
            get 408). ``None`` disables it.
        drain_timeout: Seconds the exchange in flight gets after a graceful
            GoAway before the connection is closed anyway.
        fast_path: Let a server read plainly well-formed requests with its
            own strict parser and write their responses itself (several
            times faster than h11, with the same events and bytes); any
            other request still goes to h11. ``False`` sends every request
            through h11, for comparison or out of caution.
    """

    max_request_line: int = 8192
    max_head_size: int = 16384
    max_header_count: int = 100
    max_body_size: int | None = 1 << 20
    read_window: int = 65535
    idle_timeout: float | None = 60.0
    drain_timeout: float = 30.0
    fast_path: bool = True

    def __post_init__(self) -> None:
        for name in ("max_request_line", "max_head_size", "max_header_count", "read_window"):
            value = getattr(self, name)
            if type(value) is not int or value < 1:
                raise LocalProtocolError(f"{name} must be a positive int")
        if self.max_body_size is not None and (
            type(self.max_body_size) is not int or self.max_body_size < 0
        ):
            raise LocalProtocolError("max_body_size must be None or an int >= 0")
        for name in ("idle_timeout", "drain_timeout"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int | float) or not value > 0):
                raise LocalProtocolError(f"{name} must be a positive number")
        if type(self.fast_path) is not bool:
            raise LocalProtocolError("fast_path must be a bool")


def _tokens(headers: Iterable[Header], name: bytes) -> list[bytes]:
    """The comma-separated, lowercased tokens of every ``name`` field."""
    out: list[bytes] = []
    for field, value in headers:
        if field == name:
            out.extend(token.strip() for token in value.lower().split(b","))
    return out


def _head_fields(headers: Headers) -> list[Header]:
    """The fields of a head to write: a repeated content-length only once.

    The event made sure the copies agree (RFC 9110 section 8.6); h11 would
    refuse copies that differ only in leading zeros.
    """
    fields: list[Header] = []
    length_seen = False
    for field in headers:
        if field[0] == b"content-length":
            if length_seen:
                continue
            length_seen = True
        fields.append(field)
    return fields


def _transfer_coding_problem(head: bytes) -> str | None:
    """Why a request head's Transfer-Encoding leaves its body unreadable, if it does.

    ``head`` is whole and has no bare CR or LF (checked first). The rules:

    - RFC 9112 section 6.3 (rule 4): when chunked is not the final coding of
      a request, its length cannot be determined; the server MUST answer 400
      and close (a lone unknown coding such as ``xchunked`` included);
    - RFC 9112 section 7: a sender MUST NOT apply chunked more than once, so
      such a request is malformed: 400 as well;
    - other codings before a final chunked (``gzip, chunked``) are codings
      this server does not implement: left to h11, which answers 501 (RFC
      9112 section 6.1 SHOULD).

    Empty list elements do not count (RFC 9110 section 5.6.1); coding names
    are case-insensitive and end at their parameters (RFC 9112 section 7).
    """
    values = _TRANSFER_ENCODING.findall(head)
    if not values:
        return None
    codings = [
        name
        for value in values
        for element in value.split(b",")
        if (name := element.partition(b";")[0].strip().lower())
    ]
    if not codings or codings[-1] != b"chunked":
        return "chunked is not the final transfer coding"
    if codings.count(b"chunked") > 1:
        return "chunked applied more than once"
    return None


class H1Connection:
    """One HTTP/1.1 connection, client or server, Sans-IO.

    Args:
        role: Which end this machine is.
        config: Limits; the defaults of :class:`H1Config` when omitted.
        scheme: The scheme of requests received on this connection
            (``b"https"`` behind TLS); a server puts it in
            :attr:`Request.scheme`.
        now: The current time, for the timers.
    """

    __slots__ = (
        "_body_left",
        "_body_received",
        "_buf",
        "_chunked",
        "_config",
        "_deadline",
        "_empty_lines",
        "_eof",
        "_events",
        "_exchange",
        "_fast",
        "_fast_allowed",
        "_goaway_sent",
        "_h2c_offer",
        "_h2c_settings",
        "_h11",
        "_held",
        "_keep_alive",
        "_now",
        "_out",
        "_pos",
        "_request_ended",
        "_role",
        "_scheme",
        "_seq",
        "_state",
        "_their_version",
        "_tunnel",
        "_unacked",
        "_unacked_total",
    )

    def __init__(
        self,
        role: Role,
        *,
        config: H1Config | None = None,
        scheme: bytes = b"http",
        now: float = 0.0,
    ) -> None:
        if not isinstance(role, Role):
            raise LocalProtocolError("role must be a Role")
        if config is None:
            config = H1Config()
        elif type(config) is not H1Config:
            raise LocalProtocolError("config must be an H1Config")
        if scheme not in (b"http", b"https"):
            raise LocalProtocolError('scheme must be b"http" or b"https"')
        self._role = role
        self._config = config
        self._scheme = scheme
        self._h11 = self._new_h11()
        # The fast path (server): while it is on, h11 has seen nothing of the
        # connection since its last exchange and stays idle; the bytes wait in
        # _buf from _pos on.
        self._fast_allowed = role is Role.SERVER and config.fast_path
        self._fast = self._fast_allowed
        self._buf = b""
        self._pos = 0
        #: Request body octets still to come (fast path, Content-Length).
        self._body_left = 0
        #: Whether the request in progress lets the connection stay open, and
        #: whether our response in progress is chunked (fast path).
        self._keep_alive = True
        self._chunked = False
        #: The HTTP version of the last request received (server).
        self._their_version: bytes | None = None
        #: Empty lines skipped before the next request line (server, both paths).
        self._empty_lines = 0
        self._eof = False
        self._events: list[Event] = []
        self._out: list[bytes] = []
        self._state = _CS.OPEN
        self._seq = 0
        self._exchange: Exchange | None = None
        self._tunnel = False
        self._goaway_sent = False
        self._held: Request | None = None
        self._h2c_settings: bytes | None = None
        self._h2c_offer: bytes | None = None
        self._request_ended = False
        self._body_received = 0
        self._unacked: dict[int, int] = {}
        self._unacked_total = 0
        self._now = now
        self._deadline: float | None = None
        self._arm_idle()

    def _new_h11(self) -> h11.Connection:
        return h11.Connection(
            h11.SERVER if self._role is Role.SERVER else h11.CLIENT,
            # Our own head check runs first and answers with 414/431; h11's
            # limit stays as a backstop for chunk lines and trailers.
            max_incomplete_event_size=self._config.max_head_size,
        )

    # ------------------------------------------------------------------
    # What the caller may look at
    # ------------------------------------------------------------------

    @property
    def role(self) -> Role:
        """Which end of the connection this machine is."""
        return self._role

    @property
    def http_version(self) -> str:
        """``"1.1"``, for drivers and logs; applications need not ask."""
        return "1.1"

    @property
    def state(self) -> ConnectionState:
        """Open, draining after a GoAway, or closed."""
        return self._state

    @property
    def next_stream_id(self) -> int | None:
        """The ``stream_id`` of the next request a client may send, or ``None`` now.

        HTTP/1.1 carries one exchange at a time: ``None`` while one is in
        flight, after a GoAway either way, or on a server.
        """
        if (
            self._role is Role.SERVER
            or self._state is not _CS.OPEN
            or self._exchange is not None
            or self._seq >= MAX_STREAM_ID
        ):
            return None
        return self._seq + 1

    @property
    def extended_connect(self) -> bool:
        """Always false: extended CONNECT is HTTP/2's (RFC 8441); HTTP/1.1 upgrades."""
        return False

    @property
    def reading_paused(self) -> bool:
        """Whether the driver should stop reading from the peer for now.

        True while ``read_window`` octets of body are unacknowledged, and on a
        server while a complete request waits for its response (pipelined
        requests are parsed one at a time).
        """
        if self._unacked_total >= self._config.read_window:
            return True
        exchange = self._exchange
        return (
            self._role is Role.SERVER
            and not self._tunnel
            and exchange is not None
            and exchange.request is MessageState.DONE
        )

    @property
    def h2c_settings(self) -> bytes | None:
        """The ``HTTP2-Settings`` of the last request that asked for ``h2c``, if any.

        For the connection factory, which decides whether to upgrade.
        """
        return self._h2c_settings

    def pending_send(self, stream_id: int) -> int:
        """Body octets accepted by ``send()`` but not yet in ``data_to_send()``.

        Always 0: HTTP/1.1 has no flow control of its own.
        """
        return 0

    # ------------------------------------------------------------------
    # The Sans-IO contract
    # ------------------------------------------------------------------

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Feed bytes received from the peer; never raises for what the peer sends.

        Bytes fed after :meth:`receive_eof` are ignored: a closed stream has
        nothing more to say.
        """
        if self._state is _CS.CLOSED or not data or self._eof:
            return
        try:
            if self._tunnel:
                self._tunnel_data(bytes(data))
            elif self._fast:
                pos = self._pos
                buf = self._buf
                self._buf = buf[pos:] + data if pos < len(buf) else bytes(data)
                self._pos = 0
                self._fast_pump()
            else:
                if self._h11.their_state is not h11.MUST_CLOSE:
                    self._h11.receive_data(bytes(data))
                # else: discarded unread (RFC 9112 section 9.6; see _pump).
                self._pump()
        except Exception:
            # House style rule 9: a bug of ours must not reach the driver.
            _log.error("unexpected internal error in the HTTP/1.1 machine", exc_info=True)
            self._fail(H1RemoteError("internal error", status=500))

    def receive_eof(self) -> None:
        """The peer closed its side of the stream."""
        if self._state is _CS.CLOSED:
            return
        self._eof = True
        if self._tunnel:
            exchange = self._exchange
            assert exchange is not None
            peer = Side.RESPONSE if self._role is Role.CLIENT else Side.REQUEST
            if exchange.state(peer) is MessageState.TUNNEL:
                exchange.move(peer, _MI.END)
                self._events.append(EndOfMessage(exchange.stream_id))
            if exchange.finished:
                self._close(ConnectionClosed(last_stream_id=self._seq), write_eof=False)
            return
        exchange = self._exchange
        if (
            self._role is Role.CLIENT
            and exchange is not None
            and exchange.response is MessageState.IDLE
        ):
            # The server closed before answering: in HTTP/1.1 it may close an
            # idle connection at any time, racing our request. Not a broken
            # rule; whether the request was processed is unknown.
            self._close(
                ConnectionClosed(
                    last_stream_id=self._seq - 1, message="closed by the server before a response"
                )
            )
            return
        try:
            if self._fast:
                self._fast_eof()
            else:
                self._h11.receive_data(b"")
                self._pump()
        except Exception:
            _log.error("unexpected internal error in the HTTP/1.1 machine", exc_info=True)
            self._fail(H1RemoteError("internal error", status=500))

    def events(self) -> list[Event]:
        """Take the events reported since the last call."""
        events, self._events = self._events, []
        return events

    def data_to_send(self) -> list[bytes]:
        """Take the bytes to write; ``b""`` means close the stream now."""
        out, self._out = self._out, []
        return out

    def next_deadline(self) -> float | None:
        """When :meth:`tick` must be called next, or ``None``."""
        return self._deadline

    def tick(self, now: float) -> None:
        """Let time pass: close an idle connection, end a drain that took too long."""
        self._now = now
        deadline = self._deadline
        if deadline is None or now < deadline:
            return
        self._deadline = None
        if self._goaway_sent:
            self._close(ConnectionClosed(last_stream_id=self._seq, message="drain timeout"))
        elif not self._fast and self._h11.trailing_data[0]:
            # A request head that never completed: Slowloris, or a lost client.
            self._fail(H1RemoteError("request head not received in time", status=408))
        else:
            self._close(ConnectionClosed(last_stream_id=self._seq, message="idle timeout"))

    def send(self, event: Event) -> None:
        """Queue an event for the peer.

        Raises:
            LocalProtocolError: the event is not valid now; nothing changed.
        """
        if self._fast and self._fast_send(event):
            return
        if isinstance(event, GoAway):
            self._send_goaway()
            return
        if isinstance(event, ConnectionClosed):
            if self._state is not _CS.CLOSED:
                self._close(None)
            return
        check_role(self._role, event)
        exchange = self._find(event)
        if exchange is None:
            return
        if isinstance(event, StreamReset):
            # HTTP/1.1 cannot abandon one exchange: the connection goes.
            self._close(ConnectionClosed(last_stream_id=self._seq, message="exchange reset"))
            return
        side, inp = check_send(exchange, self._role, event)
        if self._tunnel:
            self._tunnel_send(exchange, side, inp, event)
            return
        if isinstance(event, Request):
            self._send_request(exchange, side, inp, event)
        elif isinstance(event, Trailers):
            self._check_trailers(exchange)
            commit_send(exchange, side, inp, event)
            self._flush_held(body=True)
        elif isinstance(event, InformationalResponse):
            # RFC 9110 section 15.2: no 1xx to an HTTP/1.0 client; dropping it
            # keeps applications version-blind.
            if self._fast:
                self._out.append(informational_head(event.status, _head_fields(event.headers)))
            elif self._their_version != b"1.0":
                self._write(
                    h11.InformationalResponse(
                        status_code=event.status,
                        headers=_head_fields(event.headers),
                        reason=reason(event.status),
                    )
                )
            commit_send(exchange, side, inp, event)
        elif isinstance(event, Response):
            # (On the fast path, _fast_send took every Response allowed here.)
            headers = _head_fields(event.headers)
            if self._goaway_sent:
                headers.append((b"connection", b"close"))
            commit_send(exchange, side, inp, event)
            self._write(
                h11.Response(status_code=event.status, headers=headers, reason=reason(event.status))
            )
        elif isinstance(event, ProtocolSwitch):
            self._send_switch(exchange, side, inp, event)
        elif isinstance(event, Data):
            # (On the fast path, _fast_send took every Data allowed here.)
            commit_send(exchange, side, inp, event)
            if event.data:
                self._flush_held(body=True)
                self._write(h11.Data(data=event.data))
        else:
            assert isinstance(event, EndOfMessage)
            self._send_end(exchange, side, inp, event)

    def _fast_send(self, event: Event) -> bool:
        """Send the plain response of a fast-path request; False leaves it to :meth:`send`.

        Only the common case of each event is taken here: the exchange in
        progress, in the state the event follows, within its declared length.
        It makes the moves the exchange table (``wire.http._state``) makes for
        it and writes what h11 writes; anything else, the errors included,
        goes the general way. The differential tests check both ways agree.
        """
        exchange = self._exchange
        kind = type(event)
        if (
            exchange is None
            or getattr(event, "stream_id", None) != exchange.stream_id
            or self._state is _CS.CLOSED
        ):
            return False
        if kind is Data:
            assert isinstance(event, Data)
            data = event.data
            size = len(data)
            declared = exchange.sent_length
            if (
                exchange.response is not MessageState.BODY
                or (declared is not None and exchange.sent + size > declared)
                or (size and not exchange.response_has_body)
            ):
                return False
            exchange.sent += size
            if size:
                self._out.append(chunk(data) if self._chunked else data)
            return True
        if kind is Response:
            assert isinstance(event, Response)
            if exchange.response is not MessageState.IDLE:
                return False
            fields = _head_fields(event.headers)
            if self._goaway_sent:
                fields.append((b"connection", b"close"))
            exchange.sent_length = content_length(event.headers)
            exchange.status = event.status
            exchange.response = MessageState.BODY
            head, self._chunked = response_head(
                event.status, fields, method=exchange.method, keep_alive=self._keep_alive
            )
            self._out.append(head)
            if self._goaway_sent:
                # Our "connection: close" ends keep-alive as the client's would.
                self._keep_alive = False
            return True
        if kind is EndOfMessage:
            declared = exchange.sent_length
            if exchange.response is not MessageState.BODY or (
                declared is not None and exchange.sent < declared and exchange.response_has_body
            ):
                return False
            exchange.response = MessageState.DONE
            if self._chunked:
                self._out.append(last_chunk(()))
            self._maybe_next_cycle()
            return True
        return False

    def acknowledge_data(self, stream_id: int, size: int) -> None:
        """The application consumed ``size`` flow-controlled octets of ``stream_id``.

        Raises:
            LocalProtocolError: more than was received and not yet acknowledged.
        """
        if type(size) is not int or size < 0:
            raise LocalProtocolError("size must be an int >= 0")
        outstanding = self._unacked.get(stream_id, 0)
        if size > outstanding:
            raise LocalProtocolError(
                f"{size} octets acknowledged, {outstanding} outstanding on {stream_id}"
            )
        if outstanding == size:
            self._unacked.pop(stream_id, None)
        else:
            self._unacked[stream_id] = outstanding - size
        self._unacked_total -= size

    # ------------------------------------------------------------------
    # Receiving
    # ------------------------------------------------------------------

    def _pump(self) -> None:
        """Turn the bytes received into events until more are needed or must wait.

        A handler that starts the next exchange pumps again from there (and
        may move between the fast path and h11, each with its own buffer), so
        every round looks at the current reader afresh.
        """
        while self._state is not _CS.CLOSED and not self._tunnel:
            if self._fast:
                self._fast_pump()
                return
            if self._h11.their_state is h11.MUST_CLOSE:
                # The peer's last message ended the connection (its "close",
                # ours, or HTTP/1.0): RFC 9112 section 9.6 says a server MUST
                # NOT process further requests, and a client closes after the
                # response, so what follows is discarded, not refused. Only
                # the end of the stream is news.
                if self._eof:
                    self._on_peer_closed()
                return
            if self._at_head() and not self._head_ok():
                return
            # (_head_ok may have replaced h11 to drop empty lines.)
            conn = self._h11
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                self._fail(H1RemoteError(str(exc), status=exc.error_status_hint))
                return
            if event is h11.NEED_DATA or event is h11.PAUSED:
                return
            if type(event) is h11.Request:
                self._on_request(event)
            elif type(event) is h11.InformationalResponse:
                self._on_informational(event)
            elif type(event) is h11.Response:
                self._on_response(event)
            elif type(event) is h11.Data:
                self._on_data(bytes(event.data))
            elif type(event) is h11.EndOfMessage:
                self._on_end(event)
            else:
                assert type(event) is h11.ConnectionClosed
                self._on_peer_closed()

    def _at_head(self) -> bool:
        """Whether h11's next bytes start a head (request, or response for a client)."""
        if self._role is Role.SERVER:
            return self._h11.their_state is h11.IDLE
        return self._h11.their_state is h11.SEND_RESPONSE

    def _head_ok(self) -> bool:
        """Check the raw head h11 is about to parse; fail the connection if broken.

        Returns:
            Whether h11 may go on (the head is fine, or not complete yet);
            false when the connection failed, or to wait for the octet after
            a CR that may end one more empty line.
        """
        config = self._config
        buffered, _ = self._h11.trailing_data
        if buffered[:1] == b"\r" and self._role is Role.SERVER:
            buffered = self._skip_empty_lines(buffered)
            if buffered == b"\r" and self._empty_lines < _MAX_LEADING_EMPTY_LINES and not self._eof:
                # Maybe the CR of one more empty line: wait for the next
                # octet (h11 would refuse a CR at once).
                return False
        if not buffered:
            return True
        if buffered[0] < 0x21:
            # What h11 refuses as soon as it sees it: decided here so that the
            # verdict does not depend on how the bytes were split.
            self._fail(H1RemoteError("a head starts with whitespace or a control"))
            return False
        first_line_end = buffered.find(b"\n")
        line_length = first_line_end if first_line_end >= 0 else len(buffered)
        if self._role is Role.SERVER and line_length > config.max_request_line:
            self._fail(H1RemoteError("request line too long", status=414))
            return False
        match = _HEAD_END.search(buffered)
        if match is None:
            if len(buffered) > config.max_head_size:
                self._fail(H1RemoteError("head too large", status=431))
                return False
            return True
        head = buffered[: match.end()]
        if len(head) > config.max_head_size:
            self._fail(H1RemoteError("head too large", status=431))
            return False
        problem = None
        if _BARE_LF.search(head):
            problem = "bare LF line ending in the head"
        elif _BARE_CR.search(head):
            problem = "bare CR in the head"
        elif _OBS_FOLD.search(head, max(first_line_end - 1, 0)):
            problem = "obsolete line folding"
        elif head.count(b"\n") - 2 > config.max_header_count:
            self._fail(H1RemoteError("too many header fields", status=431))
            return False
        elif self._role is Role.SERVER:
            problem = _transfer_coding_problem(head)
        if problem is not None:
            self._fail(H1RemoteError(problem, status=400))
            return False
        return True

    def _skip_empty_lines(self, buffered: bytes) -> bytes:
        """Drop the empty lines before a request line (RFC 9112 section 2.2).

        At most :data:`_MAX_LEADING_EMPTY_LINES` per request, counted across
        reads (and across the fast path, which skips them too), so the
        verdict does not depend on how the bytes were split. h11 takes a
        leading empty line for a missing request line, so it is given the
        rest on a new connection object: at a request head it has nothing
        else to remember.

        Returns:
            What is left of the buffer.
        """
        skipped = 0
        while (
            buffered.startswith(b"\r\n", skipped) and self._empty_lines < _MAX_LEADING_EMPTY_LINES
        ):
            skipped += 2
            self._empty_lines += 1
        if skipped:
            buffered = buffered[skipped:]
            conn = self._h11 = self._new_h11()
            if buffered:
                conn.receive_data(buffered)
            if self._eof:
                conn.receive_data(b"")
        return buffered

    # The fast path (a server's plain requests; see wire.http._h1_fast)

    def _fast_pump(self) -> None:
        exchange = self._exchange
        if exchange is None:
            self._fast_request()
        elif exchange.request is MessageState.BODY:
            self._fast_body(exchange)
        else:
            self._fast_wait()

    def _fast_wait(self) -> None:
        """The request is in: what follows waits for the response, unless it closes.

        After a request that ends the connection (its own "close", or the
        "close" of our response after a GoAway), the server MUST NOT process
        further requests (RFC 9112 section 9.6): what follows is discarded,
        as on the h11 path. A stream that ended with nothing waiting after
        the request is reported closed at once, as h11 does.
        """
        if not self._keep_alive:
            self._buf = b""
            self._pos = 0
        if self._eof and self._pos == len(self._buf):
            self._on_peer_closed()

    def _fast_request(self) -> None:
        buf = self._buf
        pos = self._pos
        if pos < len(buf) and buf[pos] == 0x0D:
            # Empty lines before the request line, as _skip_empty_lines (RFC
            # 9112 section 2.2); a lone CR that may start one more goes to h11,
            # which waits.
            while buf.startswith(b"\r\n", pos) and self._empty_lines < _MAX_LEADING_EMPTY_LINES:
                pos += 2
                self._empty_lines += 1
            self._pos = pos
        if pos == len(buf):
            if self._eof:
                self._on_peer_closed()
            return
        config = self._config
        head = parse_request_head(
            buf,
            pos,
            max_request_line=config.max_request_line,
            max_head_size=config.max_head_size,
            max_header_count=config.max_header_count,
        )
        limit = config.max_body_size
        if head is None or (limit is not None and head[4] > limit) or self._seq >= MAX_STREAM_ID:
            # Anything unusual, incomplete, wrong or over a limit: h11 reads
            # this request from its first byte, and answers it if it is broken.
            self._hand_over()
            return
        request = request_event(head, self._scheme, self._seq + 1)
        length = head[4]
        self._pos = head[6]
        self._empty_lines = 0
        self._seq += 1
        self._keep_alive = not head[5]
        self._their_version = b"1.1"
        self._h2c_settings = None
        exchange = Exchange(self._seq)
        commit_receive(exchange, Side.REQUEST, _MI.HEAD, request)
        self._exchange = exchange
        self._body_received = 0
        self._body_left = length
        self._deadline = None
        self._events.append(request)
        self._fast_body(exchange)

    def _fast_body(self, exchange: Exchange) -> None:
        """Deliver what is here of a Content-Length body, as h11 would: one Data per read."""
        left = self._body_left
        if left:
            pos = self._pos
            take = min(len(self._buf) - pos, left)
            if not take:
                return
            self._pos = pos + take
            self._body_left = left = left - take
            self._on_data(self._buf[pos : pos + take])
            if left:
                return
        self._received(exchange, Side.REQUEST, EndOfMessage(exchange.stream_id))
        self._maybe_next_cycle()
        if self._exchange is exchange:
            self._fast_wait()

    def _fast_eof(self) -> None:
        exchange = self._exchange
        if exchange is not None and exchange.request is MessageState.BODY:
            # h11's words, so that both paths report the same.
            got = self._body_received
            self._fail(
                H1RemoteError(
                    "peer closed connection without sending complete message body "
                    f"(received {got} bytes, expected {got + self._body_left})"
                )
            )
        else:
            # At a head (nothing is buffered there) or after a request.
            self._fast_pump()

    def _hand_over(self) -> None:
        """Leave the fast path: h11 takes the connection from the request at _pos."""
        self._fast = False
        conn = self._h11 = self._new_h11()
        rest = self._buf[self._pos :]
        self._buf = b""
        self._pos = 0
        conn.receive_data(rest)
        if self._eof:
            conn.receive_data(b"")
        self._pump()

    def _on_request(self, event: h11.Request) -> None:
        self._empty_lines = 0
        version = event.http_version
        if not version.startswith(b"1."):
            self._fail(H1RemoteError("HTTP version not supported", status=505))
            return
        self._their_version = version
        fields = list(event.headers)
        if any(name == b"transfer-encoding" for name, _ in fields):
            if any(name == b"content-length" for name, _ in fields):
                # RFC 9112 section 6.1: a classic smuggling vector; refuse it.
                self._fail(H1RemoteError("both Content-Length and Transfer-Encoding"))
                return
            if version == b"1.0":
                self._fail(H1RemoteError("Transfer-Encoding in an HTTP/1.0 request"))
                return
        authority = b""
        protocol = None
        for name, value in fields:
            if name == b"host":
                authority = value
        # RFC 9112 section 3.2: an invalid Host MUST get 400, even when an
        # absolute-form target makes the server ignore it (h11 checks that
        # there is exactly one, and only that its value is a field value).
        if not host_is_valid(authority):
            self._fail(H1RemoteError("invalid Host"))
            return
        self._h2c_settings = None
        if b"upgrade" in _tokens(fields, b"connection"):
            offered = _tokens(fields, b"upgrade")
            protocol = offered[0] if offered else None
            settings = [value for name, value in fields if name == b"http2-settings"]
            if protocol == b"h2c" and len(settings) == 1:
                # RFC 7540 section 3.2.1: exactly one HTTP2-Settings, or no upgrade.
                self._h2c_settings = settings[0]
        target = event.target
        scheme = self._scheme
        if event.method == b"CONNECT":
            authority = target
        elif b"://" in target and not target.startswith(b"/"):
            # RFC 9112 section 3.2.2: an absolute-form target overrides Host.
            scheme, _, rest = target.partition(b"://")
            scheme = scheme.lower()
            cut = min((i for i in (rest.find(b"/"), rest.find(b"?")) if i >= 0), default=len(rest))
            authority, target = rest[:cut], rest[cut:]
            if not target.startswith(b"/"):
                target = b"/" + target
        # The authority of an absolute-form target, or CONNECT's authority-form
        # (RFC 9112 section 3.2.3), has the grammar of Host (RFC 3986 section 3.2).
        if not host_is_valid(authority):
            self._fail(H1RemoteError("invalid authority in the request target"))
            return
        headers = tuple(
            (name, value)
            for name, value in fields
            if name not in CONNECTION_FIELDS and (name != b"te" or value.lower() == b"trailers")
        )
        self._seq += 1
        try:
            request = Request(event.method, target, authority, scheme, headers, self._seq, protocol)
        except LocalProtocolError as exc:
            self._fail(H1RemoteError(f"invalid request: {exc}"))
            return
        limit = self._config.max_body_size
        declared = content_length(headers)
        if limit is not None and declared is not None and declared > limit:
            self._fail(H1RemoteError("request body too large", status=413))
            return
        exchange = Exchange(self._seq)
        commit_receive(exchange, Side.REQUEST, _MI.HEAD, request)
        self._exchange = exchange
        self._body_received = 0
        self._deadline = None
        self._events.append(request)

    def _on_informational(self, event: h11.InformationalResponse) -> None:
        exchange = self._exchange
        assert exchange is not None
        headers = self._filter(event.headers)
        if event.status_code == 101:
            protocol = b"h2c" if self._h2c_offer is not None else exchange.protocol
            # h11 lets a 101 through only after a request that offered Upgrade.
            assert protocol is not None
            # RFC 9110 section 7.8: a 101 names the protocol switched to in
            # Upgrade (the lowest layer first) and sends Connection: upgrade;
            # RFC 6455 section 4.1: a client MUST fail the connection unless
            # both are there. Anything else is not the switch we asked for.
            fields = list(event.headers)
            upgrade = _tokens(fields, b"upgrade")
            if (
                b"upgrade" not in _tokens(fields, b"connection")
                or not upgrade
                or upgrade[0] != protocol.lower()
            ):
                self._fail(H1RemoteError("invalid 101 response", status=502))
                return
            self._switched(exchange, ProtocolSwitch(exchange.stream_id, protocol, headers))
            return
        try:
            info = InformationalResponse(event.status_code, headers, exchange.stream_id)
        except LocalProtocolError as exc:
            self._fail(H1RemoteError(f"invalid response: {exc}", status=502))
            return
        commit_receive(exchange, Side.RESPONSE, _MI.INFORMATIONAL, info)
        self._events.append(info)

    def _on_response(self, event: h11.Response) -> None:
        exchange = self._exchange
        assert exchange is not None
        fields = list(event.headers)
        headers = self._filter(fields)
        if self._h11.their_state is h11.SWITCHED_PROTOCOL:
            self._switched(exchange, ProtocolSwitch(exchange.stream_id, None, headers))
            return
        try:
            response = Response(event.status_code, headers, exchange.stream_id)
        except LocalProtocolError as exc:
            self._fail(H1RemoteError(f"invalid response: {exc}", status=502))
            return
        commit_receive(exchange, Side.RESPONSE, _MI.HEAD, response)
        self._body_received = 0
        self._events.append(response)
        closing = b"close" in _tokens(fields, b"connection") or event.http_version == b"1.0"
        if closing and self._state is _CS.OPEN:
            self._state = CONNECTION_TRANSITIONS[self._state, _CI.RECV_GOAWAY]
            self._events.append(GoAway(last_stream_id=self._seq))

    def _on_data(self, data: bytes) -> None:
        exchange = self._exchange
        assert exchange is not None
        side = Side.REQUEST if self._role is Role.SERVER else Side.RESPONSE
        limit = self._config.max_body_size
        if limit is not None and self._body_received + len(data) > limit:
            # Deliver up to the limit, so the outcome does not depend on how
            # the body was split into reads.
            allowed = limit - self._body_received
            if allowed:
                self._received(exchange, side, Data(exchange.stream_id, data[:allowed]))
            status = 413 if self._role is Role.SERVER else 502
            self._fail(H1RemoteError("body too large", status=status))
            return
        self._body_received += len(data)
        self._received(exchange, side, Data(exchange.stream_id, data))

    def _on_end(self, event: h11.EndOfMessage) -> None:
        exchange = self._exchange
        assert exchange is not None
        side = Side.REQUEST if self._role is Role.SERVER else Side.RESPONSE
        if event.headers:
            fields = list(event.headers)
            if len(fields) > self._config.max_header_count:
                self._fail(H1RemoteError("too many trailer fields", status=431))
                return
            try:
                trailers = Trailers(exchange.stream_id, self._filter(fields))
            except LocalProtocolError as exc:
                self._fail(H1RemoteError(f"invalid trailers: {exc}"))
                return
            self._received(exchange, side, trailers)
        self._received(exchange, side, EndOfMessage(exchange.stream_id))
        self._maybe_next_cycle()

    def _on_peer_closed(self) -> None:
        self._close(ConnectionClosed(last_stream_id=self._seq))

    def _received(
        self, exchange: Exchange, side: Side, event: Data | Trailers | EndOfMessage
    ) -> None:
        inp = (
            _MI.DATA
            if isinstance(event, Data)
            else (_MI.TRAILERS if isinstance(event, Trailers) else _MI.END)
        )
        commit_receive(exchange, side, inp, event)
        if isinstance(event, Data):
            self._count_unacked(exchange.stream_id, len(event.data))
        self._events.append(event)

    def _count_unacked(self, stream_id: int, size: int) -> None:
        self._unacked[stream_id] = self._unacked.get(stream_id, 0) + size
        self._unacked_total += size

    def _filter(self, fields: Iterable[Header]) -> tuple[Header, ...]:
        return tuple(
            (name, value)
            for name, value in fields
            if name not in CONNECTION_FIELDS and (name != b"te" or value.lower() == b"trailers")
        )

    def _switched(self, exchange: Exchange, switch: ProtocolSwitch) -> None:
        """A client's request was accepted with 101 or a 2xx to CONNECT."""
        commit_receive(exchange, Side.RESPONSE, _MI.SWITCH, switch)
        self._events.append(switch)
        self._enter_tunnel()

    def _enter_tunnel(self) -> None:
        self._tunnel = True
        self._deadline = None
        leftover, _ = self._h11.trailing_data
        if leftover:
            self._tunnel_data(leftover)

    def _tunnel_data(self, data: bytes) -> None:
        # The peer's side is a tunnel until its end, after which nothing is read.
        exchange = self._exchange
        assert exchange is not None
        peer = Side.RESPONSE if self._role is Role.CLIENT else Side.REQUEST
        self._received(exchange, peer, Data(exchange.stream_id, data))

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------

    def _find(self, event: Event) -> Exchange | None:
        """The exchange ``event`` belongs to; ``None`` when it is already gone."""
        stream_id = getattr(event, "stream_id", 0)
        if isinstance(event, Request):
            expected = self.next_stream_id
            if expected is None:
                raise LocalProtocolError("no new request can start on this connection now")
            if stream_id != expected:
                raise LocalProtocolError(f"the next request is stream {expected}, not {stream_id}")
            return Exchange(stream_id)
        if not 1 <= stream_id <= self._seq:
            raise LocalProtocolError(f"no exchange {stream_id} on this connection")
        exchange = self._exchange
        if self._state is _CS.CLOSED:
            # The connection ended under the exchange: the application learns
            # it from its events, so a late send is not an error.
            return None
        if exchange is not None and exchange.stream_id == stream_id:
            return exchange
        if isinstance(event, StreamReset):
            return None
        raise LocalProtocolError(f"exchange {stream_id} is complete")

    def _write(self, event: h11.Event) -> None:
        data = self._h11.send(event)
        if data:
            self._out.append(data)

    def _send_request(
        self,
        exchange: Exchange,
        side: Side,
        inp: MessageInput,
        event: Request,
        h2c: bytes | None = None,
    ) -> None:
        commit_send(exchange, side, inp, event)
        self._h2c_offer = h2c
        self._seq = exchange.stream_id
        self._exchange = exchange
        self._body_received = 0
        self._request_ended = False
        self._held = None
        tunnel = event.protocol is not None or event.method == b"CONNECT"
        expects = b"100-continue" in _tokens(event.headers, b"expect")
        if exchange.sent_length is not None or tunnel:
            self._write_request(event, chunked=False)
            if tunnel:
                # The request part of an upgrade or CONNECT ends with its
                # head on the wire (RFC 9110 section 9.3.6); the application
                # sends EndOfMessage only if the switch is declined.
                self._write(h11.EndOfMessage())
                self._request_ended = True
        elif expects:
            self._write_request(event, chunked=True)
        else:
            # Whether a body follows decides the framing: hold the head until
            # the next send says (nothing to write before then anyway).
            self._held = event

    def send_h2c_upgrade(self, event: Request, settings: bytes) -> None:
        """Send a client's request offering ``Upgrade: h2c`` (RFC 7540 section 3.2).

        For the connection factory. The request goes on as usual (body,
        end); a server that accepts answers 101 once it has all of it, which
        comes back as :class:`ProtocolSwitch` with ``protocol=b"h2c"``.

        Raises:
            LocalProtocolError: the request cannot be sent now.
        """
        if event.protocol is not None or event.method == b"CONNECT":
            raise LocalProtocolError("an h2c offer goes on a plain request")
        exchange = self._find(event)
        assert exchange is not None
        side, inp = check_send(exchange, self._role, event)
        self._send_request(exchange, side, inp, event, h2c=settings)

    def _write_request(self, event: Request, *, chunked: bool) -> None:
        headers: list[Header] = [(b"host", event.authority), *event.headers]
        if self._h2c_offer is not None:
            headers += [
                (b"connection", b"upgrade, http2-settings"),
                (b"upgrade", b"h2c"),
                (b"http2-settings", self._h2c_offer),
            ]
        elif event.protocol is not None:
            headers += [(b"connection", b"upgrade"), (b"upgrade", event.protocol)]
        if chunked:
            headers.append((b"transfer-encoding", b"chunked"))
        self._write(h11.Request(method=event.method, target=event.target, headers=headers))

    def _flush_held(self, *, body: bool) -> None:
        held = self._held
        if held is not None:
            self._held = None
            self._write_request(held, chunked=body)

    def _check_trailers(self, exchange: Exchange) -> None:
        """HTTP/1.1 sends trailers only in a chunked body (RFC 9112 section 7.1.2)."""
        if exchange.sent_length is not None:
            raise LocalProtocolError("HTTP/1.1 cannot send trailers after a content-length")
        if self._role is Role.SERVER and (
            not exchange.response_has_body or self._their_version == b"1.0"
        ):
            raise LocalProtocolError("this response cannot carry trailers in HTTP/1.1")

    def _send_switch(
        self, exchange: Exchange, side: Side, inp: MessageInput, event: ProtocolSwitch
    ) -> None:
        if exchange.request is not MessageState.DONE:
            raise LocalProtocolError("HTTP/1.1 switches once the whole request is in")
        commit_send(exchange, side, inp, event)
        if event.protocol is None:
            self._write(h11.Response(status_code=200, headers=list(event.headers), reason=b"OK"))
        else:
            headers = [(b"connection", b"upgrade"), (b"upgrade", event.protocol), *event.headers]
            self._write(
                h11.InformationalResponse(
                    status_code=101, headers=headers, reason=b"Switching Protocols"
                )
            )
        self._enter_tunnel()

    def _send_end(
        self, exchange: Exchange, side: Side, inp: MessageInput, event: EndOfMessage
    ) -> None:
        commit_send(exchange, side, inp, event)
        if self._fast:
            # _fast_send took every other end: this one follows trailers, so
            # the body is chunked (RFC 9112 section 7.1.2).
            self._out.append(last_chunk(exchange.trailers))
        elif not self._request_ended:
            self._flush_held(body=False)
            self._write(h11.EndOfMessage(headers=list(exchange.trailers)))
        self._maybe_next_cycle()

    def _tunnel_send(self, exchange: Exchange, side: Side, inp: MessageInput, event: Event) -> None:
        commit_send(exchange, side, inp, event)
        if isinstance(event, Data):
            if event.data:
                self._out.append(event.data)
            return
        # EndOfMessage: half-close our direction.
        self._out.append(b"")
        if exchange.finished:
            self._close(ConnectionClosed(last_stream_id=self._seq), write_eof=False)

    def _send_goaway(self) -> None:
        if self._state is _CS.CLOSED:
            return
        self._goaway_sent = True
        if self._state is _CS.OPEN:
            self._state = CONNECTION_TRANSITIONS[self._state, _CI.SEND_GOAWAY]
        if self._exchange is None:
            self._close(ConnectionClosed(last_stream_id=self._seq))
        else:
            self._deadline = self._now + self._config.drain_timeout

    # ------------------------------------------------------------------
    # Cycles, closing, failing
    # ------------------------------------------------------------------

    def _maybe_next_cycle(self) -> None:
        """After both messages are complete: the next exchange, or the close."""
        exchange = self._exchange
        assert exchange is not None
        if not exchange.finished:
            return
        self._exchange = None
        if self._fast:
            keep_alive = self._keep_alive
        else:
            conn = self._h11
            keep_alive = conn.our_state is h11.DONE and conn.their_state is h11.DONE
            if keep_alive and self._fast_allowed and not self._eof:
                # Back to the fast path: h11 hands over what it has not read.
                conn.start_next_cycle()
                self._buf = conn.trailing_data[0]
                self._pos = 0
                self._fast = True
            elif keep_alive:
                conn.start_next_cycle()
        if keep_alive and not self._goaway_sent:
            self._arm_idle()
            # A pipelined request may be waiting.
            self._pump()
        else:
            # Keep-alive is off (either side said close, HTTP/1.0) or we drain.
            self._close(ConnectionClosed(last_stream_id=self._seq))

    def _arm_idle(self) -> None:
        timeout = self._config.idle_timeout
        if self._role is Role.SERVER and timeout is not None:
            self._deadline = self._now + timeout

    def _may_answer(self) -> bool:
        """Whether a server may still write an error response: no response head sent."""
        if self._fast:
            exchange = self._exchange
            return exchange is None or exchange.response is MessageState.IDLE
        return self._h11.our_state in (h11.IDLE, h11.SEND_RESPONSE)

    def _close(self, event: ConnectionClosed | None, *, write_eof: bool = True) -> None:
        """Close the stream now; report ``event`` unless the application asked."""
        if write_eof:
            self._out.append(b"")
        self._state = _CS.CLOSED
        self._deadline = None
        self._tunnel = False
        if event is not None:
            self._events.append(event)

    def _fail(self, error: H1RemoteError) -> None:
        """The peer broke a rule: answer it (server) and close."""
        told: int | None = None
        if self._role is Role.SERVER and not self._tunnel and self._may_answer():
            status = error.status
            fields = [(b"content-length", b"0"), (b"connection", b"close")]
            if self._fast:
                head, _ = response_head(status, fields, method=b"", keep_alive=self._keep_alive)
                self._out.append(head)
            else:
                self._write(h11.Response(status_code=status, headers=fields, reason=reason(status)))
                self._write(h11.EndOfMessage())
            told = status
        self._close(
            ConnectionClosed(
                error_code=told, last_stream_id=self._seq, message=str(error), error=error
            )
        )
