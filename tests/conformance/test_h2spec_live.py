"""h2spec's cases against the live HTTP server, over a real socket.

The same case list as ``tests/wire/http/test_h2spec_cases.py`` (which feeds
the Sans-IO machine directly), here sent by a raw HTTP/2 client over TCP to
:func:`servers.http.serve_http` running the demo application: the driver's
reads, writes, closes and the application's tasks are in the loop. Each case
is data: an h2spec id, h2spec's description and a coroutine that sends the
frames h2spec sends (built with hyperframe and hpack, or byte by byte where
they must be malformed) and checks what comes back.

Checks are as strict as the Sans-IO file's, stricter than h2spec's:

- connection error: a GOAWAY with the expected code, then the server closes;
- stream error: RST_STREAM with the expected code on that stream, and the
  connection still answers a PING;
- "accepted": the expected frames arrive and a PING sent afterwards is
  acknowledged with no GOAWAY in between.

The non-strict cases (a connection error where RFC 9113 asks for a stream
error, because h2 raises one) are the Sans-IO file's ``NON_STRICT``; the
deviation (``http2/5.1/11``) is its ``DEVIATIONS``. ``H2SPEC_SECTIONS`` pins
the number of cases h2spec has in each section, and a test checks that every
one of them is here.
"""

from __future__ import annotations

import fnmatch
import ssl
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

import pytest
import trio
import trustme
from hpack import Encoder
from hyperframe.frame import (
    ContinuationFrame,
    DataFrame,
    Frame,
    GoAwayFrame,
    HeadersFrame,
    PingFrame,
    PriorityFrame,
    PushPromiseFrame,
    RstStreamFrame,
    SettingsFrame,
    WindowUpdateFrame,
)
from tests.wire.http.test_h2spec_cases import DEVIATIONS, NON_STRICT, raw

from servers.http import serve_http
from wire.http import H2_PREFACE, H2ErrorCode

E = H2ErrorCode
Address = tuple[str, int]
Header = tuple[bytes, bytes]

#: Seconds a case waits for the server's answer. Loopback answers in
#: milliseconds; the margin is for a machine busy with other test runs.
ANSWER_TIMEOUT = 5.0
#: The path every request asks for: the demo app's 13-octet greeting, so flow
#: control cases have a body to split.
PATH = b"/hello"
GREETING = b"Hello, world!"

#: h2spec (2.6 plus the cases added since: 3.2/1, 5.1.1/3, 6.3/3): cases per section.
H2SPEC_SECTIONS: dict[str, int] = {
    "http2/3.2": 1,
    "http2/3.5": 2,
    "http2/4.1": 3,
    "http2/4.2": 3,
    "http2/4.3": 3,
    "http2/5.1": 13,
    "http2/5.1.1": 3,
    "http2/5.1.2": 1,
    "http2/5.3.1": 2,
    "http2/5.4.1": 2,
    "http2/5.5": 2,
    "http2/6.1": 3,
    "http2/6.2": 4,
    "http2/6.3": 3,
    "http2/6.4": 3,
    "http2/6.5": 3,
    "http2/6.5.2": 5,
    "http2/6.5.3": 2,
    "http2/6.7": 4,
    "http2/6.8": 1,
    "http2/6.9": 3,
    "http2/6.9.1": 3,
    "http2/6.9.2": 3,
    "http2/6.10": 6,
    "http2/8.1": 1,
    "http2/8.1.2": 1,
    "http2/8.1.2.1": 4,
    "http2/8.1.2.2": 2,
    "http2/8.1.2.3": 7,
    "http2/8.1.2.6": 2,
    "http2/8.2": 1,
    "hpack/2.3.3": 2,
    "hpack/4.2": 1,
    "hpack/5.2": 3,
    "hpack/6.1": 1,
    "hpack/6.3": 1,
    "generic/1": 1,
    "generic/2": 5,
    "generic/3.1": 3,
    "generic/3.2": 3,
    "generic/3.3": 5,
    "generic/3.4": 1,
    "generic/3.5": 1,
    "generic/3.7": 1,
    "generic/3.8": 1,
    "generic/3.9": 2,
    "generic/3.10": 2,
    "generic/4": 4,
    "generic/5": 15,
}


def common(method: bytes = b"GET", path: bytes = PATH) -> list[Header]:
    return [
        (b":method", method),
        (b":scheme", b"http"),
        (b":path", path),
        (b":authority", b"127.0.0.1"),
    ]


def ping(payload: bytes = b"\0" * 8, *, ack: bool = False) -> PingFrame:
    return PingFrame(0, payload, flags=["ACK"] if ack else [])


def settings(**values: int) -> SettingsFrame:
    codes = {
        "header_table_size": SettingsFrame.HEADER_TABLE_SIZE,
        "enable_push": SettingsFrame.ENABLE_PUSH,
        "max_concurrent_streams": SettingsFrame.MAX_CONCURRENT_STREAMS,
        "initial_window_size": SettingsFrame.INITIAL_WINDOW_SIZE,
        "max_frame_size": SettingsFrame.MAX_FRAME_SIZE,
        "max_header_list_size": SettingsFrame.MAX_HEADER_LIST_SIZE,
    }
    return SettingsFrame(0, {codes[k]: v for k, v in values.items()})


