"""``wire conform ws-server``: the WebSocket corpus against any server's echo endpoint.

The corpus (``spec/ws``: Autobahn|Testsuite's fuzzing-client cases and ours)
runs case after case against ``ws://HOST:PORT/PATH``, an endpoint that echoes
every message back, as Autobahn's fuzzingclient expects. Each case is judged
only by what a client observes (:func:`servers.conform.ws_peer.judge`):

- ``OK``: every echo and Pong as expected, the expected Close code, the TCP
  connection closed by the server after the closing handshake;
- ``NON-STRICT``: what Autobahn tolerates, a connection failed later than it
  must be (fail fast) or before answering what preceded the fault;
- ``INFORMATIONAL``: a case whose outcome Autobahn leaves to the
  implementation (7.1.6, 7.13.x) did not go as the corpus pins it for ours;
- ``FAILED``: anything else, including a case that did not end in its time;
- ``UNSUPPORTED``: the case needs permessage-deflate and the server declined
  it, or it tests limits only our server's configuration sets.
"""

from __future__ import annotations

import json
import socket
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TextIO
from urllib.parse import urlsplit

from servers.conform.ws_corpus import Case, load, sample, section_of
from servers.conform.ws_peer import NON_STRICT, Unsupported, judge, run_live
from wire.errors import LocalProtocolError

__all__ = ["OUTCOMES", "CaseResult", "matches", "parse_ws_target", "run_ws_suite", "select"]

OUTCOMES = ("OK", "NON-STRICT", "INFORMATIONAL", "FAILED", "UNSUPPORTED")
#: Seconds one case may take by default.
CASE_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class CaseResult:
    id: str
    section: str
    outcome: str  # one of OUTCOMES
    detail: str  # the problems, "; "-separated ("" when OK)
    seconds: float


def parse_ws_target(target: str) -> tuple[str, int, str]:
    """``ws://HOST[:PORT][/PATH]`` to ``(host, port, path)``.

    Raises:
        LocalProtocolError: not a ``ws://`` URL with a host.
    """
    parts = urlsplit(target)
    if parts.scheme != "ws" or not parts.hostname:
        raise LocalProtocolError(f"--target must be ws://HOST:PORT/PATH, got {target!r}")
    try:
        port = parts.port or 80
    except ValueError:
        raise LocalProtocolError(f"bad port in --target {target!r}") from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.hostname, port, path


def matches(pattern: str, case_id: str) -> bool:
    """Whether ``--only pattern`` selects the case: its id, or a section prefix of it.

    ``5`` and ``5.`` select section 5; ``6.4`` selects 6.4.1 to 6.4.4; ``12.1.1``
    selects case 12.1.1 and not 12.1.10.
    """
    if case_id == pattern:
        return True
    prefix = pattern if pattern.endswith(".") else f"{pattern}."
    return case_id.startswith(prefix)


def select(only: Sequence[str] = (), *, everything: bool = False) -> list[Case]:
    """The cases to run: the sample (or every case), narrowed by ``--only``.

    A pattern that names a case exactly selects it even outside the sample.
    """
    corpus = load()
    chosen = sample(corpus, everything=everything)
    if not only:
        return chosen
    named = set(only)
    picked = {id(case) for case in chosen if any(matches(p, case["id"]) for p in only)}
    return [
        case
        for cases in corpus.values()
        for case in cases
        if id(case) in picked or case["id"] in named
    ]


def _outcome(case: Case, problems: list[str]) -> str:
    if not problems:
        return "OK"
    if case.get("behavior") == "INFORMATIONAL":
        return "INFORMATIONAL"
    if all(problem.endswith(NON_STRICT) for problem in problems):
        return "NON-STRICT"
    return "FAILED"


