"""The fuzzing client of the WebSocket corpus, and its judge, for any server.

:class:`FuzzingClient` plays Autobahn|Testsuite's fuzzing client: it writes
masked frames exactly as a corpus case says (reserved bits, opcodes and all),
compresses with zlib for permessage-deflate, and reads what the server sends
back strictly (no mask, minimal lengths, RSV1 only where agreed, the agreed
LZ77 window, UTF-8 text), turning it into Autobahn's observations:
``("message", payload, binary)``, ``("pong", payload)``, ``("close", code,
reason)``, ``("eof",)``. A server that breaks a rule of the wire format raises
:class:`ServerMisbehaved`, which a runner records as a problem of the case.

It has no I/O of its own: :func:`run_live` drives it over a blocking loopback
socket against a live server, and the Sans-IO harness of the tests feeds it
from a server machine. :func:`judge` decides a case from what the client
observed alone, the way Autobahn's ``Case.onConnectionLost`` does.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import random
import secrets
import socket
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from servers.conform.ws_corpus import Case, expand, message_payloads

__all__ = [
    "chop_elements",
    "NON_STRICT",
    "Agreed",
    "Boundary",
    "CaseTimeout",
    "FuzzingClient",
    "Observation",
    "Outcome",
    "ServerMisbehaved",
    "Unsupported",
    "Wire",
    "expected",
    "frame_bytes",
    "judge",
    "run_live",
    "xor",
]

Observation = tuple[Any, ...]

#: Problems Autobahn reports as NON-STRICT rather than FAILED end with this.
NON_STRICT = "(non-strict)"

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class ServerMisbehaved(Exception):
    """The server sent something RFC 6455 or RFC 7692 forbids; the message says what."""


class Unsupported(Exception):
    """The case needs a feature the server declined (permessage-deflate)."""


class CaseTimeout(Exception):
    """The case did not end within its time limit."""


def xor(data: bytes, key: bytes) -> bytes:
    """``data`` masked with the 4-octet ``key`` (RFC 6455 section 5.3)."""
    size = len(data)
    stream = (key * (size // 4 + 1))[:size]
    return (int.from_bytes(data, "big") ^ int.from_bytes(stream, "big")).to_bytes(size, "big")


def frame_bytes(
    opcode: int, payload: bytes, *, fin: bool = True, rsv: int = 0, key: bytes
) -> bytes:
    """A masked frame, the shortest length form (RFC 6455 section 5.2)."""
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    size = len(payload)
    if size < 126:
        head = bytes((first, 0x80 | size))
    elif size < 65536:
        head = bytes((first, 0xFE)) + size.to_bytes(2, "big")
    else:
        head = bytes((first, 0xFF)) + size.to_bytes(8, "big")
    return head + key + xor(payload, key)


_DEFLATE_PARAMS = (
    "server_no_context_takeover",
    "client_no_context_takeover",
    "server_max_window_bits",
    "client_max_window_bits",
)


@dataclass
class Agreed:
    """permessage-deflate as the server's response states it (parsed here, independently)."""

    server_no_context_takeover: bool = False
    client_no_context_takeover: bool = False
    server_max_window_bits: int = 15
    client_max_window_bits: int = 15

    @classmethod
    def parse(cls, value: str) -> Agreed:
        """The server's ``Sec-WebSocket-Extensions`` answer.

        Raises:
            ServerMisbehaved: an extension or parameter the client did not
                offer (RFC 6455 section 9.1, RFC 7692 section 7.1).
        """
        name, *params = (part.strip() for part in value.split(";"))
        if name != "permessage-deflate" or "," in value:
            raise ServerMisbehaved(f"the server agreed to an extension not offered: {value!r}")
        agreed = cls()
        for param in params:
            key, _, number = param.partition("=")
            key = key.strip()
            if key not in _DEFLATE_PARAMS:
                raise ServerMisbehaved(f"unknown permessage-deflate parameter {param!r}")
            if key.endswith("no_context_takeover"):
                setattr(agreed, key, True)
                continue
            bits = number.strip().strip('"')
            if not (bits.isascii() and bits.isdigit()) or not 8 <= int(bits) <= 15:
                raise ServerMisbehaved(f"bad window bits {param!r} (RFC 7692 section 7.1.2)")
            setattr(agreed, key, int(bits))
        return agreed