class Client:
    """An h2spec-like HTTP/2 client on a TCP connection to the server."""

    def __init__(self, stream: trio.abc.Stream) -> None:
        self.stream = stream
        self.encoder = Encoder()
        self.frames: list[Frame] = []
        self.closed = False
        self._buffer = b""
        self._pings = 0

    # -- writing -------------------------------------------------------

    async def send(self, *items: Frame | bytes) -> None:
        """Write the frames (or raw bytes) in one piece, as h2spec's buffered writer does."""
        data = b"".join(item if isinstance(item, bytes) else item.serialize() for item in items)
        try:
            await self.stream.send_all(data)
        except trio.BrokenResourceError:
            self.closed = True  # the server closed first; what it said is in frames

    def block(self, fields: list[Header] | None = None, *extra: Header) -> bytes:
        return self.encoder.encode([*(common() if fields is None else fields), *extra])

    def headers(
        self,
        stream_id: int = 1,
        *,
        end_stream: bool = True,
        end_headers: bool = True,
        method: bytes = b"GET",
        block: bytes | None = None,
    ) -> HeadersFrame:
        flags = (["END_STREAM"] if end_stream else []) + (["END_HEADERS"] if end_headers else [])
        if block is None:
            block = self.block(common(method))
        return HeadersFrame(stream_id, block, flags=flags)

    async def handshake(self) -> None:
        """h2spec's handshake: preface and SETTINGS, the server's SETTINGS and ACK, our ACK."""
        await self.send(H2_PREFACE, SettingsFrame(0))
        await self.read_until(
            lambda: self.settings(ack=False) is not None and self.settings(ack=True) is not None
        )
        assert self.settings(ack=False) is not None, self.frames
        await self.send(SettingsFrame(0, flags=["ACK"]))
        self.frames.clear()

    # -- reading -------------------------------------------------------

    async def read_until(self, done: Callable[[], bool], timeout: float = ANSWER_TIMEOUT) -> None:
        """Read frames until ``done()``, the server closes, or ``timeout`` passes."""
        with trio.move_on_after(timeout):
            while not done() and not self.closed:
                try:
                    data = await self.stream.receive_some(65536)
                except trio.BrokenResourceError:
                    data = b""  # reset by the server: as good as closed
                if not data:
                    self.closed = True
                    break
                self._buffer += data
                while len(self._buffer) >= 9:
                    frame, length = Frame.parse_frame_header(memoryview(self._buffer[:9]))
                    if len(self._buffer) < 9 + length:
                        break
                    frame.parse_body(memoryview(self._buffer[9 : 9 + length]))
                    self._buffer = self._buffer[9 + length :]
                    self.frames.append(frame)

    def settings(self, *, ack: bool) -> SettingsFrame | None:
        return next(
            (f for f in self.frames if isinstance(f, SettingsFrame) and ("ACK" in f.flags) == ack),
            None,
        )

    def goaway(self) -> GoAwayFrame | None:
        return next((f for f in self.frames if isinstance(f, GoAwayFrame)), None)

    def resets(self, stream_id: int) -> list[RstStreamFrame]:
        return [
            f for f in self.frames if isinstance(f, RstStreamFrame) and f.stream_id == stream_id
        ]

    def data_frames(self, stream_id: int = 1) -> list[DataFrame]:
        return [f for f in self.frames if isinstance(f, DataFrame) and f.stream_id == stream_id]

    def response_headers(self, stream_id: int = 1) -> list[HeadersFrame]:
        return [f for f in self.frames if isinstance(f, HeadersFrame) and f.stream_id == stream_id]

    def ended(self, stream_id: int) -> bool:
        """Whether the server ended its side of ``stream_id`` (END_STREAM seen)."""
        return any(
            isinstance(f, HeadersFrame | DataFrame)
            and f.stream_id == stream_id
            and "END_STREAM" in f.flags
            for f in self.frames
        )

    def ping_acked(self, payload: bytes) -> bool:
        return any(
            isinstance(f, PingFrame) and "ACK" in f.flags and f.opaque_data == payload
            for f in self.frames
        )

    # -- verifying -----------------------------------------------------

    async def expect_connection_error(self, *codes: int) -> None:
        """A GOAWAY with one of ``codes``, then the close (h2spec: connection error)."""
        await self.read_until(lambda: False)
        goaway = self.goaway()
        assert goaway is not None, self.frames
        assert goaway.error_code in codes, (E(goaway.error_code), codes)
        assert self.closed

    async def expect_goaway_for_stream_error(self, stream_id: int, *codes: int) -> None:
        """Non-strict (``NON_STRICT``): a connection error where a stream error is due."""
        del stream_id  # RFC 9113 names the stream; h2 ends the whole connection instead
        await self.expect_connection_error(*codes)

    async def expect_stream_error(self, stream_id: int, *codes: int) -> None:
        """RST_STREAM with one of ``codes`` on ``stream_id``; the connection lives on."""
        await self.read_until(lambda: bool(self.resets(stream_id)) or self.goaway() is not None)
        resets = self.resets(stream_id)
        assert resets, self.frames
        assert resets[0].error_code in codes, (E(resets[0].error_code), codes)
        await self.expect_alive()

    async def expect_alive(self) -> None:
        """A PING sent now is acknowledged, and no GOAWAY came."""
        self._pings += 1
        payload = b"alive%03d" % self._pings
        await self.send(ping(payload))
        await self.read_until(lambda: self.ping_acked(payload) or self.goaway() is not None)
        assert self.goaway() is None, self.frames
        assert self.ping_acked(payload), self.frames

    async def expect_ping_ack(self, payload: bytes = b"\0" * 8) -> None:
        await self.read_until(lambda: self.ping_acked(payload) or self.goaway() is not None)
        assert self.ping_acked(payload), self.frames
        await self.expect_alive()

    async def expect_response(self, stream_id: int = 1) -> None:
        """A HEADERS frame with a :status on ``stream_id``; the connection lives on."""
        await self.read_until(
            lambda: bool(self.response_headers(stream_id)) or self.goaway() is not None
        )
        assert self.response_headers(stream_id), self.frames
        await self.expect_alive()

    async def expect_data(self, stream_id: int, lengths: list[int]) -> None:
        """DATA frames of exactly ``lengths`` octets on ``stream_id`` (flow control)."""
        total = sum(lengths)
        await self.read_until(
            lambda: (
                sum(len(f.data) for f in self.data_frames(stream_id)) >= total
                or self.goaway() is not None
            )
        )
        await self.expect_alive()  # and nothing more than the window allows came
        # Our server ends a response with an empty DATA frame carrying END_STREAM.
        assert [len(f.data) for f in self.data_frames(stream_id) if f.data] == lengths


# ---------------------------------------------------------------------------
# The case list
# ---------------------------------------------------------------------------

CaseRun = Callable[[Client], Awaitable[None]]


@dataclass(frozen=True)
class Case:
    """One h2spec case: its id, h2spec's description, what we send and check."""

    id: str
    title: str
    run: CaseRun
    handshake: bool = True
    tls: bool = False
    bug: str | None = None

    @property
    def section(self) -> str:
        return self.id.rpartition("/")[0]

    @property
    def non_strict(self) -> str | None:
        for pattern, why in NON_STRICT.items():
            if fnmatch.fnmatch(self.id, pattern):
                return why
        return DEVIATIONS.get(self.id)


CASES: list[Case] = []


def case(
    case_id: str,
    title: str,
    *,
    handshake: bool = True,
    tls: bool = False,
    bug: str | None = None,
) -> Callable[[CaseRun], CaseRun]:
    def register(run: CaseRun) -> CaseRun:
        CASES.append(Case(case_id, title, run, handshake, tls, bug))
        return run

    return register


# -- 3.2 Starting HTTP/2 for "http" URIs, 3.5 HTTP/2 Connection Preface -----


@case("http2/3.2/1", "Sends client connection preface", handshake=False)
@case("http2/3.5/1", "Sends client connection preface", handshake=False)
@case("generic/1/1", "Sends a client connection preface", handshake=False)
async def _preface(c: Client) -> None:
    await c.send(H2_PREFACE, settings(initial_window_size=65535))
    await c.read_until(lambda: bool(c.frames))
    first = c.frames[0]
    assert isinstance(first, SettingsFrame) and "ACK" not in first.flags, c.frames
    await c.expect_alive()


@case("http2/3.5/2", "Sends invalid connection preface", handshake=False, tls=True)
async def _invalid_preface(c: Client) -> None:
    # Over TLS with ALPN h2, where nothing but HTTP/2 may follow. In clear text
    # the server reads these bytes as HTTP/1.1 and answers 400 (h2spec accepts
    # any close); test_rfc9112_live checks that.
    await c.send(b"INVALID CONNECTION PREFACE\r\n\r\n")
    await c.expect_connection_error(E.PROTOCOL_ERROR)


# -- 4.1 Frame Format, 4.2 Frame Size, 4.3 Header Compression ---------------


@case("http2/4.1/1", "Sends a frame with unknown type")
async def _unknown_type(c: Client) -> None:
    await c.send(raw(0x16, 0, 0, b"\0" * 8), ping())
    await c.expect_ping_ack()


@case("http2/4.1/2", "Sends a frame with undefined flag")
async def _undefined_flag(c: Client) -> None:
    await c.send(raw(0x6, 0x16, 0, b"\0" * 8))
    await c.expect_ping_ack()


@case("http2/4.1/3", "Sends a frame with reserved field bit")
async def _reserved_bit(c: Client) -> None:
    await c.send(raw(0x6, 0x16, 0x80000000, b"\0" * 8))
    await c.expect_ping_ack()


@case("http2/4.2/1", "Sends a DATA frame with 2^14 octets in length")
async def _data_max(c: Client) -> None:
    await c.send(c.headers(end_stream=False, method=b"POST"))
    await c.send(DataFrame(1, b"x" * 16384, flags=["END_STREAM"]))
    await c.expect_response(1)


@case("http2/4.2/2", "Sends a large size DATA frame that exceeds the SETTINGS_MAX_FRAME_SIZE")
async def _data_too_big(c: Client) -> None:
    await c.send(c.headers(end_stream=False, method=b"POST"))
    await c.send(DataFrame(1, b"x" * 16385, flags=["END_STREAM"]))
    await c.expect_goaway_for_stream_error(1, E.FRAME_SIZE_ERROR)