def run_one(address: tuple[str, int], path: str, case: Case, *, timeout: float) -> CaseResult:
    """Run and judge one case."""
    start = time.monotonic()
    section = section_of(case)
    if ".W." in case["id"] and "config" in case:
        # Our own limit cases assume the limits our live test configures.
        detail = f"needs the server's limits set to {json.dumps(case['config'])}"
        return CaseResult(case["id"], section, "UNSUPPORTED", detail, 0.0)
    try:
        outcome = run_live(
            address, path, case, timeout=timeout, wait=timeout, fail_wait=min(2.0, timeout)
        )
    except Unsupported as exc:
        problems, verdict = [str(exc)], "UNSUPPORTED"
    except OSError as exc:
        problems, verdict = [f"cannot connect: {type(exc).__name__}: {exc}"], "FAILED"
    except Exception as exc:
        # Whatever a server's answer broke in the runner fails its case, not the run.
        problems, verdict = [f"the case broke the runner: {type(exc).__name__}: {exc}"], "FAILED"
    else:
        problems = judge(case, outcome)
        verdict = _outcome(case, problems)
    seconds = round(time.monotonic() - start, 3)
    return CaseResult(case["id"], section, verdict, "; ".join(problems), seconds)


def counts(results: Sequence[CaseResult]) -> dict[str, dict[str, int]]:
    """Outcomes per section, in section order, and ``"total"``."""
    table: dict[str, dict[str, int]] = {}
    for result in results:
        for key in (result.section, "total"):
            row = table.setdefault(key, dict.fromkeys(OUTCOMES, 0))
            row[result.outcome] += 1
    total = table.pop("total", dict.fromkeys(OUTCOMES, 0))
    ordered = dict(sorted(table.items(), key=lambda item: int(item[0])))
    ordered["total"] = total
    return ordered


def print_report(results: Sequence[CaseResult], out: TextIO) -> None:
    """One line per case, the problems under it, then the counts per section."""
    width = max((len(r.id) for r in results), default=4)
    out.write(f"{'case':<{width}}  {'result':<11}  {'seconds':>7}\n")
    for r in results:
        out.write(f"{r.id:<{width}}  {r.outcome:<11}  {r.seconds:>7.2f}\n")
        if r.detail:
            out.write(f"{'':<{width}}  -> {r.detail}\n")
    out.write(f"\n{'section':<8}" + "".join(f"  {name:>13}" for name in OUTCOMES) + "\n")
    for section, row in counts(results).items():
        out.write(f"{section:<8}" + "".join(f"  {row[name]:>13}" for name in OUTCOMES) + "\n")


def run_ws_suite(
    target: str,
    *,
    only: Sequence[str] = (),
    everything: bool = False,
    timeout: float = CASE_TIMEOUT,
    as_json: bool = False,
    out: TextIO,
    err: TextIO | None = None,
) -> int:
    """Run the corpus against ``target`` (``ws://HOST:PORT/PATH``) and print the report.

    Returns 0 when no case FAILED, 1 when one did, and 2 when nothing could be
    run (the target does not accept connections).

    Raises:
        LocalProtocolError: a malformed target, a timeout not above zero, or a
            selection matching no case.
    """
    host, port, path = parse_ws_target(target)
    if not timeout > 0:
        raise LocalProtocolError("--timeout must be above zero")
    cases = select(only, everything=everything)
    if not cases:
        raise LocalProtocolError(f"no ws-server case matches --only {' '.join(only)!r}")
    try:
        socket.create_connection((host, port), timeout=5).close()
    except OSError as exc:
        (sys.stderr if err is None else err).write(
            f"wire: error: cannot connect to {target}: {type(exc).__name__}: {exc}\n"
        )
        return 2
    results = [run_one((host, port), path, case, timeout=timeout) for case in cases]
    if as_json:
        report = {
            "target": target,
            "counts": counts(results),
            "cases": [asdict(result) for result in results],
        }
        out.write(json.dumps(report, indent=1) + "\n")
    else:
        print_report(results, out)
    return 1 if any(result.outcome == "FAILED" for result in results) else 0