#: The most octets one received message may inflate to: 4x the largest
#: message the corpus echoes (16 MiB, section 9).
MAX_INFLATED: Final = 64 << 20


@dataclass
class FuzzingClient:
    """The client side: builds what a case sends, reads what the server answers."""

    deflate: Agreed | None = None
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    observations: list[Observation] = field(default_factory=list)
    sent_close: bytes | None = None
    #: The server's Close came before ours: the server started the closing handshake.
    server_closed_first: bool = False
    buffer: bytes = b""
    eof: bool = False
    after_eof: bytes = b""
    _compressor: Any = None
    _decompressor: Any = None
    _message: list[bytes] | None = None
    _message_opcode: int = 0
    _message_compressed: bool = False

    # -- writing --------------------------------------------------------

    def key(self) -> bytes:
        return self.rng.randbytes(4)

    def compress(self, data: bytes, *, fin: bool) -> bytes:
        """``data`` through the client's compressor (RFC 7692 section 7.2.1)."""
        if self.deflate is None:
            raise Unsupported("the case compresses but permessage-deflate was not agreed")
        if self._compressor is None:
            # zlib cannot write with an 8-bit window; 9 stays within a peer's 8 (RFC 7692 7.1.2.2).
            bits = self.deflate.client_max_window_bits
            self._compressor = zlib.compressobj(6, zlib.DEFLATED, -max(bits, 9))
        out: bytes = self._compressor.compress(data) + self._compressor.flush(zlib.Z_SYNC_FLUSH)
        if fin:
            # The message ends with an empty stored block whose tail is removed (7.2.1).
            out = out.removesuffix(b"\x00\x00\xff\xff")
            if self.deflate.client_no_context_takeover:
                self._compressor = None
        return out

    def element(self, spec: dict[str, Any]) -> bytes:
        """One ``send`` element of a step as octets."""
        if "raw" in spec:
            return bytes.fromhex(spec["raw"])
        opcode, fin, rsv = spec["opcode"], spec.get("fin", True), spec.get("rsv", 0)
        payload = expand(spec["payload"]) if "payload" in spec else b""
        if spec.get("compress"):
            if opcode != 0:
                rsv |= 4
            payload = self.compress(payload, fin=fin)
        if opcode == 8 and rsv == 0 and self.sent_close is None:
            # A Close with reserved bits set is a fault to fail on, not a close (case 3.7).
            self.sent_close = payload
        return frame_bytes(opcode, payload, fin=fin, rsv=rsv, key=self.key())

    def message(
        self, payload: bytes, *, binary: bool, fragment_size: int, compress: bool
    ) -> list[bytes]:
        """A whole message as frames (compressed first, then cut, as Autobahn does)."""
        opcode = 2 if binary else 1
        rsv = 0
        if compress:
            payload = self.compress(payload, fin=True)
            rsv = 4
        if not fragment_size or len(payload) <= fragment_size:
            return [frame_bytes(opcode, payload, rsv=rsv, key=self.key())]
        pieces = [payload[i : i + fragment_size] for i in range(0, len(payload), fragment_size)]
        return [
            frame_bytes(
                opcode if i == 0 else 0,
                piece,
                fin=i == len(pieces) - 1,
                rsv=rsv if i == 0 else 0,
                key=self.key(),
            )
            for i, piece in enumerate(pieces)
        ]

    def close(self, code: int) -> bytes:
        payload = code.to_bytes(2, "big")
        self.sent_close = payload
        return frame_bytes(8, payload, key=self.key())

    # -- reading --------------------------------------------------------

    def receive(self, chunks: Sequence[bytes]) -> None:
        """Octets from the server; ``b""`` is the end of the stream.

        Raises:
            ServerMisbehaved: what the server sent breaks the wire format.
        """
        for chunk in chunks:
            if self.eof:
                self.after_eof += chunk or b"<eof>"
            elif chunk == b"":
                self.eof = True
                self.observations.append(("eof",))
            else:
                self.buffer += chunk
                self._parse()

    def _parse(self) -> None:
        while True:
            data = self.buffer
            if len(data) < 2:
                return
            first, second = data[0], data[1]
            if second & 0x80:
                raise ServerMisbehaved("a masked frame (RFC 6455 section 5.1: a server must not)")
            size, start = second & 0x7F, 2
            if size == 126:
                if len(data) < 4:
                    return
                size, start = int.from_bytes(data[2:4], "big"), 4
                if size < 126:
                    raise ServerMisbehaved("a non-minimal length (RFC 6455 section 5.2)")
            elif size == 127:
                if len(data) < 10:
                    return
                size, start = int.from_bytes(data[2:10], "big"), 10
                if size < 65536 or size >> 63:
                    raise ServerMisbehaved("a non-minimal length (RFC 6455 section 5.2)")
            if len(data) < start + size:
                return
            payload, self.buffer = data[start : start + size], data[start + size :]
            self._frame(bool(first & 0x80), (first >> 4) & 7, first & 0x0F, payload)

    def _frame(self, fin: bool, rsv: int, opcode: int, payload: bytes) -> None:
        if opcode >= 8:
            # Control frames: not fragmented, at most 125 octets (RFC 6455 section 5.5).
            if not fin or rsv or len(payload) > 125:
                raise ServerMisbehaved(f"a bad control frame (opcode {opcode}, section 5.5)")
            if opcode == 10:
                self.observations.append(("pong", payload))
            elif opcode == 8:
                self._close(payload)
            else:
                raise ServerMisbehaved(f"opcode {opcode} from the server")
            return
        if opcode == 0:
            if self._message is None or rsv:
                raise ServerMisbehaved("a continuation frame of no message (section 5.4)")
        else:
            if opcode not in (1, 2):
                raise ServerMisbehaved(f"reserved opcode {opcode} (RFC 6455 section 5.2)")
            if self._message is not None:
                raise ServerMisbehaved("a new message inside a fragmented one (section 5.4)")
            if rsv not in (0, 4) or (rsv and self.deflate is None):
                raise ServerMisbehaved(f"RSV bits {rsv:03b} not agreed (RFC 6455 section 5.2)")
            self._message, self._message_opcode = [], opcode
            self._message_compressed = rsv == 4
        self._message.append(payload)
        if not fin:
            return
        data = b"".join(self._message)
        self._message = None
        if self._message_compressed:
            data = self._inflate(data)
        if self._message_opcode == 1:
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                raise ServerMisbehaved("a text message of invalid UTF-8 (section 8.1)") from None
        self.observations.append(("message", data, self._message_opcode == 2))

    def _close(self, payload: bytes) -> None:
        if len(payload) == 1:
            raise ServerMisbehaved("a Close frame of one octet (RFC 6455 section 5.5.1)")
        code = int.from_bytes(payload[:2], "big") if payload else None
        try:
            reason = payload[2:].decode("utf-8")
        except UnicodeDecodeError:
            raise ServerMisbehaved("a Close reason of invalid UTF-8 (section 5.5.1)") from None
        if self.sent_close is None:
            self.server_closed_first = True
        self.observations.append(("close", code, reason))

    def _inflate(self, data: bytes) -> bytes:
        assert self.deflate is not None  # checked when the message began
        if self._decompressor is None:
            # The agreed window exactly: a server that exceeds it fails here.
            self._decompressor = zlib.decompressobj(-self.deflate.server_max_window_bits)
        decompressor = self._decompressor
        try:
            out: bytes = decompressor.decompress(data + b"\x00\x00\xff\xff", MAX_INFLATED)
        except zlib.error as exc:
            raise ServerMisbehaved(f"a compressed message zlib rejects: {exc}") from None
        if decompressor.unconsumed_tail:
            # A server's compression bomb must not take the runner's memory.
            raise ServerMisbehaved(f"a compressed message inflating past {MAX_INFLATED} octets")
        if self.deflate.server_no_context_takeover:
            self._decompressor = None
        return out


