"""A WebSocket peer written for the tests alone, independent of ``wire.ws``.

It plays the Autobahn fuzzing client against our server machine: it writes
masked frames exactly as a corpus case says (reserved bits, opcodes and all),
compresses with zlib for permessage-deflate, and reads what the server sends
back strictly (no mask, minimal lengths, RSV1 only where allowed, the agreed
LZ77 window, UTF-8 text), turning it into Autobahn's observations:
``("message", payload, binary)``, ``("pong", payload)``, ``("close", code,
reason)``, ``("eof",)``.

:func:`run_case` drives one corpus case through a :class:`wire.ws.WSConnection`
server with an echo application and returns what happened; :func:`verdict`
judges it the way Autobahn's ``Case.onConnectionLost`` does.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from spec.ws.corpus import RAW_MASK, dataset, expand

from wire import ws
from wire.http import Request

Observation = tuple[Any, ...]

#: Feeding modes: Autobahn's writes (a frame per write, or its chop size),
#: everything of a step in one call, the same with the connection's fast path
#: off (every frame through wsproto), one octet per call.
MODES = ("autobahn", "whole", "wsproto", "bytewise")
#: Cases with more input than this skip the one-octet-per-call mode (time).
BYTEWISE_LIMIT = 16 << 10


def xor(data: bytes, key: bytes) -> bytes:
    size = len(data)
    stream = (key * (size // 4 + 1))[:size]
    return (int.from_bytes(data, "big") ^ int.from_bytes(stream, "big")).to_bytes(size, "big")


def frame_bytes(
    opcode: int, payload: bytes, *, fin: bool = True, rsv: int = 0, key: bytes
) -> bytes:
    """A masked frame, the shortest length form."""
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    size = len(payload)
    if size < 126:
        head = bytes((first, 0x80 | size))
    elif size < 65536:
        head = bytes((first, 0xFE)) + size.to_bytes(2, "big")
    else:
        head = bytes((first, 0xFF)) + size.to_bytes(8, "big")
    return head + key + xor(payload, key)


@dataclass
class Agreed:
    """permessage-deflate as the server's response states it (parsed here, independently)."""

    server_no_context_takeover: bool = False
    client_no_context_takeover: bool = False
    server_max_window_bits: int = 15
    client_max_window_bits: int = 15

    @classmethod
    def parse(cls, value: str) -> Agreed:
        name, *params = (part.strip() for part in value.split(";"))
        assert name == "permessage-deflate", value
        agreed = cls()
        for param in params:
            key, _, number = param.partition("=")
            if key.endswith("no_context_takeover"):
                setattr(agreed, key, True)
            else:
                setattr(agreed, key, int(number))
        return agreed


@dataclass
class FuzzingClient:
    """The client side: builds what a case sends, reads what the server answers."""

    deflate: Agreed | None = None
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    observations: list[Observation] = field(default_factory=list)
    sent_close: bytes | None = None
    buffer: bytes = b""
    eof: bool = False
    after_eof: bytes = b""
    _compressor: Any = None
    _decompressor: Any = None
    _message: list[bytes] | None = None
    _message_opcode: int = 0
    _message_compressed: bool = False
    _sending_compressed: bool = False

    # -- writing --------------------------------------------------------

    def key(self) -> bytes:
        return self.rng.randbytes(4)

    def compress(self, data: bytes, *, fin: bool) -> bytes:
        assert self.deflate is not None
        if self._compressor is None:
            bits = self.deflate.client_max_window_bits
            self._compressor = zlib.compressobj(6, zlib.DEFLATED, -max(bits, 9))
        out = self._compressor.compress(data) + self._compressor.flush(zlib.Z_SYNC_FLUSH)
        if fin:
            assert out.endswith(b"\x00\x00\xff\xff")
            out = out[:-4]
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
                self._sending_compressed = True
                rsv |= 4
            payload = self.compress(payload, fin=fin)
        if opcode == 8 and self.sent_close is None:
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

    def receive(self, chunks: list[bytes]) -> None:
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
            assert not second & 0x80, "a server must not mask (RFC 6455 section 5.1)"
            size, start = second & 0x7F, 2
            if size == 126:
                if len(data) < 4:
                    return
                size, start = int.from_bytes(data[2:4], "big"), 4
                assert size >= 126, "non-minimal length"
            elif size == 127:
                if len(data) < 10:
                    return
                size, start = int.from_bytes(data[2:10], "big"), 10
                assert size >= 65536, "non-minimal length"
            if len(data) < start + size:
                return
            payload, self.buffer = data[start : start + size], data[start + size :]
            self._frame(bool(first & 0x80), (first >> 4) & 7, first & 0x0F, payload)

    def _frame(self, fin: bool, rsv: int, opcode: int, payload: bytes) -> None:
        if opcode >= 8:
            assert fin and rsv == 0 and len(payload) <= 125, "bad control frame"
            if opcode == 10:
                self.observations.append(("pong", payload))
            elif opcode == 8:
                code = int.from_bytes(payload[:2], "big") if payload else None
                self.observations.append(("close", code, payload[2:].decode("utf-8")))
            else:
                raise AssertionError(f"the server sent opcode {opcode}")
            return
        if opcode == 0:
            assert self._message is not None and rsv == 0, "bad continuation"
        else:
            assert opcode in (1, 2) and self._message is None, f"bad data frame {opcode}"
            assert rsv in (0, 4) and (rsv == 0 or self.deflate is not None), "bad RSV"
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
            data.decode("utf-8")  # must be valid
        self.observations.append(("message", data, self._message_opcode == 2))

    def _inflate(self, data: bytes) -> bytes:
        assert self.deflate is not None
        if self._decompressor is None:
            # The agreed window exactly: a server that exceeds it fails here.
            self._decompressor = zlib.decompressobj(-self.deflate.server_max_window_bits)
        out: bytes = self._decompressor.decompress(data + b"\x00\x00\xff\xff")
        if self.deflate.server_no_context_takeover:
            self._decompressor = None
        return out