@case("http2/4.2/3", "Sends a large size HEADERS frame that exceeds the SETTINGS_MAX_FRAME_SIZE")
async def _headers_too_big(c: Client) -> None:
    dummy = [(f"x-dummy{i}".encode(), b"x" * 4000) for i in range(5)]
    await c.send(HeadersFrame(1, c.block(None, *dummy), flags=["END_STREAM", "END_HEADERS"]))
    await c.expect_connection_error(E.FRAME_SIZE_ERROR)


@case("http2/4.3/1", "Sends invalid header block fragment")
async def _bad_block(c: Client) -> None:
    await c.send(b"\x00\x00\x01\x01\x05\x00\x00\x00\x01\x40")
    await c.expect_connection_error(E.COMPRESSION_ERROR)


@case("http2/4.3/2", "Sends a PRIORITY frame while sending the header blocks")
async def _priority_in_block(c: Client) -> None:
    await c.send(c.headers(end_stream=False, end_headers=False))
    await c.send(PriorityFrame(1, depends_on=0, stream_weight=255))
    await c.send(ContinuationFrame(1, c.block([], (b"x-dummy", b"1")), flags=["END_HEADERS"]))
    await c.expect_connection_error(E.PROTOCOL_ERROR)


@case("http2/4.3/3", "Sends a HEADERS frame to another stream while sending the header blocks")
async def _headers_in_block(c: Client) -> None:
    await c.send(c.headers(1, end_stream=False, end_headers=False), c.headers(3))
    await c.expect_connection_error(E.PROTOCOL_ERROR)


# -- 5.1 Stream States ---------------------------------------------------------


@case("http2/5.1/1", "idle: Sends a DATA frame")
async def _idle_data(c: Client) -> None:
    await c.send(DataFrame(1, b"test", flags=["END_STREAM"]))
    await c.expect_connection_error(E.PROTOCOL_ERROR)


@case("http2/5.1/2", "idle: Sends a RST_STREAM frame")
async def _idle_rst(c: Client) -> None:
    await c.send(RstStreamFrame(1, error_code=E.CANCEL))
    await c.expect_connection_error(E.PROTOCOL_ERROR)


@case("http2/5.1/3", "idle: Sends a WINDOW_UPDATE frame")
async def _idle_window_update(c: Client) -> None:
    await c.send(WindowUpdateFrame(1, window_increment=100))
    await c.expect_connection_error(E.PROTOCOL_ERROR)


@case("http2/5.1/4", "idle: Sends a CONTINUATION frame")
async def _idle_continuation(c: Client) -> None:
    await c.send(ContinuationFrame(1, c.block(), flags=["END_HEADERS"]))
    await c.expect_connection_error(E.PROTOCOL_ERROR)


@case("http2/5.1/5", "half closed (remote): Sends a DATA frame")
async def _half_closed_data(c: Client) -> None:
    await c.send(c.headers(1), DataFrame(1, b"test", flags=["END_STREAM"]))
    await c.expect_stream_error(1, E.STREAM_CLOSED)


@case("http2/5.1/6", "half closed (remote): Sends a HEADERS frame")
async def _half_closed_headers(c: Client) -> None:
    await c.send(c.headers(1), c.headers(1))
    await c.expect_stream_error(1, E.STREAM_CLOSED)


@case("http2/5.1/7", "half closed (remote): Sends a CONTINUATION frame")
async def _half_closed_continuation(c: Client) -> None:
    block = c.block()
    await c.send(HeadersFrame(1, block, flags=["END_STREAM", "END_HEADERS"]))
    await c.send(ContinuationFrame(1, block, flags=["END_HEADERS"]))
    await c.expect_connection_error(E.PROTOCOL_ERROR, E.STREAM_CLOSED)


@case("http2/5.1/8", "closed: Sends a DATA frame after sending RST_STREAM frame")
async def _reset_data(c: Client) -> None:
    await c.send(c.headers(1, end_stream=False), RstStreamFrame(1, error_code=E.CANCEL))
    await c.send(DataFrame(1, b"test", flags=["END_STREAM"]))
    await c.expect_stream_error(1, E.STREAM_CLOSED)


@case("http2/5.1/9", "closed: Sends a HEADERS frame after sending RST_STREAM frame")
async def _reset_headers(c: Client) -> None:
    await c.send(c.headers(1, end_stream=False), RstStreamFrame(1, error_code=E.CANCEL))
    await c.send(c.headers(1))
    await c.expect_stream_error(1, E.STREAM_CLOSED)


@case("http2/5.1/10", "closed: Sends a CONTINUATION frame after sending RST_STREAM frame")
async def _reset_continuation(c: Client) -> None:
    await c.send(c.headers(1, end_stream=False), RstStreamFrame(1, error_code=E.CANCEL))
    await c.send(ContinuationFrame(1, c.block([], (b"x-dummy", b"1")), flags=["END_HEADERS"]))
    await c.expect_connection_error(E.PROTOCOL_ERROR, E.STREAM_CLOSED)


async def _closed_stream(c: Client) -> None:
    """Stream 1 answered to the end: closed on both sides."""
    await c.send(c.headers(1))
    await c.read_until(lambda: c.ended(1) or c.goaway() is not None)
    assert c.ended(1), c.frames


@case("http2/5.1/11", "closed: Sends a DATA frame")
async def _closed_data(c: Client) -> None:
    # Deviation (DEVIATIONS): RFC 9113 section 5.1 makes the connection error a MAY.
    await _closed_stream(c)
    await c.send(DataFrame(1, b"test", flags=["END_STREAM"]))
    await c.expect_stream_error(1, E.STREAM_CLOSED)


@case("http2/5.1/12", "closed: Sends a HEADERS frame")
async def _closed_headers(c: Client) -> None:
    await _closed_stream(c)
    await c.send(c.headers(1))
    await c.expect_connection_error(E.STREAM_CLOSED)


@case("http2/5.1/13", "closed: Sends a CONTINUATION frame")
async def _closed_continuation(c: Client) -> None:
    await _closed_stream(c)
    await c.send(ContinuationFrame(1, c.block([], (b"x-dummy", b"1")), flags=["END_HEADERS"]))
    await c.expect_connection_error(E.STREAM_CLOSED, E.PROTOCOL_ERROR)


# -- 5.1.1 Stream Identifiers, 5.1.2 Stream Concurrency ------------------------


@case("http2/5.1.1/1", "Sends even-numbered stream identifier")
async def _even_stream(c: Client) -> None:
    await c.send(c.headers(2))
    await c.expect_connection_error(E.PROTOCOL_ERROR)


@case("http2/5.1.1/2", "Sends stream identifier that is numerically smaller than previous")
async def _smaller_stream(c: Client) -> None:
    await c.send(c.headers(5), c.headers(3))
    await c.expect_connection_error(E.PROTOCOL_ERROR)


@case("http2/5.1.1/3", "Sends HEADERS frame with the stream which is in half-closed (remote)")
async def _half_closed_again(c: Client) -> None:
    await c.send(c.headers(5), c.headers(5))
    await c.expect_stream_error(5, E.STREAM_CLOSED)


@case(
    "http2/5.1.2/1",
    "Sends HEADERS frames that causes their advertised concurrent stream limit",
    handshake=False,
)
async def _too_many_streams(c: Client) -> None:
    await c.send(H2_PREFACE, SettingsFrame(0))
    await c.read_until(lambda: c.settings(ack=False) is not None)
    announced = c.settings(ack=False)
    assert announced is not None
    limit = announced.settings[SettingsFrame.MAX_CONCURRENT_STREAMS]
    # Window 0: the server cannot finish its answers, so every stream stays open.
    await c.send(SettingsFrame(0, flags=["ACK"]), settings(initial_window_size=0))
    await c.send(*(c.headers(1 + 2 * i) for i in range(limit + 1)))
    await c.expect_goaway_for_stream_error(1 + 2 * limit, E.PROTOCOL_ERROR, E.REFUSED_STREAM)