@dataclass
class Outcome:
    """What happened to one case, as the client saw it."""

    steps: list[list[Observation]] = field(default_factory=list)
    failed_at: list[bool] = field(default_factory=list)
    client: FuzzingClient = field(default_factory=FuzzingClient)
    problems: list[str] = field(default_factory=list)
    reset: bool = False


def expected(step: dict[str, Any]) -> list[Observation]:
    """The echoes and Pongs a step must bring back, in order."""
    out: list[Observation] = []
    for kind, *rest in step["expect"]:
        if kind == "message":
            out.append(("message", expand(rest[0]), rest[1]))
        else:
            out.append(("pong", expand(rest[0])))
    return out


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) < 200 else text[:200] + "..."


def judge(case: Case, outcome: Outcome) -> list[str]:
    """What is wrong with the outcome, Autobahn's way (empty: the case passed).

    Only what a client can observe counts: the echoes and Pongs of each step,
    whether the connection was failed by the step that must fail it, the
    server's Close code against the case's codes and who closed first, the TCP
    connection closed by the server after its Close, nothing after the end, no
    reset. Problems Autobahn tolerates (NON-STRICT) end with :data:`NON_STRICT`.
    """
    problems = list(outcome.problems)
    client = outcome.client
    observations = client.observations
    closes = [o for o in observations if o[0] == "close"]
    last = len(case["steps"]) - 1
    for index, step in enumerate(case["steps"][: len(outcome.steps)]):
        if "messages" in step:
            continue
        got = [o for o in outcome.steps[index] if o[0] in ("message", "pong")]
        want = expected(step)
        if got != want:
            # A server may fail before answering what preceded the fault in the
            # same segment; Autobahn calls that NON-STRICT (its cases 3.2, 5.15).
            lenient = step.get("failed") and outcome.failed_at[index] and got == want[: len(got)]
            note = f" {NON_STRICT}" if lenient else ""
            problems.append(f"step {index}: got {_short(got)}{note}")
        if step.get("failed") and not outcome.failed_at[index]:
            # Fail fast (RFC 6455 section 8.1 for text): failing later is NON-STRICT.
            problems.append(f"step {index}: the connection was not failed by then {NON_STRICT}")
        if not step.get("failed") and outcome.failed_at[index] and index < last:
            problems.append(f"step {index}: failed too early")
    close = case["close"]
    if len(closes) != 1:
        problems.append(f"expected one Close from the server, got {_short(closes)}")
    elif closes[0][1] is not None and closes[0][1] not in close["codes"]:
        problems.append(f"close code {closes[0][1]} not in {close['codes']}")
    elif closes[0][1] is None and client.sent_close != b"":
        problems.append("an empty Close answered a Close with a code (RFC 6455 section 5.5.1)")
    if closes:
        if close["closed_by_me"] and client.server_closed_first:
            problems.append("the server closed first instead of answering our Close")
        elif not close["closed_by_me"] and not client.server_closed_first:
            problems.append("the server did not fail the connection itself")
    if outcome.reset:
        problems.append("the server reset the connection")
    if not client.eof or observations[-1] != ("eof",):
        # The server closes the TCP connection first (RFC 6455 section 7.1.1).
        problems.append("the server did not close the connection last")
    if client.after_eof:
        problems.append(f"output after the end: {client.after_eof[:40]!r}")
    return problems