@dataclass
class Outcome:
    """What happened to one case."""

    steps: list[list[Observation]] = field(default_factory=list)
    failed_at: list[bool] = field(default_factory=list)
    client: FuzzingClient = field(default_factory=FuzzingClient)
    events: list[ws.Event] = field(default_factory=list)
    server: ws.WSConnection | None = None
    problems: list[str] = field(default_factory=list)


def handshake(case: dict[str, Any]) -> tuple[ws.Negotiated, Agreed | None]:
    """Our ServerHandshake answering the case's permessage-deflate offer."""
    headers = [
        (b"sec-websocket-key", b"dGhlIHNhbXBsZSBub25jZQ=="),
        (b"sec-websocket-version", b"13"),
    ]
    deflate = case.get("deflate")
    if deflate is not None:
        headers.append((b"sec-websocket-extensions", deflate["offer"].encode()))
    request = Request(
        b"GET", b"/", b"corpus.example", headers=tuple(headers), protocol=b"websocket"
    )
    server_config = ws.DeflateConfig(**deflate.get("server", {})) if deflate else None
    switch, negotiated = ws.ServerHandshake(request).accept(deflate=server_config)
    answer = dict(switch.headers).get(b"sec-websocket-extensions")
    return negotiated, Agreed.parse(answer.decode()) if answer else None


def chunks(elements: list[bytes], mode: str, chop: int | str | None) -> Iterator[bytes]:
    if mode in ("whole", "wsproto") or (mode == "autobahn" and chop == "step"):
        yield b"".join(elements)
    elif mode == "bytewise":
        for element in elements:
            for i in range(len(element)):
                yield element[i : i + 1]
    elif isinstance(chop, int):
        for element in elements:
            for i in range(0, len(element), chop):
                yield element[i : i + chop]
    else:
        yield from elements


def pump(server: ws.WSConnection, client: FuzzingClient, outcome: Outcome) -> None:
    """The echo application and the wire: until nothing moves."""
    while True:
        events = server.events()
        for event in events:
            message = isinstance(event, ws.TextMessage | ws.BytesMessage)
            if message and server.state is ws.ConnectionState.OPEN:
                server.send(event)
        outcome.events += events
        out = server.data_to_send()
        client.receive(out)
        if not events and not out:
            return


def _message_source(spec: dict[str, Any]) -> Iterator[bytes]:
    size, data = spec["size"], spec["data"]
    if isinstance(data, str):
        offset = 0
        for _ in range(spec["count"]):
            yield expand({"dataset": data, "offset": offset, "length": size})
            offset = (offset + size) % len(dataset(data))
    else:
        payload = expand({"repeat": data, "length": size}) if size else b""
        for _ in range(spec["count"]):
            yield payload