# -- 5.3.1 Stream Dependencies, 5.4.1 Connection Error Handling, 5.5 Extending -


@case("http2/5.3.1/1", "Sends HEADERS frame that depends on itself")
async def _headers_self_dependency(c: Client) -> None:
    frame = c.headers(1)
    frame.flags.add("PRIORITY")
    frame.depends_on, frame.stream_weight = 1, 255
    await c.send(frame)
    await c.expect_goaway_for_stream_error(1, E.PROTOCOL_ERROR)


@case("http2/5.3.1/2", "Sends PRIORITY frame that depend on itself")
async def _priority_self_dependency(c: Client) -> None:
    await c.send(PriorityFrame(1, depends_on=1, stream_weight=255))
    await c.expect_goaway_for_stream_error(1, E.PROTOCOL_ERROR)


@case("http2/5.4.1/1", "Sends an invalid PING frame for connection close")
async def _invalid_ping_close(c: Client) -> None:
    await c.send(raw(0x6, 0, 3, b"\0" * 8))
    await c.read_until(lambda: False)
    assert c.closed


@case("http2/5.4.1/2", "Sends an invalid PING frame to receive GOAWAY frame")
async def _invalid_ping_goaway(c: Client) -> None:
    await c.send(raw(0x6, 0, 3, b"\0" * 8))
    await c.expect_connection_error(E.PROTOCOL_ERROR)


@case("http2/5.5/1", "Sends an unknown extension frame")
async def _extension_frame(c: Client) -> None:
    await c.send(raw(0x16, 0, 0, b"\0" * 8), ping())
    await c.expect_ping_ack()


@case("http2/5.5/2", "Sends an unknown extension frame in the middle of a header block")
async def _extension_in_block(c: Client) -> None:
    await c.send(c.headers(1, end_headers=False), raw(0x16, 0, 0, b"\0" * 8))
    await c.expect_connection_error(E.PROTOCOL_ERROR)


# -- 6.1 DATA, 6.2 HEADERS -----------------------------------------------------


@case("http2/6.1/1", "Sends a DATA frame with 0x0 stream identifier")
async def _data_stream_0(c: Client) -> None:
    await c.send(raw(0x0, 0x1, 0, b"test"))
    await c.expect_connection_error(E.PROTOCOL_ERROR)


@case("http2/6.1/2", "Sends a DATA frame on the stream that is not in open or half-closed (local)")
async def _data_half_closed(c: Client) -> None:
    await c.send(c.headers(1, method=b"POST"), DataFrame(1, b"test", flags=["END_STREAM"]))
    await c.expect_stream_error(1, E.STREAM_CLOSED)


@case("http2/6.1/3", "Sends a DATA frame with invalid pad length")
async def _data_bad_padding(c: Client) -> None:
    block = c.block(common(b"POST"), (b"content-length", b"4"))
    await c.send(HeadersFrame(1, block, flags=["END_HEADERS"]))
    await c.send(b"\x00\x00\x05\x00\x09\x00\x00\x00\x01" + b"\x06Test")
    await c.expect_connection_error(E.PROTOCOL_ERROR)


@case("http2/6.2/1", "Sends a HEADERS frame without the END_HEADERS flag, and a PRIORITY frame")
async def _headers_then_priority(c: Client) -> None:
    await c.send(c.headers(1, end_stream=False, end_headers=False))
    await c.send(PriorityFrame(1, depends_on=0, stream_weight=255))
    await c.expect_connection_error(E.PROTOCOL_ERROR)


@case("http2/6.2/2", "Sends a HEADERS frame to another stream while sending a HEADERS frame")
async def _headers_then_other_headers(c: Client) -> None:
    await c.send(c.headers(1, end_stream=False, end_headers=False), c.headers(3))
    await c.expect_connection_error(E.PROTOCOL_ERROR)


@case("http2/6.2/3", "Sends a HEADERS frame with 0x0 stream identifier")
async def _headers_stream_0(c: Client) -> None:
    await c.send(raw(0x1, 0x5, 0, c.block()))
    await c.expect_connection_error(E.PROTOCOL_ERROR)


@case("http2/6.2/4", "Sends a HEADERS frame with invalid pad length")
async def _headers_bad_padding(c: Client) -> None:
    block = c.block()
    await c.send(raw(0x1, 0x0D, 1, bytes((len(block) + 2,)) + block))
    await c.expect_goaway_for_stream_error(1, E.PROTOCOL_ERROR)


# -- 6.3 PRIORITY, 6.4 RST_STREAM ----------------------------------------------


@case("http2/6.3/1", "Sends a PRIORITY frame with 0x0 stream identifier")
async def _priority_stream_0(c: Client) -> None:
    await c.send(raw(0x2, 0, 0, b"\x00\x00\x00\x00\xff"))
    await c.expect_connection_error(E.PROTOCOL_ERROR)


@case("http2/6.3/2", "Sends a PRIORITY frame with a length other than 5 octets")
async def _priority_length(c: Client) -> None:
    await c.send(c.headers(1, end_stream=False))
    await c.send(raw(0x2, 0, 1, b"\x80\x00\x00\x01"))
    await c.expect_stream_error(1, E.FRAME_SIZE_ERROR)


@case("http2/6.3/3", "Sends a PRIORITY frame for an idle stream, then HEADERS for a lower id")
@case("generic/3.3/5", "Sends a PRIORITY frame for an idle stream, then HEADERS for a lower id")
async def _priority_idle_then_lower(c: Client) -> None:
    await c.send(PriorityFrame(3, depends_on=0, stream_weight=255), c.headers(1))
    await c.expect_response(1)


@case("http2/6.4/1", "Sends a RST_STREAM frame with 0x0 stream identifier")
async def _rst_stream_0(c: Client) -> None:
    await c.send(raw(0x3, 0, 0, b"\x00\x00\x00\x08"))
    await c.expect_connection_error(E.PROTOCOL_ERROR)


@case("http2/6.4/2", "Sends a RST_STREAM frame on a idle stream")
async def _rst_idle(c: Client) -> None:
    await c.send(RstStreamFrame(1, error_code=E.CANCEL))
    await c.expect_connection_error(E.PROTOCOL_ERROR)


@case("http2/6.4/3", "Sends a RST_STREAM frame with a length other than 4 octets")
async def _rst_length(c: Client) -> None:
    await c.send(c.headers(1, end_stream=False))
    await c.send(raw(0x3, 0, 1, b"\x00\x00\x00"))
    await c.expect_connection_error(E.FRAME_SIZE_ERROR)


# -- 6.5 SETTINGS, 6.5.2 Defined SETTINGS Parameters, 6.5.3 Synchronization ---


@case("http2/6.5/1", "Sends a SETTINGS frame with ACK flag and payload")
async def _settings_ack_payload(c: Client) -> None:
    await c.send(raw(0x4, 0x1, 0, b"\x00"))
    await c.expect_connection_error(E.FRAME_SIZE_ERROR)


@case("http2/6.5/2", "Sends a SETTINGS frame with a stream identifier other than 0x0")
async def _settings_stream_1(c: Client) -> None:
    await c.send(raw(0x4, 0, 1, b"\x00\x03\x00\x00\x00\x64"))
    await c.expect_connection_error(E.PROTOCOL_ERROR)


@case("http2/6.5/3", "Sends a SETTINGS frame with a length other than a multiple of 6 octets")
async def _settings_length(c: Client) -> None:
    await c.send(raw(0x4, 0, 0, b"\x00\x03\x00\x00\x00\x64\x00\x02\x00"))
    await c.expect_connection_error(E.PROTOCOL_ERROR, E.FRAME_SIZE_ERROR)