# ---------------------------------------------------------------------------
# A live server over a blocking socket
# ---------------------------------------------------------------------------


class Boundary:
    """Whether the octets written so far end between two frames (a raw step may cut one)."""

    def __init__(self) -> None:
        self.head = b""
        self.payload_left = 0

    def feed(self, data: bytes) -> None:
        # By position, never copying what is left: a message of 65,536 frames
        # (case 9.3.1) would otherwise copy megabytes once per frame.
        pos, end = 0, len(data)
        while pos < end:
            if self.payload_left:
                taken = min(self.payload_left, end - pos)
                self.payload_left -= taken
                pos += taken
                continue
            piece = data[pos : pos + 14 - len(self.head)]  # a header is at most 14 octets
            self.head += piece
            pos += len(piece)
            head = self.head
            if len(head) < 2:
                continue
            size, start = head[1] & 0x7F, 2
            start += {126: 2, 127: 8}.get(size, 0) + (4 if head[1] & 0x80 else 0)
            if len(head) < start:
                continue
            if size >= 126:
                size = int.from_bytes(head[2 : 4 if size == 126 else 10], "big")
            # What the header took too much is payload: it came from this piece
            # (the head held less than a header before it), so step back over it.
            pos -= len(head) - start
            self.head = b""
            self.payload_left = size

    @property
    def clean(self) -> bool:
        return not self.head and not self.payload_left


