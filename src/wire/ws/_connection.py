"""The WebSocket connection machine, client and server (RFC 6455 sections 5-7; RFC 7692).

A :class:`WSConnection` starts where the opening handshake left off (OPEN) and
follows the Sans-IO contract of every family: bytes in through
:meth:`~WSConnection.receive_data`, events out through
:meth:`~WSConnection.events`, events in through :meth:`~WSConnection.send`,
bytes out through :meth:`~WSConnection.data_to_send`, time in through
:meth:`~WSConnection.tick`.

The machine keeps the promises a driver would otherwise have to remember:

- it answers a Ping with a Pong and a Close with a Close (sections 5.5.2,
  5.5.1), and a server closes the stream once both Close frames crossed
  (section 7.1.1; ``b""`` in :meth:`~WSConnection.data_to_send`);
- a peer that breaks a rule gets the Close frame with the code that says why
  (1002, 1007, 1009; section 7.1.7) and a fixed reason per code, then the end
  of the stream, and the cause arrives in :class:`~wire.ws.ConnectionClosed`;
- a silent peer gets keep-alive pings and is dropped (1011) when even those
  go unanswered; a closing handshake the peer never finishes ends after
  ``close_timeout``.

Events before the end come first. When the bytes of one ``receive_data`` hold
messages and then a fault (or the peer's Close), reading stops at the fault,
the messages are reported, and the fault takes effect once the application
has taken them with :meth:`~WSConnection.events`: at the next
``data_to_send()``, ``events()``, ``tick()`` or ``receive_eof()``
(``next_deadline()`` asks for a tick at once meanwhile). The application can
still answer them, as if the bytes had come one frame per read; RFC 6455
section 5.5.1 lets a Close wait "until its current message is sent". Events
and written bytes are therefore the same however the stream is cut; only the
text of an error may name a different fault when one frame holds several.

Reading frames. wsproto's ``FrameDecoder`` parses and validates every frame
header (opcodes, reserved bits through the extension hooks, control-frame
rules, masking, minimal lengths) and unmasks payloads. The machine splits the
byte stream into frames first, from their headers, and feeds wsproto exactly
one frame at a time, header before payload, so limits are checked before any
payload is taken and wsproto's buffer never holds more than a frame header.

The fast path. The common frame, a whole small text or binary message
(FIN set, no RSV bit, opcode 1 or 2, at most 64 KiB, the right mask bit,
minimal length, complete in the bytes at hand, no message in progress), is
decoded here directly: a profile of 32-octet echoes showed wsproto's
per-frame machinery (buffer copies, named tuples, four ``translate`` calls
to unmask, an incremental UTF-8 decoder per message) costing about three
quarters of the time, the fast path making an echo through a client and a
server about 4x cheaper (``benchmarks/ws_sansio.py``). Anything else, and
anything the fast path cannot accept (invalid UTF-8 included), goes to
wsproto, so every error is wsproto's or the message assembler's. The
conformance corpus (spec/ws) runs every case with the fast path on and off
(``WSConfig(fast_path=False)``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, cast

from wsproto.extensions import Extension
from wsproto.frame_protocol import FrameDecoder, ParseFailed
from wsproto.frame_protocol import Opcode as WsprotoOpcode

from wire.errors import LocalProtocolError
from wire.http import Role
from wire.ws._deflate import DeflateParams, Deflater, Inflater
from wire.ws._errors import (
    CloseTimeout,
    InternalError,
    KeepaliveTimeout,
    MessageTooBig,
    ProtocolViolation,
    WSRemoteError,
)
from wire.ws._events import (
    BytesMessage,
    Close,
    CloseCode,
    ConnectionClosed,
    Event,
    MessageFragment,
    Ping,
    Pong,
    TextMessage,
    checked_bytes_message,
    checked_text_message,
)
from wire.ws._frames import Opcode, apply_mask, encode_close, encode_frame, parse_close
from wire.ws._handshake import Negotiated
from wire.ws._messages import MessageAssembler
from wire.ws._state import TRANSITIONS, ConnectionState, Input

__all__ = ["PreparedMessage", "WSConfig", "WSConnection"]

_log = logging.getLogger(__name__)

_S = ConnectionState
_I = Input
_READING: Final = (_S.OPEN, _S.CLOSE_SENT)
#: First header octets of the fast path: FIN, no RSV bit, text or binary.
_FAST_BINARY: Final = 0x82
_FAST_FIRST: Final = (0x81, _FAST_BINARY)
#: The largest payload the fast path takes (the 16-bit length form).
_FAST_MAX: Final = 65535
_MASK_BIT: Final = 0x80
_RSV1: Final = 0x40
_CONTROL: Final = 0x08


@dataclass(frozen=True, slots=True)
class WSConfig:
    """Limits and timers of a connection; each has a safe default.

    Attributes:
        max_message_size: The largest message received, in octets of payload
            after decompression (1009 beyond it). 1 MiB, like websockets and
            browsers' typical server limits: enough for chat, JSON and RPC
            messages, small enough that thousands of connections cannot
            exhaust memory. With permessage-deflate this is the bound on the
            decompressed size: every zlib call is limited to what is left.
        max_frame_size: The largest frame payload received, both on the wire
            and after decompression (1009 beyond it). 1 MiB. In streaming
            mode this bounds one :class:`~wire.ws.MessageFragment`.
        max_fragments: The most frames one message may take (1009 beyond it).
            4096 lets a 1 MiB message come in 256-octet frames; it bounds the
            per-message bookkeeping a peer can cause with empty frames.
        stream_fragments: Report every data frame as a
            :class:`~wire.ws.MessageFragment` (the last one ``final``) instead
            of whole messages: a driver can forward a large message without
            holding all of it. ``max_message_size`` still applies.
        close_timeout: Seconds to wait for the peer's Close after ours, and
            for a server to close the stream after the closing handshake
            (client), before giving up. 10 s, as in websockets.
        ping_interval: Seconds of silence from the peer after which a
            keep-alive Ping goes out; ``None`` turns keep-alive off. 20 s,
            below common proxy idle timeouts (30-60 s).
        ping_timeout: Seconds after a keep-alive Ping within which anything
            must arrive, or the connection fails with 1011. 20 s.
        fast_path: Decode whole small text and binary frames directly (see the
            module docstring). ``False`` sends every frame through wsproto's
            decoder: the same events and bytes, more CPU; for differential
            tests and benchmarks.
    """

    max_message_size: int = 1 << 20
    max_frame_size: int = 1 << 20
    max_fragments: int = 4096
    stream_fragments: bool = False
    close_timeout: float = 10.0
    ping_interval: float | None = 20.0
    ping_timeout: float = 20.0
    fast_path: bool = True

    def __post_init__(self) -> None:
        for name in ("max_message_size", "max_frame_size", "max_fragments"):
            value = getattr(self, name)
            if type(value) is not int or value < 1:
                raise LocalProtocolError(f"{name} must be an int >= 1")
        for name in ("stream_fragments", "fast_path"):
            if type(getattr(self, name)) is not bool:
                raise LocalProtocolError(f"{name} must be a bool")
        for name in ("close_timeout", "ping_interval", "ping_timeout"):
            value = getattr(self, name)
            if name == "ping_interval" and value is None:
                continue
            if type(value) not in (int, float) or not value > 0:
                raise LocalProtocolError(f"{name} must be a positive number")


class PreparedMessage:
    """A whole message encoded once, to send on many connections (a broadcast).

    It holds the message's payload octets and its frame as a server sends it
    (FIN set, no mask, uncompressed), built once here. A server connection
    without compression then queues that very frame
    (:meth:`WSConnection.send_prepared`): no encoding, no copy per
    connection. A client (which masks every frame with a fresh key, RFC 6455
    section 5.3) or a connection with permessage-deflate frames the payload
    itself, exactly as :meth:`WSConnection.send` would.

    Args:
        message: A :class:`~wire.ws.TextMessage` or :class:`~wire.ws.BytesMessage`.

    Raises:
        LocalProtocolError: ``message`` is neither.
    """

    __slots__ = ("_frame", "_opcode", "_payload")

    def __init__(self, message: TextMessage | BytesMessage) -> None:
        kind = type(message)
        if kind is TextMessage:
            self._opcode = Opcode.TEXT
            self._payload = cast(TextMessage, message).data.encode("utf-8")
        elif kind is BytesMessage:
            self._opcode = Opcode.BINARY
            self._payload = cast(BytesMessage, message).data
        else:
            raise LocalProtocolError("a PreparedMessage holds a TextMessage or a BytesMessage")
        self._frame = encode_frame(self._opcode, self._payload)

    @property
    def text(self) -> bool:
        """Whether it is a text message (else binary)."""
        return self._opcode == Opcode.TEXT

    @property
    def payload(self) -> bytes:
        """The message's octets (UTF-8 for text)."""
        return self._payload

    @property
    def frame(self) -> bytes:
        """The whole frame a server sends without compression."""
        return self._frame