@case("http2/6.5.2/1", "SETTINGS_ENABLE_PUSH (0x2): Sends the value other than 0 or 1")
async def _enable_push_2(c: Client) -> None:
    await c.send(settings(enable_push=2))
    await c.expect_connection_error(E.PROTOCOL_ERROR)


@case("http2/6.5.2/2", "SETTINGS_INITIAL_WINDOW_SIZE (0x4): Sends the value above the maximum")
async def _window_too_big(c: Client) -> None:
    await c.send(settings(initial_window_size=2**31))
    await c.expect_connection_error(E.FLOW_CONTROL_ERROR)


@case("http2/6.5.2/3", "SETTINGS_MAX_FRAME_SIZE (0x5): Sends the value below the initial value")
async def _frame_size_too_small(c: Client) -> None:
    await c.send(settings(max_frame_size=16383))
    await c.expect_connection_error(E.PROTOCOL_ERROR)


@case("http2/6.5.2/4", "SETTINGS_MAX_FRAME_SIZE (0x5): Sends the value above the maximum")
async def _frame_size_too_big(c: Client) -> None:
    await c.send(settings(max_frame_size=2**24))
    await c.expect_connection_error(E.PROTOCOL_ERROR)


@case("http2/6.5.2/5", "Sends a SETTINGS frame with unknown identifier")
async def _unknown_setting(c: Client) -> None:
    await c.send(SettingsFrame(0, {0xFF: 1}), ping())
    await c.expect_ping_ack()


@case("http2/6.5.3/1", "Sends multiple values of SETTINGS_INITIAL_WINDOW_SIZE")
async def _two_window_values(c: Client) -> None:
    await c.send(raw(0x4, 0, 0, b"\x00\x04\x00\x00\x00\x64" + b"\x00\x04\x00\x00\x00\x01"))
    await c.read_until(lambda: c.settings(ack=True) is not None)
    await c.send(c.headers(1))
    await c.expect_data(1, [1])  # the last value (1) wins


@case("http2/6.5.3/2", "Sends a SETTINGS frame without ACK flag")
@case("generic/3.5/1", "Sends a SETTINGS frame")
async def _settings_acked(c: Client) -> None:
    await c.send(
        settings(
            header_table_size=4096,
            enable_push=0,
            max_concurrent_streams=100,
            initial_window_size=65535,
            max_frame_size=16384,
            max_header_list_size=100_000,
        )
    )
    await c.read_until(lambda: c.settings(ack=True) is not None or c.goaway() is not None)
    assert c.settings(ack=True) is not None, c.frames
    await c.expect_alive()


# -- 6.7 PING, 6.8 GOAWAY --------------------------------------------------------


@case("http2/6.7/1", "Sends a PING frame")
@case("generic/3.7/1", "Sends a PING frame")
async def _ping(c: Client) -> None:
    await c.send(ping(b"h2spec\0\0"))
    await c.expect_ping_ack(b"h2spec\0\0")


@case("http2/6.7/2", "Sends a PING frame with ACK")
async def _ping_ack_not_answered(c: Client) -> None:
    await c.send(ping(b"invalid\0", ack=True), ping(b"h2spec\0\0"))
    await c.expect_ping_ack(b"h2spec\0\0")
    assert not any(isinstance(f, PingFrame) and f.opaque_data == b"invalid\0" for f in c.frames)


@case("http2/6.7/3", "Sends a PING frame with a stream identifier field value other than 0x0")
async def _ping_stream_1(c: Client) -> None:
    await c.send(raw(0x6, 0, 1, b"\0" * 8))
    await c.expect_connection_error(E.PROTOCOL_ERROR)


@case("http2/6.7/4", "Sends a PING frame with a length field value other than 8")
async def _ping_length(c: Client) -> None:
    await c.send(raw(0x6, 0, 0, b"\0" * 6))
    await c.expect_connection_error(E.FRAME_SIZE_ERROR, E.PROTOCOL_ERROR)


@case("http2/6.8/1", "Sends a GOAWAY frame with a stream identifier other than 0x0")
async def _goaway_stream_1(c: Client) -> None:
    await c.send(raw(0x7, 0, 1, b"\0" * 8))
    await c.expect_connection_error(E.PROTOCOL_ERROR)


# -- 6.9 WINDOW_UPDATE, 6.9.1 Flow-Control Window, 6.9.2 Initial Window Size ----


@case("http2/6.9/1", "Sends a WINDOW_UPDATE frame with a flow control window increment of 0")
async def _window_update_0(c: Client) -> None:
    await c.send(raw(0x8, 0, 0, b"\0\0\0\0"))
    await c.expect_connection_error(E.PROTOCOL_ERROR)


@case("http2/6.9/2", "Sends a WINDOW_UPDATE frame with an increment of 0 on a stream")
async def _window_update_0_stream(c: Client) -> None:
    await c.send(c.headers(1, end_stream=False))
    await c.send(raw(0x8, 0, 1, b"\0\0\0\0"))
    await c.expect_stream_error(1, E.PROTOCOL_ERROR)


@case("http2/6.9/3", "Sends a WINDOW_UPDATE frame with a length other than 4 octets")
async def _window_update_length(c: Client) -> None:
    await c.send(raw(0x8, 0, 0, b"\0\0\1"))
    await c.expect_connection_error(E.FRAME_SIZE_ERROR)


@case("http2/6.9.1/1", "Sends SETTINGS frame to set the initial window size to 1 and sends HEADERS")
async def _window_1(c: Client) -> None:
    await c.send(settings(initial_window_size=1))
    await c.read_until(lambda: c.settings(ack=True) is not None)
    await c.send(c.headers(1))
    await c.expect_data(1, [1])


@case("http2/6.9.1/2", "Sends multiple WINDOW_UPDATE frames increasing the window above 2^31-1")
async def _connection_window_overflow(c: Client) -> None:
    big = WindowUpdateFrame(0, window_increment=2**31 - 1)
    await c.send(big, big)
    await c.expect_connection_error(E.FLOW_CONTROL_ERROR)


@case("http2/6.9.1/3", "Sends multiple WINDOW_UPDATE frames on a stream increasing it above 2^31-1")
async def _stream_window_overflow(c: Client) -> None:
    big = WindowUpdateFrame(1, window_increment=2**31 - 1)
    await c.send(c.headers(1, end_stream=False), big, big)
    await c.expect_stream_error(1, E.FLOW_CONTROL_ERROR)


@case("http2/6.9.2/1", "Changes SETTINGS_INITIAL_WINDOW_SIZE after sending HEADERS frame")
async def _window_change_after_headers(c: Client) -> None:
    await c.send(settings(initial_window_size=0))
    await c.read_until(lambda: c.settings(ack=True) is not None)
    await c.send(c.headers(1))
    await c.read_until(lambda: bool(c.response_headers(1)) or c.goaway() is not None)
    assert c.response_headers(1) and not c.data_frames(1), c.frames
    await c.send(settings(initial_window_size=1))
    await c.expect_data(1, [1])


@case("http2/6.9.2/2", "Sends a SETTINGS frame for window size to be negative")
async def _negative_window(c: Client) -> None:
    await c.send(settings(initial_window_size=3))
    await c.read_until(lambda: c.settings(ack=True) is not None)
    await c.send(c.headers(1))
    await c.expect_data(1, [3])
    await c.send(settings(initial_window_size=2))  # the stream's window is now -1
    await c.expect_alive()
    await c.send(WindowUpdateFrame(1, window_increment=2))  # -1 + 2: one octet may go
    await c.expect_data(1, [3, 1])


@case("http2/6.9.2/3", "Sends a SETTINGS_INITIAL_WINDOW_SIZE settings with an exceeded maximum")
async def _window_setting_too_big(c: Client) -> None:
    await c.send(raw(0x4, 0, 0, b"\x00\x04\x80\x00\x00\x00"))
    await c.expect_connection_error(E.FLOW_CONTROL_ERROR)