def run_case(case: dict[str, Any], mode: str) -> Outcome:
    negotiated, agreed = handshake(case)
    config = ws.WSConfig(ping_interval=None, fast_path=mode != "wsproto", **case.get("config", {}))
    server = ws.WSConnection.from_handshake(negotiated, config=config)
    server.tick(0.0)
    client = FuzzingClient(agreed)
    outcome = Outcome(client=client, server=server)
    for step in case["steps"]:
        if client.eof:
            break  # Autobahn sends later parts only while the connection is open
        before = len(client.observations)
        if "messages" in step:
            spec = step["messages"]
            for payload in _message_source(spec):
                frames = client.message(
                    payload,
                    binary=spec["binary"],
                    fragment_size=spec.get("fragment_size", 0),
                    compress=spec.get("compress", False),
                )
                seen = len(client.observations)
                for chunk in chunks(frames, mode, None):
                    server.receive_data(chunk)
                    pump(server, client, outcome)
                got = client.observations[seen:]
                if got != [("message", payload, spec["binary"])]:
                    outcome.problems.append(f"echo differs: {_short(got)}")
                    break
            outcome.steps.append([])
        else:
            elements = [client.element(element) for element in step["send"]]
            for chunk in chunks(elements, mode, step.get("chop")):
                server.receive_data(chunk)
                pump(server, client, outcome)
            outcome.steps.append(client.observations[before:])
        outcome.failed_at.append(client.eof)
    close = case["close"]
    if close["closed_by_me"] and client.sent_close is None and not client.eof:
        server.receive_data(client.close(close["codes"][0]))
        pump(server, client, outcome)
    if not client.eof:
        # The fuzzing client gives up and drops the connection (killAfter).
        server.receive_eof()
        pump(server, client, outcome)
    return outcome


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) < 200 else text[:200] + "..."


def _expected(step: dict[str, Any]) -> list[Observation]:
    out: list[Observation] = []
    for kind, *rest in step["expect"]:
        if kind == "message":
            out.append(("message", expand(rest[0]), rest[1]))
        else:
            out.append(("pong", expand(rest[0])))
    return out


def verdict(case: dict[str, Any], outcome: Outcome) -> list[str]:
    """What is wrong with the outcome, Autobahn's way (empty: the case passed)."""
    problems = list(outcome.problems)
    client = outcome.client
    observations = client.observations
    closes = [o for o in observations if o[0] == "close"]
    for index, step in enumerate(case["steps"][: len(outcome.steps)]):
        if "messages" in step:
            continue
        got = [o for o in outcome.steps[index] if o[0] in ("message", "pong")]
        if got != _expected(step):
            problems.append(f"step {index}: got {_short(got)}")
        if step.get("failed") and not outcome.failed_at[index]:
            problems.append(f"step {index}: the connection was not failed by then (fail fast)")
        if not step.get("failed") and outcome.failed_at[index] and index < len(case["steps"]) - 1:
            problems.append(f"step {index}: failed too early")
    close = case["close"]
    if len(closes) != 1:
        problems.append(f"expected one Close from the server, got {closes}")
    elif closes[0][1] is not None and closes[0][1] not in close["codes"]:
        problems.append(f"close code {closes[0][1]} not in {close['codes']}")
    elif closes[0][1] is None and client.sent_close != b"":
        problems.append("an empty Close answered a Close with a code")
    if not client.eof or observations[-1] != ("eof",):
        problems.append("the server did not close the connection last")
    if client.after_eof:
        problems.append(f"output after the end: {client.after_eof[:40]!r}")
    ends = [e for e in outcome.events if isinstance(e, ws.ConnectionClosed)]
    if len(ends) != 1 or outcome.events[-1] is not ends[0]:
        problems.append("ConnectionClosed must be the last event, once")
    else:
        error = ends[0].error
        if close["require_clean"] and error is not None:
            problems.append(f"not clean: {error!r}")
        if not close["require_clean"] and (error is None or error.code not in close["codes"]):
            problems.append(f"expected a failure with {close['codes']}, got {error!r}")
        if close["closed_by_me"] and client.sent_close is None:
            problems.append("the fuzzer should have closed first")
    assert outcome.server is not None
    if outcome.server.state is not ws.ConnectionState.CLOSED:
        problems.append(f"server state {outcome.server.state}")
    return problems


def total_input(case: dict[str, Any]) -> int:
    """Roughly how many octets a case sends (to pick feeding modes)."""
    total = 0
    for step in case["steps"]:
        if "messages" in step:
            spec = step["messages"]
            total += spec["count"] * (spec["size"] + 14)
        for element in step.get("send", ()):
            if "raw" in element:
                total += len(element["raw"]) // 2
            elif "payload" in element:
                total += len(expand(element["payload"])) + 14
            else:
                total += 6
    return total


__all__ = [
    "BYTEWISE_LIMIT",
    "MODES",
    "RAW_MASK",
    "Agreed",
    "FuzzingClient",
    "Outcome",
    "frame_bytes",
    "handshake",
    "run_case",
    "total_input",
    "verdict",
    "xor",
]