class WSConnection:
    """One WebSocket connection after its opening handshake, client or server, Sans-IO.

    Args:
        role: Which end this is (a client masks what it sends, section 5.3).
        subprotocol: The subprotocol agreed in the handshake, for reference.
        deflate: permessage-deflate as agreed, or ``None``.
        config: Limits and timers; the defaults of :class:`WSConfig` when omitted.
        mask_source: A client's source of masking keys, called as
            ``mask_source(4)`` for every frame and returning 4 unpredictable
            octets (``os.urandom`` or ``secrets.token_bytes``; section 5.3
            asks for "a strong source of entropy"). A server needs none.

    Raises:
        LocalProtocolError: an invalid argument.
    """

    __slots__ = (
        "_activity",
        "_assembler",
        "_close_deadline",
        "_config",
        "_decoder",
        "_deflate",
        "_deflater",
        "_events",
        "_fast_limit",
        "_head",
        "_inflater",
        "_last_received",
        "_mask",
        "_masked_in",
        "_now",
        "_out",
        "_pending",
        "_ping_sent_at",
        "_pings",
        "_reading",
        "_received_close",
        "_role",
        "_send_compressed",
        "_sending",
        "_settling",
        "_slow_left",
        "_state",
        "_stream",
        "_subprotocol",
    )

    def __init__(
        self,
        role: Role,
        *,
        subprotocol: str | None = None,
        deflate: DeflateParams | None = None,
        config: WSConfig | None = None,
        mask_source: Callable[[int], bytes] | None = None,
    ) -> None:
        if not isinstance(role, Role):
            raise LocalProtocolError("role must be a Role")
        if subprotocol is not None and type(subprotocol) is not str:
            raise LocalProtocolError("subprotocol must be a str or None")
        if deflate is not None and type(deflate) is not DeflateParams:
            raise LocalProtocolError("deflate must be a DeflateParams or None")
        if config is None:
            config = WSConfig()
        elif type(config) is not WSConfig:
            raise LocalProtocolError("config must be a WSConfig")
        client = role is Role.CLIENT
        if client:
            if not callable(mask_source):
                raise LocalProtocolError("a client needs mask_source (e.g. os.urandom)")
            sample = mask_source(4)
            if type(sample) is not bytes or len(sample) != 4:
                raise LocalProtocolError("mask_source(4) must return 4 bytes")
        self._role = role
        self._subprotocol = subprotocol
        self._deflate = deflate
        self._config = config
        self._mask = mask_source if client else None
        # Section 5.1: a server refuses unmasked frames, a client masked ones.
        self._masked_in = 0 if client else _MASK_BIT
        self._inflater: Inflater | None = None
        self._deflater: Deflater | None = None
        extensions: list[Inflater] = []
        if deflate is not None:
            self._inflater = Inflater(
                deflate,
                client=client,
                max_message_size=config.max_message_size,
                max_frame_size=config.max_frame_size,
            )
            extensions.append(self._inflater)
            if Deflater.usable(deflate, client=client):
                self._deflater = Deflater(deflate, client=client)
        # FrameDecoder calls only the three inbound hooks of an extension.
        self._decoder = FrameDecoder(client, cast("list[Extension]", extensions))
        self._assembler = MessageAssembler(
            max_message_size=config.max_message_size,
            max_fragments=config.max_fragments,
            stream=config.stream_fragments,
        )
        self._stream = config.stream_fragments
        # A limit of -1 turns the fast path off: no frame is that short.
        self._fast_limit = (
            min(config.max_message_size, config.max_frame_size, _FAST_MAX)
            if config.fast_path
            else -1
        )
        self._state = _S.OPEN
        self._reading = True
        self._events: list[Event] = []
        self._out: list[bytes] = []
        #: An incomplete frame header carried over to the next receive_data.
        self._head = b""
        #: Payload octets of the frame in wsproto's hands still to come.
        self._slow_left = 0
        #: While we send a fragmented message: whether it is text.
        self._sending: bool | None = None
        self._send_compressed = False
        self._received_close: tuple[int, str] | None = None
        self._now: float | None = None
        self._activity = False
        self._last_received: float | None = None
        self._ping_sent_at: float | None = None
        self._pings = 0
        self._close_deadline: float | None = None
        #: What ended the reading, waiting for the events before it to be taken.
        self._pending: Callable[[], None] | None = None
        self._settling = False

    @classmethod
    def from_handshake(
        cls,
        negotiated: Negotiated,
        *,
        config: WSConfig | None = None,
        mask_source: Callable[[int], bytes] | None = None,
    ) -> WSConnection:
        """The connection an opening handshake settled (see :mod:`wire.ws._handshake`)."""
        if type(negotiated) is not Negotiated:
            raise LocalProtocolError("negotiated must be a Negotiated")
        return cls(
            negotiated.role,
            subprotocol=negotiated.subprotocol,
            deflate=negotiated.deflate,
            config=config,
            mask_source=mask_source,
        )

    # ------------------------------------------------------------------
    # What the caller may look at
    # ------------------------------------------------------------------

    @property
    def role(self) -> Role:
        """Which end of the connection this machine is."""
        return self._role

    @property
    def state(self) -> ConnectionState:
        """Where the connection stands (:mod:`wire.ws._state`)."""
        return self._state

    @property
    def subprotocol(self) -> str | None:
        """The subprotocol agreed in the handshake, if any."""
        return self._subprotocol

    @property
    def deflate(self) -> DeflateParams | None:
        """permessage-deflate as agreed, or ``None``."""
        return self._deflate

    @property
    def config(self) -> WSConfig:
        """The limits and timers in force."""
        return self._config

    @property
    def close_pending(self) -> bool:
        """Whether the peer's Close, or its fault, waits behind the messages reported.

        True from the ``receive_data`` that met it, through the
        :meth:`events` call that returns the messages before it, until the
        next ``data_to_send()``, ``events()``, ``tick()`` or
        ``receive_eof()`` carries it out (see the module docstring). A driver
        that sees it after :meth:`events` lets the application take (and
        answer) those messages first: its answers then go out before our
        Close frame (RFC 6455 section 5.5.1).
        """
        return self._pending is not None

    # ------------------------------------------------------------------
    # The Sans-IO contract
    # ------------------------------------------------------------------

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Feed bytes received from the peer; never raises for what the peer sends."""
        if not self._reading or not data:
            return
        self._activity = True
        try:
            self._parse(data if type(data) is bytes else bytes(data))
        except Exception:
            # House style rule 9: a bug of ours must not reach the driver.
            _log.error("unexpected internal error in the WebSocket machine", exc_info=True)
            if self._reading:
                self._peer_failed(InternalError("internal error"))

    def receive_eof(self) -> None:
        """The peer closed its side of the stream."""
        self._settle()
        if self._state is not _S.CLOSED:
            self._end(_I.RECV_EOF)

    def events(self) -> list[Event]:
        """Take the events reported since the last call."""
        if self._settling:
            self._settle()
        events, self._events = self._events, []
        # What ended the reading may act once the events before it are out.
        self._settling = self._pending is not None
        return events

    def data_to_send(self) -> list[bytes]:
        """Take the bytes to write; ``b""`` means close the stream (our side) now."""
        if self._settling:
            self._settle()
        out, self._out = self._out, []
        return out

    def next_deadline(self) -> float | None:
        """When :meth:`tick` must be called next, or ``None`` (timers start at the first tick)."""
        if self._settling:
            return self._now or 0.0
        state = self._state
        if state is _S.OPEN:
            interval = self._config.ping_interval
            if interval is None or self._last_received is None:
                return None
            if self._ping_sent_at is not None:
                return self._ping_sent_at + self._config.ping_timeout
            return self._last_received + interval
        return self._close_deadline

    def tick(self, now: float) -> None:
        """Let time pass: keep-alive pings, their timeout, the closing handshake's timeout.

        Call it once when the connection opens (timers start then), after
        feeding what arrived, and when :meth:`next_deadline` comes.
        """
        self._now = now
        if self._settling:
            self._settle()
        if self._activity or self._last_received is None:
            self._activity = False
            self._last_received = now
            self._ping_sent_at = None
        state = self._state
        if state is _S.OPEN:
            interval = self._config.ping_interval
            if interval is None:
                return
            sent = self._ping_sent_at
            if sent is not None:
                if now >= sent + self._config.ping_timeout:
                    self._fail(
                        KeepaliveTimeout(
                            f"nothing received within {self._config.ping_timeout} s of a ping"
                        ),
                        _I.TIMEOUT,
                    )
            elif now >= self._last_received + interval:
                self._move(_I.KEEPALIVE)
                self._pings += 1
                self._write(Opcode.PING, b"keepalive %d" % self._pings)
                self._ping_sent_at = now
        elif state is not _S.CLOSED:
            deadline = self._close_deadline
            if deadline is None:
                self._close_deadline = now + self._config.close_timeout
            elif now >= deadline:
                if state is _S.CLOSE_SENT:
                    self._end(_I.TIMEOUT, CloseTimeout("the peer did not answer our Close"))
                else:
                    self._end(_I.TIMEOUT)

    def send(self, event: Event) -> None:
        """Queue an event for the peer.

        Raises:
            LocalProtocolError: the event cannot be sent now (or ever); nothing changed.
        """
        kind = type(event)
        if kind is TextMessage:
            self._send_message(Opcode.TEXT, cast(TextMessage, event).data.encode("utf-8"))
        elif kind is BytesMessage:
            self._send_message(Opcode.BINARY, cast(BytesMessage, event).data)
        elif kind is MessageFragment:
            self._send_fragment(cast(MessageFragment, event))
        elif kind is Ping or kind is Pong:
            self._check(_I.SEND_CONTROL, kind.__name__)
            opcode = Opcode.PING if kind is Ping else Opcode.PONG
            self._write(opcode, cast("Ping | Pong", event).payload)
        elif kind is Close:
            self._check(_I.SEND_CLOSE, "Close")
            close = cast(Close, event)
            self._write(Opcode.CLOSE, encode_close(close.code, close.reason))
            self._move(_I.SEND_CLOSE)
            self._sending = None
            self._arm_close()
        else:
            raise LocalProtocolError(f"{kind.__name__} is not an event a WebSocket sends")

    def send_message(self, data: str | bytes) -> None:
        """Queue one whole message: text for ``str``, binary for ``bytes``.

        The bytes queued are those of ``send(TextMessage(data))`` or
        ``send(BytesMessage(data))``, without building the event: a driver's
        hot path (an echo spends a tenth of its protocol time on the event).

        Raises:
            LocalProtocolError: the message cannot be sent now, ``data`` is
                neither ``str`` nor ``bytes``, or a ``str`` has no UTF-8 form;
                nothing changed.
        """
        kind = type(data)
        if kind is str:
            try:
                payload = cast(str, data).encode("utf-8")
            except UnicodeEncodeError:
                # Lone surrogates have no UTF-8 form (RFC 3629 section 3).
                raise LocalProtocolError("text without a UTF-8 form (lone surrogate)") from None
            opcode = Opcode.TEXT
        elif kind is bytes:
            payload = cast(bytes, data)
            opcode = Opcode.BINARY
        else:
            raise LocalProtocolError(f"a message is str or bytes, not {kind.__name__}")
        if (
            len(payload) < 126
            and self._state is _S.OPEN
            and self._sending is None
            and self._mask is None
            and self._deflater is None
        ):
            # A server's small frame: FIN and the opcode, the length, the payload.
            self._out.append(bytes((0x80 | opcode, len(payload))) + payload)
            return
        self._send_message(opcode, payload)

    def send_prepared(self, prepared: PreparedMessage) -> None:
        """Queue a message encoded once for many connections (see :class:`PreparedMessage`).

        The bytes queued are those :meth:`send` queues for the same message:
        a server without permessage-deflate takes the prepared frame as it
        is; otherwise the payload is framed (masked, compressed) for this
        connection.

        Raises:
            LocalProtocolError: the message cannot be sent now; nothing changed.
        """
        if type(prepared) is not PreparedMessage:
            raise LocalProtocolError("send_prepared takes a PreparedMessage")
        opcode = prepared._opcode
        if self._mask is not None or self._deflater is not None:
            self._send_message(opcode, prepared._payload)
            return
        self._check_message()
        self._out.append(prepared._frame)

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------

    def _check(self, inp: Input, what: str) -> None:
        if (self._state, inp) not in TRANSITIONS:
            raise LocalProtocolError(
                f"{what} cannot be sent: the connection is {self._state.value}"
            )

    def _move(self, inp: Input) -> None:
        new = self._state = TRANSITIONS[self._state, inp]
        self._reading = new in _READING

    def _write(self, opcode: int, payload: bytes, *, fin: bool = True, rsv1: bool = False) -> None:
        mask = self._mask
        self._out.append(
            encode_frame(
                opcode, payload, fin=fin, rsv1=rsv1, mask=None if mask is None else mask(4)
            )
        )

    def _check_message(self) -> None:
        if self._state is not _S.OPEN:
            self._check(_I.SEND_MESSAGE, "a message")
        if self._sending is not None:
            raise LocalProtocolError("a fragmented message is being sent: finish it first")

    def _send_message(self, opcode: int, payload: bytes) -> None:
        self._check_message()
        deflater = self._deflater
        if deflater is not None and len(payload) >= deflater.min_size:
            compressed = deflater.compress_message(payload)
            if compressed is not None:
                self._write(opcode, compressed, rsv1=True)
                return
        self._write(opcode, payload)

    def _send_fragment(self, event: MessageFragment) -> None:
        self._check(_I.SEND_MESSAGE, "a message")
        data = event.data
        text = type(data) is str
        payload = cast(str, data).encode("utf-8") if text else cast(bytes, data)
        sending = self._sending
        if sending is None:
            opcode = Opcode.TEXT if text else Opcode.BINARY
            self._send_compressed = self._deflater is not None
        elif sending is not text:
            raise LocalProtocolError("every fragment of a message has the same type")
        else:
            opcode = Opcode.CONTINUATION
        deflater = self._deflater
        if self._send_compressed:
            assert deflater is not None
            payload = deflater.compress(payload, fin=event.final)
        # RFC 7692 section 6.1: RSV1 on the first frame of a compressed message only.
        rsv1 = self._send_compressed and opcode != Opcode.CONTINUATION
        self._write(opcode, payload, fin=event.final, rsv1=rsv1)
        self._sending = None if event.final else text

    def _arm_close(self) -> None:
        now = self._now
        self._close_deadline = None if now is None else now + self._config.close_timeout

    # ------------------------------------------------------------------
    # Receiving
    # ------------------------------------------------------------------

    def _parse(self, data: bytes) -> None:
        if self._head:
            data = self._head + data
            self._head = b""
        end = len(data)
        pos = 0
        left = self._slow_left
        if left:
            pos = left if left < end else end
            self._slow_left = left - pos
            self._slow_feed(data if pos == end else data[:pos])
        assembler = self._assembler
        events = self._events
        masked_in = self._masked_in
        while pos < end and self._reading:
            if end - pos < 2:
                self._head = data[pos:]
                return
            second = data[pos + 1]
            short = second & 0x7F
            start = pos + 2
            length = short
            if short >= 126:
                start += 2 if short == 126 else 8
                if start > end:
                    self._head = data[pos:]
                    return
                length = int.from_bytes(data[pos + 2 : start], "big")
            masked = second & _MASK_BIT
            if masked:
                start += 4
                if start > end:
                    self._head = data[pos:]
                    return
            stop = start + length
            first = data[pos]
            if (
                stop <= end
                and first in _FAST_FIRST
                and masked == masked_in
                and length <= self._fast_limit
                and (short < 126 or length >= 126)
                and short != 127
                and assembler.idle
            ):
                payload = data[start:stop]
                if masked:
                    payload = apply_mask(payload, data[start - 4 : start])
                if first == _FAST_BINARY:
                    events.append(
                        MessageFragment(payload, True)
                        if self._stream
                        else checked_bytes_message(payload)
                    )
                    pos = stop
                    continue
                try:
                    text = payload.decode("utf-8")
                except UnicodeDecodeError:
                    pass  # wsproto's path reports it, as it would split any other way
                else:
                    events.append(
                        MessageFragment(text, True) if self._stream else checked_text_message(text)
                    )
                    pos = stop
                    continue
            if not self._slow_begin(data[pos:start], first, length):
                return
            take = stop if stop <= end else end
            self._slow_left = stop - take
            if take > start:
                self._slow_feed(data[start:take])
            pos = take

    def _slow_begin(self, header: bytes, first: int, length: int) -> bool:
        """Give wsproto a frame header; check limits before any payload. False if it failed."""
        decoder = self._decoder
        decoder.receive_bytes(header)
        try:
            frame = decoder.process_buffer()
            opcode = first & 0x0F
            if not opcode & _CONTROL:
                if length > self._config.max_frame_size:
                    raise MessageTooBig(f"a frame longer than {self._config.max_frame_size} octets")
                self._assembler.begin_frame(opcode, length, compressed=bool(first & _RSV1))
            if frame is not None:
                self._on_frame(frame)
        except ParseFailed as exc:
            self._peer_failed(self._parse_error(exc))
            return False
        except WSRemoteError as exc:
            self._peer_failed(exc)
            return False
        return True

    def _slow_feed(self, chunk: bytes) -> None:
        """Give wsproto payload of the frame it is reading."""
        decoder = self._decoder
        decoder.receive_bytes(chunk)
        try:
            while (frame := decoder.process_buffer()) is not None:
                self._on_frame(frame)
        except ParseFailed as exc:
            self._peer_failed(self._parse_error(exc))
        except WSRemoteError as exc:
            self._peer_failed(exc)

    def _parse_error(self, exc: ParseFailed) -> WSRemoteError:
        inflater = self._inflater
        if inflater is not None and inflater.failure is not None:
            return inflater.failure
        # Without an extension's verdict, wsproto fails frames only with 1002.
        return ProtocolViolation(str(exc))

    def _on_frame(self, frame: object) -> None:
        opcode, payload, frame_done, message_done = cast(
            "tuple[WsprotoOpcode, bytes, bool, bool]", frame
        )
        if opcode is WsprotoOpcode.PING:
            self._events.append(Ping(payload))
            if self._state is _S.OPEN:
                self._write(Opcode.PONG, payload)
        elif opcode is WsprotoOpcode.PONG:
            self._events.append(Pong(payload))
        elif opcode is WsprotoOpcode.CLOSE:
            self._on_close(*parse_close(payload))
        else:
            inflater = self._inflater
            if inflater is not None and inflater.failure is not None:
                # The output before the fault first, as if more were coming.
                self._assembler.piece(payload, frame_done=False, message_done=False)
                raise inflater.failure
            event = self._assembler.piece(payload, frame_done=frame_done, message_done=message_done)
            if event is not None:
                self._events.append(event)

    def _on_close(self, code: int, reason: str) -> None:
        self._events.append(Close(code, reason))
        self._received_close = (code, reason)
        # Nothing may follow a Close frame (section 5.5.1): stop reading.
        self._reading = False
        if len(self._events) > 1:
            # Section 5.5.1 lets the answer wait "until its current message is
            # sent": the application may still answer what came before.
            self._pending = lambda: self._answer_close(code)
        else:
            self._answer_close(code)

    def _answer_close(self, code: int) -> None:
        if self._state is _S.OPEN:
            # Section 5.5.1: answer with a Close, echoing the code (none for 1005).
            self._write(Opcode.CLOSE, encode_close(code, ""))
        self._move(_I.RECV_CLOSE)
        self._sending = None
        if self._role is Role.SERVER:
            # Section 7.1.1: "the underlying TCP connection ... SHOULD be closed
            # first by the server"; the client waits for it, for close_timeout.
            self._end(_I.CLOSE_TRANSPORT)
        else:
            self._arm_close()

    # ------------------------------------------------------------------
    # The end
    # ------------------------------------------------------------------

    def _peer_failed(self, error: WSRemoteError) -> None:
        """The peer broke a rule while we read: fail, after the events that came first."""
        self._reading = False
        if self._events:
            # The application sees (and may answer) what arrived before the
            # fault; the Close goes out at its next call (see _settle).
            self._pending = lambda: self._fail(error, _I.PROTOCOL_ERROR)
        else:
            self._fail(error, _I.PROTOCOL_ERROR)

    def _settle(self) -> None:
        """Carry out what ended the reading (the peer's Close, or its fault), if it waits."""
        pending = self._pending
        self._pending = None
        self._settling = False
        if pending is not None:
            pending()

    def _fail(self, error: WSRemoteError, inp: Input) -> None:
        """Section 7.1.7, "Fail the WebSocket Connection": our Close (if not sent yet), the end."""
        if self._state is _S.OPEN:
            assert error.code is not None  # every failure but CloseTimeout has a close code
            # A fixed reason per code: the details stay in the event (and out
            # of the peer's view); the octets sent do not depend on chunking.
            self._write(Opcode.CLOSE, encode_close(error.code, error.CLOSE_REASON))
        self._end(inp, error)

    def _end(self, inp: Input, error: WSRemoteError | None = None) -> None:
        self._move(inp)
        self._close_deadline = None
        # A fault or Close still waiting (a timer ended the connection first) is moot.
        self._pending = None
        self._settling = False
        self._out.append(b"")
        code, reason = self._received_close or (CloseCode.ABNORMAL_CLOSURE, "")
        self._events.append(ConnectionClosed(code, reason, error))