# -- 6.10 CONTINUATION -----------------------------------------------------------


@case("http2/6.10/1", "Sends multiple CONTINUATION frames preceded by a HEADERS frame")
@case("generic/3.10/2", "Sends multiple CONTINUATION frames")
async def _continuations(c: Client) -> None:
    await c.send(c.headers(1, end_headers=False))
    await c.send(ContinuationFrame(1, c.block([], (b"x-dummy", b"1"))))
    await c.send(ContinuationFrame(1, c.block([], (b"x-dummy", b"2")), flags=["END_HEADERS"]))
    await c.expect_response(1)


@case("http2/6.10/2", "Sends a CONTINUATION frame followed by any frame other than CONTINUATION")
async def _continuation_then_data(c: Client) -> None:
    await c.send(c.headers(1, end_stream=False, end_headers=False, method=b"POST"))
    await c.send(ContinuationFrame(1, c.block([], (b"x-dummy", b"1"))))
    await c.send(DataFrame(1, b"test", flags=["END_STREAM"]))
    await c.expect_connection_error(E.PROTOCOL_ERROR)


@case("http2/6.10/3", "Sends a CONTINUATION frame with 0x0 stream identifier")
async def _continuation_stream_0(c: Client) -> None:
    await c.send(c.headers(1, end_headers=False))
    await c.send(raw(0x9, 0x4, 0, c.block([], (b"x-dummy", b"1"))))
    await c.expect_connection_error(E.PROTOCOL_ERROR)


@case("http2/6.10/4", "Sends a CONTINUATION frame preceded by a HEADERS frame with END_HEADERS")
async def _continuation_after_end_headers(c: Client) -> None:
    await c.send(c.headers(1))
    await c.send(ContinuationFrame(1, c.block([], (b"x-dummy", b"1")), flags=["END_HEADERS"]))
    await c.expect_connection_error(E.PROTOCOL_ERROR, E.STREAM_CLOSED)


@case("http2/6.10/5", "Sends a CONTINUATION frame preceded by a CONTINUATION with END_HEADERS")
async def _continuation_after_continuation(c: Client) -> None:
    await c.send(c.headers(1, end_headers=False))
    await c.send(ContinuationFrame(1, c.block([], (b"x-dummy", b"1")), flags=["END_HEADERS"]))
    await c.send(ContinuationFrame(1, c.block([], (b"x-dummy", b"2")), flags=["END_HEADERS"]))
    await c.expect_connection_error(E.PROTOCOL_ERROR, E.STREAM_CLOSED)


@case("http2/6.10/6", "Sends a CONTINUATION frame preceded by a DATA frame")
async def _continuation_after_data(c: Client) -> None:
    await c.send(c.headers(1, end_stream=False, method=b"POST"), DataFrame(1, b"test"))
    await c.send(ContinuationFrame(1, c.block([], (b"x-dummy", b"1")), flags=["END_HEADERS"]))
    await c.expect_connection_error(E.PROTOCOL_ERROR)


# -- 8.1 HTTP Request/Response Exchange, 8.1.2 HTTP Header Fields ---------------


@case("http2/8.1/1", "Sends a second HEADERS frame without the END_STREAM flag")
async def _second_headers_no_end(c: Client) -> None:
    await c.send(c.headers(1, end_stream=False, method=b"POST"), DataFrame(1, b"test"))
    await c.send(HeadersFrame(1, c.block([], (b"x-test", b"ok")), flags=["END_HEADERS"]))
    await c.expect_goaway_for_stream_error(1, E.PROTOCOL_ERROR)


async def _malformed(c: Client, block: bytes) -> None:
    await c.send(HeadersFrame(1, block, flags=["END_HEADERS", "END_STREAM"]))
    await c.expect_goaway_for_stream_error(1, E.PROTOCOL_ERROR)
    assert not c.response_headers(1), "a malformed request never reaches the application"


@case("http2/8.1.2/1", "Sends a HEADERS frame that contains the header field name in uppercase")
async def _uppercase_name(c: Client) -> None:
    await _malformed(c, c.block(None, (b"X-TEST", b"ok")))


@case("http2/8.1.2.1/1", "Sends a HEADERS frame that contains a unknown pseudo-header field")
async def _unknown_pseudo(c: Client) -> None:
    await _malformed(c, c.block(None, (b":test", b"ok")))


@case("http2/8.1.2.1/2", "Sends a HEADERS frame that contains the pseudo-header field for response")
async def _status_in_request(c: Client) -> None:
    await _malformed(c, c.block(None, (b":status", b"200")))


@case("http2/8.1.2.1/3", "Sends a HEADERS frame that contains a pseudo-header field as trailers")
async def _pseudo_in_trailers(c: Client) -> None:
    await c.send(c.headers(1, end_stream=False, method=b"POST"), DataFrame(1, b"test"))
    await c.send(
        HeadersFrame(1, c.block([], (b":method", b"POST")), flags=["END_HEADERS", "END_STREAM"])
    )
    await c.expect_goaway_for_stream_error(1, E.PROTOCOL_ERROR)


@case("http2/8.1.2.1/4", "Sends a HEADERS frame that contains a pseudo-header after regular header")
async def _pseudo_after_regular(c: Client) -> None:
    await _malformed(c, c.block([(b"x-test", b"ok"), *common()]))


@case("http2/8.1.2.2/1", "Sends a HEADERS frame that contains the connection-specific header field")
async def _connection_field(c: Client) -> None:
    await _malformed(c, c.block(None, (b"connection", b"keep-alive")))


@case("http2/8.1.2.2/2", 'Sends a HEADERS frame that contains the TE header other than "trailers"')
async def _te_not_trailers(c: Client) -> None:
    await _malformed(c, c.block(None, (b"trailers", b"test"), (b"te", b"trailers, deflate")))


_GET, _SCHEME, _PATH, _AUTHORITY = common()
_PSEUDO_CASES: list[tuple[str, str, list[Header]]] = [
    ("1", 'Sends a HEADERS frame with empty ":path"', [_GET, _SCHEME, (b":path", b""), _AUTHORITY]),
    ("2", 'Sends a HEADERS frame that omits ":method"', [_SCHEME, _PATH, _AUTHORITY]),
    ("3", 'Sends a HEADERS frame that omits ":scheme"', [_GET, _PATH, _AUTHORITY]),
    ("4", 'Sends a HEADERS frame that omits ":path"', [_GET, _SCHEME, _AUTHORITY]),
    ("5", 'Sends a HEADERS frame with duplicated ":method"', [*common(), _GET]),
    ("6", 'Sends a HEADERS frame with duplicated ":scheme"', [*common(), _SCHEME]),
    ("7", 'Sends a HEADERS frame with duplicated ":path"', [*common(), _PATH]),
]


def _pseudo_case(fields: list[Header]) -> CaseRun:
    async def run(c: Client) -> None:
        await _malformed(c, c.block(fields))

    return run


for _number, _title, _fields in _PSEUDO_CASES:
    case(f"http2/8.1.2.3/{_number}", _title)(_pseudo_case(_fields))


@case("http2/8.1.2.6/1", 'Sends a HEADERS frame with the "content-length" header field')
async def _content_length_mismatch(c: Client) -> None:
    block = c.block(common(b"POST"), (b"content-length", b"1"))
    await c.send(HeadersFrame(1, block, flags=["END_HEADERS"]))
    await c.send(DataFrame(1, b"test", flags=["END_STREAM"]))
    await c.expect_goaway_for_stream_error(1, E.PROTOCOL_ERROR)


