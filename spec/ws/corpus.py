"""The WebSocket conformance corpus: Autobahn|Testsuite's cases as data, and how to read them.

Run ``python spec/ws/corpus.py`` to (re)write ``spec/ws/cases/*.json`` from the
definitions below. The reading helpers (:func:`load`, :func:`expand`,
:func:`dataset`, :data:`RAW_MASK`) live in ``servers.conform.ws_corpus``, which
``wire conform ws-server`` uses too, and are re-exported here.
``tests/wire/ws/test_conformance.py`` checks that the files match the
definitions and runs every case against the Sans-IO server machine.

The definitions follow the case files of crossbario/autobahn-testsuite
(``autobahntestsuite/case/``), sections 1-7, 9, 12 and 13, case for case and
with their identifiers, plus cases of our own, numbered ``N.W.k`` in the
section they extend. README.md (next to this file) describes the format.

Everything here is deterministic: payloads are literal, repeated patterns, or
slices of the data sets :func:`dataset` generates from a fixed seed.
"""

from __future__ import annotations

import json
import sys
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from servers.conform.ws_corpus import RAW_MASK, dataset, expand, load

__all__ = ["CASES_DIR", "RAW_MASK", "build", "dataset", "expand", "load", "write"]

#: Where :func:`write` puts the case files (:func:`load` reads an installed copy first).
CASES_DIR = Path(__file__).resolve().parent / "cases"

Payload = dict[str, Any]
Json = dict[str, Any]

# ---------------------------------------------------------------------------
# Payloads
# ---------------------------------------------------------------------------


def text(value: str) -> Payload:
    return {"text": value}


def hexa(value: bytes) -> Payload:
    return {"hex": value.hex()}


def repeat(unit: Payload, length: int) -> Payload:
    """``unit`` repeated and cut to ``length`` octets (Autobahn's ``payload_len``)."""
    return {"repeat": unit, "length": length}


def dataset_slice(name: str, offset: int, length: int) -> Payload:
    return {"dataset": name, "offset": offset, "length": length}


# ---------------------------------------------------------------------------
# Frames, steps, expectations
# ---------------------------------------------------------------------------


def frame(
    opcode: int,
    payload: Payload | None = None,
    *,
    fin: bool = True,
    rsv: int = 0,
    compress: bool = False,
) -> Json:
    """A frame the fuzzing client sends (always masked, as a client must)."""
    out: Json = {"opcode": opcode, "fin": fin}
    if rsv:
        out["rsv"] = rsv
    if payload is not None:
        out["payload"] = payload
    if compress:
        out["compress"] = True
    return out


def close_frame(code: int | None = None, reason: bytes = b"") -> Json:
    """A Close frame; ``code=None`` with a reason sends the reason alone (7.3.2)."""
    body = b"" if code is None else code.to_bytes(2, "big")
    return frame(8, hexa(body + reason) if body or reason else None)


def raw(data: bytes) -> Json:
    """Octets sent as they are (already masked with :data:`RAW_MASK` where needed)."""
    return {"raw": data.hex()}


