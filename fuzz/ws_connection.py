"""Atheris target for the WebSocket connection machine (``wire.ws.WSConnection``).

Input: a control byte, then the bytes a peer sends. The control byte picks

- bit 0: the role fed (0 = server, reading masked client frames; 1 = client);
- bit 1: permessage-deflate agreed (default parameters) or not;
- bit 2: streaming mode (``stream_fragments``) or whole messages;
- bit 3: small limits (64-octet frames, 128-octet messages, 4 fragments) or the defaults;
- bits 4-7: the split pattern ``s`` of the second feeding: chunk ``i`` is
  ``1 + (first byte of the chunk + i*s) % (4*s + 1)`` octets (``s = 0``: one octet each).

:func:`check` holds the invariants, for atheris and for replays alike:

1. ``receive_data``/``receive_eof`` raise nothing, whatever the bytes;
2. fed whole or split, the machine reports the same events and writes the
   same bytes (errors compared by class and close code);
3. at most one ``ConnectionClosed``, last; when it carries an error, the
   machine wrote a Close frame with that error's code (unless it had sent its
   own Close before) and then ``b""``; nothing is written after ``b""``;
4. every event is one the application can send back (they validate).

Run::

    python fuzz/ws_connection.py --make-seeds fuzz/runs/ws-corpus   # seeds from spec/ws
    python fuzz/ws_connection.py [libFuzzer options] [CORPUS_DIR ...]
    python fuzz/ws_connection.py crash-...          # replay one input (works without atheris)
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import Any

_SRC = Path(__file__).resolve().parents[1] / "src"
if _SRC.is_dir() and str(_SRC) not in sys.path:
    sys.path.insert(0, str(_SRC))  # fuzz the checkout this file belongs to

try:
    import atheris
except ImportError:
    atheris = None

if atheris is not None:
    with atheris.instrument_imports(include=["wire"]):
        from wire import ws
else:
    from wire import ws

_MASK = b"\x5a\xa5\x0f\xf0"


def _connection(control: int) -> ws.WSConnection:
    limits: dict[str, Any] = {}
    if control & 8:
        limits = {"max_frame_size": 64, "max_message_size": 128, "max_fragments": 4}
    config = ws.WSConfig(stream_fragments=bool(control & 4), ping_interval=None, **limits)
    deflate = ws.DeflateParams() if control & 2 else None
    if control & 1:
        return ws.WSConnection(
            ws.Role.CLIENT, deflate=deflate, config=config, mask_source=lambda n: _MASK
        )
    return ws.WSConnection(ws.Role.SERVER, deflate=deflate, config=config)


def split(data: bytes, pattern: int) -> list[bytes]:
    """The second feeding's chunks (see the module docstring)."""
    chunks = []
    pos = index = 0
    while pos < len(data):
        size = 1 if pattern == 0 else 1 + (data[pos] + index * pattern) % (4 * pattern + 1)
        chunks.append(data[pos : pos + size])
        pos += size
        index += 1
    return chunks


def _normal(events: list[Any]) -> list[Any]:
    out: list[Any] = []
    for event in events:
        if isinstance(event, ws.ConnectionClosed) and event.error is not None:
            error = event.error
            # The message names the first fault seen; with several faults in one
            # frame that can depend on the chunking, the class and code cannot.
            out.append(("closed", event.code, type(error).__name__, error.code))
        else:
            out.append(event)
    return out


def _run(control: int, chunks: list[bytes]) -> tuple[list[Any], list[bytes]]:
    conn = _connection(control)
    conn.tick(0.0)
    events: list[Any] = []
    out: list[bytes] = []
    for chunk in chunks:
        conn.receive_data(chunk)
        events += conn.events()
        out += conn.data_to_send()
    conn.receive_eof()
    events += conn.events()
    out += conn.data_to_send()
    return events, out


def _close_code(frame: bytes, client: bool) -> int | None:
    payload = frame[6:] if client else frame[2:]
    if client:
        payload = bytes(b ^ _MASK[i % 4] for i, b in enumerate(payload))
    return int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None


def check(raw: bytes) -> None:
    """Check every invariant for one input; raises AssertionError (or the escaping error)."""
    if not raw:
        return
    control, data = raw[0], raw[1:]
    whole_events, whole_out = _run(control, [data])
    split_events, split_out = _run(control, split(data, control >> 4))
    assert _normal(whole_events) == _normal(split_events), "events differ with the split"
    assert whole_out == split_out, "output differs with the split"
    ends = [e for e in whole_events if isinstance(e, ws.ConnectionClosed)]
    assert len(ends) == 1 and whole_events[-1] is ends[0], "one ConnectionClosed, last"
    assert whole_out[-1] == b"" and whole_out.count(b"") == 1, "b'' once, last"
    error = ends[0].error
    if error is not None:
        assert isinstance(error, ws.WSRemoteError)
        closes = [frame for frame in whole_out if frame[:1] == b"\x88"]
        assert len(closes) == 1, "exactly one Close frame"
        assert _close_code(closes[0], bool(control & 1)) == error.code
    for event in whole_events:
        if isinstance(event, ws.MessageFragment | ws.TextMessage | ws.BytesMessage):
            type(event)(*(getattr(event, f) for f in event.__dataclass_fields__))


def make_seeds(directory: Path) -> int:
    """Write seed inputs built from the conformance corpus (spec/ws), for both roles."""
    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root))
    from spec.ws.corpus import expand, load

    directory.mkdir(parents=True, exist_ok=True)
    count = 0
    for cases in load().values():
        for case in cases:
            stream = bytearray()
            for step in case["steps"]:
                for element in step.get("send", ()):
                    if "raw" in element:
                        stream += bytes.fromhex(element["raw"])
                        continue
                    payload = expand(element["payload"]) if "payload" in element else b""
                    if len(payload) > 1024:
                        continue
                    first = (0x80 if element.get("fin", True) else 0) | element.get("rsv", 0) << 4
                    stream += _frame(first | element["opcode"], payload)
            if not stream or len(stream) > 4096:
                continue
            for control in (0x30, 0x3B if case.get("deflate") else 0x0C):
                (directory / f"{case['id']}-{control:02x}").write_bytes(bytes((control,)) + stream)
                count += 1
    return count


def _frame(first: int, payload: bytes) -> bytes:
    size = len(payload)
    head = (
        bytes((first, 0x80 | size))
        if size < 126
        else bytes((first, 0xFE)) + size.to_bytes(2, "big")
    )
    key = b"\x01\x02\x03\x04"
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def _replay(paths: list[str]) -> int:
    for path in paths:
        raw = Path(path).read_bytes()
        print(f"replaying {path} ({len(raw)} bytes): {raw.hex()}", file=sys.stderr)
        check(raw)
    print(f"{len(paths)} input(s) passed every check", file=sys.stderr)
    return 0


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[1] == "--make-seeds":
        print(f"{make_seeds(Path(argv[2]))} seeds written to {argv[2]}", file=sys.stderr)
        return 0
    if atheris is None:
        files = [arg for arg in argv[1:] if not arg.startswith("-")]
        if not files:
            print("atheris is not installed (pip install -e '.[fuzz]'); ", end="", file=sys.stderr)
            print("give input files to replay them", file=sys.stderr)
            return 2
        return _replay(files)
    # libFuzzer's -fork/-jobs modes re-run argv[0] through the shell.
    command = shlex.join([sys.executable, os.path.abspath(__file__)])
    atheris.Setup([command, *argv[1:]], check)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