@case("http2/8.1.2.6/2", 'Sends a HEADERS frame with "content-length" and multiple DATA frames')
async def _content_length_mismatch_sum(c: Client) -> None:
    block = c.block(common(b"POST"), (b"content-length", b"1"))
    await c.send(HeadersFrame(1, block, flags=["END_HEADERS"]))
    await c.send(DataFrame(1, b"test"), DataFrame(1, b"test", flags=["END_STREAM"]))
    await c.expect_goaway_for_stream_error(1, E.PROTOCOL_ERROR)


@case("http2/8.2/1", "Sends a PUSH_PROMISE frame")
async def _push_promise(c: Client) -> None:
    frame = PushPromiseFrame(1, promised_stream_id=3, data=c.block(), flags=["END_HEADERS"])
    await c.send(frame)
    await c.expect_connection_error(E.PROTOCOL_ERROR)


# -- HPACK -----------------------------------------------------------------------


async def _compression_error(c: Client, block: bytes) -> None:
    await c.send(HeadersFrame(1, block, flags=["END_HEADERS", "END_STREAM"]))
    await c.expect_connection_error(E.COMPRESSION_ERROR)


@case("hpack/2.3.3/1", "Sends a indexed header field representation with invalid index")
async def _bad_index(c: Client) -> None:
    await _compression_error(c, c.block() + b"\xfe")


@case("hpack/2.3.3/2", "Sends a literal header field representation with invalid index")
async def _bad_literal_index(c: Client) -> None:
    # A literal with incremental indexing naming index 70, with an empty value.
    await _compression_error(c, c.block() + b"\x7f\x07\x00")


@case("hpack/4.2/1", "Sends a dynamic table size update at the end of header block")
async def _late_table_update(c: Client) -> None:
    await _compression_error(c, c.block() + b"\x21")


@case("hpack/5.2/1", "Sends a Huffman-encoded string literal representation with padding > 7 bits")
async def _long_padding(c: Client) -> None:
    await _compression_error(c, c.block() + b"\x00\x85\xf2\xb2\x4a\x84\xff\x84\x49\x50\x9f\xff")


@case("hpack/5.2/2", "Sends a Huffman-encoded string literal padded by zero")
async def _zero_padding(c: Client) -> None:
    await _compression_error(c, c.block() + b"\x00\x85\xf2\xb2\x4a\x84\xff\x83\x49\x50\x90")


@case("hpack/5.2/3", "Sends a Huffman-encoded string literal representation containing the EOS")
async def _eos(c: Client) -> None:
    await _compression_error(c, c.block() + b"\x00\x85\xf2\xb2\x4a\x87\xff\xff\xff\xfd\x25\x42\x7f")


@case("hpack/6.1/1", "Sends a indexed header field representation with index 0")
async def _index_0(c: Client) -> None:
    await _compression_error(c, c.block() + b"\x80")


@case("hpack/6.3/1", "Sends a dynamic table size update larger than the value in SETTINGS")
async def _table_update_too_big(c: Client) -> None:
    await _compression_error(c, b"\x3f\xe2\x1f" + c.block())


# -- generic/2 Streams and Multiplexing ---------------------------------------------


@case("generic/2/1", "Sends a PRIORITY frame on idle stream")
async def _priority_idle(c: Client) -> None:
    await c.send(PriorityFrame(1, depends_on=0, stream_weight=255), ping())
    await c.expect_ping_ack()


async def _blocked_response(c: Client) -> None:
    """Window 0, then a request: stream 1 answered with HEADERS, its DATA held back."""
    await c.send(settings(initial_window_size=0))
    await c.read_until(lambda: c.settings(ack=True) is not None)
    await c.send(c.headers(1))
    await c.read_until(lambda: bool(c.response_headers(1)) or c.goaway() is not None)
    assert c.response_headers(1) and not c.data_frames(1), c.frames


@case("generic/2/2", "Sends a WINDOW_UPDATE frame on half-closed (remote) stream")
async def _window_update_half_closed(c: Client) -> None:
    await _blocked_response(c)
    await c.send(WindowUpdateFrame(1, window_increment=1))
    await c.expect_data(1, [1])


@case("generic/2/3", "Sends a PRIORITY frame on half-closed (remote) stream")
async def _priority_half_closed(c: Client) -> None:
    await _blocked_response(c)
    await c.send(PriorityFrame(1, depends_on=0, stream_weight=255))
    await c.send(WindowUpdateFrame(1, window_increment=1))
    await c.expect_data(1, [1])


@case("generic/2/4", "Sends a RST_STREAM frame on half-closed (remote) stream")
async def _rst_half_closed(c: Client) -> None:
    await _blocked_response(c)
    await c.send(RstStreamFrame(1, error_code=E.CANCEL), ping())
    await c.expect_ping_ack()


@case("generic/2/5", "Sends a PRIORITY frame on closed stream")
async def _priority_closed(c: Client) -> None:
    await _closed_stream(c)
    await c.send(PriorityFrame(1, depends_on=0, stream_weight=255), ping())
    await c.expect_ping_ack()


# -- generic/3 Frame Definitions -------------------------------------------------------


@case("generic/3.1/1", "Sends a DATA frame")
async def _data(c: Client) -> None:
    await c.send(c.headers(1, end_stream=False, method=b"POST"))
    await c.send(DataFrame(1, b"test", flags=["END_STREAM"]))
    await c.expect_response(1)


@case("generic/3.1/2", "Sends multiple DATA frames")
async def _datas(c: Client) -> None:
    await c.send(c.headers(1, end_stream=False, method=b"POST"))
    await c.send(DataFrame(1, b"test"), DataFrame(1, b"test", flags=["END_STREAM"]))
    await c.expect_response(1)


@case("generic/3.1/3", "Sends a DATA frame with padding")
async def _data_padded(c: Client) -> None:
    await c.send(c.headers(1, end_stream=False, method=b"POST"))
    padded = DataFrame(1, b"test", flags=["END_STREAM", "PADDED"])
    padded.pad_length = 6
    await c.send(padded)
    await c.expect_response(1)


@case("generic/3.2/1", "Sends a HEADERS frame")
async def _headers(c: Client) -> None:
    await c.send(c.headers(1))
    await c.expect_response(1)


@case("generic/3.2/2", "Sends a HEADERS frame with padding")
async def _headers_padded(c: Client) -> None:
    frame = c.headers(1)
    frame.flags.add("PADDED")
    frame.pad_length = 8
    await c.send(frame)
    await c.expect_response(1)


@case("generic/3.2/3", "Sends a HEADERS frame with priority")
async def _headers_priority(c: Client) -> None:
    frame = c.headers(1)
    frame.flags.add("PRIORITY")
    frame.depends_on, frame.stream_weight = 0, 255
    await c.send(frame)
    await c.expect_response(1)


def _priority_then_request(depends_on: int, weight: int, exclusive: bool, stream: int) -> CaseRun:
    async def run(c: Client) -> None:
        priority = PriorityFrame(
            stream, depends_on=depends_on, stream_weight=weight, exclusive=exclusive
        )
        await c.send(priority, c.headers(1))
        await c.expect_response(1)

    return run


case("generic/3.3/1", "Sends a PRIORITY frame with priority 1")(
    _priority_then_request(0, 0, False, 1)
)
case("generic/3.3/2", "Sends a PRIORITY frame with priority 256")(
    _priority_then_request(0, 255, False, 1)
)
case("generic/3.3/3", "Sends a PRIORITY frame with stream dependency")(
    _priority_then_request(1, 0, False, 3)
)
case("generic/3.3/4", "Sends a PRIORITY frame with exclusive")(
    _priority_then_request(0, 0, True, 1)
)


@case("generic/3.4/1", "Sends a RST_STREAM frame")
async def _rst(c: Client) -> None:
    await c.send(c.headers(1, end_stream=False), RstStreamFrame(1, error_code=E.CANCEL), ping())
    await c.expect_ping_ack()