class Wire:
    """The fuzzing client's socket: writes, and reads into the client's observations.

    Every read waits at most ``wait`` seconds; past ``deadline`` (a
    ``time.monotonic()`` value) any read or write raises :class:`CaseTimeout`.
    """

    def __init__(
        self, sock: socket.socket, client: FuzzingClient, *, wait: float, deadline: float
    ) -> None:
        self.sock = sock
        self.client = client
        self.wait = wait
        self.deadline = deadline
        self.sync = 0
        self.reset = False
        self.boundary = Boundary()

    def _left(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise CaseTimeout("the case did not end in time")
        return left

    def write(self, data: bytes) -> None:
        if self.client.eof:
            return
        self.boundary.feed(data)
        self.sock.settimeout(self._left())
        # A failed connection may refuse more: what the server said is still to be read.
        with contextlib.suppress(OSError):
            self.sock.sendall(data)

    def read_until(self, done: Callable[[], bool], wait: float | None = None) -> bool:
        """Read until ``done()``; False at the end of the stream or after ``wait`` seconds."""
        client = self.client
        until = time.monotonic() + (self.wait if wait is None else wait)
        while not done():
            if client.eof:
                return False
            left = min(until - time.monotonic(), self._left())
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(1 << 16)
            except TimeoutError:
                continue
            except OSError:
                # A reset: the server did not close cleanly (RFC 6455 section 7.1.1).
                self.reset = True
                data = b""
            client.receive([data])
        return True

    def barrier(self) -> None:
        """A Ping of ours and its Pong: the server's answers to what came before are in."""
        client = self.client
        if client.eof or client.sent_close is not None or not self.boundary.clean:
            return
        self.sync += 1
        payload = b"sync-%d" % self.sync
        self.write(frame_bytes(9, payload, key=client.key()))
        self.read_until(lambda: ("pong", payload) in client.observations)
        if ("pong", payload) in client.observations:
            client.observations.remove(("pong", payload))


def chop_elements(elements: list[bytes], chop: int | str | None) -> Iterator[bytes]:
    """A step's octets as Autobahn writes them: per frame, all at once (``"step"``), or in chops."""
    if chop == "step":
        yield b"".join(elements)
    elif isinstance(chop, int):
        for element in elements:
            for i in range(0, len(element), chop):
                yield element[i : i + chop]
    else:
        yield from elements


def _answered(client: FuzzingClient, before: int, count: int) -> bool:
    got = client.observations[before:]
    return sum(o[0] in ("message", "pong") for o in got) >= count


def _handshake(
    sock: socket.socket,
    host: str,
    path: str,
    case: Case,
    headers: Sequence[tuple[str, str]],
    wire: Wire,
) -> tuple[Agreed | None, bytes]:
    """The opening handshake (RFC 6455 section 4.1); returns the agreement and early octets."""
    key = base64.b64encode(secrets.token_bytes(16)).decode()
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        *(f"{name}: {value}" for name, value in headers),
    ]
    deflate = case.get("deflate")
    if deflate is not None:
        lines.append(f"Sec-WebSocket-Extensions: {deflate['offer']}")
    sock.settimeout(wire._left())
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        if len(head) > 1 << 16:
            raise ServerMisbehaved("a handshake answer of more than 64 KiB")
        sock.settimeout(min(wire.wait, wire._left()))
        try:
            data = sock.recv(4096)
        except TimeoutError:
            raise CaseTimeout("no handshake answer") from None
        if not data:
            raise ServerMisbehaved(f"the connection ended in the handshake: {head[:80]!r}")
        head += data
    head, _, rest = head.partition(b"\r\n\r\n")
    status, *fields = head.decode("latin-1").split("\r\n")
    if not status.startswith("HTTP/1.1 101"):
        raise ServerMisbehaved(f"the handshake was refused: {status!r}")
    answer: dict[str, str] = {}
    for line in fields:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        answer[name] = f"{answer[name]}, {value.strip()}" if name in answer else value.strip()
    # The client's checks of the answer (RFC 6455 section 4.1, items 2-6 of the answer).
    if answer.get("upgrade", "").lower() != "websocket":
        raise ServerMisbehaved(f"Upgrade is {answer.get('upgrade')!r}, not websocket")
    if "upgrade" not in (
        token.strip().lower() for token in answer.get("connection", "").split(",")
    ):
        raise ServerMisbehaved(f"Connection is {answer.get('connection')!r}, not Upgrade")
    accept = base64.b64encode(hashlib.sha1(key.encode() + _GUID).digest()).decode()
    if answer.get("sec-websocket-accept") != accept:
        raise ServerMisbehaved("a wrong Sec-WebSocket-Accept (RFC 6455 section 4.2.2)")
    if "sec-websocket-protocol" in answer:
        raise ServerMisbehaved("a subprotocol the client did not offer")
    extensions = answer.get("sec-websocket-extensions")
    if extensions is not None and deflate is None:
        raise ServerMisbehaved(f"the server agreed to an extension not offered: {extensions!r}")
    if deflate is not None and extensions is None:
        raise Unsupported("the server declined permessage-deflate")
    return (Agreed.parse(extensions) if extensions is not None else None), rest