def mask(data: bytes, offset: int = 0) -> bytes:
    key = (RAW_MASK * ((len(data) + offset) // 4 + 2))[offset : offset + len(data)]
    return bytes(a ^ b for a, b in zip(data, key, strict=True))


def header(opcode: int, length: int, *, fin: bool = True, rsv: int = 0) -> bytes:
    """A masked frame header with :data:`RAW_MASK`, the shortest length form."""
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    if length < 126:
        head = bytes((first, 0x80 | length))
    elif length < 65536:
        head = bytes((first, 0x80 | 126)) + length.to_bytes(2, "big")
    else:
        head = bytes((first, 0x80 | 127)) + length.to_bytes(8, "big")
    return head + RAW_MASK


def message(payload: Payload, binary: bool = False) -> list[Any]:
    return ["message", payload, binary]


def pong(payload: Payload) -> list[Any]:
    return ["pong", payload]


def step(
    send: Iterable[Json],
    expect: Iterable[list[Any]] = (),
    *,
    chop: int | str | None = None,
    failed: bool = False,
) -> Json:
    """Frames sent in one go, and what must have come back by then.

    ``chop``: ``None`` writes each frame at once, ``"step"`` writes the whole
    step at once (Autobahn's back-to-back frames), an int cuts the octets in
    chunks of that size. ``failed``: the server must have failed the
    connection by the end of this step (fail-fast); later steps are skipped.
    """
    out: Json = {"send": list(send), "expect": list(expect)}
    if chop is not None:
        out["chop"] = chop
    if failed:
        out["failed"] = True
    return out


def messages(
    count: int,
    size: int,
    *,
    binary: bool,
    data: Payload | str,
    fragment_size: int = 0,
    compress: bool = False,
) -> Json:
    """An echo loop: send a message, wait for its echo, ``count`` times (sections 9.7-13).

    ``data`` is a unit to repeat, or a data set whose consecutive slices are sent.
    """
    out: Json = {"count": count, "size": size, "binary": binary, "data": data}
    if fragment_size:
        out["fragment_size"] = fragment_size
    if compress:
        out["compress"] = True
    return {"messages": out}


def clean(*codes: int) -> Json:
    """The fuzzer closes (with ``codes[0]``) and the server must answer with one of ``codes``."""
    return {"closed_by_me": True, "codes": list(codes or (1000,)), "require_clean": True}


def fails(*codes: int, closed_by_me: bool = False) -> Json:
    """The server must fail the connection with one of ``codes``."""
    return {"closed_by_me": closed_by_me, "codes": list(codes), "require_clean": False}


def case(
    case_id: str,
    description: str,
    expectation: str,
    steps: list[Json],
    close: Json,
    **extra: Any,
) -> Json:
    out: Json = {
        "id": case_id,
        "description": description,
        "expectation": expectation,
        "steps": steps,
        "close": close,
    }
    out.update(extra)
    return out


HELLO = text("Hello, world!")
BINARY8 = hexa(b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff")
UTF8_KOSME = bytes.fromhex("cebae1bdb9cf83cebcceb5")
INVALID_MIDDLE = UTF8_KOSME + bytes.fromhex("eda080") + b"edited"
FAIL_FAST = UTF8_KOSME + bytes.fromhex("f4908080") + b"edited"

# ---------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------


def section1() -> list[Json]:
    cases = []
    lengths = [0, 125, 126, 127, 128, 65535, 65536]
    for number, (opcode, unit, kind) in enumerate(
        [(1, text("*"), "text"), (2, hexa(b"\xfe"), "binary")], start=1
    ):
        for index, length in enumerate([*lengths, 65536], start=1):
            chop = 997 if index == 8 else None
            desc = f"Send {kind} message with payload of length {length}"
            desc += ". Sent out data in chops of 997 octets." if chop else "."
            payload = repeat(unit, length)
            cases.append(
                case(
                    f"1.{number}.{index}",
                    desc,
                    f"Receive echo'ed {kind} message (with payload as sent). Clean close.",
                    [step([frame(opcode, payload)], [message(payload, opcode == 2)], chop=chop)],
                    clean(),
                )
            )
    # Framing rules Autobahn does not test.
    body = b"Hello"
    cases += [
        case(
            "1.W.1",
            "Send an unmasked text frame to the server.",
            "Failed with 1002: a server must close on an unmasked frame (RFC 6455 section 5.1).",
            [step([raw(b"\x81\x05" + body)], failed=True)],
            fails(1002),
        ),
        case(
            "1.W.2",
            "Send a text frame of 5 octets with its length in the 16-bit form.",
            "Failed with 1002: the minimal number of octets must encode the length (section 5.2).",
            [step([raw(b"\x81\xfe\x00\x05" + RAW_MASK + mask(body))], failed=True)],
            fails(1002),
        ),
        case(
            "1.W.3",
            "Send a text frame of 200 octets with its length in the 64-bit form.",
            "Failed with 1002 (section 5.2, minimal length encoding).",
            [
                step(
                    [raw(b"\x81\xff" + (200).to_bytes(8, "big") + RAW_MASK + mask(b"x" * 200))],
                    failed=True,
                )
            ],
            fails(1002),
        ),
        case(
            "1.W.4",
            "Send a frame header whose 64-bit length has the most significant bit set.",
            "Failed with 1002 at the header (section 5.2: the MSB must be 0).",
            [step([raw(b"\x82\xff" + (1 << 63 | 5).to_bytes(8, "big") + RAW_MASK)], failed=True)],
            fails(1002),
        ),
    ]
    return cases


def section2() -> list[Json]:
    fe125 = hexa(b"\xfe" * 125)
    pongs10 = [pong(text(f"payload-{i}")) for i in range(10)]
    pings10 = [frame(9, text(f"payload-{i}")) for i in range(10)]
    return [
        case(
            "2.1",
            "Send ping without payload.",
            "Pong (with empty payload) is sent in reply to Ping. Clean close with normal code.",
            [step([frame(9)], [pong(text(""))])],
            clean(),
        ),
        case(
            "2.2",
            "Send ping with small text payload.",
            "Pong with payload echo'ed is sent in reply to Ping. Clean close with normal code.",
            [step([frame(9, HELLO)], [pong(HELLO)])],
            clean(),
        ),
        case(
            "2.3",
            "Send ping with small binary (non UTF-8) payload.",
            "Pong with payload echo'ed is sent in reply to Ping. Clean close with normal code.",
            [step([frame(9, BINARY8)], [pong(BINARY8)])],
            clean(),
        ),
        case(
            "2.4",
            "Send ping with binary payload of 125 octets.",
            "Pong with payload echo'ed is sent in reply to Ping. Clean close with normal code.",
            [step([frame(9, fe125)], [pong(fe125)])],
            clean(),
        ),
        case(
            "2.5",
            "Send ping with binary payload of 126 octets.",
            "Connection is failed immediately (1002/Protocol Error), since control frames are "
            "only allowed to have payload up to and including 125 octets.",
            [step([frame(9, hexa(b"\xfe" * 126))], failed=True)],
            fails(1002),
        ),
        case(
            "2.6",
            "Send ping with binary payload of 125 octets, send in octet-wise chops.",
            "Pong with payload echo'ed is sent in reply to Ping. Implementations must be TCP "
            "clean. Clean close with normal code.",
            [step([frame(9, fe125)], [pong(fe125)], chop=1)],
            clean(),
        ),
        case(
            "2.7",
            "Send unsolicited pong without payload. Verify nothing is received. Clean close "
            "with normal code.",
            "Nothing.",
            [step([frame(10), close_frame(1000)])],
            clean(),
        ),
        case(
            "2.8",
            "Send unsolicited pong with payload. Verify nothing is received. Clean close with "
            "normal code.",
            "Nothing.",
            [step([frame(10, text("unsolicited pong payload")), close_frame(1000)])],
            clean(),
        ),
        case(
            "2.9",
            "Send unsolicited pong with payload. Send ping with payload. Verify pong for ping "
            "is received.",
            "Nothing in reply to own Pong, but Pong with payload echo'ed in reply to Ping. "
            "Clean close with normal code.",
            [
                step(
                    [frame(10, text("unsolicited pong payload")), frame(9, text("ping payload"))],
                    [pong(text("ping payload"))],
                )
            ],
            clean(),
        ),
        case(
            "2.10",
            "Send 10 Pings with payload.",
            "Pongs for our Pings with all the payloads. Clean close with normal code.",
            [step(pings10, pongs10)],
            clean(),
        ),
        case(
            "2.11",
            "Send 10 Pings with payload. Send out octets in octet-wise chops.",
            "Pongs for our Pings with all the payloads. Clean close with normal code.",
            [step(pings10, pongs10, chop=1)],
            clean(),
        ),
    ]


def section3() -> list[Json]:
    def three_frames(rsv: int, chop: int | str | None) -> list[Json]:
        frames = [frame(1, HELLO), frame(1, HELLO, rsv=rsv), frame(9)]
        return [step(frames, [message(HELLO)], failed=True, chop=chop)]

    fail_text = (
        "Echo for first message is received, but then connection is failed immediately, "
        "since RSV must be 0, when no extension defining RSV meaning has been negotiated. "
        "The Pong is not received."
    )
    return [
        case(
            "3.1",
            "Send small text message with RSV = 1.",
            "The connection is failed immediately (1002/protocol error), since RSV must be 0, "
            "when no extension defining RSV meaning has been negotiated.",
            [step([frame(1, HELLO, rsv=1)], failed=True)],
            fails(1002),
        ),
        case(
            "3.2",
            "Send small text message, then send again with RSV = 2, then send Ping.",
            fail_text,
            three_frames(2, None),
            fails(1002),
        ),
        case(
            "3.3",
            "Send small text message, then send again with RSV = 3, then send Ping. Octets are "
            "sent in frame-wise chops.",
            fail_text,
            three_frames(3, None),
            fails(1002),
        ),
        case(
            "3.4",
            "Send small text message, then send again with RSV = 4, then send Ping. Octets are "
            "sent in octet-wise chops.",
            fail_text,
            three_frames(4, 1),
            fails(1002),
        ),
        case(
            "3.5",
            "Send small binary message with RSV = 5.",
            "The connection is failed immediately, since RSV must be 0.",
            [step([frame(2, BINARY8, rsv=5)], failed=True)],
            fails(1002),
        ),
        case(
            "3.6",
            "Send Ping with RSV = 6 (Autobahn's case file sends opcode 2; so do we).",
            "The connection is failed immediately, since RSV must be 0.",
            [step([frame(2, HELLO, rsv=6)], failed=True)],
            fails(1002),
        ),
        case(
            "3.7",
            "Send Close with RSV = 7.",
            "The connection is failed immediately, since RSV must be 0.",
            [step([frame(8, rsv=7)], failed=True)],
            fails(1002),
        ),
    ]


def section4() -> list[Json]:
    cases = []
    reserved_payload = text("reserved opcode payload")
    for group, opcodes, kind in (
        (1, (3, 4, 5, 6, 7), "non-control"),
        (2, (11, 12, 13, 14, 15), "control"),
    ):
        for index, opcode in enumerate(opcodes, start=1):
            with_payload = index in (2, 4, 5)
            payload = (reserved_payload if index == 2 else HELLO) if with_payload else None
            desc = f"reserved {kind} Opcode = {opcode}" + (
                " and non-empty payload" if with_payload else ""
            )
            if index <= 2:
                steps = [step([frame(opcode, payload)], failed=True)]
                cases.append(
                    case(
                        f"4.{group}.{index}",
                        f"Send frame with {desc}.",
                        "The connection is failed immediately.",
                        steps,
                        fails(1002),
                    )
                )
                continue
            chop = 1 if index == 5 else None
            frames = [frame(1, HELLO), frame(opcode, payload), frame(9)]
            steps = [step(frames, [message(HELLO)], failed=True, chop=chop)]
            cases.append(
                case(
                    f"4.{group}.{index}",
                    f"Send small text message, then send frame with {desc}, then send Ping.",
                    "Echo for first message is received, but then connection is failed "
                    "immediately, since reserved opcode frame is used. A Pong is not received.",
                    steps,
                    fails(1002),
                )
            )
    return cases


def section5() -> list[Json]:
    f1, f2, f3, f4, f5 = (text(f"fragment{i}") for i in range(1, 6))
    f12 = text("fragment1fragment2")
    ping_payload = text("ping payload")
    cases = [
        case(
            "5.1",
            "Send Ping fragmented into 2 fragments.",
            "Connection is failed immediately, since control message MUST NOT be fragmented.",
            [step([frame(9, f1, fin=False), frame(0, f2)], failed=True)],
            fails(1002),
        ),
        case(
            "5.2",
            "Send Pong fragmented into 2 fragments.",
            "Connection is failed immediately, since control message MUST NOT be fragmented.",
            [step([frame(10, f1, fin=False), frame(0, f2)], failed=True)],
            fails(1002),
        ),
    ]
    ways: list[tuple[str, int | str | None]] = [
        ("", None),
        (", octets are sent in frame-wise chops", None),
        (", octets are sent in octet-wise chops", 1),
    ]
    for number, (how, chop) in enumerate(ways, start=3):
        cases.append(
            case(
                f"5.{number}",
                f"Send text Message fragmented into 2 fragments{how}.",
                "Message is processed and echo'ed back to us.",
                [step([frame(1, f1, fin=False), frame(0, f2)], [message(f12)], chop=chop)],
                clean(),
            )
        )
    for number, (how, chop) in enumerate(ways, start=6):
        cases.append(
            case(
                f"5.{number}",
                f"Send text Message fragmented into 2 fragments, one ping with payload "
                f"in-between{how}.",
                "A pong is received, then the message is echo'ed back to us.",
                [
                    step(
                        [frame(1, f1, fin=False), frame(9, ping_payload), frame(0, f2)],
                        [pong(ping_payload), message(f12)],
                        chop=chop,
                    )
                ],
                clean(),
            )
        )
    chops: list[tuple[str, int | str | None]] = [
        ("sent in one chop", "step"),
        ("sent in per-frame chops", None),
        ("sent in octet-wise chops", 1),
    ]
    for first, fin in ((9, True), (12, False)):
        for offset, (how, chop) in enumerate(chops):
            cases.append(
                case(
                    f"5.{first + offset}",
                    "Send unfragmented Text Message after Continuation Frame with FIN = "
                    f"{'true' if fin else 'false'}, where there is nothing to continue, {how}.",
                    "The connection is failed immediately, since there is no message to continue.",
                    [
                        step(
                            [frame(0, text("non-continuation payload"), fin=fin), frame(1, HELLO)],
                            failed=True,
                            chop=chop,
                        )
                    ],
                    fails(1002),
                )
            )
    cases += [
        case(
            "5.15",
            "Send text Message fragmented into 2 fragments, then Continuation Frame with FIN = "
            "false where there is nothing to continue, then unfragmented Text Message, all sent "
            "in one chop.",
            "The connection is failed immediately, since there is no message to continue.",
            [
                step(
                    [frame(1, f1, fin=False), frame(0, f2), frame(0, f3, fin=False), frame(1, f4)],
                    [message(f12)],
                    chop="step",
                    failed=True,
                )
            ],
            fails(1002),
        ),
    ]
    for number, fin in ((16, False), (17, True)):
        frames = [frame(0, f1, fin=fin), frame(1, f2, fin=False), frame(0, f3)] * 2
        cases.append(
            case(
                f"5.{number}",
                f"Repeated 2x: Continuation Frame with FIN = {'true' if fin else 'false'} (where "
                "there is nothing to continue), then text Message fragmented into 2 fragments.",
                "The connection is failed immediately, since there is no message to continue.",
                [step(frames, failed=True)],
                fails(1002),
            )
        )
    cases.append(
        case(
            "5.18",
            "Send text Message fragmented into 2 fragments, with both frame opcodes set to text, "
            "sent in one chop.",
            "The connection is failed immediately, since all data frames after the initial data "
            "frame must have opcode 0.",
            [step([frame(1, f1, fin=False), frame(1, f2)], failed=True, chop="step")],
            fails(1002),
        )
    )
    pings = [text("pongme 1!"), text("pongme 2!")]
    sync: list[tuple[int, int | str | None]] = [(19, "step"), (20, None)]
    for number, chop in sync:
        cases.append(
            case(
                f"5.{number}",
                "A fragmented text message is sent in multiple frames. After sending the first 2 "
                "frames of the text message, a Ping is sent. Then we wait 1s, then we send 2 more "
                "text fragments, another Ping and then the final text fragment. Everything is "
                "legal." + (" All frames are sent with SYNC = True." if chop is None else ""),
                "The peer immediately answers the first Ping before it has received the last text "
                "message fragment. The peer pong's back the Ping's payload exactly, and echo's the "
                "payload of the fragmented message back to us.",
                [
                    step(
                        [frame(1, f1, fin=False), frame(0, f2, fin=False), frame(9, pings[0])],
                        [pong(pings[0])],
                        chop=chop,
                    ),
                    step(
                        [
                            frame(0, f3, fin=False),
                            frame(0, f4, fin=False),
                            frame(9, pings[1]),
                            frame(0, f5),
                        ],
                        [
                            pong(pings[1]),
                            message(text("".join(f"fragment{i}" for i in range(1, 6)))),
                        ],
                        chop=chop,
                    ),
                ],
                clean(),
            )
        )
    return cases


def _utf8_sequences() -> list[tuple[str, list[tuple[bool, bytes]]]]:
    """Autobahn's 6.5-6.23 groups, from Markus Kuhn's UTF-8 decoder capability test."""
    groups: list[tuple[str, list[tuple[bool, bytes]]]] = []
    vss = UTF8_KOSME
    groups.append(
        (
            "Some valid UTF-8 sequences",
            [
                (True, b"hello\x24world"),
                (True, b"hello\xc2\xa2world"),
                (True, b"hello\xe2\x82\xacworld"),
                (True, b"hello\xf0\xa4\xad\xa2world"),
                (True, vss),
            ],
        )
    )

    def whole(data: bytes) -> bool:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True

    groups.append(
        (
            "All prefixes of a valid UTF-8 string that contains multi-byte code points",
            [(whole(vss[:i]), vss[:i]) for i in range(1, len(vss) + 1)],
        )
    )
    groups.append(
        (
            "First possible sequence of a certain length",
            [
                (True, b"\x00"),
                (True, b"\xc2\x80"),
                (True, b"\xe0\xa0\x80"),
                (True, b"\xf0\x90\x80\x80"),
            ],
        )
    )
    groups.append(
        (
            "First possible sequence length 5/6 (invalid codepoints)",
            [(False, b"\xf8\x88\x80\x80\x80"), (False, b"\xfc\x84\x80\x80\x80\x80")],
        )
    )
    groups.append(
        (
            "Last possible sequence of a certain length",
            [
                (True, b"\x7f"),
                (True, b"\xdf\xbf"),
                (True, b"\xef\xbf\xbf"),
                (True, b"\xf4\x8f\xbf\xbf"),
            ],
        )
    )
    groups.append(
        (
            "Last possible sequence length 4/5/6 (invalid codepoints)",
            [
                (False, b"\xf7\xbf\xbf\xbf"),
                (False, b"\xfb\xbf\xbf\xbf\xbf"),
                (False, b"\xfd\xbf\xbf\xbf\xbf\xbf"),
            ],
        )
    )
    groups.append(
        (
            "Other boundary conditions",
            [
                (True, b"\xed\x9f\xbf"),
                (True, b"\xee\x80\x80"),
                (True, b"\xef\xbf\xbd"),
                (True, b"\xf4\x8f\xbf\xbf"),
                (False, b"\xf4\x90\x80\x80"),
            ],
        )
    )
    groups.append(
        (
            "Unexpected continuation bytes",
            [
                (False, b"\x80"),
                (False, b"\xbf"),
                (False, b"\x80\xbf"),
                (False, b"\x80\xbf\x80"),
                (False, b"\x80\xbf\x80\xbf"),
                (False, b"\x80\xbf\x80\xbf\x80"),
                (False, b"\x80\xbf\x80\xbf\x80\xbf"),
                (False, bytes(range(0x80, 0xBF))),
            ],
        )
    )
    lonely = []
    for low, high in ((0xC0, 0xDF), (0xE0, 0xEF), (0xF0, 0xF7), (0xF8, 0xFB), (0xFC, 0xFD)):
        lonely.append((False, b"".join(bytes((i, 0x20)) for i in range(low, high))))
    groups.append(("Lonely start characters", lonely))
    missing = [
        b"\xc0",
        b"\xe0\x80",
        b"\xf0\x80\x80",
        b"\xf8\x80\x80\x80",
        b"\xfc\x80\x80\x80\x80",
        b"\xdf",
        b"\xef\xbf",
        b"\xf7\xbf\xbf",
        b"\xfb\xbf\xbf\xbf",
        b"\xfd\xbf\xbf\xbf\xbf",
    ]
    groups.append(("Sequences with last continuation byte missing", [(False, k) for k in missing]))
    groups.append(("Concatenation of incomplete sequences", [(False, b"".join(missing))]))
    groups.append(
        ("Impossible bytes", [(False, b"\xfe"), (False, b"\xff"), (False, b"\xfe\xfe\xff\xff")])
    )
    groups.append(
        (
            "Examples of an overlong ASCII character",
            [
                (False, b"\xc0\xaf"),
                (False, b"\xe0\x80\xaf"),
                (False, b"\xf0\x80\x80\xaf"),
                (False, b"\xf8\x80\x80\x80\xaf"),
                (False, b"\xfc\x80\x80\x80\x80\xaf"),
            ],
        )
    )
    groups.append(
        (
            "Maximum overlong sequences",
            [
                (False, b"\xc1\xbf"),
                (False, b"\xe0\x9f\xbf"),
                (False, b"\xf0\x8f\xbf\xbf"),
                (False, b"\xf8\x87\xbf\xbf\xbf"),
                (False, b"\xfc\x83\xbf\xbf\xbf\xbf"),
            ],
        )
    )
    groups.append(
        (
            "Overlong representation of the NUL character",
            [
                (False, b"\xc0\x80"),
                (False, b"\xe0\x80\x80"),
                (False, b"\xf0\x80\x80\x80"),
                (False, b"\xf8\x80\x80\x80\x80"),
                (False, b"\xfc\x80\x80\x80\x80\x80"),
            ],
        )
    )
    singles = [
        b"\xed\xa0\x80",
        b"\xed\xad\xbf",
        b"\xed\xae\x80",
        b"\xed\xaf\xbf",
        b"\xed\xb0\x80",
        b"\xed\xbe\x80",
        b"\xed\xbf\xbf",
    ]
    groups.append(("Single UTF-16 surrogates", [(False, s) for s in singles]))
    highs = [b"\xed\xa0\x80", b"\xed\xad\xbf", b"\xed\xae\x80", b"\xed\xaf\xbf"]
    lows = [b"\xed\xb0\x80", b"\xed\xbf\xbf"]
    groups.append(("Paired UTF-16 surrogates", [(False, h + lo) for h in highs for lo in lows]))
    nonchars = [(True, b"\xef\xbf\xbe"), (True, b"\xef\xbf\xbf")]
    for z1 in (0xF0, 0xF1, 0xF2, 0xF3, 0xF4):
        for z2 in (0x8F, 0x9F, 0xAF, 0xBF):
            if z1 == 0xF4 and z2 != 0x8F:
                continue  # beyond U+10FFFF
            for z3 in (0xBE, 0xBF):
                seq = bytes((z1, z2, 0xBF, z3))
                if seq not in (b"\xf0\x8f\xbf\xbe", b"\xf0\x8f\xbf\xbf"):  # overlong
                    nonchars.append((True, seq))
    groups.append(("Non-character code points (valid UTF-8)", nonchars))
    groups.append(
        (
            "Unicode specials (i.e. replacement char)",
            [(True, bytes((0xEF, 0xBF, c))) for c in range(0xB9, 0xC0)],
        )
    )
    return groups


def _text_payload(data: bytes) -> Payload:
    try:
        return text(data.decode("utf-8"))
    except UnicodeDecodeError:
        return hexa(data)


def section6() -> list[Json]:
    empty = text("")
    middle = text("middle frame payload")
    greek = UTF8_KOSME
    hello = "Hello-µ@ßöäüàá-UTF-8!!"

    def one_octet_frames(data: bytes) -> list[Json]:
        return [
            frame(1 if i == 0 else 0, hexa(data[i : i + 1]), fin=i == len(data) - 1)
            for i in range(len(data))
        ]

    cases = [
        case(
            "6.1.1",
            "Send text message of length 0.",
            "A message is echo'ed back to us (with empty payload).",
            [step([frame(1, empty)], [message(empty)])],
            clean(),
        ),
        case(
            "6.1.2",
            "Send fragmented text message, 3 fragments each of length 0.",
            "A message is echo'ed back to us (with empty payload).",
            [
                step(
                    [frame(1, empty, fin=False), frame(0, empty, fin=False), frame(0, empty)],
                    [message(empty)],
                )
            ],
            clean(),
        ),
        case(
            "6.1.3",
            "Send fragmented text message, 3 fragments, first and last of length 0, middle "
            "non-empty.",
            "A message is echo'ed back to us (with payload = payload of middle fragment).",
            [
                step(
                    [frame(1, empty, fin=False), frame(0, middle, fin=False), frame(0, empty)],
                    [message(middle)],
                )
            ],
            clean(),
        ),
        case(
            "6.2.1",
            "Send a valid UTF-8 text message in one fragment.",
            "The message is echo'ed back to us.",
            [step([frame(1, text(hello))], [message(text(hello))])],
            clean(),
        ),
        case(
            "6.2.2",
            "Send a valid UTF-8 text message in two fragments, fragmented on UTF-8 code point "
            "boundary.",
            "The message is echo'ed back to us.",
            [
                step(
                    [frame(1, text("Hello-µ@ßöä"), fin=False), frame(0, text("üàá-UTF-8!!"))],
                    [message(text(hello))],
                )
            ],
            clean(),
        ),
        case(
            "6.2.3",
            "Send a valid UTF-8 text message in fragments of 1 octet, resulting in frames ending "
            "on positions which are not code point ends.",
            "The message is echo'ed back to us.",
            [step(one_octet_frames(hello.encode()), [message(text(hello))])],
            clean(),
        ),
        case(
            "6.2.4",
            "Send a valid UTF-8 text message in fragments of 1 octet, resulting in frames ending "
            "on positions which are not code point ends.",
            "The message is echo'ed back to us.",
            [step(one_octet_frames(greek), [message(_text_payload(greek))])],
            clean(),
        ),
        case(
            "6.3.1",
            "Send invalid UTF-8 text message unfragmented.",
            "The connection is failed immediately, since the payload is not valid UTF-8.",
            [step([frame(1, hexa(INVALID_MIDDLE))], failed=True)],
            fails(1007),
        ),
        case(
            "6.3.2",
            "Send invalid UTF-8 text message in fragments of 1 octet, resulting in frames ending "
            "on positions which are not code point ends.",
            "The connection is failed immediately, since the payload is not valid UTF-8.",
            [step(one_octet_frames(INVALID_MIDDLE), failed=True)],
            fails(1007),
        ),
    ]
    expectation = (
        "The first frame is accepted, we expect to timeout on the first wait. The 2nd frame "
        "should be rejected immediately (fail fast on UTF-8)."
    )
    part1, part2, part3 = UTF8_KOSME, FAIL_FAST[11:15], b"edited"
    cases.append(
        case(
            "6.4.1",
            "Send invalid UTF-8 text message in 3 fragments (frames). First frame payload is "
            "valid, then wait, then 2nd frame which contains the payload making the sequence "
            "invalid, then wait, then 3rd frame with rest.",
            expectation,
            [
                step([frame(1, hexa(part1), fin=False)]),
                step([frame(0, hexa(part2), fin=False)], failed=True),
                step([frame(0, hexa(part3))]),
            ],
            fails(1007),
        )
    )
    cases.append(
        case(
            "6.4.2",
            "Same as Case 6.4.1, but in 2nd frame, we send only up to and including the octet "
            "making the complete payload invalid.",
            expectation,
            [
                step([frame(1, hexa(FAIL_FAST[:12]), fin=False)]),
                step([frame(0, hexa(FAIL_FAST[12:13]), fin=False)], failed=True),
                step([frame(0, hexa(FAIL_FAST[13:]))]),
            ],
            fails(1007),
        )
    )
    for number, cut in ((3, (11, 15)), (4, (12, 13))):
        head = header(1, len(FAIL_FAST))
        a, b = cut
        cases.append(
            case(
                f"6.4.{number}",
                f"Same as Case 6.4.{number - 2}, but we send message not in 3 frames, but in 3 "
                "chops of the same message frame.",
                expectation.replace("frame", "chop"),
                [
                    step([raw(head + mask(FAIL_FAST[:a]))]),
                    step([raw(mask(FAIL_FAST[a:b], a))], failed=True),
                    step([raw(mask(FAIL_FAST[b:], b))]),
                ],
                fails(1007),
            )
        )
    for group_index, (title, sequences) in enumerate(_utf8_sequences(), start=5):
        for index, (valid, data) in enumerate(sequences, start=1):
            if valid:
                cases.append(
                    case(
                        f"6.{group_index}.{index}",
                        f"{title}: send a text message with payload which is valid UTF-8 in one "
                        f"fragment. Payload: 0x{data.hex()}",
                        "The message is echo'ed back to us.",
                        [step([frame(1, _text_payload(data))], [message(_text_payload(data))])],
                        clean(),
                    )
                )
            else:
                cases.append(
                    case(
                        f"6.{group_index}.{index}",
                        f"{title}: send a text message with payload which is not valid UTF-8 in "
                        f"one fragment. Payload: 0x{data.hex()}",
                        "The connection is failed immediately, since the payload is not valid "
                        "UTF-8.",
                        [step([frame(1, hexa(data))], failed=True)],
                        fails(1007),
                    )
                )
    return cases


def section7() -> list[Json]:
    hello_world = text("Hello World!")
    cases = [
        case(
            "7.1.1",
            "Send a message followed by a close frame",
            "Echoed message followed by clean close with normal code.",
            [step([frame(1, hello_world)], [message(hello_world)])],
            clean(),
        ),
        case(
            "7.1.2",
            "Send two close frames",
            "Clean close with normal code. Second close frame ignored.",
            [step([close_frame(1000), frame(8)])],
            clean(),
        ),
        case(
            "7.1.3",
            "Send a ping after close message",
            "Clean close with normal code, no pong.",
            [step([close_frame(1000), frame(9)])],
            clean(),
        ),
        case(
            "7.1.4",
            "Send text message after sending a close frame.",
            "Clean close with normal code. Text message ignored.",
            [step([close_frame(1000), frame(1, hello_world)])],
            clean(),
        ),
        case(
            "7.1.5",
            "Send message fragment1 followed by close then fragment",
            "Clean close with normal code.",
            [
                step(
                    [
                        frame(1, text("fragment1"), fin=False),
                        close_frame(1000),
                        frame(0, text("fragment2")),
                    ]
                )
            ],
            clean(),
        ),
        case(
            "7.1.6",
            "Send 256K message followed by close then a ping",
            "Case outcome depends on implementation defined close behavior. Message and close "
            "frame are sent back to back. If the close frame is processed before the text "
            "message write is complete (as can happen in asynchronous processing models) the "
            "close frame is processed first and the text message may not be received or may only "
            "be partially received. (Ours: both messages are answered before the Close.)",
            [
                step(
                    [
                        frame(1, repeat(text("BAsd7&jh23"), 256 * 1024)),
                        frame(1, hello_world),
                        close_frame(1000),
                        frame(9),
                    ],
                    [message(repeat(text("BAsd7&jh23"), 256 * 1024)), message(hello_world)],
                    chop="step",
                )
            ],
            clean(),
            behavior="INFORMATIONAL",
        ),
        case(
            "7.3.1",
            "Send a close frame with payload length 0 (no close code, no close reason)",
            "Clean close with normal code.",
            [step([frame(8)])],
            clean(),
        ),
        case(
            "7.3.2",
            "Send a close frame with payload length 1",
            "Clean close with protocol error or drop TCP.",
            [step([close_frame(None, b"a")], failed=True)],
            fails(1002, closed_by_me=True),
        ),
        case(
            "7.3.3",
            "Send a close frame with payload length 2 (regular close with a code)",
            "Clean close with normal code.",
            [step([close_frame(1000)])],
            clean(),
        ),
        case(
            "7.3.4",
            "Send a close frame with close code and close reason",
            "Clean close with normal code.",
            [step([close_frame(1000, b"Hello World!")])],
            clean(),
        ),
        case(
            "7.3.5",
            "Send a close frame with close code and close reason of maximum length (123)",
            "Clean close with normal code.",
            [step([close_frame(1000, b"*" * 123)])],
            clean(),
        ),
        case(
            "7.3.6",
            "Send a close frame with close code and close reason which is too long (124) - total "
            "frame payload 126 octets",
            "Clean close with protocol error code or dropped TCP connection.",
            [step([close_frame(1000, b"*" * 124)], failed=True)],
            fails(1002, closed_by_me=True),
        ),
        case(
            "7.5.1",
            "Send a close frame with invalid UTF8 payload",
            "Clean close with protocol error or invalid utf8 code or dropped TCP.",
            [step([close_frame(1000, INVALID_MIDDLE)], failed=True)],
            fails(1002, 1007, closed_by_me=True),
        ),
    ]
    for index, code in enumerate(
        [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999], start=1
    ):
        cases.append(
            case(
                f"7.7.{index}",
                f"Send close with valid close code {code}",
                "Clean close with normal or echoed code",
                [step([close_frame(code)])],
                clean(1000, code) if code != 1000 else clean(),
            )
        )
    for index, code in enumerate([0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999], start=1):
        cases.append(
            case(
                f"7.9.{index}",
                f"Send close with invalid close code {code}",
                "Clean close with protocol error code or drop TCP",
                [step([close_frame(code)], failed=True)],
                fails(1002, closed_by_me=True),
            )
        )
    for index, code in enumerate([5000, 65535], start=1):
        cases.append(
            case(
                f"7.13.{index}",
                f"Send close with close code {code}",
                "Actual events are undefined by the spec. (Ours: 1002, the code is outside "
                "1000-4999.)",
                [step([close_frame(code)], failed=True)],
                fails(1002, closed_by_me=True),
                behavior="INFORMATIONAL",
            )
        )
    return cases


#: Section 9 runs with Autobahn's sizes; these limits let its largest cases through.
SECTION9_CONFIG = {
    "max_message_size": 16 << 20,
    "max_frame_size": 16 << 20,
    "max_fragments": 1 << 17,
}


def section9() -> list[Json]:
    cases = []
    text_unit, binary_unit = text("BAsd7&jh23"), hexa(b"\x00\xfe\x23\xfa\xf0")
    sizes = [
        (64 << 10, "64k"),
        (256 << 10, "256k"),
        (1 << 20, "1M"),
        (4 << 20, "4M"),
        (8 << 20, "8M"),
        (16 << 20, "16M"),
    ]
    for group, (opcode, unit, kind) in (
        (1, (1, text_unit, "text")),
        (2, (2, binary_unit, "binary")),
    ):
        for index, (size, label) in enumerate(sizes, start=1):
            payload = repeat(unit, size)
            cases.append(
                case(
                    f"9.{group}.{index}",
                    f"Send {kind} message message with payload of length {size} ({label}).",
                    f"Receive echo'ed {kind} message (with payload as sent).",
                    [step([frame(opcode, payload)], [message(payload, opcode == 2)])],
                    clean(),
                    config=SECTION9_CONFIG,
                )
            )
    fragments = [64, 256, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20]
    for group, (binary, unit, kind) in (
        (3, (False, text("*"), "text")),
        (4, (True, hexa(b"\xfe"), "binary")),
    ):
        for index, size in enumerate(fragments, start=1):
            cases.append(
                case(
                    f"9.{group}.{index}",
                    f"Send fragmented {kind} message message with message payload of length "
                    f"4 * 2**20 (4M). Sent out in fragments of {size}.",
                    f"Receive echo'ed {kind} message (with payload as sent).",
                    [messages(1, 4 << 20, binary=binary, data=unit, fragment_size=size)],
                    clean(),
                    config=SECTION9_CONFIG,
                )
            )
    chops = [64, 128, 256, 512, 1024, 2048]
    for group, (opcode, unit, kind) in (
        (5, (1, text_unit, "text")),
        (6, (2, binary_unit, "binary")),
    ):
        for index, chop in enumerate(chops, start=1):
            payload = repeat(unit, 1 << 20)
            cases.append(
                case(
                    f"9.{group}.{index}",
                    f"Send {kind} message message with payload of length 1 * 2**20 (1M). Sent "
                    f"out data in chops of {chop} octets.",
                    f"Receive echo'ed {kind} message (with payload as sent).",
                    [step([frame(opcode, payload)], [message(payload, opcode == 2)], chop=chop)],
                    clean(),
                    config=SECTION9_CONFIG,
                )
            )
    for group, (binary, unit, kind) in (
        (7, (False, text("*"), "text")),
        (8, (True, hexa(b"\xfe"), "binary")),
    ):
        for index, size in enumerate([0, 16, 64, 256, 1024, 4096], start=1):
            cases.append(
                case(
                    f"9.{group}.{index}",
                    f"Send 1000 {kind} messages of payload size {size} to measure "
                    "implementation/network RTT (round trip time) / latency.",
                    f"Receive echo'ed {kind} messages (with payload as sent).",
                    [messages(1000, size, binary=binary, data=unit)],
                    clean(),
                    config=SECTION9_CONFIG,
                )
            )
    # Our limits, at small values so the cases stay fast (not in Autobahn).
    limits = {"max_message_size": 1024, "max_frame_size": 512, "max_fragments": 8}
    star = text("*")
    cases += [
        case(
            "9.W.1",
            "With max_frame_size 512, send the header of a 513-octet text frame, and nothing more.",
            "Failed with 1009 at the header, before any payload arrives.",
            [step([raw(header(1, 513))], failed=True)],
            fails(1009),
            config=limits,
        ),
        case(
            "9.W.2",
            "With max_frame_size 512, send a text message of exactly 512 octets.",
            "Echo'ed: the limit is inclusive.",
            [step([frame(1, repeat(star, 512))], [message(repeat(star, 512))])],
            clean(),
            config=limits,
        ),
        case(
            "9.W.3",
            "With max_message_size 1024, send three 400-octet fragments of one text message.",
            "Failed with 1009 at the header of the third frame.",
            [
                step(
                    [frame(1, repeat(star, 400), fin=False), frame(0, repeat(star, 400), fin=False)]
                ),
                step([raw(header(0, 400))], failed=True),
            ],
            fails(1009),
            config=limits,
        ),
        case(
            "9.W.4",
            "With max_message_size 1024, send a text message of exactly 1024 octets in 4 "
            "fragments.",
            "Echo'ed: the limit is inclusive.",
            [
                step(
                    [frame(1, repeat(star, 256), fin=False)]
                    + [frame(0, repeat(star, 256), fin=False)] * 2
                    + [frame(0, repeat(star, 256))],
                    [message(repeat(star, 1024))],
                )
            ],
            clean(),
            config=limits,
        ),
        case(
            "9.W.5",
            "With max_fragments 8, send a text message in 8 empty-ish frames.",
            "Echo'ed.",
            [
                step(
                    [frame(1, star, fin=False)]
                    + [frame(0, star, fin=False)] * 6
                    + [frame(0, star)],
                    [message(repeat(star, 8))],
                )
            ],
            clean(),
            config=limits,
        ),
        case(
            "9.W.6",
            "With max_fragments 8, send a text message whose 9th frame is an empty continuation.",
            "Failed with 1009 at the 9th frame header.",
            [
                step([frame(1, star, fin=False)] + [frame(0, fin=False)] * 7),
                step([frame(0)], failed=True),
            ],
            fails(1009),
            config=limits,
        ),
        case(
            "9.W.7",
            "With max_message_size 1024, send a binary frame header declaring 2**62 octets.",
            "Failed with 1009 at the header.",
            [step([raw(b"\x82\xff" + (1 << 62).to_bytes(8, "big") + RAW_MASK)], failed=True)],
            fails(1009),
            config=limits,
        ),
    ]
    return cases


#: Autobahn's MSG_SIZES: (payload length, auto-fragment size).
_MSG_SIZES = [
    (16, 0), (64, 0), (256, 0), (1024, 0), (4096, 0), (8192, 0), (16384, 0), (32768, 0),
    (65536, 0), (131072, 0),
    (8192, 256), (16384, 256), (32768, 256), (65536, 256), (131072, 256), (131072, 1024),
    (131072, 4096), (131072, 32768),
]  # fmt: skip
_DATASETS = [
    ("faust", True, "Human readable text, Goethe's Faust I (German)"),
    ("bitmap", True, "Lena Picture, Bitmap 512x512 bw"),
    ("pdf", True, "A larger PDF"),
    ("json", False, "Large JSON data file"),
    ("html", False, "Large HTML file"),
]


def _count(size: int) -> int:
    """Messages per case: Autobahn sends 1000; we send up to 128 KiB worth (at least 2)."""
    return max(2, min(1000, (1 << 17) // size))


def _offer(no_context_takeover: bool = False, max_window_bits: int = 0) -> str:
    """Autobahn's PerMessageDeflateOffer string (accept both client parameters, request these)."""
    parts = ["permessage-deflate", "client_no_context_takeover", "client_max_window_bits"]
    if no_context_takeover:
        parts.append("server_no_context_takeover")
    if max_window_bits:
        parts.append(f"server_max_window_bits={max_window_bits}")
    return "; ".join(parts)


def _deflate_cases(
    prefix: str, datasets: list[tuple[str, bool, str]], offers: str, title: str
) -> list[Json]:
    cases = []
    for index, (size, fragment) in enumerate(_MSG_SIZES, start=1):
        for name, binary, label in datasets:
            count = _count(size)
            cases.append(
                case(
                    f"{prefix}.{index}",
                    f"Send {count} compressed messages each of payload size {size}, auto-fragment "
                    f"to {fragment} octets. {title} Data: {label}.",
                    "Receive echo'ed messages (with payload as sent).",
                    [
                        messages(
                            count,
                            size,
                            binary=binary,
                            data=name,
                            fragment_size=fragment,
                            compress=True,
                        )
                    ],
                    clean(),
                    deflate={"offer": offers},
                )
            )
    return cases


def section10() -> list[Json]:
    # Autobahn's one case of section 10 ("Misc"): the fuzzer fragments its
    # message itself (autoFragmentSize), so the server reassembles 51 frames.
    return [
        case(
            "10.1.1",
            "Send text message with payload of length 65536 auto-fragmented with "
            "autoFragmentSize = 1300.",
            "Receive echo'ed text message (with payload as sent and transmitted frame counts "
            "as expected). Clean close with normal code.",
            [messages(1, 65536, binary=False, data=text("*"), fragment_size=1300)],
            clean(),
        )
    ]


def section12() -> list[Json]:
    cases = []
    for number, dataset_info in enumerate(_DATASETS, start=1):
        cases += _deflate_cases(
            f"12.{number}", [dataset_info], _offer(), "Use default permessage-deflate offer."
        )
    # Our own: failures and corner cases of permessage-deflate (not in Autobahn).
    bomb = repeat(hexa(b"\x00"), 4 << 20)
    zlib_final = zlib.compressobj(6, zlib.DEFLATED, -15)
    final_block = zlib_final.compress(b"final block") + zlib_final.flush(zlib.Z_FINISH)
    deflate = {"offer": _offer()}
    hello = text("Hello, compressed world! Hello, compressed world!")
    cases += [
        case(
            "12.W.1",
            "With max_message_size 1 MiB, send a 4 MiB binary message of zeros compressed to "
            "about 4 KiB.",
            "Failed with 1009 once the output passes 1 MiB: the inflater never holds more.",
            [step([frame(2, bomb, compress=True)], failed=True)],
            fails(1009),
            deflate=deflate,
            config={"max_message_size": 1 << 20},
        ),
        case(
            "12.W.2",
            "Send a text frame with RSV1 set and a payload that is not DEFLATE data.",
            "Failed with 1007.",
            [step([frame(1, hexa(b"\xff\xff\xff\xff\xff"), rsv=4)], failed=True)],
            fails(1007),
            deflate=deflate,
        ),
        case(
            "12.W.3",
            "Send a compressed message whose continuation frame also has RSV1 set.",
            "Failed with 1002 (RFC 7692 section 6.1: RSV1 only on the first frame).",
            [
                step(
                    [frame(1, text("fragment1"), fin=False), frame(0, text("fragment2"), rsv=4)],
                    failed=True,
                )
            ],
            fails(1002),
            deflate=deflate,
        ),
        case(
            "12.W.4",
            "Send a Ping with RSV1 set.",
            "Failed with 1002 (RFC 7692 section 6.1: never on control frames).",
            [step([frame(9, text("ping"), rsv=4)], failed=True)],
            fails(1002),
            deflate=deflate,
        ),
        case(
            "12.W.5",
            "Send a compressed text message that ends with a DEFLATE block with BFINAL set, "
            "without the 00 00 ff ff tail (RFC 7692 section 7.2.3.4).",
            "Echo'ed.",
            [step([frame(1, hexa(final_block), rsv=4)], [message(text("final block"))])],
            clean(),
            deflate=deflate,
        ),
        case(
            "12.W.6",
            "Send a compressed text message with octets after its final DEFLATE block.",
            "Failed with 1007.",
            [step([frame(1, hexa(final_block + b"\x00\x00"), rsv=4)], failed=True)],
            fails(1007),
            deflate=deflate,
        ),
        case(
            "12.W.7",
            "Send a compressed text message in 2 fragments with a Ping in between.",
            "A Pong, then the echo: control frames in a compressed message do not disturb it.",
            [
                step(
                    [
                        frame(1, hello, fin=False, compress=True),
                        frame(9, text("ping")),
                        frame(0, text(""), compress=True),
                    ],
                    [pong(text("ping")), message(hello)],
                )
            ],
            clean(),
            deflate=deflate,
        ),
        case(
            "12.W.8",
            "Send a text message with RSV2 set although only permessage-deflate (RSV1) is in use.",
            "Failed with 1002.",
            [step([frame(1, hello, rsv=2)], failed=True)],
            fails(1002),
            deflate=deflate,
        ),
        case(
            "12.W.9",
            "Send an uncompressed text message on a connection using permessage-deflate, then a "
            "compressed one.",
            "Both echo'ed (compression is per message).",
            [
                step(
                    [frame(1, hello), frame(1, hello, compress=True)],
                    [message(hello), message(hello)],
                )
            ],
            clean(),
            deflate=deflate,
        ),
        case(
            "12.W.10",
            "Send a compressed empty text message.",
            "Echo'ed.",
            [step([frame(1, text(""), compress=True)], [message(text(""))])],
            clean(),
            deflate=deflate,
        ),
        case(
            "12.W.11",
            "Offer server_max_window_bits=10 and server_no_context_takeover; the server also "
            "imposes client_max_window_bits=9 and client_no_context_takeover. Send 20 JSON "
            "messages of 4096 octets.",
            "Echo'ed; the client checks the server's output with a 10-bit window and fresh "
            "context per message.",
            [messages(20, 4096, binary=False, data="json", compress=True)],
            clean(),
            deflate={
                "offer": _offer(True, 10),
                "server": {"client_max_window_bits": 9, "client_no_context_takeover": True},
            },
        ),
    ]
    return cases


def section13() -> list[Json]:
    json_data = [d for d in _DATASETS if d[0] == "json"]
    offer_sets = [
        (_offer(), "client offers (requestNoContextTakeover, requestMaxWindowBits): [(False, 0)]"),
        (_offer(True), "client offers: [(True, 0)]"),
        (_offer(False, 8), "client offers: [(False, 8)]"),
        (_offer(False, 15), "client offers: [(False, 15)]"),
        (_offer(True, 8), "client offers: [(True, 8)]"),
        (_offer(True, 15), "client offers: [(True, 15)]"),
        (
            ", ".join([_offer(True, 8), _offer(True), _offer()]),
            "client offers: [(True, 8), (True, 0), (False, 0)]",
        ),
    ]
    cases = []
    for number, (offers, title) in enumerate(offer_sets, start=1):
        cases += _deflate_cases(
            f"13.{number}", json_data, offers, f"Use permessage-deflate {title}."
        )
    return cases


SECTIONS = {
    "1-framing": section1,
    "2-pings": section2,
    "3-reserved-bits": section3,
    "4-opcodes": section4,
    "5-fragmentation": section5,
    "6-utf8": section6,
    "7-close": section7,
    "9-limits": section9,
    "10-misc": section10,
    "12-deflate": section12,
    "13-deflate-parameters": section13,
}


def build() -> dict[str, list[Json]]:
    """Every case, per section file name."""
    return {name: make() for name, make in SECTIONS.items()}


def render(cases: list[Json]) -> str:
    return json.dumps(cases, indent=1, ensure_ascii=False) + "\n"


def write() -> None:
    CASES_DIR.mkdir(exist_ok=True)
    for name, cases in build().items():
        (CASES_DIR / f"{name}.json").write_text(render(cases), encoding="utf-8")


if __name__ == "__main__":
    write()
    for section, section_cases in build().items():
        print(f"{section}: {len(section_cases)} cases", file=sys.stderr)