@case("generic/3.8/1", "Sends a GOAWAY frame")
async def _goaway(c: Client) -> None:
    await c.send(GoAwayFrame(0, last_stream_id=0, error_code=E.NO_ERROR, additional_data=b"h2spec"))
    await c.read_until(lambda: False)
    assert c.closed
    goaway = c.goaway()
    assert goaway is None or goaway.error_code == E.NO_ERROR, c.frames


@case("generic/3.9/1", "Sends a WINDOW_UPDATE frame with stream ID 0")
async def _window_update_connection(c: Client) -> None:
    await c.send(WindowUpdateFrame(0, window_increment=1), ping())
    await c.expect_ping_ack()


@case("generic/3.9/2", "Sends a WINDOW_UPDATE frame with stream ID 1")
async def _window_update_stream(c: Client) -> None:
    await c.send(c.headers(1), WindowUpdateFrame(1, window_increment=1))
    await c.expect_response(1)


@case("generic/3.10/1", "Sends a CONTINUATION frame")
async def _continuation(c: Client) -> None:
    await c.send(c.headers(1, end_headers=False))
    await c.send(ContinuationFrame(1, c.block([], (b"x-dummy", b"1")), flags=["END_HEADERS"]))
    await c.expect_response(1)


# -- generic/4 HTTP Message Exchanges ----------------------------------------------------


@case("generic/4/1", "Sends a GET request")
async def _get(c: Client) -> None:
    await c.send(c.headers(1))
    await c.expect_data(1, [len(GREETING)])
    assert c.data_frames(1)[0].data == GREETING


@case("generic/4/2", "Sends a HEAD request")
async def _head(c: Client) -> None:
    await c.send(c.headers(1, method=b"HEAD"))
    await c.read_until(lambda: c.ended(1) or c.goaway() is not None)
    assert c.ended(1) and c.response_headers(1), c.frames
    assert not any(f.data for f in c.data_frames(1)), "a HEAD response has no content"
    await c.expect_alive()


@case("generic/4/3", "Sends a POST request")
async def _post(c: Client) -> None:
    await c.send(c.headers(1, end_stream=False, method=b"POST"))
    await c.send(DataFrame(1, b"test", flags=["END_STREAM"]))
    await c.expect_response(1)


@case("generic/4/4", "Sends a POST request with trailers")
async def _post_trailers(c: Client) -> None:
    block = c.block(common(b"POST"), (b"trailer", b"x-test"))
    await c.send(HeadersFrame(1, block, flags=["END_HEADERS"]), DataFrame(1, b"test"))
    await c.send(
        HeadersFrame(1, c.block([], (b"x-test", b"ok")), flags=["END_HEADERS", "END_STREAM"])
    )
    await c.expect_response(1)


# -- generic/5 HPACK (representations that must be accepted) -----------------------------

_REPRESENTATIONS: list[tuple[str, bytes]] = [
    ("Sends a indexed header field representation", b"\xba"),
    ("Sends a literal header field with indexing - indexed name", b"\x7a\x06h2spec"),
    (
        "Sends a literal header field with indexing - indexed name (with Huffman)",
        b"\x7a\x84\x9c\x48\xac\xa4",
    ),
    ("Sends a literal header field with indexing - new name", b"\x40\x06x-test\x06h2spec"),
    (
        "Sends a literal header field with indexing - new name (with Huffman)",
        b"\x40\x85\xf2\xb2\x4a\x84\xff\x84\x9c\x48\xac\xa4",
    ),
    ("Sends a literal header field without indexing - indexed name", b"\x0f\x2b\x06h2spec"),
    (
        "Sends a literal header field without indexing - indexed name (with Huffman)",
        b"\x0f\x2b\x84\x9c\x48\xac\xa4",
    ),
    ("Sends a literal header field without indexing - new name", b"\x00\x06x-test\x06h2spec"),
    (
        "Sends a literal header field without indexing - new name (huffman encoded)",
        b"\x00\x85\xf2\xb2\x4a\x84\xff\x84\x9c\x48\xac\xa4",
    ),
    ("Sends a literal header field never indexed - indexed name", b"\x1f\x2b\x06h2spec"),
    (
        "Sends a literal header field never indexed - indexed name (huffman encoded)",
        b"\x1f\x2b\x84\x9c\x48\xac\xa4",
    ),
    ("Sends a literal header field never indexed - new name", b"\x10\x06x-test\x06h2spec"),
    (
        "Sends a literal header field never indexed - new name (huffman encoded)",
        b"\x10\x85\xf2\xb2\x4a\x84\xff\x84\x9c\x48\xac\xa4",
    ),
    ("Sends a dynamic table size update", b"\x20"),
    ("Sends multiple dynamic table size update", b"\x20\x3f\xe1\x1f"),
]


def _representation_case(representation: bytes) -> CaseRun:
    async def run(c: Client) -> None:
        # Table size updates must open a block (RFC 7541 section 4.2); the rest follow it.
        update = representation[0] & 0xE0 == 0x20
        block = representation + c.block() if update else c.block() + representation
        await c.send(HeadersFrame(1, block, flags=["END_HEADERS", "END_STREAM"]))
        await c.expect_data(1, [len(GREETING)])

    return run


for _index, (_title, _representation) in enumerate(_REPRESENTATIONS, 1):
    case(f"generic/5/{_index}", _title)(_representation_case(_representation))


# ---------------------------------------------------------------------------
# Running the cases
# ---------------------------------------------------------------------------


def _params() -> list[object]:
    params: list[object] = []
    for item in sorted(CASES, key=lambda c: _sort_key(c.id)):
        marks = []
        if item.bug is not None:
            marks.append(pytest.mark.xfail(strict=True, reason=f"bug: {item.bug}"))
        params.append(pytest.param(item, id=item.id, marks=marks))
    return params


def _sort_key(case_id: str) -> tuple[object, ...]:
    family, section, number = case_id.split("/")
    return (family, tuple(int(n) for n in section.split(".")), int(number))


@pytest.fixture(scope="module")
def tls() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a test certificate, and a client context trusting it."""
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    client.set_alpn_protocols(["h2"])
    return server, client


async def _connect(
    nursery: trio.Nursery, item: Case, tls: tuple[ssl.SSLContext, ssl.SSLContext]
) -> trio.abc.Stream:
    server_context, client_context = tls
    context = server_context if item.tls else None
    address: Address = await nursery.start(partial(serve_http, "127.0.0.1", 0, ssl_context=context))
    stream: trio.abc.Stream = await trio.open_tcp_stream(*address)
    if item.tls:
        stream = trio.SSLStream(stream, client_context, server_hostname="127.0.0.1")
        await stream.do_handshake()
        assert stream.selected_alpn_protocol() == "h2"
    return stream


@pytest.mark.parametrize("item", _params())
async def test_h2spec_case(
    nursery: trio.Nursery, tls: tuple[ssl.SSLContext, ssl.SSLContext], item: Case
) -> None:
    with trio.fail_after(4 * ANSWER_TIMEOUT):
        stream = await _connect(nursery, item, tls)
        async with stream:
            client = Client(stream)
            if item.handshake:
                await client.handshake()
            await item.run(client)


def test_every_h2spec_case_is_here() -> None:
    """Each h2spec section has all its cases, each id once."""
    ids = [item.id for item in CASES]
    assert len(ids) == len(set(ids))
    assert Counter(item.section for item in CASES) == Counter(H2SPEC_SECTIONS)
    for item in CASES:
        number = int(item.id.rpartition("/")[2])
        assert 1 <= number <= H2SPEC_SECTIONS[item.section], item.id


def test_non_strict_cases_name_real_cases() -> None:
    """Every NON_STRICT/DEVIATIONS entry matches at least one case here."""
    for pattern in [*NON_STRICT, *DEVIATIONS]:
        assert any(fnmatch.fnmatch(item.id, pattern) for item in CASES), pattern
    assert sum(item.non_strict is not None for item in CASES) > 0