def run_live(
    address: tuple[str, int],
    path: str,
    case: Case,
    *,
    headers: Sequence[tuple[str, str]] = (),
    timeout: float = 10.0,
    wait: float = 10.0,
    fail_wait: float = 2.0,
    batch: int = 100,
) -> Outcome:
    """Run ``case`` against the echo endpoint ``path`` of the server at ``address``.

    Each step is written as Autobahn writes it (a frame per write, or its chop
    size). After a step the client waits for what the step expects, then sends
    a Ping of its own and waits for its Pong, so whatever the server said in
    answer to the step has arrived (the sync Pong is not an observation). A step
    that must fail the connection is read until the end of the stream, for at
    most ``fail_wait`` seconds where later steps follow (Autobahn's killAfter).
    An echo loop writes ``batch`` messages before reading their echoes.

    Args:
        address: The server's (host, port).
        path: The request target of the echo endpoint.
        case: A corpus case.
        headers: Extra request header fields.
        timeout: Seconds the whole case may take.
        wait: Seconds any one wait for the server may take.
        fail_wait: Seconds to wait for a failing step to end the connection.
        batch: Messages of an echo loop written before their echoes are read.

    Raises:
        Unsupported: the case needs permessage-deflate and the server declined it.
        OSError: the server does not accept connections.
    """
    deadline = time.monotonic() + timeout
    sock = socket.create_connection(address, timeout=min(wait, timeout))
    client = FuzzingClient()
    outcome = Outcome(client=client)
    wire = Wire(sock, client, wait=wait, deadline=deadline)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        host = f"[{address[0]}]" if ":" in address[0] else address[0]
        client.deflate, rest = _handshake(sock, f"{host}:{address[1]}", path, case, headers, wire)
        if rest:
            client.receive([rest])
        _run_steps(case, client, outcome, wire, fail_wait, batch)
    except ServerMisbehaved as exc:
        outcome.problems.append(f"the server misbehaved: {exc}")
    except CaseTimeout as exc:
        outcome.problems.append(f"{exc} ({timeout:g} s)")
    finally:
        sock.close()
    outcome.reset = wire.reset
    return outcome


def _run_steps(
    case: Case,
    client: FuzzingClient,
    outcome: Outcome,
    wire: Wire,
    fail_wait: float,
    batch: int,
) -> None:
    last = len(case["steps"]) - 1
    for index, step in enumerate(case["steps"]):
        if client.eof:
            break  # Autobahn sends later parts only while the connection is open
        before = len(client.observations)
        if "messages" in step:
            spec = step["messages"]
            payloads = list(message_payloads(spec))
            for start in range(0, len(payloads), batch):
                group = payloads[start : start + batch]
                seen = len(client.observations)
                for payload in group:
                    frames = client.message(
                        payload,
                        binary=spec["binary"],
                        fragment_size=spec.get("fragment_size", 0),
                        compress=spec.get("compress", False),
                    )
                    wire.write(b"".join(frames))
                want_count = seen + len(group)
                wire.read_until(lambda: len(client.observations) >= want_count)  # noqa: B023
                got = client.observations[seen:]
                want = [("message", payload, spec["binary"]) for payload in group]
                if got != want:
                    outcome.problems.append(f"echo differs at message {start}: {len(got)} seen")
                    break
            outcome.steps.append([])
        else:
            elements = [client.element(element) for element in step["send"]]
            for chunk in chop_elements(elements, step.get("chop")):
                wire.write(chunk)
            count = len(step["expect"])
            wire.read_until(lambda: _answered(client, before, count))  # noqa: B023
            if step.get("failed") or client.sent_close is not None:
                wire.read_until(lambda: False, None if index == last else fail_wait)
            else:
                wire.barrier()
            outcome.steps.append(client.observations[before:])
        outcome.failed_at.append(client.eof)
    close = case["close"]
    if close["closed_by_me"] and client.sent_close is None and not client.eof:
        wire.write(client.close(close["codes"][0]))
    wire.read_until(lambda: False)
