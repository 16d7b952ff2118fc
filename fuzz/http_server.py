"""Atheris target for the HTTP server machine (``wire.http.HTTPConnection``).

Input: a control byte, then the bytes a client sends. The control byte picks
small limits (bit 0), whether the client then closes its side (bit 1), whether
the harness answers chunked (bit 2) and the split pattern of the second
feeding (bits 3-7); see ``servers.fuzzing``, whose :func:`check_http_input`
checks the invariants for this target and for the built-in fuzzer alike:

- nothing escapes ``receive_data``/``receive_eof``/``tick`` (``send`` raises
  only ``LocalProtocolError``);
- the strict HTTP/1.1 fast path changes nothing: a server without it
  (``H1Config(fast_path=False)``, every request through h11) does and writes
  exactly the same;
- fed whole or split, the server reports the same events and writes the same
  bytes (where timing cannot matter, see the checker);
- one ``ConnectionClosed`` at most, last, and an error status reported is an
  error status answered.

Run::

    python fuzz/http_server.py [libFuzzer options] [CORPUS_DIR ...]
    python fuzz/http_server.py fuzz/runs/crashes/crash-...     # replay one input

Without atheris installed, the script replays the files it is given, so a crash
file can be checked on any machine.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

_SRC = Path(__file__).resolve().parents[1] / "src"
if _SRC.is_dir() and str(_SRC) not in sys.path:
    sys.path.insert(0, str(_SRC))  # fuzz the checkout this file belongs to

try:
    import atheris
except ImportError:
    atheris = None


def _load_checker() -> Callable[[bytes], object]:
    """Import the machine (instrumented for coverage when atheris is there) and the checker."""
    if atheris is not None:
        with atheris.instrument_imports(include=["wire", "h11", "h2", "hpack"]):
            import wire.http  # noqa: F401
    from servers.fuzzing import check_http_input

    checker: Callable[[bytes], object] = check_http_input
    return checker


def _replay(paths: list[str], check: Callable[[bytes], object]) -> int:
    """Check each file once and re-raise the first failure with its traceback."""
    for path in paths:
        raw = Path(path).read_bytes()
        print(f"replaying {path} ({len(raw)} bytes): {raw[1:201]!r}", file=sys.stderr)
        check(raw)
    print(f"{len(paths)} input(s) passed every check", file=sys.stderr)
    return 0


def main(argv: list[str]) -> int:
    check = _load_checker()
    if atheris is None:
        files = [arg for arg in argv[1:] if not arg.startswith("-")]
        if not files:
            print("atheris is not installed (pip install -e '.[fuzz]'); ", end="", file=sys.stderr)
            print("give input files to replay them, or run: wire fuzz http", file=sys.stderr)
            return 2
        return _replay(files, check)

    def test_one_input(data: bytes) -> None:
        check(data)

    # libFuzzer's -fork/-jobs modes re-run argv[0] through the shell: make it
    # "python this-file" so the children run under the same interpreter.
    command = shlex.join([sys.executable, os.path.abspath(__file__)])
    atheris.Setup([command, *argv[1:]], test_one_input)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
